"""Status reports: reporting periods, drafts, submission, amendments, and who has reported.

Periods follow the plan's setting: weekly and two-weekly periods count from
the plan's start, monthly ones are calendar months (the first and last are cut
to the plan). A report is due `GRACE_DAYS` after its period ends: submitted by
then it is on time, later it is late, and with none submitted by then the
department is missing.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.auth.models import User
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.enums import LabelledEnum
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Frequency, GoalFamily, Kpi
from crmproject.kpis.services import record_measurement
from crmproject.plans.models import Plan, ReportingPeriod, Wave, WaveDepartment
from crmproject.plans.services import plan_today, plan_zone  # noqa: F401 - also read as reports.plan_today
from crmproject.reports.models import ReportKpiValue, ReportStatus, StatusReport

GRACE_DAYS = 5


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def due(self) -> date:
        return self.end + timedelta(days=GRACE_DAYS)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_for(plan: Plan, day: date) -> Period:
    """The reporting period of the plan that contains `day` (clamped to the plan)."""
    day = min(max(day, plan.start_date), plan.end_date)
    if plan.reporting_period == ReportingPeriod.MONTHLY:
        start = max(day.replace(day=1), plan.start_date)
        end = min(day.replace(day=calendar.monthrange(day.year, day.month)[1]), plan.end_date)
        return Period(start, end)
    length = 7 if plan.reporting_period == ReportingPeriod.WEEKLY else 14
    index = (day - plan.start_date).days // length
    start = plan.start_date + timedelta(days=index * length)
    return Period(start, min(start + timedelta(days=length - 1), plan.end_date))


def periods(plan: Plan, *, until: date, count: int | None = None) -> list[Period]:
    """The plan's periods from its start to the one containing `until` (the last `count` of them), oldest first."""
    found = [period_for(plan, plan.start_date)]
    last = period_for(plan, until)
    while found[-1].end < last.end:
        found.append(period_for(plan, found[-1].end + timedelta(days=1)))
    return found[-count:] if count else found


def reporting_departments(plan: Plan) -> list[Department]:
    """Departments in the plan's waves report; a plan without waves has every department report."""
    assigned = db.session.scalars(
        select(Department).join(WaveDepartment, WaveDepartment.department_id == Department.id)
        .where(WaveDepartment.plan_id == plan.id).order_by(collated(Department.name))
    ).all()
    return list(assigned) or list(db.session.scalars(select(Department).order_by(collated(Department.name))))


def kpis_due(plan: Plan, department: Department, period: Period) -> list[Kpi]:
    """The department's KPIs whose measurement falls due in the period (weekly: every period;
    monthly: a period that holds a month's end; quarterly: one that holds a quarter's end).
    Adoption KPIs fall due only once the department has gone live."""
    kpis = db.session.scalars(
        select(Kpi).where(Kpi.plan_id == plan.id, (Kpi.department_id.is_(None)) | (Kpi.department_id == department.id))
        .order_by(Kpi.name)
    ).all()

    def month_ends() -> list[date]:
        ends, day = [], period.start
        while day <= period.end:
            last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
            if last <= period.end:
                ends.append(last)
            day = last + timedelta(days=1)
        return ends

    ends = month_ends()
    go_live = db.session.scalar(
        select(func.min(Wave.go_live_date)).join(WaveDepartment, WaveDepartment.wave_id == Wave.id)
        .where(WaveDepartment.plan_id == plan.id, WaveDepartment.department_id == department.id)
    )
    due = []
    for kpi in kpis:
        if kpi.goal_family == GoalFamily.ADOPTION and (go_live is None or go_live > period.end):
            continue  # adoption is measured from the department's go-live on
        # one rule a branch: every report, a month's last report, a quarter's last report
        if kpi.frequency == Frequency.WEEKLY or plan.reporting_period == ReportingPeriod.MONTHLY and kpi.frequency == Frequency.MONTHLY:  # noqa: SIM114
            due.append(kpi)
        elif kpi.frequency == Frequency.MONTHLY and ends:  # noqa: SIM114
            due.append(kpi)
        elif kpi.frequency == Frequency.QUARTERLY and any(e.month in (3, 6, 9, 12) for e in ends):
            due.append(kpi)
    return due


def reports_of(plan: Plan, department: Department, period: Period) -> list[StatusReport]:
    """Every revision of a department's report for a period, newest first."""
    return list(db.session.scalars(
        select(StatusReport).where(StatusReport.plan_id == plan.id, StatusReport.department_id == department.id,
                                   StatusReport.period_start == period.start)
        .options(selectinload(StatusReport.values), selectinload(StatusReport.author))
        .order_by(StatusReport.revision.desc())
    ))


