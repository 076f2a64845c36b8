"""Change impact of a plan: how much the rollout changes each department's processes, tools and roles, per CRM
module of its wave, and the heat map that puts it beside the department's training, communications and open
change tasks, so the departments hit hardest get the most attention.

A cell's impact is the highest of its three dimensions (not their mean): a process that changes completely
hurts as much whether or not the tools change too. A department's overall impact is the highest of its cells.
It "needs attention" when its impact is high (4 or 5) and its mandatory training is low (under 60% valid
completion, or nobody enrolled) or it has heard little (fewer than two communications planned or sent to it,
counting those to the whole plan, which reach every department; cancelled ones do not count).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _, format_number, lazy_gettext as _l, ngettext
from crmproject.impact.models import DIMENSIONS, ImpactRating
from crmproject.plans.models import CrmModule, Plan, Wave
from crmproject.tasks.models import ChangeTask, Communication, CommunicationStatus, TaskStatus
from crmproject.training import completion as training_completion

LOWEST, HIGHEST = 1, 5
HIGH_IMPACT = 4
LOW_TRAINING = Decimal(60)
FEW_COMMUNICATIONS = 2
MAX_NOTE = 2000

DIMENSION_LABELS = {"processes": _l("Processes"), "tools": _l("Tools"), "roles": _l("Roles")}
# what 1 and 5 mean on each dimension, shown on the grid
SCALE_MEANING = {
    "processes": (_l("the way of working stays as it is"), _l("the processes are redesigned end to end")),
    "tools": (_l("the tools people use stay the same"), _l("every daily task moves to the CRM")),
    "roles": (_l("nobody's job changes"), _l("jobs, responsibilities or reporting lines change")),
}


# --- the grid ----------------------------------------------------------------------------------------------

@dataclass
class GridRow:
    """One department of the plan's waves, the modules its wave brings and its ratings by module id."""

    department: Department
    wave: Wave
    modules: list[CrmModule]
    ratings: dict[int, ImpactRating] = field(default_factory=dict)


def grid(plan: Plan) -> list[GridRow]:
    """The plan's departments in wave order (then by name), each with its wave's modules and its ratings."""
    ratings = {(r.department_id, r.crm_module_id): r
               for r in db.session.scalars(select(ImpactRating).where(ImpactRating.plan_id == plan.id))}
    rows = []
    for wave in sorted(plan.waves, key=lambda w: (w.position, w.id)):
        for department in wave.departments:
            rows.append(GridRow(department, wave, list(wave.modules),
                                {m.id: ratings[(department.id, m.id)] for m in wave.modules
                                 if (department.id, m.id) in ratings}))
    return rows


def cell_name(part: str, department_id: int, module_id: int) -> str:
    """The name of one box of the grid: processes-12-3, note-12-3."""
    return f"{part}-{department_id}-{module_id}"


def submitted_departments(form: Mapping[str, str]) -> set[int]:
    """The departments whose boxes a posted grid holds (anything named like a cell counts)."""
    found = set()
    for name in form:
        part, _sep, rest = name.partition("-")
        if part in (*DIMENSIONS, "note"):
            department, _sep, module = rest.partition("-")
            if department.isascii() and department.isdigit() and len(department) < 12:
                found.add(int(department))
    return found


@dataclass(frozen=True)
class CellValues:
    processes: int
    tools: int
    roles: int
    note: str = ""


def _read_level(text: str | None) -> tuple[int | None, str | None]:
    text = (text or "").strip()
    if not text:
        return None, None
    if not (text.isascii() and text.isdigit() and len(text) < 3) or not LOWEST <= int(text) <= HIGHEST:
        return None, _("Rate from 1 (hardly changes) to 5 (changes completely).")
    return int(text), None


