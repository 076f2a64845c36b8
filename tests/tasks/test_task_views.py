from datetime import date

from sqlalchemy import select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.tasks.models import ChangeTask, TaskStatus


def _form(task, **changes):
    data = {
        "title": task.title, "description": task.description, "category_id": str(task.category_id),
        "owner_id": str(task.owner_id or ""), "phase_id": "", "department_id": str(task.department_id or ""),
        "start_date": "", "due_date": task.due_date.isoformat() if task.due_date else "",
        "status": task.status.value, "priority": task.priority.value, "version": str(task.version),
    }
    data.update(changes)
    return data


def test_department_head_sees_and_updates_only_their_departments_tasks(client, login, make_user, make_plan, make_task, make_department):
    head = make_user(Role.DEPARTMENT_HEAD)
    other = make_department(name="Marketing", code="MKT")
    plan = make_plan()
    own = make_task(plan, "Train Sales on SFA", department=head.department)
    foreign = make_task(plan, "Marketing campaign set-up", department=other)
    login(head)
    html = client.get(f"/plans/{plan.id}/tasks").get_data(as_text=True)
    assert "Train Sales on SFA" in html and "Marketing campaign set-up" not in html
    assert client.get(f"/plans/{plan.id}/tasks/{foreign.id}").status_code == 403
    assert client.post(f"/plans/{plan.id}/tasks/{own.id}/edit", data=_form(own, status="in_progress")).status_code == 302
    db.session.expire_all()
    assert own.status == TaskStatus.IN_PROGRESS
    # a head cannot move a task into another department
    response = client.post(f"/plans/{plan.id}/tasks/{own.id}/edit", data=_form(own, department_id=str(other.id)))
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/tasks/{own.id}/delete").status_code == 403


def test_executive_reads_but_cannot_change(client, login, make_user, make_plan, make_task):
    plan = make_plan()
    task = make_task(plan, "Steering pack")
    login(make_user(Role.EXECUTIVE))
    assert "Steering pack" in client.get(f"/plans/{plan.id}/tasks").get_data(as_text=True)
    assert client.get(f"/plans/{plan.id}/tasks/{task.id}/edit").status_code == 403
    assert client.post(f"/plans/{plan.id}/tasks/bulk-status", data={"task_ids": [str(task.id)], "status": "done"}).status_code == 403


def test_second_save_is_told_the_task_changed(client, login, make_user, make_plan, make_task):
    plan = make_plan()
    task = make_task(plan, "Data cleansing")
    login(make_user(Role.PROJECT_MANAGER, name="Paula"))
    stale = _form(task, title="Data cleansing round 1")
    assert client.post(f"/plans/{plan.id}/tasks/{task.id}/edit", data=_form(task, status="blocked")).status_code == 302
    response = client.post(f"/plans/{plan.id}/tasks/{task.id}/edit", data=stale)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this while you were editing it" in html and "blocked" in html and "Paula" in html
    db.session.expire_all()
    assert task.title == "Data cleansing"
    # the form now carries the new version: saving again is a knowing overwrite
    assert 'value="Data cleansing round 1"' in html


