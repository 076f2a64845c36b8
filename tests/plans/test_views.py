from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import services
from crmproject.plans.models import Plan


@pytest.fixture
def pm(make_user, login):
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    return user


def test_create_plan_through_the_form(client, pm):
    response = client.post("/plans/new", data={
        "name": "Rollout 2027", "vision": "One view of the customer", "horizon_years": "4",
        "start_date": "2027-01-01", "end_date": "2028-12-31",
    })
    assert response.status_code == 302
    plan = db.session.scalar(db.select(Plan))
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    assert (plan.name, plan.horizon_years, plan.created_by_id) == ("Rollout 2027", 4, pm.id)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Rollout 2027" in page and "One view of the customer" in page


def test_plan_form_shows_the_error_at_the_end_field_and_saves_nothing(client, pm):
    response = client.post("/plans/new", data={
        "name": "Backwards", "horizon_years": "3", "start_date": "2027-05-01", "end_date": "2027-01-01",
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is before the start date" in html
    assert 'id="end_date"' in html and 'aria-invalid="true"' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Plan)) == 0


def test_a_date_that_is_not_a_date_gets_a_field_message(client, pm):
    response = client.post("/plans/new", data={"name": "X", "horizon_years": "3", "start_date": "soon", "end_date": "2027-01-01"})
    assert response.status_code == 200
    assert "Not a valid date value" in response.get_data(as_text=True)


def test_new_plan_from_template(client, pm, make_department):
    make_department(name="Sales", code="SALES")
    page = client.get("/plans/from-template").get_data(as_text=True)
    assert "Pilot, then waves" in page or "pilot-then-waves" in page
    response = client.post("/plans/from-template", data={"template": "pilot-then-waves", "name": "From template", "start_date": "2027-02-01"})
    assert response.status_code == 302
    plan = db.session.scalar(db.select(Plan).where(Plan.name == "From template"))
    assert plan.start_date == date(2027, 2, 1) and plan.template_key == "pilot-then-waves"
    assert plan.phases and plan.waves
    assert any(d.code == "SALES" for w in plan.waves for d in w.departments)
    shown = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'id="timeline-chart"' in shown and "data-figure=" in shown
    assert plan.phases[0].name in shown


def test_a_russian_user_sees_the_templates_and_makes_the_plan_in_russian(client, pm):
    pm.language = "ru"
    db.session.commit()
    page = client.get("/plans/from-template").get_data(as_text=True)
    assert "Сначала пилот, затем волны" in page and "Pilot, then waves" not in page
    assert "Поэтапное внедрение SFA, MA и CSS за два года" in page
    assert "Пилот SFA в отделе продаж" in page  # the phases listed under each template
    response = client.post("/plans/from-template", data={"template": "pilot-then-waves", "name": "",
                                                         "start_date": "2027-02-01"})
    assert response.status_code == 302
    plan = db.session.scalar(db.select(Plan))
    assert plan.name == "Сначала пилот, затем волны"
    assert plan.phases[0].name == "Цели и экономическое обоснование"
    assert plan.phases[0].goal.startswith("Ранжировать по приоритету проблемы подразделения")
    assert plan.phases[2].exit_criteria.startswith("100% пилотных пользователей прошли обучение SFA до запуска")
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сначала пилот, затем волны" in flashed and "Цели и экономическое обоснование" in flashed


def test_from_template_with_a_taken_name_says_so_at_the_name(client, pm, make_plan):
    make_plan(name="Taken")
    response = client.post("/plans/from-template", data={"template": "eight-stages", "name": "Taken", "start_date": "2027-02-01"})
    assert response.status_code == 200
    assert "A plan named Taken already exists." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Plan)) == 1


def test_from_template_with_an_unknown_template_is_a_field_error(client, pm):
    response = client.post("/plans/from-template", data={"template": "../../etc/passwd", "start_date": "2027-02-01"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_add_phase_outside_the_plan_shows_the_message(client, pm, make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    response = client.post(f"/plans/{plan.id}/phases/new", data={
        "name": "Late", "start_date": "2026-11-01", "end_date": "2027-03-01", "status": "planned",
    })
    assert response.status_code == 200
    assert "The phase must end inside the plan (2026-01-01 to 2026-12-31)." in response.get_data(as_text=True)
    assert services.load_plan(plan.id).phases == []


def test_add_and_edit_a_phase(client, pm, make_plan):
    plan = make_plan()
    assert client.post(f"/plans/{plan.id}/phases/new", data={
        "name": "Pilot", "goal": "Prove SFA in Sales", "start_date": "2026-02-01", "end_date": "2026-05-31",
        "status": "planned", "exit_criteria": "80% of seats active",
    }).status_code == 302
    phase = services.load_plan(plan.id).phases[0]
    assert client.post(f"/plans/{plan.id}/phases/{phase.id}/edit", data={
        "name": "Pilot", "goal": "Prove SFA", "start_date": "2026-02-01", "end_date": "2026-06-30",
        "status": "in_progress", "exit_criteria": "80% of seats active", "version": str(phase.version),
    }).status_code == 302
    db.session.expire_all()
    assert (phase.end_date, phase.status.value) == (date(2026, 6, 30), "in_progress")


def test_wave_form_refuses_a_department_already_in_another_wave(client, pm, make_plan, make_department):
    plan = make_plan()
    sales = make_department(name="Sales", code="SALES")
    services.add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[sales])
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/waves/new", data={
        "name": "Wave 2", "kind": "wave", "go_live_date": "2026-06-01", "department_ids": [str(sales.id)],
    })
    assert response.status_code == 200
    assert "Sales is already in Pilot of this plan." in response.get_data(as_text=True)
    assert len(services.load_plan(plan.id).waves) == 1


def test_phase_of_another_plan_is_not_found(client, pm, make_plan):
    first, second = make_plan(name="First"), make_plan(name="Second")
    phase = services.add_phase(first, name="P", start=date(2026, 1, 1), end=date(2026, 2, 1))
    db.session.commit()
    response = client.get(f"/plans/{second.id}/phases/{phase.id}/edit")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)
    assert client.get("/plans/9999").status_code == 404


def test_delete_plan(client, pm, make_plan):
    plan = make_plan()
    assert client.post(f"/plans/{plan.id}/delete").status_code == 302
    assert db.session.get(Plan, plan.id) is None


def test_plotly_js_is_served_by_the_app(client, pm):
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert len(response.data) > 1_000_000
    response.close()
    # served from memory, still with a validator: a browser that has it gets 304 and no body
    again = client.get("/vendor/plotly.min.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_modules_page_adds_a_module(client, pm):
    assert client.post("/plans/modules", data={"code": "ecom", "name": "E-commerce"}).status_code == 302
    assert services.get_module_by_code("ECOM").name == "E-commerce"
    again = client.post("/plans/modules", data={"code": "ECOM", "name": "Again"})
    assert "already exists" in again.get_data(as_text=True)
