"""Steering committee meetings: planning one, its agenda built from the plan's figures, minutes, action items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from crmproject.auth.models import Role, User
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.gates import criteria
from crmproject.gates.models import GateDecision, PhaseGate
from crmproject.gates.services import list_gates
from crmproject.i18n import _, format_number
from crmproject.kpis.attainment import Rag
from crmproject.kpis.services import list_kpis
from crmproject.plans.models import Plan
from crmproject.reports.services import Submission
from crmproject.steering.models import MeetingAction, SteeringMeeting
from crmproject.tasks.models import ChangeTask, TaskPriority, TaskStatus
from crmproject.tasks.services import category_by_key, create_task, ensure_categories
from crmproject.teams.models import TeamRoleKind
from crmproject.teams.services import list_roles

# Gates the agenda brings up: due from a month before the meeting to two months after it, and not decided yet.
GATES_BEFORE, GATES_AFTER = timedelta(days=30), timedelta(days=60)
# The agenda's sections, in the order they are discussed
SECTIONS = ("gates", "adoption", "reports", "kpis", "tasks")


def section_title(key: str) -> str:
    return {
        "gates": _("Gates coming due"),
        "adoption": _("Departments fading or without effect"),
        "reports": _("Status reports overdue"),
        "kpis": _("KPIs in the red"),
        "tasks": _("Open critical change tasks"),
    }[key]


def list_meetings(plan: Plan) -> list[SteeringMeeting]:
    """Newest first."""
    return list(db.session.scalars(select(SteeringMeeting).where(SteeringMeeting.plan_id == plan.id)
                                   .order_by(SteeringMeeting.held_on.desc(), SteeringMeeting.id.desc())))


def leadership_users(plan: Plan, *, today: date) -> list[User]:
    """Who may attend: the users holding a seat of the plan's leadership group (sponsor, steering committee,
    project manager) today, and every active executive."""
    leading = (TeamRoleKind.EXECUTIVE_SPONSOR, TeamRoleKind.STEERING_COMMITTEE, TeamRoleKind.PROJECT_MANAGER)
    seated = {holder.user for role in list_roles(plan) if role.kind in leading
              for holder in [role.holder_on(today)] if holder is not None and holder.user is not None}
    executives = set(db.session.scalars(select(User).where(User.role == Role.EXECUTIVE, User.active.is_(True))))
    return sorted(seated | executives, key=lambda u: u.name.casefold())


def _check(plan: Plan, *, held_on: date | None, title: str, attendees: Sequence[User], today: date) -> None:
    errors: dict[str, str] = {}
    if held_on is None:
        errors["held_on"] = _("Give the meeting's date.")
    elif not plan.start_date - timedelta(days=365) <= held_on <= plan.end_date + timedelta(days=365):
        errors["held_on"] = _("The meeting must fall within a year of the plan's dates (%(start)s to %(end)s).",
                              start=plan.start_date.isoformat(), end=plan.end_date.isoformat())
    if not title.strip():
        errors["title"] = _("Give the meeting a title.")
    allowed = {u.id for u in leadership_users(plan, today=today)}
    if any(u.id not in allowed for u in attendees):
        errors["attendee_ids"] = _("Attendees come from the leadership group: the sponsor, the steering committee, "
                                   "the project manager and the executives.")
    if errors:
        raise ValidationFailed(errors)


def plan_meeting(plan: Plan, *, held_on: date | None, title: str, attendees: Sequence[User], today: date) -> SteeringMeeting:
    """A meeting with its agenda built from today's figures."""
    _check(plan, held_on=held_on, title=title, attendees=attendees, today=today)
    assert held_on is not None
    agenda = json.dumps(build_agenda(plan, held_on, today=today), ensure_ascii=False)  # before the insert: version 1
    meeting = SteeringMeeting(plan_id=plan.id, held_on=held_on, title=title.strip(), attendees=list(attendees),
                              agenda_json=agenda, agenda_built_on=today)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update_meeting(meeting: SteeringMeeting, plan: Plan, *, held_on: date | None, title: str,
                   attendees: Sequence[User], minutes: str, today: date) -> SteeringMeeting:
    _check(plan, held_on=held_on, title=title, attendees=attendees, today=today)
    assert held_on is not None
    meeting.held_on, meeting.title, meeting.attendees = held_on, title.strip(), list(attendees)
    meeting.minutes = minutes.strip()
    db.session.flush()
    return meeting


def delete_meeting(meeting: SteeringMeeting) -> None:
    """Its action items' change tasks stay: they are the project's work now."""
    db.session.delete(meeting)
    db.session.flush()


def rebuild_agenda(meeting: SteeringMeeting, plan: Plan, *, today: date) -> None:
    meeting.agenda_json = json.dumps(build_agenda(plan, meeting.held_on, today=today), ensure_ascii=False)
    meeting.agenda_built_on = today
    db.session.flush()


