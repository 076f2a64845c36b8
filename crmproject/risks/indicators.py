"""Indicators: what the plan's own figures say about some of its risks, read each time the register is shown.

Each indicator reads one thing (the sponsor's seat, late change tasks, the data-quality KPIs, training before a
go-live, the status reports) and, when it finds trouble, raises the likelihood of the catalogue's risks it
belongs to (crmproject.risks.catalogue: Factor.indicators) by one or two levels, with a sentence saying why.
The stored likelihood is the project manager's judgement and is never changed: the register shows both."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import GoalFamily, Kpi
from crmproject.kpis.services import latest_statuses, list_kpis
from crmproject.plans.models import Plan
from crmproject.reports.services import Submission, reporting_matrix
from crmproject.risks import catalogue
from crmproject.tasks.models import ChangeTask, TaskStatus
from crmproject.teams.models import TeamRoleKind
from crmproject.teams.services import team_overview
from crmproject.training.completion import completion_by_department

TRAINING_TARGET = 90  # percent of mandatory enrolments completed before a go-live
TRAINING_WINDOW_DAYS = 14  # how far ahead a go-live makes lagging training a risk
OVERDUE_SHARE_HIGH = 25  # percent of the open tasks past due that raises change management by two


@dataclass(frozen=True)
class Signal:
    """One indicator's finding: raise the likelihood by `raise_by`, because of `reason`."""

    indicator: str
    raise_by: int
    reason: str


def is_data_quality_kpi(kpi: Kpi) -> bool:
    """A KPI of the data-quality goal family, or one whose name says data quality (a plan may file it under
    another family, e.g. a duplicate rate under efficiency)."""
    name = kpi.name.casefold()
    return kpi.goal_family == GoalFamily.DATA_QUALITY or "data quality" in name or "data-quality" in name


def _sponsor(plan: Plan, today: date) -> list[Signal]:
    seats = [r for r in team_overview(plan, today=today).roles if r.role.kind == TeamRoleKind.EXECUTIVE_SPONSOR]
    if not seats:
        return [Signal(catalogue.SPONSOR_VACANT, 2, _("The project team has no executive sponsor seat."))]
    if any(not seat.vacant for seat in seats):
        return []
    seat = seats[0]
    ended = [a.end_date for a in seat.history if a.end_date is not None and a.end_date < today]
    if ended:
        reason = _("The executive sponsor's seat (%(seat)s) has been vacant since %(day)s.", seat=seat.role.title,
                   day=(max(ended) + timedelta(days=1)).isoformat())
    else:
        reason = _("The executive sponsor's seat (%(seat)s) is vacant.", seat=seat.role.title)
    return [Signal(catalogue.SPONSOR_VACANT, 2, reason)]


def _overdue_tasks(plan: Plan, today: date) -> list[Signal]:
    open_filter = (ChangeTask.plan_id == plan.id, ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))
    open_count = db.session.scalar(select(func.count()).select_from(ChangeTask).where(*open_filter)) or 0
    overdue = db.session.scalar(select(func.count()).select_from(ChangeTask).where(
        *open_filter, ChangeTask.due_date < today)) or 0
    if not overdue:
        return []
    share = round(overdue * 100 / open_count)
    reason = _("%(late)s of %(open)s open change tasks (%(share)s%%) are past their due date.", late=overdue,
               open=open_count, share=share)
    return [Signal(catalogue.TASKS_OVERDUE, 2 if share >= OVERDUE_SHARE_HIGH else 1, reason)]


def _data_quality(plan: Plan, today: date, names: dict[int, str]) -> list[Signal]:
    kpis = [k for k in list_kpis(plan) if is_data_quality_kpi(k)]
    red = [(kpi_id, department_id) for kpi_id, department_id, status in latest_statuses(kpis, today=today)
           if status == Rag.RED]
    if not red:
        return []
    by_kpi: dict[int, list[str]] = defaultdict(list)
    for kpi_id, department_id in red:
        by_kpi[kpi_id].append(names.get(department_id, "?") if department_id is not None else _("plan-wide"))
    named = {k.id: k.name for k in kpis}
    parts = [f"{named[kpi_id]} ({', '.join(sorted(where, key=str.casefold))})" for kpi_id, where in by_kpi.items()]
    reason = _("The latest figure of a data-quality KPI is red: %(kpis)s.", kpis="; ".join(sorted(parts)))
    return [Signal(catalogue.DATA_QUALITY_RED, 2, reason)]


def _training(plan: Plan, today: date, names: dict[int, str]) -> list[Signal]:
    soon = {a.department_id: w.go_live_date for w in plan.waves for a in w.assignments
            if today <= w.go_live_date <= today + timedelta(days=TRAINING_WINDOW_DAYS)}
    if not soon:
        return []
    behind = []
    for row in completion_by_department(mandatory_only=True, today=today):
        percent = row.completion.percent
        if row.department_id in soon and percent is not None and percent < TRAINING_TARGET:
            behind.append(_("%(department)s goes live on %(day)s with %(done)s%% of its mandatory training completed",
                            department=row.department_name, day=soon[row.department_id].isoformat(), done=percent))
    if not behind:
        return []
    reason = _("Training below the %(target)s%% target two weeks before a go-live: %(departments)s.",
               target=TRAINING_TARGET, departments="; ".join(behind))
    return [Signal(catalogue.TRAINING_BEHIND, 2, reason)]


def _reports(plan: Plan, today: date) -> list[Signal]:
    matrix = reporting_matrix(plan, today=today, count=3, reports=False)
    due = [p for p in matrix.periods if p.due < today]
    if not due or not matrix.departments:
        return []
    period = due[-1]
    missing = [d.name for d in matrix.departments if matrix.cells[(d.id, period.start)].state == Submission.MISSING]
    if not missing:
        return []
    reason = _("%(n)s of %(total)s status reports for %(first)s to %(last)s are missing: %(departments)s.",
               n=len(missing), total=len(matrix.departments), first=period.start.isoformat(),
               last=period.end.isoformat(), departments=", ".join(missing))
    return [Signal(catalogue.REPORTS_MISSING, 1, reason)]


def plan_signals(plan: Plan, *, today: date) -> dict[str, list[Signal]]:
    """Each catalogue factor's signals found in the plan's figures on `today` (plan with waves loaded)."""
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    found = (_sponsor(plan, today) + _overdue_tasks(plan, today) + _data_quality(plan, today, names)
             + _training(plan, today, names) + _reports(plan, today))
    by_factor: dict[str, list[Signal]] = defaultdict(list)
    for factor in catalogue.FACTORS:
        for signal in found:
            if signal.indicator in factor.indicators:
                by_factor[factor.key].append(signal)
    return dict(by_factor)
