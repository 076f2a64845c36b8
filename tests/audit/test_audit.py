"""The audit trail: every change recorded once, on the session, in the change's own transaction, with its values
before and after; logins, failed logins, logouts, refusals and exports; the administrator's page, an object's
history, the export and the retention."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from crmproject.audit import services as audit
from crmproject.audit.actor import acting_as
from crmproject.audit.capture import MAX_VALUE_CHARS
from crmproject.audit.models import AuditAction, AuditEntry, AuditSource
from crmproject.auth.models import Role, User
from crmproject.auth.services import set_password
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Direction, Frequency, GoalFamily
from crmproject.plans.services import add_wave, ensure_standard_modules, update_wave
from crmproject.plans.models import WaveKind
from crmproject.reports import services as reports
from crmproject.tasks import services as tasks
from crmproject.tasks.models import ChangeTask, TaskStatus

PASSWORD = "correct-horse-1"  # tests/conftest.py's


def entries(**where) -> list[AuditEntry]:
    db.session.rollback()  # what is committed, as another request sees it
    query = select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(db.session.scalars(query))


def latest(**where) -> AuditEntry:
    found = entries(**where)
    assert found, f"no audit entry with {where}"
    return found[-1]


@pytest.fixture
def task(app, make_plan):
    plan = make_plan()
    category = tasks.ensure_categories()[0]
    made = tasks.create_task(plan, title="Train Sales on SFA", category=category, actor=None,
                             due=date(2026, 5, 1), status=TaskStatus.NOT_STARTED)
    db.session.commit()
    return made


def _task_form(task, **changes) -> dict:
    data = {"title": task.title, "description": task.description, "category_id": str(task.category_id),
            "owner_id": "", "phase_id": "", "department_id": "", "start_date": "",
            "due_date": task.due_date.isoformat() if task.due_date else "", "status": task.status.value,
            "priority": task.priority.value, "version": str(task.version)}
    return {**data, **changes}


# --- changes ----------------------------------------------------------------------------------------------


def test_a_change_through_a_form_shows_before_and_after_in_its_history_and_the_administrators_page(
        client, login, make_user, task):
    pm = make_user(Role.PROJECT_MANAGER, name="Paula Manager")
    login(pm)
    response = client.post(f"/plans/{task.plan_id}/tasks/{task.id}/edit",
                           data=_task_form(task, title="Train all of Sales", due_date="2026-06-15", status="in_progress"))
    assert response.status_code == 302

    entry = latest(object_type="change_tasks", object_id=task.id, action=AuditAction.UPDATE)
    assert entry.user_id == pm.id and entry.user_label == pm.email and entry.source == AuditSource.WEB
    assert entry.request == f"POST /plans/{task.plan_id}/tasks/{task.id}/edit"
    assert entry.changes["title"] == {"before": "Train Sales on SFA", "after": "Train all of Sales"}
    assert entry.changes["due_date"] == {"before": "2026-05-01", "after": "2026-06-15"}
    assert entry.changes["status"] == {"before": "not_started", "after": "in_progress"}
    assert "version" not in entry.changes and "updated_at" not in entry.changes

    page = client.get(f"/plans/{task.plan_id}/tasks/{task.id}").get_data(as_text=True)
    history = page.split('id="history"', 1)[1]
    assert "Paula Manager" in history
    assert "<del aria-label=\"before\">Train Sales on SFA</del>" in history
    assert "<ins aria-label=\"after\">Train all of Sales</ins>" in history
    assert "Not started" in history and "In progress" in history  # enumerations by their label

    client.post("/logout")
    login(make_user(Role.ADMIN))
    admin_page = client.get(f"/admin/audit?type=change_tasks&object={task.id}&action=update").get_data(as_text=True)
    assert "1 entry matches." in admin_page
    assert "Paula Manager" in admin_page and "2026-05-01</span></del>" in admin_page and "2026-06-15</span></ins>" in admin_page


def test_creation_and_deletion_keep_every_value_and_a_reference_shows_what_it_points_to(app, make_plan, make_user):
    owner = make_user(Role.PROJECT_MANAGER, name="Olga Owner")
    plan = make_plan()
    category = tasks.ensure_categories()[0]
    made = tasks.create_task(plan, title="Clean the lead list", category=category, actor=None, owner=owner)
    db.session.commit()
    created = latest(object_type="change_tasks", object_id=made.id, action=AuditAction.CREATE)
    assert created.changes["title"] == {"after": "Clean the lead list"}
    assert created.changes["owner_id"] == {"after": owner.id}
    assert created.source == AuditSource.SYSTEM and created.user_id is None

    db.session.expire_all()  # deleted without its values loaded: they are read before the row goes
    tasks.delete_task(db.session.get(ChangeTask, made.id))
    db.session.commit()
    deleted = latest(object_type="change_tasks", object_id=made.id, action=AuditAction.DELETE)
    assert deleted.object_label == "Clean the lead list"
    assert deleted.changes["title"] == {"before": "Clean the lead list"}
    shown = audit.show([deleted])[0]
    owner_change = next(c for c in shown.changes if c.field == "owner_id")
    assert owner_change.before == f"Olga Owner (#{owner.id})" and owner_change.deleted


def test_a_value_changed_without_being_read_is_recorded_with_what_it_was(app, task):
    db.session.expire_all()
    found = db.session.get(ChangeTask, task.id)
    db.session.expire(found, ["title"])  # the session does not know the old title when it is replaced
    found.title = "Renamed unseen"
    db.session.commit()
    assert latest(object_type="change_tasks", action=AuditAction.UPDATE).changes["title"] == {
        "before": "Train Sales on SFA", "after": "Renamed unseen"}


def test_a_rolled_back_change_leaves_no_entry(app, task, client, login, make_user):
    before = len(entries())
    task.title = "Never saved"
    db.session.flush()  # the entry is written with the change...
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    db.session.rollback()  # ...and goes with it
    assert len(entries()) == before

    # a form the services refuse saves nothing, and records nothing
    login(make_user(Role.PROJECT_MANAGER))
    logged_in = len(entries())
    response = client.post(f"/plans/{task.plan_id}/tasks/{task.id}/edit",
                           data=_task_form(task, start_date="2026-07-01", due_date="2026-06-01"))
    assert response.status_code == 200
    assert len(entries()) == logged_in


def test_values_are_json_dates_iso_decimals_as_text_enumerations_by_value_and_long_text_bounded(app, make_plan):
    plan = make_plan()
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, baseline_value=Decimal("12.50"),
        baseline_date=date(2026, 1, 1), target_value=Decimal("80"), target_date=date(2027, 6, 30),
        description="x" * (MAX_VALUE_CHARS + 25)))
    db.session.commit()
    changes = latest(object_type="kpis", object_id=kpi.id).changes
    assert changes["baseline_value"] == {"after": "12.50"}
    assert changes["baseline_date"] == {"after": "2026-01-01"}
    assert changes["direction"] == {"after": "higher"}
    assert changes["description"] == {"after": "x" * MAX_VALUE_CHARS, "after_cut": 25}


def test_a_password_change_is_recorded_without_any_hash(app, make_user):
    user = make_user(Role.EXECUTIVE)
    set_password(user, "quiet-horse-stable-3")
    db.session.commit()
    entry = latest(object_type="users", object_id=user.id, action=AuditAction.UPDATE)
    assert entry.changes == {"password_hash": {"hidden": True}}
    stored = db.session.execute(text("SELECT changes FROM audit_entries")).scalars().all()
    assert not any(user.password_hash in (value or "") for value in stored)
    assert not any("pbkdf2" in (value or "") for value in stored)


def test_a_many_to_many_collection_is_recorded_on_its_owner_and_a_child_row_in_its_parents_history(
        app, make_plan, make_department):
    plan = make_plan()
    sales = make_department(name="Sales", code="SALES")
    sfa, ma = ensure_standard_modules()[:2]
    wave = add_wave(plan, name="Pilot", go_live=date(2026, 6, 1), kind=WaveKind.PILOT, departments=[sales],
                    modules=[sfa])
    db.session.commit()
    update_wave(wave, name="Pilot", go_live=date(2026, 6, 1), kind=WaveKind.PILOT, departments=[sales],
                modules=[sfa, ma], notes="")
    db.session.commit()
    change = latest(object_type="waves", object_id=wave.id, action=AuditAction.UPDATE).changes["modules"]
    assert change == {"before": [[sfa.id, sfa.name]], "after": sorted([[sfa.id, sfa.name], [ma.id, ma.name]],
                                                                     key=lambda pair: pair[1])}
    shown = audit.show([latest(object_type="waves", object_id=wave.id, action=AuditAction.UPDATE)])[0]
    modules = next(c for c in shown.changes if c.field == "modules")
    assert f"{ma.name} (#{ma.id})" in modules.after and f"{ma.name}" not in modules.before

    # the wave's department is a row of its own, shown in the wave's history (and the wave in the plan's)
    found, _total = audit.history("waves", wave.id)
    assert {e.object_type for e in found} >= {"waves", "wave_departments"}
    found, _total = audit.history("plans", plan.id)
    assert {e.object_type for e in found} >= {"plans", "waves"}


def test_rows_written_in_bulk_are_one_entry_with_their_number(app, make_plan):
    from crmproject.baselines.services import save_baseline

    plan = make_plan()
    category = tasks.ensure_categories()[0]
    for n in range(5):
        tasks.create_task(plan, title=f"Task {n}", category=category, actor=None, due=date(2026, 5, n + 1))
    db.session.commit()
    baseline = save_baseline(plan, name="approved plan", saved_by=None)
    db.session.commit()
    from crmproject.baselines.models import BaselineItem

    items = db.session.scalar(select(func.count()).select_from(BaselineItem))
    assert items >= 5  # the tasks' dates, at least
    bulk = entries(action=AuditAction.BULK_INSERT)
    assert len(bulk) == 1
    assert bulk[0].object_type == "baseline_items" and bulk[0].details == {"rows": items}
    assert (bulk[0].parent_type, bulk[0].parent_id) == ("plan_baselines", baseline.id)
    assert not entries(object_type="baseline_items", action=AuditAction.CREATE)


def test_a_usage_import_is_two_entries_its_record_started_and_finished_never_one_per_event(app, tmp_path):
    from crmproject.adoption.usage import import_usage

    export = tmp_path / "usage.csv"
    export.write_text("User Name,Timestamp,Action\n" + "".join(
        f"user{n % 7}@example.com,2026-03-{n % 28 + 1:02d}T09:{n % 60:02d}:00Z,View\n" for n in range(300)))
    record = import_usage(export, timezone="UTC")
    assert record.events_added == 300
    kinds = [(e.object_type, e.action) for e in entries()]
    assert kinds.count(("usage_imports", AuditAction.CREATE)) == 1
    finished = latest(object_type="usage_imports", action=AuditAction.UPDATE)
    assert finished.changes["state"] == {"before": "running", "after": "done"}
    assert finished.changes["events_added"] == {"before": 0, "after": 300}
    assert len(entries()) < 10


def test_a_command_and_a_job_are_recorded_as_theirs(app, runner, make_user):
    result = runner("users", "create", "--email", "cli@example.com", "--name", "From the CLI", "--role", "executive",
                    "--password", "quiet-horse-stable-3")
    assert result.exit_code == 0, result.output
    created = latest(object_type="users", action=AuditAction.CREATE)
    assert created.source == AuditSource.CLI and created.user_id is None and created.object_label == "From the CLI"

    pm = make_user(Role.PROJECT_MANAGER)
    with acting_as(pm.id):
        db.session.get(User, created.object_id).name = "Renamed by a job"
        db.session.commit()
    renamed = latest(object_type="users", action=AuditAction.UPDATE)
    assert (renamed.user_id, renamed.user_label, renamed.source) == (pm.id, pm.email, AuditSource.JOB)


def test_a_queued_job_acts_for_whoever_queued_it(app, client, login, make_user, monkeypatch):
    from crmproject import jobs

    queued = {}

    class Queue:
        def __getitem__(self, name):
            return lambda **kwargs: queued.update(kwargs)

    monkeypatch.setitem(app.extensions, "huey", object())
    monkeypatch.setitem(app.extensions, "huey_tasks", Queue())
    app.config["JOBS_IN_PROCESS"] = 0
    try:
        pm = make_user(Role.PROJECT_MANAGER)
        with app.test_request_context():
            from flask import g

            g._login_user = pm
            jobs.enqueue("any", {"value": 1}, app=app)
    finally:
        app.config["JOBS_IN_PROCESS"] = 1
    assert queued == {"value": 1, "_audit_actor": (pm.id, pm.email), "_reader": ("en", "gregorian")}

    ran = {}
    run = jobs._in_app(app, lambda **kwargs: ran.update(kwargs, actor=__import__(
        "crmproject.audit.actor", fromlist=["current_actor"]).current_actor()))
    run(**queued)
    assert ran["value"] == 1 and (ran["actor"].user_id, ran["actor"].source) == (pm.id, AuditSource.JOB)


# --- security events --------------------------------------------------------------------------------------


def test_logins_failed_logins_and_logouts_are_recorded_never_a_password(client, login, make_user):
    user = make_user(Role.EXECUTIVE)
    wrong = "not-my-password-XYZ"
    assert client.post("/login", data={"email": user.email, "password": wrong}).status_code == 200
    failed = latest(action=AuditAction.LOGIN_FAILED)
    assert failed.user_label == user.email and failed.user_id == user.id
    assert failed.details == {"reason": "wrong"} and failed.address == "127.0.0.1"

    # someone types their password into the e-mail box: it is never kept
    assert client.post("/login", data={"email": "Secret-Passw0rd!", "password": wrong}).status_code == 200
    assert latest(action=AuditAction.LOGIN_FAILED).user_label == "(not an e-mail address)"
    assert client.post("/login", data={"email": "nobody@example.com", "password": wrong}).status_code == 200
    unknown = latest(action=AuditAction.LOGIN_FAILED)
    assert unknown.user_label == "nobody@example.com" and unknown.user_id is None

    login(user)
    logged_in = latest(action=AuditAction.LOGIN)
    assert (logged_in.user_id, logged_in.request) == (user.id, "POST /login")
    client.post("/logout")
    assert latest(action=AuditAction.LOGOUT).user_id == user.id

    everything = " ".join(str(value) for row in db.session.execute(text("SELECT * FROM audit_entries")) for value in row)
    assert wrong not in everything and "Secret-Passw0rd!" not in everything and PASSWORD not in everything


def test_a_refusal_is_recorded_and_saves_nothing_else(client, login, make_user, make_plan):
    plan = make_plan()
    head = make_user(Role.DEPARTMENT_HEAD)
    login(head)
    before = len(entries())
    response = client.post(f"/plans/{plan.id}/edit", data={"name": "Taken over", "version": "1"})
    assert response.status_code == 403
    found = entries()[before:]
    assert [e.action for e in found] == [AuditAction.REFUSED]
    assert (found[0].user_id, found[0].request) == (head.id, f"POST /plans/{plan.id}/edit")
    assert client.get("/admin/audit").status_code == 403  # the trail is the administrators'
    assert latest(action=AuditAction.REFUSED).request == "GET /admin/audit"


def test_an_export_is_recorded_with_its_file(client, login, make_user, task):
    user = make_user(Role.EXECUTIVE)
    login(user)
    response = client.get(f"/plans/{task.plan_id}/tasks.xlsx")
    assert response.status_code == 200
    export = latest(action=AuditAction.EXPORT)
    assert export.user_id == user.id and export.details["file"].endswith(".xlsx")
    assert export.request == f"GET /plans/{task.plan_id}/tasks.xlsx"


# --- the administrator's page, the export, an object's history --------------------------------------------


def test_the_administrators_page_filters_by_who_what_and_when(client, login, make_user, task):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    pm = make_user(Role.PROJECT_MANAGER, name="Paula Manager")
    login(pm)
    client.post(f"/plans/{task.plan_id}/tasks/{task.id}/edit", data=_task_form(task, title="Renamed by Paula"))
    client.post("/logout")
    old = AuditEntry(action=AuditAction.LOGIN, user_id=admin.id, user_label=admin.email,
                     at=datetime(2025, 1, 10, 9, tzinfo=UTC), source=AuditSource.WEB)
    db.session.add(old)
    db.session.commit()
    login(admin)

    def matching(query: str) -> str:
        response = client.get("/admin/audit" + query)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "Renamed by Paula" in matching(f"?who={pm.id}")
    assert "Renamed by Paula" not in matching(f"?who={admin.id}")
    assert "Renamed by Paula" in matching("?type=change_tasks&action=update")
    assert "Renamed by Paula" not in matching("?type=plans")
    assert "1 entry matches." in matching(f"?who={admin.id}&from=2025-01-01&to=2025-01-31")
    assert "Renamed by Paula" in matching("?q=paula")
    system = matching("?who=system&type=change_tasks")
    assert "Train Sales on SFA" in system and "Renamed by Paula" not in system  # the task was created by no one
    # bad input is said, never a 500
    page = matching("?from=31.12.2025&to=x&who=%C2%B2&object=99999999999999999999999&action=nope&page=-3")
    assert "was not understood" in page


def test_the_export_holds_each_change_before_and_after_and_text_never_becomes_a_formula(client, login, make_user, task):
    pm = make_user(Role.PROJECT_MANAGER)
    login(pm)
    client.post(f"/plans/{task.plan_id}/tasks/{task.id}/edit", data=_task_form(task, title="=HYPERLINK(\"x\")"))
    client.post("/logout")
    login(make_user(Role.ADMIN))
    response = client.get("/admin/audit.xlsx?type=change_tasks&action=update")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("Field")] == "title")
    assert row[header.index("Before")] == "Train Sales on SFA"
    assert row[header.index("After")] == "=HYPERLINK(\"x\")"
    cell = next(c for c in sheet[rows.index(row) + 1] if c.value == "=HYPERLINK(\"x\")")
    assert cell.data_type == "s"
    assert latest(action=AuditAction.EXPORT).details["file"].startswith("audit-trail-")
    csv = client.get("/admin/audit.csv?type=change_tasks&action=update")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data().decode("utf-8-sig")
    assert "Train Sales on SFA" in text and "'=HYPERLINK" in text  # text never a formula in CSV either
    assert latest(action=AuditAction.EXPORT).details["file"].endswith(".csv")


def test_an_objects_history_is_shown_only_to_who_may_see_the_object(client, login, make_user):
    executive = make_user(Role.EXECUTIVE)
    login(make_user(Role.ADMIN))
    assert 'id="history"' in client.get(f"/admin/users/{executive.id}").get_data(as_text=True)
    from crmproject.auth.permissions import can_see_history

    assert not can_see_history(executive, executive)  # a user's record: administrators only


def test_the_history_pages_its_entries(client, login, make_user, task):
    for n in range(audit.HISTORY_PER_PAGE + 3):
        task.title = f"Title {n}"
        db.session.commit()
    login(make_user(Role.PROJECT_MANAGER))
    first = client.get(f"/plans/{task.plan_id}/tasks/{task.id}").get_data(as_text=True)
    assert f"Title {audit.HISTORY_PER_PAGE + 2}</ins>" in first and "Title 0</ins>" not in first
    assert "history_page=2" in first
    second = client.get(f"/plans/{task.plan_id}/tasks/{task.id}?history_page=2").get_data(as_text=True)
    assert "Title 0</ins>" in second


def test_a_new_object_given_a_deleted_ones_id_has_a_history_of_its_own(task):
    """SQLite gives a new row the id of the last one deleted: the new task's history starts at its creation."""
    task.title = "Old task's new title"
    db.session.commit()
    plan_id, old_id, category_id = task.plan_id, task.id, task.category_id
    tasks.delete_task(task)
    db.session.commit()
    db.session.add(ChangeTask(id=old_id, plan_id=plan_id, title="Another task", category_id=category_id))
    db.session.commit()
    shown, total = audit.history("change_tasks", old_id)
    assert total == 1 and [(e.action, e.object_label) for e in shown] == [(AuditAction.CREATE, "Another task")]


