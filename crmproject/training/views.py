"""Training pages: courses with their completion, a course's sessions and enrolments, enrolment updates.

Planners manage courses, sessions and enrolments; a department head updates
the enrolments of their own department's people; everyone reads.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import Role
from crmproject.auth.permissions import allow, can_manage_training, can_update_enrolment, require
from crmproject.dates import date_text
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import ValidationFailed, saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.paging import page_arg
from crmproject.plans.models import CrmModule
from crmproject.plans.services import list_modules
from crmproject.training import bp, completion, services
from crmproject.training.charts import completion_heatmap, department_completion_figure
from crmproject.training.forms import CourseForm, EnrolDepartmentForm, EnrolEmployeeForm, EnrolmentForm, SessionForm
from crmproject.training.models import Course, Enrolment, EnrolmentStatus, TrainingSession
from crmproject.training.tables import COURSE_DEPARTMENTS, ENROLMENTS, courses_table, sessions_table

PER_PAGE = 100


def _course_or_404(course_id: int) -> Course:
    return db.get_or_404(Course, course_id)


def _session_or_404(course: Course, session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    if session is None or session.course_id != course.id:
        abort(404)
    return session


def _session_choices(course: Course, empty_label: str) -> list:
    return options([("", empty_label)] + [(s.id, _session_label(s)) for s in course.sessions])


def _session_label(session: TrainingSession) -> str:
    parts = [date_text(session.day), session.trainer, session.location]
    return " · ".join(p for p in parts if p)


def _chosen_session(course: Course, session_id: int | None) -> TrainingSession | None:
    return _session_or_404(course, session_id) if session_id else None


# --- courses -----------------------------------------------------------------------------------

REFRESHERS_SHOWN = 200


@table_page(bp, "/")
def index():
    today = date.today()  # training spans plans: the figures are as of the server's day
    courses = services.list_courses()
    mandatory = [c.id for c in courses if c.mandatory]
    cells = completion.completion_cells(today=today)
    by_course, by_department = completion.rollups(cells, course_ids=mandatory or None)
    if wants_csv():
        return table_csv(courses_table(by_course, services.session_counts()), courses, _("training courses"))
    refreshers, refreshers_total = completion.refreshers_due(today=today, limit=REFRESHERS_SHOWN)
    return render_template(
        "training/index.html", courses=courses, completion=by_course, sessions=services.session_counts(),
        has_mandatory=bool(mandatory), by_department=by_department, today=today, refreshers=refreshers,
        refreshers_total=refreshers_total, refresher_counts=completion.refresher_counts(today=today),
        department_figure=department_completion_figure(by_department, target=100.0 if mandatory else None) if by_department else None,
        heatmap=completion_heatmap(cells) if cells else None,
    )


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course if request.method == "GET" else None)
    form.crm_module_id.choices = options([("", _("— none —"))] + [(m.id, f"{m.code} · {m.name}") for m in list_modules()])
    return form


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@allow(can_manage_training)
def course_form(course_id: int | None = None):
    course = _course_or_404(course_id) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        with saving(form, course) as outcome:
            values = services.CourseValues(
                code=form.code.data, name=form.name.data, audience=form.audience.data or "", mandatory=form.mandatory.data,
                crm_module=db.session.get(CrmModule, form.crm_module_id.data) if form.crm_module_id.data else None,
                length_hours=form.length_hours.data, description=form.description.data or "",
                validity_months=form.validity_months.data,
            )
            saved = services.create_course(values) if course is None else services.update_course(course, values)
        if outcome.saved:
            flash(_("Course %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("training.show", course_id=saved.id))
    return render_template("training/course_form.html", course=course, form=form), form.http_status


@bp.post("/courses/<int:course_id>/delete")
@allow(can_manage_training)
def course_delete(course_id: int):
    course = _course_or_404(course_id)
    code = course.code
    services.delete_course(course)
    flash(_("Course %(code)s deleted with its sessions and enrolments.", code=code), "success")
    return redirect(url_for("training.index"))


def _filters() -> tuple[int | None, EnrolmentStatus | None, int]:
    """The enrolment list's department, status and page; a department head starts on their own department."""
    raw = request.args.get("department")
    if raw is None and current_user.role == Role.DEPARTMENT_HEAD:
        department_id = current_user.department_id
    else:
        department_id = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 18 else None
    status = next((s for s in EnrolmentStatus if s.value == request.args.get("status")), None)
    return department_id, status, page_arg()


