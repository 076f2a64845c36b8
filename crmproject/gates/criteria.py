"""How each kind of gate criterion is measured from the plan's own data.

The kinds, and what each measures for a gate (a wave gate's departments are the wave's; a phase gate's
are those of every wave live by the phase's last day; "the wave under review" is the wave before a wave
gate's, or the last wave live by a phase gate's end):

- training: mandatory training completed by the gate's departments' people, in percent (at least);
- adoption: the wave under review, each department's latest weekly adoption at least the threshold
  (the plan's adoption target by default) and none fading or without effect (the dashboard's shapes);
- kpis_on_path: the latest KPI figures of the gate's departments and plan-wide that are green on their
  target path, in percent (at least);
- critical_tasks: open change tasks marked critical and overdue, of the gate's phase or departments
  (at most);
- reports_in: the gate's departments whose status report for the last period that is due is in, in
  percent (at least);
- team_seats: the project team's required seats held today, in percent (at least);
- hypercare: the wave under review, its departments that have left hypercare (the planned weeks over and
  the exit criteria met, crmproject.hypercare.services), in percent (at least);
- maturity: the gate's departments' latest agreed level on each chosen building block (every block with a
  target when none is chosen) at the plan's target, in percent of department-block pairs (at least); a
  department never assessed counts as below target;
- risks: the highest effective score (likelihood raised by the indicators x impact, crmproject.risks) of the
  open risks that are plan-wide or of the gate's departments (at most: no open risk above the threshold);
- readiness: the lowest ADKAR element mean of the gate's departments' latest readiness pulse with enough
  answers (crmproject.pulse), on the 1-5 scale (at least; 3 by default, so no department has a barrier point).

To add a kind: a member of CriterionKind, an entry in KINDS (default threshold, unit, comparison,
evidence page) and a function in MEASURES; everything else (forms, seed plans, the CLI) reads KINDS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from crmproject.adoption import services as adoption
from crmproject.adoption.shapes import Shape, Verdict
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.gates.models import CriterionKind, CriterionStatus, GateCriterion, GateOutcome, PhaseGate
from crmproject.hypercare import services as hypercare
from crmproject.i18n import _, format_number
from crmproject.kpis.attainment import Rag
from crmproject.kpis.services import latest_statuses, list_kpis
from crmproject.maturity import services as maturity
from crmproject.maturity.blocks import Block, level_label
from crmproject.plans.models import Phase, Plan, Wave
from crmproject.pulse import results as pulse
from crmproject.risks import services as risks
from crmproject.plans.services import plan_zone
from crmproject.reports.services import Submission, reporting_matrix
from crmproject.tasks.models import ChangeTask, TaskPriority, TaskStatus
from crmproject.teams.services import team_overview
from crmproject.training import completion as training_completion

AT_LEAST, AT_MOST = "at_least", "at_most"


@dataclass(frozen=True)
class KindInfo:
    default: Decimal | None  # None: the plan's adoption target
    unit: str  # "%" or "" for a count
    comparison: str  # AT_LEAST or AT_MOST
    evidence: str  # the endpoint of the page that shows the figures behind it
    maximum: Decimal = Decimal(100)


KINDS: dict[CriterionKind, KindInfo] = {
    CriterionKind.TRAINING: KindInfo(Decimal(90), "%", AT_LEAST, "training.index"),
    CriterionKind.ADOPTION: KindInfo(None, "%", AT_LEAST, "adoption.plan_adoption"),
    CriterionKind.KPIS_ON_PATH: KindInfo(Decimal(60), "%", AT_LEAST, "kpis.index"),
    CriterionKind.CRITICAL_TASKS: KindInfo(Decimal(0), "", AT_MOST, "tasks.index", maximum=Decimal(10_000)),
    CriterionKind.REPORTS_IN: KindInfo(Decimal(100), "%", AT_LEAST, "reports.index"),
    CriterionKind.TEAM_SEATS: KindInfo(Decimal(100), "%", AT_LEAST, "teams.team"),
    CriterionKind.HYPERCARE: KindInfo(Decimal(100), "%", AT_LEAST, "hypercare.index"),
    CriterionKind.MATURITY: KindInfo(Decimal(100), "%", AT_LEAST, "maturity.index"),
    CriterionKind.RISKS: KindInfo(Decimal(15), "", AT_MOST, "risks.index", maximum=Decimal(25)),
    CriterionKind.READINESS: KindInfo(Decimal(3), "", AT_LEAST, "pulse.index", maximum=Decimal(5)),
}


@dataclass(frozen=True)
class CriterionResult:
    criterion_id: int
    kind: CriterionKind
    threshold: Decimal
    blocking: bool
    status: CriterionStatus
    measured: Decimal | None
    detail: str
    evidence_args: dict = field(default_factory=dict)

    @property
    def info(self) -> KindInfo:
        return KINDS[self.kind]

    @property
    def label(self) -> str:
        return str(self.kind.label)

    def as_dict(self) -> dict:
        """As kept with a decision and printed by the CLI: plain JSON values."""
        return {
            "criterion_id": self.criterion_id, "kind": self.kind.value, "label": self.label,
            "comparison": self.info.comparison, "threshold": float(self.threshold), "unit": self.info.unit,
            "measured": float(self.measured) if self.measured is not None else None,
            "status": self.status.value, "blocking": self.blocking, "detail": self.detail,
        }


@dataclass(frozen=True)
class GateEvaluation:
    gate_id: int
    due: date
    department_ids: tuple[int, ...]
    results: list[CriterionResult]
    recommendation: GateOutcome | None  # None: the gate has no criteria to judge

    @property
    def reasons(self) -> list[str]:
        """Why the recommendation is not a plain go: each criterion not met or without figures, blocking first."""
        doubtful = [r for r in self.results if r.status in (CriterionStatus.NOT_MET, CriterionStatus.NO_DATA)]
        doubtful.sort(key=lambda r: (not r.blocking, r.status != CriterionStatus.NOT_MET))
        return [f"{r.label}: {r.detail}" for r in doubtful]


def number(value: Decimal | float) -> str:
    """A threshold or measured value as people write it: 90, 87.5 (not 90.00)."""
    return format_number(float(value))


def recommend(results: list[CriterionResult]) -> GateOutcome | None:
    """No-go when a blocking criterion is not met; go with conditions when any other is not met or has no
    figures yet (nobody can confirm it); go when every criterion that applies is met."""
    judged = [r for r in results if r.status != CriterionStatus.NOT_APPLICABLE]
    if not results:
        return None
    if any(r.blocking and r.status == CriterionStatus.NOT_MET for r in judged):
        return GateOutcome.NO_GO
    if any(r.status in (CriterionStatus.NOT_MET, CriterionStatus.NO_DATA) for r in judged):
        return GateOutcome.GO_WITH_CONDITIONS
    return GateOutcome.GO


# --- the plan's evidence, read once for all its gates -----------------------------------------------------

@dataclass
class PlanEvidence:
    """What every criterion of every gate of a plan is measured from: a few queries per plan, not per gate."""

    plan: Plan
    today: date
    waves: list[Wave]
    names: dict[int, str]
    training: dict[int, training_completion.Completion]
    verdicts: dict[int, Verdict]
    adoption_target: Decimal
    kpi_statuses: list[tuple[int, int | None, Rag]]
    reports: dict[int, Submission]
    report_period: tuple[date, date] | None
    staffed_share: float | None
    vacancies: list[str]
    critical_overdue: list[tuple[int, int | None, int | None]]  # task id, phase id, department id
    hypercare: dict[int, hypercare.DepartmentHypercare]
    maturity_targets: dict[Block, int]
    maturity: dict[int, dict[Block, tuple[int, date]]]
    risks: list[risks.RiskView]
    readiness: dict[int, pulse.DepartmentReadiness]


def gather(plan: Plan, *, today: date) -> PlanEvidence:
    """Read the plan's evidence (plan with waves loaded)."""
    waves = sorted(plan.waves, key=lambda w: (w.go_live_date, w.position))
    go_lives = {a.department_id: w.go_live_date for w in waves for a in w.assignments}
    ids = list(go_lives)
    names = dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) if ids else {}
    first = min(go_lives.values(), default=today)
    weekly = adoption.weekly_figures(ids, first=min(first, today), last=today) if ids else {}
    verdicts = adoption.department_shapes(go_lives, weekly, today=today, rules=adoption.shape_rules(plan))
    completion = {row.department_id: row.completion for row in training_completion.completion_by_department(mandatory_only=True, today=today)
                  if row.department_id is not None}
    matrix = reporting_matrix(plan, today=today, count=3, reports=False)
    due = [p for p in matrix.periods if p.due < today]
    reports = {d.id: matrix.cells[(d.id, due[-1].start)].state for d in matrix.departments} if due else {}
    team = team_overview(plan, today=today)
    critical = db.session.execute(
        select(ChangeTask.id, ChangeTask.phase_id, ChangeTask.department_id).where(
            ChangeTask.plan_id == plan.id, ChangeTask.priority == TaskPriority.CRITICAL, ChangeTask.due_date < today,
            ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))).all()
    return PlanEvidence(
        plan=plan, today=today, waves=waves, names=names, training=completion, verdicts=verdicts,
        adoption_target=adoption.adoption_target(plan), kpi_statuses=latest_statuses(list_kpis(plan), today=today),
        reports=reports, report_period=(due[-1].start, due[-1].end) if due else None,
        staffed_share=team.staffed_share, vacancies=[r.role.title for r in team.vacancies],
        critical_overdue=list(critical),
        hypercare=hypercare.hypercare_by_department(plan, now=_moment(plan, today)),
        maturity_targets=maturity.targets(plan), maturity=maturity.latest_levels(plan, ids, on=today),
        risks=risks.open_risks(plan, today=today), readiness=pulse.latest_readiness(ids, today=today, plan_id=plan.id),
    )