# --- retention ------------------------------------------------------------------------------------------


def test_prune_removes_what_is_older_than_the_retention_and_says_so(app, runner, make_user):
    user = make_user(Role.ADMIN)
    now = datetime.now(UTC)
    db.session.add_all([AuditEntry(action=AuditAction.LOGIN, user_id=user.id, at=now - timedelta(days=days),
                                   source=AuditSource.WEB) for days in (800, 731, 10)])
    db.session.commit()
    total = len(entries())

    result = runner("audit", "prune", "--dry-run")
    assert result.exit_code == 0 and "2 entries are older than 730 days" in result.output
    assert len(entries()) == total

    result = runner("audit", "prune")
    assert result.exit_code == 0 and "Removed 2 entries older than 730 days." in result.output
    assert len(entries()) == total - 2 + 1
    pruned = latest(action=AuditAction.PRUNE)
    assert pruned.details["entries"] == 2 and pruned.source == AuditSource.CLI

    result = runner("audit", "prune", "--days", "5")
    assert "Removed 1 entry older than 5 days." in result.output

    app.config["AUDIT_RETENTION_DAYS"] = 0
    try:
        assert "kept for ever" in runner("audit", "prune").output
        assert audit.prune(days=0) == 0
    finally:
        app.config["AUDIT_RETENTION_DAYS"] = 730


