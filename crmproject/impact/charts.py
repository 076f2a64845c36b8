"""The change impact heat map: departments (rows, hardest hit first) against CRM modules (columns), each cell
the highest of its processes, tools and roles ratings, coloured from 1 (green) to 5 (red).

A pure function of the services' ImpactMap returning a plain figure dict in plotly's JSON schema; department
names are typed by people, so they are HTML-escaped before Plotly renders them as labels."""

from __future__ import annotations

from html import escape

from crmproject.charts import COLOURS, layout
from crmproject.i18n import _
from crmproject.impact.services import HIGHEST, LOWEST, ImpactMap

IMPACT_SCALE = [[0.0, COLOURS["green"]], [0.5, COLOURS["amber"]], [1.0, COLOURS["red"]]]


def impact_heatmap(impact: ImpactMap) -> dict:
    """One row per department (the hardest hit at the top), one column per module; empty where the module is not
    in the department's wave or the cell is not rated yet."""
    z: list[list[int | None]] = []
    hover: list[list[str]] = []
    for row in impact.departments:
        in_wave = {m.id for m in row.wave.modules}
        z.append([row.levels.get(m.id) for m in impact.modules])
        hover.append([escape(_("impact %(n)s of 5", n=row.levels[m.id])) if m.id in row.levels
                      else escape(_("not rated yet") if m.id in in_wave else _("not in its wave"))
                      for m in impact.modules])
    heat = {
        "type": "heatmap", "z": z, "x": [escape(m.code) for m in impact.modules],
        "y": [escape(d.department.name) for d in impact.departments],
        "text": [["" if v is None else str(v) for v in row] for row in z], "texttemplate": "%{text}",
        "customdata": hover, "zmin": LOWEST, "zmax": HIGHEST, "colorscale": IMPACT_SCALE,
        "colorbar": {"title": {"text": escape(_("Impact"))}, "tickvals": list(range(LOWEST, HIGHEST + 1))},
        "xgap": 2, "ygap": 2, "hovertemplate": "%{y} · %{x}: %{customdata}<extra></extra>",
        "name": escape(_("Change impact")),
    }
    return {"data": [heat], "layout": layout(max(240, 80 + 32 * len(impact.departments)),
                                             yaxis={"autorange": "reversed", "automargin": True},
                                             xaxis={"side": "top"})}
