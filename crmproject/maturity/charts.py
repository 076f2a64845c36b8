"""The maturity charts: the radar of the latest agreed levels against the target and the previous assessment,
and each block's level over time. Plain plotly dicts, as crmproject.charts explains."""

from __future__ import annotations

from datetime import date
from html import escape

from crmproject.charts import COLOURS, layout
from crmproject.maturity.blocks import BLOCKS, HIGHEST, Block, level_label

GRID = "#eef1f4"
TREND_COLOURS = ("#3b6ea8", "#d9822b", "#2e8b57", "#7b4ea3", "#c0392b", "#16a085", "#8e6c3a", "#555f6b")


def _closed(values: list) -> list:
    """A radar's polygon closes on its first point."""
    return values + values[:1]


def radar_figure(latest: dict[Block, int], previous: dict[Block, int], targets: dict[Block, int], *,
                 latest_name: str, previous_name: str) -> dict:
    """Three polygons on the eight blocks: the target (dashed), the previous assessment (grey), the latest
    (filled). A block not rated in an assessment has no point there (a gap, not a zero)."""
    from crmproject.i18n import _

    names = [escape(str(b.block.label)) for b in BLOCKS]

    def polygon(levels: dict[Block, int], name: str, colour: str, **style) -> dict:
        r = [levels.get(b.block) for b in BLOCKS]
        return {"type": "scatterpolar", "r": _closed(r), "theta": _closed(names), "name": escape(name),
                "connectgaps": False, "line": {"color": colour, "width": 2, **style.pop("line", {})},
                "hovertemplate": "%{theta}: %{r}<extra>" + escape(name) + "</extra>", **style}

    data = []
    if targets:
        data.append(polygon(targets, _("Target"), COLOURS["green"], mode="lines", line={"dash": "dash"}))
    if previous:
        data.append(polygon(previous, previous_name, COLOURS["grey"], mode="lines+markers"))
    if latest:
        data.append(polygon(latest, latest_name, COLOURS["phase"], mode="lines+markers", fill="toself",
                            fillcolor="rgba(59,110,168,0.18)"))
    return {"data": data, "layout": layout(
        380, polar={"radialaxis": {"range": [0, HIGHEST], "dtick": 1, "gridcolor": GRID, "angle": 90,
                                   "tickfont": {"size": 10}},
                    "angularaxis": {"direction": "clockwise", "gridcolor": GRID}},
        legend={"orientation": "h", "y": -0.12}, margin={"l": 90, "r": 90, "t": 30, "b": 40})}


def trend_figure(series: dict[Block, list[tuple[date, int]]]) -> dict:
    """One line per block: its agreed level at each assessment."""
    from crmproject.i18n import _

    data = []
    for index, info in enumerate(BLOCKS):
        points = series.get(info.block, [])
        if not points:
            continue
        name = escape(str(info.block.label))
        data.append({"type": "scatter", "mode": "lines+markers", "name": name,
                     "x": [d.isoformat() for d, _level in points], "y": [level for _d, level in points],
                     "text": [escape(level_label(level)) for _d, level in points],
                     "line": {"color": TREND_COLOURS[index % len(TREND_COLOURS)], "width": 2},
                     "hovertemplate": "%{x|%Y-%m-%d}: %{text}<extra>" + name + "</extra>"})
    return {"data": data, "layout": layout(
        320, xaxis={"type": "date", "gridcolor": GRID, "automargin": True},
        yaxis={"title": {"text": escape(_("Agreed level"))}, "range": [-0.2, HIGHEST + 0.2], "dtick": 1,
               "gridcolor": GRID, "automargin": True},
        legend={"orientation": "h", "y": -0.25})}
