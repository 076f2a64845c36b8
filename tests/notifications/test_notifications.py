"""Notifications: each user's choice per kind, once-only recording, mentions at once, permissions, languages."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from crmproject import create_app, jobs
from crmproject.audit.models import AuditEntry
from crmproject.auth.models import Role
from crmproject.comments.models import Comment, CommentMention
from crmproject.comments.signals import comment_posted
from crmproject.errors import ConfigError
from crmproject.extensions import db
from crmproject.notifications import services
from crmproject.notifications.collect import collect_all
from crmproject.notifications.jobs import enqueue_send
from crmproject.notifications.kinds import Channel, EmailStatus, Kind
from crmproject.notifications.mail import link_context, parse_smtp_url
from crmproject.notifications.tokens import make_token
from crmproject.notifications.models import Notification
from crmproject.tasks import services as tasks

TODAY = date(2026, 3, 10)  # January's and February's reports are overdue, March's is due


@pytest.fixture
def head(make_plan, make_user):
    """A plan without waves (every department reports) and the head of its one department."""
    make_plan()
    return make_user(Role.DEPARTMENT_HEAD)


def _told(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


@pytest.mark.parametrize(("channel", "by_email", "in_app"), [
    (Channel.NONE, False, False), (Channel.APP, False, True), (Channel.EMAIL, True, False), (Channel.BOTH, True, True)])
def test_each_user_chooses_how_a_kind_is_told(app, smtp, head, channel, by_email, in_app):
    services.set_preference(head, Kind.REPORT_DUE, channel)
    db.session.commit()
    summary = services.send_due(today=TODAY)
    due = [m for m in smtp.to(head.email) if "is due on" in m["Subject"]]
    assert len(due) == (1 if by_email else 0)
    assert len(smtp.to(head.email)) == 1 + by_email  # the overdue reports come both ways, as by default
    shown = [n for n in _told(head, Kind.REPORT_DUE) if n.in_app]
    assert len(shown) == (1 if in_app else 0)
    assert summary["by_kind"]["report_due"] == 1  # the event is recorded whatever the choice: never told later
    assert services.unread_count(head) == len(shown) + 2  # and the two overdue reports


def test_without_smtp_an_email_choice_is_shown_in_the_app(app, head):
    services.set_preference(head, Kind.REPORT_DUE, Channel.EMAIL)
    db.session.commit()
    summary = services.send_due(today=TODAY)
    assert summary["smtp"] is False and summary["emails_sent"] == 0
    (told,) = _told(head, Kind.REPORT_DUE)
    assert told.in_app and told.email_status == EmailStatus.NONE


def test_overdue_reports_are_one_event_per_period(app, head):
    services.send_due(today=TODAY)
    overdue = _told(head, Kind.REPORT_OVERDUE)
    assert [n.params["start"] for n in overdue] == ["2026-01-01", "2026-02-01"]
    services.send_due(today=date(2026, 4, 10))  # March's report is now overdue too: one more event
    assert [n.params["start"] for n in _told(head, Kind.REPORT_OVERDUE)] == ["2026-01-01", "2026-02-01", "2026-03-01"]


def test_an_event_recorded_by_another_run_at_the_same_moment_is_skipped(app, head, monkeypatch):
    with link_context():
        events = collect_all(today=TODAY)
    assert len(services.record(events, smtp=False).recorded) == 3
    # the other run had not seen these rows when it looked: its inserts meet the unique key, and it goes on
    monkeypatch.setattr(services, "_already", lambda events: set())
    assert services.record(events, smtp=False).recorded == []
    assert len(_told(head)) == 3


def test_an_email_is_claimed_by_one_run_only(app, smtp, head):
    with link_context():
        services.record(collect_all(today=TODAY), smtp=True)
    first = services._claim()
    assert len(first) == 3
    assert services._claim() == []  # a second run at the same moment finds them taken


def test_a_dry_run_sends_and_records_nothing(app, runner, smtp, head):
    result = runner("notify", "send", "--dry-run", "--json")
    summary = json.loads(result.output)
    assert summary["dry_run"] is True and summary["new"] >= 1 and summary["emails_sent"] >= 1
    assert smtp.messages == [] and db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_an_email_is_in_its_recipients_language_and_calendar(app, smtp, head):
    head.language = "ru"
    db.session.commit()
    services.send_due(today=TODAY)
    (due,) = [m for m in smtp.to(head.email) if "01.03.2026" in m["Subject"]]
    assert "отчёт" in due["Subject"].lower() or "отчет" in due["Subject"].lower(), due["Subject"]
    assert due["Content-Language"] == "ru"
    text = due.get_body(preferencelist=("plain",)).get_content()
    assert "05.04.2026" in text  # its due date as a Russian reader writes it


def test_the_settings_page_saves_choices_and_the_audit_trail_keeps_them(app, client, login, head):
    login(head)
    assert "Status report due" in client.get("/account/notifications").get_data(as_text=True)
    data = {kind.value: "both" for kind in Kind} | {"task_overdue": "none", "mention": "email"}
    assert client.post("/account/notifications", data=data).status_code == 302
    chosen = services.preferences(head)
    assert chosen[Kind.TASK_OVERDUE] == Channel.NONE and chosen[Kind.MENTION] == Channel.EMAIL
    assert chosen[Kind.TASK_DUE_SOON] == Channel.BOTH
    recorded = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "notification_preferences")).all()
    assert len(recorded) == 3 and {e.user_id for e in recorded} == {head.id}
    assert client.post("/account/notifications", data={**data, "mention": "by pigeon"}).status_code == 200
    assert services.preferences(head)[Kind.MENTION] == Channel.EMAIL  # a bad choice saves nothing


def test_the_sent_and_read_bookkeeping_stays_out_of_the_audit_trail(app, client, login, head):
    services.send_due(today=TODAY)
    login(head)
    client.post("/notifications/read-all")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_type == "notifications")) == 0


def test_the_list_marks_read_and_opens_the_object(app, client, login, head, make_user):
    services.send_due(today=TODAY)
    first, second, third = _told(head)
    login(head)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("is due on") < page.index("was due on")  # newest first: recorded last, March's due
    response = client.get(f"/notifications/{first.id}")
    assert response.status_code == 302 and "/reports/write" in response.headers["Location"]
    assert client.post(f"/notifications/{second.id}/read").status_code == 302
    db.session.expire_all()
    assert services.unread_count(head) == 1
    client.post("/notifications/read-all")
    assert services.unread_count(head) == 0
    other = make_user(Role.DEPARTMENT_HEAD)
    client.post("/logout")
    login(other)
    assert client.get(f"/notifications/{third.id}").status_code == 404  # another's: as if it did not exist


def _comment_on(task, author, mentioned):
    comment = Comment(plan_id=task.plan_id, target_type="change_tasks", target_id=task.id, author_id=author.id,
                      body="@someone can you look at this?", mentions=[CommentMention(user_id=u.id) for u in mentioned])
    db.session.add(comment)
    db.session.commit()
    comment_posted.send(comment, mentioned=mentioned)
    return comment


def test_a_mention_is_told_at_once_only_to_who_may_see_it_and_once(app, smtp, make_plan, make_user, make_department):
    plan = make_plan()
    sales, service = make_department(), make_department()
    pm = make_user(Role.PROJECT_MANAGER)
    head_sales, head_service = make_user(Role.DEPARTMENT_HEAD, sales), make_user(Role.DEPARTMENT_HEAD, service)
    category = tasks.ensure_categories()[0]
    task = tasks.create_task(plan, title="Clean the lead sources", category=category, actor=pm, department=sales)
    db.session.commit()

    _comment_on(task, pm, [head_sales, head_service, pm])
    (told,) = _told(head_sales, Kind.MENTION)  # at once, in the application
    assert told.in_app and told.params["name"] == "Clean the lead sources"
    assert told.link.startswith(f"/plans/{plan.id}/tasks/{task.id}#comment-")  # at the comment
    assert _told(head_service) == []  # another department's task: not theirs to see
    assert _told(pm) == []  # naming oneself tells nobody
    assert smtp.messages == []  # the e-mail goes with the next run

    summary = services.send_due(today=TODAY)
    assert summary["by_kind"]["mention"] == 0  # already told: the run does not tell it again
    (mail,) = [m for m in smtp.to(head_sales.email) if "mentioned you" in m["Subject"]]
    assert "can you look at this?" in mail.get_body(preferencelist=("plain",)).get_content()
    assert len(_told(head_sales, Kind.MENTION)) == 1


def test_a_mention_the_signal_missed_is_told_by_the_next_run(app, make_plan, make_user):
    plan = make_plan()
    pm, exec_ = make_user(Role.PROJECT_MANAGER), make_user(Role.EXECUTIVE)
    task = tasks.create_task(plan, title="Steering pack", category=tasks.ensure_categories()[0], actor=pm)
    comment = Comment(plan_id=plan.id, target_type="change_tasks", target_id=task.id, author_id=pm.id, body="@exec",
                      mentions=[CommentMention(user_id=exec_.id)])
    db.session.add(comment)
    db.session.commit()  # no signal: a process that stopped before sending it
    services.send_due(today=TODAY)
    services.send_due(today=TODAY)
    assert len(_told(exec_, Kind.MENTION)) == 1


def test_task_owners_are_told_of_their_tasks(app, make_plan, make_user, make_department):
    plan = make_plan()
    department = make_department()
    pm, head = make_user(Role.PROJECT_MANAGER), make_user(Role.DEPARTMENT_HEAD, department)
    category = tasks.ensure_categories()[0]
    tasks.create_task(plan, title="Given by the PM", category=category, actor=pm, owner=head,
                              department=department, due=date(2026, 3, 12))
    tasks.create_task(plan, title="Late", category=category, actor=head, owner=head, department=department,
                      due=date(2026, 3, 1))
    blocked = tasks.create_task(plan, title="Stuck", category=category, actor=head, owner=head, department=department)
    tasks.set_status([blocked], tasks.TaskStatus.BLOCKED, actor=head)
    db.session.commit()
    services.send_due(today=TODAY)
    kinds = {(n.kind, n.params["task"]) for n in _told(head) if n.kind.value.startswith("task_")}
    assert kinds == {(Kind.TASK_ASSIGNED, "Given by the PM"), (Kind.TASK_DUE_SOON, "Given by the PM"),
                     (Kind.TASK_OVERDUE, "Late"), (Kind.TASK_BLOCKED, "Stuck")}  # their own tasks are no news
    assert next(n for n in _told(head, Kind.TASK_ASSIGNED)).params["by"] == pm.name


def test_notify_send_runs_through_the_job_queue(app, runner, head, tmp_path):
    """`notify send --queue` puts a run on the queue; a worker of another instance does it."""
    other = create_app({"TESTING": True, "SECRET_KEY": "queue-test", "JOBS_IN_PROCESS": 0,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "JOBS_SQLITE_FILE": str(tmp_path / "queue.sqlite3")})
    other.instance_path = str(tmp_path / "other")
    try:
        with other.app_context():
            enqueue_send(other)
        assert _told(head) == []  # queued, not run
        with other.app_context():
            huey = jobs.queue(other)
            task = huey.dequeue()
            assert task is not None and task.name == "notifications_send"
            huey.execute(task)
            assert huey.dequeue() is None
    finally:
        with other.app_context():
            db.engine.dispose()
    db.session.expire_all()
    assert {n.kind for n in _told(head)} >= {Kind.REPORT_DUE}


def test_a_mail_program_stops_a_kind_in_one_click_without_a_form_of_ours(app, head):
    """RFC 8058: the mail program posts List-Unsubscribe=One-Click to the header's address, with no CSRF token (the
    signed token in the address is the proof); a forged token changes nothing."""
    token = make_token(head.id, Kind.TASK_OVERDUE)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        assert client.post("/notifications/stop/" + token[:-2] + "xx", data={"List-Unsubscribe": "One-Click"}).status_code == 404
        assert services.preferences(head)[Kind.TASK_OVERDUE] == Channel.BOTH
        response = client.post(f"/notifications/stop/{token}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 204
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert services.preferences(head)[Kind.TASK_OVERDUE] == Channel.NONE


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://localhost", ("localhost", 25, None, None, False, False)),
    ("smtp://crm%40example.com:p%3Ass@mail.example.com:587?starttls=1",
     ("mail.example.com", 587, "crm@example.com", "p:ss", False, True)),
    ("smtps://u:p@mail.example.com", ("mail.example.com", 465, "u", "p", True, False)),
])
def test_the_smtp_server_is_read_from_one_address(url, expected):
    server = parse_smtp_url(url)
    assert (server.host, server.port, server.username, server.password, server.use_ssl, server.use_tls) == expected


@pytest.mark.parametrize("url", ["mail.example.com", "http://mail.example.com", "smtp://host:port", "smtps://h?starttls=1"])
def test_a_wrong_smtp_address_stops_the_app_at_its_start(url):
    with pytest.raises(ConfigError):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMTP_URL": url})


def test_the_steering_committee_hears_of_a_gate_coming_up_until_it_is_decided(app, make_plan, make_user):
    from crmproject.gates import services as gates
    from crmproject.gates.models import GateOutcome
    from crmproject.plans.services import add_phase
    from crmproject.teams import services as teams
    from crmproject.teams.models import TeamRoleKind

    plan = make_plan()
    sponsor, other_exec, head = make_user(Role.EXECUTIVE), make_user(Role.EXECUTIVE), make_user(Role.DEPARTMENT_HEAD)
    soon = gates.create_gate(plan, name="Pilot done", phase=add_phase(plan, name="Pilot", start=date(2026, 1, 1),
                                                                       end=date(2026, 3, 20)))
    gates.create_gate(plan, name="Rollout done", phase=add_phase(plan, name="Rollout", start=date(2026, 3, 21),
                                                                  end=date(2026, 9, 30)))  # months away
    decided = gates.create_gate(plan, name="Design done", phase=add_phase(plan, name="Design", start=date(2026, 1, 1),
                                                                           end=date(2026, 3, 15)))
    gates.record_decision(decided, outcome=GateOutcome.GO, decided_on=TODAY, decided_by="SC", reasoning="",
                          conditions=[], recorded_by=sponsor, today=TODAY)
    # the plan's committee is its team's sponsor: the other executive is not on it
    teams.assign(teams.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor"), user=sponsor,
                 start=date(2026, 1, 1))
    db.session.commit()
    services.send_due(today=TODAY)
    assert [(n.params["gate"], n.params["due"]) for n in _told(sponsor, Kind.GATE_UPCOMING)] == [("Pilot done", "2026-03-20")]
    assert _told(other_exec, Kind.GATE_UPCOMING) == [] and _told(head, Kind.GATE_UPCOMING) == []
    assert _told(sponsor, Kind.GATE_UPCOMING)[0].link.endswith(f"/gates/{soon.id}")


def test_an_email_the_server_refused_is_sent_by_a_later_run(app, smtp, head):
    from crmproject.notifications import mail

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{_closed_port()}"  # the server is away
    mail.init_app(app)
    first = services.send_due(today=TODAY)
    assert first["emails_failed"] == 2 and first["emails_sent"] == 0  # the reports due and overdue
    waiting = _told(head)
    assert {n.email_status for n in waiting} == {EmailStatus.PENDING} and {n.email_attempts for n in waiting} == {1}
    assert all(n.in_app for n in waiting)  # shown in the application meanwhile

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp.port}"  # back
    mail.init_app(app)
    second = services.send_due(today=TODAY)
    assert second["new"] == 0 and second["emails_sent"] == 2 and len(smtp.to(head.email)) == 2
    db.session.expire_all()
    assert {n.email_status for n in _told(head)} == {EmailStatus.SENT}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_two_runs_at_once_tell_each_event_once(app, smtp, head):
    """Two `notify send` at the same moment (two cron hosts): every event recorded once, every e-mail sent once."""
    import threading

    head_id = head.id
    barrier, errors = threading.Barrier(2), []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                services.send_due(today=TODAY)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == head_id)) == 3
    # each event in exactly one e-mail (the two runs may each have sent a part of one kind's events)
    told = [line for m in smtp.to(head.email) for line in m.get_body(preferencelist=("plain",)).get_content().splitlines()
            if line.startswith("- ")]
    assert len(told) == len(set(told)) == 3, told
    assert {n.email_status for n in _told(head)} == {EmailStatus.SENT}


def test_a_deleted_task_takes_its_notifications_and_a_task_given_its_id_is_told_anew(
        app, client, login, make_plan, make_user, make_department):
    plan = make_plan()
    department = make_department()
    pm, head = make_user(Role.PROJECT_MANAGER), make_user(Role.DEPARTMENT_HEAD, department)
    category = tasks.ensure_categories()[0]
    task = tasks.create_task(plan, title="Clean the contact list", category=category, actor=pm, owner=head,
                             department=department)
    db.session.commit()
    services.send_due(today=TODAY)
    assert [n.params["task"] for n in _told(head, Kind.TASK_ASSIGNED)] == ["Clean the contact list"]
    task_id = task.id

    login(pm)
    deleted = client.post(f"/plans/{plan.id}/tasks/{task_id}/delete", follow_redirects=True)
    assert "Task Clean the contact list deleted." in deleted.get_data(as_text=True)
    db.session.expire_all()
    assert [n for n in _told(head) if n.kind.value.startswith("task_")] == []  # none opens a page that is gone

    client.post("/logout")
    login(head)
    assert "Clean the contact list" not in client.get("/notifications").get_data(as_text=True)
    again = tasks.create_task(plan, title="Train the key users", category=category, actor=pm, owner=head,
                              department=department)
    db.session.commit()
    services.send_due(today=TODAY)
    told = [(n.params["task"], n.link.rsplit("/", 1)[1]) for n in _told(head, Kind.TASK_ASSIGNED)]
    assert told == [("Train the key users", str(again.id))]  # told, whether or not the id is the one deleted


def test_a_gate_going_with_its_phase_takes_its_notifications(app, make_plan, make_user):
    from crmproject.gates import services as gates
    from crmproject.plans.services import add_phase, delete_phase
    from crmproject.teams import services as teams
    from crmproject.teams.models import TeamRoleKind

    plan = make_plan()
    sponsor = make_user(Role.EXECUTIVE)
    pilot = add_phase(plan, name="Pilot", start=date(2026, 1, 1), end=date(2026, 3, 20))
    rollout = add_phase(plan, name="Rollout", start=date(2026, 3, 1), end=date(2026, 3, 18))
    gates.create_gate(plan, name="Pilot done", phase=pilot)
    gates.create_gate(plan, name="Rollout done", phase=rollout)
    teams.assign(teams.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor"), user=sponsor,
                 start=date(2026, 1, 1))
    db.session.commit()
    services.send_due(today=TODAY)
    assert sorted(n.params["gate"] for n in _told(sponsor, Kind.GATE_UPCOMING)) == ["Pilot done", "Rollout done"]

    delete_phase(pilot)  # its gate goes with it, by the database's cascade
    db.session.commit()
    assert [n.params["gate"] for n in _told(sponsor, Kind.GATE_UPCOMING)] == ["Rollout done"]
