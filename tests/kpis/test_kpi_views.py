import json
import re
from html import unescape
from datetime import date
from decimal import Decimal as D

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis import services
from crmproject.kpis.charts import kpi_figure
from crmproject.kpis.models import Direction, GoalFamily, Kpi, KpiMeasurement


@pytest.fixture
def world(make_plan, make_department, make_user):
    plan = make_plan(start=date(2020, 1, 1), end=date(2030, 12, 31))
    head = make_user(Role.DEPARTMENT_HEAD)
    other = make_department(name="Marketing", code="MKT")
    kpi = services.create_kpi(plan, services.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=date(2020, 1, 1), target_value=D(80), target_date=date(2030, 1, 1)))
    db.session.commit()
    return plan, head, other, kpi


def test_pm_adds_a_kpi_and_sees_field_errors(client, login, make_user, make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    login(make_user(Role.PROJECT_MANAGER))
    data = {"name": "Cost per case", "goal_family": "cost_to_serve", "direction": "lower", "baseline_value": "20",
            "baseline_date": "2026-01-01", "target_value": "25", "target_date": "2026-12-31", "unit": "EUR",
            "department_id": "", "frequency": "monthly", "owner_id": "", "red_threshold": "60", "amber_threshold": "80"}
    response = client.post(f"/plans/{plan.id}/kpis/new", data=data)
    assert "Lower is better, so the target must be below the baseline 20" in response.get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/kpis/new", data={**data, "target_value": "15"}).status_code == 302
    assert db.session.scalar(db.select(Kpi)).target_value == D(15)


def test_department_head_enters_only_their_departments_values(client, login, world):
    plan, head, other, kpi = world
    login(head)
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    assert "Add value" in page and ">Marketing<" not in page.split('name="department_id"')[1].split("</select>")[0]
    ok = client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements",
                     data={"measured_on": "2025-01-01", "value": "42,5", "department_id": str(head.department_id)})
    assert ok.status_code == 302
    bad = client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements",
                      data={"measured_on": "2025-01-01", "value": "40", "department_id": str(other.id)})
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)
    nan = client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements",
                      data={"measured_on": "2025-02-01", "value": "lots", "department_id": str(head.department_id)})
    assert "&#39;lots&#39; is not a number." in nan.get_data(as_text=True)
    assert [m.value for m in db.session.scalars(db.select(KpiMeasurement))] == [D("42.5")]


def test_register_shows_red_amber_green_per_department(client, login, make_user, world, make_department):
    plan, head, other, kpi = world
    services.record_measurement(kpi, measured_on=date(2025, 1, 1), value=D(40), department=head.department, entered_by=None)
    services.record_measurement(kpi, measured_on=date(2025, 1, 1), value=D(5), department=other, entered_by=None)
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    html = client.get(f"/plans/{plan.id}/kpis").get_data(as_text=True)
    assert 'class="badge green"' in html and 'class="badge red"' in html
    cells = re.findall(r'<td class="rag"><a class="badge (\w+)" href="([^"]+)" title="([^"]+)">([^<]+)</a></td>', html)
    assert len(cells) == 2 and {c[1] for c in cells} == {f"/plans/{plan.id}/kpis/{kpi.id}"}
    red = next(c for c in cells if c[0] == "red")
    assert red[2].startswith("5 on 2025-01-01; expected ") and red[3].startswith("Red · ") and red[3].endswith("%")
    assert "Add KPI" not in html
    assert client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements", data={}).status_code == 403


def test_kpi_chart_has_the_target_path_and_a_line_per_department(world):
    plan, head, other, kpi = world
    services.set_target(kpi, target_date=date(2025, 1, 1), value=D(60))
    services.record_measurement(kpi, measured_on=date(2024, 1, 1), value=D(30), department=head.department, entered_by=None)
    services.record_measurement(kpi, measured_on=date(2025, 1, 1), value=D(55), department=head.department, entered_by=None)
    services.record_measurement(kpi, measured_on=date(2025, 1, 1), value=D(20), department=other, entered_by=None)
    fig = kpi_figure(kpi, services.path_of(kpi), services.chart_values(kpi), today=date(2025, 6, 1))
    path, *lines = fig["data"]
    assert path["y"] == [0.0, 60.0, 80.0]
    assert {line["name"]: line["y"] for line in lines} == {"Marketing": [20.0], head.department.name: [30.0, 55.0]}


