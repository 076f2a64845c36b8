"""The audit trail as xlsx: one row per changed field (its value before and after), one per event."""

from __future__ import annotations

from openpyxl import Workbook

from crmproject.audit.services import EntryShown
from crmproject.i18n import _
from crmproject.spreadsheets import Column, new_workbook, write_table


def audit_workbook(entries: list[EntryShown]) -> Workbook:
    workbook = new_workbook()
    columns = [
        Column(_("When (UTC)"), "datetime"), Column(_("Who"), width=28), Column(_("Source"), width=14),
        Column(_("Action"), width=18), Column(_("Object type"), width=22), Column(_("Object id"), "integer"),
        Column(_("Object"), width=36), Column(_("Field"), width=22), Column(_("Before"), width=40),
        Column(_("After"), width=40), Column(_("Details"), width=40), Column(_("Address"), width=16),
        Column(_("Request"), width=36),
    ]
    write_table(workbook, _("Audit trail"), columns, _rows(entries))
    return workbook


def _rows(entries: list[EntryShown]):
    for shown in entries:
        entry = shown.entry
        common = [entry.at.replace(tzinfo=None), shown.who, str(entry.source.label), str(entry.action.label), shown.what,
                  entry.object_id, shown.label]
        tail = ["; ".join(f"{label}: {text}" for label, text in shown.details), entry.address, entry.request]
        if not shown.changes:
            yield [*common, "", "", "", *tail]
            continue
        for change in shown.changes:
            if change.hidden:
                before = after = _("(hidden)")
            else:
                before, after = change.before, change.after
            yield [*common, change.field, before, after, *tail]
