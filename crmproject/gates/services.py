"""Gates of a plan: defining them and their criteria, judging them on the evidence, recording decisions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.auth.models import User
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.gates import criteria
from crmproject.gates.models import (
    CriterionKind, DecisionCondition, GateCriterion, GateDecision, GateOutcome, PhaseGate,
)
from crmproject.i18n import _
from crmproject.maturity.blocks import Block
from crmproject.plans.models import Phase, Plan, Wave
from crmproject.plans.seeds import PlanTemplate, made_from_template
from crmproject.plans.services import deletion_guard
from crmproject.tasks.models import TaskPriority
from crmproject.tasks.services import category_by_key, create_task, ensure_categories


def list_gates(plan: Plan) -> list[PhaseGate]:
    """The plan's gates in the order they fall due (criteria, phases, waves and decisions loaded)."""
    gates = list(db.session.scalars(
        select(PhaseGate).where(PhaseGate.plan_id == plan.id)
        .options(selectinload(PhaseGate.criteria), selectinload(PhaseGate.phase), selectinload(PhaseGate.wave),
                 selectinload(PhaseGate.decisions))))
    return sorted(gates, key=lambda g: (g.due, g.id))


def _check_gate(plan: Plan, gate: PhaseGate | None, *, name: str, phase: Phase | None, wave: Wave | None) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the gate a name.")
    if (phase is None) == (wave is None):
        errors["target"] = _("Choose the phase whose end, or the wave whose go-live, the gate judges.")
    elif (target := phase or wave) is None or target.plan_id != plan.id:  # (one of them is given here)
        errors["target"] = _("That phase or wave belongs to another plan.")
    else:
        taken = db.session.scalar(select(PhaseGate).where(
            PhaseGate.phase_id == phase.id if phase is not None else PhaseGate.wave_id == target.id))
        if taken is not None and taken is not gate:
            errors["target"] = _("%(target)s already has a gate: %(gate)s.", target=target.name,
                                 gate=taken.name)
    if errors:
        raise ValidationFailed(errors)


def create_gate(plan: Plan, *, name: str, phase: Phase | None = None, wave: Wave | None = None,
                notes: str = "") -> PhaseGate:
    _check_gate(plan, None, name=name, phase=phase, wave=wave)
    gate = PhaseGate(plan_id=plan.id, name=name.strip(), phase=phase, wave=wave, notes=notes.strip())
    db.session.add(gate)
    db.session.flush()
    return gate


def update_gate(gate: PhaseGate, *, name: str, phase: Phase | None, wave: Wave | None, notes: str = "") -> PhaseGate:
    _check_gate(gate.plan, gate, name=name, phase=phase, wave=wave)
    if gate.decisions and (phase != gate.phase or wave != gate.wave):
        raise ValidationFailed(_("Decisions were recorded at this gate: it stays on %(target)s.",
                                 target=(gate.phase or gate.wave).name), field="target")  # type: ignore[union-attr]
    gate.name, gate.phase, gate.wave, gate.notes = name.strip(), phase, wave, notes.strip()
    db.session.flush()
    return gate


def delete_gate(gate: PhaseGate) -> None:
    """Only a gate without decisions: a decision is a record the committee keeps."""
    if gate.decisions:
        raise ValidationFailed(_("%(gate)s has recorded decisions and cannot be deleted: the record stays.",
                                 gate=gate.name))
    db.session.delete(gate)
    db.session.flush()


def _check_criterion(kind: CriterionKind, threshold: Decimal | None, blocks: Sequence[str] = ()) -> None:
    info = criteria.KINDS[kind]
    if blocks and kind != CriterionKind.MATURITY:
        raise ValidationFailed(_("Building blocks belong only to a maturity criterion."), field="building_blocks")
    if any(b not in {x.value for x in Block} for b in blocks):
        raise ValidationFailed(_("Choose building blocks of the maturity model."), field="building_blocks")
    if threshold is None:
        raise ValidationFailed(_("Give a threshold."), field="threshold")
    if threshold < 0 or threshold > info.maximum:
        raise ValidationFailed(_("The threshold must be from 0 to %(max)s.", max=f"{info.maximum:g}"), field="threshold")
    if kind in (CriterionKind.CRITICAL_TASKS, CriterionKind.RISKS) and threshold != threshold.to_integral_value():
        raise ValidationFailed(_("The threshold is a whole number."), field="threshold")


