"""A plan's change impact as an xlsx workbook: each department's overall impact beside its training,
communications and open change tasks, and every rated cell with its three dimensions."""

from __future__ import annotations

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.impact import services
from crmproject.spreadsheets import Column, new_workbook, write_table


def impact_workbook(impact: services.ImpactMap, rows: list[services.GridRow]) -> Workbook:
    workbook = new_workbook()
    write_table(workbook, _("Departments"), [
        Column(_("Department"), width=28), Column(_("Wave"), width=28), Column(_("Overall impact"), kind="integer"),
        *(Column(m.code, kind="integer") for m in impact.modules),
        Column(_("Mandatory training completion"), kind="percent"), Column(_("Expired completions"), kind="integer"),
        Column(_("Communications planned"), kind="integer"), Column(_("Communications sent"), kind="integer"),
        Column(_("Change tasks open"), kind="integer"), Column(_("Needs attention"), width=60)],
        ([d.department.name, d.wave.name, d.overall, *(d.levels.get(m.id) for m in impact.modules),
          d.training.percent if d.training else None, d.training.expired if d.training else 0,
          d.communications_planned, d.communications_sent, d.tasks_open, "; ".join(d.reasons)]
         for d in impact.departments))
    cells = []
    for row in rows:
        for module in row.modules:
            rating = row.ratings.get(module.id)
            cells.append([row.department.name, row.wave.name, module.code, module.name,
                          rating.processes if rating else None, rating.tools if rating else None,
                          rating.roles if rating else None, rating.level if rating else None,
                          rating.note if rating else ""])
    write_table(workbook, _("Ratings"), [
        Column(_("Department"), width=28), Column(_("Wave"), width=28), Column(_("Module")),
        Column(_("Module name"), width=28), Column(_("Processes"), kind="integer"), Column(_("Tools"), kind="integer"),
        Column(_("Roles"), kind="integer"), Column(_("Impact"), kind="integer"), Column(_("Note"), width=60)], cells)
    return workbook