def _show(course: Course, *, session_form: SessionForm | None = None, department_form: EnrolDepartmentForm | None = None,
          employee_form: EnrolEmployeeForm | None = None):
    department_id, status, page = _filters()
    enrolments, total = services.course_enrolments(course, department_id=department_id, status=status,
                                                   limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    departments = list_departments()
    department_form = department_form or EnrolDepartmentForm(formdata=None)
    department_form.department_id.choices = options([(d.id, d.name) for d in departments])
    department_form.session_id.choices = _session_choices(course, _("— no session —"))
    employee_form = employee_form or EnrolEmployeeForm(formdata=None)
    employee_form.session_id.choices = _session_choices(course, _("— no session —"))
    today = date.today()
    cells = completion.completion_cells(course_ids=[course.id], today=today)
    rows = [completion.DepartmentCompletion(c.department_id, c.department_name, c.completion) for c in cells]
    refreshers, refreshers_total = completion.refreshers_due(today=today, course_id=course.id, department_id=department_id,
                                                           limit=REFRESHERS_SHOWN)
    return render_template(
        "training/show.html", course=course, enrolments=enrolments, total=total, page=page, per_page=PER_PAGE,
        department_id=department_id, status=status, statuses=list(EnrolmentStatus), departments=departments,
        completion=completion.completion_by_course(course_ids=[course.id], today=today).get(course.id), by_department=rows,
        today=today, refreshers=refreshers, refreshers_total=refreshers_total, expires_on=completion.expires_on,
        figure=department_completion_figure(rows, target=100.0 if course.mandatory else None) if rows else None,
        bookings=services.session_bookings(course), session_form=session_form or SessionForm(formdata=None),
        department_form=department_form, employee_form=employee_form,
    )


@table_page(bp, "/courses/<int:course_id>")
def show(course_id: int):
    course = _course_or_404(course_id)
    if wants_csv() and request.args.get("table") == "departments":
        cells = completion.completion_cells(course_ids=[course.id], today=date.today())
        rows = [completion.DepartmentCompletion(c.department_id, c.department_name, c.completion) for c in cells]
        return table_csv(COURSE_DEPARTMENTS, rows, course.code, _("completion per department"))
    if wants_csv() and request.args.get("table") == "sessions":
        return table_csv(sessions_table(services.session_bookings(course)), course.sessions, course.code, _("sessions"))
    if wants_csv():  # every enrolment the filters keep, not one page of them
        department_id, status, _page = _filters()
        enrolments, _total = services.course_enrolments(course, department_id=department_id, status=status, limit=None)
        return table_csv(ENROLMENTS, enrolments, course.code, _("enrolments"))
    return _show(course)


# --- sessions ----------------------------------------------------------------------------------

def _session_values(form: SessionForm) -> services.SessionValues:
    return services.SessionValues(day=form.day.data, trainer=form.trainer.data or "", location=form.location.data or "",
                                  capacity=form.capacity.data)


@bp.post("/courses/<int:course_id>/sessions")
@allow(can_manage_training)
def session_add(course_id: int):
    course = _course_or_404(course_id)
    form = SessionForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            session = services.add_session(course, _session_values(form))
        if outcome.saved:
            flash(_("Session on %(day)s added.", day=session.day.isoformat()), "success")
            return redirect(url_for("training.show", course_id=course.id))
    return _show(course, session_form=form)


@bp.route("/courses/<int:course_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@allow(can_manage_training)
def session_edit(course_id: int, session_id: int):
    course = _course_or_404(course_id)
    session = _session_or_404(course, session_id)
    form = SessionForm(obj=session if request.method == "GET" else None)
    if form.validate_on_submit():
        with saving(form, session) as outcome:
            services.update_session(session, _session_values(form))
        if outcome.saved:
            flash(_("Session on %(day)s saved.", day=session.day.isoformat()), "success")
            return redirect(url_for("training.show", course_id=course.id))
    return render_template("training/session_form.html", course=course, session=session, form=form), form.http_status


@bp.post("/courses/<int:course_id>/sessions/<int:session_id>/delete")
@allow(can_manage_training)
def session_delete(course_id: int, session_id: int):
    course = _course_or_404(course_id)
    session = _session_or_404(course, session_id)
    day = session.day.isoformat()
    services.delete_session(session)
    flash(_("Session on %(day)s deleted; its people stay enrolled.", day=day), "success")
    return redirect(url_for("training.show", course_id=course.id))


# --- enrolments --------------------------------------------------------------------------------

@bp.post("/courses/<int:course_id>/enrol-department")
@allow(can_manage_training)
def enrol_department(course_id: int):
    course = _course_or_404(course_id)
    form = EnrolDepartmentForm()
    form.department_id.choices = options([(d.id, d.name) for d in list_departments()])
    form.session_id.choices = _session_choices(course, "")
    if form.validate_on_submit():
        department = db.get_or_404(Department, form.department_id.data)
        with saving(form) as outcome:
            added = services.enrol_department(course, department, session=_chosen_session(course, form.session_id.data))
        if outcome.saved:
            flash(_("%(n)s people of %(department)s enrolled in %(code)s.", n=added, department=department.name, code=course.code),
                  "success")
            return redirect(url_for("training.show", course_id=course.id))
    return _show(course, department_form=form)


@bp.post("/courses/<int:course_id>/enrolments")
@allow(can_manage_training)
def enrol(course_id: int):
    course = _course_or_404(course_id)
    form = EnrolEmployeeForm()
    form.session_id.choices = _session_choices(course, "")
    if form.validate_on_submit():
        with saving(form) as outcome:
            employee = services.find_employee(form.employee.data)
            if employee is None:
                raise ValidationFailed(_("No employee has this e-mail, CRM user name or name."), field="employee")
            services.enrol(employee, course, session=_chosen_session(course, form.session_id.data))
        if outcome.saved:
            flash(_("%(name)s enrolled in %(code)s.", name=employee.name, code=course.code), "success")
            return redirect(url_for("training.show", course_id=course.id))
    return _show(course, employee_form=form)


def _enrolment_or_404(enrolment_id: int) -> Enrolment:
    return db.get_or_404(Enrolment, enrolment_id)


@bp.route("/enrolments/<int:enrolment_id>", methods=["GET", "POST"])
def enrolment(enrolment_id: int):
    enrolment = _enrolment_or_404(enrolment_id)
    require(can_update_enrolment(current_user, enrolment))
    form = EnrolmentForm(obj=enrolment if request.method == "GET" else None)
    form.session_id.choices = _session_choices(enrolment.course, _("— no session —"))
    if request.method == "GET":
        form.status.data = enrolment.status.value
    if form.validate_on_submit():
        with saving(form, enrolment) as outcome:
            services.set_status(enrolment, EnrolmentStatus(form.status.data), completed_on=form.completed_on.data,
                                score=form.score.data, session=_chosen_session(enrolment.course, form.session_id.data),
                                today=date.today())
        if outcome.saved:
            flash(_("%(name)s: %(status)s.", name=enrolment.employee.name, status=enrolment.status.label), "success")
            return redirect(url_for("training.show", course_id=enrolment.course_id))
    return render_template("training/enrolment.html", enrolment=enrolment, form=form), form.http_status


@bp.post("/enrolments/<int:enrolment_id>/delete")
@allow(can_manage_training)
def enrolment_delete(enrolment_id: int):
    enrolment = _enrolment_or_404(enrolment_id)
    course_id, name = enrolment.course_id, enrolment.employee.name
    services.remove_enrolment(enrolment)
    flash(_("%(name)s is no longer enrolled.", name=name), "success")
    return redirect(url_for("training.show", course_id=course_id))