def _moment(plan: Plan, today: date) -> datetime:
    """The evidence's "now": the present moment when `today` is today, else the end of `today`."""
    end = datetime.combine(today, time.max, tzinfo=plan_zone(plan))
    return min(end, utcnow())


def gate_departments(gate: PhaseGate, evidence: PlanEvidence) -> list[int]:
    """A wave gate's: the wave's departments; a phase gate's: those of every wave live by the phase's end."""
    if gate.wave_id is not None:
        waves = [w for w in evidence.waves if w.id == gate.wave_id]
    else:
        waves = [w for w in evidence.waves if w.go_live_date <= gate.due]
    return [a.department_id for w in waves for a in w.assignments]


def wave_under_review(gate: PhaseGate, evidence: PlanEvidence) -> Wave | None:
    """The wave whose adoption a gate judges: the one before a wave gate's, the last live by a phase gate's end."""
    if gate.wave_id is not None:
        before = [w for w in evidence.waves if w.id != gate.wave_id and gate.wave is not None
                  and (w.go_live_date, w.position) < (gate.wave.go_live_date, gate.wave.position)]
    else:
        before = [w for w in evidence.waves if w.go_live_date <= gate.due]
    return before[-1] if before else None


def gate_phase_id(gate: PhaseGate, phases: Sequence[Phase]) -> int | None:
    """A phase gate's phase; for a wave gate, the phase its go-live falls in."""
    if gate.phase_id is not None:
        return gate.phase_id
    return next((p.id for p in phases if p.start_date <= gate.due <= p.end_date), None)


