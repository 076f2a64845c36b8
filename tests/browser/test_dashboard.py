"""An executive reads the leadership dashboard in a real browser: charts drawn, a filter, the report download."""

from __future__ import annotations

import re
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans.models import WaveKind
from crmproject.plans.services import add_wave

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect

TODAY = date.today()
CHARTS = ("chart-waves", "chart-training", "chart-departments", "chart-heatmap", "chart-kpis", "chart-timeline")


def _rows(department, percent: float, first_day: date) -> list[dict]:
    days = (TODAY - first_day).days + 1
    active = round(department.licensed_seats * percent / 100)
    return [dict(department_id=department.id, day=first_day + timedelta(days=n), licensed_seats=department.licensed_seats,
                 active_users=active, weekly_active_users=active, monthly_active_users=active, logins=active,
                 events=active, source=SnapshotSource.USAGE) for n in range(days)]


def test_executive_reads_filters_and_downloads_the_leadership_report(page, browser_login, make_user, make_plan,
                                                                      make_department, tmp_path):
    plan = make_plan(name="Northwind rollout", start=TODAY - timedelta(days=300), end=TODAY + timedelta(days=300))
    sales = make_department(name="Sales", code="SALES", licensed_seats=40)
    service = make_department(name="Service", code="CS", licensed_seats=20)
    pilot = add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=200), kind=WaveKind.PILOT, departments=[sales])
    add_wave(plan, name="Wave 2", go_live=TODAY - timedelta(days=60), departments=[service])
    db.session.execute(insert(AdoptionSnapshot), _rows(sales, 82, pilot.go_live_date)
                       + _rows(service, 35, TODAY - timedelta(days=60)))
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Win rate", goal_family=GoalFamily.PROSPECTS, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(10), baseline_date=plan.start_date, target_value=Decimal(30), target_date=plan.end_date))
    kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=2), value=Decimal(22), department=sales,
                            entered_by=None)
    db.session.commit()
    executive = make_user(Role.EXECUTIVE, email="exec@example.com")

    browser_login(executive)
    page.get_by_role("link", name="Leadership dashboard").click()
    expect(page.get_by_role("heading", name="Leadership dashboard")).to_be_visible()
    for chart_id in CHARTS:  # every chart is drawn: plotly marks it and its SVG is there
        expect(page.locator(f"#{chart_id}[data-drawn=true] svg.main-svg").first).to_be_attached()
    expect(page.locator("#chart-heatmap .heatmaplayer image, #chart-heatmap .hm image").first).to_be_attached()
    assert page.locator("#chart-departments .scatterlayer .trace").count() == 2

    page.get_by_label("Wave", exact=True).select_option(label="Pilot")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"/plans/{plan.id}/dashboard\?wave={pilot.id}&"))
    expect(page.locator("#chart-departments[data-drawn=true]")).to_be_attached()
    assert page.locator("#chart-departments .scatterlayer .trace").count() == 1
    expect(page.get_by_role("link", name="1 / 1 departments live")).to_be_visible()

    page.get_by_role("button", name="Download the report (xlsx)").click()  # built by a job; its page follows it
    link = page.get_by_role("link", name=re.compile(r"^Download .*\.xlsx$"))
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "-pilot-" in download.suggested_filename  # the wave
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as workbook:
        assert any(name.startswith("xl/charts/chart") for name in workbook.namelist())