def test_the_retention_setting_is_read_from_the_environment(monkeypatch):
    from crmproject import create_app
    from crmproject.errors import ConfigError

    monkeypatch.setenv("CRMPROJECT_AUDIT_RETENTION_DAYS", "90")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["AUDIT_RETENTION_DAYS"] == 90
    monkeypatch.setenv("CRMPROJECT_AUDIT_RETENTION_DAYS", "-1")
    with pytest.raises(ConfigError):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_entries_are_plain_json(app, task):
    raw = db.session.execute(text("SELECT changes FROM audit_entries WHERE object_type = 'change_tasks'")).scalar()
    assert (json.loads(raw) if isinstance(raw, str) else raw)["title"] == {"after": "Train Sales on SFA"}  # PostgreSQL hands JSON back parsed


def test_rows_of_a_model_inserted_in_bulk_through_the_session_are_one_entry(app, make_plan):
    from sqlalchemy import insert

    from crmproject.plans.models import Phase

    plan = make_plan()
    db.session.execute(insert(Phase), [
        {"plan_id": plan.id, "name": f"Phase {n}", "position": n, "start_date": date(2026, n, 1),
         "end_date": date(2026, n, 20)} for n in range(1, 4)])
    db.session.commit()
    bulk = latest(action=AuditAction.BULK_INSERT)
    assert (bulk.object_type, bulk.details, bulk.parent_type, bulk.parent_id) == ("phases", {"rows": 3}, "plans", plan.id)


