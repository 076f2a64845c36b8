"""A plan's activity feed: every change and comment of the plan, newest first, as sentences, each shown only to a
reader who may see its object; the audit trail files every entry under its plan (through parents too)."""

from __future__ import annotations

import re
from html import unescape
from datetime import date

from sqlalchemy import select

from crmproject.audit.actor import acting_as
from crmproject.audit.models import AuditEntry, AuditSource
from crmproject.comments import activity, services, targets
from crmproject.extensions import db
from crmproject.gates import services as gates
from crmproject.gates.models import GateOutcome
from crmproject.kpis import services as kpis


def as_user(user):
    return acting_as(user.id, source=AuditSource.WEB)


def happenings(world) -> None:
    """In order: Paula moves Sales' task; Anna writes in her draft report; Paula records a KPI value and comments
    on the task, mentioning Anna."""
    task, draft = world["task_a"], world["draft_a"]
    with as_user(world["pm"]):
        task.due_date = date(2026, 12, 8)
        db.session.commit()
    with as_user(world["head_a"]):
        draft.achievements = "Secret progress"
        db.session.commit()
    with as_user(world["pm"]):
        kpis.record_measurement(world["kpi"], measured_on=date(2026, 3, 1), value=7, department=world["sales"],
                                entered_by=world["pm"])
        db.session.commit()
        services.post_comment(targets.get("change_tasks"), task, author=world["pm"],
                              body="<b>Moved</b>, @head.sales@example.com")
        db.session.commit()


def feed(client, world, query: str = "") -> str:
    response = client.get(f"/plans/{world['plan'].id}/activity{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html.split('<ol class="activity">', 1)[1].split("</ol>", 1)[0] if '<ol class="activity">' in html else ""


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def test_every_entry_is_filed_under_its_plan_through_its_parents(world):
    happenings(world)
    decision = gates.record_decision(
        world["gate"], outcome=GateOutcome.GO_WITH_CONDITIONS, decided_on=date(2026, 6, 2), decided_by="SC", reasoning="",
        conditions=[gates.ConditionValues("Train the rest", world["head_a"], date(2026, 7, 1))], recorded_by=None,
        today=date(2026, 6, 2))
    db.session.commit()
    plan = world["plan"].id
    by_type = {e.object_type: e.plan_id for e in db.session.scalars(select(AuditEntry))}
    assert by_type["kpi_measurements"] == plan  # its KPI's plan
    assert by_type["decision_conditions"] == plan  # its decision's gate's plan
    assert by_type["comments"] == plan and by_type["plans"] is not None
    condition = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "decision_conditions"))
    assert condition.parent_id == decision.id


def test_the_feed_reads_as_sentences_newest_first(world, client, login):
    happenings(world)
    login(world["pm"])
    items = text(feed(client, world))
    comment = items.index("Paula PM commented on “Train Sales” (Change task)")
    value = items.index("Paula PM added")
    report = items.index("Анна Ли changed")
    task = items.index("Paula PM changed “Train Sales” (Change task)")
    assert comment < value < report < task  # newest first
    assert "Due date: 2026-12-08" not in items and re.search(r"Due date: \(empty\) → 2026-12-08", items)
    assert "<b>Moved</b>, @Анна Ли" in items  # the comment as text, its mention as the name
    assert "in “Adoption” (KPI)" in items  # a KPI's value names its KPI


def test_a_department_head_sees_only_what_they_may_see(world, client, login):
    happenings(world)
    login(world["head_b"])
    items = text(feed(client, world))
    assert "Adoption" in items  # the KPI is everyone's
    assert "Train Sales" not in items  # Sales' task, and the comment on it
    assert "Secret progress" not in items and "Анна Ли changed" not in items  # Sales' draft report
    client.post("/logout")
    login(world["head_a"])
    items = text(feed(client, world))
    assert "Train Sales" in items and "Анна Ли changed" in items and "Moved" in items


def test_leadership_sees_every_task_but_no_draft(world, client, login):
    happenings(world)
    login(world["exec"])
    items = text(feed(client, world))
    assert "Paula PM changed “Train Sales”" in items and "Moved" in items
    assert "Анна Ли changed" not in items


def test_the_feed_filters_by_person_and_kind(world, client, login):
    happenings(world)
    login(world["admin"])
    only_anna = text(feed(client, world, f"?who={world['head_a'].id}"))
    assert "Анна Ли changed" in only_anna and "Paula PM" not in only_anna
    only_comments = text(feed(client, world, "?kind=comments"))
    assert "commented on" in only_comments and "Анна Ли changed" not in only_comments
    assert feed(client, world, "?kind=nonsense&who=abc&after=garbage") != ""  # bad filters are ignored


def test_the_feed_pages_onward_without_repeating(world, app):
    happenings(world)
    head_a = world["head_a"]
    with app.test_request_context():  # its links are addresses of the app
        first = activity.activity(world["plan"].id, head_a, activity.ActivityFilter(), per_page=3)
        second = activity.activity(world["plan"].id, head_a, activity.ActivityFilter(), after=first.next, per_page=3)
        everything = activity.activity(world["plan"].id, head_a, activity.ActivityFilter(), per_page=1000)
    ids = [i.entry.id for i in first.items + second.items]
    assert ids == [i.entry.id for i in everything.items][:len(ids)] and len(set(ids)) == len(ids) == 6
    assert everything.next is None
    assert activity.Cursor.parse(first.next.token()) == first.next
    assert [activity.Cursor.parse(t) for t in ("", "2026-5", "99999999999999999999-1", "2026010100000000000x-1")] == [None] * 4


def test_an_entry_about_a_deleted_comment_is_not_told_as_the_comment_that_has_its_id_now(world, client, login):
    """SQLite gives a new row the id of the last one deleted: Anna's comment on the KPI, deleted, and Paula's on
    the task that then has its id are two comments, and the feed and the history tell them apart."""
    from crmproject.comments.models import Comment

    with as_user(world["head_a"]):
        anna = services.post_comment(targets.get("kpis"), world["kpi"], author=world["head_a"], body="Numbers look off")
        db.session.commit()
        old_id = anna.id
        services.delete_comment(anna)
        db.session.commit()
    with as_user(world["pm"]):  # the id again, as SQLite would give it (PostgreSQL never does: set here by hand)
        db.session.add(Comment(id=old_id, plan_id=world["plan"].id, target_type="change_tasks",
                               target_id=world["task_a"].id, author_id=world["pm"].id, body="Ping again"))
        db.session.commit()

    login(world["pm"])
    lines = [text(li) for li in feed(client, world).split("<li")[1:]]
    comments = [line.split("UTC ", 1)[1].strip() for line in lines if "comment" in line]
    assert comments == ["Paula PM commented on “Train Sales” (Change task) Ping again",
                        "Анна Ли deleted a comment on “Adoption” (KPI)",
                        "Анна Ли commented on “Adoption” (KPI)"]
