"""Readiness pulse charts: plain plotly figures (crmproject.charts)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

from crmproject.charts import COLOURS, layout
from crmproject.pulse.results import BARRIER_BELOW, ELEMENTS, SurveyResults

GRID = "#eef1f4"
ELEMENT_COLOURS = ("#3b6ea8", "#d9822b", "#2e8b57", "#7b4ea3", "#8c564b")


def trend_figure(trend: Sequence[SurveyResults]) -> dict:
    """One line per ADKAR element across the department's surveys (those with enough answers), with the
    barrier line at 3."""
    from crmproject.dates import date_text
    from crmproject.i18n import _

    shown = [r for r in trend if r.shown]
    x = [f"{date_text(r.closes_on)} · {r.title}" for r in shown]
    data = [{"type": "scatter", "mode": "lines+markers", "name": escape(str(element.label)), "x": [escape(v) for v in x],
             "y": [float(r.means[element]) for r in shown], "line": {"color": colour, "width": 2},
             "hovertemplate": "%{y:.2f}<extra>" + escape(str(element.label)) + "</extra>"}
            for element, colour in zip(ELEMENTS, ELEMENT_COLOURS, strict=True)]
    return {"data": data, "layout": layout(
        300, xaxis={"type": "category", "gridcolor": GRID, "automargin": True},
        yaxis={"title": {"text": escape(_("Mean score (1-5)"))}, "range": [1, 5.2], "gridcolor": GRID, "automargin": True},
        legend={"orientation": "h", "y": -0.3}, hovermode="x unified",
        shapes=[{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": float(BARRIER_BELOW), "y1": float(BARRIER_BELOW),
                 "line": {"color": COLOURS["red"], "dash": "dot"}}])}
