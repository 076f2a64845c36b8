"""A page number typed into the address, however large or odd, gives a page (the last one's neighbourhood is empty),
never an error: the offset stays within the database's integers."""

import pytest

from crmproject.auth.models import Role
from crmproject.paging import MAX_PAGE
from crmproject.extensions import db
from crmproject.tasks import services as tasks
from crmproject.training import services as training

PAGED = ("/notifications", "/plans/{plan}/tasks", "/admin/audit", "/plans/{plan}/tasks/{task}",
         "/training/courses/{course}")


@pytest.fixture
def paged(make_plan, make_user):
    plan = make_plan()
    task = tasks.create_task(plan, title="Train Sales", category=tasks.ensure_categories()[0], actor=None)
    course = training.create_course(training.CourseValues(code="SFA-101", name="SFA basics"))
    db.session.commit()
    return {"plan": plan.id, "task": task.id, "course": course.id, "admin": make_user(Role.ADMIN)}


@pytest.mark.parametrize("address", PAGED)
@pytest.mark.parametrize("page", ["999999999999999999", "99999999999999999999999999", "-3", "0", "²", "x"])
def test_any_page_number_gives_a_page(client, login, paged, address, page):
    login(paged["admin"])
    key = "history_page" if address.endswith("{task}") else "page"
    answer = client.get(address.format(**paged) + f"?{key}={page}")
    assert answer.status_code == 200


def test_the_page_asked_for_is_bounded(app):
    from crmproject.paging import page_arg

    for raw, page in (("7", 7), ("0", 1), ("", 1), ("abc", 1), (str(MAX_PAGE * 10), MAX_PAGE), ("9" * 30, MAX_PAGE)):
        with app.test_request_context(f"/?page={raw}"):
            assert page_arg() == page
