"""Hypercare: logging a department's issues after its go-live, answering and resolving them, the response and
resolution times against the plan's targets, and whether each department meets the exit criteria.

A department is in hypercare from its wave's go-live for the plan's hypercare weeks. It leaves (exits) when
that period is over and every exit criterion holds:
- no critical or high issue open;
- of the issues whose resolution target has passed (resolved ones, and open ones already late), at least the
  policy's share resolved within the target;
- at most the policy's number of new issues in the last seven days (the inflow has settled).
While the criteria fail after the period, hypercare is extended. Times are on the clock, in hours.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.auth.models import User
from crmproject.auth.permissions import can_handle_hypercare
from crmproject.db import utcnow
from crmproject.dates import moment_shown
from crmproject.departments.models import Department
from crmproject.enums import LabelledEnum
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.hypercare.models import (HypercareIssue, HypercarePolicy, HypercareTarget, IssueCategory,
                                         IssueSeverity)
from crmproject.i18n import _, format_number, ngettext
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import Plan, Wave
from crmproject.plans.services import plan_zone

# hours: (first response, resolution); ITIL-style priorities as service desks commonly set them
DEFAULT_TARGETS: dict[IssueSeverity, tuple[Decimal, Decimal]] = {
    IssueSeverity.CRITICAL: (Decimal(1), Decimal(8)),
    IssueSeverity.HIGH: (Decimal(4), Decimal(24)),
    IssueSeverity.MEDIUM: (Decimal(8), Decimal(72)),
    IssueSeverity.LOW: (Decimal(24), Decimal(120)),
}
DEFAULT_WEEKS = 4
DEFAULT_ATTAINMENT = Decimal(90)
DEFAULT_MAX_WEEKLY_NEW = 5
BLOCKING_SEVERITIES = (IssueSeverity.CRITICAL, IssueSeverity.HIGH)
MAX_WEEKS = 52
MAX_HOURS = Decimal(24 * 365)


@dataclass(frozen=True)
class Target:
    response_hours: Decimal
    resolution_hours: Decimal


@dataclass(frozen=True)
class Policy:
    weeks: int
    resolution_attainment: Decimal
    max_weekly_new: int
    targets: dict[IssueSeverity, Target]


def policy(plan: Plan) -> Policy:
    """The plan's hypercare policy, the defaults where it has none."""
    row = _policy_row(plan)
    targets = {s: Target(*DEFAULT_TARGETS[s]) for s in IssueSeverity}
    if row is None:
        return Policy(DEFAULT_WEEKS, DEFAULT_ATTAINMENT, DEFAULT_MAX_WEEKLY_NEW, targets)
    targets.update({t.severity: Target(t.response_hours, t.resolution_hours) for t in row.targets})
    return Policy(row.weeks, row.resolution_attainment, row.max_weekly_new, targets)


def _policy_row(plan: Plan) -> HypercarePolicy | None:
    return db.session.scalar(select(HypercarePolicy).where(HypercarePolicy.plan_id == plan.id)
                             .options(selectinload(HypercarePolicy.targets)))


def policy_row(plan: Plan) -> HypercarePolicy:
    """The plan's policy row for its edit form: an unsaved one holding the defaults when it has none yet."""
    row = _policy_row(plan)
    if row is None:
        row = HypercarePolicy(plan_id=plan.id, weeks=DEFAULT_WEEKS, resolution_attainment=DEFAULT_ATTAINMENT,
                              max_weekly_new=DEFAULT_MAX_WEEKLY_NEW, version=1)
    return row