def start_report(plan: Plan, department: Department, period: Period, *, author: User | None) -> StatusReport:
    """Open a draft for the period. A second report for the same period is refused: amend the first."""
    if reports_of(plan, department, period):
        raise ValidationFailed(_(
            "%(department)s already has a report for %(start)s to %(end)s; open it and amend it instead.",
            department=department.name, start=period.start.isoformat(), end=period.end.isoformat()))
    report = StatusReport(plan_id=plan.id, department=department, period_start=period.start, period_end=period.end,
                          revision=1, status=ReportStatus.DRAFT, author=author)
    db.session.add(report)
    db.session.flush()
    return report


@dataclass
class ReportContent:
    overall_rag: Rag | None
    achievements: str = ""
    blockers: str = ""
    next_steps: str = ""
    help_needed: str = ""
    values: Mapping[int, Decimal | None] | None = None  # kpi id -> value


def save_draft(report: StatusReport, content: ReportContent, *, author: User | None) -> StatusReport:
    """Keep what has been written so far; values may be missing in a draft."""
    if report.status != ReportStatus.DRAFT:
        raise ValidationFailed(_("This report has been submitted and is read-only; amend it to change it."))
    report.overall_rag = content.overall_rag
    report.achievements, report.blockers = content.achievements.strip(), content.blockers.strip()
    report.next_steps, report.help_needed = content.next_steps.strip(), content.help_needed.strip()
    report.author = author or report.author
    if content.values is not None:
        report.values = [ReportKpiValue(kpi_id=kpi_id, value=value) for kpi_id, value in content.values.items() if value is not None]
    db.session.flush()
    return report


def submission_problems(content: ReportContent, due_kpis: Sequence[Kpi]) -> dict[str, str]:
    """What a report lacks to be submitted, by field: every text, the overall status and every due KPI's value."""
    errors: dict[str, str] = {}
    if content.overall_rag is None:
        errors["overall_rag"] = _("Give the overall status: red, amber or green.")
    if not content.achievements.strip():
        errors["achievements"] = _("Say what was achieved in the period.")
    if not content.next_steps.strip():
        errors["next_steps"] = _("Say what comes next.")
    values = content.values or {}
    for kpi in due_kpis:
        if values.get(kpi.id) is None:
            errors[f"kpi-{kpi.id}"] = _("Enter the value of %(name)s for this period.", name=kpi.name)
    return errors


def submit(report: StatusReport, content: ReportContent, *, author: User | None, due_kpis: Sequence[Kpi],
           now: datetime | None = None) -> StatusReport:
    """Submit: every field and every due KPI value is required; the values become measurements dated the period's end.

    Submitting an amendment supersedes the earlier revision.
    """
    errors = submission_problems(content, due_kpis)
    if errors:
        raise ValidationFailed(errors)
    values = content.values or {}
    save_draft(report, content, author=author)
    # a report sent before its period ends gives the values as of its sending day (so they count at once)
    measured_on = min(report.period_end, max(report.period_start, (now or utcnow()).date()))
    for kpi in due_kpis:
        value = values[kpi.id]
        assert value is not None  # refused above when missing
        record_measurement(kpi, measured_on=measured_on, value=value, department=report.department,
                           entered_by=author, note=_("Status report %(start)s to %(end)s", start=report.period_start.isoformat(),
                                                     end=report.period_end.isoformat()))
    for earlier in db.session.scalars(select(StatusReport).where(
        StatusReport.plan_id == report.plan_id, StatusReport.department_id == report.department_id,
        StatusReport.period_start == report.period_start, StatusReport.id != report.id,
        StatusReport.status == ReportStatus.SUBMITTED,
    )):
        earlier.status = ReportStatus.SUPERSEDED
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now or utcnow()
    db.session.flush()
    return report


