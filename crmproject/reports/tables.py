"""The reporting matrix's table, for its CSV download (crmproject.exports.Table): a department a row, a period a
column, each cell the report's state and, once submitted, its overall status."""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l


def _cell(matrix, department, period) -> str:
    cell = matrix.cells[(department.id, period.start)]
    text = str(cell.state.label)
    if cell.report and cell.report.overall_rag and cell.state.value in ("on_time", "late"):
        text += f" ({cell.report.overall_rag.label})"
    return text


def _period_cell(matrix, period):
    """A period's column: each department's cell of that period."""
    return lambda department: _cell(matrix, department, period)


def matrix_table(matrix) -> Table:
    return Table(
        Column(_l("Department"), lambda d: d.name),
        *(Column(f"{p.start.isoformat()} {_('due %(d)s', d=p.due.isoformat())}", _period_cell(matrix, p))
          for p in matrix.periods),
    )
