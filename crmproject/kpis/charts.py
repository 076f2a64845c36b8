"""A KPI's actual values per department against its target path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from html import escape

from crmproject.charts import COLOURS, layout
from crmproject.i18n import _
from crmproject.kpis.attainment import PathPoint
from crmproject.kpis.models import Kpi
from crmproject.kpis.services import ChartValue

SERIES_COLOURS = ("#3b6ea8", "#d9822b", "#2e8b57", "#7b4ea3", "#c0392b", "#17a2b8", "#8c564b", "#e377c2")


def kpi_figure(kpi: Kpi, path: Sequence[PathPoint], values: Sequence[ChartValue], *, today: date) -> dict:
    """The target path (dashed, with intermediate targets as points), one line per department, today.

    A plain figure dict in plotly's JSON schema (60 departments' values are thousands of points: plotly's graph
    objects would check and copy each one)."""
    traces = [{
        "type": "scatter", "name": escape(_("Target path")), "x": [p.day.isoformat() for p in path],
        "y": [float(p.value) for p in path], "mode": "lines+markers",
        "line": {"color": COLOURS["grey"], "dash": "dash"}, "marker": {"symbol": "diamond", "size": 9},
        "hovertemplate": "%{x}: %{y}<extra>" + escape(_("target")) + "</extra>",
    }]
    series: dict[str, list[ChartValue]] = defaultdict(list)
    whole_plan = _("Whole plan")
    for v in sorted(values, key=lambda v: v.day):
        series[v.department if v.department is not None else whole_plan].append(v)
    for n, (name, points) in enumerate(sorted(series.items())):
        traces.append({
            "type": "scatter", "name": escape(name), "x": [v.day.isoformat() for v in points],
            "y": [float(v.value) for v in points], "mode": "lines+markers",
            "line": {"color": SERIES_COLOURS[n % len(SERIES_COLOURS)]},
            "hovertemplate": "%{x}: %{y}<extra>" + escape(name) + "</extra>",
        })
    return {"data": traces, "layout": layout(
        380,
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": today.isoformat(), "x1": today.isoformat(),
                 "y0": 0, "y1": 1, "line": {"color": COLOURS["today"], "width": 1, "dash": "dot"}}],
        xaxis={"type": "date", "gridcolor": "#eef1f4"},
        yaxis={"title": {"text": escape(kpi.unit) if kpi.unit else None}, "gridcolor": "#eef1f4", "zeroline": False},
        legend={"orientation": "h", "y": -0.15}, hovermode="closest",
    )}
