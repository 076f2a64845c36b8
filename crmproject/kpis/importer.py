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

    def summary(self, saved: int = 0) -> dict:
        return {
            "file": self.filename, "sheet": self.sheet, "rows_read": self.rows_read, "values_valid": len(self.rows),
            "values_saved": saved,
            "errors": [{"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}
                       for i in self.issues],
        }


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def analyse(data: bytes, filename: str, *, plan: Plan | None, limits: ReadLimits | None = None,
            encoding: str | None = None) -> KpiImport:
    """Check every row of the file (read within `limits`, the configured ones by default; a CSV file in
    `encoding` when given); nothing is written."""
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):  # damaged, or over the read limits: the message says which
        workbook: Workbook = open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
        table = next((t for t in (read_table(s, KPI_FIELDS) for s in workbook.visible_sheets)
                      if t is not None and not t.header.missing), None)
    if table is None:
        raise ImportRefused(_("No sheet has a header row naming at least a KPI, a date and a value in its first 30 rows."))
    result = KpiImport(filename=filename, sheet=table.sheet, rows_read=len(table.rows))
    kpis: dict[str, list[Kpi]] = {}
    query = select(Kpi) if plan is None else select(Kpi).where(Kpi.plan_id == plan.id)
    for kpi in db.session.scalars(query):
        kpis.setdefault(_key(kpi.name), []).append(kpi)
    departments = {}
    for d in db.session.scalars(select(Department)):
        departments[_key(d.name)] = d
        departments[_key(d.code)] = d
    plans = {_key(p.name): p for p in db.session.scalars(select(Plan))}
    day_first = infer_day_first(r.values.get("date") for r in table.rows if isinstance(r.values.get("date"), str))
    for row in table.rows:
        def issue(key: str, message: str) -> None:
            result.issues.append(table.issue(row, key, message))

        name = parse_text(row.values.get("kpi"))
        candidates = kpis.get(_key(name or ""), [])
        if (plan_name := parse_text(row.values.get("plan"))) and plan is None:
            wanted = plans.get(_key(plan_name))
            candidates = [k for k in candidates if wanted is not None and k.plan_id == wanted.id]
        if not name or not name.strip():
            issue("kpi", _("The row names no KPI."))
            continue
        if not candidates:
            issue("kpi", _("This plan has no KPI named %(name)s.", name=name.strip()) if plan
                  else _("There is no KPI named %(name)s.", name=name.strip()))
            continue
        if len(candidates) > 1:
            issue("kpi", _("Several plans have a KPI named %(name)s: give the plan (a Plan column or --plan).", name=name.strip()))
            continue
        kpi = candidates[0]
        department = None
        if (dept := parse_text(row.values.get("department"))) and dept.strip():
            department = departments.get(_key(dept))
            if department is None:
                issue("department", _("There is no department named %(name)s.", name=dept.strip()))
                continue
        try:
            day = parse_date(row.values.get("date"), epoch_1904=workbook.epoch_1904, day_first=day_first)
        except CellError as exc:
            issue("date", exc.message)
            continue
        try:
            value = parse_number(row.values.get("value"))
        except CellError as exc:
            issue("value", exc.message)
            continue
        if day is None or value is None:
            issue("date" if day is None else "value", _("The cell is empty."))
            continue
        earliest = min(kpi.plan.start_date, kpi.baseline_date)
        if not earliest <= day <= kpi.plan.end_date:
            issue("date", _("%(day)s is outside the KPI's plan (%(first)s to %(last)s).", day=day.isoformat(),
                            first=earliest.isoformat(), last=kpi.plan.end_date.isoformat()))
            continue
        if kpi.department_id is not None and department is not None and department.id != kpi.department_id:
            issue("department", _("%(kpi)s is measured for %(name)s only.", kpi=kpi.name, name=kpi.department.name))
            continue
        result.rows.append((kpi, department, day, value, (parse_text(row.values.get("note")) or "").strip()))
    return result


def save(result: KpiImport) -> int:
    """Record every row (the caller commits); a row breaking a KPI's rule makes the whole import fail."""
    for n, (kpi, department, day, value, note) in enumerate(result.rows):
        try:
            services.record_measurement(kpi, measured_on=day, value=value, department=department, entered_by=None, note=note)
        except ValidationFailed as exc:
            message = " ".join(m for msgs in exc.errors.values() for m in msgs)
            raise ValidationFailed(_("%(kpi)s on %(day)s: %(message)s", kpi=kpi.name, day=day.isoformat(), message=message)) from None
    return len(result.rows)


