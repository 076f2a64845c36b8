"""The leadership dashboard: its figures, verdicts, filters, cache and query count, as its readers see them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import event, insert

from crmproject.adoption import services as adoption
from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role
from crmproject.dashboard.views import CACHE
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans.models import WaveKind
from crmproject.plans.services import add_wave, load_plan
from crmproject.tasks import services as tasks

TODAY = date.today()


def _snapshots(department, percents_by_week: list[float], *, first_day: date) -> list[dict]:
    """Daily snapshots giving the department these weekly adoption percents, from first_day on."""
    rows = []
    seats = department.licensed_seats
    for week, percent in enumerate(percents_by_week):
        for offset in range(7):
            day = first_day + timedelta(weeks=week, days=offset)
            if day > TODAY:
                return rows
            active = round(seats * percent / 100)
            rows.append(dict(department_id=department.id, day=day, licensed_seats=seats, active_users=active,
                             weekly_active_users=active, monthly_active_users=active, logins=active, events=active,
                             source=SnapshotSource.USAGE))
    return rows


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@pytest.fixture
def rollout(make_plan, make_department, make_user):
    """Sales went live 30 weeks ago and holds; Marketing went live then too and faded; Service goes live next month."""
    plan = make_plan(name="Rollout", start=TODAY - timedelta(days=400), end=TODAY + timedelta(days=400))
    sales = make_department(name="Sales", code="SALES", licensed_seats=50)
    marketing = make_department(name="Marketing", code="MKT", licensed_seats=20)
    service = make_department(name="Service", code="CS", licensed_seats=30)
    go_live = _monday(TODAY - timedelta(weeks=30))
    pilot = add_wave(plan, name="Pilot", go_live=go_live, kind=WaveKind.PILOT, departments=[sales, marketing])
    later = add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=30), departments=[service])
    rising = [min(80.0, 20 + 10 * n) for n in range(31)]
    fading = [min(85.0, 25 + 15 * n) if n < 5 else max(30.0, 85 - 5 * (n - 4)) for n in range(31)]
    db.session.execute(insert(AdoptionSnapshot), _snapshots(sales, rising, first_day=go_live)
                       + _snapshots(marketing, fading, first_day=go_live))
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Win rate", goal_family=GoalFamily.PROSPECTS, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(10), baseline_date=plan.start_date, target_value=Decimal(30),
        target_date=plan.end_date))
    kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=5), value=Decimal(1), department=sales,
                            entered_by=None)
    category = tasks.ensure_categories()[0]
    pm = make_user(role=Role.PROJECT_MANAGER, email="pm@example.com")
    tasks.create_task(plan, title="Train Marketing again", category=category, actor=pm, department=marketing,
                      due=TODAY - timedelta(days=3))
    tasks.create_task(plan, title="Plan Service go-live", category=category, actor=pm, department=service,
                      due=TODAY + timedelta(days=20))
    db.session.commit()
    executive = make_user(role=Role.EXECUTIVE, email="exec@example.com")
    return dict(plan=plan, sales=sales, marketing=marketing, service=service, pilot=pilot, later=later,
                kpi=kpi, executive=executive, pm=pm)


def _text(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _figure(response, chart_id: str) -> dict:
    html = response.get_data(as_text=True)
    found = re.search(rf'id="{chart_id}"[^>]*data-figure="([^"]*)"', html)
    assert found, f"no chart {chart_id}"
    return json.loads(unescape(found.group(1)))


def test_the_dashboard_tells_leadership_the_story(client, login, rollout):
    login(rollout["executive"])
    response = client.get(f"/plans/{rollout['plan'].id}/dashboard")
    assert response.status_code == 200
    text = _text(response)
    assert "2 / 3 departments live" in text
    assert "1 overdue change task" in text
    assert "0 / 1 KPI figures on track" in text  # the win rate is far below its path
    # the early warning names Marketing, fading, with its peak and its fall; Sales holds, Service is not live
    warnings = text[text.index("Early warning"):text.index("How the verdicts are reached")]
    assert "Marketing" in warnings and "Strong start, then fading" in warnings and "Sales" not in warnings
    assert "Peak 85%" in warnings and "now 30%" in warnings
    departments = text[text.index("Departments Department Wave"):]
    assert re.search(r"Sales Pilot \S+ 80% Lasting success", departments)
    assert "Service Wave 2" in departments and "Too early to tell" in departments
    table = response.get_data(as_text=True).split('id="departments"')[1]
    for department in ("sales", "service", "marketing"):  # each row opens its department
        assert f'<a href="/departments/{rollout[department].id}">{rollout[department].name}</a>' in table
    assert f'href="/plans/{rollout["plan"].id}/kpis">1 Red</a>' in table  # the KPI badge opens the register
    # the adoption target of a plan without an adoption KPI is 80%: Marketing's 30% is below it
    waves = _figure(response, "chart-waves")
    assert [t["name"] for t in waves["data"]] == ["Pilot"]  # Wave 2 has no figures yet
    assert waves["data"][0]["meta"]["link"].endswith(f"wave={rollout['pilot'].id}")
    departments_chart = _figure(response, "chart-departments")
    assert {t["name"] for t in departments_chart["data"]} == {"Sales", "Marketing"}
    assert departments_chart["data"][0]["meta"]["link"].startswith("/departments/")
    heatmap = _figure(response, "chart-heatmap")
    assert heatmap["data"][0]["type"] == "heatmap" and len(heatmap["data"][0]["meta"]["links"]) == 2
    kpi_chart = _figure(response, "chart-kpis")
    assert [t["x"] for t in kpi_chart["data"]] == [[1], [0], [0]]  # red, amber, green
    assert kpi_chart["data"][0]["meta"]["links"] == [f"/plans/{rollout['plan'].id}/kpis/{rollout['kpi'].id}"]
    for chart_id in ("chart-training", "chart-timeline"):
        assert _figure(response, chart_id)["layout"]


def test_filters_narrow_the_view_and_links_keep_them(client, login, rollout):
    login(rollout["executive"])
    plan_id = rollout["plan"].id
    response = client.get(f"/plans/{plan_id}/dashboard?wave={rollout['later'].id}")
    text = _text(response)
    assert "0 / 1 departments live" in text and "Marketing" not in text.split("Departments Department Wave")[1]
    report_form = response.get_data(as_text=True).split('/dashboard/reports"')[1].split("</form>")[0]
    assert f'<input type="hidden" name="wave" value="{rollout["later"].id}">' in report_form  # the report keeps it
    start = (TODAY - timedelta(weeks=4)).isoformat()
    response = client.get(f"/plans/{plan_id}/dashboard?department={rollout['sales'].id}&from={start}")
    assert len(_figure(response, "chart-heatmap")["data"][0]["x"]) == 5  # four weeks back and this one
    html = response.get_data(as_text=True)
    assert f'print?department={rollout["sales"].id}&amp;from={start}' in html


def test_bad_filter_values_are_named_and_left_out(client, login, rollout):
    login(rollout["executive"])
    response = client.get(f"/plans/{rollout['plan'].id}/dashboard?wave=abc&department=99999&from=31/12/2025&to=2025-01-01")
    assert response.status_code == 200
    text = _text(response)
    assert "There is no wave abc in this plan" in text
    assert "There is no department 99999 in this plan" in text
    assert "From: 31/12/2025 is not a date" in text
    assert "2 / 3 departments live" in text


def test_the_cache_serves_repeats_and_any_committed_change_refreshes_it(client, login, rollout):
    login(rollout["executive"])
    url = f"/plans/{rollout['plan'].id}/dashboard"
    CACHE.clear()
    client.get(url)
    misses = CACHE.misses
    assert "1 overdue change task" in _text(client.get(url))
    assert CACHE.misses == misses  # nothing was computed again
    category = tasks.ensure_categories()[0]
    tasks.create_task(rollout["plan"], title="Another late one", category=category, actor=rollout["pm"],
                      due=TODAY - timedelta(days=1))
    db.session.commit()
    assert "2 overdue change tasks" in _text(client.get(url))


def test_a_project_manager_changes_the_rules_and_the_verdicts_follow(client, login, rollout):
    login(rollout["pm"])
    plan_id = rollout["plan"].id
    response = client.post(f"/plans/{plan_id}/dashboard/rules",
                           data={"min_weeks": "8", "effect_level": "90", "fade_points": "15", "fade_weeks": "4", "version": "0"})
    assert response.status_code == 302
    text = _text(client.get(f"/plans/{plan_id}/dashboard"))
    assert "never reached 90%" in text
    assert re.search(r"Sales Pilot \S+ 80% No effect", text)
    response = client.post(f"/plans/{plan_id}/dashboard/rules",
                           data={"min_weeks": "0", "effect_level": "abc", "fade_points": "15", "fade_weeks": "4", "version": "1"})
    assert response.status_code == 200
    assert "Number must be between 1 and 104" in _text(response) or "between 1 and 104" in _text(response)
    assert adoption.shape_rules(rollout["plan"]).effect_level == 90


def test_the_print_view_has_the_figures_without_the_navigation(client, login, rollout):
    login(rollout["executive"])
    response = client.get(f"/plans/{rollout['plan'].id}/dashboard/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-print" in html and 'class="mainnav"' not in html
    assert "2 / 3 departments live" in _text(response)
    assert '<details open>' in html  # the rules are spelled out on paper


def _count_queries(client, url: str) -> int:
    count = 0

    def counter(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def _organisation(make_plan, make_department, departments: int, name: str):
    plan = make_plan(name=name, start=TODAY - timedelta(days=400), end=TODAY + timedelta(days=400))
    made = [make_department(name=f"{name} {n}", code=f"{name[:3].upper()}{n}", licensed_seats=10)
            for n in range(departments)]
    go_live = _monday(TODAY - timedelta(weeks=20))
    add_wave(plan, name="Pilot", go_live=go_live, kind=WaveKind.PILOT, departments=made[: departments // 2])
    add_wave(plan, name="Wave 2", go_live=go_live + timedelta(weeks=4), departments=made[departments // 2:])
    rows = []
    for department in made:
        rows += _snapshots(department, [50.0] * 21, first_day=go_live)
    db.session.execute(insert(AdoptionSnapshot), rows)
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Win rate", goal_family=GoalFamily.PROSPECTS, direction=Direction.HIGHER, baseline_value=Decimal(10),
        baseline_date=plan.start_date, target_value=Decimal(30), target_date=plan.end_date))
    category = tasks.ensure_categories()[0]
    for department in made:
        kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=3), value=Decimal(15), department=department,
                                entered_by=None)
        tasks.create_task(plan, title=f"Task of {department.name}", category=category, actor=None,
                          department=department, due=TODAY - timedelta(days=2))
    db.session.commit()
    return plan


def test_the_number_of_queries_does_not_grow_with_the_departments(app, client, login, make_plan, make_department,
                                                                   make_user):
    small = _organisation(make_plan, make_department, 6, "Small")
    large = _organisation(make_plan, make_department, 60, "Large")
    login(make_user(role=Role.EXECUTIVE, email="exec@example.com"))
    app.config["DASHBOARD_CACHE"] = False
    try:
        client.get(f"/plans/{small.id}/dashboard")  # a first request loads what every request needs
        six = _count_queries(client, f"/plans/{small.id}/dashboard")
        sixty = _count_queries(client, f"/plans/{large.id}/dashboard")
    finally:
        app.config["DASHBOARD_CACHE"] = True
    assert six == sixty
    assert "60 / 60 departments live" in _text(client.get(f"/plans/{large.id}/dashboard"))
    assert len(load_plan(large.id).waves) == 2


def test_weeks_before_a_go_live_are_not_drawn_as_zero(client, login, rollout):
    """Usage exports give every department a figure every day, zeros before its go-live: those are 'not yet'."""
    before = _monday(rollout["pilot"].go_live_date - timedelta(weeks=3))
    db.session.execute(insert(AdoptionSnapshot), _snapshots(rollout["sales"], [0.0] * 3, first_day=before))
    db.session.commit()
    login(rollout["executive"])
    response = client.get(f"/plans/{rollout['plan'].id}/dashboard?from={before.isoformat()}")
    heatmap = _figure(response, "chart-heatmap")["data"][0]
    sales_row = heatmap["y"].index("Sales")
    assert heatmap["z"][sales_row][:3] == [None, None, None] and heatmap["z"][sales_row][3] is not None
    sales_line = next(t for t in _figure(response, "chart-departments")["data"] if t["name"] == "Sales")
    assert sales_line["y"][:3] == [None, None, None]


def test_a_department_outside_the_chosen_wave_and_dates_before_the_plan_are_explained(client, login, rollout):
    login(rollout["executive"])
    plan = rollout["plan"]
    response = client.get(f"/plans/{plan.id}/dashboard?wave={rollout['pilot'].id}&department={rollout['service'].id}"
                          "&from=1900-01-01")
    text = _text(response)
    assert "Service is not in Pilot; showing the whole wave." in text
    assert f"From: the plan starts on {plan.start_date.isoformat()}" in text
    assert "2 / 2 departments live" in text
    assert f"Weeks shown: {plan.start_date.isoformat()}" in text


def test_the_rules_form_says_one_thing_per_field(client, login, rollout):
    login(rollout["pm"])
    response = client.post(f"/plans/{rollout['plan'].id}/dashboard/rules",
                           data={"min_weeks": "abc", "effect_level": "", "fade_points": "200", "fade_weeks": "4"})
    text = _text(response)
    assert "Weeks of figures before a verdict must be a whole number." in text and "between 1 and 104" not in text
    assert "This field is required." in text and "must be a number" not in text
    assert "Number must be between 0.1 and 100." in text


@pytest.mark.parametrize("value", ["²", "١", "9" * 5000, "-1", "1.0"])
def test_odd_numbers_in_the_filters_are_named_not_a_500(client, login, rollout, value):
    login(rollout["executive"])
    response = client.get(f"/plans/{rollout['plan'].id}/dashboard", query_string={"wave": value, "department": value})
    assert response.status_code == 200
    assert "There is no wave" in _text(response)


def test_a_wave_line_stays_the_whole_wave_when_one_department_is_chosen(client, login, rollout):
    login(rollout["executive"])
    plan_id = rollout["plan"].id
    whole = _figure(client.get(f"/plans/{plan_id}/dashboard"), "chart-waves")["data"][0]["y"]
    chosen = _figure(client.get(f"/plans/{plan_id}/dashboard?department={rollout['sales'].id}"), "chart-waves")
    assert chosen["data"][0]["y"] == whole  # Sales and Marketing together, not Sales alone


def test_pages_with_left_out_values_are_not_kept(client, login, rollout):
    login(rollout["executive"])
    url = f"/plans/{rollout['plan'].id}/dashboard?wave=nonsense"
    client.get(url)
    misses = CACHE.misses
    client.get(url)
    assert CACHE.misses == misses + 1
    client.get(f"/plans/{rollout['plan'].id}/dashboard?wave=0{rollout['pilot'].id}")
    misses = CACHE.misses
    client.get(f"/plans/{rollout['plan'].id}/dashboard?wave={rollout['pilot'].id}")  # the same page as wave=01
    assert CACHE.misses == misses