def save_policy(plan: Plan, values: Policy) -> HypercarePolicy:
    """Set the plan's hypercare period, exit criteria and targets."""
    errors: dict[str, str] = {}
    if not 1 <= values.weeks <= MAX_WEEKS:
        errors["weeks"] = _("Enter a number of weeks from 1 to %(n)s.", n=MAX_WEEKS)
    if not 0 <= values.resolution_attainment <= 100:
        errors["resolution_attainment"] = _("Enter a percentage from 0 to 100.")
    if values.max_weekly_new < 0:
        errors["max_weekly_new"] = _("Enter 0 or more.")
    for severity, target in values.targets.items():
        for name, hours in ((f"{severity.value}_response", target.response_hours),
                            (f"{severity.value}_resolution", target.resolution_hours)):
            if not 0 < hours <= MAX_HOURS:
                errors[name] = _("Enter a number of hours above 0 and at most %(n)s.", n=MAX_HOURS)
        if target.resolution_hours < target.response_hours and f"{severity.value}_resolution" not in errors:
            errors[f"{severity.value}_resolution"] = _("A resolution cannot be due before the first response.")
    if errors:
        raise ValidationFailed(errors)
    row = _policy_row(plan)
    if row is None:
        row = HypercarePolicy(plan_id=plan.id)
        db.session.add(row)
    row.weeks, row.resolution_attainment, row.max_weekly_new = (values.weeks, values.resolution_attainment,
                                                                values.max_weekly_new)
    kept = {t.severity: t for t in row.targets}
    for severity, target in values.targets.items():
        if severity not in kept:
            kept[severity] = HypercareTarget(severity=severity, response_hours=0, resolution_hours=0)
            row.targets.append(kept[severity])
        kept[severity].response_hours, kept[severity].resolution_hours = target.response_hours, target.resolution_hours
    db.session.flush()
    return row


# --- issues ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssueValues:
    department: Department | None
    title: str
    severity: IssueSeverity
    category: IssueCategory
    reported_at: datetime  # aware
    description: str = ""
    reported_by: str = ""
    handler: User | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str = ""


def go_lives(plan: Plan) -> dict[int, Wave]:
    """Each department of the plan's waves, with its wave (plan with waves loaded)."""
    return {a.department_id: w for w in plan.waves for a in w.assignments}


def department_choices(plan: Plan, user: User) -> list[Department]:
    """The plan's departments this user may log issues for: every one for planners, their own for a head."""
    waves = go_lives(plan)
    departments = [a.department for w in plan.waves for a in w.assignments]
    return sorted((d for d in departments if d.id in waves and can_handle_hypercare(user, d.id)),
                  key=lambda d: d.name.casefold())


def go_live_start(plan: Plan, wave: Wave) -> datetime:
    """The first moment of the go-live day in the plan's time zone."""
    return datetime.combine(wave.go_live_date, time.min, tzinfo=plan_zone(plan))


def _check(plan: Plan, values: IssueValues, *, now: datetime) -> None:
    errors: dict[str, str] = {}
    wave = go_lives(plan).get(values.department.id) if values.department is not None else None
    if values.department is None or wave is None:
        errors["department_id"] = _("Choose a department of this plan's waves.")
    elif values.reported_at < go_live_start(plan, wave):
        errors["reported_at"] = _("%(department)s goes live on %(day)s: hypercare issues are reported from then on.",
                                  department=values.department.name, day=wave.go_live_date.isoformat())
    if "reported_at" not in errors and values.reported_at > now + timedelta(minutes=5):
        errors["reported_at"] = _("An issue cannot be reported in the future.")
    for name, moment in (("first_response_at", values.first_response_at), ("resolved_at", values.resolved_at)):
        if moment is None:
            continue
        if moment < values.reported_at:
            errors[name] = _("This cannot be before the issue was reported (%(moment)s).",
                             moment=local_text(plan, values.reported_at))
        elif moment > now + timedelta(minutes=5):
            errors[name] = _("This cannot be in the future.")
    if (values.first_response_at and values.resolved_at and values.resolved_at < values.first_response_at
            and "resolved_at" not in errors):
        errors["resolved_at"] = _("An issue cannot be resolved before its first response.")
    if values.resolved_at is not None and not values.resolution.strip():
        errors["resolution"] = _("Say how the issue was resolved.")
    if errors:
        raise ValidationFailed(errors)


