"""Dragging in a real browser: a task's bar on the timeline and a card on the board, each saved on the server."""

from __future__ import annotations

from datetime import date

import pytest
from babel.dates import format_date
from sqlalchemy import select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import services as plan_services
from crmproject.tasks import services as tasks
from crmproject.tasks.models import ChangeTask, TaskStatus

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def _task(task_id: int) -> ChangeTask:
    db.session.rollback()
    return db.session.scalars(select(ChangeTask).where(ChangeTask.id == task_id)).one()


@pytest.fixture
def plan_with_task(make_plan):
    today = date.today()
    plan = make_plan(start=date(today.year - 1, 1, 1), end=date(today.year + 1, 12, 31))
    phase = plan_services.add_phase(plan, name="Rollout", start=plan.start_date, end=plan.end_date)
    task = tasks.create_task(plan, title="Train the pilot users", category=tasks.ensure_categories()[0], actor=None,
                             phase=phase, start=date(today.year, today.month, 1), due=date(today.year, today.month, 20))
    db.session.commit()
    return plan, task


def test_a_project_manager_drags_a_task_bar_and_its_new_dates_are_saved(page, browser_login, make_user, plan_with_task):
    plan, task = plan_with_task
    start, due = task.start_date, task.due_date
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}/timeline/")
    page.select_option("#timeline-scale", "Day")
    bar = page.locator(f'g.bar-wrapper[data-id="task-{task.id}"] rect.bar')
    expect(bar).to_be_visible()
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    days = 7
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    day_width = page.evaluate("""(() => { const r = document.querySelector('g.bar-wrapper[data-id="task-%s"] rect.bar');
                                   return Number(r.getAttribute('width')) / 20; })()""" % task.id)  # noqa: UP031 - % beside the script's braces
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + day_width * days * step / 10, y)
    page.mouse.up()
    expect(page.locator(".timeline-status")).to_contain_text("rescheduled")
    saved = _task(task.id)
    assert ((saved.start_date - start).days, (saved.due_date - due).days, saved.version) == (days, days, 2)
    assert [c.field for c in saved.history[1:]] == ["due_date", "start_date"]  # recorded like any edit


def test_a_card_dragged_to_another_column_changes_the_tasks_status(page, browser_login, make_user, plan_with_task):
    plan, task = plan_with_task
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}/tasks/board")
    card = page.locator(f'.task-card[data-task="{task.id}"]')
    target = page.locator('.board-column[data-status="in_progress"] .column-cards')
    card.drag_to(target)
    expect(card).to_have_attribute("data-version", "2")  # saved: the card took the version the save gave
    expect(page.locator(".board-status")).to_contain_text("moved")
    expect(page.locator('.board-column[data-status="in_progress"]').locator(f'[data-task="{task.id}"]')).to_be_visible()
    assert _task(task.id).status == TaskStatus.IN_PROGRESS
    # the keyboard alternative: the card's "Move to" menu saves at once
    page.locator(f'.task-card[data-task="{task.id}"] select[name=status]').select_option("done")
    expect(page.locator('.board-column[data-status="done"]').locator(f'[data-task="{task.id}"]')).to_be_visible()
    expect(card).to_have_attribute("data-version", "3")
    assert _task(task.id).status == TaskStatus.DONE


def test_a_bar_dragged_at_the_months_scale_keeps_its_length(page, browser_login, make_user, plan_with_task):
    """At the Months scale frappe-gantt snaps a moved bar to the 1st and gives it an end before that when it is
    shorter than a month: the move is saved as a move, the task as long as before."""
    plan, task = plan_with_task
    start, length = task.start_date, (task.due_date - task.start_date).days
    browser_login(make_user(Role.PROJECT_MANAGER))
    page.goto(f"/plans/{plan.id}/timeline/")  # Months: the scale it opens at
    bar = page.locator(f'g.bar-wrapper[data-id="task-{task.id}"] rect.bar')
    expect(bar).to_be_visible()
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x + box["width"] * 2 * step / 10, y)
    page.mouse.up()
    expect(page.locator(".timeline-status")).to_contain_text("rescheduled")
    saved = _task(task.id)
    assert saved.start_date > start and (saved.due_date - saved.start_date).days == length


def test_a_persian_reader_opens_the_timeline_on_today_and_today_brings_it_back(page, browser_login, make_user,
                                                                                plan_with_task):
    """The timeline reads left to right on a right-to-left page, as the charts do: it opens at today, its
    months are the Gregorian ones it draws (named in Persian), and its Today button scrolls back to today."""
    plan, task = plan_with_task
    reader = make_user(Role.PROJECT_MANAGER)
    reader.language = "fa"
    db.session.commit()
    browser_login(reader)
    page.goto(f"/plans/{plan.id}/timeline/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    bar = page.locator(f'g.bar-wrapper[data-id="task-{task.id}"] rect.bar')
    expect(bar).to_be_attached()

    today_in_view = """() => { const box = document.querySelector('.gantt-container').getBoundingClientRect();
        const at = document.querySelector('.gantt-container .current-date-highlight').getBoundingClientRect();
        return at.left >= box.left && at.right <= box.right; }"""
    page.wait_for_function(today_in_view)  # scrolled there (smoothly) on opening
    today = date.today()
    month = page.locator(f".gantt-container .lower-text.date_{today:%Y-%m}").inner_text()
    assert month == format_date(today, "MMMM", locale="fa")  # the Gregorian month it draws, named in Persian
    assert str(today.year) in page.locator(".gantt-container .upper-text").all_inner_texts()
    page.evaluate("document.querySelector('.gantt-container').scrollLeft = 0")
    assert not page.evaluate(today_in_view)
    page.locator(".today-button").click()
    page.wait_for_function(today_in_view)
