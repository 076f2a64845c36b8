"""What is due to be told now: each collector reads one feature's state and returns events (who, what kind, which
event, what it says, where it leads), only to users who may see the object (crmproject.auth.permissions).

An event's key names the event, not the moment it was noticed: a report overdue for one period is one event and the
next period's another; a task overdue since its due date is one event, and if its due date moves it is a new one.
Running the collectors twice finds the same events, and the unique key keeps them from being told twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, UTC
from typing import Any

from flask import url_for
from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import selectinload

from crmproject.auth.models import Role, User
from crmproject.auth.permissions import can_read_report, can_view, can_view_task, can_write_report
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.notifications.kinds import Kind
from crmproject.plans.models import Plan
from crmproject.reports.services import Submission, plan_today, reporting_matrix
from crmproject.tasks.models import ChangeTask, TaskChange, TaskStatus
from crmproject.teams.models import TeamAssignment, TeamRole, TeamRoleKind

DUE_SOON_DAYS = 3  # a task due within this many days is "due soon"
ASSIGNED_WITHIN_DAYS = 7  # an assignment older than this is not news (nor is a whole imported plan on first run)
GATE_NOTICE_DAYS = 14  # a gate to be decided within this many days is "coming up"
REPORT_PERIODS = 3  # the reporting periods looked at: the open one and the last that fell due


@dataclass
class Event:
    user: User
    kind: Kind
    key: str
    params: dict[str, Any]
    link: str
    plan_id: int | None = None


@dataclass
class Collected:
    events: list[Event] = field(default_factory=list)

    def add(self, users: Iterable[User | None], kind: Kind, key: str, params: dict[str, Any], link: str,
            plan_id: int | None, *, allowed=lambda user: True) -> None:
        seen = set()
        for user in users:
            if user is None or not user.active or user.id in seen or not allowed(user):
                continue
            seen.add(user.id)
            self.events.append(Event(user, kind, key, params, link, plan_id))


def running_plans() -> list[Plan]:
    """Plans running today (in their own time zone): from their start to a month after their end."""
    plans = db.session.scalars(select(Plan).options(selectinload(Plan.waves)).order_by(Plan.id)).all()
    return [p for p in plans if p.start_date <= plan_today(p) <= p.end_date + timedelta(days=31)]


def collect_all(*, today: date | None = None) -> list[Event]:
    """Every event due now, across the running plans. `today` overrides each plan's own today (tests)."""
    from crmproject.dashboard.services import Filters, build_dashboard

    found = Collected()
    for plan in running_plans():
        day = today or plan_today(plan)
        reports(found, plan, day)
        tasks(found, plan, day)
        gates(found, plan, day)
        board = build_dashboard(plan, Filters(), today=day) if plan.waves else None
        adoption(found, plan, day, board)
        digest(found, plan, day, board)
    mentions(found)
    return found.events


# --- who ------------------------------------------------------------------------------------------------------


def team_members(plan: Plan, kinds: tuple[TeamRoleKind, ...], day: date) -> list[User]:
    """Users holding a seat of these kinds on the plan's team on `day`."""
    return list(db.session.scalars(
        select(User).join(TeamAssignment, TeamAssignment.user_id == User.id)
        .join(TeamRole, TeamRole.id == TeamAssignment.team_role_id)
        .where(TeamRole.plan_id == plan.id, TeamRole.kind.in_(kinds), TeamAssignment.start_date <= day,
               (TeamAssignment.end_date.is_(None)) | (TeamAssignment.end_date >= day), User.active)
        .order_by(User.id).distinct()))


def _with_role(role: Role) -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == role, User.active).order_by(User.id)))


def steering_committee(plan: Plan, day: date) -> list[User]:
    """The plan's sponsor and steering committee members on its team; without any, every executive."""
    return (team_members(plan, (TeamRoleKind.EXECUTIVE_SPONSOR, TeamRoleKind.STEERING_COMMITTEE), day)
            or _with_role(Role.EXECUTIVE))


def project_managers(plan: Plan, day: date) -> list[User]:
    """The plan's project manager(s) on its team; without one, every user with the project manager's role."""
    return team_members(plan, (TeamRoleKind.PROJECT_MANAGER,), day) or _with_role(Role.PROJECT_MANAGER)


