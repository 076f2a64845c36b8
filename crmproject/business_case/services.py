"""Costs and benefits of a plan: its budget lines and their monthly amounts, the money value of its KPIs'
improvement, and the figures leadership reads (planned against actual, month by month, and the return so far).

A benefit is counted per month: in each month, the KPI's improvement over its baseline (as measured by the
month's end: the plan-wide figure where one is measured, else the mean of the departments' latest figures)
times what one unit is worth per month. The planned benefit takes the KPI's target path instead of its
measurements. "So far" means up to and including the current month; the return so far is
(benefits realised - actual costs) / actual costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.business_case.models import BudgetLine, BudgetMonth, CostCategory, KpiBenefit
from crmproject.dates import month_text
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _, format_number
from crmproject.kpis.attainment import expected_value
from crmproject.kpis.models import Direction, Kpi, KpiMeasurement
from crmproject.kpis.services import list_kpis, path_of
from crmproject.plans.models import Plan

# ISO 4217 codes offered for a plan: the currencies of the source texts' readers first, then the common ones
CURRENCIES = ("EUR", "USD", "RUB", "CNY", "IRR", "GBP", "CHF", "JPY", "INR", "AED", "KZT", "TRY", "PLN", "CZK", "SEK",
              "NOK", "DKK", "CAD", "AUD", "BRL", "ZAR", "SGD", "HKD", "KRW", "BYN", "UAH", "UZS", "AZN", "GEL", "AMD")
LIMIT = Decimal("1e12")  # MONEY holds twelve digits before the point
CENT = Decimal("0.01")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)


def plan_months(plan: Plan) -> list[date]:
    """The first day of every month the plan spans."""
    months, month = [], month_start(plan.start_date)
    while month <= plan.end_date:
        months.append(month)
        month = next_month(month)
    return months


def month_key(month: date) -> str:
    return month.strftime("%Y-%m")


# --- the budget --------------------------------------------------------------------------------------------

def list_lines(plan: Plan) -> list[BudgetLine]:
    return list(db.session.scalars(select(BudgetLine).where(BudgetLine.plan_id == plan.id)
                                   .options(selectinload(BudgetLine.months))
                                   .order_by(BudgetLine.category, BudgetLine.name)))


def save_line(plan: Plan, line: BudgetLine | None, *, name: str, category: CostCategory, notes: str = "") -> BudgetLine:
    """Add a budget line, or rename and re-categorise one; names are unique in a plan."""
    name = name.strip()
    taken = db.session.scalar(select(BudgetLine.id).where(BudgetLine.plan_id == plan.id, BudgetLine.name == name,
                                                          BudgetLine.id != (line.id if line else -1)))
    if taken is not None:
        raise ValidationFailed(_("This plan already has a budget line named %(name)s.", name=name), field="name")
    if line is None:
        line = BudgetLine(plan_id=plan.id)
        db.session.add(line)
    line.name, line.category, line.notes = name, category, notes
    db.session.flush()
    return line


def delete_line(line: BudgetLine) -> None:
    db.session.delete(line)
    db.session.flush()


def read_amount(text: str | None, field_name: str) -> tuple[Decimal | None, str | None]:
    """An amount typed into a grid: (the amount or None for an empty box, an error or None). Written as people
    write money: "12500.50", "12 500,50", "12,500.50", "12.500,50"; where there are both marks the last is the
    decimal one. A lone comma or point before exactly three digits ("12,500") could be either and is refused."""
    text = (text or "").strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("'", "")
    if not text:
        return None, None
    marks = [c for c in text if c in ",."]
    if len(set(marks)) == 2:
        decimal_mark = text[max(text.rfind(","), text.rfind("."))]
        text = text.replace("," if decimal_mark == "." else ".", "").replace(",", ".")
    elif marks and len(marks) > 1:  # "1,234,567" or "1.234.567": grouping only
        text = text.replace(marks[0], "")
    elif marks:
        before, _mark, after = text.replace(",", ".").partition(".")
        digits = before.lstrip("+-")
        if len(after) == 3 and digits.isdigit() and len(digits) <= 3 and not digits.startswith("0"):
            return None, _("Write %(text)s without the thousands mark, or with its decimals: %(a)s or %(b)s.",
                           text=text, a=before + after, b=f"{before}{after}.00")
        text = before + "." + after
    try:
        amount = Decimal(text) if len(text) <= 40 else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return None, _("Enter an amount such as 12500 or 12500.50.")
    if amount < 0:
        return None, _("Enter an amount of 0 or more; a refund is booked as a lower cost of its month.")
    if amount >= LIMIT:  # before rounding: 1e400 cannot be rounded to cents
        return None, _("Enter an amount below %(limit)s.", limit=format_number(LIMIT, 0))
    amount = amount.quantize(CENT, ROUND_HALF_UP)
    if amount >= LIMIT:  # 999999999999.999 rounds up to the limit
        return None, _("Enter an amount below %(limit)s.", limit=format_number(LIMIT, 0))
    return amount, None


@dataclass(frozen=True)
class MonthAmounts:
    planned: Decimal | None
    actual: Decimal | None


def read_month_grid(form: Mapping[str, str], months: Sequence[date]) -> tuple[dict[date, MonthAmounts], dict[str, str]]:
    """The grid's boxes `planned-YYYY-MM` and `actual-YYYY-MM`: the amounts by month and the errors by box."""
    amounts: dict[date, MonthAmounts] = {}
    errors: dict[str, str] = {}
    for month in months:
        read = {}
        for part in ("planned", "actual"):
            name = f"{part}-{month_key(month)}"
            read[part], error = read_amount(form.get(name), name)
            if error:
                errors[name] = error
        amounts[month] = MonthAmounts(read["planned"], read["actual"])
    return amounts, errors


