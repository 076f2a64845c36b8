"""`crmproject gates evaluate`: each gate of a plan judged on today's figures, as text or JSON."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from crmproject.i18n import _


@click.group("gates")
def gates_group() -> None:
    """Phase gates: judge them on the plan's figures."""


@gates_group.command("evaluate")
@click.option("--plan", "plan_id", type=int, required=True, help="The plan's id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each gate's criteria, measured values and recommendation.")
@with_appcontext
def evaluate(plan_id: int, as_json: bool) -> None:
    """Judge every gate of a plan on today's figures (the plan's time zone)."""
    from crmproject.gates import services
    from crmproject.gates.criteria import number
    from crmproject.plans.services import load_plan
    from crmproject.plans.services import plan_today

    plan = load_plan(plan_id)
    if plan is None:
        raise click.BadParameter(_("There is no plan with the id %(id)s.", id=plan_id), param_hint="--plan")
    today = plan_today(plan)
    gates = services.list_gates(plan)
    evaluations = services.evaluate_gates(plan, gates, today=today)
    judged = [services.evaluation_json(gate, evaluations[gate.id], today=today) for gate in gates]
    if as_json:
        click.echo(json.dumps({"plan_id": plan.id, "plan": plan.name, "evaluated_on": today.isoformat(), "gates": judged},
                              ensure_ascii=False, indent=2))
        return
    if not gates:
        click.echo(_("Plan %(plan)s has no gates.", plan=plan.name))
    for g in judged:
        recommendation = evaluations[g["gate_id"]].recommendation
        click.echo(_("%(gate)s (%(target)s, due %(due)s): %(recommendation)s", gate=g["name"], target=g["target"],
                     due=g["due"], recommendation=recommendation.label if recommendation else _("no criteria")))
        for c in evaluations[g["gate_id"]].results:
            measured = "—" if c.measured is None else f"{number(c.measured)}{c.info.unit}"
            bound = ("≥ " if c.info.comparison == "at_least" else "≤ ") + f"{number(c.threshold)}{c.info.unit}"
            click.echo(f"  [{c.status.label}] {c.label}: {measured} ({bound}){'' if c.blocking else ' ' + _('(not blocking)')}")
            click.echo(f"      {c.detail}")
