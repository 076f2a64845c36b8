"""Department pages."""

from __future__ import annotations


from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

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
            return redirect(url_for("department_page.show", department_id=department.id))
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
            return redirect(url_for("department_page.show", department_id=department.id))
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
        return redirect(url_for("department_page.show", department_id=department_id))
    flash(_("Department %(name)s deleted.", name=name), "success")
    return redirect(url_for("departments.index"))