def log_issue(plan: Plan, values: IssueValues, *, actor: User | None, now: datetime | None = None) -> HypercareIssue:
    """Record an issue a department's people raised after its go-live. An issue recorded as resolved without a
    first response was first answered by its resolution."""
    now = now or utcnow()
    _check(plan, values, now=now)
    issue = HypercareIssue(plan_id=plan.id, created_by_id=actor.id if actor else None)
    _apply(issue, values, actor)
    db.session.add(issue)
    db.session.flush()
    return issue


def update_issue(issue: HypercareIssue, plan: Plan, values: IssueValues, *, actor: User | None,
                 now: datetime | None = None) -> None:
    """Correct an issue's record (its times too, when they were noted late)."""
    _check(plan, values, now=now or utcnow())
    _apply(issue, values, actor)
    db.session.flush()


def _apply(issue: HypercareIssue, values: IssueValues, actor: User | None) -> None:
    assert values.department is not None
    actor_id = actor.id if actor else None
    response = values.first_response_at or values.resolved_at
    if response is None:
        issue.responded_by_id = None
    elif issue.first_response_at is None:
        issue.responded_by_id = actor_id
    if values.resolved_at is None:
        issue.resolved_by_id = None
    elif issue.resolved_at is None:
        issue.resolved_by_id = actor_id
    issue.department_id = values.department.id
    issue.title, issue.description, issue.reported_by = values.title.strip(), values.description, values.reported_by.strip()
    issue.severity, issue.category, issue.reported_at = values.severity, values.category, values.reported_at
    issue.handler_id = values.handler.id if values.handler else None
    issue.first_response_at, issue.resolved_at = response, values.resolved_at
    issue.resolution = values.resolution.strip() if values.resolved_at else ""


def respond(issue: HypercareIssue, *, by: User | None, at: datetime | None = None) -> None:
    """The first answer to the reporter: the clock of the response target stops."""
    if issue.first_response_at is not None:
        raise ValidationFailed(_("This issue already had its first response."))
    issue.first_response_at = max(at or utcnow(), issue.reported_at)
    issue.responded_by_id = by.id if by else None
    if issue.handler_id is None and by is not None:
        issue.handler_id = by.id
    db.session.flush()


def resolve(issue: HypercareIssue, *, resolution: str, by: User | None, at: datetime | None = None) -> None:
    """Close the issue with what was done; an issue resolved at once was answered by its resolution."""
    if issue.resolved_at is not None:
        raise ValidationFailed(_("This issue is already resolved."))
    if not resolution.strip():
        raise ValidationFailed(_("Say how the issue was resolved."), field="resolution")
    moment = max(at or utcnow(), issue.reported_at)
    if issue.first_response_at is None:
        issue.first_response_at, issue.responded_by_id = moment, by.id if by else None
    issue.resolved_at, issue.resolution, issue.resolved_by_id = moment, resolution.strip(), by.id if by else None
    db.session.flush()


def reopen(issue: HypercareIssue) -> None:
    """The fix did not hold: open again, with its first response kept; its resolution clock runs on from the
    report, as the people who raised it see it."""
    if issue.resolved_at is None:
        raise ValidationFailed(_("This issue is open."))
    issue.resolved_at, issue.resolved_by_id = None, None
    db.session.flush()


def delete_issue(issue: HypercareIssue) -> None:
    db.session.delete(issue)
    db.session.flush()


# --- times against targets -----------------------------------------------------------------------------------

class Clock(LabelledEnum):
    MET = "met", _l("Within target")
    MISSED = "missed", _l("Target missed")
    RUNNING = "running", _l("Within target so far")
    LATE = "late", _l("Overdue")


