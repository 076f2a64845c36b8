"""The key-action chart: per week, the share of licensed seats whose holders did a key action, beside login
adoption (the share active in the 28 days up to each day), so a department that logs in but never updates a
record shows a line high above its bars."""

from __future__ import annotations

from decimal import Decimal
from html import escape

import plotly.graph_objects as go

from crmproject.adoption.key_actions import KeyActionSummary
from crmproject.adoption.shapes import week_of
from crmproject.charts import COLOURS, base_layout
from crmproject.i18n import _

KEY_COLOUR = "#2e8b57"
LOGIN_COLOUR = "#3b6ea8"


def key_action_figure(summary: KeyActionSummary, *, target: Decimal) -> go.Figure:
    """Bars: key-action adoption per week (people with a key action / licensed seats); line: login adoption."""
    fig = go.Figure()
    fig.add_trace(go.Bar(
        name=escape(_("did a key action")), x=[w.week.isoformat() for w in summary.weeks],
        y=[w.percent for w in summary.weeks], marker_color=KEY_COLOUR,
        customdata=[[w.people, w.key_actions, w.active_people] for w in summary.weeks],
        hovertemplate=escape(_("week of %(week)s", week="%{x}")) + ": %{y}%<br>"
        + escape(_("%(people)s people, %(n)s key actions; %(active)s people used the CRM",
                   people="%{customdata[0]}", n="%{customdata[1]}", active="%{customdata[2]}")) + "<extra></extra>",
    ))
    login_weeks = [w for w in summary.login_weeks if w.week >= week_of(summary.go_live)]  # not 0% before the go-live
    fig.add_trace(go.Scatter(
        name=escape(_("logged in (28-day adoption)")), x=[w.week.isoformat() for w in login_weeks],
        y=[w.percent for w in login_weeks], mode="lines+markers", line=dict(color=LOGIN_COLOUR, width=2),
        hovertemplate=escape(_("week of %(week)s", week="%{x}")) + ": %{y}%<extra></extra>",
    ))
    fig.add_hline(y=float(target), line=dict(color=COLOURS["green"], dash="dash"),
                  annotation_text=_("target %(n)s%%", n=f"{float(target):g}"), annotation_position="top left")
    fig.update_yaxes(title_text=_("people / licensed seats, %"), range=[0, 105], gridcolor="#eef1f4")
    fig.update_xaxes(type="date", gridcolor="#eef1f4")
    fig.update_layout(legend=dict(orientation="h", y=-0.2), hovermode="closest", bargap=0.3)
    return base_layout(fig, height=360)