def evaluate(gate: PhaseGate, evidence: PlanEvidence) -> GateEvaluation:
    departments = gate_departments(gate, evidence)
    results = [_measure(criterion, gate, departments, evidence) for criterion in gate.criteria]
    return GateEvaluation(gate.id, gate.due, tuple(departments), results, recommend(results))


def default_threshold(kind: CriterionKind, plan: Plan) -> Decimal:
    info = KINDS[kind]
    return info.default if info.default is not None else adoption.adoption_target(plan)


# --- one function per kind ------------------------------------------------------------------------------

Measured = tuple[CriterionStatus, Decimal | None, str, dict]


def _percent(part: float, whole: float) -> Decimal:
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _judge(value: Decimal, threshold: Decimal, comparison: str) -> CriterionStatus:
    ok = value >= threshold if comparison == AT_LEAST else value <= threshold
    return CriterionStatus.MET if ok else CriterionStatus.NOT_MET


def _measure(criterion: GateCriterion, gate: PhaseGate, departments: list[int], evidence: PlanEvidence) -> CriterionResult:
    status, measured, detail, args = MEASURES[criterion.kind](criterion, gate, departments, evidence)
    if measured is not None and status not in (CriterionStatus.NOT_APPLICABLE, CriterionStatus.NO_DATA) \
            and criterion.kind != CriterionKind.ADOPTION:
        status = _judge(measured, criterion.threshold, KINDS[criterion.kind].comparison)
    return CriterionResult(criterion.id, criterion.kind, criterion.threshold, criterion.blocking, status, measured,
                           detail, args)


