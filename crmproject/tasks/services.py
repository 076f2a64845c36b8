"""Change-management tasks: creation, updates with history and optimistic locking,
dependencies without cycles, filtering, and the communication plan."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated, fold, folded
from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import Phase, Plan
from crmproject.tasks.models import (  # noqa: F401  (TaskCategory is used by the import views)
    PRIORITY_RANK, STANDARD_CATEGORIES, ChangeTask, Communication, CommunicationChannel, CommunicationStatus,
    TaskCategory, TaskChange, TaskDependency, TaskPriority, TaskStatus,
)

# --- categories ---------------------------------------------------------------------------


def ensure_categories() -> list[TaskCategory]:
    """The standard categories, created where missing (idempotent)."""
    existing = {c.key: c for c in db.session.scalars(select(TaskCategory))}
    for key, label in STANDARD_CATEGORIES:
        if key not in existing:
            existing[key] = TaskCategory(key=key, name=label.message, builtin=True)
            db.session.add(existing[key])
    db.session.flush()
    return list_categories()


def list_categories() -> list[TaskCategory]:
    return list(db.session.scalars(select(TaskCategory).order_by(TaskCategory.builtin.desc(), TaskCategory.name)))


def category_by_key(key: str) -> TaskCategory | None:
    return db.session.scalar(select(TaskCategory).where(TaskCategory.key == key))


def create_category(name: str) -> TaskCategory:
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter the category's name."), field="name")
    key = "_".join(name.casefold().split())[:50]
    clash = db.session.scalar(select(TaskCategory).where(or_(func.lower(TaskCategory.name) == name.casefold(), TaskCategory.key == key)))
    if clash is not None:
        raise ValidationFailed(_("The category %(name)s already exists.", name=clash.label), field="name")
    category = TaskCategory(key=key, name=name, builtin=False)
    db.session.add(category)
    db.session.flush()
    return category


# --- tasks ------------------------------------------------------------------------------------

TRACKED_FIELDS = ("title", "description", "status", "priority", "owner", "due_date", "start_date", "phase", "department", "category")


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (User, Department, Phase)):
        return value.name
    if isinstance(value, TaskCategory):
        return value.name
    if isinstance(value, (TaskStatus, TaskPriority)):
        return value.value
    return str(value)


def _check_task(plan: Plan, *, title: str, phase: Phase | None, start: date | None, due: date | None) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Enter the task's title.")
    if phase is not None and phase.plan_id != plan.id:
        errors["phase_id"] = _("That phase belongs to another plan.")
    if start and due and due < start:
        errors["due_date"] = _("The due date %(due)s is before the start date %(start)s.", due=due.isoformat(), start=start.isoformat())
    if errors:
        raise ValidationFailed(errors)


def create_task(
    plan: Plan, *, title: str, category: TaskCategory, actor: User | None, owner: User | None = None,
    description: str = "", phase: Phase | None = None, department: Department | None = None,
    start: date | None = None, due: date | None = None, status: TaskStatus = TaskStatus.NOT_STARTED,
    priority: TaskPriority = TaskPriority.MEDIUM, parent: ChangeTask | None = None, outline: str = "",
) -> ChangeTask:
    """Add a task with one owner; its creation is the first line of its history."""
    _check_task(plan, title=title, phase=phase, start=start, due=due)
    task = ChangeTask(
        plan_id=plan.id, title=title.strip(), category=category, owner=owner, description=description.strip(),
        phase=phase, department=department, start_date=start, due_date=due, status=status, priority=priority,
        parent=parent, outline=outline,
        # inserted together with the task, so creating it is version 1
        history=[TaskChange(user=actor, version=1, field="created", new_value=title.strip())],
    )
    db.session.add(task)
    db.session.flush()
    return task


@dataclass
class TaskUpdate:
    """The new values of a task's editable fields."""

    title: str
    category: TaskCategory
    owner: User | None
    description: str = ""
    phase: Phase | None = None
    department: Department | None = None
    start_date: date | None = None
    due_date: date | None = None
    status: TaskStatus = TaskStatus.NOT_STARTED
    priority: TaskPriority = TaskPriority.MEDIUM


