"""Bad input never gives a 500: it gets a message at the field, a 404, or is ignored."""

from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import services as plans
from crmproject.plans.charts import timeline_figure
from crmproject.tasks import services as tasks


@pytest.fixture
def pm(make_user, login):
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    return user


def test_text_longer_than_its_field_gets_a_message(client, make_user):
    response = client.post("/login", data={"email": "a" * 300 + "@example.com", "password": "x"})
    assert response.status_code == 200
    assert "cannot be longer than 254 characters" in response.get_data(as_text=True)


def test_long_task_title_and_unknown_dependency(client, pm, make_plan):
    plan = make_plan()
    category = tasks.ensure_categories()[0]
    other = tasks.create_task(make_plan(name="Other"), title="Elsewhere", category=category, actor=None)
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/tasks/new", data={
        "title": "x" * 301, "category_id": str(category.id), "status": "not_started", "priority": "low",
        "depends_on": [str(other.id)],
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be longer than 300 characters" in html and "not a valid choice" in html.lower()


@pytest.mark.parametrize("url", [
    "/plans/99999999999999999999", "/plans/1/tasks/99999999999999999999", "/admin/users/99999999999999999999",
])
def test_huge_ids_are_not_found(client, make_user, login, url):
    login(make_user(Role.ADMIN))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", [
    "page=²", "phase=99999999999999999999", "owner=9223372036854775808", "status=nope", "sort=drop",
    "plan_id=2", "_method=POST", "_external=1&_anchor=x",
])
def test_odd_query_strings_are_ignored(client, pm, make_plan, query):
    plan = make_plan()
    for page in ("tasks", "tasks/board"):
        response = client.get(f"/plans/{plan.id}/{page}?{query}")
        assert response.status_code == 200, (page, query)
        assert "http://localhost/plans" not in response.get_data(as_text=True)  # url_for(_external=...) never reached


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "2026-12-31"), ("2026-01-01", "9999-12-31")])
def test_extreme_dates_get_a_field_message(client, pm, start, end):
    response = client.post("/plans/new", data={"name": "Far", "horizon_years": "3", "start_date": start, "end_date": end})
    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and 2999-12-31." in response.get_data(as_text=True)


def test_template_plan_that_would_end_after_2999_is_refused(client, pm):
    response = client.post("/plans/from-template", data={"template": "pilot-then-waves", "start_date": "2999-06-01"})
    assert response.status_code == 200
    assert "would end after 2999-12-31" in response.get_data(as_text=True)


def test_changing_your_password_needs_the_current_one_and_ends_other_sessions(app, make_user):
    user = make_user(Role.EXECUTIVE)
    mine, other = app.test_client(), app.test_client()
    for client in (mine, other):
        assert client.post("/login", data={"email": user.email, "password": "correct-horse-1"}).status_code == 302
    wrong = mine.post("/account/password", data={"current_password": "guess", "password": "granite-orchard-51", "confirm": "granite-orchard-51"})
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    ok = mine.post("/account/password", data={"current_password": "correct-horse-1", "password": "granite-orchard-51",
                                              "confirm": "granite-orchard-51"})
    assert ok.status_code == 302
    assert mine.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is logged out


def test_chart_labels_are_not_html(make_plan):
    plan = make_plan()
    plans.add_phase(plan, name='<a href="https://evil.example">Click</a>', start=date(2026, 1, 1), end=date(2026, 2, 1))
    fig = timeline_figure(plan, today=date(2026, 1, 15))
    assert fig["data"][0]["y"][0] == "&lt;a href=&quot;https://evil.example&quot;&gt;Click&lt;/a&gt;"


def test_a_department_head_may_open_a_task_they_own_in_another_department(client, make_user, login, make_plan, make_department):
    head = make_user(Role.DEPARTMENT_HEAD)
    plan = make_plan()
    task = tasks.create_task(plan, title="Help Marketing", category=tasks.ensure_categories()[0], actor=None,
                             department=make_department(code="MKT"), owner=head)
    db.session.commit()
    login(head)
    assert client.get(f"/plans/{plan.id}/tasks/{task.id}").status_code == 200
    assert client.get(f"/plans/{plan.id}/tasks/{task.id}/edit").status_code == 200


def test_task_history_shows_labels_not_codes(client, pm, make_plan):
    plan = make_plan()
    task = tasks.create_task(plan, title="T", category=tasks.ensure_categories()[0], actor=pm)
    tasks.set_status([task], tasks.TaskStatus.IN_PROGRESS, actor=pm)
    db.session.commit()
    html = client.get(f"/plans/{plan.id}/tasks/{task.id}").get_data(as_text=True)
    assert "<td>Not started</td><td>In progress</td>" in html and "in_progress</td>" not in html
