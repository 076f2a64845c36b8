"""A comment with a mention posted on a task in a real browser: the suggestions typed after "@", the mention shown
as the person's name, and a refused mention told at the field."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from crmproject.auth.models import Role
from crmproject.comments.models import Comment
from crmproject.extensions import db
from crmproject.tasks import services as tasks

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def test_a_comment_with_a_mention_on_a_task(page, browser_login, make_user, make_plan, make_department):
    plan = make_plan()
    sales, service = make_department("Sales", "SALES"), make_department("Service", "SERVICE")
    pm = make_user(Role.PROJECT_MANAGER, name="Paula PM")
    anna = make_user(Role.DEPARTMENT_HEAD, sales, email="anna@example.com", name="Анна Ли")
    make_user(Role.DEPARTMENT_HEAD, service, email="wang@example.com", name="王芳")
    task = tasks.create_task(plan, title="Train Sales", category=tasks.ensure_categories()[0], actor=None,
                             department=sales, due=date(2026, 12, 1))
    db.session.commit()
    browser_login(pm)
    page.goto(f"/plans/{plan.id}/tasks/{task.id}")
    field = page.get_by_label("Comment", exact=True)
    field.press_sequentially("Ready for UAT? @Ан")
    suggestion = page.get_by_role("option", name="Анна Ли — anna@example.com")
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("option", name="王芳 — wang@example.com")).to_have_count(0)  # may not see the task
    field.press("Enter")
    expect(field).to_have_value("Ready for UAT? @anna@example.com ")
    field.press_sequentially("please confirm")
    page.get_by_role("button", name="Post comment").click()

    comment = page.locator(".comment").last
    expect(comment).to_contain_text("Paula PM")
    expect(comment.locator(".mention")).to_have_text("@Анна Ли")
    db.session.rollback()
    saved = db.session.scalar(select(Comment))
    assert saved.body == "Ready for UAT? @anna@example.com please confirm"
    assert [m.user_id for m in saved.mentions] == [anna.id]

    # typed by hand, without the suggestions: someone who may not see the task is refused at the field
    field = page.get_by_label("Comment", exact=True)
    field.fill("Over to @wang@example.com")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_role("alert")).to_contain_text("王芳 (wang@example.com) may not see what this comment is about")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("Over to @wang@example.com")