def _no_departments() -> Measured:
    return CriterionStatus.NOT_APPLICABLE, None, _("No department goes live by this gate."), {}


def _names(evidence: PlanEvidence, ids) -> str:
    return ", ".join(sorted((evidence.names.get(i, "?") for i in ids), key=str.casefold))


def _training(criterion, gate, departments, evidence) -> Measured:
    if not departments:
        return _no_departments()
    cells = [(d, evidence.training.get(d)) for d in departments]
    counted = sum(c.counted for _d, c in cells if c is not None)
    if counted <= 0:
        return CriterionStatus.NO_DATA, None, _("Nobody in these departments is enrolled on a mandatory course."), {}
    completed = sum(c.completed for _d, c in cells if c is not None)
    below = [f"{evidence.names.get(d, '?')} {c.percent}%" for d, c in cells
             if c is not None and c.percent is not None and c.percent < criterion.threshold]
    detail = _("%(done)s of %(counted)s mandatory enrolments completed.", done=completed, counted=counted)
    if below:
        detail += " " + _("Below the threshold: %(departments)s.", departments=", ".join(sorted(below)))
    return CriterionStatus.MET, _percent(completed, counted), detail, {}


def _adoption(criterion, gate, departments, evidence) -> Measured:
    wave = wave_under_review(gate, evidence)
    if wave is None:
        return CriterionStatus.NOT_APPLICABLE, None, _("No wave goes live before this gate."), {}
    verdicts = [(a.department_id, evidence.verdicts.get(a.department_id)) for a in wave.assignments]
    judged = [(d, v) for d, v in verdicts
              if v is not None and v.latest is not None and v.live and v.shape != Shape.TOO_EARLY]
    if not judged:
        return CriterionStatus.NO_DATA, None, _("%(wave)s: too early to tell since its go-live on %(day)s.", wave=wave.name,
                                                day=wave.go_live_date.isoformat()), {}
    lowest = min(Decimal(str(v.latest)) for _d, v in judged)
    problems = []
    for d, v in judged:
        name = evidence.names.get(d, "?")
        if v.warning:
            problems.append(_("%(department)s: %(shape)s (now %(latest)s%%)", department=name, shape=v.shape.label,
                              latest=number(v.latest)))
        elif Decimal(str(v.latest)) < criterion.threshold:
            problems.append(_("%(department)s: %(latest)s%%, below %(threshold)s%%", department=name,
                              latest=number(v.latest), threshold=number(criterion.threshold)))
    early = [d for d, v in verdicts if d not in dict(judged)]
    detail = _("%(wave)s: lowest department %(lowest)s%%.", wave=wave.name, lowest=number(lowest))
    if problems:
        detail += " " + "; ".join(sorted(problems)) + "."
    if early:
        detail += " " + _("Too early to tell: %(departments)s.", departments=_names(evidence, early))
    status = CriterionStatus.NOT_MET if problems else (CriterionStatus.NO_DATA if early else CriterionStatus.MET)
    return status, lowest, detail, {}


def _kpis_on_path(criterion, gate, departments, evidence) -> Measured:
    wanted = set(departments)
    statuses = [s for _kpi, d, s in evidence.kpi_statuses if d is None or d in wanted]
    if not statuses:
        return CriterionStatus.NO_DATA, None, _("No KPI has a measured figure yet."), {}
    green = statuses.count(Rag.GREEN)
    detail = _("%(green)s of %(n)s latest figures on their path (%(red)s red, %(amber)s amber).", green=green,
               n=len(statuses), red=statuses.count(Rag.RED), amber=statuses.count(Rag.AMBER))
    return CriterionStatus.MET, _percent(green, len(statuses)), detail, {}


