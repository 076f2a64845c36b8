"""The plan timeline: phases as bars, waves as go-live milestones, a line for today."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape

from crmproject.charts import COLOURS, layout
from crmproject.dates import date_text
from crmproject.i18n import _
from crmproject.plans.models import Plan

DAY_MS = 86_400_000


def timeline_figure(plan: Plan, *, today: date) -> dict:
    """A Gantt-like chart: one row per phase, one row per wave's go-live, today as a vertical line.

    A plain figure dict in plotly's JSON schema (graph objects check and copy every value on a page's hot path).
    """
    data: list[dict] = []
    # plotly reads <b>, <br>, <a> in labels: names people typed are escaped
    phase_rows = [escape(p.name) for p in plan.phases]
    if plan.phases:
        data.append({
            "type": "bar", "name": _("Phases"), "orientation": "h", "y": phase_rows,
            "base": [p.start_date.isoformat() for p in plan.phases],
            # a bar covers its end day too
            "x": [((p.end_date - p.start_date).days + 1) * DAY_MS for p in plan.phases],
            "marker": {"color": COLOURS["phase"]},
            "customdata": [[date_text(p.start_date), date_text(p.end_date), str(p.status.label)] for p in plan.phases],
            "hovertemplate": "<b>%{y}</b><br>%{customdata[0]} – %{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        })
    wave_rows = [_("Go-live: %(wave)s", wave=escape(w.name)) for w in plan.waves]
    if plan.waves:
        span = max((plan.end_date - plan.start_date).days, 1)
        data.append({
            "type": "scatter", "name": _("Go-lives"), "mode": "markers+text", "y": wave_rows,
            "x": [w.go_live_date.isoformat() for w in plan.waves],
            "marker": {"symbol": "diamond", "size": 14,
                       "color": [COLOURS.get(w.kind.value, COLOURS["wave"]) for w in plan.waves]},
            "text": [escape(", ".join(d.code for d in w.departments)) for w in plan.waves],
            # labels of go-lives in the last third sit left of the marker so they are not cut off
            "textposition": ["middle left" if (w.go_live_date - plan.start_date).days > 0.66 * span else "middle right"
                             for w in plan.waves],
            "customdata": [
                [date_text(w.go_live_date), escape(", ".join(d.name for d in w.departments) or _("no departments yet")),
                 _("Modules: %(list)s", list=escape(", ".join(m.code for m in w.modules) or "—"))]
                for w in plan.waves
            ],
            "hovertemplate": "<b>%{y}</b><br>%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
        })
    rows = phase_rows + wave_rows
    start = datetime.combine(plan.start_date, time())
    end = datetime.combine(plan.end_date + timedelta(days=1), time())
    lo, hi = min(start.date(), today), max(end.date(), today)
    return {"data": data, "layout": layout(
        max(220, 40 * len(rows) + 80), showlegend=False, bargap=0.35,
        shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": today.isoformat(), "x1": today.isoformat(),
                 "y0": 0, "y1": 1, "line": {"color": COLOURS["today"], "width": 2, "dash": "dot"}}],
        annotations=[{"x": today.isoformat(), "y": 1, "xref": "x", "yref": "paper", "text": _("Today"),
                      "showarrow": False, "yanchor": "bottom", "font": {"color": COLOURS["today"]}}],
        xaxis={"type": "date", "gridcolor": "#eef1f4",
               "range": [(lo - timedelta(days=7)).isoformat(), (hi + timedelta(days=7)).isoformat()]},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(rows)), "automargin": True},
    )}
