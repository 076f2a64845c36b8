"""Rollout plans: plans, phases, waves, their departments and CRM modules.

All date rules live here: a phase or a go-live must fall inside its plan, an
end never comes before its start, and a department belongs to at most one
wave of a plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.forms import EARLIEST, LATEST
from crmproject.i18n import _
from crmproject.plans.models import CrmModule, Phase, PhaseStatus, Plan, ReportingPeriod, Wave, WaveDepartment, WaveKind

# The modules the source texts name; an administrator or project manager may add others.
STANDARD_MODULES: tuple[tuple[str, str, str], ...] = (
    ("SFA", "Sales force automation", "Accounts, contacts, opportunities and the sales pipeline for sales representatives."),
    ("MA", "Marketing automation", "Campaigns, segments and the marketing communication cycle: plan, run, evaluate."),
    ("CSS", "Customer service and support", "Cases, service requests, the knowledge base and service levels."),
    ("ERPINT", "ERP integration", "Orders, invoices and stock shared between the CRM and the ERP."),
    ("MOBILE", "Mobile sales", "The CRM on the phones and tablets of field sales and service staff."),
)


# --- CRM modules -----------------------------------------------------------------

def list_modules() -> list[CrmModule]:
    return list(db.session.scalars(select(CrmModule).order_by(CrmModule.code)))


def get_module_by_code(code: str) -> CrmModule | None:
    return db.session.scalar(select(CrmModule).where(func.upper(CrmModule.code) == code.strip().upper()))


def create_module(*, code: str, name: str, description: str = "") -> CrmModule:
    code = code.strip().upper()
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = _("Enter a short code, for example SFA.")
    elif get_module_by_code(code) is not None:
        errors["code"] = _("A module with the code %(code)s already exists.", code=code)
    if not name.strip():
        errors["name"] = _("Enter the module's name.")
    if errors:
        raise ValidationFailed(errors)
    module = CrmModule(code=code, name=name.strip(), description=description.strip())
    db.session.add(module)
    db.session.flush()
    return module


def ensure_standard_modules() -> list[CrmModule]:
    """Create SFA, MA and CSS if they are missing (idempotent)."""
    modules = []
    for code, name, description in STANDARD_MODULES:
        module = get_module_by_code(code) or create_module(code=code, name=name, description=description)
        modules.append(module)
    return modules


# --- plans -------------------------------------------------------------------------

def list_plans() -> list[Plan]:
    return list(db.session.scalars(select(Plan).order_by(Plan.start_date.desc(), collated(Plan.name))))


def load_plan(plan_id: int, *, waves: bool = True) -> Plan | None:
    """A plan with its phases, waves, wave departments and modules loaded in a fixed number of queries; without
    `waves`, with its phases only (two queries instead of six and no departments: for pages that show no wave,
    such as the task list and the KPI register; a wave read all the same is loaded then)."""
    options = [selectinload(Plan.phases)]
    if waves:
        options += [selectinload(Plan.waves).selectinload(Wave.modules),
                    selectinload(Plan.waves).selectinload(Wave.assignments).selectinload(WaveDepartment.department)]
    return db.session.scalar(select(Plan).where(Plan.id == plan_id).options(*options))


def _check_plan(plan: Plan | None, *, name: str, start: date | None, end: date | None, horizon_years: int) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter the plan's name.")
    else:
        clash = db.session.scalar(select(Plan).where(func.lower(Plan.name) == name.strip().lower()))
        if clash is not None and (plan is None or clash.id != plan.id):
            errors["name"] = _("A plan named %(name)s already exists.", name=clash.name)
    if start is None:
        errors["start_date"] = _("Enter the start date.")
    if end is None:
        errors["end_date"] = _("Enter the end date.")
    for name, value in (("start_date", start), ("end_date", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            errors[name] = _("Enter a date between %(first)s and %(last)s.", first=EARLIEST.isoformat(), last=LATEST.isoformat())
    if start and end and end < start:
        errors["end_date"] = _("The end date %(end)s is before the start date %(start)s.", end=end.isoformat(), start=start.isoformat())
    if not 1 <= horizon_years <= 10:
        errors["horizon_years"] = _("The horizon is between 1 and 10 years (the texts advise a 3-5 year vision).")
    if not errors and plan is not None and start is not None and end is not None:
        for phase in plan.phases:
            if phase.start_date < start or phase.end_date > end:
                errors["start_date" if phase.start_date < start else "end_date"] = _(
                    "The phase %(phase)s (%(ps)s to %(pe)s) would fall outside the plan; change or move it first.",
                    phase=phase.name, ps=phase.start_date.isoformat(), pe=phase.end_date.isoformat(),
                )
                break
        for wave in plan.waves:
            if not start <= wave.go_live_date <= end:
                errors.setdefault(
                    "start_date" if wave.go_live_date < start else "end_date",
                    _("The go-live of %(wave)s on %(d)s would fall outside the plan; move it first.",
                      wave=wave.name, d=wave.go_live_date.isoformat()),
                )
                break
    if errors:
        raise ValidationFailed(errors)


# Features above plans that give every new plan something of their own (crmproject.risks: the failure factors of
# the texts as the plan's first risks) register here; plans cannot import them. A hook runs inside the creating
# transaction, after the plan has its id.
PlanCreatedHook = Callable[[Plan], None]
PLAN_CREATED_HOOKS: list[PlanCreatedHook] = []


def on_plan_created(hook: PlanCreatedHook) -> PlanCreatedHook:
    """Register a hook run on every new plan (a decorator, used at import by the feature that adds to it)."""
    if hook not in PLAN_CREATED_HOOKS:
        PLAN_CREATED_HOOKS.append(hook)
    return hook


def create_plan(
    *, name: str, start: date, end: date, vision: str = "", horizon_years: int = 3,
    created_by: User | None = None, template_key: str | None = None,
    reporting_period: ReportingPeriod = ReportingPeriod.MONTHLY,
) -> Plan:
    """Create an empty plan (phases and waves are added afterwards), with what the features above plans give every
    new plan (PLAN_CREATED_HOOKS)."""
    _check_plan(None, name=name, start=start, end=end, horizon_years=horizon_years)
    plan = Plan(
        name=name.strip(), vision=vision.strip(), horizon_years=horizon_years, start_date=start, end_date=end,
        created_by=created_by, template_key=template_key, reporting_period=reporting_period,
    )
    db.session.add(plan)
    db.session.flush()
    for hook in PLAN_CREATED_HOOKS:
        hook(plan)
    return plan


def update_plan(
    plan: Plan, *, name: str, start: date, end: date, vision: str, horizon_years: int,
    reporting_period: ReportingPeriod | None = None,
) -> Plan:
    _check_plan(plan, name=name, start=start, end=end, horizon_years=horizon_years)
    plan.name = name.strip()
    plan.vision = vision.strip()
    plan.horizon_years = horizon_years
    plan.start_date = start
    plan.end_date = end
    if reporting_period is not None:
        plan.reporting_period = reporting_period
    db.session.flush()
    return plan


def delete_plan(plan: Plan) -> None:
    db.session.delete(plan)
    db.session.flush()


# --- phases ------------------------------------------------------------------------

def _check_phase(plan: Plan, phase: Phase | None, *, name: str, start: date | None, end: date | None) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter the phase's name.")
    elif any(p.name.lower() == name.strip().lower() and p is not phase for p in plan.phases):
        errors["name"] = _("This plan already has a phase named %(name)s.", name=name.strip())
    if start is None:
        errors["start_date"] = _("Enter the start date.")
    elif not plan.start_date <= start <= plan.end_date:
        errors["start_date"] = _(
            "The phase must start inside the plan (%(ps)s to %(pe)s).", ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat()
        )
    if end is None:
        errors["end_date"] = _("Enter the end date.")
    elif start is not None and end < start:
        errors["end_date"] = _("The end date %(end)s is before the start date %(start)s.", end=end.isoformat(), start=start.isoformat())
    elif not plan.start_date <= end <= plan.end_date:
        errors["end_date"] = _(
            "The phase must end inside the plan (%(ps)s to %(pe)s).", ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat()
        )
    if errors:
        raise ValidationFailed(errors)


def add_phase(
    plan: Plan, *, name: str, start: date | None, end: date | None, goal: str = "", exit_criteria: str = "",
    status: PhaseStatus = PhaseStatus.PLANNED,
) -> Phase:
    """Append a phase to the plan (it becomes the last one; `move_phase` reorders). A missing date is refused."""
    _check_phase(plan, None, name=name, start=start, end=end)
    phase = Phase(
        name=name.strip(), start_date=start, end_date=end, goal=goal.strip(), exit_criteria=exit_criteria.strip(),
        status=status, position=len(plan.phases) + 1,
    )
    plan.phases.append(phase)
    db.session.flush()
    return phase


def update_phase(
    phase: Phase, *, name: str, start: date, end: date, goal: str, exit_criteria: str, status: PhaseStatus
) -> Phase:
    _check_phase(phase.plan, phase, name=name, start=start, end=end)
    phase.name = name.strip()
    phase.start_date = start
    phase.end_date = end
    phase.goal = goal.strip()
    phase.exit_criteria = exit_criteria.strip()
    phase.status = status
    db.session.flush()
    return phase


# Features above plans that keep lasting records about a phase or a wave (the steering committee's decisions at
# its gate) register here why it may not be deleted: plans cannot import them, and a cascade would delete the
# records with it. A guard returns the reason in words, or None.
DeletionGuard = Callable[[Phase | Wave], str | None]
DELETION_GUARDS: list[DeletionGuard] = []


def deletion_guard(guard: DeletionGuard) -> DeletionGuard:
    """Register a guard (a decorator, used at import by the feature that keeps the records)."""
    DELETION_GUARDS.append(guard)
    return guard


def _refuse_deletion(target: Phase | Wave) -> None:
    reasons = [reason for guard in DELETION_GUARDS if (reason := guard(target))]
    if reasons:
        raise ValidationFailed(" ".join(reasons))


def delete_phase(phase: Phase) -> None:
    """Delete a phase, unless a feature keeps records about it (crmproject.gates: decisions at its gate)."""
    _refuse_deletion(phase)
    plan = phase.plan
    plan.phases.remove(phase)
    db.session.delete(phase)  # deleted now, not as an orphan at the flush: what goes with it is found before
    _renumber(sorted(plan.phases, key=lambda p: p.position))
    db.session.flush()


def move_phase(phase: Phase, offset: int) -> None:
    """Move a phase up (-1) or down (+1) in its plan's order."""
    _move(phase.plan.phases, phase, offset)


