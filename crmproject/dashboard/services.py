"""The leadership dashboard of a plan: headline figures, per-department rows and the weekly adoption series.

Everything is read with a fixed number of queries whatever the number of
departments (grouped in SQL, joined in Python), and the result is plain data
(ids, names, numbers), so it can be cached between requests (crmproject.cache)
and written into the leadership report as it is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from flask import current_app

from sqlalchemy import case, func, select

from crmproject.collation import collated
from crmproject.adoption import key_actions as adoption_keys
from crmproject.adoption import services as adoption
from crmproject.adoption.shapes import Shape, ShapeRules, Verdict, week_of
from crmproject.cache import GenerationCache
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.kpis.services import latest_statuses, list_kpis
from crmproject.plans.models import Plan, WaveKind
from crmproject.reports.services import Submission, reporting_matrix
from crmproject.tasks.models import ChangeTask, TaskStatus
from crmproject.training import completion as training_completion
from crmproject.training import services as training

OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)
T = TypeVar("T")


# --- filters ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: a wave, a department, a date range (the charts' weeks). All optional."""

    wave_id: int | None = None
    department_id: int | None = None
    first: date | None = None
    last: date | None = None

    def key(self) -> tuple:
        return (self.wave_id, self.department_id, self.first, self.last)

    def args(self) -> dict[str, str]:
        """As URL query arguments (only those set), so a link keeps the view."""
        found = {"wave": self.wave_id, "department": self.department_id, "from": self.first, "to": self.last}
        return {name: value.isoformat() if isinstance(value, date) else str(value)
                for name, value in found.items() if value is not None}


def parse_filters(args: Mapping[str, str], plan: Plan) -> tuple[Filters, list[str]]:
    """Filters from URL arguments; values that do not fit the plan are left out, each with a notice."""
    notices: list[str] = []
    waves = {w.id: w for w in plan.waves}
    departments = {a.department_id for w in plan.waves for a in w.assignments}

    def number(name: str, known, unknown: str) -> int | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        if text.isascii() and text.isdecimal() and len(text) <= 9 and int(text) in known:
            return int(text)
        notices.append(unknown % {"value": text[:40]})
        return None

    def day(name: str, label: str) -> date | None:
        text = (args.get(name) or "").strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            notices.append(_("%(label)s: %(value)s is not a date (YYYY-MM-DD); it was left out.", label=label,
                             value=text[:40]))
            return None
        if not 1900 <= value.year <= 2999:
            notices.append(_("%(label)s: %(value)s is out of range; it was left out.", label=label, value=text))
            return None
        return value

    # whole sentences, so that each language can word them its own way
    wave_id = number("wave", waves, _("There is no wave %(value)s in this plan; showing all waves."))
    department_id = number("department", departments,
                           _("There is no department %(value)s in this plan; showing all departments."))
    if wave_id is not None and department_id is not None and department_id not in {
            a.department_id for a in waves[wave_id].assignments}:
        name = next(a.department.name for w in plan.waves for a in w.assignments if a.department_id == department_id)
        notices.append(_("%(department)s is not in %(wave)s; showing the whole wave.", department=name,
                         wave=waves[wave_id].name))
        department_id = None
    first, last = day("from", _("From")), day("to", _("To"))
    if first and last and last < first:
        notices.append(_("The date range ends before it starts; the dates were swapped."))
        first, last = last, first
    earliest = min([plan.start_date, *(w.go_live_date for w in plan.waves)])
    if first is not None and first < earliest:
        notices.append(_("From: the plan starts on %(day)s; the weeks shown start there.", day=earliest.isoformat()))
        first = earliest
    if last is not None and last < earliest:
        notices.append(_("To: %(day)s is before the plan starts (%(start)s); it was left out.", day=last.isoformat(),
                         start=earliest.isoformat()))
        last = None
    return Filters(wave_id, department_id, first, last), notices