def leadership(plan: Plan, day: date) -> list[User]:
    """Who reads the weekly digest: the executives and the plan's sponsor and steering committee."""
    found = {u.id: u for u in _with_role(Role.EXECUTIVE)}
    for user in team_members(plan, (TeamRoleKind.EXECUTIVE_SPONSOR, TeamRoleKind.STEERING_COMMITTEE), day):
        found.setdefault(user.id, user)
    return list(found.values())


# --- collectors ------------------------------------------------------------------------------------------------


def reports(found: Collected, plan: Plan, day: date) -> None:
    """A department's report for a period that has begun and is not submitted: due until its due date (one
    reminder per period), overdue after (one more). Only the last few periods: a gap of last year is old news."""
    matrix = reporting_matrix(plan, today=day, count=REPORT_PERIODS, reports=False)
    heads = _heads([d.id for d in matrix.departments])
    for period in matrix.periods:
        for department in matrix.departments:
            state = matrix.cells[(department.id, period.start)].state
            if state in (Submission.OPEN, Submission.DRAFT) and period.start <= day <= period.due:
                kind = Kind.REPORT_DUE
            elif state == Submission.MISSING:
                kind = Kind.REPORT_OVERDUE
            else:
                continue
            params = {"department": department.name, "plan": plan.name, "start": period.start.isoformat(),
                      "end": period.end.isoformat(), "due": period.due.isoformat()}
            link = url_for("reports.write", plan_id=plan.id, department=department.id, period=period.start.isoformat())
            found.add(heads.get(department.id, []), kind, f"report:{plan.id}:{department.id}:{period.start.isoformat()}",
                      params, link, plan.id, allowed=lambda u, d=department: can_write_report(u, d.id))


def _heads(department_ids: list[int]) -> dict[int, list[User]]:
    heads: dict[int, list[User]] = {}
    for user in db.session.scalars(select(User).where(User.department_id.in_(department_ids),
                                                      User.role == Role.DEPARTMENT_HEAD, User.active)
                                   .order_by(User.id)):
        heads.setdefault(user.department_id, []).append(user)  # type: ignore[arg-type]
    return heads


def tasks(found: Collected, plan: Plan, day: date) -> None:
    """Open tasks with an owner: given to them lately, due soon, overdue, or blocked."""
    open_tasks = db.session.scalars(
        select(ChangeTask).where(ChangeTask.plan_id == plan.id, ChangeTask.owner_id.is_not(None),
                                 ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))
        .options(selectinload(ChangeTask.owner)).order_by(ChangeTask.id)).all()
    if not open_tasks:
        return
    latest = _latest_changes(plan, day)
    for task in open_tasks:
        owner = task.owner
        params = {"task": task.title, "plan": plan.name}
        link = url_for("tasks.show", plan_id=plan.id, task_id=task.id)

        def tell(kind: Kind, key: str, extra: dict[str, Any] | None = None, *, owner=owner, params=params, link=link,
                 task=task) -> None:  # (this task's, bound now: tell is called within this turn of the loop)
            found.add([owner], kind, key, {**params, **(extra or {})}, link, plan.id,
                      allowed=lambda u, t=task: can_view_task(u, t))

        assigned = latest.get((task.id, "owner"))
        if assigned is not None and assigned[2] != task.owner_id:
            tell(Kind.TASK_ASSIGNED, f"task:{task.id}:assigned:{assigned[0]}", {"by": assigned[1]})
        if task.due_date is not None:
            if task.due_date < day:
                tell(Kind.TASK_OVERDUE, f"task:{task.id}:overdue:{task.due_date.isoformat()}",
                     {"due": task.due_date.isoformat()})
            elif task.due_date <= day + timedelta(days=DUE_SOON_DAYS):
                tell(Kind.TASK_DUE_SOON, f"task:{task.id}:due:{task.due_date.isoformat()}",
                     {"due": task.due_date.isoformat()})
        if task.status == TaskStatus.BLOCKED:
            since = latest.get((task.id, "blocked"))
            tell(Kind.TASK_BLOCKED, f"task:{task.id}:blocked:{since[0] if since else 0}")


