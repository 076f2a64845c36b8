"""Status reports of a period, and KPI values, as xlsx workbooks."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.kpis.models import Kpi
from crmproject.reports.models import StatusReport
from crmproject.spreadsheets import Column, new_workbook, write_table


def reports_workbook(reports: Sequence[StatusReport], kpis: Sequence[Kpi]) -> Workbook:
    """One row per report (the latest revision of each department), its KPI values as columns."""
    workbook = new_workbook()
    columns = [
        Column(_("Department")), Column(_("Period start"), kind="date"), Column(_("Period end"), kind="date"),
        Column(_("Revision"), kind="integer", width=9), Column(_("Status")), Column(_("Submitted"), kind="datetime"),
        Column(_("Overall")), Column(_("Achievements"), width=50), Column(_("Blockers"), width=40),
        Column(_("Next steps"), width=40), Column(_("Help needed"), width=40),
    ] + [Column(f"{k.name} ({k.unit})" if k.unit else k.name, kind="number") for k in kpis]
    rows = []
    for r in reports:
        values = {v.kpi_id: v.value for v in r.values}
        rows.append([
            r.department.name, r.period_start, r.period_end, r.revision, str(r.status.label), r.submitted_at,
            str(r.overall_rag.label) if r.overall_rag else None, r.achievements, r.blockers, r.next_steps, r.help_needed,
        ] + [values.get(k.id) for k in kpis])
    write_table(workbook, _("Reports"), columns, rows)
    return workbook
