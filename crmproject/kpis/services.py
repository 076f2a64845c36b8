"""KPIs: the register, intermediate targets, measurements, and attainment per department."""

from __future__ import annotations

from collections.abc import Sequence
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Date, Integer, and_, bindparam, column, func, select, text
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.db import touch
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _, ascii_digits, format_number
from crmproject.kpis.attainment import Attainment, PathPoint, Rag, attainment, expected_value, target_path
from crmproject.kpis.models import Direction, Frequency, GoalFamily, Kpi, KpiMeasurement, KpiTarget
from crmproject.plans.models import Phase, Plan
from crmproject.plans.seeds import PlanTemplate, made_from_template

# A baseline may be measured up to a year before the plan starts.
BASELINE_LOOKBACK = timedelta(days=366)
LARGEST_VALUE = Decimal("1e13")


def list_kpis(plan: Plan) -> list[Kpi]:
    return list(db.session.scalars(
        select(Kpi).where(Kpi.plan_id == plan.id)
        .options(selectinload(Kpi.targets).selectinload(KpiTarget.phase), selectinload(Kpi.department), selectinload(Kpi.owner))
        .order_by(Kpi.goal_family, collated(Kpi.name))
    ))


@dataclass
class KpiValues:
    name: str
    goal_family: GoalFamily
    direction: Direction
    baseline_value: Decimal
    baseline_date: date
    target_value: Decimal
    target_date: date
    unit: str = ""
    description: str = ""
    department: Department | None = None
    frequency: Frequency = Frequency.MONTHLY
    owner: User | None = None
    red_threshold: Decimal = Decimal(60)
    amber_threshold: Decimal = Decimal(80)


def _check_kpi(plan: Plan, kpi: Kpi | None, v: KpiValues) -> None:
    errors: dict[str, str] = {}
    if not v.name.strip():
        errors["name"] = _("Enter the KPI's name.")
    elif (clash := db.session.scalar(select(Kpi).where(Kpi.plan_id == plan.id, func.lower(Kpi.name) == v.name.strip().lower()))) and clash is not kpi:
        errors["name"] = _("This plan already has a KPI named %(name)s.", name=clash.name)
    earliest = plan.start_date - BASELINE_LOOKBACK
    if not earliest <= v.baseline_date <= plan.end_date:
        errors["baseline_date"] = _("The baseline date must fall between %(first)s and the plan's end %(last)s.",
                                    first=earliest.isoformat(), last=plan.end_date.isoformat())
    if v.target_date <= v.baseline_date:
        errors["target_date"] = _("The target date must come after the baseline date %(d)s.", d=v.baseline_date.isoformat())
    elif v.target_date > plan.end_date:
        errors["target_date"] = _("The target date must fall inside the plan (it ends %(d)s).", d=plan.end_date.isoformat())
    if v.direction == Direction.HIGHER and v.target_value <= v.baseline_value:
        errors["target_value"] = _("Higher is better, so the target must be above the baseline %(b)s.",
                                    b=format_number(v.baseline_value))
    if v.direction == Direction.LOWER and v.target_value >= v.baseline_value:
        errors["target_value"] = _("Lower is better, so the target must be below the baseline %(b)s.",
                                    b=format_number(v.baseline_value))
    if not Decimal(0) < v.red_threshold < v.amber_threshold <= Decimal(100):
        errors["amber_threshold"] = _("Thresholds run 0 < red < amber <= 100 (percent of the expected progress).")
    if errors:
        raise ValidationFailed(errors)


def create_kpi(plan: Plan, values: KpiValues) -> Kpi:
    """Add a KPI with its baseline and target; see `_check_kpi` for the rules."""
    _check_kpi(plan, None, values)
    kpi = Kpi(plan_id=plan.id)
    _apply(kpi, values)
    db.session.add(kpi)
    db.session.flush()
    return kpi


def update_kpi(kpi: Kpi, values: KpiValues) -> Kpi:
    _check_kpi(kpi.plan, kpi, values)
    _apply(kpi, values)
    db.session.flush()
    return kpi


def _apply(kpi: Kpi, v: KpiValues) -> None:
    kpi.name, kpi.description, kpi.goal_family, kpi.unit = v.name.strip(), v.description.strip(), v.goal_family, v.unit.strip()
    kpi.direction, kpi.frequency, kpi.department, kpi.owner = v.direction, v.frequency, v.department, v.owner
    kpi.baseline_value, kpi.baseline_date = v.baseline_value, v.baseline_date
    kpi.target_value, kpi.target_date = v.target_value, v.target_date
    kpi.red_threshold, kpi.amber_threshold = v.red_threshold, v.amber_threshold