def read_grid(form: Mapping[str, str], rows: Iterable[GridRow], *, editable: set[int]
              ) -> tuple[dict[tuple[int, int], CellValues | None], dict[str, str]]:
    """The cells typed into the grid for the departments in `editable`: (department id, module id) -> values,
    or None for a cell left empty (its rating is removed); and the errors by box name. A cell is rated on all
    three dimensions or on none."""
    values: dict[tuple[int, int], CellValues | None] = {}
    errors: dict[str, str] = {}
    for row in rows:
        if row.department.id not in editable:
            continue
        for module in row.modules:
            levels: dict[str, int | None] = {}
            for part in DIMENSIONS:
                name = cell_name(part, row.department.id, module.id)
                levels[part], error = _read_level(form.get(name))
                if error:
                    errors[name] = error
            note_name = cell_name("note", row.department.id, module.id)
            note = (form.get(note_name) or "").strip()
            if len(note) > MAX_NOTE:
                errors[note_name] = _("Keep the note under %(n)s characters.", n=format_number(MAX_NOTE))
            elif any(ord(c) < 32 and c not in "\t\r\n" for c in note):
                errors[note_name] = _("The note holds characters that are not text.")
            given = [p for p in DIMENSIONS if levels[p] is not None]
            if given and len(given) < len(DIMENSIONS):
                for part in DIMENSIONS:
                    name = cell_name(part, row.department.id, module.id)
                    if levels[part] is None and name not in errors:
                        errors[name] = _("Rate all three, or leave the cell empty.")
            elif note and not given and note_name not in errors:
                errors[note_name] = _("Rate the cell before adding a note.")
            if len(given) == len(DIMENSIONS):
                values[(row.department.id, module.id)] = CellValues(
                    levels["processes"] or 0, levels["tools"] or 0, levels["roles"] or 0, note)
            else:
                values[(row.department.id, module.id)] = None
    return values, errors


def grid_version(plan: Plan, department_ids: Iterable[int]) -> int:
    """A number that changes whenever someone saves a cell of these departments (added, changed or removed):
    the grid's version, so a stale grid is refused rather than silently overwriting."""
    ids = list(department_ids)
    if not ids:
        return 0
    rows = db.session.execute(select(ImpactRating.id, ImpactRating.version).where(
        ImpactRating.plan_id == plan.id, ImpactRating.department_id.in_(ids)).order_by(ImpactRating.id)).all()
    if not rows:
        return 0
    digest = hashlib.sha256(",".join(f"{i}:{v}" for i, v in rows).encode()).hexdigest()
    return 1 + int(digest[:12], 16) % 999_999_998  # read_version takes up to nine digits


def save_grid(plan: Plan, rows: Iterable[GridRow], values: Mapping[tuple[int, int], CellValues | None]) -> int:
    """Write the cells read by read_grid: add, change or remove ratings; returns how many changed. Only the
    cells of the departments' own wave modules are written (anything else is refused)."""
    known = {(row.department.id, m.id): row.ratings.get(m.id) for row in rows for m in row.modules}
    unknown = [key for key in values if key not in known]
    if unknown:
        raise ValidationFailed(_("A cell of the grid is not a module of its department's wave."))
    changed = 0
    for key, cell in values.items():
        rating = known[key]
        if cell is None:
            if rating is not None:
                db.session.delete(rating)
                changed += 1
            continue
        if rating is None:
            rating = ImpactRating(plan_id=plan.id, department_id=key[0], crm_module_id=key[1])
            db.session.add(rating)
        elif (rating.processes, rating.tools, rating.roles, rating.note) == (cell.processes, cell.tools, cell.roles, cell.note):
            continue
        rating.processes, rating.tools, rating.roles, rating.note = cell.processes, cell.tools, cell.roles, cell.note
        changed += 1
    db.session.flush()
    return changed


def rate(plan: Plan, department: Department, module: CrmModule, *, processes: int, tools: int, roles: int,
         note: str = "") -> ImpactRating:
    """Rate one cell (the demo and tests use it); the module must be one of the department's wave."""
    rows = [r for r in grid(plan) if r.department.id == department.id]
    if not rows or module not in rows[0].modules:
        raise ValidationFailed(_("%(module)s is not a module of %(department)s's wave.", module=module.code,
                                 department=department.name))
    for level in (processes, tools, roles):
        if not LOWEST <= level <= HIGHEST:
            raise ValidationFailed(_("Rate from 1 (hardly changes) to 5 (changes completely)."))
    save_grid(plan, rows, {(department.id, module.id): CellValues(processes, tools, roles, note)})
    return db.session.execute(select(ImpactRating).where(
        ImpactRating.plan_id == plan.id, ImpactRating.department_id == department.id,
        ImpactRating.crm_module_id == module.id)).scalar_one()