def test_a_stale_save_of_a_kpi_keeps_both_peoples_changes_and_refuses_only_a_field_both_changed(
        app, client, login, make_user, world, open_form, forms_in):
    plan, head, other, kpi = world
    url = f"/plans/{plan.id}/kpis/{kpi.id}/edit"
    login(make_user(Role.PROJECT_MANAGER))
    colleague = app.test_client()
    assert colleague.post("/login", data={"email": make_user(Role.ADMIN).email, "password": "correct-horse-1"}).status_code == 302
    mine, theirs = open_form(url), open_form(url, using=colleague)
    assert colleague.post(url, data=theirs.data(target_value="90")).status_code == 302

    # the colleague changed the target, I changed the name and the baseline: nothing is lost either way
    merged = client.post(url, data=mine.data(name="Active users", baseline_value="5"), follow_redirects=True)
    assert merged.status_code == 200 and "their changes to Target are kept along with yours" in merged.get_data(as_text=True)
    db.session.expire_all()
    assert (kpi.name, kpi.baseline_value, kpi.target_value) == ("Active users", D(5), D(90))

    # both change the name from the same page: mine is refused, with the three values
    mine, theirs = open_form(url), open_form(url, using=colleague)
    assert colleague.post(url, data=theirs.data(name="Adoption rate")).status_code == 302
    stale = client.post(url, data=mine.data(name="Users active", unit="% of seats"))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    conflict = html.split('class="form-errors conflict"')[1].split("</table>")[0]
    assert ">Name</th><td>Active users</td><td>Adoption rate</td><td>Users active</td>" in conflict
    assert ">Unit<" not in conflict  # only I changed the unit
    db.session.expire_all()
    assert (kpi.name, kpi.unit) == ("Adoption rate", "%")

    again = next(f for f in forms_in(html, url) if f.action == url)
    assert again.fields["name"].values == ["Users active"] and again.fields["unit"].values == ["% of seats"]
    assert client.post(url, data=again.data()).status_code == 302
    db.session.expire_all()
    assert (kpi.name, kpi.unit, kpi.target_value) == ("Users active", "% of seats", D(90))


def test_a_stale_intermediate_target_does_not_overwrite_a_newer_one(app, client, login, make_user, world, open_form):
    plan, head, other, kpi = world
    page, action = f"/plans/{plan.id}/kpis/{kpi.id}", f"/plans/{plan.id}/kpis/{kpi.id}/targets"
    login(make_user(Role.PROJECT_MANAGER))
    colleague = app.test_client()
    assert colleague.post("/login", data={"email": make_user(Role.ADMIN).email, "password": "correct-horse-1"}).status_code == 302
    mine, theirs = open_form(page, action), open_form(page, action, using=colleague)
    assert colleague.post(action, data=theirs.data(target_date="2025-06-30", value="40")).status_code == 302

    stale = client.post(action, data=mine.data(target_date="2025-06-30", value="35"))
    assert stale.status_code == 409
    assert "<td>40</td><td>35</td>" in stale.get_data(as_text=True)
    # a target on another date loses nothing of the colleague's: it is added
    assert client.post(action, data=mine.data(target_date="2026-06-30", value="50")).status_code == 302
    db.session.expire_all()
    assert [(t.target_date, t.value) for t in kpi.targets] == [(date(2025, 6, 30), D(40)), (date(2026, 6, 30), D(50))]


def test_a_kpi_page_lists_its_values_a_hundred_a_page_newest_first_and_draws_them_all(client, login, make_user,
                                                                                    world):
    from datetime import timedelta

    from crmproject.db import insert_rows
    from crmproject.kpis.models import KpiMeasurement

    plan, head, _other, kpi = world
    first = date(2024, 1, 1)
    insert_rows(KpiMeasurement.__table__, [
        {"kpi_id": kpi.id, "department_id": head.department_id, "measured_on": first + timedelta(days=n),
         "value": D(n % 90), "entered_by_id": None, "note": f"value {n}"} for n in range(105)], ids=False)
    db.session.commit()
    login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{plan.id}/kpis/{kpi.id}"
    newest = client.get(url).get_data(as_text=True)
    assert "value 104" in newest and "value 5<" in newest and "value 4<" not in newest  # 104 down to 5
    assert "page 1 of 2 (105 values, newest first)" in newest and f"{url}?page=2" in newest
    older = client.get(url + "?page=2").get_data(as_text=True)
    assert "value 4<" in older and "value 0<" in older and "value 5<" not in older
    assert "page 2 of 2" in client.get(url + "?page=99").get_data(as_text=True)  # past the end: the last page
    assert "page 1 of 2" in client.get(url + "?page=x").get_data(as_text=True)
    chart = re.search(r'id="kpi-chart"[^>]*data-figure="([^"]*)"', newest)
    lines = json.loads(unescape(chart.group(1)))["data"][1:]
    assert [len(line["y"]) for line in lines] == [105]  # the chart draws every value
