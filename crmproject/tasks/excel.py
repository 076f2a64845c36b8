"""Change tasks as an xlsx workbook (export); the import lives in tasks/importer.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.spreadsheets import Column, new_workbook, write_table
from crmproject.tasks.models import ChangeTask

TASK_COLUMNS = (
    Column("ID", kind="integer", width=8), Column("Outline", width=9), Column("Title"), Column("Phase"),
    Column("Department"), Column("Owner"), Column("Category"), Column("Status"), Column("Priority"),
    Column("Start", kind="date"), Column("Due", kind="date"), Column("Overdue", kind="bool"),
    Column("Depends on"), Column("Description", width=50),
)


def tasks_workbook(tasks: Sequence[ChangeTask], *, today: date) -> Workbook:
    """The tasks as one table with real dates; its headers are the ones the importer reads back."""
    workbook = new_workbook()
    columns = [Column(_(c.header), kind=c.kind, width=c.width) for c in TASK_COLUMNS]
    write_table(workbook, _("Tasks"), columns, (
        [
            t.id, t.outline or None, t.title, t.phase.name if t.phase else None,
            t.department.name if t.department else None, t.owner.name if t.owner else None, t.category.label,
            str(t.status.label), str(t.priority.label), t.start_date, t.due_date, t.is_overdue(today),
            "; ".join(d.title for d in t.depends_on) or None, t.description or None,
        ]
        for t in tasks
    ))
    return workbook
