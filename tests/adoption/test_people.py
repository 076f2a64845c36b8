"""The people behind a department's adoption: who never used the CRM since the go-live, who has been inactive
for 7, 30 or 90 days, what each did last; who may see it; the Excel download."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook

from crmproject.adoption.models import ImportState, UsageEvent, UsageImport
from crmproject.adoption.people import ActivityGroup, activity_group, department_people
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans.services import add_wave
from crmproject.roster.models import Employee, username_key

TODAY = date.today()
AS_OF = TODAY - timedelta(days=5)  # the last day the usage exports brought
GO_LIVE = TODAY - timedelta(days=300)


def _event(person: Employee, on: date, action: str, *, minute: int = 0, obj: str = "") -> UsageEvent:
    return UsageEvent(username_key=person.crm_username_key, employee_id=person.id, department_id=person.department_id,
                      occurred_at=datetime.combine(on, time(9, minute), tzinfo=UTC), day=on, action=action,
                      object=obj, is_login=action == "Login")


@pytest.fixture
def sales(make_department, make_plan, make_user):
    """Sales went live 300 days ago; one person of each group, a former colleague, and a person of Service."""
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    plan = make_plan(start=GO_LIVE - timedelta(days=100), end=TODAY + timedelta(days=400))
    add_wave(plan, name="Pilot", go_live=GO_LIVE, departments=[sales, service])
    people = {}
    for key, department in [("never", sales), ("before", sales), ("idle100", sales), ("idle40", sales),
                            ("idle10", sales), ("active", sales), ("=HYPERLINK(\"http://x\")", sales), ("svc", service)]:
        people[key] = Employee(name=key, crm_username=key, crm_username_key=username_key(key), department=department,
                               email=f"{len(people)}@example.com" if key != "never" else None, job_role="Sales rep")
    people["gone"] = Employee(name="gone", department=sales, active=False)
    db.session.add_all(people.values())
    db.session.flush()
    formula = people["=HYPERLINK(\"http://x\")"]
    db.session.add_all([
        _event(people["before"], GO_LIVE - timedelta(days=3), "Login"),
        _event(people["idle100"], AS_OF - timedelta(days=100), "Login"),
        _event(people["idle100"], AS_OF - timedelta(days=150), "Update Opportunity"),
        _event(people["idle40"], AS_OF - timedelta(days=40), "View account"),
        _event(people["idle10"], AS_OF - timedelta(days=10), "Login"),
        _event(people["active"], AS_OF - timedelta(days=2), "Login"),
        _event(people["active"], AS_OF - timedelta(days=2), "Update Opportunity", minute=30, obj="Big deal"),
        _event(people["active"], AS_OF - timedelta(days=2), "View report", minute=10),
        _event(formula, AS_OF, "=cmd|' /C calc'!A0", obj="@SUM(1)"),
        _event(people["svc"], AS_OF, "Login"),
    ])
    db.session.add(UsageImport(filename="usage.csv", state=ImportState.DONE, first_day=GO_LIVE, last_day=AS_OF))
    db.session.commit()
    return {"sales": sales, "service": service, "plan": plan, **people}


def test_each_person_is_in_one_group_with_their_last_activity(sales):
    found = department_people(sales["sales"], go_live=GO_LIVE, as_of=AS_OF)
    by_name = {p.name: p for p in found.people}

    assert set(by_name) == {"never", "before", "idle100", "idle40", "idle10", "active", "=HYPERLINK(\"http://x\")"}
    assert by_name["never"].group == ActivityGroup.NEVER and by_name["never"].last_day is None
    # active only before the go-live: never since, but the last activity is still shown
    assert by_name["before"].group == ActivityGroup.NEVER and by_name["before"].last_day == GO_LIVE - timedelta(days=3)
    assert by_name["idle100"].group == ActivityGroup.INACTIVE_90
    assert by_name["idle100"].last_action == "Login" and by_name["idle100"].days_inactive == 100
    assert by_name["idle40"].group == ActivityGroup.INACTIVE_30 and by_name["idle40"].last_action == "View account"
    assert by_name["idle10"].group == ActivityGroup.INACTIVE_7
    # the day's latest event, not the first nor the last inserted
    active = by_name["active"]
    assert active.group == ActivityGroup.ACTIVE
    assert (active.last_day, active.last_action, active.last_object) == (AS_OF - timedelta(days=2), "Update Opportunity", "Big deal")
    assert found.counts == {ActivityGroup.NEVER: 2, ActivityGroup.INACTIVE_90: 1, ActivityGroup.INACTIVE_30: 1,
                            ActivityGroup.INACTIVE_7: 1, ActivityGroup.ACTIVE: 2}


@pytest.mark.parametrize(("idle", "group"), [(0, ActivityGroup.ACTIVE), (6, ActivityGroup.ACTIVE), (7, ActivityGroup.INACTIVE_7),
                                             (29, ActivityGroup.INACTIVE_7), (30, ActivityGroup.INACTIVE_30),
                                             (89, ActivityGroup.INACTIVE_30), (90, ActivityGroup.INACTIVE_90)])
def test_the_group_boundaries(idle, group):
    as_of = date(2026, 12, 1)
    assert activity_group(as_of - timedelta(days=idle), go_live=date(2026, 1, 1), as_of=as_of) == group
    assert activity_group(None, go_live=None, as_of=as_of) == ActivityGroup.NEVER
    assert activity_group(date(2025, 1, 1), go_live=None, as_of=as_of) == ActivityGroup.INACTIVE_90


def test_the_last_activity_is_read_with_a_fixed_number_of_queries(sales, app):
    from sqlalchemy import event

    department = sales["sales"]
    _ = department.name  # loaded before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        department_people(department, go_live=GO_LIVE, as_of=AS_OF)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 2  # the people, and their last events (one grouped max(day) joined back)


def test_the_page_counts_groups_filters_and_sorts(sales, make_user, login, client):
    login(make_user(Role.DEPARTMENT_HEAD, department=sales["sales"]))
    url = f"/departments/{sales['sales'].id}/adoption/people"
    html = client.get(url).get_data(as_text=True)
    assert "Never used the CRM since the go-live" in html and 'data-group="inactive-90"' in html
    assert html.count("<tr data-group=") == 7
    assert "idle100" in html and AS_OF.isoformat() in html  # inactivity counted up to the last imported day

    only = client.get(f"{url}?group=never").get_data(as_text=True)
    assert only.count("<tr data-group=") == 2 and 'data-group="active"' not in only
    by_name = client.get(f"{url}?sort=name").get_data(as_text=True)
    names = [n for n in ("active", "before", "idle10", "idle100", "idle40", "never") if f"<td>{n}<br>" in by_name]
    assert sorted(names, key=lambda n: by_name.index(f"<td>{n}<br>")) == names
    # a group or sort that does not exist shows everyone, by group
    assert client.get(f"{url}?group=nobody&sort=%27").status_code == 200


def test_a_head_sees_only_their_own_department_and_a_manager_every_one(sales, make_user, login, client, app):
    sales_id, service_id = sales["sales"].id, sales["service"].id
    login(make_user(Role.DEPARTMENT_HEAD, department=sales["service"]))
    assert client.get(f"/departments/{sales_id}/adoption/people").status_code == 403
    assert client.get(f"/departments/{sales_id}/adoption/people.xlsx").status_code == 403
    assert client.get(f"/departments/{service_id}/adoption/people").status_code == 200
    assert client.get("/departments/99999/adoption/people").status_code == 404
    client.get("/logout")
    client.post("/logout")
    login(make_user(Role.EXECUTIVE))
    assert client.get(f"/departments/{sales_id}/adoption/people").status_code == 403
    client.post("/logout")
    login(make_user(Role.PROJECT_MANAGER))
    for department_id in (sales_id, service_id):
        assert client.get(f"/departments/{department_id}/adoption/people").status_code == 200
        assert client.get(f"/departments/{department_id}/adoption/people.xlsx").status_code == 200


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def test_the_excel_download_lists_the_people_and_no_text_becomes_a_formula(sales, make_user, login, client, libreoffice):
    login(make_user(Role.PROJECT_MANAGER))
    data = _download(client, f"/departments/{sales['sales'].id}/adoption/people.xlsx")
    book = load_workbook(io.BytesIO(data))
    rows = list(book["People"].iter_rows(values_only=True))
    assert rows[0] == ("Name", "E-mail", "CRM user name", "Job role", "Group", "Last activity", "Last action",
                       "Last object", "Days without activity")
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 7
    assert by_name["idle100"][4] == "Inactive for 90 days or more" and by_name["idle100"][8] == 100
    assert by_name["idle100"][5].date() == AS_OF - timedelta(days=100)
    assert by_name["never"][5] is None and by_name["never"][4] == "Never used the CRM since the go-live"
    # text that looks like a formula stays text
    cells = [c for row in book["People"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    formula_row = by_name['=HYPERLINK("http://x")']
    assert formula_row[6] == "=cmd|' /C calc'!A0" and formula_row[7] == "@SUM(1)"
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Department"] == "Sales" and about["Never used the CRM since the go-live"] == 2

    only = load_workbook(io.BytesIO(_download(client, f"/departments/{sales['sales'].id}/adoption/people.xlsx?group=never")))
    assert sorted(row[0] for row in list(only["People"].iter_rows(values_only=True))[1:]) == ["before", "never"]

    text = libreoffice(data, "people.xlsx").read_text(encoding="utf-8", errors="replace")
    assert "=cmd|' /C calc'!A0" in text and "idle100" in text and "Inactive for 90 days or more" in text