# --- the dashboard's data --------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    code: str
    licensed_seats: int
    wave_id: int | None
    wave_name: str
    wave_kind: WaveKind | None
    go_live: date | None
    live: bool
    adoption: float | None  # the latest week in the range with figures, % of seats
    verdict: Verdict
    training: float | None  # mandatory courses, % completed
    training_counted: int
    training_completed: int
    kpis: dict[Rag, int]  # latest attainment of the KPIs measured for this department
    open_tasks: int
    overdue_tasks: int
    report: Submission | None  # the last period that is due
    key_actions: adoption_keys.KeyActionFigures | None = None  # the latest whole week in the range since the go-live


@dataclass(frozen=True)
class WaveRow:
    id: int
    name: str
    kind: WaveKind
    position: int  # its place in the plan (0: the first wave), for its colour
    go_live: date
    department_ids: tuple[int, ...]


@dataclass(frozen=True)
class KpiRow:
    id: int
    name: str
    unit: str
    counts: dict[Rag, int]  # departments (and the plan-wide figure) per status
    plan_wide: Rag | None

    @property
    def measured(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class CourseRow:
    id: int
    code: str
    name: str
    mandatory: bool
    completed: int
    counted: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.completed / self.counted, 1) if self.counted else None


@dataclass(frozen=True)
class Headline:
    departments: int
    live: int
    adoption: float | None  # seat-weighted over the live departments, latest week in the range
    target: float
    training: float | None
    kpis_green: int
    kpis_measured: int
    overdue_tasks: int
    not_reported: int
    report_period: tuple[date, date] | None  # the last period that is due
    key_adoption: float | None = None  # seat-weighted share of seats doing a key action, latest week, live departments

    @property
    def adoption_met(self) -> bool:
        return self.adoption is not None and self.adoption >= self.target


@dataclass(frozen=True)
class Dashboard:
    plan_id: int
    plan_name: str
    today: date
    filters: Filters
    first: date  # the charts' range
    last: date
    target: float
    rules: ShapeRules
    headline: Headline
    departments: list[DepartmentRow]  # in scope, by wave then name
    waves: list[WaveRow]
    kpis: list[KpiRow]
    courses: list[CourseRow]
    weeks: list[date]  # the weeks in the range (Mondays)
    department_weeks: dict[int, list[float | None]]  # department id -> % per week (aligned with weeks)
    wave_weeks: dict[int, list[float | None]]  # wave id -> seat-weighted % per week
    department_week_figures: dict[int, list[adoption.WeekFigures]] = field(default_factory=dict)

    @property
    def warnings(self) -> list[DepartmentRow]:
        """Departments leadership should look at: fading first, then no effect."""
        order = {Shape.FADING: 0, Shape.NO_EFFECT: 1}
        return sorted((d for d in self.departments if d.verdict.warning),
                      key=lambda d: (order[d.verdict.shape], -(d.verdict.drop or 0), d.name))

    @property
    def logging_in_only(self) -> list[DepartmentRow]:
        """Live departments whose people log in but (almost) never do a key action: most active people first."""
        return sorted((d for d in self.departments if d.live and d.key_actions is not None and d.key_actions.logs_in_only),
                      key=lambda d: (-d.key_actions.active_people, d.name))  # type: ignore[union-attr]

    def shape_counts(self) -> dict[Shape, int]:
        counts = Counter(d.verdict.shape for d in self.departments)
        return {shape: counts.get(shape, 0) for shape in Shape}


def _since(weeks: Sequence[adoption.WeekFigures], monday: date) -> list[adoption.WeekFigures]:
    return [w for w in weeks if w.week >= monday]