def changes_since(task: ChangeTask, version: int) -> list[TaskChange]:
    """The history of the task after `version` (what a page opened at that version did not show)."""
    return [c for c in task.history if c.version > version]


def update_task(task: ChangeTask, values: TaskUpdate, *, actor: User | None) -> list[TaskChange]:
    """Save new values; every changed field is kept in the history (who, when, from, to), at the version the
    save gives the task. A save from a page opened before someone else's is checked by the edit form
    (crmproject.forms.VersionedForm, through crmproject.errors.saving), as every edit form is."""
    _check_task(task.plan, title=values.title, phase=values.phase, start=values.start_date, due=values.due_date)
    values.title = values.title.strip()
    values.description = values.description.strip()
    new_version = task.version + 1
    recorded = []
    # One flush, so the version moves by exactly one (lazy loads below would otherwise autoflush).
    with db.session.no_autoflush:
        for name in TRACKED_FIELDS:
            old, new = getattr(task, name), getattr(values, name)
            if _display(old) != _display(new):
                recorded.append(TaskChange(user=actor, version=new_version, field=name, old_value=_display(old), new_value=_display(new)))
                setattr(task, name, new)
        task.history.extend(recorded)
    if recorded:
        db.session.flush()  # the version column moves to new_version here
    return recorded


def set_status(tasks: Iterable[ChangeTask], status: TaskStatus, *, actor: User | None) -> int:
    """Bulk status change; returns how many tasks changed."""
    changed = 0
    for task in tasks:
        if task.status != status:
            # added by id, not appended to task.history, so no task's whole history is loaded
            db.session.add(TaskChange(task_id=task.id, user=actor, version=task.version + 1, field="status",
                                      old_value=task.status.value, new_value=status.value))
            task.status = status
            changed += 1
    db.session.flush()
    return changed


def delete_task(task: ChangeTask) -> None:
    db.session.delete(task)
    db.session.flush()


def set_dependencies(task: ChangeTask, depends_on: Sequence[ChangeTask]) -> None:
    """Replace what `task` depends on; a cycle is refused with a message naming it."""
    for other in depends_on:
        if other.plan_id != task.plan_id:
            raise ValidationFailed(_("%(title)s belongs to another plan.", title=other.title), field="depends_on")
        if other.id == task.id:
            raise ValidationFailed(_("A task cannot depend on itself."), field="depends_on")
    edges = _dependency_edges(task.plan_id)
    edges[task.id] = [o.id for o in depends_on]
    if cycle := find_cycle(task.id, edges):
        titles = dict(db.session.execute(select(ChangeTask.id, ChangeTask.title).where(ChangeTask.id.in_(cycle))).all())
        raise ValidationFailed(
            _("That would make a cycle: %(cycle)s.", cycle=" → ".join(titles[i] for i in cycle)), field="depends_on"
        )
    task.depends_on = list(depends_on)
    db.session.flush()


def _dependency_edges(plan_id: int) -> dict[int, list[int]]:
    rows = db.session.execute(
        select(TaskDependency.task_id, TaskDependency.depends_on_id)
        .join(ChangeTask, ChangeTask.id == TaskDependency.task_id)
        .where(ChangeTask.plan_id == plan_id)
    )
    edges: dict[int, list[int]] = {}
    for task_id, depends_on_id in rows:
        edges.setdefault(task_id, []).append(depends_on_id)
    return edges


