"""The RACI matrix and the team as an xlsx workbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.spreadsheets import Column, new_workbook, write_table
from crmproject.teams.models import Deliverable, TeamRole
from crmproject.teams.services import raci_matrix, raci_problem


def raci_workbook(deliverables: Sequence[Deliverable], roles: Sequence[TeamRole], *, today: date) -> Workbook:
    """Sheet 1: deliverables x roles with R/A/C/I and any problem; sheet 2: the team and who holds each role."""
    workbook = new_workbook()
    matrix = raci_matrix(list(deliverables))
    columns = [Column(_("Deliverable")), Column(_("Phase"))] + [Column(r.title, width=14) for r in roles] + [Column(_("Problem"))]
    write_table(workbook, _("RACI"), columns, (
        [d.name, d.phase.name if d.phase else None]
        + [matrix[d.id][r.id].value if r.id in matrix[d.id] else None for r in roles]
        + [raci_problem(matrix[d.id])]
        for d in deliverables
    ))
    team_columns = [
        Column(_("Role")), Column(_("Kind")), Column(_("Required"), kind="bool"), Column(_("Held by")),
        Column(_("Organisation")), Column(_("Since"), kind="date"), Column(_("Holders so far"), kind="integer"),
    ]
    rows = []
    for role in roles:
        holder = role.holder_on(today)
        rows.append([
            role.title, str(role.kind.label), role.required, holder.holder_name if holder else _("vacant"),
            holder.organisation if holder else None, holder.start_date if holder else None, len(role.assignments),
        ])
    write_table(workbook, _("Team"), team_columns, rows)
    return workbook
