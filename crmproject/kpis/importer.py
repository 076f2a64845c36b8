"""Importing KPI measurements from xlsx or csv: one row per KPI, department, date and value. All or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis import services
from crmproject.kpis.models import Kpi
from crmproject.plans.models import Plan
from crmproject.spreadsheets import (
    CellError, FieldSpec, ImportIssue, ReadLimits, Workbook, infer_day_first, open_workbook, parse_date, parse_number,
    parse_text, read_table, refused_as,
)

KPI_FIELDS = (
    FieldSpec("kpi", _l("KPI"), ("Indicator", "Metric", "Measure", "KPI name", "Name"), required=True),
    FieldSpec("date", _l("Date"), ("Measured on", "As of", "Period end", "Month", "Day"), required=True, kind="date"),
    FieldSpec("value", _l("Value"), ("Actual", "Result", "Measurement", "Amount"), required=True, kind="number"),
    FieldSpec("department", _l("Department"), ("Dept", "Unit", "Business unit", "Team")),
    FieldSpec("plan", _l("Plan"), ("Rollout", "Project")),
    FieldSpec("note", _l("Note"), ("Comment", "Comments", "Remarks")),
)


class ImportRefused(Exception):
    """The file cannot be read as KPI values at all."""


@dataclass
class KpiImport:
    filename: str
    sheet: str
    rows_read: int = 0
    rows: list[tuple[Kpi, Department | None, date, Decimal, str]] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    duplicates: int = 0  # rows that repeat an earlier row exactly: counted once

    def summary(self, saved: int = 0) -> dict:
        def issue(i: ImportIssue) -> dict:
            return {"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}

        return {
            "file": self.filename, "sheet": self.sheet, "rows_read": self.rows_read, "values_valid": len(self.rows),
            "duplicate_rows": self.duplicates, "values_saved": saved,
            "errors": [issue(i) for i in self.issues], "warnings": [issue(i) for i in self.warnings],
        }


@dataclass
class _Seen:
    """The first row that gave a value for one KPI, department and date."""

    row: int
    value: Decimal
    note: str


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Lookups:
    """The KPIs (of `plan`, or all), departments and plans a file's rows may name."""

    def __init__(self, plan: Plan | None) -> None:
        self.plan = plan
        self.kpis: dict[str, list[Kpi]] = {}
        query = select(Kpi) if plan is None else select(Kpi).where(Kpi.plan_id == plan.id)
        for kpi in db.session.scalars(query):
            self.kpis.setdefault(_key(kpi.name), []).append(kpi)
        self.departments: dict[str, Department] = {}
        for d in db.session.scalars(select(Department)):
            self.departments[_key(d.name)] = d
            self.departments[_key(d.code)] = d
        self.plans = {_key(p.name): p for p in db.session.scalars(select(Plan))}


class _RowError(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


def analyse(data: bytes, filename: str, *, plan: Plan | None, limits: ReadLimits | None = None,
            encoding: str | None = None) -> KpiImport:
    """Check every row of the file (read within `limits`, the configured ones by default; a CSV file in
    `encoding` when given); nothing is written.

    Two rows for the same KPI, department and date are an error naming both
    rows unless they are identical (same value and note), when the second is
    counted once and reported as a warning: one value per day is stored, so
    the file must not leave it to row order which one wins.
    """
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):  # damaged, or over the read limits: the message says which
        workbook: Workbook = open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
        table = next((t for t in (read_table(s, KPI_FIELDS) for s in workbook.visible_sheets)
                      if t is not None and not t.header.missing), None)
    if table is None:
        raise ImportRefused(_("No sheet has a header row naming at least a KPI, a date and a value in its first 30 rows."))
    result = KpiImport(filename=filename, sheet=table.sheet, rows_read=len(table.rows))
    lookups = _Lookups(plan)
    day_first = infer_day_first(r.values.get("date") for r in table.rows if isinstance(r.values.get("date"), str))
    seen: dict[tuple[int, int | None, date], _Seen] = {}
    for row in table.rows:
        try:
            kpi, department, day, value, note = _read_row(row.values, lookups, workbook.epoch_1904, day_first)
        except _RowError as exc:
            result.issues.append(table.issue(row, exc.key, exc.message))
            continue
        department_id = kpi.department_id if kpi.department_id is not None else (department.id if department else None)
        key = (kpi.id, department_id, day)
        first = seen.get(key)
        if first is None:
            seen[key] = _Seen(row.number, value, note)
            result.rows.append((kpi, department, day, value, note))
        elif (first.value, first.note) == (value, note):
            result.duplicates += 1
            result.warnings.append(table.issue(row, "value", _(
                "Row %(row)s repeats row %(first)s of sheet %(sheet)s (same KPI, department, date and value): counted once.",
                row=row.number, first=first.row, sheet=table.sheet)))
        else:
            column = "value" if first.value != value else "note"
            result.issues.append(table.issue(row, column, _conflict(table.sheet, first, row.number, value, note, kpi, day,
                                                                    department_id=department_id, column=column)))
    return result


