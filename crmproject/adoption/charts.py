"""Adoption charts: per department over time against the target, and departments against weeks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import escape

from crmproject.adoption.services import Series
from crmproject.adoption.shapes import week_of
from crmproject.charts import COLOURS, layout
from crmproject.dates import date_text
from crmproject.i18n import _

LINE_COLOURS = ("#3b6ea8", "#d9822b", "#2e8b57", "#7b4ea3", "#c0392b", "#17a2b8", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def department_colour(department_id: int) -> str:
    """A department's line colour, the same on every chart and page."""
    return LINE_COLOURS[department_id % len(LINE_COLOURS)]


GRID = "#eef1f4"
# The go-live marks: the page's ink, neither a department's, a wave's nor today's colour.
GO_LIVE_COLOUR = "#1f2933"


def go_live_marks(go_lives: Mapping[date, Sequence[str]]) -> tuple[list[dict], list[dict]]:
    """Plotly shapes and annotations marking each go-live day: a dotted vertical line labelled "go-live" at the
    top; hovering the label names who went live that day. Dicts, for graph objects and plain figures alike."""
    shapes, annotations = [], []
    for day, names in sorted(go_lives.items()):
        x = day.isoformat()
        shapes.append({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "y domain", "y0": 0, "y1": 1,
                       "line": {"color": GO_LIVE_COLOUR, "dash": "dot", "width": 1.5}})
        annotations.append({"xref": "x", "x": x, "yref": "y domain", "y": 1, "yanchor": "bottom", "showarrow": False,
                            "text": escape(_("go-live")), "font": {"size": 11, "color": GO_LIVE_COLOUR},
                            "hovertext": escape(_("%(names)s live on %(day)s", names=", ".join(names), day=x))})
    return shapes, annotations


def adoption_figure(all_series: Sequence[Series], *, target: Decimal, today: date,
                    go_lives: Mapping[int, date | None], weekly: bool = False) -> dict:
    """Active / licensed seats per department over time, the target as a dashed line, each go-live marked.

    A department has no figure before its go-live (`go_lives`: department id -> go-live day, None when not
    planned): a usage export counts its zeros then, but they mean "not live yet", not 0%, as on the dashboard.
    `weekly` series have a point per week (its Monday), counted from the week of the go-live, as the dashboard
    counts them.
    """
    traces = []
    marks: dict[date, list[str]] = defaultdict(list)
    for s in all_series:
        go_live = go_lives.get(s.department.id)
        if go_live is None:
            continue
        first = week_of(go_live) if weekly else go_live
        values = [p if day >= first else None for day, p in zip(s.days, s.percent, strict=True)]
        if all(v is None for v in values):
            continue
        name = escape(s.department.name)
        traces.append({"type": "scatter", "name": name, "x": [d.isoformat() for d in s.days], "y": values,
                       "mode": "lines", "line": {"color": department_colour(s.department.id), "width": 2},
                       "connectgaps": False, "hovertemplate": "%{x}: %{y}%<extra>" + name + "</extra>"})
        if s.days[0] <= first and go_live <= today:
            marks[go_live].append(s.department.name)
    shapes, annotations = go_live_marks(marks)
    goal = float(target)
    return {"data": traces, "layout": layout(
        420, legend={"orientation": "h", "y": -0.2}, hovermode="closest",
        xaxis={"type": "date", "gridcolor": GRID},
        yaxis={"title": {"text": escape(_("active / licensed seats, %"))}, "range": [0, 105], "gridcolor": GRID},
        shapes=[{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": goal, "y1": goal,
                 "line": {"color": COLOURS["green"], "dash": "dash"}},
                {"type": "line", "xref": "x", "x0": today.isoformat(), "x1": today.isoformat(), "yref": "y domain",
                 "y0": 0, "y1": 1, "line": {"color": COLOURS["today"], "dash": "dot", "width": 1}}, *shapes],
        annotations=[{"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": goal, "yanchor": "bottom",
                      "text": escape(_("target %(n)s%%", n=f"{goal:g}")), "showarrow": False}, *annotations],
    )}


def heatmap_figure(weeks: Sequence[date], rows: Sequence[tuple[str, list[float | None]]], *, target: Decimal,
                   go_lives: Sequence[date | None]) -> dict:
    """Departments (rows) against weeks (columns), coloured by adoption: red far below target, green at it.

    `go_lives` holds each row's go-live day (None when not planned): the weeks before it are left blank, not
    0%, and a tick at the start of the go-live's week marks it, as on the dashboard.
    """
    z = []
    for (_name, values), go_live in zip(rows, go_lives, strict=True):
        first = week_of(go_live) if go_live is not None else None
        z.append([v if first is not None and week >= first else None for week, v in zip(weeks, values, strict=True)])
    goal = float(target)
    traces: list[dict] = [{
        "type": "heatmap", "x": [w.isoformat() for w in weeks], "y": [escape(name) for name, _values in rows], "z": z,
        "zmin": 0, "zmax": 100, "colorscale": [[0, "#c0392b"], [goal / 200, "#e6a23c"], [goal / 100, "#2e8b57"],
                                               [1, "#1e6b41"]],
        "colorbar": {"title": {"text": "%"}}, "hoverongaps": False,
        "hovertemplate": "%{y}, " + _("week of %(week)s", week="%{x}") + ": %{z}%<extra></extra>",
    }]
    # a cell spans its Monday ± 3.5 days: the tick stands on the left edge of the go-live's week
    marked = [(name, go_live) for (name, _values), go_live in zip(rows, go_lives, strict=True)
              if weeks and go_live is not None and weeks[0] <= week_of(go_live) <= weeks[-1]]
    if marked:
        traces.append({
            "type": "scatter", "name": escape(_("go-live")),
            "x": [(datetime.combine(week_of(day), time()) - timedelta(days=3.5)).isoformat() for _name, day in marked],
            "y": [escape(name) for name, _day in marked], "mode": "markers", "showlegend": False,
            "marker": {"symbol": "line-ns", "size": 22, "line": {"color": GO_LIVE_COLOUR, "width": 3}},
            "customdata": [date_text(day) for _name, day in marked],
            "hovertemplate": "%{y}: " + escape(_("go-live on %(day)s", day="%{customdata}")) + "<extra></extra>",
        })
    return {"data": traces, "layout": layout(max(240, 26 * len(rows) + 90), xaxis={"type": "date"},
                                              yaxis={"autorange": "reversed", "automargin": True})}
