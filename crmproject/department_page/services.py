"""The department page: everything about one department, gathered from the features (its go-lives and
waves, team seats, tasks, KPIs, reports, adoption, training, pulse, maturity and risks). A page above the features
it reads, as the dashboard is: they never import it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from crmproject.adoption.services import department_shapes, shape_rules, weekly_figures
from crmproject.adoption.shapes import ShapeRules, Verdict, week_of
from crmproject.auth.models import User
from crmproject.auth.permissions import can_read_report, task_department_scope
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.kpis.models import Kpi
from crmproject.kpis.services import DepartmentAttainment, latest_attainment
from crmproject.maturity import services as maturity
from crmproject.maturity.blocks import BLOCKS, level_label
from crmproject.plans.models import Plan, Wave
from crmproject.plans.services import department_waves, load_plan, plan_today, plan_zone
from crmproject.reports.models import ReportStatus, StatusReport
from crmproject.reports.services import Period, Submission, periods
from crmproject.reports.services import history as report_history
from crmproject.risks.services import department_risks
from crmproject.tasks.models import ChangeTask, TaskStatus
from crmproject.tasks.services import open_tasks_of_department
from crmproject.teams.models import TeamAssignment, TeamRole
from crmproject.training import completion as training_completion
from crmproject.training import services as training
from crmproject.training.completion import CompletionCell


REPORT_PERIODS_SHOWN = 6


@dataclass(frozen=True)
class GoLive:
    """A wave that takes the department live, and how far its go-live is from today."""

    wave: Wave
    days: int  # go-live minus today: positive while ahead, negative once live

    @property
    def is_live(self) -> bool:
        return self.days <= 0


@dataclass(frozen=True)
class TeamSeat:
    """A current seat on a plan's project team that concerns the department.

    Either its holder is a user of the department, or the seat is tied to the
    department (a key user of a pilot department); such a seat may be vacant.
    """

    role: TeamRole
    holder: TeamAssignment | None

    @property
    def flagged(self) -> bool:
        """A required seat nobody holds today."""
        return self.holder is None and self.role.required


@dataclass(frozen=True)
class TaskSummary:
    """The department's change tasks across plans: the soonest open ones and the counts."""

    open_tasks: list[ChangeTask]
    open_total: int
    by_status: dict[TaskStatus, int]
    overdue: int


@dataclass(frozen=True)
class KpiRow:
    """A KPI that concerns the department, with its latest attainment for it (None: not measured yet)."""

    kpi: Kpi
    latest: DepartmentAttainment | None


@dataclass(frozen=True)
class AdoptionShape:
    """The shape of the department's adoption since its go-live in a plan, and the plan's rules."""

    plan: Plan
    go_live: date
    verdict: Verdict
    rules: ShapeRules

    @property
    def explanation(self) -> str:
        return self.verdict.explanation(self.rules)


@dataclass(frozen=True)
class ReportPeriod:
    """One reporting period of the department in a plan: its state and the revisions the viewer may read."""

    period: Period
    state: Submission
    reports: list[StatusReport]  # newest revision first

    @property
    def current(self) -> StatusReport | None:
        """The submitted revision, else a draft (only drafts the viewer may read are listed)."""
        return next((r for r in self.reports if r.status == ReportStatus.SUBMITTED), self.reports[0] if self.reports else None)


@dataclass(frozen=True)
class PlanReports:
    plan: Plan
    periods: list[ReportPeriod]  # newest first


@dataclass(frozen=True)
class DepartmentOverview:
    department: Department
    today: date
    heads: list[User]
    go_lives: list[GoLive]
    team: list[TeamSeat]
    tasks: TaskSummary | None  # None: the viewer may not see this department's tasks
    kpis: list[KpiRow]
    adoption_shape: AdoptionShape | None
    reports: list[PlanReports]
    training_cells: list[CompletionCell]
    mandatory_course_ids: set[int]

    @property
    def next_go_live(self) -> GoLive | None:
        """The next go-live ahead, else the most recent one."""
        ahead = [g for g in self.go_lives if g.days >= 0]
        return ahead[0] if ahead else (self.go_lives[-1] if self.go_lives else None)


def department_overview(department: Department, *, viewer: User, today: date | None = None) -> DepartmentOverview:
    """Everything the department page shows, as the viewer may see it.

    The number of queries depends on the number of plans the department is
    in, never on how many tasks, KPIs, reports or team seats it has.
    """
    waves = department_waves(department)
    if today is None:  # the calendar of the department's (first) plan, as on that plan's dashboard
        today = plan_today(waves[0].plan) if waves else date.today()
    scope = task_department_scope(viewer)
    return DepartmentOverview(
        department=department,
        today=today,
        heads=list(department.heads),
        go_lives=[GoLive(w, (w.go_live_date - today).days) for w in waves],
        team=_team_seats(department, today=today),
        tasks=_task_summary(department, today=today) if scope is True or scope == department.id else None,
        kpis=_kpi_rows(department, plan_ids={w.plan_id for w in waves}, today=today),
        adoption_shape=_adoption_shape(department, waves[0], today=today) if waves else None,
        reports=[_plan_reports(plan, department, viewer=viewer, today=today) for plan in _plans_of(waves)],
        training_cells=training_completion.completion_cells(department_id=department.id, today=today),
        mandatory_course_ids={c.id for c in training.list_courses() if c.mandatory},
    )


def _plans_of(waves: list[Wave]) -> list[Plan]:
    plans = {w.plan_id: w.plan for w in waves}
    return sorted(plans.values(), key=lambda p: p.name.casefold())