def delete_kpi(kpi: Kpi) -> None:
    db.session.delete(kpi)
    db.session.flush()


def set_target(kpi: Kpi, *, target_date: date, value: Decimal, phase: Phase | None = None) -> KpiTarget:
    """Add or change an intermediate target; it must lie strictly between baseline and target dates."""
    if not kpi.baseline_date < target_date < kpi.target_date:
        raise ValidationFailed(_("An intermediate target lies between the baseline (%(b)s) and the target date (%(t)s).",
                                 b=kpi.baseline_date.isoformat(), t=kpi.target_date.isoformat()), field="target_date")
    existing = next((t for t in kpi.targets if t.target_date == target_date), None)
    if existing is None:
        existing = KpiTarget(target_date=target_date, value=value, phase=phase)
        kpi.targets.append(existing)
    existing.value, existing.phase = value, phase
    db.session.flush()
    return existing


def remove_target(target: KpiTarget) -> None:
    """Take an intermediate target away; the KPI's definition changed, so its version moves."""
    kpi = target.kpi
    kpi.targets.remove(target)
    touch(kpi)
    db.session.flush()


# what a Persian or Arabic keyboard types for signs (its digits: i18n.ascii_digits): the decimal point, grouping
# (dropped: it is never a decimal sign), minus and percent
_TYPED_SIGNS = str.maketrans({"٫": ".", "٬": "", "−": "-", "٪": "%"})


def parse_value(text: str | None, field: str = "value") -> Decimal:
    """A number typed by a person: '85', '85.5', '85,5', '1 200', '۲۷٫۵' (Persian digits and decimal sign), '2.1%'
    (a percentage sign after it, as a % KPI's value is written). Raises ValidationFailed at `field`."""
    cleaned = (ascii_digits((text or "").strip()) or "").translate(_TYPED_SIGNS).replace(" ", "").replace(
        "\u00a0", "").removesuffix("%")
    shown = text if len(text or "") <= 40 else f"{(text or '')[:40]}…"  # the message repeats what was typed, not a whole page of it
    if cleaned.count(",") == 1 and "." not in cleaned:
        if re.fullmatch(r"-?\d{1,3},\d{3}", cleaned):
            raise ValidationFailed(_("'%(value)s' could be a thousand or a decimal: write 1200 or 1.2.", value=shown), field=field)
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned) if len(cleaned) <= 100 else None
    except InvalidOperation:
        value = None
    if value is None:
        raise ValidationFailed(_("'%(value)s' is not a number.", value=shown or ""), field=field)
    if not value.is_finite() or abs(value) >= LARGEST_VALUE:
        raise ValidationFailed(_("'%(value)s' is not a number this KPI can hold.", value=shown), field=field)
    return value.quantize(Decimal("0.0001"))


def record_measurement(
    kpi: Kpi, *, measured_on: date, value: Decimal, department: Department | None, entered_by: User | None, note: str = "",
) -> KpiMeasurement:
    """Record a KPI's value on a day for a department (or the whole plan); the same day again replaces it."""
    errors: dict[str, str] = {}
    plan = kpi.plan
    earliest = min(plan.start_date, kpi.baseline_date)
    if not earliest <= measured_on <= plan.end_date:
        errors["measured_on"] = _("The date must fall inside the plan (%(first)s to %(last)s).",
                                  first=earliest.isoformat(), last=plan.end_date.isoformat())
    if kpi.department_id is not None and department is not None and department.id != kpi.department_id \
            and kpi.department is not None:
        errors["department_id"] = _("This KPI is measured for %(name)s only.", name=kpi.department.name)
    if errors:
        raise ValidationFailed(errors)
    if kpi.department_id is not None:
        department = kpi.department
    found = db.session.scalar(select(KpiMeasurement).where(
        KpiMeasurement.kpi_id == kpi.id, KpiMeasurement.measured_on == measured_on,
        KpiMeasurement.department_id.is_(None) if department is None else KpiMeasurement.department_id == department.id,
    ))
    if found is None:
        found = KpiMeasurement(kpi_id=kpi.id, department=department, measured_on=measured_on)
        db.session.add(found)
    found.value, found.entered_by, found.note = value, entered_by, note.strip()
    db.session.flush()
    return found