# --- the heat map ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DepartmentImpact:
    department: Department
    wave: Wave
    levels: dict[int, int]  # module id -> the cell's impact (its highest dimension); missing: not rated
    overall: int | None  # the highest cell; None when nothing is rated
    training: training_completion.Completion | None  # mandatory courses, valid completion as of the day
    communications_planned: int
    communications_sent: int
    tasks_open: int
    reasons: list[str]  # why it needs attention; empty when it does not

    @property
    def needs_attention(self) -> bool:
        return bool(self.reasons)

    @property
    def unrated(self) -> int:
        return sum(1 for m in self.wave.modules if m.id not in self.levels)


@dataclass(frozen=True)
class ImpactMap:
    modules: list[CrmModule]  # the columns: every module of the plan's waves
    departments: list[DepartmentImpact]  # hardest hit first


def department_impact(plan: Plan) -> dict[int, int]:
    """Department id -> its overall impact (the highest dimension of its rated cells), for the departments of
    the plan's waves with at least one rated cell. Only the modules of the department's wave count: a rating left
    over from a module since taken out of the wave does not."""
    return {row.department.id: max(r.level for r in row.ratings.values()) for row in grid(plan) if row.ratings}


def _communications(plan: Plan) -> dict[int | None, dict[CommunicationStatus, int]]:
    """Department id (None: the plan-wide ones, which reach every department) -> status -> how many."""
    counts: dict[int | None, dict[CommunicationStatus, int]] = {}
    for department_id, status, n in db.session.execute(
            select(Communication.department_id, Communication.status, func.count())
            .where(Communication.plan_id == plan.id)
            .group_by(Communication.department_id, Communication.status)):
        counts.setdefault(department_id, {})[status] = n
    return counts


def _open_tasks(plan: Plan) -> dict[int | None, int]:  # (never None: those are left out)
    return dict(db.session.execute(
        select(ChangeTask.department_id, func.count()).where(
            ChangeTask.plan_id == plan.id, ChangeTask.department_id.is_not(None),
            ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED]))
        .group_by(ChangeTask.department_id)).all())


def _reasons(overall: int | None, completion: training_completion.Completion | None, heard: int) -> list[str]:
    if overall is None or overall < HIGH_IMPACT:
        return []
    reasons = []
    if completion is None or completion.percent is None:
        reasons.append(_("nobody is enrolled in a mandatory course"))
    elif completion.percent < LOW_TRAINING:
        reasons.append(_("mandatory training at %(percent)s%%", percent=format_number(completion.percent, 0)))
    if heard < FEW_COMMUNICATIONS:
        reasons.append(ngettext("only %(n)s communication planned or sent", "only %(n)s communications planned or sent",
                                heard))
    return reasons


def impact_map(plan: Plan, *, today: date) -> ImpactMap:
    """The heat map: every department of the plan's waves with its cells, overall impact, training (valid
    mandatory completion as of `today`), communications and open change tasks; the hardest hit first (then by
    wave and name), departments not rated yet last."""
    rows = grid(plan)
    completion = {r.department_id: r.completion
                  for r in training_completion.completion_by_department(mandatory_only=True, today=today)
                  if r.department_id is not None}
    communications = _communications(plan)
    tasks = _open_tasks(plan)
    modules: dict[int, CrmModule] = {}
    departments = []
    for row in rows:
        for module in row.modules:
            modules.setdefault(module.id, module)
        levels = {module_id: rating.level for module_id, rating in row.ratings.items()}
        overall = max(levels.values(), default=None)
        own, everyone = communications.get(row.department.id, {}), communications.get(None, {})
        planned, sent = (own.get(status, 0) + everyone.get(status, 0)
                         for status in (CommunicationStatus.PLANNED, CommunicationStatus.SENT))
        done = completion.get(row.department.id)
        departments.append(DepartmentImpact(
            department=row.department, wave=row.wave, levels=levels, overall=overall, training=done,
            communications_planned=planned, communications_sent=sent, tasks_open=tasks.get(row.department.id, 0),
            reasons=_reasons(overall, done, planned + sent)))
    order = {id(d): n for n, d in enumerate(departments)}  # wave order, then name: the grid's
    departments.sort(key=lambda d: (d.overall is None, -(d.overall or 0), not d.needs_attention, order[id(d)]))
    return ImpactMap(sorted(modules.values(), key=lambda m: m.code), departments)