def build_dashboard(plan: Plan, filters: Filters, *, today: date) -> Dashboard:
    """Everything the dashboard shows for the plan, within the filters. Plan with waves loaded (plan_or_404)."""
    waves, wave_of, departments = _scope(plan, filters)
    ids = [d.id for d in departments]
    # a wave's line is the whole wave's, also when one of its departments is chosen
    wave_ids = [i for w in waves for i in w.department_ids if i not in set(ids)]
    first, last, history_first = _range(plan, filters, [w.go_live for w in waves], today=today)
    figure_ids = ids + wave_ids
    figures = _cached("weekly", (tuple(figure_ids), history_first, today), ("adoption_snapshots", "departments"),
                      lambda: adoption.weekly_figures(figure_ids, first=history_first, last=today))
    target = float(adoption.adoption_target(plan))
    rules = adoption.shape_rules(plan)
    verdicts = adoption.department_shapes(
        {d.id: (wave_of[d.id].go_live_date if d.id in wave_of else None) for d in departments}, figures,
        today=today, rules=rules)

    # adoption counts from the week of each department's go-live: the weeks before are not 0%, they are not yet
    live_figures = {i: _since(figures.get(i, ()), week_of(wave_of[i].go_live_date)) if i in wave_of else []
                    for i in figure_ids}
    weeks = _weeks(first, last)
    department_weeks = {d.id: _align(weeks, live_figures[d.id]) for d in departments}
    wave_weeks = {w.id: _align(weeks, _sum_weeks([live_figures[i] for i in w.department_ids])) for w in waves}
    latest = {d.id: _latest(live_figures[d.id], first, last) for d in departments}

    training_rows = {row.department_id: row.completion
                     for row in training_completion.completion_by_department(mandatory_only=True, today=today)}
    courses = _courses(ids if filters.department_id or filters.wave_id else None, today=today)
    whole_plan = filters.wave_id is None and filters.department_id is None
    kpi_rows, department_rag = _kpis(plan, set(ids), today=today, plan_wide=whole_plan)
    tasks = _task_counts(plan, ids, today=today, whole_plan=filters.wave_id is None and filters.department_id is None)
    reports, period = _last_reports(plan, today=today)
    key_weeks = _cached("key actions", (plan.id, tuple(ids), first, last), ("key_action_weeks",),
                        lambda: adoption_keys.weekly_key_actions(plan.id, ids, first=first, last=last))
    key_latest = {d.id: _latest_key_week(key_weeks.get(d.id, []), wave_of[d.id].go_live_date, last)
                  for d in departments if d.id in wave_of}

    rows = []
    for d in departments:
        wave = wave_of.get(d.id)
        completion = training_rows.get(d.id)
        rows.append(DepartmentRow(
            id=d.id, name=d.name, code=d.code, licensed_seats=d.licensed_seats,
            wave_id=wave.id if wave else None, wave_name=wave.name if wave else "", wave_kind=wave.kind if wave else None,
            go_live=wave.go_live_date if wave else None, live=bool(wave and wave.go_live_date <= today),
            adoption=week.percent if (week := latest[d.id]) else None, verdict=verdicts[d.id],
            training=float(completion.percent) if completion and completion.percent is not None else None,
            training_counted=completion.counted if completion else 0,
            training_completed=completion.completed if completion else 0,
            kpis=department_rag.get(d.id, {}), open_tasks=tasks.open.get(d.id, 0),
            overdue_tasks=tasks.overdue.get(d.id, 0), report=reports.get(d.id), key_actions=key_latest.get(d.id),
        ))

    headline = _headline(rows, latest, kpi_rows, target=target, overdue_tasks=tasks.overdue_total, period=period)
    return Dashboard(
        plan_id=plan.id, plan_name=plan.name, today=today, filters=filters, first=first, last=last, target=target,
        rules=rules, headline=headline, departments=rows, waves=waves, kpis=kpi_rows, courses=courses, weeks=weeks,
        department_weeks=department_weeks, wave_weeks=wave_weeks,
        department_week_figures={d.id: [w for w in live_figures[d.id] if first <= w.week + timedelta(days=6)
                                         and w.week <= last] for d in departments},
    )


# --- the parts ---------------------------------------------------------------------------------------


