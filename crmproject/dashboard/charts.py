"""The leadership dashboard's charts: pure functions of the dashboard's data.

The dashboard's own charts (adoption per department and per wave, KPI
status) are plain figure dicts in plotly's JSON schema, not
plotly.graph_objects figures: building and validating 60 departments' weekly
series as graph objects costs more than everything else on the page (about
100 ms of a cold request), and these figures hold only what this module
writes; the tests read them back from the page. The heat map, training and
timeline charts are shared with other pages and stay graph objects.

Each trace carries the pages behind it in `meta` ({"link": url} for a whole
trace, {"links": [...]} per point or heat-map row); static/js/charts.js
follows them on a click, so every chart leads to the page behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import plotly.graph_objects as go

from crmproject.adoption.charts import LINE_COLOURS, heatmap_figure
from crmproject.charts import COLOURS, FONT
from crmproject.dashboard.services import Dashboard
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.training.charts import completion_bars
from crmproject.training.services import Completion

WAVE_COLOURS = {"pilot": COLOURS["pilot"], "wave": COLOURS["wave"], "enterprise": COLOURS["enterprise"]}
GRID = "#eef1f4"


def _layout(height: int, **extra) -> dict:
    """crmproject.charts.base_layout as a dict."""
    return {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 30}, "font": {"family": FONT, "size": 12},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "hoverlabel": {"font": {"family": FONT}}, **extra}


def _week_layout(height: int, target: float, shapes: list[dict]) -> dict:
    """Weeks across, adoption up to 105%, the target as a dashed line with its label."""
    return _layout(
        height,
        xaxis={"type": "date", "gridcolor": GRID},
        yaxis={"title": {"text": escape(_("active / licensed seats, %"))}, "range": [0, 105], "gridcolor": GRID},
        legend={"orientation": "h", "y": -0.2}, hovermode="closest",
        shapes=[{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": target, "y1": target,
                 "line": {"color": COLOURS["green"], "dash": "dash"}}, *shapes],
        annotations=[{"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": target, "yanchor": "bottom",
                      "text": escape(_("target %(n)s%%", n=f"{target:g}")), "showarrow": False}],
    )


def departments_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Weekly adoption per department against the target line; a click opens the department."""
    weeks = [w.isoformat() for w in d.weeks]
    hover = escape(_("week of %(week)s", week="%{x}")) + ": %{y}%"
    traces = []
    for n, row in enumerate(d.departments):
        values = d.department_weeks.get(row.id, [])
        if not any(v is not None for v in values):
            continue
        traces.append({
            "type": "scatter", "name": escape(row.name), "x": weeks, "y": values, "mode": "lines",
            "connectgaps": False, "line": {"color": LINE_COLOURS[n % len(LINE_COLOURS)], "width": 2},
            "meta": {"link": links[row.id]}, "hovertemplate": hover + "<extra>" + escape(row.name) + "</extra>",
        })
    return {"data": traces, "layout": _week_layout(420, d.target, [])}


def waves_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Seat-weighted weekly adoption per wave against the target; each go-live as a dotted line."""
    weeks = [w.isoformat() for w in d.weeks]
    hover = escape(_("week of %(week)s", week="%{x}")) + ": %{y}%"
    traces, go_lives = [], []
    for wave in d.waves:
        values = d.wave_weeks.get(wave.id, [])
        if not any(v is not None for v in values):
            continue
        colour = WAVE_COLOURS.get(wave.kind.value, COLOURS["phase"])
        traces.append({
            "type": "scatter", "name": escape(wave.name), "x": weeks, "y": values, "mode": "lines",
            "connectgaps": False, "line": {"color": colour, "width": 3}, "meta": {"link": links[wave.id]},
            "hovertemplate": hover + "<extra>" + escape(wave.name) + "</extra>",
        })
        if d.first <= wave.go_live <= d.last:
            go_lives.append({"type": "line", "xref": "x", "x0": wave.go_live.isoformat(), "x1": wave.go_live.isoformat(),
                             "yref": "y domain", "y0": 0, "y1": 1, "line": {"color": colour, "dash": "dot", "width": 1}})
    return {"data": traces, "layout": _week_layout(360, d.target, go_lives)}


def heatmap(d: Dashboard, links: Mapping[int, str]) -> go.Figure:
    """Departments against weeks; a click on a row opens the department."""
    rows = [row for row in d.departments if any(v is not None for v in d.department_weeks.get(row.id, []))]
    fig = heatmap_figure(d.weeks, [(row.name, d.department_weeks[row.id]) for row in rows],
                         target=d.target)  # type: ignore[arg-type]
    if fig.data:
        fig.data[0].meta = {"links": [links[row.id] for row in rows]}
    return fig


def training_figure(d: Dashboard, links: Mapping[int, str]) -> go.Figure:
    """Completion of the mandatory courses per department (100% is the target); a click opens the department."""
    rows = [row for row in d.departments if row.training_counted]
    fig = completion_bars([escape(row.name) for row in rows],
                          [Completion(row.training_counted, row.training_completed, 0) for row in rows], target=100.0)
    if fig.data:
        fig.data[0].meta = {"links": [links[row.id] for row in rows]}
    return fig


def kpi_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Per KPI, how many departments are on track (green), at risk (amber) or off track (red); a click opens the KPI."""
    kpis = [k for k in d.kpis if k.measured]
    names = [escape(k.name) for k in kpis]
    traces = [{
        "type": "bar", "name": escape(str(rag.label)), "orientation": "h", "y": names, "x": [k.counts[rag] for k in kpis],
        "marker": {"color": COLOURS[rag.value]}, "meta": {"links": [links[k.id] for k in kpis]},
        "hovertemplate": "%{y}: %{x}<extra>" + escape(str(rag.label)) + "</extra>",
    } for rag in (Rag.RED, Rag.AMBER, Rag.GREEN)]
    few = max((k.measured for k in kpis), default=0) <= 12
    return {"data": traces, "layout": _layout(
        max(220, 30 * len(kpis) + 100), barmode="stack", legend={"orientation": "h", "y": -0.15},
        xaxis={"title": {"text": escape(_("departments (and the plan-wide figure) by latest status"))}, "gridcolor": GRID,
               **({"dtick": 1} if few else {})},
        yaxis={"autorange": "reversed", "automargin": True},
    )}
