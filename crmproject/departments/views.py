"""Department pages."""

from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crmproject.adoption import key_actions
from crmproject.adoption.key_action_charts import key_action_figure
from crmproject.adoption.views import adoption_context
from crmproject.auth.models import Role, User
from crmproject.auth.permissions import (
    allow,
    can_edit_department,
    can_manage_departments,
    require,
)
from crmproject.departments import bp, services
from crmproject.departments.forms import DepartmentForm, DepartmentNumbersForm
from crmproject.departments.models import Department
from crmproject.departments.tables import DEPARTMENTS
from crmproject.errors import ValidationFailed, saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.pulse.charts import trend_figure
from crmproject.pulse.results import ELEMENTS as PULSE_ELEMENTS
from crmproject.pulse.results import department_trend
from crmproject.training.charts import course_completion_figure


def _head_choices():
    heads = db.session.scalars(
        select(User).where(User.role == Role.DEPARTMENT_HEAD, User.active.is_(True)).order_by(User.name)
    )
    return options([("", _("— none —"))] + [(u.id, f"{u.name} <{u.email}>") for u in heads])


@table_page(bp, "/")
def index():
    departments = services.list_departments()
    if wants_csv():
        return table_csv(DEPARTMENTS, departments, _("departments"))
    return render_template("departments/index.html", departments=departments)


@bp.get("/<int:department_id>")
def show(department_id: int):
    department = db.get_or_404(Department, department_id)
    overview = services.department_overview(department, viewer=current_user)
    today = overview.today
    first = overview.go_lives[0].wave.plan if overview.go_lives else None
    cells = overview.training_cells
    adoption = adoption_context(first, [department], today=today) if first else {}
    key_summary = None
    if first is not None and overview.go_lives[0].is_live:
        key_summary = key_actions.department_summary(first, department.id, go_live=overview.go_lives[0].wave.go_live_date,
                                                     today=today)
    pulse = department_trend(department.id, today=today, plan_id=first.id if first is not None else None)
    readiness = services.readiness_summary(first.id, department, today=today) if first is not None else {}
    return render_template(
        "departments/show.html", department=department, overview=overview, today=today, adoption=adoption,
        pulse=pulse, pulse_elements=PULSE_ELEMENTS, pulse_plan=first,
        pulse_chart=trend_figure(pulse) if sum(r.shown for r in pulse) > 1 else None,
        key_actions=key_summary,
        key_action_chart=key_action_figure(key_summary, target=adoption["target"]) if key_summary and key_summary.weeks else None,
        training_cells=cells,
        training_figure=course_completion_figure(cells, overview.mandatory_course_ids) if cells else None,
        **readiness,
    )



@bp.route("/new", methods=["GET", "POST"])
@allow(can_manage_departments)
def new():
    form = DepartmentForm()
    form.head_id.choices = _head_choices()
    if form.validate_on_submit():
        with saving(form) as outcome:
            head = db.session.get(User, form.head_id.data) if form.head_id.data else None
            department = services.create_department(
                name=form.name.data, code=form.code.data, headcount=form.headcount.data,
                licensed_seats=form.licensed_seats.data, head=head,
            )
        if outcome.saved:
            flash(_("Department %(name)s added.", name=department.name), "success")
            return redirect(url_for("departments.show", department_id=department.id))
    return render_template("departments/form.html", form=form, department=None)


@bp.route("/<int:department_id>/edit", methods=["GET", "POST"])
def edit(department_id: int):
    department = db.get_or_404(Department, department_id)
    require(can_edit_department(current_user, department))
    full = can_manage_departments(current_user)
    form = (DepartmentForm if full else DepartmentNumbersForm)(obj=department if request.method == "GET" else None)
    head_now = {"head_id": department.heads[0].id if department.heads else None}  # the head is a user's row, not a column
    if full:
        form.head_id.choices = _head_choices()
        if request.method == "GET":
            form.head_id.data = head_now["head_id"]
    if form.validate_on_submit():
        with saving(form, department, saved=head_now) as outcome:
            services.update_department(
                department,
                name=form.name.data if full else department.name,
                code=form.code.data if full else department.code,
                headcount=form.headcount.data, licensed_seats=form.licensed_seats.data,
            )
            if full:
                services.set_head(department, db.session.get(User, form.head_id.data) if form.head_id.data else None)
        if outcome.saved:
            flash(_("Department %(name)s saved.", name=department.name), "success")
            return redirect(url_for("departments.show", department_id=department.id))
    return render_template("departments/form.html", form=form, department=department), form.http_status


@bp.post("/<int:department_id>/delete")
@allow(can_manage_departments)
def delete(department_id: int):
    department = db.get_or_404(Department, department_id)
    name = department.name
    try:
        services.delete_department(department)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(m for msgs in exc.errors.values() for m in msgs), "error")
        return redirect(url_for("departments.show", department_id=department_id))
    db.session.commit()
    flash(_("Department %(name)s deleted.", name=name), "success")
    return redirect(url_for("departments.index"))
