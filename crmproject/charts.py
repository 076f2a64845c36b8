"""Shared chart plumbing: figures are built by pure functions per feature and drawn by static/js/charts.js."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
COLOURS = {
    "phase": "#3b6ea8",
    "pilot": "#d9822b",
    "wave": "#2e8b57",
    "enterprise": "#7b4ea3",
    "today": "#c0392b",
    "red": "#c0392b",
    "amber": "#e6a23c",
    "green": "#2e8b57",
    "grey": "#9aa5b1",
}


def base_layout(fig: go.Figure, *, height: int = 360) -> go.Figure:
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=30),
        font=dict(family=FONT, size=12),
        plot_bgcolor="white",
        paper_bgcolor="white",
        hoverlabel=dict(font=dict(family=FONT)),
    )
    return fig


def layout(height: int, **extra) -> dict:
    """base_layout as a plain dict, for figures built as dicts in plotly's JSON schema rather than graph objects
    (whose checking and copying of thousands of points cost more than the rest of a page)."""
    return {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 30}, "font": {"family": FONT, "size": 12},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "hoverlabel": {"font": {"family": FONT}}, **extra}


def figure_json(fig: go.Figure | dict | Markup) -> Markup | str:
    """The figure as JSON for a data attribute; Jinja escapes it for the attribute.

    A plain figure dict (plotly's JSON schema, as the dashboard builds its
    largest charts) is dumped as it is; a figure already turned into escaped
    JSON (Markup, as the dashboard caches them) is passed through.
    """
    if isinstance(fig, Markup):
        return fig
    if isinstance(fig, dict):
        return json.dumps(fig, separators=(",", ":"), ensure_ascii=False)
    return pio.to_json(fig, validate=False, pretty=False)