def find_cycle(start, edges: dict) -> list | None:
    """A path start → ... → start through the dependency edges, or None."""
    stack: list[tuple[int, list[int]]] = [(start, [start])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


# --- finding tasks -----------------------------------------------------------------------------

SORTS = {
    "due": lambda: (ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id),
    "-due": lambda: (ChangeTask.due_date.is_(None), ChangeTask.due_date.desc(), ChangeTask.id),
    "priority": lambda: (_priority_rank().desc(), ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id),
    "status": lambda: (case({s.value: n for n, s in enumerate(TaskStatus)}, value=ChangeTask.status, else_=99), ChangeTask.id),
    "title": lambda: (collated(ChangeTask.title), ChangeTask.id),
    "owner": lambda: (User.name.is_(None), collated(User.name), ChangeTask.id),
    "outline": lambda: (ChangeTask.id,),
}


def _priority_rank():
    return case({p.value: rank for p, rank in PRIORITY_RANK.items()}, value=ChangeTask.priority, else_=0)


@dataclass
class TaskFilter:
    phase_id: int | None = None
    department_id: int | None = None
    owner_id: int | None = None
    status: TaskStatus | None = None
    category_id: int | None = None
    priority: TaskPriority | None = None
    overdue: bool = False
    search: str = ""
    sort: str = "due"


def _filtered(plan: Plan, flt: TaskFilter, *, scope: int | None | bool, today: date) -> Select:
    query = select(ChangeTask).where(ChangeTask.plan_id == plan.id)
    if scope is not True:
        query = query.where(ChangeTask.department_id == scope)
    if flt.phase_id:
        query = query.where(ChangeTask.phase_id == flt.phase_id)
    if flt.department_id:
        query = query.where(ChangeTask.department_id == flt.department_id)
    if flt.owner_id:
        query = query.where(ChangeTask.owner_id == flt.owner_id)
    if flt.status:
        query = query.where(ChangeTask.status == flt.status)
    if flt.category_id:
        query = query.where(ChangeTask.category_id == flt.category_id)
    if flt.priority:
        query = query.where(ChangeTask.priority == flt.priority)
    if flt.overdue:
        query = query.where(ChangeTask.due_date < today, ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))
    if flt.search.strip():
        query = query.where(folded(ChangeTask.title).contains(fold(flt.search.strip()), autoescape=True))
    return query


def find_tasks(
    plan: Plan, flt: TaskFilter, *, scope: int | None | bool = True, today: date, page: int = 1, per_page: int = 100,
) -> tuple[list[ChangeTask], int]:
    """One page of the plan's tasks matching the filter, and how many match in all."""
    query = _filtered(plan, flt, scope=scope, today=today)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = SORTS.get(flt.sort, SORTS["due"])()
    query = query.outerjoin(User, User.id == ChangeTask.owner_id).order_by(*order).options(
        selectinload(ChangeTask.owner), selectinload(ChangeTask.department), selectinload(ChangeTask.phase),
        selectinload(ChangeTask.category), selectinload(ChangeTask.depends_on),
    )
    if per_page:
        query = query.limit(per_page).offset((max(page, 1) - 1) * per_page)
    return list(db.session.scalars(query)), total


BOARD_CARDS = 200  # cards a board column shows; the rest are counted, and the list shows them


@dataclass(frozen=True)
class Card:
    """What a board card shows of a task: read as a plain row (a board of 1,000 cards spent most of its time
    making ORM objects with every column of the task, its owner and its department)."""

    id: int
    title: str
    status: TaskStatus
    due_date: date | None
    owner_name: str | None
    department_code: str | None
    version: int = 1
    owner_id: int | None = None  # with department_id, what auth.permissions.can_update_task reads
    department_id: int | None = None

    def is_overdue(self, today: date) -> bool:
        return self.due_date is not None and self.due_date < today and not self.status.is_closed