def _move(items: list, item, offset: int) -> None:
    ordered = sorted(items, key=lambda x: x.position)
    index = ordered.index(item)
    target = min(max(index + offset, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    _renumber(ordered)
    db.session.flush()


def _renumber(items: Sequence) -> None:
    """Number items 1, 2, 3 ... in the order given."""
    for position, item in enumerate(items, start=1):
        item.position = position


# --- waves ---------------------------------------------------------------------------

def _check_wave(
    plan: Plan, wave: Wave | None, *, name: str, go_live: date | None, departments: Iterable[Department]
) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter the wave's name.")
    elif any(w.name.lower() == name.strip().lower() and w is not wave for w in plan.waves):
        errors["name"] = _("This plan already has a wave named %(name)s.", name=name.strip())
    if go_live is None:
        errors["go_live_date"] = _("Enter the go-live date.")
    elif not plan.start_date <= go_live <= plan.end_date:
        errors["go_live_date"] = _(
            "The go-live must fall inside the plan (%(ps)s to %(pe)s).", ps=plan.start_date.isoformat(), pe=plan.end_date.isoformat()
        )
    wanted = {d.id for d in departments}
    clashes = [
        (a.department.name, w.name)
        for w in plan.waves if w is not wave
        for a in w.assignments if a.department_id in wanted
    ]
    if clashes:
        errors["department_ids"] = "; ".join(
            _("%(department)s is already in %(wave)s of this plan", department=d, wave=w) for d, w in sorted(clashes)
        ) + "."
    if errors:
        raise ValidationFailed(errors)


def add_wave(
    plan: Plan, *, name: str, go_live: date, kind: WaveKind = WaveKind.WAVE,
    departments: Iterable[Department] = (), modules: Iterable[CrmModule] = (), notes: str = "",
) -> Wave:
    """Append a wave with its departments and modules."""
    departments = list(departments)
    _check_wave(plan, None, name=name, go_live=go_live, departments=departments)
    wave = Wave(
        name=name.strip(), go_live_date=go_live, kind=kind, notes=notes.strip(), position=len(plan.waves) + 1,
        modules=list(modules),
    )
    plan.waves.append(wave)
    db.session.flush()
    _set_departments(wave, departments)
    return wave


def update_wave(
    wave: Wave, *, name: str, go_live: date, kind: WaveKind, departments: Iterable[Department],
    modules: Iterable[CrmModule], notes: str,
) -> Wave:
    departments = list(departments)
    _check_wave(wave.plan, wave, name=name, go_live=go_live, departments=departments)
    wave.name = name.strip()
    wave.go_live_date = go_live
    wave.kind = kind
    wave.notes = notes.strip()
    wave.modules = list(modules)
    _set_departments(wave, departments)
    return wave


def _set_departments(wave: Wave, departments: list[Department]) -> None:
    wanted = {d.id: d for d in departments}
    for assignment in list(wave.assignments):
        if assignment.department_id not in wanted:
            wave.assignments.remove(assignment)
    present = {a.department_id for a in wave.assignments}
    db.session.flush()  # removals first, so a department moved between waves never holds two rows
    for department_id, department in wanted.items():
        if department_id not in present:
            wave.assignments.append(WaveDepartment(plan_id=wave.plan_id, department=department))
    db.session.flush()


def delete_wave(wave: Wave) -> None:
    """Delete a wave, unless a feature keeps records about it (crmproject.gates: decisions at its gate)."""
    _refuse_deletion(wave)
    plan = wave.plan
    plan.waves.remove(wave)
    db.session.delete(wave)  # deleted now, not as an orphan at the flush: what goes with it is found before
    _renumber(sorted(plan.waves, key=lambda w: w.position))
    db.session.flush()


def move_wave(wave: Wave, offset: int) -> None:
    _move(wave.plan.waves, wave, offset)


def unassigned_departments(plan: Plan, departments: Sequence[Department]) -> list[Department]:
    """Departments not yet in any wave of the plan."""
    assigned = {a.department_id for w in plan.waves for a in w.assignments}
    return [d for d in departments if d.id not in assigned]


def go_live_dates(plan: Plan) -> dict[int, date]:
    """Each department's go-live in the plan (the date of the wave that takes it live), in one query."""
    rows = db.session.execute(
        select(WaveDepartment.department_id, Wave.go_live_date)
        .join(Wave, WaveDepartment.wave_id == Wave.id)
        .where(Wave.plan_id == plan.id)
    )
    return {department_id: go_live for department_id, go_live in rows}


def plan_departments(plan: Plan) -> list[Department]:
    """The departments of the plan's waves, in wave order (the pilot's first), by name within a wave."""
    seen: dict[int, Department] = {}
    for wave in sorted(plan.waves, key=lambda w: (w.go_live_date, w.position, w.id)):
        for assignment in sorted(wave.assignments, key=lambda a: a.department.name.casefold()):
            seen.setdefault(assignment.department_id, assignment.department)
    return list(seen.values())


def department_go_live(plan: Plan, department: Department) -> tuple[Wave, date] | None:
    for wave in plan.waves:
        if any(a.department_id == department.id for a in wave.assignments):
            return wave, wave.go_live_date
    return None


def department_waves(department: Department) -> list[Wave]:
    """The waves, across all plans, that take this department live (by go-live date)."""
    return list(
        db.session.scalars(
            select(Wave)
            .join(WaveDepartment, WaveDepartment.wave_id == Wave.id)
            .where(WaveDepartment.department_id == department.id)
            .options(selectinload(Wave.plan), selectinload(Wave.modules))
            .order_by(Wave.go_live_date)
        )
    )


class PlanSummary:
    """What the overview shows of a plan: current phase, next go-live, departments in waves."""

    def __init__(self, plan: Plan, *, today: date, phase_count: int, wave_count: int, department_count: int,
                 current_phase: Phase | None, next_wave: Wave | None):
        self.plan = plan
        self.today = today
        self.phase_count = phase_count
        self.wave_count = wave_count
        self.department_count = department_count
        self.current_phase = current_phase
        self.next_wave = next_wave

    @property
    def days_to_next_go_live(self) -> int | None:
        return (self.next_wave.go_live_date - self.today).days if self.next_wave else None


def plan_summaries(plans: Sequence[Plan], *, today: date) -> list[PlanSummary]:
    """Summaries of several plans in three queries, whatever their number."""
    ids = [p.id for p in plans]
    if not ids:
        return []
    phases = db.session.scalars(select(Phase).where(Phase.plan_id.in_(ids)).order_by(Phase.position)).all()
    waves = db.session.scalars(
        select(Wave).where(Wave.plan_id.in_(ids)).options(selectinload(Wave.assignments)).order_by(Wave.go_live_date)
    ).all()
    result = []
    for plan in plans:
        own_phases = [p for p in phases if p.plan_id == plan.id]
        own_waves = [w for w in waves if w.plan_id == plan.id]
        current = next((p for p in own_phases if p.start_date <= today <= p.end_date), None)
        upcoming = next((w for w in own_waves if w.go_live_date >= today), None)
        result.append(PlanSummary(
            plan, today=today, phase_count=len(own_phases), wave_count=len(own_waves),
            department_count=sum(len(w.assignments) for w in own_waves), current_phase=current, next_wave=upcoming,
        ))
    return result


def plan_zone(plan: Plan) -> ZoneInfo:
    try:
        return ZoneInfo(plan.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def plan_today(plan: Plan) -> date:
    """Today in the plan's time zone."""
    return datetime.now(plan_zone(plan)).date()
