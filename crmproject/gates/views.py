"""Gate pages: the plan's gates with their recommendation, one gate's evidence and decisions, and their forms."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import User
from crmproject.auth.permissions import allow, can_comment_on_gate_decision, can_decide_gates, can_prepare_gates, can_view
from crmproject.comments import targets as comment_targets
from crmproject.dates import date_shown
from crmproject.auth.services import list_active_users
from crmproject.errors import ValidationFailed, saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.gates import bp, criteria, services
from crmproject.gates.forms import CriterionForm, DecisionForm, GateForm
from crmproject.gates.models import CriterionKind, GateCriterion, GateDecision, GateOutcome, PhaseGate
from crmproject.gates.tables import CRITERIA, GATES
from crmproject.i18n import _, lazy_gettext
from crmproject.plans.models import Phase, Plan, Wave
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today


def _gate(plan: Plan, gate_id: int) -> PhaseGate:
    gate = db.session.get(PhaseGate, gate_id)
    if gate is None or gate.plan_id != plan.id:
        abort(404)
    return gate


def _criterion(gate: PhaseGate, criterion_id: int) -> GateCriterion:
    criterion = db.session.get(GateCriterion, criterion_id)
    if criterion is None or criterion.gate_id != gate.id:
        abort(404)
    return criterion


def _to_gate(plan: Plan, gate: PhaseGate, message: str):
    flash(message, "success")
    return redirect(url_for("gates.show", plan_id=plan.id, gate_id=gate.id))


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    gates = services.list_gates(plan)
    today = plan_today(plan)
    evaluations = services.evaluate_gates(plan, gates, today=today)
    if wants_csv():
        return table_csv(GATES, [(g, evaluations[g.id]) for g in gates], plan.name, _("gates"))
    return render_template("gates/index.html", plan=plan, gates=gates, today=today, evaluations=evaluations)


@table_page(bp, "/<int:gate_id>")
def show(plan_id: int, gate_id: int):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id)
    if wants_csv():
        results = services.evaluate_gate(gate, today=plan_today(plan)).results
        return table_csv(CRITERIA, results, plan.name, gate.name)
    return _show(plan, gate, _decision_form(gate, formdata=None))


def _show(plan: Plan, gate: PhaseGate, form: DecisionForm, status: int = 200):
    today = plan_today(plan)
    evaluation = services.evaluate_gate(gate, today=today)
    if not form.is_submitted() and evaluation.recommendation is not None:
        form.outcome.data = evaluation.recommendation.value
    return render_template("gates/show.html", plan=plan, gate=gate, evaluation=evaluation, form=form, today=today,
                           kinds=criteria.KINDS, statuses=criteria.CriterionStatus), status


def _decision_form(gate: PhaseGate, formdata=...) -> DecisionForm:
    form = DecisionForm() if formdata is ... else DecisionForm(formdata=formdata)
    owners = options([("", _("— none —"))] + [(u.id, u.name) for u in list_active_users()])
    for _text, owner, _due in form.condition_rows():
        owner.choices = owners
    if not form.is_submitted():
        form.decided_on.data = plan_today(gate.plan)
        form.decided_by.data = _("Steering committee")
    return form


@bp.post("/<int:gate_id>/decisions")
@allow(can_decide_gates)
def decide(plan_id: int, gate_id: int):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id)
    form = _decision_form(gate)
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.record_decision(
                gate, outcome=GateOutcome(form.outcome.data), decided_on=form.decided_on.data,
                decided_by=form.decided_by.data or "", reasoning=form.reasoning.data or "", recorded_by=current_user,
                today=plan_today(plan), fields=tuple(f"condition_{n}" for n in range(1, 4)),
                conditions=[services.ConditionValues(text.data or "", db.session.get(User, owner.data) if owner.data else None,
                                                     due.data) for text, owner, due in form.condition_rows()],
            )
        if outcome.saved:
            return _to_gate(plan, gate, _("Decision recorded at %(gate)s.", gate=gate.name))
    return _show(plan, gate, form, 400)


def _targets(plan: Plan) -> list[tuple[str, str]]:
    return ([(f"phase:{p.id}", _("End of phase: %(name)s", name=p.name)) for p in plan.phases]
            + [(f"wave:{w.id}", _("Go-live of wave: %(name)s", name=w.name)) for w in plan.waves])


def _target(plan: Plan, value: str | None) -> tuple[Phase | None, Wave | None]:
    kind, _sep, number = (value or "").partition(":")
    found = {f"phase:{p.id}": (p, None) for p in plan.phases} | {f"wave:{w.id}": (None, w) for w in plan.waves}
    return found.get(f"{kind}:{number}", (None, None))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:gate_id>/edit", methods=["GET", "POST"])
@allow(can_prepare_gates)
def gate_form(plan_id: int, gate_id: int | None = None):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id) if gate_id else None
    form = GateForm(obj=gate if request.method == "GET" else None)
    form.target.choices = options(_targets(plan))
    if request.method == "GET" and gate is not None:
        form.target.data = f"phase:{gate.phase_id}" if gate.phase_id else f"wave:{gate.wave_id}"
    if form.validate_on_submit():
        with saving(form, gate) as outcome:
            phase, wave = _target(plan, form.target.data)
            values: dict[str, Any] = dict(name=form.name.data or "", phase=phase, wave=wave, notes=form.notes.data or "")
            saved = services.create_gate(plan, **values) if gate is None else services.update_gate(gate, **values)
            if gate is None:
                for kind in CriterionKind:
                    services.add_criterion(saved, kind=kind, blocking=kind != CriterionKind.KPIS_ON_PATH)
        if outcome.saved:
            return _to_gate(plan, saved, _("Gate %(name)s saved.", name=saved.name))
    return render_template("gates/gate_form.html", plan=plan, gate=gate, form=form), form.http_status


@bp.post("/<int:gate_id>/delete")
@allow(can_prepare_gates)
def delete(plan_id: int, gate_id: int):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id)
    name = gate.name
    try:
        services.delete_gate(gate)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(m for messages in exc.errors.values() for m in messages), "error")
        return redirect(url_for("gates.show", plan_id=plan.id, gate_id=gate_id))
    flash(_("Gate %(name)s deleted.", name=name), "success")
    return redirect(url_for("gates.index", plan_id=plan.id))


@bp.route("/<int:gate_id>/criteria/new", methods=["GET", "POST"])
@bp.route("/<int:gate_id>/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@allow(can_prepare_gates)
def criterion_form(plan_id: int, gate_id: int, criterion_id: int | None = None):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id)
    criterion = _criterion(gate, criterion_id) if criterion_id else None
    form = CriterionForm(obj=criterion if request.method == "GET" else None)
    saved_blocks = [b for b in criterion.blocks.split(",") if b] if criterion is not None else []
    if request.method == "GET" and criterion is not None:
        form.kind.data = criterion.kind.value
        form.building_blocks.data = saved_blocks
    if form.validate_on_submit():
        with saving(form, criterion, saved={"building_blocks": saved_blocks}) as outcome:
            values = dict(kind=CriterionKind(form.kind.data), blocking=form.blocking.data, note=form.note.data or "",
                          blocks=list(form.building_blocks.data or []))
            if criterion is None:
                services.add_criterion(gate, threshold=form.threshold.data, **values)
            else:
                threshold = form.threshold.data if form.threshold.data is not None else criteria.default_threshold(
                    values["kind"], plan)
                services.update_criterion(criterion, threshold=threshold, **values)
        if outcome.saved:
            return _to_gate(plan, gate, _("Criterion saved."))
    return render_template("gates/criterion_form.html", plan=plan, gate=gate, criterion=criterion, form=form,
                           kinds=criteria.KINDS, default=lambda kind: criteria.default_threshold(kind, plan)), form.http_status


@bp.post("/<int:gate_id>/criteria/<int:criterion_id>/delete")
@allow(can_prepare_gates)
def criterion_delete(plan_id: int, gate_id: int, criterion_id: int):
    plan = plan_or_404(plan_id)
    gate = _gate(plan, gate_id)
    services.delete_criterion(_criterion(gate, criterion_id))
    return _to_gate(plan, gate, _("Criterion removed."))


# a gate decision takes comments (crmproject/comments): its gate's page shows them under the decision
comment_targets.register(comment_targets.Target(
    type="gate_decisions", kind=lazy_gettext("Gate decision"),
    load=lambda decision_id: db.session.get(GateDecision, decision_id), plan_id=lambda decision: decision.gate.plan_id,
    label=lambda decision: _("%(gate)s: %(outcome)s on %(day)s", gate=decision.gate.name, outcome=decision.outcome.label,
                             day=date_shown(decision.decided_on)),
    url=lambda decision: url_for("gates.show", plan_id=decision.gate.plan_id, gate_id=decision.gate_id) + f"#decision-{decision.id}",
    can_see=lambda user, decision: can_view(user), can_comment=can_comment_on_gate_decision))