def board_columns(plan: Plan, flt: TaskFilter, *, scope: int | None | bool = True, today: date,
                  per_column: int = BOARD_CARDS) -> tuple[dict[TaskStatus, list[Card]], dict[TaskStatus, int]]:
    """The board: per status the first `per_column` matching tasks in the filter's order, and how many match in
    each. A fixed number of queries however many tasks the plan has: the cards are chosen by rank within their
    status in the database (ROW_NUMBER), and only they are read, with their owners' names and departments' codes."""
    query = _filtered(plan, flt, scope=scope, today=today)
    matching = query.subquery()
    counts = {TaskStatus(status) if not isinstance(status, TaskStatus) else status: n for status, n in
              db.session.execute(select(matching.c.status, func.count()).group_by(matching.c.status))}
    order = SORTS.get(flt.sort, SORTS["due"])()
    ranked = (query.outerjoin(User, User.id == ChangeTask.owner_id)
              .with_only_columns(ChangeTask.id, func.row_number().over(partition_by=ChangeTask.status,
                                                                       order_by=order).label("rank"))
              .subquery())
    cards = db.session.execute(
        select(ChangeTask.id, ChangeTask.title, ChangeTask.status, ChangeTask.due_date, User.name, Department.code,
               ChangeTask.version, ChangeTask.owner_id, ChangeTask.department_id)
        .where(ChangeTask.id.in_(select(ranked.c.id).where(ranked.c.rank <= per_column)))
        .outerjoin(User, User.id == ChangeTask.owner_id)
        .outerjoin(Department, Department.id == ChangeTask.department_id).order_by(*order)
    )
    columns: dict[TaskStatus, list[Card]] = {status: [] for status in TaskStatus}
    for row in cards:
        card = Card(*row)
        columns[card.status].append(card)
    return columns, {status: counts.get(status, 0) for status in TaskStatus}


def open_tasks_of_department(department_id: int, *, limit: int = 15) -> tuple[list[ChangeTask], int]:
    """The department's open tasks across plans, soonest due first, and how many there are."""
    query = select(ChangeTask).where(
        ChangeTask.department_id == department_id, ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED])
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tasks = db.session.scalars(
        query.options(selectinload(ChangeTask.owner), selectinload(ChangeTask.plan))
        .order_by(ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id).limit(limit)
    )
    return list(tasks), total


def tasks_of_owner(user: User, *, today: date) -> list[ChangeTask]:
    """Open and recently closed tasks a user owns, across plans, soonest first."""
    return list(db.session.scalars(
        select(ChangeTask).where(ChangeTask.owner_id == user.id)
        .options(selectinload(ChangeTask.plan), selectinload(ChangeTask.department), selectinload(ChangeTask.phase))
        .order_by(case((ChangeTask.status.in_([TaskStatus.DONE, TaskStatus.CANCELLED]), 1), else_=0),
                  ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id)
    ))


def status_counts(plan: Plan, *, scope: int | None | bool = True, today: date) -> dict[str, int]:
    """Tasks per status, plus 'overdue', in two queries."""
    base = _filtered(plan, TaskFilter(), scope=scope, today=today).subquery()
    counts = {s.value: 0 for s in TaskStatus}
    for status, n in db.session.execute(select(base.c.status, func.count()).group_by(base.c.status)):
        counts[TaskStatus(status).value] = n
    counts["overdue"] = db.session.scalar(
        select(func.count()).select_from(_filtered(plan, TaskFilter(overdue=True), scope=scope, today=today).subquery())
    ) or 0
    return counts


# --- communication plan ---------------------------------------------------------------------------

def list_communications(plan: Plan) -> list[Communication]:
    return list(db.session.scalars(
        select(Communication).where(Communication.plan_id == plan.id)
        .options(selectinload(Communication.owner), selectinload(Communication.department))
        .order_by(Communication.planned_date, Communication.id)
    ))


