"""The gates list's table, for its CSV download (crmproject.exports.Table): rows are (gate, its evaluation)."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l


def _decision(gate):
    return gate.decisions[0] if gate.decisions else None


def _criteria_met(evaluation) -> str:
    met = sum(1 for r in evaluation.results if r.status.value == "met")
    counted = sum(1 for r in evaluation.results if r.status.value != "not_applicable")
    return f"{met} / {counted}"


def _judges(gate) -> str:
    if gate.phase:
        return _("End of phase: %(name)s", name=gate.phase.name)
    return _("Go-live of wave: %(name)s", name=gate.wave.name)


GATES = Table(
    Column(_l("Gate"), lambda r: r[0].name),
    Column(_l("Recommendation"), lambda r: r[1].recommendation),
    Column(_l("Decision"), lambda r: _decision(r[0]).outcome if _decision(r[0]) else None),
    Column(_l("Due"), lambda r: r[0].due),
    Column(_l("Criteria met"), lambda r: _criteria_met(r[1])),
    Column(_l("Judges"), lambda r: _judges(r[0])),
)


def _g(value) -> float:
    """A figure as the page prints it (%g: six significant digits)."""
    return float(f"{float(value):g}")


def _bound(comparison: str, threshold, unit: str) -> str:
    return f"{'≥' if comparison == 'at_least' else '≤'} {float(threshold):g}{unit}"


# a gate's page: its criteria, as judged today
CRITERIA = Table(
    Column(_l("Criterion"), lambda r: r.label if r.blocking else f"{r.label} {_('(not blocking)')}"),
    Column(_l("Measured"), lambda r: _g(r.measured) if r.measured is not None else None),
    Column(_l("Threshold"), lambda r: _bound(r.info.comparison, r.threshold, r.info.unit)),
    Column(_l("Result"), lambda r: r.status),
    Column(_l("Evidence"), lambda r: r.detail),
)