def hours_between(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class IssueClock:
    """How an issue stands against its targets at `now`."""

    response_hours: Decimal | None  # None until the first response
    resolution_hours: Decimal | None  # None until resolved
    response: Clock
    resolution: Clock
    response_due: datetime
    resolution_due: datetime


def issue_clock(issue: HypercareIssue, target: Target, *, now: datetime) -> IssueClock:
    response_due = issue.reported_at + timedelta(hours=float(target.response_hours))
    resolution_due = issue.reported_at + timedelta(hours=float(target.resolution_hours))
    responded = hours_between(issue.reported_at, issue.first_response_at) if issue.first_response_at else None
    resolved = hours_between(issue.reported_at, issue.resolved_at) if issue.resolved_at else None
    return IssueClock(responded, resolved, _state(issue.first_response_at, response_due, now),
                      _state(issue.resolved_at, resolution_due, now), response_due, resolution_due)


def _state(done: datetime | None, due: datetime, now: datetime) -> Clock:
    if done is not None:
        return Clock.MET if done <= due else Clock.MISSED
    return Clock.RUNNING if now <= due else Clock.LATE


@dataclass
class ExitCheck:
    label: str
    met: bool
    detail: str


class HypercareState(LabelledEnum):
    NOT_LIVE = "not_live", _l("Not live yet")
    RUNNING = "running", _l("In hypercare")
    EXTENDED = "extended", _l("Extended")
    EXITED = "exited", _l("Exited")


@dataclass
class DepartmentHypercare:
    """A department's hypercare at `now`: its issues' figures and the exit criteria."""

    department_id: int
    name: str
    wave: str
    go_live: date
    ends: date  # the planned end of hypercare: go-live plus the policy's weeks
    state: HypercareState
    issues: int = 0
    open_by_severity: dict[IssueSeverity, int] = field(default_factory=dict)
    response_median: Decimal | None = None
    resolution_median: Decimal | None = None
    response_met: int = 0
    response_due: int = 0
    resolution_met: int = 0
    resolution_due: int = 0
    new_last_week: int = 0
    checks: list[ExitCheck] = field(default_factory=list)

    @property
    def open(self) -> int:
        return sum(self.open_by_severity.values())

    @property
    def response_share(self) -> Decimal | None:
        return _share(self.response_met, self.response_due)

    @property
    def resolution_share(self) -> Decimal | None:
        return _share(self.resolution_met, self.resolution_due)

    @property
    def criteria_met(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def failing(self) -> list[ExitCheck]:
        return [c for c in self.checks if not c.met]


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP) if whole else None


def _median(values: list[Decimal]) -> Decimal | None:
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.1"), ROUND_HALF_UP) if values else None


def plan_issues(plan: Plan, *, department_ids: Iterable[int] | None = None) -> list[HypercareIssue]:
    """The plan's issues, newest report first."""
    query = (select(HypercareIssue).where(HypercareIssue.plan_id == plan.id)
             .options(selectinload(HypercareIssue.department), selectinload(HypercareIssue.handler))
             .order_by(HypercareIssue.reported_at.desc(), HypercareIssue.id.desc()))
    if department_ids is not None:
        query = query.where(HypercareIssue.department_id.in_(list(department_ids)))
    return list(db.session.scalars(query))


def hypercare_by_department(plan: Plan, *, now: datetime, issues: Sequence[HypercareIssue] | None = None,
                            rules: Policy | None = None) -> dict[int, DepartmentHypercare]:
    """Every department of the plan's waves, by its id, in go-live order (plan with waves loaded)."""
    rules = rules or policy(plan)
    issues = plan_issues(plan) if issues is None else issues
    today = now.astimezone(plan_zone(plan)).date()
    by_department: dict[int, list[HypercareIssue]] = {}
    for issue in issues:
        by_department.setdefault(issue.department_id, []).append(issue)
    result: dict[int, DepartmentHypercare] = {}
    for wave in sorted(plan.waves, key=lambda w: (w.go_live_date, w.position)):
        for department in sorted((a.department for a in wave.assignments), key=lambda d: d.name.casefold()):
            result[department.id] = _department(department, wave, by_department.get(department.id, []), rules,
                                                now=now, today=today)
    return result


def _department(department: Department, wave: Wave, issues: list[HypercareIssue], rules: Policy, *,
                now: datetime, today: date) -> DepartmentHypercare:
    ends = wave.go_live_date + timedelta(weeks=rules.weeks)
    row = DepartmentHypercare(department.id, department.name, wave.name, wave.go_live_date, ends, HypercareState.NOT_LIVE,
                              issues=len(issues))
    if today < wave.go_live_date:
        return row
    clocks = [(i, issue_clock(i, rules.targets[i.severity], now=now)) for i in issues]
    row.open_by_severity = dict(Counter(i.severity for i in issues if i.is_open))
    row.response_median = _median([c.response_hours for _i, c in clocks if c.response_hours is not None])
    row.resolution_median = _median([c.resolution_hours for _i, c in clocks if c.resolution_hours is not None])
    row.response_due = sum(1 for _i, c in clocks if c.response != Clock.RUNNING)
    row.response_met = sum(1 for _i, c in clocks if c.response == Clock.MET)
    row.resolution_due = sum(1 for _i, c in clocks if c.resolution != Clock.RUNNING)
    row.resolution_met = sum(1 for _i, c in clocks if c.resolution == Clock.MET)
    row.new_last_week = sum(1 for i in issues if i.reported_at > now - timedelta(days=7))
    row.checks = _exit_checks(row, rules, today=today)
    if today < ends:
        row.state = HypercareState.RUNNING
    else:
        row.state = HypercareState.EXITED if row.criteria_met else HypercareState.EXTENDED
    return row


def _exit_checks(row: DepartmentHypercare, rules: Policy, *, today: date) -> list[ExitCheck]:
    blocking = sum(row.open_by_severity.get(s, 0) for s in BLOCKING_SEVERITIES)
    share = row.resolution_share
    return [
        ExitCheck(_("Planned hypercare period over"), today >= row.ends,
                  _("%(weeks)s weeks from the go-live: until %(day)s.", weeks=rules.weeks, day=row.ends.isoformat())),
        ExitCheck(_("No critical or high issue open"), blocking == 0,
                  ngettext("%(n)s critical or high issue open.", "%(n)s critical or high issues open.", blocking)),
        ExitCheck(_("Resolved within target"), share is None or share >= rules.resolution_attainment,
                  _("No issue has reached its resolution target yet.") if share is None else
                  _("%(met)s of %(due)s (%(share)s%%), at least %(goal)s%% needed.", met=row.resolution_met,
                    due=row.resolution_due, share=format_number(float(share)), goal=format_number(float(rules.resolution_attainment)))),
        ExitCheck(_("New issues settled"), row.new_last_week <= rules.max_weekly_new,
                  _("%(n)s new in the last seven days, at most %(max)s allowed.", n=row.new_last_week,
                    max=rules.max_weekly_new)),
    ]


def local_text(plan: Plan, moment: datetime | None) -> str:
    """A moment as the plan's people read it: in the plan's time zone, its date as the reader writes dates."""
    if moment is None:
        return ""
    return moment_shown(moment.astimezone(plan_zone(plan)))


@overload
def as_local(plan: Plan, moment: datetime) -> datetime: ...
@overload
def as_local(plan: Plan, moment: None) -> None: ...
def as_local(plan: Plan, moment: datetime | None) -> datetime | None:
    """A stored moment as the naive local time a form shows."""
    return moment.astimezone(plan_zone(plan)).replace(tzinfo=None) if moment else None


@overload
def from_local(plan: Plan, moment: datetime) -> datetime: ...
@overload
def from_local(plan: Plan, moment: None) -> None: ...
def from_local(plan: Plan, moment: datetime | None) -> datetime | None:
    """A naive local time typed into a form, in the plan's zone."""
    return moment.replace(tzinfo=plan_zone(plan)) if moment else None
