"""The costs and benefits chart: planned and actual cost and planned and realised benefit, summed month by month."""

from __future__ import annotations

from html import escape

from crmproject.business_case.services import BusinessCase, month_end
from crmproject.charts import COLOURS, layout

GRID = "#eef1f4"


def cost_benefit_figure(case: BusinessCase, *, link: str | None = None) -> dict:
    """Four cumulative lines by month's end (the actual ones stop at the current month) and today's line."""
    from crmproject.i18n import _

    days = [month_end(m.month).isoformat() for m in case.months]
    so_far = [m for m in case.months if m.cumulative_actual_cost is not None]
    meta = {"link": link} if link else {}

    def line(name: str, x: list, y: list, colour: str, dash: str = "solid") -> dict:
        return {"type": "scatter", "mode": "lines", "name": escape(name), "x": x, "y": [float(v) for v in y],
                "line": {"color": colour, "dash": dash, "width": 2}, "meta": meta,
                "hovertemplate": "%{x|%Y-%m}: %{y:,.0f} " + escape(case.currency) + "<extra>" + escape(name) + "</extra>"}

    data = [
        line(_("Planned cost"), days, [m.cumulative_planned_cost for m in case.months], COLOURS["grey"], "dash"),
        line(_("Actual cost"), [month_end(m.month).isoformat() for m in so_far],
             [m.cumulative_actual_cost for m in so_far], COLOURS["red"]),
        line(_("Planned benefit"), days, [m.cumulative_planned_benefit for m in case.months], COLOURS["phase"], "dash"),
        line(_("Realised benefit"), [month_end(m.month).isoformat() for m in so_far],
             [m.cumulative_realised_benefit for m in so_far], COLOURS["green"]),
    ]
    today = case.today.isoformat()
    return {"data": data, "layout": layout(
        340, xaxis={"type": "date", "gridcolor": GRID, "automargin": True},
        yaxis={"title": {"text": escape(_("%(currency)s, cumulative", currency=case.currency))}, "gridcolor": GRID,
               "automargin": True, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2}, hovermode="x unified",
        shapes=[{"type": "line", "x0": today, "x1": today, "yref": "paper", "y0": 0, "y1": 1,
                 "line": {"color": COLOURS["today"], "dash": "dot"}}],
        annotations=[{"x": today, "yref": "paper", "y": 1, "text": escape(_("today")), "showarrow": False,
                      "yanchor": "bottom"}])}