def _latest_changes(plan: Plan, day: date) -> dict[tuple[int, str], tuple[int, str, int | None]]:
    """Per task of the plan: the version, who (name) and by whom (id) of its latest assignment within
    ASSIGNED_WITHIN_DAYS (its creation with an owner, or a change of owner), and the version of the change that
    last made it blocked."""
    since = datetime.combine(day - timedelta(days=ASSIGNED_WITHIN_DAYS), time(0), UTC)
    rows = db.session.execute(
        select(TaskChange.task_id, TaskChange.field, TaskChange.new_value, TaskChange.version, TaskChange.changed_at,
               TaskChange.user_id, User.name)
        .join(ChangeTask, ChangeTask.id == TaskChange.task_id).outerjoin(User, User.id == TaskChange.user_id)
        .where(ChangeTask.plan_id == plan.id, ChangeTask.owner_id.is_not(None),
               (TaskChange.field.in_(["created", "owner"]) & (TaskChange.changed_at >= since))
               | ((TaskChange.field == "status") & (TaskChange.new_value == TaskStatus.BLOCKED.value)))
        .order_by(TaskChange.task_id, TaskChange.version)).all()
    found: dict[tuple[int, str], tuple[int, str, int | None]] = {}
    for task_id, field_name, _new, version, _at, user_id, name in rows:
        what = "blocked" if field_name == "status" else "owner"
        found[(task_id, what)] = (version, name or "", user_id)
    return found


def gates(found: Collected, plan: Plan, day: date) -> None:
    """A gate not yet decided whose day (its phase's end, its wave's go-live) is within GATE_NOTICE_DAYS."""
    from crmproject.gates.models import PhaseGate

    committee: list[User] | None = None
    for gate in db.session.scalars(select(PhaseGate).where(PhaseGate.plan_id == plan.id)
                                   .options(selectinload(PhaseGate.decisions), selectinload(PhaseGate.phase),
                                            selectinload(PhaseGate.wave)).order_by(PhaseGate.id)):
        if gate.decisions or not day <= gate.due <= day + timedelta(days=GATE_NOTICE_DAYS):
            continue
        committee = committee if committee is not None else steering_committee(plan, day)
        found.add(committee, Kind.GATE_UPCOMING, f"gate:{gate.id}:{gate.due.isoformat()}",
                  {"gate": gate.name, "plan": plan.name, "due": gate.due.isoformat()},
                  url_for("gates.show", plan_id=plan.id, gate_id=gate.id), plan.id, allowed=can_view)


def adoption(found: Collected, plan: Plan, day: date, board) -> None:
    """A department whose adoption verdict is fading or no effect (the dashboard's rules, on its `board`): its head
    and the project manager. A fade after a new peak is a new event; so is no effect after a new go-live."""
    if board is None:
        return
    warnings = board.warnings
    if not warnings:
        return
    heads = _heads([row.id for row in warnings])
    managers = project_managers(plan, day)
    for row in warnings:
        verdict = row.verdict
        since = verdict.peak_week if verdict.shape.value == "fading" else verdict.go_live
        params = {"department": row.name, "plan": plan.name, "shape": verdict.shape.value,
                  "peak": verdict.peak or 0, "latest": verdict.latest or 0, "weeks": verdict.weeks_live}
        found.add([*heads.get(row.id, []), *managers], Kind.ADOPTION_WARNING,
                  f"adoption:{plan.id}:{row.id}:{verdict.shape.value}:{since.isoformat() if since else ''}",
                  params, url_for("dashboard.show", plan_id=plan.id, department=row.id), plan.id, allowed=can_view)


def digest(found: Collected, plan: Plan, day: date, board) -> None:
    """Once a week (the first run on or after Monday), for the week before: the headline figures and what changed."""
    from crmproject.notifications.digest import week_summary

    end = day - timedelta(days=day.weekday() + 1)  # last Sunday
    readers = leadership(plan, day)
    if not readers or end < plan.start_date:
        return
    summary = week_summary(plan, end=end, board=board)
    year, week, _weekday = end.isocalendar()
    found.add(readers, Kind.WEEKLY_DIGEST, f"digest:{plan.id}:{year}-W{week:02d}", summary,
              url_for("dashboard.show", plan_id=plan.id), plan.id, allowed=can_view)


