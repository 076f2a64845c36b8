"""The leadership dashboard's charts: pure functions of the dashboard's data.

The figures are built without plotly's property validation (`_validate=False`):
they hold only what this module writes, the tests check them, and validating
60 departments' weekly series costs ten times more than building them.

Each trace carries the pages behind it in `meta` ({"link": url} for a whole
trace, {"links": [...]} per point or heat-map row); static/js/charts.js
follows them on a click, so every chart leads to the page behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import plotly.graph_objects as go

from crmproject.adoption.charts import LINE_COLOURS, heatmap_figure
from crmproject.charts import COLOURS, base_layout
from crmproject.dashboard.services import Dashboard
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.training.charts import completion_bars
from crmproject.training.services import Completion

WAVE_COLOURS = {"pilot": COLOURS["pilot"], "wave": COLOURS["wave"], "enterprise": COLOURS["enterprise"]}


def _target_line(fig: go.Figure, target: float) -> None:
    fig.add_hline(y=target, line=dict(color=COLOURS["green"], dash="dash"),
                  annotation_text=escape(_("target %(n)s%%", n=f"{target:g}")), annotation_position="top left")


def _week_axes(fig: go.Figure) -> None:
    fig.update_yaxes(title_text=escape(_("active / licensed seats, %")), range=[0, 105], gridcolor="#eef1f4")
    fig.update_xaxes(type="date", gridcolor="#eef1f4")
    fig.update_layout(legend=dict(orientation="h", y=-0.2), hovermode="closest")


def departments_figure(d: Dashboard, links: Mapping[int, str]) -> go.Figure:
    """Weekly adoption per department against the target line; a click opens the department."""
    weeks = [w.isoformat() for w in d.weeks]
    hover = escape(_("week of %(week)s", week="%{x}")) + ": %{y}%"
    traces = []
    for n, row in enumerate(d.departments):
        values = d.department_weeks.get(row.id, [])
        if not any(v is not None for v in values):
            continue
        traces.append(go.Scatter(
            name=escape(row.name), x=weeks, y=values, mode="lines", connectgaps=False,
            line=dict(color=LINE_COLOURS[n % len(LINE_COLOURS)], width=2), meta={"link": links[row.id]},
            hovertemplate=hover + "<extra>" + escape(row.name) + "</extra>", _validate=False,
        ))
    fig = go.Figure(data=traces, _validate=False)  # add_trace() one by one validates each again
    _target_line(fig, d.target)
    _week_axes(fig)
    return base_layout(fig, height=420)


def waves_figure(d: Dashboard, links: Mapping[int, str]) -> go.Figure:
    """Seat-weighted weekly adoption per wave against the target; the go-live as a marker on each line."""
    weeks = [w.isoformat() for w in d.weeks]
    traces, go_lives = [], []
    for wave in d.waves:
        values = d.wave_weeks.get(wave.id, [])
        if not any(v is not None for v in values):
            continue
        colour = WAVE_COLOURS.get(wave.kind.value, COLOURS["phase"])
        traces.append(go.Scatter(
            name=escape(wave.name), x=weeks, y=values, mode="lines", line=dict(color=colour, width=3),
            connectgaps=False, meta={"link": links[wave.id]}, _validate=False,
            hovertemplate=escape(_("week of %(week)s", week="%{x}")) + ": %{y}%<extra>" + escape(wave.name) + "</extra>",
        ))
        if d.first <= wave.go_live <= d.last:
            go_lives.append((wave.go_live.isoformat(), colour))
    fig = go.Figure(data=traces, _validate=False)
    for day, colour in go_lives:
        fig.add_vline(x=day, line=dict(color=colour, dash="dot", width=1))
    _target_line(fig, d.target)
    _week_axes(fig)
    return base_layout(fig, height=360)


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


def kpi_figure(d: Dashboard, links: Mapping[int, str]) -> go.Figure:
    """Per KPI, how many departments are on track (green), at risk (amber) or off track (red); a click opens the KPI."""
    kpis = [k for k in d.kpis if k.measured]
    names = [escape(k.name) for k in kpis]
    traces = []
    for rag in (Rag.RED, Rag.AMBER, Rag.GREEN):
        traces.append(go.Bar(
            name=escape(str(rag.label)), orientation="h", y=names, x=[k.counts[rag] for k in kpis],
            marker_color=COLOURS[rag.value], meta={"links": [links[k.id] for k in kpis]},
            hovertemplate="%{y}: %{x}<extra>" + escape(str(rag.label)) + "</extra>", _validate=False,
        ))
    fig = go.Figure(data=traces, _validate=False)
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title_text=escape(_("departments (and the plan-wide figure) by latest status")),
                     gridcolor="#eef1f4", dtick=1 if max((k.measured for k in kpis), default=0) <= 12 else None)
    fig.update_yaxes(autorange="reversed", automargin=True)
    return base_layout(fig, height=max(220, 30 * len(kpis) + 100))
