"""The demo plan's costs and benefits: six budget lines planned month by month over the whole plan, their
actual costs booked up to this month (the implementation partner runs over, internal staff a little under),
and five KPIs valued in money, so the dashboard shows spending against the plan and the return so far."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from crmproject.business_case.models import BudgetLine, CostCategory
from crmproject.business_case.services import MonthAmounts, month_start, plan_months, save_line, save_months, set_benefits
from crmproject.demo.language import DemoTexts
from crmproject.demo.lookup import template_kpis
from crmproject.extensions import db
from crmproject.plans.models import Plan

# KPI name: (what one unit of improvement is worth a month in EUR, why)
BENEFITS = {
    "Marketing response rate": (9000, "One point more of response brings about 60 more orders a month."),
    "Average case resolution time": (1500, "One hour less per case frees about one agent."),
    "Cost per service case": (7000, "About 7,000 service cases a month."),
    "Duplicate customer records": (2000, "Mailings and calls wasted on duplicates."),
    "Customer satisfaction (CSAT)": (2500, "Retention: one point of CSAT keeps about 5 customers a month."),
}


def _lines(plan: Plan, months: list[date]) -> dict[tuple[str, CostCategory], dict[date, tuple[int, float]]]:
    """Each line's planned amount by month and the factor its actual cost runs at."""
    go_lives = sorted(month_start(w.go_live_date) for w in plan.waves)
    live = {m: sum(1 for g in go_lives if g <= m) for m in months}
    lines: dict[tuple[str, CostCategory], dict[date, tuple[int, float]]] = {}
    for i, m in enumerate(months):
        before_live = any(0 <= (g.year - m.year) * 12 + g.month - m.month <= 1 for g in go_lives)
        lines.setdefault(("CRM licences", CostCategory.LICENCES), {})[m] = (3000 + 3500 * live[m], 1.0)
        lines.setdefault(("Implementation partner", CostCategory.PARTNER), {})[m] = (30000 if i < 12 else 12000,
                                                                                     1.0 if i < 5 else 1.14)
        lines.setdefault(("Internal project team", CostCategory.STAFF), {})[m] = (22000, 0.95)
        if 1 <= i <= 5 or 11 <= i <= 13:
            lines.setdefault(("Data cleansing and migration", CostCategory.INTEGRATION), {})[m] = (15000 if i <= 5 else 8000, 1.05)
        if before_live:
            lines.setdefault(("Training and trainers", CostCategory.TRAINING), {})[m] = (6000, 1.2)
        lines.setdefault(("Change management and communication", CostCategory.CHANGE), {})[m] = (3000, 0.9)
    return lines


def load_demo_business_case(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Budget lines with their months and the KPIs' value, once."""
    if db.session.scalar(select(BudgetLine.id).where(BudgetLine.plan_id == plan.id).limit(1)) is not None:
        return
    plan.currency = "EUR"
    rng = random.Random(13)
    months = plan_months(plan)
    current = month_start(today)
    for (name, category), planned in _lines(plan, months).items():
        line = save_line(plan, None, name=texts(name), category=category)
        amounts = {}
        for month, (amount, factor) in planned.items():
            actual = None
            if month <= current:  # this month's bookings are not all in yet
                share = 0.6 if month == current else 1.0
                actual = Decimal(round(amount * factor * share * rng.uniform(0.93, 1.07)))
            amounts[month] = MonthAmounts(Decimal(amount), actual)
        save_months(line, plan, amounts, today=today)
    kpis = template_kpis(plan)
    set_benefits(plan, {kpis[name].id: (Decimal(value), texts(note)) for name, (value, note) in BENEFITS.items()
                        if name in kpis})
