"""Change task pages: list, board, my tasks, edit with history, bulk status, communication plan."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crmproject.auth.models import Role, User
from crmproject.auth.services import list_active_users
from crmproject.auth.permissions import (
    allow, can_comment_on_task, can_create_tasks, can_delete_task, can_edit_plans, can_manage_categories, can_update_task,
    can_view_task, require, task_department_scope,
)
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import ValidationFailed, saving
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.comments import targets as comment_targets
from crmproject.i18n import _, lazy_gettext
from crmproject.paging import page_arg
from crmproject.plans.models import Phase, Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.tasks import bp, my_bp, services
from crmproject.tasks.excel import tasks_workbook
from crmproject.tasks.tables import COMMUNICATIONS, MY_TASKS
from crmproject.tasks.forms import BulkStatusForm, CategoryForm, CommunicationForm, DatesForm, MoveForm, TaskForm
from crmproject.tasks.models import (
    ChangeTask, Communication, CommunicationChannel, CommunicationStatus, TaskCategory, TaskPriority, TaskStatus,
)

PER_PAGE = 100



def _task(plan: Plan, task_id: int) -> ChangeTask:
    task = db.session.get(ChangeTask, task_id)
    if task is None or task.plan_id != plan.id:
        abort(404)
    require(can_view_task(current_user, task))
    return task


FILTER_KEYS = ("q", "phase", "department", "owner", "status", "priority", "category", "overdue", "sort")


def _id(value: str | None) -> int | None:
    """A database id from text, or None for anything else (letters, '²', 30 digits)."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _int_arg(name: str) -> int | None:
    return _id(request.args.get(name))


def _filter_args() -> dict[str, str]:
    """The filter part of the query string, to carry into links (nothing else reaches url_for)."""
    return {k: request.args[k] for k in FILTER_KEYS if k in request.args}


def _filter_from_args() -> services.TaskFilter:
    status = request.args.get("status", "")
    return services.TaskFilter(
        phase_id=_int_arg("phase"), department_id=_int_arg("department"), owner_id=_int_arg("owner"),
        status=TaskStatus(status) if status in TaskStatus._value2member_map_ else None,
        category_id=_int_arg("category"), overdue=request.args.get("overdue") == "1",
        priority=TaskPriority(priority) if (priority := request.args.get("priority", "")) in TaskPriority._value2member_map_ else None,
        search=request.args.get("q", "")[:200], sort=request.args.get("sort", "due") if request.args.get("sort") in services.SORTS else "due",
    )


def _filter_choices(plan: Plan) -> dict:
    scope = task_department_scope(current_user)
    departments = [d for d in list_departments() if scope is True or d.id == scope]
    return dict(phases=plan.phases, departments=departments, owners=list_active_users(), categories=services.list_categories(),
                statuses=list(TaskStatus), priorities=list(TaskPriority), sorts=services.SORTS)