def _critical_tasks(criterion, gate, departments, evidence) -> Measured:
    phase_id = gate_phase_id(gate, evidence.plan.phases)
    wanted = set(departments)
    late = [t for t, p, d in evidence.critical_overdue if (phase_id is not None and p == phase_id) or d in wanted]
    detail = _("%(n)s open critical tasks past their due date.", n=len(late))
    args = {"overdue": "1", "priority": TaskPriority.CRITICAL.value}
    if phase_id is not None and not wanted:
        args["phase"] = str(phase_id)
    return CriterionStatus.MET, Decimal(len(late)), detail, args


def _reports_in(criterion, gate, departments, evidence) -> Measured:
    if not departments:
        return _no_departments()
    if evidence.report_period is None:
        return CriterionStatus.NO_DATA, None, _("No reporting period is due yet."), {}
    states = {d: evidence.reports.get(d, Submission.MISSING) for d in departments}
    submitted = [d for d, s in states.items() if s in (Submission.ON_TIME, Submission.LATE)]
    missing = [d for d in departments if d not in submitted]
    first, last = evidence.report_period
    detail = _("%(n)s of %(total)s reports in for %(first)s to %(last)s.", n=len(submitted), total=len(departments),
               first=first.isoformat(), last=last.isoformat())
    if missing:
        detail += " " + _("Missing: %(departments)s.", departments=_names(evidence, missing))
    return CriterionStatus.MET, _percent(len(submitted), len(departments)), detail, {}


def _team_seats(criterion, gate, departments, evidence) -> Measured:
    if evidence.staffed_share is None:
        return CriterionStatus.NO_DATA, None, _("The project team has no required seat."), {}
    detail = _("Every required seat is held.") if not evidence.vacancies else \
        _("Vacant: %(roles)s.", roles=", ".join(evidence.vacancies))
    return CriterionStatus.MET, _percent(evidence.staffed_share, 1), detail, {}


def _hypercare(criterion, gate, departments, evidence) -> Measured:
    wave = wave_under_review(gate, evidence)
    if wave is None:
        return CriterionStatus.NOT_APPLICABLE, None, _("No wave goes live before this gate."), {}
    rows = [evidence.hypercare[a.department_id] for a in wave.assignments if a.department_id in evidence.hypercare]
    if not rows:
        return CriterionStatus.NOT_APPLICABLE, None, _("%(wave)s has no department.", wave=wave.name), {}
    if all(r.state == hypercare.HypercareState.NOT_LIVE for r in rows):
        return CriterionStatus.NO_DATA, None, _("%(wave)s goes live on %(day)s.", wave=wave.name,
                                                day=wave.go_live_date.isoformat()), {}
    exited = [r for r in rows if r.state == hypercare.HypercareState.EXITED]
    detail = _("%(wave)s: %(n)s of %(total)s departments have left hypercare.", wave=wave.name, n=len(exited),
               total=len(rows))
    staying = [_("%(department)s (not met: %(reasons)s)", department=r.name,
                 reasons=", ".join(c.label for c in r.failing) or r.state.label) for r in rows if r not in exited]
    if staying:
        detail += " " + "; ".join(staying) + "."
    return CriterionStatus.MET, _percent(len(exited), len(rows)), detail, {}


def _maturity(criterion, gate, departments, evidence) -> Measured:
    if not departments:
        return _no_departments()
    chosen = [Block(b) for b in criterion.blocks.split(",") if b] or [b for b in Block if b in evidence.maturity_targets]
    judged = [b for b in chosen if b in evidence.maturity_targets]
    if not judged:
        return CriterionStatus.NO_DATA, None, _("The plan has no maturity target for these building blocks."), {}
    assessed = [d for d in departments if d in evidence.maturity]
    if not assessed:
        return CriterionStatus.NO_DATA, None, _("None of these departments has been assessed yet."), {}
    below, met = [], 0
    for d in departments:
        levels = evidence.maturity.get(d, {})
        for block in judged:
            level = levels.get(block, (None, None))[0]
            if level is not None and level >= evidence.maturity_targets[block]:
                met += 1
            elif level is not None:
                below.append(_("%(department)s: %(block)s %(level)s (target %(target)s)", department=evidence.names.get(d, "?"),
                               block=block.label, level=level_label(level),
                               target=level_label(evidence.maturity_targets[block])))
    total = len(departments) * len(judged)
    detail = _("%(met)s of %(total)s department block levels at target.", met=met, total=total)
    if criterion.blocks:
        detail = _("On %(blocks)s:", blocks=", ".join(str(b.label) for b in chosen)) + " " + detail
    if below:
        detail += " " + _("Below target: %(levels)s.", levels="; ".join(sorted(below)))
    unassessed = [d for d in departments if d not in evidence.maturity]
    if unassessed:
        detail += " " + _("Not assessed: %(departments)s.", departments=_names(evidence, unassessed))
    return CriterionStatus.MET, _percent(met, total), detail, {}


