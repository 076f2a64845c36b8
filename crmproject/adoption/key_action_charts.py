"""The key-action chart: per week, the share of licensed seats whose holders did a key action, beside login
adoption (the share active in the 28 days up to each day), so a department that logs in but never updates a
record shows a line high above its bars."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from crmproject.adoption.key_actions import KeyActionSummary
from crmproject.adoption.shapes import week_of
from crmproject.charts import COLOURS, layout
from crmproject.i18n import _, format_number

KEY_COLOUR = "#2e8b57"
LOGIN_COLOUR = "#3b6ea8"


def key_action_figure(summary: KeyActionSummary, *, target: Decimal) -> dict:
    """Bars: key-action adoption per week (people with a key action / licensed seats); line: login adoption.
    A plain figure dict in plotly's JSON schema."""
    week_hover = escape(_("week of %(week)s", week="%{x}"))
    login_weeks = [w for w in summary.login_weeks if w.week >= week_of(summary.go_live)]  # not 0% before the go-live
    data = [{
        "type": "bar", "name": escape(_("did a key action")), "x": [w.week.isoformat() for w in summary.weeks],
        "y": [w.percent for w in summary.weeks], "marker": {"color": KEY_COLOUR},
        "customdata": [[w.people, w.key_actions, w.active_people] for w in summary.weeks],
        "hovertemplate": week_hover + ": %{y}%<br>"
        + escape(_("%(people)s people, %(n)s key actions; %(active)s people used the CRM",
                   people="%{customdata[0]}", n="%{customdata[1]}", active="%{customdata[2]}")) + "<extra></extra>",
    }, {
        "type": "scatter", "name": escape(_("logged in (28-day adoption)")), "x": [w.week.isoformat() for w in login_weeks],
        "y": [w.percent for w in login_weeks], "mode": "lines+markers", "line": {"color": LOGIN_COLOUR, "width": 2},
        "hovertemplate": week_hover + ": %{y}%<extra></extra>",
    }]
    level = float(target)
    return {"data": data, "layout": layout(
        360, legend={"orientation": "h", "y": -0.2}, hovermode="closest", bargap=0.3,
        xaxis={"type": "date", "gridcolor": "#eef1f4"},
        yaxis={"title": {"text": escape(_("people / licensed seats, %"))}, "range": [0, 105], "gridcolor": "#eef1f4"},
        shapes=[{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": level, "y1": level,
                 "line": {"color": COLOURS["green"], "dash": "dash"}}],
        annotations=[{"xref": "x domain", "x": 0, "xanchor": "left", "yref": "y", "y": level, "yanchor": "bottom",
                      "text": escape(_("target %(n)s%%", n=format_number(level))), "showarrow": False}],
    )}