def test_a_courses_history_never_shows_its_enrolments_of_named_people(app, make_department):
    from crmproject.roster.models import Employee
    from crmproject.training import services as training

    course = training.create_course(training.CourseValues(code="SFA-101", name="SFA basics"))
    employee = Employee(name="Ann Lee", department=make_department())
    db.session.add(employee)
    enrolment = training.enrol(employee, course)
    db.session.commit()
    found, _total = audit.history("courses", course.id)
    assert [e.object_type for e in found] == ["courses"]
    assert audit.history("enrolments", enrolment.id)[1] == 1  # on the enrolment's own page


def test_a_history_never_names_what_its_reader_may_not_see(client, login, make_user, make_plan, make_department):
    from crmproject.risks import services as risks

    plan = make_plan()
    sales, service = make_department(name="Sales"), make_department(name="Service")
    category = tasks.ensure_categories()[0]
    own = tasks.create_task(plan, title="Train Sales", category=category, actor=None, department=sales)
    foreign = tasks.create_task(plan, title="Service desk rota", category=category, actor=None, department=service)
    risk = risks.create_risk(plan, risks.RiskValues(title="Reps keep their Excel", likelihood=3, impact=4,
                                                    department=sales))
    risks.link_task(risk, own)
    risks.link_task(risk, foreign)
    tasks.set_dependencies(own, [foreign])
    db.session.commit()
    head = make_user(Role.DEPARTMENT_HEAD, department=sales)
    login(head)
    history = client.get(f"/plans/{plan.id}/risks/{risk.id}").get_data(as_text=True).split('id="history"')[1]
    assert f"Train Sales (#{own.id})" in history
    assert "Service desk rota" not in history and "(hidden)" in history
    history = client.get(f"/plans/{plan.id}/tasks/{own.id}").get_data(as_text=True).split('id="history"')[1]
    assert '<ins aria-label="after">(hidden)</ins>' in history and "Service desk rota" not in history
    # a row without an id of its own is named by its key's parts, each only as the reader may see it
    row = AuditEntry(action=AuditAction.CREATE, source=AuditSource.WEB, object_type="task_dependencies",
                     object_label=f"task_id={own.id}, depends_on_id={foreign.id}", parent_type="change_tasks",
                     parent_id=own.id, at=datetime.now(UTC))
    (shown,) = audit.show([row], viewer=head)
    assert shown.label == f"Task: Train Sales (#{own.id}), Depends on: (hidden)"
    assert shown.label_in_parent == "Depends on: (hidden)"
    client.post("/logout")
    login(make_user(Role.PROJECT_MANAGER))
    history = client.get(f"/plans/{plan.id}/risks/{risk.id}").get_data(as_text=True).split('id="history"')[1]
    assert f"Service desk rota (#{foreign.id})" in history