def save_months(line: BudgetLine, plan: Plan, amounts: Mapping[date, MonthAmounts], *, today: date) -> None:
    """Set the line's planned and actual cost per month; an actual cost only for a month that has begun."""
    months = set(plan_months(plan))
    errors = {}
    for month, value in amounts.items():
        if month not in months:
            errors[f"planned-{month_key(month)}"] = _("%(month)s is outside the plan.", month=month_text(month))
        elif value.actual is not None and month > month_start(today):
            errors[f"actual-{month_key(month)}"] = _("%(month)s has not begun: its actual cost is not known yet.",
                                                     month=month_text(month))
    if errors:
        raise ValidationFailed(errors)
    kept = {m.month: m for m in line.months}
    for month, value in amounts.items():
        row = kept.get(month)
        if value.planned is None and value.actual is None:
            if row is not None:
                line.months.remove(row)
            continue
        if row is None:
            row = BudgetMonth(month=month)
            line.months.append(row)
        row.planned, row.actual = value.planned, value.actual
    db.session.flush()


def set_currency(plan: Plan, code: str) -> None:
    if code not in CURRENCIES:
        raise ValidationFailed(_("Choose one of the currencies offered."), field="currency")
    plan.currency = code
    db.session.flush()


# --- benefits ----------------------------------------------------------------------------------------------

def benefits_by_kpi(plan: Plan) -> dict[int, KpiBenefit]:
    return {b.kpi_id: b for b in db.session.scalars(
        select(KpiBenefit).join(Kpi, Kpi.id == KpiBenefit.kpi_id).where(Kpi.plan_id == plan.id))}


def set_benefits(plan: Plan, values: Mapping[int, tuple[Decimal | None, str]]) -> None:
    """What a unit of each KPI's improvement is worth per month (None: the KPI is not valued)."""
    kpis = {k.id for k in list_kpis(plan)}
    kept = benefits_by_kpi(plan)
    for kpi_id, (value, note) in values.items():
        if kpi_id not in kpis:
            raise ValidationFailed(_("This KPI is not in the plan."))
        row = kept.get(kpi_id)
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = KpiBenefit(kpi_id=kpi_id)
            db.session.add(row)
        row.value_per_unit, row.note = value, note.strip()
    db.session.flush()


# --- the figures -------------------------------------------------------------------------------------------

