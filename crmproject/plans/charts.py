"""The plan timeline: phases as bars, waves as go-live milestones, a line for today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape

import plotly.graph_objects as go

from crmproject.charts import COLOURS, base_layout
from crmproject.i18n import _
from crmproject.plans.models import Plan

DAY_MS = 86_400_000


def timeline_figure(plan: Plan, *, today: date) -> go.Figure:
    """A Gantt-like chart: one row per phase, one row per wave's go-live, today as a vertical line."""
    fig = go.Figure()
    # plotly reads <b>, <br>, <a> in labels: names people typed are escaped
    phase_rows = [escape(p.name) for p in plan.phases]
    if plan.phases:
        fig.add_trace(
            go.Bar(
                name=_("Phases"),
                orientation="h",
                y=phase_rows,
                base=[p.start_date.isoformat() for p in plan.phases],
                # a bar covers its end day too
                x=[((p.end_date - p.start_date).days + 1) * DAY_MS for p in plan.phases],
                marker_color=COLOURS["phase"],
                customdata=[[p.start_date.isoformat(), p.end_date.isoformat(), str(p.status.label)] for p in plan.phases],
                hovertemplate="<b>%{y}</b><br>%{customdata[0]} – %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            )
        )
    wave_rows = [_("Go-live: %(wave)s", wave=escape(w.name)) for w in plan.waves]
    if plan.waves:
        fig.add_trace(
            go.Scatter(
                name=_("Go-lives"),
                mode="markers+text",
                y=wave_rows,
                x=[w.go_live_date.isoformat() for w in plan.waves],
                marker=dict(symbol="diamond", size=14, color=[COLOURS.get(w.kind.value, COLOURS["wave"]) for w in plan.waves]),
                text=[escape(", ".join(d.code for d in w.departments)) for w in plan.waves],
                # labels of go-lives in the last third sit left of the marker so they are not cut off
                textposition=["middle left" if (w.go_live_date - plan.start_date).days > 0.66 * max((plan.end_date - plan.start_date).days, 1) else "middle right" for w in plan.waves],
                customdata=[
                    [w.go_live_date.isoformat(), escape(", ".join(d.name for d in w.departments) or _("no departments yet")),
                     _("Modules: %(list)s", list=escape(", ".join(m.code for m in w.modules) or "—"))]
                    for w in plan.waves
                ],
                hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
            )
        )
    rows = phase_rows + wave_rows
    start = datetime.combine(plan.start_date, time())
    end = datetime.combine(plan.end_date + timedelta(days=1), time())
    fig.add_shape(
        type="line", xref="x", yref="paper", x0=today.isoformat(), x1=today.isoformat(), y0=0, y1=1,
        line=dict(color=COLOURS["today"], width=2, dash="dot"),
    )
    fig.add_annotation(
        x=today.isoformat(), y=1, xref="x", yref="paper", text=_("Today"), showarrow=False, yanchor="bottom",
        font=dict(color=COLOURS["today"]),
    )
    lo, hi = min(start.date(), today), max(end.date(), today)
    fig.update_xaxes(type="date", range=[(lo - timedelta(days=7)).isoformat(), (hi + timedelta(days=7)).isoformat()], gridcolor="#eef1f4")
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows)), automargin=True)
    fig.update_layout(showlegend=False, bargap=0.35)
    return base_layout(fig, height=max(220, 40 * len(rows) + 80))