def test_overdue_tasks_stand_out_and_bulk_status_works(client, login, make_user, make_plan, make_task):
    plan = make_plan(start=date(2020, 1, 1), end=date(2030, 12, 31))
    late = make_task(plan, "Late one", due=date(2021, 1, 1))
    make_task(plan, "Later one", due=date(2029, 1, 1))
    login(make_user(Role.PROJECT_MANAGER))
    html = client.get(f"/plans/{plan.id}/tasks?overdue=1").get_data(as_text=True)
    assert "Late one" in html and "Later one" not in html and 'class="overdue"' in html
    response = client.post(f"/plans/{plan.id}/tasks/bulk-status", data={"task_ids": [str(late.id)], "status": "done", "back": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == f"/plans/{plan.id}/tasks"
    db.session.expire_all()
    assert late.status == TaskStatus.DONE


def test_create_task_with_a_dependency_and_see_it_on_the_board(client, login, make_user, make_plan, make_task, categories):
    plan = make_plan()
    first = make_task(plan, "Define data entry rules")
    owner = make_user(name="Olga")
    login(make_user(Role.PROJECT_MANAGER))
    response = client.post(f"/plans/{plan.id}/tasks/new", data={
        "title": "Migrate customer data", "category_id": str(categories["data_quality"].id), "owner_id": str(owner.id),
        "status": "not_started", "priority": "high", "depends_on": [str(first.id)], "due_date": "2026-05-01",
    })
    assert response.status_code == 302
    task = db.session.scalar(select(ChangeTask).where(ChangeTask.title == "Migrate customer data"))
    assert [d.title for d in task.depends_on] == ["Define data entry rules"] and task.owner_id == owner.id
    board = client.get(f"/plans/{plan.id}/tasks/board").get_data(as_text=True)
    assert "Migrate customer data" in board and "Not started" in board


def test_my_tasks_lists_what_i_own_across_plans(client, login, make_user, make_plan, make_task):
    me = make_user(Role.PROJECT_MANAGER)
    make_task(make_plan(name="A"), "Mine in A", owner=me)
    make_task(make_plan(name="B"), "Mine in B", owner=me)
    make_task(make_plan(name="C"), "Not mine")
    login(me)
    html = client.get("/my-tasks").get_data(as_text=True)
    assert "Mine in A" in html and "Mine in B" in html and "Not mine" not in html


def test_communication_plan_item(client, login, make_user, make_plan):
    plan = make_plan()
    login(make_user(Role.PROJECT_MANAGER))
    response = client.post(f"/plans/{plan.id}/communications", data={
        "audience": "All Sales staff", "channel": "town_hall", "message": "Pilot results and what comes next",
        "planned_date": "2026-05-04", "owner_id": "", "department_id": "", "status": "planned",
    })
    assert response.status_code == 302
    assert "Pilot results and what comes next" in client.get(f"/plans/{plan.id}/communications").get_data(as_text=True)
    bad = client.post(f"/plans/{plan.id}/communications", data={
        "audience": "x", "channel": "email", "message": "y", "planned_date": "2030-01-01", "status": "planned",
    })
    assert "The date must fall inside the plan" in bad.get_data(as_text=True)


def test_a_board_column_shows_its_first_cards_in_order_and_counts_the_rest(client, login, make_user, make_plan,
                                                                           make_task):
    from datetime import date

    from crmproject.tasks.services import TaskFilter, board_columns

    plan = make_plan()
    for day in (9, 3, 7, 5):
        make_task(plan, f"Due on the {day}th", due=date(2026, 6, day), status=TaskStatus.IN_PROGRESS)
    make_task(plan, "Finished", due=date(2026, 6, 1), status=TaskStatus.DONE)
    columns, counts = board_columns(plan, TaskFilter(), today=date(2026, 6, 15), per_column=2)
    assert [t.title for t in columns[TaskStatus.IN_PROGRESS]] == ["Due on the 3th", "Due on the 5th"]  # soonest due
    assert (counts[TaskStatus.IN_PROGRESS], counts[TaskStatus.DONE], counts[TaskStatus.BLOCKED]) == (4, 1, 0)
    assert [t.title for t in columns[TaskStatus.DONE]] == ["Finished"]
    login(make_user(Role.PROJECT_MANAGER))
    board = client.get(f"/plans/{plan.id}/tasks/board").get_data(as_text=True)
    assert all(f"Due on the {day}th" in board for day in (3, 5, 7, 9))  # 200 a column on the page
    first = columns[TaskStatus.IN_PROGRESS][0]
    assert f'<a href="/plans/{plan.id}/tasks/{first.id}">Due on the 3th</a>' in board  # a card opens its task


def test_a_board_column_of_more_than_200_tasks_shows_200_and_links_the_rest(client, login, make_user, make_plan,
                                                                            categories):
    from datetime import UTC, date, datetime

    from crmproject.db import insert_rows
    from crmproject.tasks.models import TaskPriority

    plan = make_plan()
    now = datetime.now(UTC)
    insert_rows(ChangeTask.__table__, [
        {"plan_id": plan.id, "title": f"Card {n:03d}", "description": "", "category_id": categories["training"].id,
         "due_date": date(2026, 6, 1), "status": TaskStatus.BLOCKED, "priority": TaskPriority.MEDIUM,
         "outline": "", "version": 1, "created_at": now, "updated_at": now} for n in range(201)])
    db.session.commit()
    login(make_user(Role.PROJECT_MANAGER))
    board = client.get(f"/plans/{plan.id}/tasks/board").get_data(as_text=True)
    assert board.count('class="task-card') == 200 and "Card 199" in board and "Card 200" not in board
    assert "1 more: narrow the filter or use the list." in board and "status=blocked" in board