def amend(report: StatusReport, *, author: User | None) -> StatusReport:
    """A new draft revision copying a submitted report; the submitted one stays until the amendment is submitted."""
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationFailed(_("Only the submitted revision can be amended."))
    if any(r.status == ReportStatus.DRAFT for r in reports_of_report(report)):
        raise ValidationFailed(_("An amendment of this report is already being written."))
    newest = max(r.revision for r in reports_of_report(report))
    draft = StatusReport(
        plan_id=report.plan_id, department_id=report.department_id, period_start=report.period_start,
        period_end=report.period_end, revision=newest + 1, status=ReportStatus.DRAFT, overall_rag=report.overall_rag,
        achievements=report.achievements, blockers=report.blockers, next_steps=report.next_steps,
        help_needed=report.help_needed, author=author,
        values=[ReportKpiValue(kpi_id=v.kpi_id, value=v.value) for v in report.values],
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def reports_of_report(report: StatusReport) -> list[StatusReport]:
    return list(db.session.scalars(select(StatusReport).where(
        StatusReport.plan_id == report.plan_id, StatusReport.department_id == report.department_id,
        StatusReport.period_start == report.period_start).order_by(StatusReport.revision.desc())))


class Submission(LabelledEnum):
    ON_TIME = "on_time", _l("Submitted")
    LATE = "late", _l("Submitted late")
    MISSING = "missing", _l("Missing")
    DRAFT = "draft", _l("Draft, not submitted")
    OPEN = "open", _l("Not due yet")


@dataclass(frozen=True)
class MatrixCell:
    state: Submission
    report: StatusReport | None  # the newest submitted revision, else the draft
    draft: StatusReport | None = None  # a draft (first report or amendment) still being written


@dataclass(frozen=True)
class ReportingMatrix:
    periods: list[Period]
    departments: list[Department]
    cells: dict[tuple[int, date], MatrixCell]

    def overdue(self) -> list[tuple[Department, Period]]:
        return [(d, p) for p in self.periods for d in self.departments if self.cells[(d.id, p.start)].state == Submission.MISSING]


def reporting_matrix(plan: Plan, *, today: date, count: int = 6, reports: bool = True) -> ReportingMatrix:
    """Departments against the last `count` periods: on time, late, missing, draft or not due yet. Two queries.
    Without `reports`, the cells hold the states only (no report objects: what the dashboard needs)."""
    shown = periods(plan, until=today, count=count)
    departments = reporting_departments(plan)
    zone = plan_zone(plan)  # "on time" is judged by the plan's calendar, not the server's
    first_submission = {
        (department_id, period_start): submitted_at
        for department_id, period_start, submitted_at in db.session.execute(
            select(StatusReport.department_id, StatusReport.period_start, func.min(StatusReport.submitted_at))
            .where(StatusReport.plan_id == plan.id, StatusReport.submitted_at.is_not(None),
                   StatusReport.period_start >= shown[0].start)
            .group_by(StatusReport.department_id, StatusReport.period_start)
        )
    }
    latest: dict[tuple[int, date], StatusReport] = {}
    drafts: dict[tuple[int, date], StatusReport | None] = {}
    report: StatusReport | None
    if reports:
        for report in db.session.scalars(select(StatusReport).where(
                StatusReport.plan_id == plan.id, StatusReport.period_start >= shown[0].start)
                .order_by(StatusReport.revision)):
            key = (report.department_id, report.period_start)
            if report.status == ReportStatus.DRAFT:
                drafts[key] = report
            elif report.status == ReportStatus.SUBMITTED:
                latest[key] = report
    else:  # only whether a draft is open matters to the states
        for department_id, period_start in db.session.execute(
                select(StatusReport.department_id, StatusReport.period_start).distinct()
                .where(StatusReport.plan_id == plan.id, StatusReport.period_start >= shown[0].start,
                       StatusReport.status == ReportStatus.DRAFT)):
            drafts[(department_id, period_start)] = None
    cells = {}
    for period in shown:
        for department in departments:
            key = (department.id, period.start)
            submitted = first_submission.get(key)
            report, draft = latest.get(key), drafts.get(key)
            if submitted is not None:
                local_day = submitted.astimezone(zone).date()
                state = Submission.ON_TIME if local_day <= period.due else Submission.LATE
            elif today > period.due:
                state = Submission.MISSING
            elif key in drafts:
                state = Submission.DRAFT
            else:
                state = Submission.OPEN
            cells[key] = MatrixCell(state, report or draft, draft)
    return ReportingMatrix(shown, departments, cells)


def period_reports(plan: Plan, period: Period, *, include_drafts_of=lambda report: False) -> list[StatusReport]:
    """Each department's report for a period: its submitted revision, or its draft where
    `include_drafts_of(draft)` allows (a reader who may see drafts); by department name."""
    submitted: dict[int, StatusReport] = {}
    drafts: dict[int, StatusReport] = {}
    for report in db.session.scalars(
        select(StatusReport).where(StatusReport.plan_id == plan.id, StatusReport.period_start == period.start)
        .options(selectinload(StatusReport.department), selectinload(StatusReport.values).selectinload(ReportKpiValue.kpi))
        .order_by(StatusReport.revision)
    ):
        if report.status == ReportStatus.SUBMITTED:
            submitted[report.department_id] = report
        elif report.status == ReportStatus.DRAFT and include_drafts_of(report):
            drafts[report.department_id] = report
    chosen = {**drafts, **submitted} if drafts else submitted
    return sorted(chosen.values(), key=lambda r: r.department.name)


def history(plan: Plan, department: Department, *, since: date | None = None) -> list[StatusReport]:
    """A department's reports in the plan (of the periods starting on or after `since`), newest period first,
    every revision."""
    where = [StatusReport.plan_id == plan.id, StatusReport.department_id == department.id]
    if since is not None:
        where.append(StatusReport.period_start >= since)
    return list(db.session.scalars(
        select(StatusReport).where(*where)
        .options(selectinload(StatusReport.author), selectinload(StatusReport.values).selectinload(ReportKpiValue.kpi))
        .order_by(StatusReport.period_start.desc(), StatusReport.revision.desc())
    ))
