"""The large demo's KPIs, their monthly measurements per department and the departments' monthly status reports."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crmproject.demo.language import DemoTexts
from crmproject.demo.large_data import DAILY_ADOPTION_KPI, FADING, KPIS, LASTING, NO_EFFECT, SAME_UNITS, TOO_EARLY
from crmproject.demo.large_parts import LargeDemoSummary, Unit, bulk
from crmproject.extensions import db
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Frequency, GoalFamily, Kpi, KpiMeasurement
from crmproject.plans.models import Plan
from crmproject.reports.models import ReportKpiValue, ReportStatus, StatusReport
from crmproject.reports.services import periods


def add_kpis(plan: Plan, count: int, *, owner_id: int, summary: LargeDemoSummary, texts: DemoTexts) -> list[dict]:
    """`count` plan-wide monthly KPIs, each with a baseline at the plan's start and a target at its end."""
    rows: list[dict[str, Any]] = []
    for n in range(count):
        name, family, unit, direction, baseline, target = KPIS[n % len(KPIS)]
        name = texts(name)
        rows.append(dict(plan_id=plan.id, name=name if n < len(KPIS) else f"{name} ({n // len(KPIS) + 1})",
                         goal_family=family, unit=unit if unit in SAME_UNITS else texts(unit), direction=direction,
                         baseline_value=Decimal(baseline),
                         baseline_date=plan.start_date, target_value=Decimal(target), target_date=plan.end_date,
                         department_id=None, frequency=Frequency.MONTHLY, owner_id=owner_id, description=""))
    bulk(Kpi, rows)
    ids = dict(db.session.execute(select(Kpi.name, Kpi.id).where(Kpi.plan_id == plan.id)).all())
    for n, row in enumerate(rows):
        row["id"] = ids[row["name"]]
        row["daily"] = KPIS[n % len(KPIS)][0] == DAILY_ADOPTION_KPI
    summary.created["kpis"] = len(rows)
    return rows


def _kpi_value(kpi: dict, unit: Unit, day: date, plan: Plan, rng: random.Random) -> Decimal:
    """A plausible value of a KPI for a department on a day: adoption from the snapshots, the rest moving
    towards the target as far as the department's story lets it."""
    if kpi["goal_family"] == GoalFamily.ADOPTION:
        monthly, active = unit.adoption.get(day, (0, 0))
        used = active if kpi["daily"] else monthly
        return Decimal(100 * used / unit.seats).quantize(Decimal("0.1")) if unit.seats else Decimal(0)
    baseline, target = kpi["baseline_value"], kpi["target_value"]
    elapsed = max((day - plan.start_date).days, 0) / max((plan.end_date - plan.start_date).days, 1)
    live = max((day - unit.go_live).days, 0) / 365
    reach = {LASTING: 0.9, FADING: 0.4, NO_EFFECT: 0.1, TOO_EARLY: 0.5}[unit.story]
    progress = min(0.2 * elapsed + reach * min(live, 1.0), 1.0)
    share = Decimal(str(round(progress + rng.uniform(-0.04, 0.04), 3)))
    return (baseline + (target - baseline) * share).quantize(Decimal("0.1"))


def reports_and_measurements(plan: Plan, units: list[Unit], kpis: list[dict], *, today: date, rng: random.Random,
                              summary: LargeDemoSummary, texts: DemoTexts) -> None:
    """Every department's monthly report up to last month (most on time, some late, some missing) and
    every KPI's value per department and month; this month's reports are still to be written."""
    habits = {u.id: rng.choices(("reliable", "late", "missing"), weights=(75, 15, 10))[0] for u in units}
    report_rows, values_of, measurements = [], {}, []
    for period in periods(plan, until=today)[:-1]:
        for unit in units:
            due = [k for k in kpis if k["goal_family"] != GoalFamily.ADOPTION or unit.go_live <= period.end]
            values = {k["id"]: _kpi_value(k, unit, period.end, plan, rng) for k in due}
            habit, draw = habits[unit.id], rng.random()
            missing = draw < {"reliable": 0.02, "late": 0.08, "missing": 0.45}[habit]
            note = ""
            if not missing:
                late = draw > {"reliable": 0.95, "late": 0.5, "missing": 0.8}[habit]
                sent = period.due + timedelta(days=rng.randint(1, 12)) if late else period.due - timedelta(days=rng.randint(0, 4))
                sent = min(sent, today)
                note = texts("Status report %(start)s to %(end)s", start=period.start.isoformat(),
                             end=period.end.isoformat())
                report_rows.append(dict(
                    plan_id=plan.id, department_id=unit.id, period_start=period.start, period_end=period.end, revision=1,
                    status=ReportStatus.SUBMITTED, overall_rag=_rag(unit, period.end), author_id=unit.head_id,
                    submitted_at=datetime.combine(sent, time(9 + rng.randint(0, 8)), UTC),
                    **_report_text(unit, period.end, texts)))
                values_of[(unit.id, period.start)] = values
            for kpi_id, value in values.items():  # the numbers arrive from the CRM even when the report does not
                measurements.append(dict(kpi_id=kpi_id, department_id=unit.id, measured_on=period.end, value=value,
                                         entered_by_id=unit.head_id if note else None, note=note))
    bulk(StatusReport, report_rows)
    reports = db.session.execute(select(StatusReport.id, StatusReport.department_id, StatusReport.period_start)
                                 .where(StatusReport.plan_id == plan.id)).all()
    bulk(ReportKpiValue, [dict(report_id=report_id, kpi_id=kpi_id, value=value)
                           for report_id, department_id, start in reports
                           for kpi_id, value in values_of[(department_id, start)].items()])
    bulk(KpiMeasurement, measurements)
    summary.created["reports"] = len(report_rows)
    summary.created["missing reports"] = len(periods(plan, until=today)[:-1]) * len(units) - len(report_rows)
    summary.created["measurements"] = len(measurements)


def _rag(unit: Unit, day: date) -> Rag:
    if day < unit.go_live or unit.story == TOO_EARLY:
        return Rag.GREEN if unit.wave == 0 else Rag.AMBER
    if unit.story == LASTING:
        return Rag.GREEN
    if unit.story == NO_EFFECT:
        return Rag.RED
    return Rag.GREEN if (day - unit.go_live).days < 90 else Rag.AMBER if (day - unit.go_live).days < 200 else Rag.RED


def _report_text(unit: Unit, day: date, texts: DemoTexts) -> dict[str, str]:
    rag = _rag(unit, day)
    return dict(
        achievements=(texts("%(name)s: users trained as planned; data clean-up on track.", name=unit.name)
                      if day < unit.go_live else texts("%(name)s: the CRM is used in daily work.", name=unit.name)),
        blockers="" if rag == Rag.GREEN else texts("Not enough time for the CRM next to daily work."),
        next_steps=texts("Keep the weekly key-user sessions; review the adoption figures with the team."),
        help_needed="" if rag != Rag.RED else texts("A message from the sponsor on why we use the CRM."),
    )