def _risks(criterion, gate, departments, evidence) -> Measured:
    wanted = set(departments)
    concerned = [r for r in evidence.risks if r.department_id is None or r.department_id in wanted]
    if not concerned:
        return CriterionStatus.MET, Decimal(0), _("No risk of these departments or of the whole plan is open."), {}
    above = [r for r in concerned if r.effective_score > criterion.threshold]
    highest = concerned[0]  # open_risks sorts the highest first
    # counted over the gate's departments and the plan-wide risks: the dashboard's count is every department's
    detail = _("%(n)s open risks of these departments or of the whole plan; the highest scores %(score)s (%(title)s).",
               n=len(concerned),
               score=highest.effective_score, title=highest.title)
    if above:
        detail += " " + _("Above %(threshold)s: %(risks)s.", threshold=number(criterion.threshold), risks="; ".join(
            f"{r.title} {r.effective_score}" + (f" ({' '.join(r.reasons)})" if r.reasons else "") for r in above))
    return CriterionStatus.MET, Decimal(max(r.effective_score for r in concerned)), detail, {}


def _readiness(criterion, gate, departments, evidence) -> Measured:
    if not departments:
        return _no_departments()
    found = {d: evidence.readiness.get(d) for d in departments}
    judged = {d: r for d, r in found.items() if r is not None and r.enough_answers and r.lowest is not None}
    unmeasured = [d for d in departments if d not in judged]
    if not judged:
        return CriterionStatus.NO_DATA, None, _("No readiness pulse of these departments has enough answers yet."), {}
    lowest = min(r.lowest for r in judged.values())
    parts = []
    for d, r in sorted(judged.items(), key=lambda item: evidence.names.get(item[0], "").casefold()):
        name = evidence.names.get(d, "?")
        if r.barrier is not None:
            parts.append(_("%(department)s: barrier point %(element)s (%(mean)s)", department=name, element=r.barrier.label,
                           mean=format_number(r.means[r.barrier], 2)))
        elif r.lowest < criterion.threshold:
            parts.append(_("%(department)s: %(element)s %(mean)s", department=name, element=r.lowest_element.label,
                           mean=format_number(r.lowest, 2)))
    detail = _("Lowest element mean %(lowest)s across %(n)s departments.", lowest=format_number(lowest, 2), n=len(judged))
    if parts:
        detail += " " + "; ".join(parts) + "."
    if unmeasured:
        detail += " " + _("No readiness figures yet: %(departments)s.", departments=_names(evidence, unmeasured))
    if lowest >= criterion.threshold and unmeasured:
        return CriterionStatus.NO_DATA, lowest, detail, {}
    return CriterionStatus.MET, lowest, detail, {}


MEASURES: dict[CriterionKind, Callable[..., Measured]] = {
    CriterionKind.TRAINING: _training,
    CriterionKind.ADOPTION: _adoption,
    CriterionKind.KPIS_ON_PATH: _kpis_on_path,
    CriterionKind.CRITICAL_TASKS: _critical_tasks,
    CriterionKind.REPORTS_IN: _reports_in,
    CriterionKind.TEAM_SEATS: _team_seats,
    CriterionKind.HYPERCARE: _hypercare,
    CriterionKind.MATURITY: _maturity,
    CriterionKind.RISKS: _risks,
    CriterionKind.READINESS: _readiness,
}