def save_communication(
    communication: Communication | None, plan: Plan, *, audience: str, channel: CommunicationChannel, message: str,
    planned_date: date, owner: User | None, department: Department | None, status: CommunicationStatus,
) -> Communication:
    errors: dict[str, str] = {}
    if not audience.strip():
        errors["audience"] = _("Say who the message is for, for example: all Sales staff.")
    if not message.strip():
        errors["message"] = _("Enter the message.")
    if not plan.start_date <= planned_date <= plan.end_date:
        errors["planned_date"] = _(
            "The date must fall inside the plan (%(ps)s to %(pe)s).", ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat()
        )
    if errors:
        raise ValidationFailed(errors)
    if communication is None:
        communication = Communication(plan_id=plan.id)
        db.session.add(communication)
    communication.audience, communication.channel, communication.message = audience.strip(), channel, message.strip()
    communication.planned_date, communication.owner, communication.department = planned_date, owner, department
    communication.status = status
    db.session.flush()
    return communication


def delete_communication(communication: Communication) -> None:
    db.session.delete(communication)
    db.session.flush()


# --- moves from the timeline and the board --------------------------------------------------------------


class StaleTask(ValidationFailed):
    """The task was saved by someone else since the page that moves it was drawn."""


def _check_version(task: ChangeTask, version: int | None) -> None:
    if version != task.version:
        raise StaleTask(_("Someone else saved this task since you opened the page: it now runs %(start)s to %(due)s "
                          "and is %(status)s. Nothing was changed; look again and move it again.",
                          start=_display(task.start_date) or "—", due=_display(task.due_date) or "—",
                          status=task.status.label))


def _update(task: ChangeTask, actor: User | None, **changes) -> list[TaskChange]:
    values = TaskUpdate(title=task.title, category=task.category, owner=task.owner, description=task.description,
                        phase=task.phase, department=task.department, start_date=task.start_date,
                        due_date=task.due_date, status=task.status, priority=task.priority)
    for name, value in changes.items():
        setattr(values, name, value)
    return update_task(task, values, actor=actor)


def dependency_problems(task: ChangeTask, *, start: date, due: date) -> list[str]:
    """Why `task` may not run from `start` to `due`: a task it depends on is due after `start`, or a task that
    depends on it starts before `due` (finish-to-start, both ways)."""
    problems = [_("It depends on %(task)s, due %(due)s: it cannot start before that.", task=p.title,
                  due=p.due_date.isoformat())
                for p in task.depends_on if p.due_date is not None and p.due_date > start and not p.status.is_closed]
    successors = db.session.scalars(select(ChangeTask).join(TaskDependency, TaskDependency.task_id == ChangeTask.id)
                                    .where(TaskDependency.depends_on_id == task.id).order_by(ChangeTask.id)).all()
    for s in successors:
        first = s.start_date or s.due_date
        if first is not None and first < due and not s.status.is_closed:
            problems.append(_("%(task)s depends on it and starts %(start)s: it must be done by then.", task=s.title,
                              start=first.isoformat()))
    return problems


def reschedule_task(task: ChangeTask, *, start: date, due: date, version: int | None, actor: User | None) -> None:
    """Move a task's dates (a bar dragged on the timeline): refused when the page was stale, the dates are the
    wrong way round, or a dependency would break; recorded in the task's history like any edit."""
    _check_version(task, version)
    if due < start:
        raise ValidationFailed(_("The due date %(due)s is before the start date %(start)s.", due=due.isoformat(),
                                 start=start.isoformat()), field="due_date")
    problems = dependency_problems(task, start=start, due=due)
    if problems:
        raise ValidationFailed({"": problems})
    _update(task, actor, start_date=start, due_date=due)


def change_task(task: ChangeTask, *, version: int | None, actor: User | None, **changes) -> list[TaskChange]:
    """Change some of a task's fields (the API's PATCH): refused (StaleTask) when the task was saved since
    `version`; recorded in its history like any edit."""
    _check_version(task, version)
    return _update(task, actor, **changes)


def move_task(task: ChangeTask, *, status: TaskStatus, version: int | None, actor: User | None) -> None:
    """Move a task to another column of the board: its status changes, recorded in its history."""
    _check_version(task, version)
    _update(task, actor, status=status)
