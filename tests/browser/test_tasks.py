"""The team, RACI and task import as a project manager uses them in a real browser."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.tasks import services as tasks
from crmproject.tasks.models import ChangeTask
from crmproject.teams import services as teams
from crmproject.teams.models import Deliverable, TeamRoleKind

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_raci_cells_save_and_the_first_row_can_be_deleted(page, browser_login, make_user, make_plan):
    plan = make_plan()
    sponsor = teams.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    teams.create_role(plan, kind=TeamRoleKind.PROJECT_MANAGER, title="PM")
    first = teams.add_deliverable(plan, name="Goals")
    teams.add_deliverable(plan, name="Clean data")
    db.session.commit()
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}/raci")
    page.get_by_label("Goals / Sponsor").select_option("A")
    page.get_by_label("Goals / PM").select_option("A")
    page.get_by_role("button", name="Save RACI").click()
    expect(page.get_by_text("Goals: 2 roles are accountable (A): exactly one may be.")).to_be_visible()
    page.get_by_label("Goals / PM").select_option("R")
    page.get_by_role("button", name="Save RACI").click()
    expect(page.get_by_text("RACI saved.")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#deliverable-{first.id}").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deliverable Goals deleted.")).to_be_visible()
    assert _count(Deliverable) == 1
    assert sponsor.id


def test_import_a_task_plan_through_the_wizard(page, browser_login, make_user, make_plan, testdata):
    plan = make_plan(start=date(2022, 12, 1), end=date(2023, 12, 31))
    tasks.ensure_categories()
    db.session.commit()
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}/tasks")
    page.get_by_role("link", name="Import from Excel or CSV").click()
    page.set_input_files("input[name=file]", str(testdata / "packt_tpm_project_plan.xlsx"))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("header on row 1")).to_be_visible()
    expect(page.get_by_label("Column Resourcing is imported as")).to_have_value("owner")
    assert _count(ChangeTask) == 0  # nothing saved by the preview
    page.get_by_label("Make top-level groups, sections and Phase / Workstream values that match no phase into new phases").check()
    page.get_by_role("button", name="Update the preview").click()
    page.get_by_role("button", name="Import 31 tasks").click()
    expect(page.get_by_text("31 tasks imported from packt_tpm_project_plan.xlsx.")).to_be_visible()
    expect(page.get_by_role("link", name="Design Network")).to_be_visible()
    assert _count(ChangeTask) == 31
