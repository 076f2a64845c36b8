"""What a user sees in a real browser: logging in, making a plan from a template, the timeline, errors."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import seeds
from crmproject.plans import services as plan_services
from crmproject.plans.models import Phase, Plan

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
Page, expect = sync_api.Page, sync_api.expect

PLAN_URL = re.compile(r"/plans/(\d+)$")


def _count(model) -> int:
    db.session.rollback()  # read what the server thread committed, not a stale snapshot
    return db.session.scalar(select(func.count()).select_from(model))


def _expect_timeline_drawn(page: Page) -> None:
    chart = page.locator("#timeline-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg.main-svg").first).to_be_visible()


def test_project_manager_creates_a_plan_from_a_template(page, browser_login, make_user, make_department):
    make_department(code="SALES", name="Sales")
    make_department(code="MKT", name="Marketing")
    browser_login(make_user(Role.PROJECT_MANAGER))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    page.get_by_role("link", name="New plan from template", exact=True).click()
    expect(page).to_have_url(re.compile(r"/plans/from-template$"))
    page.select_option("select[name=template]", "pilot-then-waves")
    page.fill("input[name=start_date]", "2026-03-02")
    page.fill("input[name=name]", "Rollout from the browser")
    page.get_by_role("button", name="Create plan").click()

    expect(page).to_have_url(PLAN_URL)
    expect(page.get_by_role("heading", name="Rollout from the browser", level=1)).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("created from the template Pilot, then waves")
    expect(page.locator("main")).to_contain_text("2026-03-02")
    _expect_timeline_drawn(page)

    template = seeds.get_template("pilot-then-waves")
    phases_table = page.locator("section", has=page.get_by_role("heading", name="Phases", exact=True)).locator("table")
    expect(phases_table.locator("tbody tr")).to_have_count(len(template.phases))
    for phase in template.phases:
        expect(phases_table).to_contain_text(phase.name)
    # the waves got the departments that exist, by code
    waves_table = page.locator("section", has=page.get_by_role("heading", name="Waves", exact=True)).locator("table")
    expect(waves_table.locator("tr", has_text="Pilot - SFA in Sales")).to_contain_text("Sales")
    expect(waves_table.locator("tr", has_text="Wave 2 - MA and more sales units")).to_contain_text("Marketing")

    plan_id = int(PLAN_URL.search(page.url).group(1))
    db.session.rollback()
    plan = db.session.get(Plan, plan_id)
    assert plan.name == "Rollout from the browser"
    assert plan.start_date == date(2026, 3, 2)
    assert [p.name for p in plan.phases] == [p.name for p in template.phases]


def test_wrong_password_shows_an_error_and_stays_on_the_login_page(page, make_user):
    user = make_user(Role.PROJECT_MANAGER)
    page.goto("/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".form-errors")).to_contain_text("The e-mail or password is wrong")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    # the e-mail is kept, the password is not echoed back
    expect(page.locator("input[name=email]")).to_have_value(user.email)
    expect(page.locator("input[name=password]")).to_have_value("")


def test_executive_sees_the_plan_and_timeline_but_no_edit_buttons(page, browser_login, make_user, make_plan):
    plan = make_plan(name="Read-only rollout")
    plan_services.add_phase(plan, name="Discovery", start=date(2026, 1, 1), end=date(2026, 3, 31))
    db.session.commit()
    browser_login(make_user(Role.EXECUTIVE))

    page.goto(f"/plans/{plan.id}")
    expect(page.get_by_role("heading", name="Read-only rollout", level=1)).to_be_visible()
    phases = page.locator("section", has=page.get_by_role("heading", name="Phases", exact=True)).locator("table")
    expect(phases).to_contain_text("Discovery")
    _expect_timeline_drawn(page)
    for label in ("Edit plan", "Add phase", "Add wave"):
        expect(page.get_by_role("link", name=label)).to_have_count(0)
    expect(page.get_by_role("button", name="Delete plan")).to_have_count(0)

    # hiding the button is not the only guard: the form itself is refused
    response = page.goto(f"/plans/{plan.id}/phases/new")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You are not allowed to do this")).to_be_visible()


def test_phase_ending_before_it_starts_shows_the_error_at_the_end_field(page, browser_login, make_user, make_plan):
    plan = make_plan(name="Phase rules")
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}")
    page.get_by_role("link", name="Add phase").click()

    page.fill("input[name=name]", "Backwards")
    page.fill("input[name=start_date]", "2026-05-01")
    page.fill("input[name=end_date]", "2026-04-01")
    page.get_by_role("button", name="Save phase").click()

    end_field = page.locator(".field", has=page.locator("input[name=end_date]"))
    expect(end_field.locator(".error")).to_have_text("The end date 2026-04-01 is before the start date 2026-05-01.")
    expect(page.locator("input[name=end_date]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field", has=page.locator("input[name=start_date]")).locator(".error")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/plans/{plan.id}/phases/new$"))
    # what the user typed is still there
    expect(page.locator("input[name=name]")).to_have_value("Backwards")
    assert _count(Phase) == 0


def test_tampered_csrf_token_shows_the_page_has_expired(page, browser_login, make_user):
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto("/plans/from-template")
    token = page.locator("main form input[name=csrf_token]")
    expect(token).not_to_have_value("")  # CSRF is on: the form carries a token
    page.fill("input[name=name]", "Never created")
    page.evaluate("document.querySelector('main form input[name=csrf_token]').value = 'tampered'")
    page.get_by_role("button", name="Create plan").click()

    expect(page.locator(".error-page")).to_contain_text("This page has expired")
    expect(page.locator(".error-code")).to_have_text("400")
    assert _count(Plan) == 0
