"""Shared chart plumbing: figures are built by pure functions per feature and drawn by static/js/charts.js.

Every figure is a plain dict in plotly's JSON schema ({"data": [...], "layout": {...}}), not a
plotly.graph_objects figure: graph objects validate and deep-copy every point, which cost more than all the
rest of a page at 60 departments. The plotly Python package is used only for the plotly.js it ships.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import jdatetime
from markupsafe import Markup

from crmproject.dates import PERSIAN, current_calendar
from crmproject.i18n import DEFAULT_LOCALE, current_locale

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
    """The figure as JSON for a data attribute, its dates read as the reader writes them (`localised_dates`);
    Jinja escapes it for the attribute. A figure already turned into escaped JSON (Markup, as the dashboard
    caches them) is passed through."""
    if isinstance(fig, Markup):
        return fig
    return json.dumps(localised_dates(fig), separators=(",", ":"), ensure_ascii=False)


# d3-time-format of a day and of a month per language (crmproject.dates shows them the same way in the page)
_HOVER_DAY = {"ru": "%d.%m.%Y", "zh_Hans": "%Y/%-m/%-d", "fa": "%Y/%-m/%-d"}
_HOVER_MONTH = {"ru": "%m.%Y", "zh_Hans": "%Y/%-m", "fa": "%Y/%-m"}
# plotly's world calendars name the Jalali months in three Latin letters (Aza, Dey): numbers read better
_JALALI_DAY = "%Y/%m/%d"
_JALALI_TICKS = [{"dtickrange": [None, "M1"], "value": "%Y/%m/%d"}, {"dtickrange": ["M1", "M12"], "value": "%Y/%m"},
                 {"dtickrange": ["M12", None], "value": "%Y"}]
_AXIS = re.compile(r"[xy]axis\d*")
_FORMATTED = re.compile(r"%\{([xy])\|([^}]*)\}")


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")


def _jalali(value: Any) -> Any:
    """An ISO date (or date and time) as the same day on the Solar Hijri calendar, "1405-09-16" (a list of them
    each); anything else as it is. Plotly reads a date axis's range and tick0, and the shapes and annotations
    placed on it, in the axis's calendar (the traces' data in their own, Gregorian)."""
    if isinstance(value, list):
        return [_jalali(v) for v in value]
    found = _ISO.match(value) if isinstance(value, str) else None
    if found is None:
        return value
    try:
        day = jdatetime.date.fromgregorian(date=date(int(found.group(1)), int(found.group(2)), int(found.group(3))))
    except ValueError:
        return value
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}{found.group(4)}"


def _jalali_marks(layout: dict, dated: set[str]) -> None:
    """The layout's shapes and annotations placed on a date axis (xref "x" by default, "x2", ...) at the same
    days on that axis's Solar Hijri calendar."""
    for kind, keys in (("shapes", ("0", "1")), ("annotations", ("",))):
        marks = layout.get(kind)
        if not isinstance(marks, list):
            continue
        moved = []
        for mark in marks:
            if isinstance(mark, dict):
                mark = dict(mark)
                for letter in ("x", "y"):
                    ref = mark.get(f"{letter}ref", letter)
                    if isinstance(ref, str) and f"{letter}axis{ref[1:]}" in dated:
                        for key in keys:
                            if f"{letter}{key}" in mark:
                                mark[f"{letter}{key}"] = _jalali(mark[f"{letter}{key}"])
            moved.append(mark)
        layout[kind] = moved


def localised_dates(fig: dict) -> dict:
    """A figure whose date axes (`"type": "date"`) show their hover dates as the reader writes dates, and on the
    Solar Hijri calendar their ticks and hovers too (plotly.js's own `calendar: "jalali"`). The data stay ISO
    dates. A hover template's own date format (%{x|%Y-%m-%d}) becomes the language's; on the Solar Hijri
    calendar the axis formats it (plotly applies a calendar to the axis's formats only). English on the
    Gregorian calendar is left as it is."""
    language, calendar = current_locale(), current_calendar()
    layout = fig.get("layout")
    if (language == DEFAULT_LOCALE and calendar != PERSIAN) or not isinstance(layout, dict):
        return fig
    dated = {name for name, axis in layout.items()
             if _AXIS.fullmatch(name) and isinstance(axis, dict) and axis.get("type") == "date"}
    if not dated:
        return fig
    layout = dict(layout)
    for name in dated:
        axis = layout[name] = dict(layout[name])
        if calendar == PERSIAN:
            axis["calendar"] = "jalali"
            axis.setdefault("hoverformat", _JALALI_DAY)
            if "tickformat" not in axis:
                axis.setdefault("tickformatstops", _JALALI_TICKS)
            for key in ("range", "tick0"):
                if key in axis:
                    axis[key] = _jalali(axis[key])
        else:
            axis.setdefault("hoverformat", _HOVER_DAY.get(language, "%Y-%m-%d"))
    if calendar == PERSIAN:
        _jalali_marks(layout, dated)

    def hover_format(found: re.Match) -> str:
        letter, form = found.group(1), found.group(2)
        if calendar == PERSIAN or language == DEFAULT_LOCALE:
            return "%{" + letter + "}"
        shown = {"%Y-%m-%d": _HOVER_DAY, "%Y-%m": _HOVER_MONTH}.get(form, {}).get(language, form)
        return "%{" + letter + "|" + shown + "}"

    data = []
    for trace in fig.get("data", []):
        template = trace.get("hovertemplate") if isinstance(trace, dict) else None
        if isinstance(template, str) and _FORMATTED.search(template):
            trace = {**trace, "hovertemplate": _FORMATTED.sub(hover_format, template)}
        data.append(trace)
    return {**fig, "data": data, "layout": layout}