def _conflict(sheet: str, first: _Seen, row: int, value: Decimal, note: str, kpi: Kpi, day: date, *,
              department_id: int | None, column: str) -> str:
    where = _("for the whole plan") if department_id is None else _("for the same department")
    if column == "value":
        return _("Rows %(first)s and %(row)s of sheet %(sheet)s give %(kpi)s on %(day)s %(where)s two values (%(a)s and %(b)s): "
                 "only one value per day is kept, so remove or correct one of the rows.", first=first.row, row=row, sheet=sheet,
                 kpi=kpi.name, day=day.isoformat(), where=where, a=first.value, b=value)
    return _("Rows %(first)s and %(row)s of sheet %(sheet)s give %(kpi)s on %(day)s %(where)s the same value with two notes "
             "('%(a)s' and '%(b)s'): only one is kept, so remove or correct one of the rows.", first=first.row, row=row,
             sheet=sheet, kpi=kpi.name, day=day.isoformat(), where=where, a=first.note, b=note)


def _read_row(values: dict, lookups: _Lookups, epoch_1904: bool,
              day_first: bool | None) -> tuple[Kpi, Department | None, date, Decimal, str]:
    """The KPI, department, date, value and note of one row; _RowError names the column at fault."""
    name = parse_text(values.get("kpi"))
    candidates = lookups.kpis.get(_key(name or ""), [])
    if (plan_name := parse_text(values.get("plan"))) and lookups.plan is None:
        wanted = lookups.plans.get(_key(plan_name))
        candidates = [k for k in candidates if wanted is not None and k.plan_id == wanted.id]
    if not name or not name.strip():
        raise _RowError("kpi", _("The row names no KPI."))
    if not candidates:
        raise _RowError("kpi", _("This plan has no KPI named %(name)s.", name=name.strip()) if lookups.plan
                        else _("There is no KPI named %(name)s.", name=name.strip()))
    if len(candidates) > 1:
        raise _RowError("kpi", _("Several plans have a KPI named %(name)s: give the plan (a Plan column or --plan).",
                                 name=name.strip()))
    kpi = candidates[0]
    department = None
    if (dept := parse_text(values.get("department"))) and dept.strip():
        department = lookups.departments.get(_key(dept))
        if department is None:
            raise _RowError("department", _("There is no department named %(name)s.", name=dept.strip()))
    try:
        day = parse_date(values.get("date"), epoch_1904=epoch_1904, day_first=day_first)
    except CellError as exc:
        raise _RowError("date", exc.message) from None
    try:
        value = parse_number(values.get("value"))
    except CellError as exc:
        raise _RowError("value", exc.message) from None
    if day is None or value is None:
        raise _RowError("date" if day is None else "value", _("The cell is empty."))
    earliest = min(kpi.plan.start_date, kpi.baseline_date)
    if not earliest <= day <= kpi.plan.end_date:
        raise _RowError("date", _("%(day)s is outside the KPI's plan (%(first)s to %(last)s).", day=day.isoformat(),
                                  first=earliest.isoformat(), last=kpi.plan.end_date.isoformat()))
    if kpi.department_id is not None and department is not None and department.id != kpi.department_id \
            and kpi.department is not None:
        raise _RowError("department", _("%(kpi)s is measured for %(name)s only.", kpi=kpi.name, name=kpi.department.name))
    return kpi, department, day, value, (parse_text(values.get("note")) or "").strip()


def save(result: KpiImport) -> int:
    """Record every row (the caller commits); a row breaking a KPI's rule makes the whole import fail."""
    for kpi, department, day, value, note in result.rows:
        try:
            services.record_measurement(kpi, measured_on=day, value=value, department=department, entered_by=None, note=note)
        except ValidationFailed as exc:
            message = " ".join(m for msgs in exc.errors.values() for m in msgs)
            raise ValidationFailed(_("%(kpi)s on %(day)s: %(message)s", kpi=kpi.name, day=day.isoformat(), message=message)) from None
    return len(result.rows)


