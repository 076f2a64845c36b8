"""Costs and benefits: budget lines planned and booked by month, benefits valued from the KPIs' improvement, the
return so far, on their page, on the dashboard and in the leadership report."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.business_case import services
from crmproject.business_case.models import BudgetLine, BudgetMonth, CostCategory
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily

TODAY = date(2026, 3, 15)
M = [date(2026, m, 1) for m in range(1, 7)]


@pytest.fixture
def plan(make_plan):
    return make_plan(start=date(2026, 1, 1), end=date(2026, 6, 30))


def _line(plan, name="Partner", planned: object = 1000, actual: object = 1100, booked=3):
    line = services.save_line(plan, None, name=name, category=CostCategory.PARTNER)
    services.save_months(line, plan, {m: services.MonthAmounts(Decimal(planned), Decimal(actual) if i < booked else None)
                                      for i, m in enumerate(M)}, today=TODAY)
    return line


def _kpi(plan, name="Response rate", direction=Direction.HIGHER, baseline="2", target="4"):
    return kpis.create_kpi(plan, kpis.KpiValues(
        name=name, goal_family=GoalFamily.PROSPECTS, direction=direction, unit="%", baseline_value=Decimal(baseline),
        baseline_date=date(2026, 1, 1), target_value=Decimal(target), target_date=date(2026, 6, 30)))


def test_amounts_are_read_as_people_type_them_and_a_wrong_one_is_named(app):
    assert services.read_amount("12 500,50", "x") == (Decimal("12500.50"), None)
    assert services.read_amount("12,500.5", "x") == (Decimal("12500.50"), None)
    assert services.read_amount("12.500,50", "x") == (Decimal("12500.50"), None)
    assert services.read_amount("1,234,567", "x") == (Decimal("1234567"), None)
    assert services.read_amount("12,5", "x") == (Decimal("12.50"), None)
    assert services.read_amount("", "x") == (None, None)
    for wrong, says in (("-5", "0 or more"), ("abc", "such as"), ("1e13", "below"), ("NaN", "such as"),
                        ("12,500", "without the thousands mark"), ("12.500", "without the thousands mark")):
        amount, error = services.read_amount(wrong, "x")
        assert amount is None and says in error


def test_an_actual_cost_waits_for_its_month_and_nothing_is_half_saved(plan):
    line = services.save_line(plan, None, name="Licences", category=CostCategory.LICENCES)
    with pytest.raises(ValidationFailed) as taken:
        services.save_line(plan, None, name="Licences", category=CostCategory.OTHER)
    assert "already has a budget line" in taken.value.errors["name"][0]
    with pytest.raises(ValidationFailed) as refused:
        services.save_months(line, plan, {M[0]: services.MonthAmounts(Decimal(5), Decimal(5)),
                                          M[4]: services.MonthAmounts(Decimal(5), Decimal(5))}, today=TODAY)
    assert list(refused.value.errors) == ["actual-2026-05"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BudgetMonth)) == 0


def test_costs_are_planned_against_actual_up_to_this_month(plan):
    _line(plan)
    _line(plan, name="Trainers", planned=500, actual=400, booked=2)
    case = services.business_case(plan, today=TODAY)
    assert case.budget_total == Decimal(9000)
    assert (case.planned_cost_to_date, case.actual_cost_to_date, case.cost_variance) == (Decimal(4500), Decimal(4100),
                                                                                        Decimal(-400))
    assert [m.cumulative_actual_cost for m in case.months] == [Decimal(1500), Decimal(3000), Decimal(4100), None, None, None]
    partner = next(f for f in case.lines if f.line.name == "Partner")
    assert (partner.planned_to_date, partner.actual_to_date, partner.variance) == (Decimal(3000), Decimal(3300), Decimal(300))
    assert case.return_to_date == Decimal(-100)  # costs, no benefit valued yet


def test_a_kpis_improvement_is_valued_month_by_month_from_its_measurements(plan, make_department):
    _line(plan)  # 3,300 spent so far
    rate = _kpi(plan)
    kpis.record_measurement(rate, measured_on=date(2026, 2, 10), value=Decimal("2.5"), department=None, entered_by=None)
    kpis.record_measurement(rate, measured_on=date(2026, 3, 5), value=Decimal(3), department=None, entered_by=None)
    cases = _kpi(plan, name="Case hours", direction=Direction.LOWER, baseline="48", target="24")
    north, south = make_department(name="North"), make_department(name="South")
    kpis.record_measurement(cases, measured_on=date(2026, 1, 20), value=Decimal(44), department=north, entered_by=None)
    kpis.record_measurement(cases, measured_on=date(2026, 2, 20), value=Decimal(40), department=south, entered_by=None)
    services.set_benefits(plan, {rate.id: (Decimal(1000), "orders"), cases.id: (Decimal(100), "")})
    case = services.business_case(plan, today=TODAY)
    by_kpi = {b.kpi.name: b for b in case.benefits}
    # response rate: January not measured, February +0.5, March +1 point, at 1,000 a point
    assert by_kpi["Response rate"].realised_to_date == Decimal(1500)
    assert (by_kpi["Response rate"].improvement, by_kpi["Response rate"].monthly_now) == (Decimal(1), Decimal(1000))
    # case hours, lower is better: January 4 h less (North), February and March the mean of 44 and 40: 6 h less
    assert by_kpi["Case hours"].realised_to_date == Decimal(400 + 600 + 600)
    assert case.realised_benefit_to_date == Decimal(3100)
    assert case.return_to_date == Decimal("-6.1")  # (3,100 - 3,300) / 3,300
    # planned: on the straight target path, 2 to 4 points by the end of June, valued every month
    planned = [m.planned_benefit for m in case.months]
    assert planned[-1] == Decimal(2000) + Decimal(2400) and planned[0] < planned[1] < planned[-1]


@pytest.fixture
def running_plan(make_plan):
    """A plan from two months ago to four months ahead: some months have begun, some have not."""
    this_month = services.month_start(date.today())
    start = services.month_start(this_month - timedelta(days=40))
    return make_plan(name="Running", start=start, end=this_month + timedelta(days=120))


def test_the_largest_amounts_the_columns_hold_are_summed_without_an_error(plan, make_user, login):
    huge = kpis.create_kpi(plan, kpis.KpiValues(
        name="Revenue", goal_family=GoalFamily.VALUE, direction=Direction.HIGHER, unit="EUR", baseline_value=Decimal(0),
        baseline_date=date(2026, 1, 1), target_value=Decimal("99999999999999"), target_date=date(2026, 6, 30)))
    kpis.record_measurement(huge, measured_on=date(2026, 2, 1), value=Decimal("99999999999999"), department=None,
                            entered_by=None)
    services.set_benefits(plan, {huge.id: (Decimal("999999999999.99"), "")})
    _line(plan, planned="999999999999.99", actual="999999999999.99")
    db.session.commit()
    case = services.business_case(plan, today=TODAY)
    assert case.realised_benefit_to_date > Decimal("1e26") and case.return_to_date > 0
    client = login(make_user(Role.EXECUTIVE))
    for url in (f"/plans/{plan.id}/costs/", f"/plans/{plan.id}/dashboard", f"/plans/{plan.id}/dashboard/report.xlsx"):
        assert client.get(url).status_code == 200, url


def test_a_project_manager_keeps_the_books_on_the_pages(running_plan, make_user, login, open_form):
    plan = running_plan
    first, later = services.month_key(plan.start_date), services.month_key(plan.end_date)
    client = login(make_user(Role.PROJECT_MANAGER))
    base = f"/plans/{plan.id}/costs"
    form = open_form(f"{base}/lines/new")
    created = client.post(f"{base}/lines/new", data=form.data(name="CRM licences", category="licences"))
    assert created.status_code == 302
    line = db.session.scalars(select(BudgetLine)).one()
    grid = open_form(created.location)
    assert f"planned-{later}" in grid.fields and f"actual-{later}" not in grid.fields  # not begun: nothing to book
    wrong = client.post(created.location, data=grid.data(**{f"planned-{first}": "1 000,50", f"actual-{first}": "abc"}))
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "Enter an amount such as 12500 or 12500.50." in page and 'value="abc"' in page
    assert db.session.scalar(select(func.count()).select_from(BudgetMonth)) == 0
    early = client.post(created.location, data=grid.data(**{f"actual-{later}": "5"}))  # a box the page did not offer
    assert early.status_code == 400 and "has not begun" in early.get_data(as_text=True)
    saved = client.post(created.location, data=grid.data(**{f"planned-{first}": "1 000,50", f"actual-{first}": "990"}))
    assert saved.status_code == 302
    db.session.expire_all()
    assert [(m.month, m.planned, m.actual) for m in line.months] == [(plan.start_date, Decimal("1000.50"), Decimal(990))]
    stale = client.post(created.location, data=grid.data(**{f"planned-{later}": "5"}))  # opened at the old version
    assert stale.status_code == 409 and "while you had them open" in stale.get_data(as_text=True)
    assert client.post(f"{base}/currency", data={"currency": "RUB"}).status_code == 302
    assert client.post(f"{base}/currency", data={"currency": "XXX"}).status_code == 400
    overview = client.get(f"{base}/").get_data(as_text=True)
    assert "CRM licences" in overview and "RUB" in overview and "1,000" in overview and "1,000.5" not in overview  # whole units


def test_a_department_head_reads_the_books_but_does_not_change_them(plan, make_user, login):
    line = _line(plan)
    db.session.commit()
    client = login(make_user(Role.DEPARTMENT_HEAD))
    page = client.get(f"/plans/{plan.id}/costs/lines/{line.id}")
    assert page.status_code == 200 and 'name="planned-2026-01"' not in page.get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/costs/lines/{line.id}", data={"planned-2026-01": "1"}).status_code == 403


def test_benefits_are_valued_on_their_page_and_a_wrong_value_is_named(plan, make_user, login, open_form):
    rate = _kpi(plan)
    db.session.commit()
    client = login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{plan.id}/costs/benefits"
    form = open_form(url)
    wrong = client.post(url, data=form.data(**{f"value-{rate.id}": "lots"}))
    assert wrong.status_code == 400 and "Enter an amount" in wrong.get_data(as_text=True)
    assert client.post(url, data=form.data(**{f"value-{rate.id}": "4000", f"note-{rate.id}": "orders"})).status_code == 302
    assert services.benefits_by_kpi(plan)[rate.id].value_per_unit == Decimal(4000)
    assert client.post(url, data=form.data(**{f"value-{rate.id}": ""})).status_code == 302
    assert services.benefits_by_kpi(plan) == {}


def test_the_dashboard_and_the_leadership_report_show_costs_and_benefits(plan, make_user, login, libreoffice):
    _line(plan, name='=HYPERLINK("x")')
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    dashboard = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    assert 'id="costs"' in dashboard and 'id="chart-costs"' in dashboard
    data = client.get(f"/plans/{plan.id}/costs/costs.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Summary", "Costs and benefits", "Budget lines", "Benefits"]
    assert book["Budget lines"]["A2"].value == '=HYPERLINK("x")' and book["Budget lines"]["A2"].data_type == "s"
    assert "Actual cost so far" in libreoffice(data, "costs.xlsx").read_text(encoding="utf-8", errors="replace")


def test_headline_amounts_are_written_short(app):
    compact = app.jinja_env.filters["compact_number"]
    with app.test_request_context():
        assert [compact(v) for v in (Decimal(950), Decimal(9999), Decimal(12089), Decimal(355378), Decimal(1069589),
                                     Decimal(-12089), None)] == ["950", "9,999", "12.1 k", "355 k", "1.07 M", "-12.1 k", ""]
