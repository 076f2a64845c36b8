"""One place ends every request's transaction (crmproject.transactions): a write answered without an error is
committed, an error saves nothing, a commit two requests fight over answers 409 without a false "saved"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from crmproject.auth.models import Role
from crmproject.departments import views as department_views
from crmproject.departments.models import Department
from crmproject.extensions import db

NEW = {"name": "Logistics", "code": "LOG", "headcount": "12", "licensed_seats": "10", "head_id": ""}


def _codes() -> set[str]:
    db.session.rollback()  # what is committed, as the next request reads it
    return set(db.session.scalars(select(Department.code)))


def test_a_write_answered_well_is_committed(make_user, login):
    client = login(make_user(Role.PROJECT_MANAGER))
    assert client.post("/departments/new", data=NEW).status_code == 302
    assert _codes() == {"LOG"}


def test_a_view_that_fails_after_its_service_wrote_saves_nothing(make_user, login, monkeypatch):
    client = login(make_user(Role.PROJECT_MANAGER))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the view failed after the department was added")

    monkeypatch.setattr(department_views, "flash", broken)
    assert client.post("/departments/new", data=NEW).status_code == 500
    assert _codes() == set()


def test_a_commit_that_loses_a_race_answers_409_and_takes_back_its_saved_message(make_user, login, monkeypatch):
    client = login(make_user(Role.PROJECT_MANAGER))
    real_commit = db.session.commit

    def commit():
        monkeypatch.setattr(db.session, "commit", real_commit)  # once
        raise StaleDataError("another request saved the same row first")

    monkeypatch.setattr(db.session, "commit", commit)
    response = client.post("/departments/new", data=NEW)
    assert response.status_code == 409
    with client.session_transaction() as kept:
        assert "_flashes" not in kept  # no "Department Logistics saved." on the next page
    assert _codes() == set()
    page = client.get("/departments/").get_data(as_text=True)
    assert "saved." not in page


def test_a_commit_the_database_refuses_says_nothing_was_saved(make_user, login, monkeypatch):
    """A commit that fails for another reason (a locked or lost database) answers the error page without the
    view's "added" message, on it or on the next page, and nothing is saved."""
    client = login(make_user(Role.PROJECT_MANAGER))
    real_commit = db.session.commit

    def commit():
        monkeypatch.setattr(db.session, "commit", real_commit)  # once
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "commit", commit)
    response = client.post("/departments/new", data=NEW)
    assert response.status_code == 500 and "Logistics" not in response.get_data(as_text=True)
    with client.session_transaction() as kept:
        assert "_flashes" not in kept
    assert _codes() == set()
    assert "Logistics" not in client.get("/departments/").get_data(as_text=True)


def test_a_read_writes_nothing(make_user, login, monkeypatch):
    """A GET that changes an object in passing (here: a department renamed while the list is read) commits
    nothing, whatever it answers."""
    client = login(make_user(Role.PROJECT_MANAGER))
    client.post("/departments/new", data=NEW)
    real_list = department_views.services.list_departments

    def list_and_rename():
        found = real_list()
        found[0].name = "Renamed by a read"
        return found

    monkeypatch.setattr(department_views.services, "list_departments", list_and_rename)
    assert client.get("/departments/").status_code == 200
    db.session.remove()  # the request's end (the app context's teardown) in production
    assert db.session.scalar(select(Department.name)) == "Logistics"


def test_a_refused_login_is_recorded_although_it_is_answered_429(client, make_user):
    """The one request kept on an error: the attempt the throttle refused is in the audit trail."""
    from crmproject.audit.models import AuditAction, AuditEntry

    user = make_user(Role.DEPARTMENT_HEAD)
    for _ in range(5):
        client.post("/login", data={"email": user.email, "password": "wrong-guess"})
    assert client.post("/login", data={"email": user.email, "password": "wrong-guess"}).status_code == 429
    db.session.rollback()
    reasons = [e.details["reason"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.LOGIN_FAILED).order_by(AuditEntry.id))]
    assert reasons == ["wrong"] * 5 + ["throttled"]