def add_criterion(gate: PhaseGate, *, kind: CriterionKind, threshold: Decimal | None = None, blocking: bool = True,
                  note: str = "", blocks: Sequence[str] = ()) -> GateCriterion:
    """Add a criterion; without a threshold, the kind's default (the plan's adoption target for adoption)."""
    if threshold is None:
        threshold = criteria.default_threshold(kind, gate.plan)
    _check_criterion(kind, threshold, blocks)
    criterion = GateCriterion(kind=kind, threshold=threshold, blocking=blocking, note=note.strip(),
                              position=len(gate.criteria), blocks=",".join(blocks))
    gate.criteria.append(criterion)
    db.session.flush()
    return criterion


def update_criterion(criterion: GateCriterion, *, kind: CriterionKind, threshold: Decimal | None, blocking: bool,
                     note: str = "", blocks: Sequence[str] = ()) -> GateCriterion:
    _check_criterion(kind, threshold, blocks)
    criterion.kind, criterion.threshold, criterion.blocking, criterion.note = kind, threshold, blocking, note.strip()  # type: ignore[assignment]
    criterion.blocks = ",".join(blocks)
    db.session.flush()
    return criterion


def delete_criterion(criterion: GateCriterion) -> None:
    gate = criterion.gate
    gate.criteria.remove(criterion)
    for position, other in enumerate(gate.criteria):
        other.position = position
    db.session.flush()


# --- judging --------------------------------------------------------------------------------------------

def evaluate_gates(plan: Plan, gates: list[PhaseGate], *, today: date) -> dict[int, criteria.GateEvaluation]:
    """Every gate judged on the plan's evidence, read once (plan with waves loaded)."""
    if not gates:
        return {}
    evidence = criteria.gather(plan, today=today)
    return {gate.id: criteria.evaluate(gate, evidence) for gate in gates}


def evaluate_gate(gate: PhaseGate, *, today: date) -> criteria.GateEvaluation:
    return evaluate_gates(gate.plan, [gate], today=today)[gate.id]


def evaluation_json(gate: PhaseGate, evaluation: criteria.GateEvaluation, *, today: date) -> dict:
    """A gate's evaluation as plain JSON values: what the CLI prints and a decision keeps."""
    target = gate.phase or gate.wave
    return {
        "gate_id": gate.id, "name": gate.name, "kind": "phase" if gate.phase_id else "wave",
        "target": target.name if target else "", "due": gate.due.isoformat(), "evaluated_on": today.isoformat(),
        "recommendation": evaluation.recommendation.value if evaluation.recommendation else None,
        "reasons": evaluation.reasons,
        "criteria": [r.as_dict() for r in evaluation.results],
    }


# --- decisions ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConditionValues:
    text: str
    owner: User | None
    due: date | None


