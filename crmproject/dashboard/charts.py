"""The leadership dashboard's charts: pure functions of the dashboard's data.

The dashboard's own charts (adoption per department and per wave, training,
KPI status) are plain figure dicts in plotly's JSON schema, not
plotly.graph_objects figures: building and validating 60 departments' weekly
series as graph objects costs more than everything else on the page (about
100 ms of a cold request), and these figures hold only what this module
writes; the tests read them back from the page. The heat map is shared
with the adoption page (crmproject.adoption.charts), a plain dict too.

Each trace carries the pages behind it in `meta` ({"link": url} for a whole
trace, {"links": [...]} per point or heat-map row); static/js/charts.js
follows them on a click, so every chart leads to the page behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from html import escape

from crmproject.adoption.charts import department_colour, go_live_marks, heatmap_figure
from crmproject.charts import COLOURS, layout
from crmproject.dashboard.services import Dashboard
from crmproject.i18n import _, format_number
from crmproject.kpis.attainment import Rag
from crmproject.training.charts import completion_colour

# one colour per wave, in order, none of them the target line's green
WAVE_COLOURS = (COLOURS["pilot"], "#3b6ea8", "#7b4ea3", "#17a2b8", "#8c564b", "#c0392b", "#7f7f7f")
GRID = "#eef1f4"


def _week_layout(height: int, target: float, shapes: list[dict]) -> dict:
    """Weeks across, adoption up to 105%, the target as a dashed line with its label."""
    return layout(
        height,
        xaxis={"type": "date", "gridcolor": GRID, "automargin": True},
        yaxis={"title": {"text": escape(_("active / licensed seats, %"))}, "range": [0, 105], "gridcolor": GRID,
               "automargin": True},
        legend={"orientation": "h", "y": -0.2}, hovermode="closest",
        shapes=[{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": target, "y1": target,
                 "line": {"color": COLOURS["green"], "dash": "dash"}}, *shapes],
        annotations=[{"xref": "x domain", "x": 1, "xanchor": "right", "yref": "y", "y": target, "yanchor": "bottom",
                      "text": escape(_("target %(n)s%%", n=format_number(target))), "showarrow": False}],
    )


def departments_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Weekly adoption per department against the target line, each go-live marked; a click opens the department."""
    weeks = [w.isoformat() for w in d.weeks]
    hover = escape(_("week of %(week)s", week="%{x}")) + ": %{y}%"
    traces, go_lives = [], defaultdict(list)
    for row in d.departments:
        values = d.department_weeks.get(row.id, [])
        if not any(v is not None for v in values):
            continue
        traces.append({
            "type": "scatter", "name": escape(row.name), "x": weeks, "y": values, "mode": "lines",
            "connectgaps": False, "line": {"color": department_colour(row.id), "width": 2},
            "meta": {"link": links[row.id]}, "hovertemplate": hover + "<extra>" + escape(row.name) + "</extra>",
        })
        if row.go_live is not None and d.first <= row.go_live <= d.last:
            go_lives[row.go_live].append(row.name)
    shapes, annotations = go_live_marks(go_lives)
    week_layout = _week_layout(420, d.target, shapes)
    week_layout["annotations"] += annotations
    return {"data": traces, "layout": week_layout}


def waves_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Seat-weighted weekly adoption per wave against the target; each go-live as a dotted line."""
    weeks = [w.isoformat() for w in d.weeks]
    hover = escape(_("week of %(week)s", week="%{x}")) + ": %{y}%"
    traces, go_lives = [], []
    for wave in d.waves:
        values = d.wave_weeks.get(wave.id, [])
        if not any(v is not None for v in values):
            continue
        colour = WAVE_COLOURS[wave.position % len(WAVE_COLOURS)]
        traces.append({
            "type": "scatter", "name": escape(wave.name), "x": weeks, "y": values, "mode": "lines",
            "connectgaps": False, "line": {"color": colour, "width": 3}, "meta": {"link": links[wave.id]},
            "hovertemplate": hover + "<extra>" + escape(wave.name) + "</extra>",
        })
        if d.first <= wave.go_live <= d.last:
            go_lives.append({"type": "line", "xref": "x", "x0": wave.go_live.isoformat(), "x1": wave.go_live.isoformat(),
                             "yref": "y domain", "y0": 0, "y1": 1, "line": {"color": colour, "dash": "dot", "width": 1}})
    return {"data": traces, "layout": _week_layout(360, d.target, go_lives)}


def heatmap(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Departments against weeks, each go-live marked; a click on a row opens the department."""
    rows = [row for row in d.departments if any(v is not None for v in d.department_weeks.get(row.id, []))]
    fig = heatmap_figure(d.weeks, [(row.name, d.department_weeks[row.id]) for row in rows],
                         target=d.target, go_lives=[row.go_live for row in rows])  # type: ignore[arg-type]
    fig["data"][0]["meta"] = {"links": [links[row.id] for row in rows]}
    return fig


def training_figure(d: Dashboard, links: Mapping[int, str]) -> dict:
    """Completion of the mandatory courses per department, one bar each across (names stay readable for 60
    departments), coloured against the 100% target; a click opens the department."""
    rows = [row for row in d.departments if row.training_counted]
    values = [row.training for row in rows]
    hover = [escape(_("%(completed)s of %(counted)s completed", completed=row.training_completed,
                      counted=row.training_counted)) for row in rows]
    return {"data": [{
        "type": "bar", "orientation": "h", "name": escape(_("Completed")), "y": [escape(row.name) for row in rows],
        "x": values, "marker": {"color": [completion_colour(v, 100.0) for v in values]}, "customdata": hover,
        "text": [format_number(v, 0) + "%" if v is not None else "" for v in values], "textposition": "auto",
        "meta": {"links": [links[row.id] for row in rows]},
        "hovertemplate": "%{y}: %{x:.1f}%<br>%{customdata}<extra></extra>",
    }], "layout": layout(
        max(240, 24 * len(rows) + 90), showlegend=False, bargap=0.3,
        xaxis={"range": [0, 105], "ticksuffix": "%", "gridcolor": GRID, "automargin": True},
        yaxis={"autorange": "reversed", "automargin": True},
        shapes=[{"type": "line", "xref": "x", "x0": 100, "x1": 100, "yref": "y domain", "y0": 0, "y1": 1,
                 "line": {"color": COLOURS["today"], "dash": "dash", "width": 2}}],
    )}


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
    return {"data": traces, "layout": layout(
        max(220, 30 * len(kpis) + 110), barmode="stack",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        xaxis={"title": {"text": escape(_("departments by latest status"))}, "gridcolor": GRID, "automargin": True,
               **({"dtick": 1} if few else {})},
        yaxis={"autorange": "reversed", "automargin": True},
    )}