def delete_measurement(measurement: KpiMeasurement) -> None:
    db.session.delete(measurement)
    db.session.flush()


def measurements(kpi: Kpi, *, limit: int | None = None, offset: int = 0) -> list[KpiMeasurement]:
    """The KPI's values, newest first, with their departments and who entered them (a page of them with `limit`)."""
    query = (select(KpiMeasurement).where(KpiMeasurement.kpi_id == kpi.id)
             .options(selectinload(KpiMeasurement.department), selectinload(KpiMeasurement.entered_by))
             .order_by(KpiMeasurement.measured_on.desc(), KpiMeasurement.id.desc()))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(db.session.scalars(query))


def measurement_count(kpi: Kpi) -> int:
    return db.session.scalar(select(func.count()).where(KpiMeasurement.kpi_id == kpi.id)) or 0


@dataclass(frozen=True)
class ChartValue:
    department: str | None  # the department's name; None for a value of the whole plan
    day: date
    value: Decimal


def chart_values(kpi: Kpi) -> list[ChartValue]:
    """Every value of the KPI for its chart, oldest first, as plain rows (60 departments' months are thousands of
    values: as ORM objects with their departments they cost more than the rest of the page)."""
    return [ChartValue(name, day, value) for name, day, value in db.session.execute(
        select(Department.name, KpiMeasurement.measured_on, KpiMeasurement.value)
        .select_from(KpiMeasurement).outerjoin(Department, Department.id == KpiMeasurement.department_id)
        .where(KpiMeasurement.kpi_id == kpi.id).order_by(KpiMeasurement.measured_on, KpiMeasurement.id)
    ).all()]


def plan_measurements(plan: Plan) -> list[KpiMeasurement]:
    return list(db.session.scalars(
        select(KpiMeasurement).join(Kpi, Kpi.id == KpiMeasurement.kpi_id).where(Kpi.plan_id == plan.id)
        .options(selectinload(KpiMeasurement.kpi), selectinload(KpiMeasurement.department),
                 selectinload(KpiMeasurement.entered_by))
        .order_by(Kpi.name, KpiMeasurement.measured_on.desc())
    ))


def path_of(kpi: Kpi) -> list[PathPoint]:
    return target_path(
        PathPoint(kpi.baseline_date, kpi.baseline_value), PathPoint(kpi.target_date, kpi.target_value),
        [PathPoint(t.target_date, t.value) for t in kpi.targets],
    )


@dataclass(frozen=True)
class DepartmentAttainment:
    kpi: Kpi
    department: Department | None
    measured_on: date
    result: Attainment


# PostgreSQL: one backward probe of the (kpi, department, day) index per KPI and department (LATERAL ... LIMIT 1),
# 4 ms for 1,200 pairs where grouping 40,000 rows took 38 ms. A value "for the whole plan" has no department: a
# second probe per KPI, apart, as `department_id = d.id` cannot match NULL and IS NOT DISTINCT FROM skips the index.
_LATEST_POSTGRESQL = """
SELECT k.id, d.id, m.measured_on, m.value FROM kpis k CROSS JOIN departments d CROSS JOIN LATERAL (
    SELECT measured_on, value FROM kpi_measurements WHERE kpi_id = k.id AND department_id = d.id
    AND measured_on <= :today ORDER BY measured_on DESC, id DESC LIMIT 1) m
WHERE k.id IN :kpi_ids AND (CAST(:department_id AS INTEGER) IS NULL OR d.id = :department_id)
UNION ALL
SELECT k.id, NULL, m.measured_on, m.value FROM kpis k CROSS JOIN LATERAL (
    SELECT measured_on, value FROM kpi_measurements WHERE kpi_id = k.id AND department_id IS NULL
    AND measured_on <= :today ORDER BY measured_on DESC, id DESC LIMIT 1) m
WHERE k.id IN :kpi_ids AND CAST(:department_id AS INTEGER) IS NULL
"""