def record_decision(gate: PhaseGate, *, outcome: GateOutcome, decided_on: date | None, decided_by: str, reasoning: str,
                    conditions: list[ConditionValues], recorded_by: User | None, today: date,
                    fields: tuple[str, ...] = ()) -> GateDecision:
    """Record what the steering committee decided, with the evidence measured now; each condition becomes a
    change task of the gate's phase with its owner and due date. `fields` names the form fields of the
    conditions in order (condition_1, ...), for messages in place."""
    evaluation = evaluate_gate(gate, today=today)
    errors: dict[str, str] = {}
    if decided_on is None:
        errors["decided_on"] = _("Give the day of the decision.")
    elif decided_on > today:
        errors["decided_on"] = _("A decision cannot be dated in the future.")
    if not decided_by.strip():
        errors["decided_by"] = _("Say who decided, for example the steering committee and its members present.")
    if evaluation.recommendation is not None and outcome != evaluation.recommendation and not reasoning.strip():
        errors["reasoning"] = _("The decision differs from the recommendation (%(recommendation)s): say why.",
                                recommendation=evaluation.recommendation.label)
    if outcome == GateOutcome.HOLD and not reasoning.strip():
        errors["reasoning"] = _("Say why the gate is held and what must happen first.")
    names = fields or tuple(f"condition_{n + 1}" for n in range(max(len(conditions), 1)))
    given = [(name, c) for name, c in zip(names, conditions, strict=False) if c.text.strip() or c.owner or c.due]
    for name, c in given:
        if not c.text.strip():
            errors[f"{name}_text"] = _("Say what the condition is.")
        if c.due is None:
            errors[f"{name}_due"] = _("Give the condition a due date.")
        elif decided_on is not None and c.due < decided_on:
            errors[f"{name}_due"] = _("The due date is before the decision.")
    if outcome == GateOutcome.GO_WITH_CONDITIONS and not given:
        errors[f"{names[0]}_text" if names else "outcome"] = _("A go with conditions needs at least one condition.")
    if errors:
        raise ValidationFailed(errors)
    assert decided_on is not None
    decision = GateDecision(
        gate=gate, outcome=outcome, recommendation=evaluation.recommendation or outcome, decided_on=decided_on,
        decided_by=decided_by.strip(), reasoning=reasoning.strip(), recorded_by=recorded_by,
        evidence_json=json.dumps(evaluation_json(gate, evaluation, today=today), ensure_ascii=False),
    )
    db.session.add(decision)
    category = category_by_key("leadership") or ensure_categories()[0]
    phase_id = criteria.gate_phase_id(gate, gate.plan.phases)
    phase = db.session.get(Phase, phase_id) if phase_id else None
    for _name, c in given:
        task = create_task(
            gate.plan, title=_("Gate condition: %(text)s", text=c.text.strip())[:300], category=category, actor=recorded_by,
            owner=c.owner, due=c.due, phase=phase, priority=TaskPriority.HIGH,
            description=_("A condition of the decision \"%(outcome)s\" at %(gate)s on %(day)s.", outcome=outcome.label,
                          gate=gate.name, day=decided_on.isoformat()),
        )
        decision.conditions.append(DecisionCondition(text=c.text.strip()[:300], owner=c.owner, due_date=c.due, task=task))
    db.session.flush()
    return decision


@made_from_template
def create_template_gates(plan: Plan, template: PlanTemplate) -> list[PhaseGate]:
    """The gates a seed plan carries, on the plan made from it (validated when the template was read; localized to
    the plan's language, so its gates name the plan's phases and waves)."""
    phases = {p.name: p for p in plan.phases}
    waves = {w.name: w for w in plan.waves}
    made = []
    for g in template.gates:
        gate = create_gate(plan, name=g.name, phase=phases.get(g.phase or ""), wave=waves.get(g.wave or ""),
                           notes=g.notes)
        for c in g.criteria:
            add_criterion(gate, kind=CriterionKind(c.kind), threshold=c.threshold, blocking=c.blocking, blocks=c.blocks,
                          note=c.note)
        made.append(gate)
    return made


@deletion_guard
def _decisions_are_kept(target: Phase | Wave) -> str | None:
    """A phase or wave whose gate holds the committee's decisions is not deleted: they are kept for good."""
    column = PhaseGate.phase_id if isinstance(target, Phase) else PhaseGate.wave_id
    gate = db.session.scalar(select(PhaseGate).where(column == target.id).options(selectinload(PhaseGate.decisions)))
    if gate is None or not gate.decisions:
        return None
    return _("%(name)s cannot be deleted: the steering committee's decisions at its gate %(gate)s are kept for good. "
             "Rename it or change its dates instead.", name=target.name, gate=gate.name)
