"""A department head writes this period's status report with its KPI values in one form, in a real browser."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement
from crmproject.plans import services as plans

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def test_head_submits_the_periods_report_and_sees_it_in_the_history(page, browser_login, make_user, make_plan):
    today = date.today()
    plan = make_plan(name="Rollout", start=date(today.year - 1, 1, 1), end=date(today.year + 1, 12, 31))
    head = make_user(Role.DEPARTMENT_HEAD)
    plans.add_wave(plan, name="Pilot", go_live=date(today.year - 1, 3, 1), departments=[head.department])
    kpis.create_kpi(plan, kpis.KpiValues(
        name="Active users / licensed seats", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(0), baseline_date=plan.start_date, target_value=Decimal(80), target_date=plan.end_date))
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone: what to put right is brought into view
    browser_login(head)
    page.goto(f"/plans/{plan.id}/reports")
    page.get_by_role("link", name="This period's report").click()
    page.get_by_label("Overall status").select_option("amber")
    page.get_by_label("Achievements").fill("Pilot users trained")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_text("Say what comes next.")).to_be_visible()
    expect(page.get_by_text("Enter the value of Active users / licensed seats for this period.")).to_be_visible()
    invalid = page.locator("[aria-invalid=true]").first
    expect(invalid).to_be_focused()
    expect(invalid).to_be_in_viewport()
    page.get_by_label("Active users / licensed seats (%)").fill("47,5")
    page.get_by_label("Next steps").fill("Prepare wave 2")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_text("Report submitted.")).to_be_visible()
    page.get_by_role("link", name=head.department.name).click()
    expect(page.get_by_text("Pilot users trained")).to_be_visible()
    db.session.rollback()
    assert db.session.scalar(db.select(KpiMeasurement.value)) == Decimal("47.5")
