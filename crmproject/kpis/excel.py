"""The KPI values of a plan as a workbook (and its CSV copy)."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.kpis.models import KpiMeasurement
from crmproject.spreadsheets import Column, new_workbook, write_table


def measurements_workbook(values: Sequence[KpiMeasurement]) -> Workbook:
    workbook = new_workbook()
    columns = [
        Column(_("KPI")), Column(_("Unit"), width=8), Column(_("Department")), Column(_("Date"), kind="date"),
        Column(_("Value"), kind="number"), Column(_("Entered by")), Column(_("Note"), width=40),
    ]
    write_table(workbook, _("KPI values"), columns, (
        [m.kpi.name, m.kpi.unit or None, m.department.name if m.department else _("Whole plan"), m.measured_on, m.value,
         m.entered_by.name if m.entered_by else None, m.note or None]
        for m in values
    ))
    return workbook