def _team_seats(department: Department, *, today: date) -> list[TeamSeat]:
    """Seats held today by the department's users, and seats tied to the department: two to four queries."""
    current = and_(TeamAssignment.start_date <= today,
                   or_(TeamAssignment.end_date.is_(None), TeamAssignment.end_date >= today))
    held_here = (select(TeamAssignment.team_role_id).join(User, User.id == TeamAssignment.user_id)
                 .where(User.department_id == department.id, current))
    roles = db.session.scalars(
        select(TeamRole).where(or_(TeamRole.department_id == department.id, TeamRole.id.in_(held_here)))
        .options(selectinload(TeamRole.assignments).selectinload(TeamAssignment.user), selectinload(TeamRole.plan))
    )
    seats = []
    for role in roles:
        holder = role.holder_on(today)
        mine = holder is not None and holder.user is not None and holder.user.department_id == department.id
        if role.department_id == department.id or mine:
            seats.append(TeamSeat(role, holder))
    return sorted(seats, key=lambda s: (s.role.plan.name.casefold(), s.role.position, s.role.id))


def _task_summary(department: Department, *, today: date) -> TaskSummary:
    closed = [TaskStatus.DONE, TaskStatus.CANCELLED]
    overdue = case((and_(ChangeTask.due_date < today, ChangeTask.status.not_in(closed)), 1), else_=0)
    by_status = {s: 0 for s in TaskStatus}
    late = 0
    for status, n, n_overdue in db.session.execute(
        select(ChangeTask.status, func.count(), func.sum(overdue))
        .where(ChangeTask.department_id == department.id).group_by(ChangeTask.status)
    ):
        by_status[TaskStatus(status)] = n
        late += n_overdue or 0
    open_tasks, open_total = open_tasks_of_department(department.id)
    return TaskSummary(open_tasks, open_total, by_status, late)


def _kpi_rows(department: Department, *, plan_ids: set[int], today: date) -> list[KpiRow]:
    """The department's own KPIs and the plan-wide KPIs of its plans it has values for, with the latest value."""
    own = Kpi.department_id == department.id
    kpis = list(db.session.scalars(
        select(Kpi).where(or_(own, and_(Kpi.plan_id.in_(plan_ids), Kpi.department_id.is_(None))) if plan_ids else own)
        .options(selectinload(Kpi.targets), selectinload(Kpi.plan))  # path_of reads the targets
    ))
    latest = {a.kpi.id: a for a in latest_attainment(kpis, today=today, department_id=department.id)}
    rows = [KpiRow(k, latest.get(k.id)) for k in kpis if k.id in latest or k.department_id == department.id]
    return sorted(rows, key=lambda r: (r.kpi.plan.name.casefold(), r.kpi.name.casefold()))


def _adoption_shape(department: Department, wave: Wave, *, today: date) -> AdoptionShape:
    """The shape since the department's first go-live (the wave the adoption chart's plan comes from)."""
    rules = shape_rules(wave.plan)
    weekly = weekly_figures([department.id], first=week_of(wave.go_live_date), last=today)
    verdict = department_shapes({department.id: wave.go_live_date}, weekly, today=today, rules=rules)[department.id]
    return AdoptionShape(wave.plan, wave.go_live_date, verdict, rules)


def _plan_reports(plan: Plan, department: Department, *, viewer: User, today: date) -> PlanReports:
    """The last few periods of the plan up to today, newest first, with the revisions the viewer may read.

    The state follows the plan's reporting matrix: submitted on time or late
    (by the first submission, in the plan's time zone), missing once past
    due, a draft, or not due yet. A draft the viewer may not read counts as
    no report at all.
    """
    if plan.start_date > today:
        return PlanReports(plan, [])
    shown = periods(plan, until=today, count=REPORT_PERIODS_SHOWN)
    by_period: dict[date, list[StatusReport]] = {}
    for report in report_history(plan, department, since=shown[0].start):
        by_period.setdefault(report.period_start, []).append(report)
    zone = plan_zone(plan)
    rows = []
    for period in reversed(shown):
        revisions = by_period.get(period.start, [])
        submitted = [r.submitted_at for r in revisions if r.submitted_at is not None]
        readable = [r for r in revisions if can_read_report(viewer, r)]
        if submitted:
            on_time = min(submitted).astimezone(zone).date() <= period.due
            state = Submission.ON_TIME if on_time else Submission.LATE
        elif today > period.due:
            state = Submission.MISSING
        elif any(r.status == ReportStatus.DRAFT for r in readable):
            state = Submission.DRAFT
        else:
            state = Submission.OPEN
        rows.append(ReportPeriod(period, state, readable))
    return PlanReports(plan, rows)


def readiness_summary(plan_id: int, department: Department, *, today: date) -> dict:
    """The department page's maturity and risks: its latest agreed maturity per building block against the plan's
    targets (and the re-assessment its wave's gate wants, if due), and its own open risks, scored."""
    plan = load_plan(plan_id)  # phases and waves loaded once: the prompts and the indicators read them
    assert plan is not None
    due = [r for r in maturity.reassessments_due(plan, maturity.plan_assessments(plan), today=today)
           if r.department.id == department.id]
    return {
        "maturity": {"plan": plan, "levels": maturity.latest_levels(plan, [department.id]).get(department.id, {}),
                     "targets": maturity.targets(plan), "blocks": BLOCKS, "level_label": level_label,
                     "due": due[0] if due else None},
        "risks_plan": plan,
        "department_risks": department_risks(plan, department.id),
    }
