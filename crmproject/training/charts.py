"""Training completion charts: per department (bars against a target line) and per department and course (heat map).

Pure functions of plain data, returning plain figure dicts in plotly's JSON schema (graph objects check and
copy every point, which cost more than the rest of a page); department and course names are typed by
people, so they are HTML-escaped before Plotly renders them as labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from crmproject.charts import COLOURS, layout
from crmproject.i18n import _, format_number
from crmproject.training.completion import Completion, CompletionCell, DepartmentCompletion

# red below half, amber towards the target, green at it
COMPLETION_SCALE = [[0.0, COLOURS["red"]], [0.5, COLOURS["amber"]], [1.0, COLOURS["green"]]]
# withdrawals have a colour of their own, apart from the red-amber-green of completion
WITHDRAWN_COLOUR = "#8e5b9c"


def _department_label(name: str | None) -> str:
    return escape(name) if name is not None else escape(_("No department"))


def _value(completion: Completion) -> float | None:
    return float(completion.percent) if completion.percent is not None else None


def _withdrawn_share(completion: Completion) -> float | None:
    """Withdrawn as a share of the people who owed the course (counted + withdrawn), None when none owed it."""
    owed = completion.counted + completion.withdrawn
    return round(100 * completion.withdrawn / owed, 1) if owed > 0 else None


def _hover(c: Completion) -> str:
    text = _hover_counts(c)
    if c.expired:
        text += escape(" · " + _("%(n)s expired, counted as not done", n=c.expired))
    return text


def _hover_counts(c: Completion) -> str:
    if c.withdrawn:
        return escape(_("%(completed)s of %(counted)s completed (%(withdrawn)s withdrawn, %(excluded)s waived or not applicable)",
                        completed=c.completed, counted=c.counted, withdrawn=c.withdrawn, excluded=c.excluded))
    return escape(_("%(completed)s of %(counted)s completed (%(excluded)s waived or not applicable)",
                    completed=c.completed, counted=c.counted, excluded=c.excluded))


def completion_colour(value: float | None, target: float | None) -> str:
    if value is None:
        return COLOURS["grey"]
    if target is None:
        return COLOURS["phase"]
    if value >= target:
        return COLOURS["green"]
    return COLOURS["amber"] if value >= 0.6 * target else COLOURS["red"]


def completion_bars(labels: Sequence[str], completions: Sequence[Completion], *,
                    target: float | Sequence[float | None] | None = 100.0, axis_title: str = "") -> dict:
    """One bar per label (already escaped) with its completion %, and the target as a trace of its own.

    `target` is one value for every bar (a dashed line), or one per bar (a
    mark on each bar that has one, None for none). Groups where nothing
    counts (everyone waived, not applicable or withdrawn) have no bar. When
    anyone withdrew, a second bar per label shows the withdrawn share of the
    people who owed the course, in a colour of its own. A plain figure dict.
    """
    per_bar = target is not None and not isinstance(target, (int, float))
    line = target if isinstance(target, (int, float)) else None  # one line for every bar, or none
    values = [_value(c) for c in completions]
    colours = ([completion_colour(v, t) for v, t in zip(values, target, strict=True)] if per_bar  # type: ignore[arg-type]
               else [completion_colour(v, line) for v in values])
    data: list[dict] = [{
        "type": "bar", "name": escape(_("Completed")), "x": list(labels), "y": values, "marker": {"color": colours},
        "customdata": [_hover(c) for c in completions],
        "text": [format_number(v, 0) + "%" if v is not None else "" for v in values], "textposition": "outside",
        "hovertemplate": "%{x}: %{y:.1f}%<br>%{customdata}<extra></extra>",
    }]
    extra: dict = {}
    if any(c.withdrawn for c in completions):
        data.append({
            "type": "bar", "name": escape(_("Withdrawn")), "x": list(labels),
            "y": [_withdrawn_share(c) for c in completions], "marker": {"color": WITHDRAWN_COLOUR},
            "customdata": [escape(_("%(n)s withdrawn", n=c.withdrawn)) for c in completions],
            "hovertemplate": "%{x}: %{y:.1f}%<br>%{customdata}<extra></extra>",
        })
        extra["barmode"] = "group"
    if line is not None and labels:
        data.append({
            "type": "scatter", "name": escape(_("Target %(value)s%%", value=format_number(line))), "x": list(labels),
            "y": [line] * len(labels), "mode": "lines", "line": {"color": COLOURS["today"], "dash": "dash", "width": 2},
            "hovertemplate": escape(_("target")) + " %{y:.0f}%<extra></extra>",
        })
    if per_bar and any(t is not None for t in target):  # type: ignore[union-attr]
        data.append({
            "type": "scatter", "name": escape(_("Target")), "x": list(labels), "y": list(target),  # type: ignore[arg-type]
            "mode": "markers", "marker": {"symbol": "line-ew-open", "size": 40,
                                          "line": {"color": COLOURS["today"], "width": 3}},
            "hovertemplate": escape(_("target")) + " %{y:.0f}%<extra></extra>",
        })
    xaxis: dict = {"title": {"text": escape(axis_title)}} if axis_title else {}
    return {"data": data, "layout": layout(
        360, showlegend=len(data) > 1, legend={"orientation": "h", "y": -0.2}, bargap=0.35, xaxis=xaxis,
        yaxis={"range": [0, 110], "ticksuffix": "%", "gridcolor": "#eef1f4", "zeroline": False}, **extra)}


def department_completion_figure(rows: Sequence[DepartmentCompletion], *, target: float | None = 100.0) -> dict:
    """Training completion per department (current departments), with the target line (100% for mandatory courses)."""
    return completion_bars([_department_label(r.department_name) for r in rows], [r.completion for r in rows],
                           target=target)


def completion_heatmap(cells: Sequence[CompletionCell]) -> dict:
    """Departments (rows) against courses (columns), each cell the completion %; empty where no one is enrolled."""
    departments: dict[int | None, str | None] = {}
    courses: dict[int, str] = {}
    for cell in cells:
        departments.setdefault(cell.department_id, cell.department_name)
        courses.setdefault(cell.course_id, cell.course_code)
    department_ids = sorted(departments, key=lambda d: (departments[d] is None, (departments[d] or "").casefold()))
    course_ids = sorted(courses, key=lambda c: courses[c].casefold())
    by_key = {(c.department_id, c.course_id): c.completion for c in cells}
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for department_id in department_ids:
        z_row, text_row, hover_row = [], [], []
        for course_id in course_ids:
            completion = by_key.get((department_id, course_id))
            value = _value(completion) if completion is not None else None
            z_row.append(value)
            text_row.append(format_number(value, 0) + "%" if value is not None else "")
            hover_row.append(_hover(completion) if completion is not None else escape(_("nobody enrolled")))
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    heat = {
        "type": "heatmap", "z": z, "x": [escape(courses[c]) for c in course_ids],
        "y": [_department_label(departments[d]) for d in department_ids], "text": text, "texttemplate": "%{text}",
        "customdata": hover, "zmin": 0, "zmax": 100, "colorscale": COMPLETION_SCALE,
        "colorbar": {"title": {"text": "%"}, "ticksuffix": "%"}, "xgap": 2, "ygap": 2,
        "hovertemplate": "%{y} · %{x}: %{customdata}<extra></extra>", "name": escape(_("Completion")),
    }
    return {"data": [heat], "layout": layout(max(240, 80 + 32 * len(department_ids)), yaxis={"autorange": "reversed"},
                                             xaxis={"side": "top"})}


def course_completion_figure(cells: Sequence[CompletionCell], mandatory_course_ids: set[int]) -> dict:
    """One department's completion per course (the cells of one department), a 100% mark on the mandatory courses."""
    ordered = sorted(cells, key=lambda c: c.course_code.casefold())
    return completion_bars([escape(c.course_code) for c in ordered], [c.completion for c in ordered],
                           target=[100.0 if c.course_id in mandatory_course_ids else None for c in ordered])