# --- mentions --------------------------------------------------------------------------------------------------


def mentions(found: Collected, *, mention_ids: Iterable[int] | None = None) -> None:
    """People named in comments and not yet told (the comments' signal tells them at once; this catches any it
    missed). A person named in a comment is one event (mention:<comment>:<person>), the same key whichever way it
    is told: an edit that drops the name and puts it back tells nobody again."""
    from crmproject.comments.models import Comment, CommentMention
    from crmproject.notifications.models import Notification

    told = select(Notification.id).where(
        Notification.user_id == CommentMention.user_id, Notification.kind == Kind.MENTION,
        Notification.event_key == literal("mention:") + cast(CommentMention.comment_id, String) + literal(":")
        + cast(CommentMention.user_id, String))
    query = (select(CommentMention).options(selectinload(CommentMention.comment).selectinload(Comment.author),
                                            selectinload(CommentMention.user))
             .order_by(CommentMention.id))
    query = query.where(CommentMention.id.in_(list(mention_ids)) if mention_ids is not None else ~told.exists())
    for mention in db.session.scalars(query):
        event = mention_event(mention)
        if event is not None:
            found.add([event.user], event.kind, event.key, event.params, event.link, event.plan_id,
                      allowed=lambda u, c=mention.comment: may_see_target(u, c.target_type, c.target_id))


def mention_event(mention) -> Event | None:
    comment = mention.comment
    if comment.author_id == mention.user_id:
        return None  # naming oneself tells nobody
    target, link = describe_target(comment.plan_id, comment.target_type, comment.target_id)
    if target is None:
        return None
    link = f"{link.partition('#')[0]}#comment-{comment.id}"  # at the comment, on its object's page
    from crmproject.comments.services import plain_body

    params = {"author": comment.author.name if comment.author else "", **target, "excerpt": plain_body(comment)[:300]}
    return Event(mention.user, Kind.MENTION, mention_key(comment.id, mention.user_id), params, link, comment.plan_id)


def mention_key(comment_id: int, user_id: int) -> str:
    return f"mention:{comment_id}:{user_id}"


def _target(target_type: str, target_id: int):
    from crmproject.gates.models import GateDecision
    from crmproject.kpis.models import Kpi
    from crmproject.reports.models import StatusReport

    model = {"change_tasks": ChangeTask, "status_reports": StatusReport, "kpis": Kpi,
             "gate_decisions": GateDecision}.get(target_type)
    return db.session.get(model, target_id) if model is not None else None


def describe_target(plan_id: int, target_type: str, target_id: int) -> tuple[dict[str, str] | None, str]:
    """What a comment is on, as values kinds.message() words in the reader's language, and its page."""
    obj = _target(target_type, target_id)
    if obj is None:
        return None, ""
    if target_type == "change_tasks":
        return {"on": "task", "name": obj.title}, url_for("tasks.show", plan_id=plan_id, task_id=obj.id)
    if target_type == "status_reports":
        department = db.session.get(Department, obj.department_id)
        return ({"on": "report", "name": department.name if department else "", "start": obj.period_start.isoformat()},
                url_for("reports.show", plan_id=plan_id, report_id=obj.id))
    if target_type == "kpis":
        return {"on": "kpi", "name": obj.name}, url_for("kpis.show", plan_id=plan_id, kpi_id=obj.id)
    return ({"on": "decision", "name": obj.gate.name},
            url_for("gates.show", plan_id=plan_id, gate_id=obj.gate_id))


def may_see_target(user: User, target_type: str, target_id: int) -> bool:
    """Whether `user` may open what a comment is on (a task, a report draft: by their own rules)."""
    obj = _target(target_type, target_id)
    if obj is None or not can_view(user):
        return False
    if target_type == "change_tasks":
        return can_view_task(user, obj)
    if target_type == "status_reports":
        return can_read_report(user, obj)
    return True

