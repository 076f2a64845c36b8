"""Saving a plan's baseline and comparing the plan as it is now with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import null, select

from crmproject.auth.models import User
from crmproject.baselines.models import BaselineItem, BaselineItemKind, PlanBaseline
from crmproject.db import insert_rows
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis.models import Kpi
from crmproject.plans.models import Phase, Plan, Wave
from crmproject.tasks.models import ChangeTask


def list_baselines(plan: Plan) -> list[PlanBaseline]:
    """Newest first."""
    return list(db.session.scalars(select(PlanBaseline).where(PlanBaseline.plan_id == plan.id)
                                   .order_by(PlanBaseline.saved_at.desc(), PlanBaseline.id.desc())))


def _current(plan: Plan) -> dict[BaselineItemKind, list[dict]]:
    """The plan's dated objects now, as baseline items (plain rows: a plan may have thousands of tasks)."""
    def rows(kind: BaselineItemKind, query) -> list[dict]:
        return [{"kind": kind, "object_id": i, "name": name, "start_date": start, "end_date": end, "value": value}
                for i, name, start, end, value in db.session.execute(query)]

    return {
        BaselineItemKind.PHASE: rows(BaselineItemKind.PHASE, select(
            Phase.id, Phase.name, Phase.start_date, Phase.end_date, null()).where(
            Phase.plan_id == plan.id).order_by(Phase.position)),
        BaselineItemKind.WAVE: rows(BaselineItemKind.WAVE, select(
            Wave.id, Wave.name, Wave.go_live_date, Wave.go_live_date, null()).where(
            Wave.plan_id == plan.id).order_by(Wave.position)),
        BaselineItemKind.TASK: rows(BaselineItemKind.TASK, select(
            ChangeTask.id, ChangeTask.title, ChangeTask.start_date, ChangeTask.due_date, null()).where(
            ChangeTask.plan_id == plan.id).order_by(ChangeTask.id)),
        BaselineItemKind.KPI: rows(BaselineItemKind.KPI, select(
            Kpi.id, Kpi.name, Kpi.baseline_date, Kpi.target_date, Kpi.target_value).where(
            Kpi.plan_id == plan.id).order_by(Kpi.id)),
    }


def save_baseline(plan: Plan, *, name: str, note: str = "", saved_by: User | None) -> PlanBaseline:
    """Keep the plan's phase, wave and task dates and KPI targets under a name, unique in the plan."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Give the baseline a name, for example \"approved plan\"."), field="name")
    if db.session.scalar(select(PlanBaseline.id).where(PlanBaseline.plan_id == plan.id, PlanBaseline.name == name)):
        raise ValidationFailed(_("This plan already has a baseline named %(name)s.", name=name), field="name")
    baseline = PlanBaseline(plan_id=plan.id, name=name, note=note.strip(), saved_by=saved_by)
    db.session.add(baseline)
    db.session.flush()
    items = [dict(row, baseline_id=baseline.id, name=str(row["name"])[:300])
             for rows in _current(plan).values() for row in rows]
    insert_rows(BaselineItem.__table__, items, ids=False)
    return baseline


def delete_baseline(baseline: PlanBaseline) -> None:
    db.session.delete(baseline)
    db.session.flush()


# --- comparing ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slip:
    """One object then and now; a slip is in days, later is positive. Added: not in the baseline; removed: gone
    from the plan (an object without dates is in both like any other)."""

    kind: BaselineItemKind
    object_id: int
    name: str
    then_start: date | None
    then_end: date | None
    now_start: date | None
    now_end: date | None
    then_value: Decimal | None = None
    now_value: Decimal | None = None
    in_baseline: bool = True
    in_plan: bool = True

    @property
    def added(self) -> bool:
        return not self.in_baseline

    @property
    def removed(self) -> bool:
        return not self.in_plan

    @property
    def start_slip(self) -> int | None:
        return (self.now_start - self.then_start).days if self.now_start and self.then_start else None

    @property
    def end_slip(self) -> int | None:
        return (self.now_end - self.then_end).days if self.now_end and self.then_end else None

    @property
    def changed(self) -> bool:
        return (self.added or self.removed or bool(self.start_slip) or bool(self.end_slip)
                or self.then_value != self.now_value)


@dataclass
class Comparison:
    baseline: PlanBaseline
    phases: list[Slip] = field(default_factory=list)
    waves: list[Slip] = field(default_factory=list)
    tasks: list[Slip] = field(default_factory=list)  # only the changed ones, latest slip first
    kpis: list[Slip] = field(default_factory=list)  # only the changed ones
    tasks_compared: int = 0

    @property
    def tasks_late(self) -> int:
        return sum(1 for t in self.tasks if (t.end_slip or 0) > 0)

    @property
    def tasks_early(self) -> int:
        return sum(1 for t in self.tasks if (t.end_slip or 0) < 0)

    @property
    def worst_phase(self) -> Slip | None:
        slipped = [p for p in self.phases if (p.end_slip or 0) > 0]
        return max(slipped, key=lambda p: p.end_slip or 0) if slipped else None


def compare(plan: Plan, baseline: PlanBaseline) -> Comparison:
    """The plan now against `baseline`: every phase and wave, the tasks and KPI targets that changed."""
    then = {(row.kind, row.object_id): row for row in db.session.execute(
        select(BaselineItem.kind, BaselineItem.object_id, BaselineItem.name, BaselineItem.start_date,
               BaselineItem.end_date, BaselineItem.value).where(BaselineItem.baseline_id == baseline.id))}
    result = Comparison(baseline)
    for kind, rows in _current(plan).items():
        for row in rows:
            old = then.pop((kind, row["object_id"]), None)
            _place(result, Slip(kind, row["object_id"], row["name"], old.start_date if old else None,
                                old.end_date if old else None, row["start_date"], row["end_date"],
                                old.value if old else None, row["value"], in_baseline=old is not None))
    for old in then.values():  # what the plan no longer has
        _place(result, Slip(old.kind, old.object_id, old.name, old.start_date, old.end_date, None, None, old.value,
                            None, in_plan=False))
    result.tasks_compared = len(result.tasks)
    result.tasks = sorted((t for t in result.tasks if t.changed),
                          key=lambda t: (t.removed, t.added, -(t.end_slip or 0), t.name.casefold()))
    result.kpis = [k for k in result.kpis if k.changed]
    return result


def _place(result: Comparison, slip: Slip) -> None:
    {BaselineItemKind.PHASE: result.phases, BaselineItemKind.WAVE: result.waves, BaselineItemKind.TASK: result.tasks,
     BaselineItemKind.KPI: result.kpis}[slip.kind].append(slip)
