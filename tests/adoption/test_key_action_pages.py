"""Key-action adoption beside login adoption: on the department page (figures and chart) and on the dashboard
(a headline, a column, and the early warning for departments whose people log in but never update a record)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from crmproject.adoption.key_action_charts import key_action_figure
from crmproject.adoption.key_actions import department_summary, recompute_key_actions
from crmproject.adoption.models import UsageEvent
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans.services import add_wave
from crmproject.roster.models import Employee, username_key

TODAY = date.today()
LAST_WEEK = TODAY - timedelta(days=TODAY.weekday() + 7)  # the Monday of the last whole week
GO_LIVE = LAST_WEEK - timedelta(weeks=6)


def _person(name: str, department) -> Employee:
    person = Employee(name=name, crm_username=name, crm_username_key=username_key(name), department=department)
    db.session.add(person)
    db.session.flush()
    return person


def _event(person: Employee, on: date, action: str, obj: str = "", minute: int = 0) -> None:
    db.session.add(UsageEvent(username_key=person.crm_username_key, employee_id=person.id,
                              department_id=person.department_id, day=on, action=action, object=obj,
                              occurred_at=datetime.combine(on, time(9, minute), tzinfo=UTC),
                              is_login=action == "Login"))


@pytest.fixture
def rollout(make_plan, make_department):
    """Sales logs in and works (two of four seats did a key action last week); Support only logs in and looks."""
    plan = make_plan(name="Rollout", start=GO_LIVE - timedelta(days=60), end=TODAY + timedelta(days=300))
    sales = make_department(name="Sales", code="SALES", licensed_seats=4)
    support = make_department(name="Support", code="SUP", licensed_seats=3)
    add_wave(plan, name="Pilot", go_live=GO_LIVE, departments=[sales, support])
    ann, bo, cy = (_person(n, sales) for n in ("ann", "bo", "cy"))
    dee, eve, fay = (_person(n, support) for n in ("dee", "eve", "fay"))
    for person in (ann, bo, cy, dee, eve, fay):
        _event(person, LAST_WEEK, "Login")
        _event(person, LAST_WEEK + timedelta(days=1), "View account", minute=1)
    _event(ann, LAST_WEEK + timedelta(days=1), "Update Opportunity", minute=5)
    _event(ann, LAST_WEEK + timedelta(days=2), "Log call", minute=5)
    _event(bo, LAST_WEEK + timedelta(days=3), "Update", "opportunity", minute=5)
    db.session.commit()
    recompute_key_actions(LAST_WEEK, LAST_WEEK + timedelta(days=6))
    db.session.commit()
    return {"plan": plan, "sales": sales, "support": support}


def test_the_chart_shows_key_action_bars_beside_the_login_line(rollout):
    summary = department_summary(rollout["plan"], rollout["sales"].id, go_live=GO_LIVE, today=TODAY)
    assert summary.latest.week == LAST_WEEK and (summary.latest.people, summary.latest.key_actions) == (2, 3)
    fig = key_action_figure(summary, target=80)
    bars, line = fig["data"]
    assert bars["type"] == "bar" and bars["x"] == [LAST_WEEK.isoformat()] and bars["y"] == [50.0]
    assert line["type"] == "scatter"
    (target,) = fig["layout"]["shapes"]
    assert target["y0"] == target["y1"] == 80.0


def test_the_department_page_shows_key_action_adoption(rollout, make_user, login, client):
    login(make_user(Role.EXECUTIVE))
    html = client.get(f"/departments/{rollout['sales'].id}").get_data(as_text=True)
    assert "Key actions: real work, not only logins" in html
    assert "department-key-action-chart" in html
    assert '<span class="value">50%</span>' in html and '<span class="value">2 / 3</span>' in html
    assert "People log in but (almost) never update a record" not in html
    assert "People behind the figures" not in html  # an executive does not see named people

    support = client.get(f"/departments/{rollout['support'].id}").get_data(as_text=True)
    assert '<span class="value">0%</span>' in support and '<span class="value">0 / 3</span>' in support
    assert "People log in but (almost) never update a record" in support


def test_the_department_page_links_the_people_for_those_who_may_see_them(rollout, make_user, login, client):
    login(make_user(Role.DEPARTMENT_HEAD, department=rollout["sales"]))
    assert f'href="/departments/{rollout["sales"].id}/adoption/people"' in client.get(
        f"/departments/{rollout['sales'].id}").get_data(as_text=True)
    assert "/adoption/people" not in client.get(f"/departments/{rollout['support'].id}").get_data(as_text=True)


def test_the_dashboard_shows_key_actions_and_warns_of_logging_in_only(rollout, make_user, login, client):
    login(make_user(Role.PROJECT_MANAGER))
    html = client.get(f"/plans/{rollout['plan'].id}/dashboard").get_data(as_text=True)
    # two of the seven seats of the live departments did a key action last week
    assert "29%" in html and "did a key action" in html
    warning = html[html.index('id="key-actions"'):html.index("Adoption per wave")]
    assert "Support" in warning and "Sales" not in warning
    table = html[html.index('id="departments"'):]
    assert "<th class=\"num\">Key actions</th>" in table
    sales_row = table[table.index(">Sales<"):table.index("</tr>", table.index(">Sales<"))]
    assert ">50%</span>" in sales_row
