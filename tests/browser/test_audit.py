"""The audit trail in a real browser: a project manager edits a task; the task's own page and the administrator's
audit trail page show who changed what, each field's value before and after."""

from __future__ import annotations

from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.tasks import services as tasks
from crmproject.tasks.models import TaskStatus

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def test_an_edit_in_the_browser_is_in_the_audit_trail_with_its_values_before_and_after(
        page, browser_login, make_user, make_plan):
    plan = make_plan(name="Rollout")
    task = tasks.create_task(plan, title="Train Sales on SFA", category=tasks.ensure_categories()[0], actor=None,
                             due=date(2026, 5, 1), status=TaskStatus.NOT_STARTED)
    db.session.commit()
    pm = make_user(Role.PROJECT_MANAGER, name="Paula Manager")
    admin = make_user(Role.ADMIN, name="Ada Admin")

    browser_login(pm)
    page.goto(f"/plans/{plan.id}/tasks/{task.id}/edit")
    page.fill("input[name=title]", "Train all of Sales on SFA")
    page.fill("input[name=due_date]", "2026-06-15")
    page.select_option("select[name=status]", "in_progress")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Train all of Sales on SFA", level=1)).to_be_visible()

    # the task's own page: its audit trail, newest first
    history = page.locator("section#history")
    change = history.locator("tbody tr").first
    expect(change).to_contain_text("Paula Manager")
    expect(change.get_by_label("before").first).to_be_visible()
    expect(change.locator("li", has_text="Title")).to_contain_text("Train Sales on SFA → Train all of Sales on SFA")
    expect(change.locator("li", has_text="Due date")).to_contain_text("2026-05-01 → 2026-06-15")
    expect(change.locator("li", has_text="status")).to_contain_text("Not started → In progress")
    expect(history.get_by_role("link", name="Open in the audit trail")).to_have_count(0)  # the administrators' page

    page.get_by_role("button", name="Log out").click()
    browser_login(admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    page.locator("select[name=who]").select_option(label="Paula Manager")
    page.locator("select[name=type]").select_option(label="Change task")
    page.locator("select[name=action]").select_option(label="Changed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 entry matches.")).to_be_visible()
    row = page.locator("table.audit tbody tr")
    expect(row).to_contain_text("Paula Manager")
    expect(row).to_contain_text("Train all of Sales on SFA")
    expect(row.locator("li", has_text="Title")).to_contain_text("Train Sales on SFA → Train all of Sales on SFA")
    expect(row.locator("li", has_text="Due date")).to_contain_text("2026-05-01 → 2026-06-15")
    expect(row).to_contain_text(f"POST /plans/{plan.id}/tasks/{task.id}/edit")

    # the logins and the logout are there too, and the download of the filtered trail is recorded as an export
    page.locator("select[name=who]").select_option(label="Paula Manager")
    page.locator("select[name=type]").select_option("")
    page.locator("select[name=action]").select_option(label="Logged out")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("1 entry matches.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download xlsx").click()
    assert download.value.suggested_filename.startswith("audit-trail-")
    page.goto("/admin/audit?action=export")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("audit-trail-")
