"""Shared chart plumbing: figures are built by pure functions per feature and drawn by static/js/charts.js.

Every figure is a plain dict in plotly's JSON schema ({"data": [...], "layout": {...}}), not a
plotly.graph_objects figure: graph objects validate and deep-copy every point, which cost more than all the
rest of a page at 60 departments. The plotly Python package is used only for the plotly.js it ships.
"""

from __future__ import annotations

import json

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


def layout(height: int, **extra) -> dict:
    """The layout every chart shares (size, margins, font, white background), with the chart's own keys."""
    return {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 30}, "font": {"family": FONT, "size": 12},
            "plot_bgcolor": "white", "paper_bgcolor": "white", "hoverlabel": {"font": {"family": FONT}}, **extra}


def figure_json(fig: dict | Markup) -> Markup | str:
    """The figure as JSON for a data attribute; Jinja escapes it for the attribute. A figure already turned
    into escaped JSON (Markup, as the dashboard caches them) is passed through."""
    if isinstance(fig, Markup):
        return fig
    return json.dumps(fig, separators=(",", ":"), ensure_ascii=False)