def test_a_change_through_the_api_is_the_tokens_user_and_the_token_is_never_kept(client, make_user, task):
    from crmproject.api.models import TokenScope
    from crmproject.api.services import create_token

    pm = make_user(Role.PROJECT_MANAGER)
    issued = create_token(pm, scopes=(TokenScope.READ, TokenScope.WRITE), days=30)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issued.secret}"}
    url = f"/api/v1/plans/{task.plan_id}/tasks/{task.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, json={"status": "in_progress"}, headers={**headers, "If-Match": etag}).status_code == 200
    entry = latest(object_type="change_tasks", action=AuditAction.UPDATE)
    assert (entry.user_id, entry.request) == (pm.id, f"PATCH {url}")
    assert entry.changes["status"] == {"before": "not_started", "after": "in_progress"}
    token = latest(object_type="api_tokens", action=AuditAction.CREATE)
    assert set(token.changes["token_hash"]) == {"hidden"}
    everything = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM audit_entries")) for v in row)
    assert issued.secret not in everything


def test_a_row_without_an_id_is_named_by_what_its_key_refers_to(client, login, make_user, make_plan, make_department):
    """A report's KPI value has no id of its own: its entry names the KPI (and the report), never "kpi_id=12"."""
    plan = make_plan(start=date(2026, 1, 15), end=date(2026, 12, 31))
    sales = make_department(name="Sales", code="SALES")
    add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[sales])
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Sales cycle length", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, baseline_value=Decimal(0),
        baseline_date=date(2026, 1, 15), target_value=Decimal(80), target_date=date(2026, 12, 31),
        frequency=Frequency.MONTHLY))
    head = make_user(Role.PROJECT_MANAGER)
    report = reports.start_report(plan, sales, reports.period_for(plan, date(2026, 3, 10)), author=head)
    reports.submit(report, reports.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B",
                                                 values={kpi.id: Decimal("35.5000")}), author=head, due_kpis=[kpi])
    db.session.commit()

    value_entry = latest(object_type="report_kpi_values", action=AuditAction.CREATE)
    assert value_entry.object_label == f"report_id={report.id}, kpi_id={kpi.id}"  # as recorded
    shown = audit.show([value_entry])[0]
    assert shown.label == f"Status report: #{report.id}, KPI: Sales cycle length (#{kpi.id})"
    assert shown.label_in_parent == f"KPI: Sales cycle length (#{kpi.id})"
    assert value_entry.changes["value"]["after"] == "35.5000"  # kept as the decimal's text, shown as people write it
    assert next(c.after for c in shown.changes if c.field == "value") == "35.5"

    login(make_user(Role.ADMIN))
    page = client.get(f"/plans/{plan.id}/reports/{report.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert f"KPI: Sales cycle length (#{kpi.id})" in history and "kpi_id=" not in history
    trail = client.get("/admin/audit?type=report_kpi_values").get_data(as_text=True)
    assert f"KPI: Sales cycle length (#{kpi.id})" in trail and "kpi_id=" not in trail
    # the activity feed says which report after the value, so the value is not named by its report as well
    feed = client.get(f"/plans/{plan.id}/activity").get_data(as_text=True)
    assert f"KPI: Sales cycle length (#{kpi.id})" in feed and f"Status report: #{report.id}" not in feed


def test_every_kind_of_object_and_every_field_recorded_has_a_name_people_read(app):
    """The administrator's filter and each entry name what changed in the reader's language, never a table's or
    a column's name (a new model or column without a label fails here until it has one)."""
    from crmproject.audit.capture import audited_model
    from crmproject.db import Base

    unnamed_types, unnamed_fields = set(), set()
    for mapper in Base.registry.mappers:
        model = audited_model(mapper)
        if model is None:
            continue
        if model.table not in audit.OBJECT_TYPES:
            unnamed_types.add(model.table)
        unnamed_fields.update(f"{model.table}.{key}" for key in (*model.columns, *model.collections)
                              if key not in audit.FIELD_LABELS)
    assert not unnamed_types and not unnamed_fields


def test_a_decisions_evidence_reads_in_the_readers_language_and_odd_text_is_shown_as_it_is(app):
    from flask_babel import force_locale

    from crmproject.gates.models import CriterionKind, evidence_text

    recorded = json.dumps({"evaluated_on": "2026-11-30", "criteria": [
        {"kind": "adoption", "label": "Внедрение", "measured": 90.0, "unit": "%", "status": "met"},
        {"kind": "no-such-kind", "label": "Retired criterion", "measured": None, "unit": "", "status": "no_data"}]})
    with app.test_request_context("/"):
        assert evidence_text(recorded) == (f"2026-11-30: {CriterionKind.ADOPTION.label} 90% (Met); "
                                           "Retired criterion — (No data yet)")
        with force_locale("ru"):
            assert evidence_text(recorded).startswith("30.11.2026: ")
        for odd in ('{"criteria": [1]}', '{"criteria": "ab"}', "[]", '{"criteria": {"a": 1}}', '{"crit'):
            with pytest.raises(ValueError):
                evidence_text(odd)


def test_a_built_in_category_is_named_in_the_readers_language_in_a_history(client, login, make_user, task):
    from flask_babel import force_locale

    from crmproject.i18n import gettext

    reader = make_user(Role.PROJECT_MANAGER)
    reader.language = "ru"
    db.session.commit()
    login(reader)
    history = client.get(f"/plans/{task.plan_id}/tasks/{task.id}").get_data(as_text=True).split('id="history"')[1]
    with force_locale("ru"):
        russian = gettext(task.category.name)
    assert russian != task.category.name and f"{russian} (#{task.category_id})" in history


def test_a_criterions_blocks_and_a_meetings_agenda_read_as_words_in_a_history(app):
    from crmproject.gates.models import blocks_text
    from crmproject.maturity.blocks import Block
    from crmproject.steering.models import agenda_text

    with app.test_request_context("/"):
        assert blocks_text("processes,information") == f"{Block.PROCESSES.label}, {Block.INFORMATION.label}"
        agenda = json.dumps({"built_on": "2026-11-30", "sections": {
            "gates": [{"text": "Pilot proven, due 2026-12-01: Go", "endpoint": "gates.show", "args": {"gate_id": 1}}],
            "tasks": [{"text": "Migrate the contacts (due 2026-12-10)", "endpoint": "tasks.show", "args": {}}]}})
        assert agenda_text(agenda) == ("2026-11-30: Pilot proven, due 2026-12-01: Go; "
                                       "Migrate the contacts (due 2026-12-10)")
        for odd in ('{"sections": [1]}', '{"sections": {"gates": 1}}', '{"buil'):
            with pytest.raises(ValueError):
                agenda_text(odd)


def test_a_change_by_a_command_names_its_source_once(app, runner, client, login, make_user):
    assert runner("users", "create", "--email", "cli@example.com", "--name", "From the CLI", "--role", "executive",
                  "--password", "quiet-horse-stable-3").exit_code == 0
    login(make_user(Role.ADMIN))
    page = client.get("/admin/audit?type=users&action=create").get_data(as_text=True)
    row = next(r for r in page.split("<tbody>")[1].split("</tr>") if "From the CLI" in r)
    assert row.count("command line") == 1