@dataclass
class MonthFigures:
    month: date
    planned_cost: Decimal = Decimal(0)
    actual_cost: Decimal | None = None  # None: a month not begun
    planned_benefit: Decimal = Decimal(0)
    realised_benefit: Decimal | None = None
    cumulative_planned_cost: Decimal = Decimal(0)
    cumulative_actual_cost: Decimal | None = None
    cumulative_planned_benefit: Decimal = Decimal(0)
    cumulative_realised_benefit: Decimal | None = None


@dataclass(frozen=True)
class LineFigures:
    line: BudgetLine
    planned_total: Decimal
    planned_to_date: Decimal
    actual_to_date: Decimal

    @property
    def variance(self) -> Decimal:
        """Actual against planned so far: above 0 is an overspend."""
        return self.actual_to_date - self.planned_to_date


@dataclass(frozen=True)
class BenefitFigures:
    kpi: Kpi
    value_per_unit: Decimal
    note: str
    improvement: Decimal | None  # the latest, in the KPI's unit (None: not measured yet)
    monthly_now: Decimal | None  # what that improvement is worth per month
    realised_to_date: Decimal
    planned_to_date: Decimal
    planned_total: Decimal


@dataclass
class BusinessCase:
    currency: str
    today: date
    months: list[MonthFigures]
    lines: list[LineFigures]
    benefits: list[BenefitFigures]
    unvalued_kpis: list[Kpi] = field(default_factory=list)

    def _sum(self, attribute: str, *, to_date: bool) -> Decimal:
        current = month_start(self.today)
        return sum((getattr(m, attribute) or Decimal(0) for m in self.months if not to_date or m.month <= current),
                   Decimal(0))

    @property
    def budget_total(self) -> Decimal:
        return self._sum("planned_cost", to_date=False)

    @property
    def planned_cost_to_date(self) -> Decimal:
        return self._sum("planned_cost", to_date=True)

    @property
    def actual_cost_to_date(self) -> Decimal:
        return self._sum("actual_cost", to_date=True)

    @property
    def cost_variance(self) -> Decimal:
        return self.actual_cost_to_date - self.planned_cost_to_date

    @property
    def planned_benefit_total(self) -> Decimal:
        return self._sum("planned_benefit", to_date=False)

    @property
    def planned_benefit_to_date(self) -> Decimal:
        return self._sum("planned_benefit", to_date=True)

    @property
    def realised_benefit_to_date(self) -> Decimal:
        return self._sum("realised_benefit", to_date=True)

    @property
    def net_to_date(self) -> Decimal:
        return self.realised_benefit_to_date - self.actual_cost_to_date

    @property
    def return_to_date(self) -> Decimal | None:
        """(benefits realised - actual costs) / actual costs so far, in percent; None before any cost."""
        cost = self.actual_cost_to_date
        return _percent(self.net_to_date, cost) if cost else None

    @property
    def planned_return(self) -> Decimal | None:
        """The return the plan expects by its end, in percent."""
        cost = self.budget_total
        return _percent(self.planned_benefit_total - cost, cost) if cost else None

    @property
    def payback_month(self) -> date | None:
        """The first month whose cumulative realised benefit covers the cumulative actual cost."""
        for m in self.months:
            if (m.cumulative_actual_cost is not None and m.cumulative_actual_cost > 0
                    and (m.cumulative_realised_benefit or 0) >= m.cumulative_actual_cost):
                return m.month
        return None

    @property
    def empty(self) -> bool:
        return not self.lines and not self.benefits


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 80
        return (part * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _money(value: Decimal) -> Decimal:
    with localcontext() as context:
        context.prec = 80
        return value.quantize(CENT, ROUND_HALF_UP)


def business_case(plan: Plan, *, today: date) -> BusinessCase:
    """The plan's costs and benefits by month, by budget line and by KPI, as of `today`. Computed with room for
    any amounts the columns hold (twelve digits of money times a KPI's eighteen): Decimal's default 28 digits
    could not round their products to cents."""
    with localcontext() as context:
        context.prec = 80
        return _business_case(plan, today=today)


def _business_case(plan: Plan, *, today: date) -> BusinessCase:
    months = plan_months(plan)
    current = month_start(today)
    figures = {m: MonthFigures(m, actual_cost=Decimal(0) if m <= current else None,
                               realised_benefit=Decimal(0) if m <= current else None) for m in months}
    lines = []
    for line in list_lines(plan):
        planned_total = planned_to_date = actual_to_date = Decimal(0)
        for row in line.months:
            f = figures.get(row.month)
            if f is None:  # the plan was shortened since: the month is outside it now
                continue
            f.planned_cost += row.planned or 0
            planned_total += row.planned or 0
            if row.month <= current:
                planned_to_date += row.planned or 0
                actual_to_date += row.actual or 0
                f.actual_cost = (f.actual_cost or Decimal(0)) + (row.actual or 0)
        lines.append(LineFigures(line, planned_total, planned_to_date, actual_to_date))
    kpis = list_kpis(plan)
    valued = benefits_by_kpi(plan)
    benefits = [_benefit(kpi, valued[kpi.id], months, figures, current=current, today=today)
                for kpi in kpis if kpi.id in valued]
    running = {"pc": Decimal(0), "ac": Decimal(0), "pb": Decimal(0), "rb": Decimal(0)}
    for m in months:
        f = figures[m]
        running["pc"] += f.planned_cost
        running["pb"] += f.planned_benefit
        f.cumulative_planned_cost, f.cumulative_planned_benefit = running["pc"], _money(running["pb"])
        if f.actual_cost is not None:
            running["ac"] += f.actual_cost
            running["rb"] += f.realised_benefit or 0
            f.cumulative_actual_cost, f.cumulative_realised_benefit = running["ac"], _money(running["rb"])
    return BusinessCase(plan.currency, today, [figures[m] for m in months], lines, benefits,
                        [k for k in kpis if k.id not in valued])


def _benefit(kpi: Kpi, valued: KpiBenefit, months: list[date], figures: dict[date, MonthFigures], *, current: date,
             today: date) -> BenefitFigures:
    sign = Decimal(1) if kpi.direction == Direction.HIGHER else Decimal(-1)
    path = path_of(kpi)
    levels = _levels(kpi, months, today=today)
    realised = planned_to_date = planned_total = Decimal(0)
    improvement = None
    for m in months:
        planned = max((expected_value(path, month_end(m)) - kpi.baseline_value) * sign, Decimal(0)) * valued.value_per_unit
        figures[m].planned_benefit += planned
        planned_total += planned
        if m <= current:
            planned_to_date += planned
            level = levels.get(m)
            if level is not None and month_end(m) >= kpi.baseline_date:
                improvement = (level - kpi.baseline_value) * sign
                worth = improvement * valued.value_per_unit
                figures[m].realised_benefit = (figures[m].realised_benefit or Decimal(0)) + worth
                realised += worth
    return BenefitFigures(kpi, valued.value_per_unit, valued.note, improvement,
                          _money(improvement * valued.value_per_unit) if improvement is not None else None,
                          _money(realised), _money(planned_to_date), _money(planned_total))


def _levels(kpi: Kpi, months: list[date], *, today: date) -> dict[date, Decimal]:
    """The KPI's level at each month's end (up to today): the plan-wide figure where one is measured by then,
    else the mean of the departments' latest figures."""
    rows = db.session.execute(select(KpiMeasurement.department_id, KpiMeasurement.measured_on, KpiMeasurement.value)
                              .where(KpiMeasurement.kpi_id == kpi.id, KpiMeasurement.measured_on <= today)
                              .order_by(KpiMeasurement.measured_on, KpiMeasurement.id)).all()
    levels: dict[date, Decimal] = {}
    plan_wide: Decimal | None = None
    by_department: dict[int, Decimal] = {}
    i = 0
    for m in months:
        end = month_end(m)
        while i < len(rows) and rows[i].measured_on <= end:
            department_id, _day, value = rows[i]
            if department_id is None:
                plan_wide = value
            else:
                by_department[department_id] = value
            i += 1
        if plan_wide is not None:
            levels[m] = plan_wide
        elif by_department:
            levels[m] = sum(by_department.values(), Decimal(0)) / len(by_department)
    return levels