def build_agenda(plan: Plan, held_on: date, *, today: date) -> dict:
    """What the committee should look at, from the plan's figures today: {section key: [item, ...]}, where an
    item is {"text", "endpoint", "args"} (the page with its figures)."""
    evidence = criteria.gather(plan, today=today)
    gates = list_gates(plan)
    evaluations = {g.id: criteria.evaluate(g, evidence) for g in gates}
    agenda: dict[str, list[dict]] = {key: [] for key in SECTIONS}
    for gate in gates:
        if gate.decisions or not held_on - GATES_BEFORE <= gate.due <= held_on + GATES_AFTER:
            continue
        recommendation = evaluations[gate.id].recommendation
        agenda["gates"].append(_item(
            _("%(gate)s, due %(due)s: %(recommendation)s", gate=gate.name, due=gate.due.isoformat(),
              recommendation=recommendation.label if recommendation else _("no criteria yet")),
            "gates.show", gate_id=gate.id))
    department_id: int | None  # a KPI's may be None (whole plan)
    for department_id, verdict in sorted(evidence.verdicts.items(), key=lambda i: evidence.names.get(i[0], "")):
        if verdict.warning:
            agenda["adoption"].append(_item(
                _("%(department)s: %(shape)s (now %(latest)s%%)", department=evidence.names.get(department_id, "?"),
                  shape=verdict.shape.label, latest=format_number(verdict.latest) if verdict.latest is not None else "—"),
                "department_page.show", department_id=department_id))
    if evidence.report_period is not None:
        first, last = evidence.report_period
        for department_id, state in sorted(evidence.reports.items(), key=lambda i: evidence.names.get(i[0], "")):
            if state in (Submission.MISSING, Submission.DRAFT):
                agenda["reports"].append(_item(
                    _("%(department)s: no report for %(first)s to %(last)s", department=evidence.names.get(department_id, "?"),
                      first=first.isoformat(), last=last.isoformat()),
                    "reports.index"))
    kpi_names = {k.id: k.name for k in list_kpis(plan)}
    for kpi_id, department_id, status in evidence.kpi_statuses:
        if status == Rag.RED:
            where = evidence.names.get(department_id, "?") if department_id is not None else _("whole plan")
            agenda["kpis"].append(_item(_("%(kpi)s: %(where)s", kpi=kpi_names.get(kpi_id, "?"), where=where),
                                        "kpis.show", kpi_id=kpi_id))
    critical = db.session.execute(
        select(ChangeTask.id, ChangeTask.title, ChangeTask.due_date).where(
            ChangeTask.plan_id == plan.id, ChangeTask.priority == TaskPriority.CRITICAL,
            ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))
        .order_by(ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id)).all()
    for task_id, title, due in critical:
        late = due is not None and due < today
        text = _("%(title)s (due %(due)s, overdue)", title=title, due=due.isoformat()) if late and due is not None else \
            _("%(title)s (due %(due)s)", title=title, due=due.isoformat() if due else _("no date"))
        agenda["tasks"].append(_item(text, "tasks.show", task_id=task_id))
    return {"built_on": today.isoformat(), "sections": agenda}


def _item(text: str, endpoint: str, **args: int) -> dict:
    return {"text": text, "endpoint": endpoint, "args": args}


def decisions_at(meeting: SteeringMeeting) -> list[GateDecision]:
    """The gate decisions of the plan dated the meeting's day: what the committee decided at it."""
    return list(db.session.scalars(
        select(GateDecision).join(PhaseGate, PhaseGate.id == GateDecision.gate_id)
        .where(PhaseGate.plan_id == meeting.plan_id, GateDecision.decided_on == meeting.held_on)
        .order_by(GateDecision.id)))


@dataclass(frozen=True)
class ActionValues:
    text: str
    owner: User | None
    due: date | None


def add_action(meeting: SteeringMeeting, plan: Plan, values: ActionValues, *, actor: User | None) -> MeetingAction:
    """An action item, followed as a change task with its owner and due date."""
    errors: dict[str, str] = {}
    if not values.text.strip():
        errors["text"] = _("Say what is to be done.")
    if values.due is None:
        errors["due_date"] = _("Give the action a due date.")
    elif values.due < meeting.held_on:
        errors["due_date"] = _("The due date is before the meeting.")
    if errors:
        raise ValidationFailed(errors)
    assert values.due is not None
    category = category_by_key("leadership") or ensure_categories()[0]
    task = create_task(
        plan, title=_("Steering action: %(text)s", text=values.text.strip())[:300], category=category, actor=actor,
        owner=values.owner, due=values.due, priority=TaskPriority.HIGH,
        description=_("An action item of %(meeting)s on %(day)s.", meeting=meeting.title, day=meeting.held_on.isoformat()),
    )
    action = MeetingAction(text=values.text.strip()[:300], owner=values.owner, due_date=values.due, task=task)
    meeting.actions.append(action)
    db.session.flush()
    return action
