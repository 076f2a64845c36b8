"""A plan's costs and benefits as an xlsx workbook: the summary, the months, the budget lines and the benefits."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from crmproject.business_case.services import BusinessCase
from crmproject.dates import month_text, xlsx_month_format
from crmproject.i18n import _
from crmproject.spreadsheets import Column, new_workbook, write_table


def write_business_case(workbook: Workbook, case: BusinessCase) -> WriteOnlyWorksheet:
    """The sheets Costs and benefits (by month), Budget lines and Benefits, added to `workbook`; returns the first,
    whose columns 6 to 9 hold the cumulative figures (for a chart)."""
    money = _("(%(currency)s)", currency=case.currency)
    months = write_table(workbook, _("Costs and benefits"), [
        Column(_("Month"), kind="date", number_format=xlsx_month_format()), Column(f"{_('Planned cost')} {money}", kind="number"),
        Column(f"{_('Actual cost')} {money}", kind="number"), Column(f"{_('Planned benefit')} {money}", kind="number"),
        Column(f"{_('Realised benefit')} {money}", kind="number"),
        Column(f"{_('Planned cost, cumulative')} {money}", kind="number"),
        Column(f"{_('Actual cost, cumulative')} {money}", kind="number"),
        Column(f"{_('Planned benefit, cumulative')} {money}", kind="number"),
        Column(f"{_('Realised benefit, cumulative')} {money}", kind="number")],
        ([m.month, m.planned_cost, m.actual_cost, round(m.planned_benefit, 2),
          round(m.realised_benefit, 2) if m.realised_benefit is not None else None, m.cumulative_planned_cost,
          m.cumulative_actual_cost, m.cumulative_planned_benefit, m.cumulative_realised_benefit] for m in case.months))
    write_table(workbook, _("Budget lines"), [
        Column(_("Budget line"), width=36), Column(_("Category"), width=30), Column(f"{_('Budget')} {money}", kind="number"),
        Column(f"{_('Planned so far')} {money}", kind="number"), Column(f"{_('Actual so far')} {money}", kind="number"),
        Column(f"{_('Variance so far')} {money}", kind="number"), Column(_("Notes"), width=50)],
        ([f.line.name, str(f.line.category.label), f.planned_total, f.planned_to_date, f.actual_to_date, f.variance,
          f.line.notes] for f in case.lines))
    write_table(workbook, _("Benefits"), [
        Column(_("KPI"), width=36), Column(_("Unit"), width=10), Column(f"{_('Value of one unit a month')} {money}", kind="number"),
        Column(_("Improvement now"), kind="number"), Column(f"{_('Worth a month now')} {money}", kind="number"),
        Column(f"{_('Realised so far')} {money}", kind="number"), Column(f"{_('Planned so far')} {money}", kind="number"),
        Column(f"{_('Planned by the end')} {money}", kind="number"), Column(_("Note"), width=50)],
        ([b.kpi.name, b.kpi.unit, b.value_per_unit, b.improvement, b.monthly_now, b.realised_to_date, b.planned_to_date,
          b.planned_total, b.note] for b in case.benefits))
    return months


def summary_rows(case: BusinessCase) -> list[tuple[str, object]]:
    """The headline figures of the costs and benefits, as (label, value): the workbook's and the report's."""
    return [
        (_("Currency"), case.currency), (_("Budget"), case.budget_total),
        (_("Planned cost so far"), case.planned_cost_to_date), (_("Actual cost so far"), case.actual_cost_to_date),
        (_("Variance so far (above 0: overspent)"), case.cost_variance),
        (_("Planned benefit so far"), case.planned_benefit_to_date),
        (_("Realised benefit so far"), case.realised_benefit_to_date),
        (_("Return so far, %"), case.return_to_date), (_("Planned return by the end, %"), case.planned_return),
        (_("Paid back in"), month_text(case.payback_month) if case.payback_month else _("not yet")),
    ]


def business_case_workbook(plan_name: str, case: BusinessCase) -> Workbook:
    workbook = new_workbook()
    write_table(workbook, _("Summary"), [Column(_("Figure"), width=44), Column(_("Value"), width=24)],
                [[_("Plan"), plan_name], [_("As of"), case.today], *map(list, summary_rows(case))])
    write_business_case(workbook, case)
    return workbook
