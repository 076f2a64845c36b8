"""Adoption charts: per department over time against the target, and departments against weeks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

import plotly.graph_objects as go

from crmproject.adoption.services import Series
from crmproject.charts import COLOURS, base_layout
from crmproject.i18n import _

LINE_COLOURS = ("#3b6ea8", "#d9822b", "#2e8b57", "#7b4ea3", "#c0392b", "#17a2b8", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def department_colour(department_id: int) -> str:
    """A department's line colour, the same on every chart and page."""
    return LINE_COLOURS[department_id % len(LINE_COLOURS)]


def adoption_figure(all_series: Sequence[Series], *, target: Decimal, today: date) -> go.Figure:
    """Active / licensed seats per department over time, the target as a dashed line."""
    fig = go.Figure()
    for s in all_series:
        fig.add_trace(go.Scatter(
            name=escape(s.department.name), x=[d.isoformat() for d in s.days], y=s.percent, mode="lines",
            line=dict(color=department_colour(s.department.id), width=2), connectgaps=False,
            hovertemplate="%{x}: %{y}%<extra>" + escape(s.department.name) + "</extra>",
        ))
    fig.add_hline(y=float(target), line=dict(color=COLOURS["green"], dash="dash"),
                  annotation_text=_("target %(n)s%%", n=f"{float(target):g}"), annotation_position="top left")
    fig.add_vline(x=today.isoformat(), line=dict(color=COLOURS["today"], dash="dot", width=1))
    fig.update_yaxes(title_text=_("active / licensed seats, %"), range=[0, 105], gridcolor="#eef1f4")
    fig.update_xaxes(type="date", gridcolor="#eef1f4")
    fig.update_layout(legend=dict(orientation="h", y=-0.2), hovermode="closest")
    return base_layout(fig, height=420)


def heatmap_figure(weeks: Sequence[date], rows: Sequence[tuple[str, list[float | None]]], *, target: Decimal) -> go.Figure:
    """Departments (rows) against weeks (columns), coloured by adoption: red far below target, green at it."""
    # unvalidated (see crmproject/dashboard/charts.py): 60 departments x 150 weeks validate slowly
    fig = go.Figure(go.Heatmap(_validate=False,
        x=[w.isoformat() for w in weeks], y=[escape(name) for name, _values in rows], z=[values for _name, values in rows],
        zmin=0, zmax=100, colorscale=[[0, "#c0392b"], [float(target) / 200, "#e6a23c"], [float(target) / 100, "#2e8b57"], [1, "#1e6b41"]],
        colorbar=dict(title=dict(text="%")), hoverongaps=False,
        hovertemplate="%{y}, " + _("week of %(week)s", week="%{x}") + ": %{z}%<extra></extra>",
    ), _validate=False)
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return base_layout(fig, height=max(240, 26 * len(rows) + 90))