@bp.get("/tasks")
def index(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    flt = _filter_from_args()
    page = page_arg()
    scope = task_department_scope(current_user)
    today = date.today()
    tasks, total = services.find_tasks(plan, flt, scope=scope, today=today, page=page, per_page=PER_PAGE)
    return render_template(
        "tasks/index.html", plan=plan, tasks=tasks, total=total, page=page, per_page=PER_PAGE, flt=flt, today=today,
        counts=services.status_counts(plan, scope=scope, today=today), bulk_form=BulkStatusForm(formdata=None),
        args=_filter_args(), **_filter_choices(plan),
    )


@bp.get("/tasks/board")
def board(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    flt = _filter_from_args()
    flt.status = None
    today = date.today()
    columns, counts = services.board_columns(plan, flt, scope=task_department_scope(current_user), today=today)
    return render_template("tasks/board.html", plan=plan, columns=columns, counts=counts, total=sum(counts.values()),
                           flt=flt, today=today, args=_filter_args(), **_filter_choices(plan))


@spreadsheet_routes(bp, "/tasks")
def export(plan_id: int):
    """The filtered task list as xlsx: what the user sees on the list, every page of it."""
    plan = plan_or_404(plan_id)
    today = date.today()
    found, _total = services.find_tasks(plan, _filter_from_args(), scope=task_department_scope(current_user), today=today, per_page=0)
    return download(tasks_workbook(found, today=today), download_name(plan.name, _("tasks")))


@table_page(my_bp, "/my-tasks")
def mine():
    today = date.today()
    found = services.tasks_of_owner(current_user, today=today)
    if wants_csv():
        return table_csv(MY_TASKS, found, _("my tasks"))
    return render_template("tasks/mine.html", tasks=found, today=today)


def _fill_choices(form: TaskForm, plan: Plan, task: ChangeTask | None) -> None:
    none = [("", _("— none —"))]
    form.category_id.choices = options((c.id, c.label) for c in services.ensure_categories())
    form.owner_id.choices = options(none + [(u.id, u.name) for u in list_active_users()])
    form.phase_id.choices = options(none + [(p.id, p.name) for p in plan.phases])
    scope = task_department_scope(current_user)
    if scope is True:
        form.department_id.choices = options(none + [(d.id, d.name) for d in list_departments()])
    else:  # a department head files and keeps work in their own department (or where the task already is)
        allowed = {scope, task.department_id if task else None}
        form.department_id.choices = options((d.id, d.name) for d in list_departments() if d.id in allowed)
    # only tasks this user may see can be chosen (and so named) as dependencies
    others, _total = services.find_tasks(plan, services.TaskFilter(sort="title"), scope=scope, today=date.today(), per_page=0)
    form.depends_on.choices = options((t.id, t.title) for t in others if task is None or t.id != task.id)


def _values(form: TaskForm) -> services.TaskUpdate:
    get = db.session.get
    return services.TaskUpdate(
        title=form.title.data, description=form.description.data or "",
        category=db.session.get_one(TaskCategory, form.category_id.data),
        owner=get(User, form.owner_id.data) if form.owner_id.data else None,
        phase=get(Phase, form.phase_id.data) if form.phase_id.data else None,
        department=get(Department, form.department_id.data) if form.department_id.data else None,
        start_date=form.start_date.data, due_date=form.due_date.data,
        status=TaskStatus(form.status.data), priority=TaskPriority(form.priority.data),
    )


def _dependencies(form: TaskForm) -> list[ChangeTask]:
    ids = form.depends_on.data or []
    return list(db.session.scalars(select(ChangeTask).where(ChangeTask.id.in_(ids)))) if ids else []


@bp.route("/tasks/new", methods=["GET", "POST"])
@allow(can_create_tasks)
def new(plan_id: int):
    plan = plan_or_404(plan_id)
    form = TaskForm()
    _fill_choices(form, plan, None)
    if request.method == "GET" and current_user.role == Role.DEPARTMENT_HEAD:
        form.department_id.data = current_user.department_id
    if form.validate_on_submit():
        values = _values(form)
        with saving(form) as outcome:
            task = services.create_task(
                plan, actor=current_user, title=values.title, category=values.category, owner=values.owner,
                description=values.description, phase=values.phase, department=values.department,
                start=values.start_date, due=values.due_date, status=values.status, priority=values.priority,
            )
            services.set_dependencies(task, _dependencies(form))
        if outcome.saved:
            flash(_("Task %(title)s added.", title=task.title), "success")
            return redirect(url_for("tasks.show", plan_id=plan.id, task_id=task.id))
    return render_template("tasks/form.html", plan=plan, form=form, task=None)


@bp.get("/tasks/<int:task_id>")
def show(plan_id: int, task_id: int):
    plan = plan_or_404(plan_id)
    task = _task(plan, task_id)
    return render_template("tasks/show.html", plan=plan, task=task, today=date.today())


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, task_id: int):
    plan = plan_or_404(plan_id)
    task = _task(plan, task_id)
    require(can_update_task(current_user, task))
    form = TaskForm(obj=task if request.method == "GET" else None)
    _fill_choices(form, plan, task)
    dependencies = {"depends_on": [t.id for t in task.depends_on]}  # rows of their own, not a column of the task
    if request.method == "GET":
        form.status.data, form.priority.data = task.status.value, task.priority.value
        form.depends_on.data = dependencies["depends_on"]
    if form.validate_on_submit():
        with saving(form, task, saved=dependencies) as outcome:
            services.update_task(task, _values(form), actor=current_user)
            services.set_dependencies(task, _dependencies(form))
        if outcome.saved:
            flash(_("Task %(title)s saved.", title=task.title), "success")
            return redirect(url_for("tasks.show", plan_id=plan.id, task_id=task.id))
    # after a refused save: who changed what since the page was opened, from the task's history
    since = services.changes_since(task, form.stale_version) if form.conflict and form.stale_version is not None else []
    return render_template("tasks/form.html", plan=plan, form=form, task=task, changes_since=since), form.http_status


@bp.post("/tasks/<int:task_id>/delete")
def delete(plan_id: int, task_id: int):
    plan = plan_or_404(plan_id)
    task = _task(plan, task_id)
    require(can_delete_task(current_user, task))
    title = task.title
    services.delete_task(task)
    flash(_("Task %(title)s deleted.", title=title), "success")
    return redirect(url_for("tasks.index", plan_id=plan.id))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _moved(plan: Plan, task: ChangeTask, form, change, back: str, done: str):
    """Apply a drag (or its keyboard alternative) to a task: JSON for the page's script, a redirect otherwise.
    A refusal (a stale page, a broken dependency, bad input) changes nothing and says why."""
    status = 200
    if not form.validate_on_submit():
        messages = [f"{field.label.text}: {error}" for field in form for error in field.errors]
        status = 400
    else:
        try:
            change()
        except ValidationFailed as exc:
            db.session.rollback()
            messages = [m for ms in exc.errors.values() for m in ms]
            status = 409 if isinstance(exc, services.StaleTask) else 400
        else:
            messages = [done]
    if _wants_json():
        return jsonify(ok=status == 200, messages=messages, version=task.version, status=task.status.value,
                       start=task.start_date.isoformat() if task.start_date else None,
                       due=task.due_date.isoformat() if task.due_date else None), status
    for message in messages:
        flash(message, "success" if status == 200 else "error")
    return redirect(back)


@bp.post("/tasks/<int:task_id>/move")
def move(plan_id: int, task_id: int):
    """A card dragged to another column of the board, or moved with its menu."""
    plan = plan_or_404(plan_id, waves=False)
    task = _task(plan, task_id)
    require(can_update_task(current_user, task))
    form = MoveForm()
    return _moved(plan, task, form, lambda: services.move_task(
        task, status=TaskStatus(form.status.data), version=form.version.data, actor=current_user),
        url_for("tasks.board", plan_id=plan.id), _("%(title)s moved.", title=task.title))


@bp.post("/tasks/<int:task_id>/dates")
def reschedule(plan_id: int, task_id: int):
    """A task's bar dragged on the timeline: new dates, checked against its dependencies and version."""
    plan = plan_or_404(plan_id, waves=False)
    task = _task(plan, task_id)
    require(can_update_task(current_user, task))
    form = DatesForm()
    return _moved(plan, task, form, lambda: services.reschedule_task(
        task, start=form.start.data, due=form.due.data, version=form.version.data, actor=current_user),
        url_for("timeline.show", plan_id=plan.id), _("%(title)s rescheduled.", title=task.title))


@bp.post("/tasks/bulk-status")
def bulk_status(plan_id: int):
    plan = plan_or_404(plan_id)
    form = BulkStatusForm()
    ids = [i for i in map(_id, request.form.getlist("task_ids")) if i is not None]
    back = request.form.get("back") or url_for("tasks.index", plan_id=plan.id)
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("tasks.index", plan_id=plan.id)
    if not form.validate_on_submit() or not ids:
        flash(_("Tick at least one task and choose a status."), "error")
        return redirect(back)
    tasks = list(db.session.scalars(select(ChangeTask).where(ChangeTask.id.in_(ids), ChangeTask.plan_id == plan.id)))
    if len(tasks) != len(set(ids)) or not all(can_update_task(current_user, t) for t in tasks):
        abort(403)
    changed = services.set_status(tasks, TaskStatus(form.status.data), actor=current_user)
    flash(_("%(n)s tasks set to %(status)s.", n=changed, status=TaskStatus(form.status.data).label), "success")
    return redirect(back)


# --- categories ---------------------------------------------------------------------------------

@my_bp.route("/task-categories", methods=["GET", "POST"])
def categories():
    form = CategoryForm()
    if request.method == "POST":
        require(can_manage_categories(current_user))
        if form.validate_on_submit():
            with saving(form) as outcome:
                category = services.create_category(form.name.data)
            if outcome.saved:
                flash(_("Category %(name)s added.", name=category.name), "success")
                return redirect(url_for("my_tasks.categories"))
    return render_template("tasks/categories.html", categories=services.ensure_categories(), form=form)


# --- communication plan ------------------------------------------------------------------------------

def _communication_form(plan: Plan, communication: Communication | None) -> CommunicationForm:
    form = CommunicationForm(obj=communication if request.method == "GET" else None)
    none = [("", _("— none —"))]
    form.owner_id.choices = options(none + [(u.id, u.name) for u in list_active_users()])
    form.department_id.choices = options(none + [(d.id, d.name) for d in list_departments()])
    if request.method == "GET" and communication is not None:
        form.channel.data, form.status.data = communication.channel.value, communication.status.value
    return form


@table_page(bp, "/communications", methods=("GET", "POST"))
@bp.route("/communications/<int:communication_id>", methods=["GET", "POST"])
def communications(plan_id: int, communication_id: int | None = None):
    plan = plan_or_404(plan_id)
    if wants_csv():
        return table_csv(COMMUNICATIONS, services.list_communications(plan), plan.name, _("communication plan"))
    communication = None
    if communication_id is not None:
        communication = db.session.get(Communication, communication_id)
        if communication is None or communication.plan_id != plan.id:
            abort(404)
    form = _communication_form(plan, communication)
    if request.method == "POST":
        require(can_edit_plans(current_user))
        if form.validate_on_submit():
            with saving(form, communication) as outcome:
                services.save_communication(
                    communication, plan, audience=form.audience.data, channel=CommunicationChannel(form.channel.data),
                    message=form.message.data, planned_date=form.planned_date.data,
                    owner=db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
                    department=db.session.get(Department, form.department_id.data) if form.department_id.data else None,
                    status=CommunicationStatus(form.status.data),
                )
            if outcome.saved:
                flash(_("Communication saved."), "success")
                return redirect(url_for("tasks.communications", plan_id=plan.id))
    return render_template("tasks/communications.html", plan=plan, items=services.list_communications(plan), form=form,
                           editing=communication, today=date.today()), form.http_status


@bp.post("/communications/<int:communication_id>/delete")
@allow(can_edit_plans)
def communication_delete(plan_id: int, communication_id: int):
    plan = plan_or_404(plan_id)
    communication = db.session.get(Communication, communication_id)
    if communication is None or communication.plan_id != plan.id:
        abort(404)
    services.delete_communication(communication)
    flash(_("Communication deleted."), "success")
    return redirect(url_for("tasks.communications", plan_id=plan.id))


def _tasks_by_id(ids) -> dict[int, ChangeTask]:
    return {t.id: t for t in db.session.scalars(select(ChangeTask).where(ChangeTask.id.in_(list(ids))))}


# a task takes comments (crmproject/comments): its page shows them
comment_targets.register(comment_targets.Target(
    type="change_tasks", kind=lazy_gettext("Change task"), load=lambda task_id: db.session.get(ChangeTask, task_id),
    load_many=_tasks_by_id, plan_id=lambda task: task.plan_id, label=lambda task: task.title,
    url=lambda task: url_for("tasks.show", plan_id=task.plan_id, task_id=task.id),
    can_see=can_view_task, can_comment=can_comment_on_task))