def _scope(plan: Plan, filters: Filters):
    """The waves (as rows), each department's wave, and the departments the filters leave, in wave order."""
    waves = [WaveRow(w.id, w.name, w.kind, n, w.go_live_date, tuple(a.department_id for a in w.assignments))
             for n, w in enumerate(plan.waves)]
    wave_of = {department_id: w for w in plan.waves for department_id in (a.department_id for a in w.assignments)}
    if wave_of:
        departments = sorted({a.department for w in plan.waves for a in w.assignments},
                             key=lambda d: (wave_of[d.id].position, d.name.casefold()))
    else:  # a plan without waves: every department, none live
        departments = list(db.session.scalars(select(Department).order_by(collated(Department.name))))
    if filters.wave_id is not None:
        departments = [d for d in departments if wave_of.get(d.id) and wave_of[d.id].id == filters.wave_id]
        waves = [w for w in waves if w.id == filters.wave_id]
    if filters.department_id is not None:
        departments = [d for d in departments if d.id == filters.department_id]
        waves = [w for w in waves if filters.department_id in w.department_ids]
    return waves, wave_of, departments


def _range(plan: Plan, filters: Filters, go_lives: list[date], *, today: date) -> tuple[date, date, date]:
    """The first and last day shown, and the first day read: the shapes look at everything since the go-live,
    whatever the range shown."""
    last = min(filters.last or today, today)
    default_first = min([plan.start_date, *go_lives]) if go_lives else plan.start_date
    first = min(filters.first or default_first, last)
    return first, last, min([first, *go_lives]) if go_lives else first


def _headline(rows: list[DepartmentRow], latest: dict, kpi_rows: list, *, target: float, overdue_tasks: int,
              period) -> Headline:
    """The figures on top: adoption over the live departments' seats, training, KPIs green, overdue, missing."""
    live_weeks = [week for r in rows if r.live and (week := latest[r.id]) is not None]
    active = sum(w.active for w in live_weeks)
    seats = sum(w.seats for w in live_weeks)
    counted = sum(r.training_counted for r in rows)
    measured = [rag for k in kpi_rows for rag, n in k.counts.items() for _n in range(n)]
    return Headline(
        departments=len(rows), live=sum(r.live for r in rows),
        adoption=round(100.0 * active / seats, 1) if seats else None, target=target,
        training=round(100.0 * sum(r.training_completed for r in rows) / counted, 1) if counted else None,
        kpis_green=measured.count(Rag.GREEN), kpis_measured=len(measured),
        overdue_tasks=overdue_tasks,
        not_reported=sum(r.report == Submission.MISSING for r in rows),
        report_period=period, key_adoption=_key_adoption([r for r in rows if r.live]),
    )

# The costly parts, kept while their own tables are unchanged: a status report or a task update makes the
# page be built again, but not the three years of weekly adoption behind it.
_PARTS = GenerationCache(max_entries=64)


def _cached(name: str, key: tuple, tables: tuple[str, ...], compute: Callable[[], T]) -> T:
    return _PARTS.get_or_compute((name, *key), compute, tables=tables,
                                 enabled=current_app.config.get("DASHBOARD_CACHE", True))