def _latest(kpis: Sequence[Kpi], today: date, *, department_id: int | None = None) -> list[tuple]:
    """(kpi id, department id or None, day, value) of the newest measurement per KPI and department up to today;
    with `department_id`, of that department only."""
    kpi_ids = [k.id for k in kpis]
    if db.engine.dialect.name == "postgresql":
        statement = text(_LATEST_POSTGRESQL).bindparams(bindparam("kpi_ids", expanding=True)).columns(
            column("kpi_id", Integer), column("department_id", Integer), column("measured_on", Date),
            column("value", KpiMeasurement.__table__.c.value.type))
        return [tuple(row) for row in db.session.execute(
            statement, {"kpi_ids": kpi_ids, "today": today, "department_id": department_id})]
    # SQLite: a join on the maximum date, which its GROUP BY reads from the same index in order
    newest = (
        select(KpiMeasurement.kpi_id, KpiMeasurement.department_id, func.max(KpiMeasurement.measured_on).label("day"))
        .where(KpiMeasurement.kpi_id.in_(kpi_ids), KpiMeasurement.measured_on <= today)
    )
    if department_id is not None:
        newest = newest.where(KpiMeasurement.department_id == department_id)
    latest = newest.group_by(KpiMeasurement.kpi_id, KpiMeasurement.department_id).subquery()
    return [tuple(row) for row in db.session.execute(
        select(KpiMeasurement.kpi_id, KpiMeasurement.department_id, KpiMeasurement.measured_on, KpiMeasurement.value)
        .join(latest, and_(
            KpiMeasurement.kpi_id == latest.c.kpi_id, KpiMeasurement.measured_on == latest.c.day,
            # not coalesce(): that would hide the (kpi, department, day) index from SQLite (2.2 s on 40,000 rows)
            KpiMeasurement.department_id.is_not_distinct_from(latest.c.department_id),
        )))]


def _judged_latest(kpis: Sequence[Kpi], today: date, *, department_id: int | None = None
                   ) -> list[tuple[int, int | None, date, Attainment]]:
    """(kpi id, department id or None, day, attainment) of each KPI's latest value per department, each judged on its
    own date. A KPI's path and thresholds are read once, and where the path stands on a day once per KPI and day (a
    register's sixty departments measured on the same day share it)."""
    judged = {k.id: (path_of(k), k.red_threshold, k.amber_threshold) for k in kpis}
    expected: dict[tuple[int, date], Decimal] = {}
    found = []
    for kpi_id, row_department_id, day, value in _latest(kpis, today, department_id=department_id):
        path, red, amber = judged[kpi_id]
        due = expected.get((kpi_id, day))
        if due is None:
            due = expected[(kpi_id, day)] = expected_value(path, day)
        found.append((kpi_id, row_department_id, day,
                      attainment(path, value, day, red_threshold=red, amber_threshold=amber, expected=due)))
    return found


def latest_attainment(kpis: Sequence[Kpi], *, today: date, department_id: int | None = None
                      ) -> list[DepartmentAttainment]:
    """The latest measurement of each KPI for each department (and plan-wide), judged on its own date; with
    `department_id`, for that department only (a department's page: not every department's, to keep one).

    One query for all KPIs (and one for their departments).
    """
    if not kpis:
        return []
    rows = _judged_latest(kpis, today, department_id=department_id)  # plain rows: a register reads 1,200
    department_ids = {row[1] for row in rows if row[1] is not None}
    departments = ({d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(department_ids)))}
                   if department_ids else {})
    by_id = {k.id: k for k in kpis}
    result = [DepartmentAttainment(kpi=by_id[kpi_id], measured_on=day, result=judged,
                                   department=departments.get(row_department_id) if row_department_id is not None
                                   else None)
              for kpi_id, row_department_id, day, judged in rows]
    return sorted(result, key=lambda a: (a.kpi.name, a.department.name if a.department else ""))


def latest_statuses(kpis: Sequence[Kpi], *, today: date) -> list[tuple[int, int | None, Rag]]:
    """(kpi id, department id or None for plan-wide, status) of each KPI's latest measurement per department:
    what latest_attainment judges, without loading the rows as objects (the dashboard reads a thousand)."""
    if not kpis:
        return []
    return [(kpi_id, department_id, judged.status) for kpi_id, department_id, _day, judged in _judged_latest(kpis, today)]


@made_from_template
def create_template_kpis(plan: Plan, template: PlanTemplate) -> None:
    """The KPIs a seed plan carries, on the plan made from it: baselines on its start, targets days after it."""
    for k in template.kpis:
        create_kpi(plan, KpiValues(
            name=k.name, goal_family=GoalFamily(k.goal_family), direction=Direction(k.direction), unit=k.unit,
            baseline_value=k.baseline, baseline_date=plan.start_date, target_value=k.target,
            target_date=plan.start_date + timedelta(days=k.target_day), frequency=Frequency(k.frequency),
            description=k.description,
        ))
    db.session.flush()
