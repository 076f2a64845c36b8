"""The KPI register's table, for its CSV download (crmproject.exports.Table): a KPI a row, and in each column
(the whole plan, then each department) its latest progress from baseline to target, in percent, as the page's
cell shows it beside the status."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets.csv_copy import plain_number


def _range(kpi) -> str:
    return f"{plain_number(kpi.baseline_value)} → {plain_number(kpi.target_value)} {kpi.unit}".strip()


def _progress(grid: dict, kpi, key):
    found = grid.get(kpi.id, {}).get(key)
    return round(found.result.progress) if found is not None else None


def _department_progress(grid: dict, key):
    """A department's column (None: the whole plan's): each KPI's progress there."""
    return lambda kpi: _progress(grid, kpi, key)


def register_table(grid: dict, departments: list, has_plan_wide: bool) -> Table:
    """`grid`: each KPI's latest attainment by department id (None: the whole plan), as the page gets it."""
    keys = ([None] if has_plan_wide else []) + [d.id for d in departments]
    headers = ([_("Whole plan")] if has_plan_wide else []) + [d.code for d in departments]
    return Table(
        Column(_l("KPI"), lambda k: k.name),
        Column(_l("Baseline → target"), _range),
        *(Column(header, _department_progress(grid, key)) for header, key in zip(headers, keys, strict=True)),
    )


def _department(row) -> str:
    return row.department.name if row.department else _("Whole plan")


# a KPI's page: where each department stands, and (?table=values) every value entered, newest first
ATTAINMENT = Table(
    Column(_l("Department"), _department),
    Column(_l("Latest value"), lambda a: a.result.actual),
    Column(_l("Expected then"), lambda a: a.result.expected),
    Column(_l("Progress"), lambda a: round(a.result.progress)),
    Column(_l("Expected progress"), lambda a: round(a.result.expected_progress)),
    Column(_l("Status"), lambda a: a.result.status),
)

VALUES = Table(
    Column(_l("Date"), lambda m: m.measured_on),
    Column(_l("Department"), _department),
    Column(_l("Value"), lambda m: m.value),
    Column(_l("Entered by"), lambda m: m.entered_by.name if m.entered_by else _("import")),
    Column(_l("Note"), lambda m: m.note),
)