def _weeks(first: date, last: date) -> list[date]:
    start, end = week_of(first), week_of(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


def _latest_key_week(weeks: list[adoption_keys.KeyActionFigures], go_live: date,
                     last: date) -> adoption_keys.KeyActionFigures | None:
    """The newest whole week up to `last` since the go-live's week (the week under way when it is the only one)."""
    live = [w for w in weeks if w.week >= week_of(go_live) and w.week <= last]
    whole = [w for w in live if w.week + timedelta(days=6) <= last]
    return whole[-1] if whole else (live[-1] if live else None)


def _key_adoption(rows: list[DepartmentRow]) -> float | None:
    """People doing a key action over the licensed seats, summed over the departments' latest weeks."""
    weeks = [r.key_actions for r in rows if r.key_actions is not None and r.key_actions.seats]
    seats = sum(w.seats for w in weeks)
    return round(100.0 * sum(w.people for w in weeks) / seats, 1) if seats else None


def _align(weeks: list[date], figures) -> list[float | None]:
    by_week = {w.week: w.percent for w in figures}
    return [by_week.get(week) for week in weeks]


def _sum_weeks(groups) -> list[adoption.WeekFigures]:
    """Several departments' weeks added up: seat-weighted adoption of the group."""
    active: dict[date, int] = defaultdict(int)
    seats: dict[date, int] = defaultdict(int)
    for figures in groups:
        for w in figures:
            active[w.week] += w.active
            seats[w.week] += w.seats
    return [adoption.WeekFigures.of(week, active[week], seats[week]) for week in sorted(seats)]


def _latest(figures, first: date, last: date) -> adoption.WeekFigures | None:
    """The newest week with figures that overlaps the range."""
    for w in reversed(figures):
        if w.week <= last and w.week + timedelta(days=6) >= first:
            return w
    return None


def _courses(department_ids: list[int] | None, *, today: date) -> list[CourseRow]:
    """Completion per course: everyone's, or only the filtered departments' people (two queries)."""
    courses = training.list_courses()
    by_course = training_completion.completion_by_course(department_ids=department_ids, today=today)
    rows = []
    for course in courses:
        c = by_course.get(course.id)
        if c is None or c.counted <= 0:
            continue
        rows.append(CourseRow(course.id, course.code, course.name, course.mandatory, c.completed, c.counted))
    return rows


def _kpis(plan: Plan, department_ids: set[int], *, today: date,
          plan_wide: bool) -> tuple[list[KpiRow], dict[int, dict[Rag, int]]]:
    """Per KPI: how many departments are red, amber, green (and the plan-wide figure, when the whole plan is
    shown); per department: its KPIs by status."""
    kpis = list_kpis(plan)
    per_kpi: dict[int, Counter] = {k.id: Counter() for k in kpis}
    plan_status: dict[int, Rag] = {}
    per_department: dict[int, Counter] = defaultdict(Counter)
    statuses = _cached("kpi statuses", (plan.id, today), ("kpis", "kpi_targets", "kpi_measurements", "departments"),
                       lambda: latest_statuses(kpis, today=today))
    for kpi_id, department_id, status in statuses:
        if kpi_id not in per_kpi:
            continue
        if department_id is None:
            plan_status[kpi_id] = status
            if plan_wide:
                per_kpi[kpi_id][status] += 1
        elif department_id in department_ids:
            per_kpi[kpi_id][status] += 1
            per_department[department_id][status] += 1
    rows = [KpiRow(k.id, k.name, k.unit, {rag: per_kpi[k.id].get(rag, 0) for rag in Rag}, plan_status.get(k.id))
            for k in kpis]
    return rows, {d: {rag: c.get(rag, 0) for rag in Rag} for d, c in per_department.items()}


@dataclass(frozen=True)
class _TaskCounts:
    open: dict[int, int]
    overdue: dict[int, int]
    overdue_total: int


def _task_counts(plan: Plan, department_ids: list[int], *, today: date, whole_plan: bool) -> _TaskCounts:
    """Open and overdue change tasks per department in one GROUP BY (tasks of no department count plan-wide)."""
    is_open = ChangeTask.status.in_(OPEN_STATUSES)
    overdue = is_open & (ChangeTask.due_date < today)
    rows = db.session.execute(
        select(ChangeTask.department_id, func.sum(case((is_open, 1), else_=0)), func.sum(case((overdue, 1), else_=0)))
        .where(ChangeTask.plan_id == plan.id).group_by(ChangeTask.department_id)
    ).all()
    wanted = set(department_ids)
    open_counts = {d: int(n or 0) for d, n, _late in rows if d is not None}
    overdue_counts = {d: int(late or 0) for d, _n, late in rows if d is not None}
    total = sum(int(late or 0) for d, _n, late in rows if whole_plan or d in wanted)
    return _TaskCounts(open_counts, overdue_counts, total)


def _last_reports(plan: Plan, *, today: date) -> tuple[dict[int, Submission], tuple[date, date] | None]:
    """Each department's report state in the newest period that is due (its grace days over)."""
    matrix = reporting_matrix(plan, today=today, count=3, reports=False)
    due = [p for p in matrix.periods if p.due < today]
    if not due:
        return {}, None
    period = due[-1]
    return ({d.id: matrix.cells[(d.id, period.start)].state for d in matrix.departments}, (period.start, period.end))
