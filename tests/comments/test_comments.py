"""Comments with @mentions on tasks, status reports, KPIs and gate decisions: posting, editing and deleting, the
mentions stored and announced once after the commit (never after a rollback), a mention of someone who may not see
the object refused at the field, another department's object refused to a crafted POST, the text shown as text."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crmproject.comments import services, targets
from crmproject.comments.models import Comment, CommentMention
from crmproject.comments.signals import comment_posted
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.tasks import services as tasks


@pytest.fixture
def heard():
    """What the comment_posted signal said, in order: (comment id, [mentioned user ids])."""
    said = []

    def listen(comment, mentioned):
        said.append((comment.id, sorted(u.id for u in mentioned)))

    comment_posted.connect(listen)
    yield said
    comment_posted.disconnect(listen)


def task_target():
    return targets.get("change_tasks")


def test_a_comment_stores_its_mentions_and_is_announced_once_after_the_commit(world, heard):
    pm, head_a, task = world["pm"], world["head_a"], world["task_a"]
    comment = services.post_comment(task_target(), task, author=pm,
                                    body="Can you check this, @head.sales@example.com? (cc @HEAD.SALES@example.com)")
    assert heard == []  # not before the commit
    db.session.commit()
    assert heard == [(comment.id, [head_a.id])]  # once, the person once
    assert [m.user_id for m in db.session.get(Comment, comment.id).mentions] == [head_a.id]
    assert str(services.render_body(comment)).count("@Анна Ли") == 2  # each mention shown as the name


def test_a_rolled_back_comment_is_never_announced(world, heard):
    services.post_comment(task_target(), world["task_a"], author=world["pm"], body="@head.sales@example.com look")
    db.session.rollback()
    db.session.commit()  # a later commit of the same session does not send what was rolled back
    assert heard == []
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_an_edit_announces_only_the_people_it_newly_mentions(world, heard):
    task, pm = world["task_a"], world["pm"]
    comment = services.post_comment(task_target(), task, author=pm, body="@head.sales@example.com please")
    db.session.commit()
    services.edit_comment(comment, body="@head.sales@example.com please, and @exec@example.com for the budget")
    db.session.commit()
    services.edit_comment(comment, body="@exec@example.com for the budget")  # takes Anna off: no one new
    db.session.commit()
    assert heard == [(comment.id, [world["head_a"].id]), (comment.id, [world["exec"].id])]
    assert {m.user_id for m in db.session.scalars(select(CommentMention))} == {world["exec"].id}
    assert db.session.get(Comment, comment.id).edited_at is not None


def test_a_mention_of_someone_who_may_not_see_the_object_is_refused_by_name(world, heard):
    with pytest.raises(ValidationFailed) as refused:
        services.post_comment(task_target(), world["task_a"], author=world["pm"],
                              body="@head.service@example.com and @nobody@example.com")
    messages = " ".join(refused.value.errors["body"])
    assert "王芳 (head.service@example.com) may not see what this comment is about" in messages
    assert "Nobody has the e-mail address nobody@example.com" in messages
    db.session.rollback()
    assert heard == []


def test_text_that_only_contains_an_address_mentions_nobody():
    found = services.find_mentions("Mail sales@vendor.example, or ping @ann@example.com. Or (@bo@example.com)")
    assert [m.email for m in found] == ["ann@example.com", "bo@example.com"]


def url(world, target: str, key: str) -> str:
    return f"/plans/{world['plan'].id}/comments/{target}/{world[key].id}"


def test_posting_on_the_task_page_without_javascript(world, client, login, open_form):
    login(world["pm"])
    page = f"/plans/{world['plan'].id}/tasks/{world['task_a'].id}"
    form = open_form(page, action=url(world, "change_tasks", "task_a"))
    response = client.post(form.action, data=form.data(body="Ready for UAT?\n@head.sales@example.com please confirm"))
    comment = db.session.scalar(select(Comment))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{page}#comment-{comment.id}")
    html = client.get(page).get_data(as_text=True)
    assert "Ready for UAT?\n" in html and '<bdi class="mention" title="head.sales@example.com">@Анна Ли</bdi>' in html


def test_a_refused_mention_is_shown_at_the_field_with_the_text_kept(world, client, login):
    login(world["pm"])
    response = client.post(url(world, "change_tasks", "task_a"), data={"body": "Over to @head.service@example.com"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "may not see what this comment is about, so cannot be mentioned in it" in html
    assert "Over to @head.service@example.com</textarea>" in html
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


@pytest.mark.parametrize(("who", "target", "key", "status"), [
    ("head_b", "change_tasks", "task_a", 403),  # another department's task
    ("head_b", "status_reports", "draft_a", 403),  # another department's draft
    ("head_b", "status_reports", "submitted_a", 403),  # read, but not theirs to discuss
    ("head_b", "gate_decisions", "decision", 403),  # the committee's
    ("pm", "change_tasks", "other_task", 404),  # another plan's task through this plan's address
    ("pm", "nothing", "task_a", 404),
])
def test_a_crafted_post_on_an_object_one_may_not_discuss_is_refused(world, client, login, who, target, key, status):
    login(world[who])
    response = client.post(url(world, target, key), data={"body": "Sneaky"})
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


@pytest.mark.parametrize(("who", "target", "key"), [
    ("head_a", "change_tasks", "task_a"), ("head_a", "status_reports", "draft_a"), ("head_b", "kpis", "kpi"),
    ("exec", "status_reports", "submitted_a"), ("exec", "gate_decisions", "decision"), ("pm", "gate_decisions", "decision"),
])
def test_who_may_comment(world, client, login, who, target, key):
    login(world[who])
    assert client.post(url(world, target, key), data={"body": "Noted."}).status_code == 302
    assert db.session.scalar(select(Comment.author_id)) == world[who].id


def test_a_script_in_a_comment_is_shown_as_text(world, client, login):
    login(world["pm"])
    client.post(url(world, "kpis", "kpi"), data={"body": '<script>alert("x")</script> & <b>bold</b>'})
    html = client.get(f"/plans/{world['plan'].id}/kpis/{world['kpi'].id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert '<script>alert("x")' not in html


def test_a_comment_is_bounded_and_plain(world, client, login):
    login(world["pm"])
    too_long = client.post(url(world, "kpis", "kpi"), data={"body": "x" * (services.MAX_BODY + 1)})
    control = client.post(url(world, "kpis", "kpi"), data={"body": "a\x00b"})
    empty = client.post(url(world, "kpis", "kpi"), data={"body": "   "})
    assert (too_long.status_code, control.status_code, empty.status_code) == (400, 400, 400)
    assert "control characters" in control.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_comment_as_long_as_the_browser_lets_it_be_is_saved(world, client, login):
    """The browser counts a line break as one character and sends it as two (CR LF): a comment at the limit with
    line breaks is saved, with them as typed; one over it is refused in the reader's language."""
    login(world["pm"])
    lines = "\r\n".join(["x" * 99] * (services.MAX_BODY // 100)) + "x"  # 5,000 characters as the browser counts them
    assert client.post(url(world, "kpis", "kpi"), data={"body": lines}).status_code == 302
    db.session.rollback()
    assert db.session.scalars(select(Comment.body)).one() == lines.replace("\r\n", "\n")
    world["pm"].language = "ru"
    db.session.commit()
    refused = client.post(url(world, "kpis", "kpi"), data={"body": lines + "x"})
    assert refused.status_code == 400 and "Комментарий не может быть длиннее 5000" in refused.get_data(as_text=True)


def test_the_author_edits_and_deletes_their_own_and_an_administrator_deletes_any(world, client, login):
    kpi = world["kpi"]
    comment = services.post_comment(targets.get("kpis"), kpi, author=world["head_a"], body="First")
    db.session.commit()
    base = f"/plans/{world['plan'].id}/comments/{comment.id}"
    login(world["pm"])
    assert client.get(f"{base}/edit").status_code == 403
    assert client.post(f"{base}/edit", data={"body": "Hijacked"}).status_code == 403
    assert client.post(f"{base}/delete").status_code == 403
    client.post("/logout")
    login(world["head_a"])
    assert client.post(f"{base}/edit", data={"body": "Second thoughts"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "Second thoughts"
    client.post("/logout")
    login(world["admin"])
    assert client.post(f"{base}/edit", data={"body": "Admin words"}).status_code == 403
    assert client.post(f"{base}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_gate_decision_thread_sits_under_its_decision(world, client, login):
    login(world["exec"])
    decision = world["decision"]
    response = client.post(url(world, "gate_decisions", "decision"), data={"body": "Go, but watch training."})
    comment = db.session.scalar(select(Comment))
    gate_page = f"/plans/{world['plan'].id}/gates/{world['gate'].id}"
    assert response.headers["Location"].endswith(f"{gate_page}#comment-{comment.id}")
    html = client.get(gate_page).get_data(as_text=True)
    article = html.split(f'id="decision-{decision.id}"', 1)[1].split("</article>", 1)[0]
    assert "Go, but watch training." in article


def test_a_deleted_task_takes_its_comments_with_it(world):
    services.post_comment(task_target(), world["task_a"], author=world["pm"], body="Soon gone")
    db.session.commit()
    tasks.delete_task(world["task_a"])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_the_demo_holds_conversations_with_mentions(load_demo_copy):
    load_demo_copy(today=date.today())
    found = list(db.session.scalars(select(Comment)))
    assert {c.target_type for c in found} == {"change_tasks", "status_reports", "kpis", "gate_decisions"}
    assert all(c.mentions for c in found)  # each names someone who may see what it is about
    for comment in found:
        target = targets.get(comment.target_type)
        obj = target.load(comment.target_id)
        assert all(target.can_see(m.user, obj) for m in comment.mentions)
    # the activity feed tells each as its author's, when it was written
    from crmproject.audit.models import AuditEntry

    recorded = {e.object_id: e for e in db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "comments"))}
    assert {(c.author_id, c.created_at) for c in found} == {(recorded[c.id].user_id, recorded[c.id].at) for c in found}


def test_a_mention_posted_on_the_page_reaches_the_person_mentioned(world, client, login, open_form):
    """The whole way, as people use it: a comment posted through the task page (its transaction ended by the
    request's end), the signal after the commit, and the mentioned head's notification in the app, in their
    header's count and on their notifications page; the author is not told of their own comment."""
    from crmproject.notifications.models import Notification

    login(world["pm"])
    page = f"/plans/{world['plan'].id}/tasks/{world['task_a'].id}"
    form = open_form(page, action=url(world, "change_tasks", "task_a"))
    assert client.post(form.action, data=form.data(body="@head.sales@example.com can Sales start on Monday?")
                       ).status_code == 302
    db.session.rollback()
    told = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind.value) for n in told] == [(world["head_a"].id, "mention")]
    client.post("/logout")
    login(world["head_a"])
    listed = client.get("/notifications").get_data(as_text=True)
    assert "Paula PM" in listed and "Train Sales" in listed


def test_a_department_deleted_takes_the_comments_on_its_reports_with_it(world, make_department, client, login):
    """The database deletes a department's status reports with it (ON DELETE CASCADE); their comments go too, and
    never show on a later report that is given the same id."""
    from crmproject.departments import services as departments
    from crmproject.reports import services as reports

    plan = world["plan"]
    temp = make_department("Temp", "TEMP")
    report = reports.start_report(plan, temp, reports.Period(date(2026, 4, 1), date(2026, 4, 30)), author=None)
    db.session.commit()
    services.post_comment(targets.get("status_reports"), report, author=world["pm"], body="Temp's own remark")
    services.post_comment(task_target(), world["task_a"], author=world["pm"], body="Stays")
    db.session.commit()

    departments.delete_department(temp)
    db.session.commit()
    assert db.session.scalars(select(Comment.body)).all() == ["Stays"]
    assert db.session.scalar(select(func.count()).select_from(CommentMention)) == 0

    later = reports.start_report(plan, world["sales"], reports.Period(date(2026, 5, 1), date(2026, 5, 31)), author=None)
    db.session.commit()
    login(world["head_a"])
    page = client.get(f"/plans/{plan.id}/reports/{later.id}")
    assert page.status_code == 200 and "Temp&#39;s own remark" not in page.get_data(as_text=True)
    assert "own remark" not in page.get_data(as_text=True)


def _told(user) -> list[str]:
    from crmproject.notifications.models import Notification

    db.session.expire_all()
    return [n.params["excerpt"] for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_a_name_dropped_and_put_back_in_edits_is_told_once(world):
    comment = services.post_comment(task_target(), world["task_a"], author=world["pm"],
                                    body="@head.sales@example.com look")
    db.session.commit()
    services.edit_comment(comment, body="look")
    db.session.commit()
    services.post_comment(targets.get("kpis"), world["kpi"], author=world["pm"], body="@exec@example.com fyi")
    db.session.commit()
    services.edit_comment(comment, body="@head.sales@example.com look again")
    db.session.commit()
    assert _told(world["head_a"]) == ["@Анна Ли look"]


def test_a_deleted_comment_takes_its_notifications_and_a_new_comment_is_told(world):
    first = services.post_comment(task_target(), world["task_a"], author=world["pm"],
                                  body="@head.sales@example.com first")
    db.session.commit()
    assert _told(world["head_a"]) == ["@Анна Ли first"]
    services.delete_comment(first)
    db.session.commit()
    assert _told(world["head_a"]) == []
    services.post_comment(targets.get("kpis"), world["kpi"], author=world["pm"],
                          body="@head.sales@example.com second, on the KPI")
    db.session.commit()
    assert _told(world["head_a"]) == ["@Анна Ли second, on the KPI"]


def test_a_comment_saved_stays_a_success_when_its_mentions_cannot_be_told_at_once(world, client, login, monkeypatch,
                                                                                   open_form):
    """Telling the people mentioned happens after the comment's commit: a failure there is logged and left to
    `notify send`, which tells them on its next run; the poster sees their comment saved, not an error."""
    from sqlalchemy.exc import OperationalError

    from crmproject.notifications import collect
    from crmproject.notifications import services as notifications
    from crmproject.notifications.mail import link_context

    def locked(mention_ids):
        raise OperationalError("INSERT INTO notifications", {}, Exception("database is locked"))

    monkeypatch.setattr(notifications, "notify_mentions", locked)
    login(world["pm"])
    page = f"/plans/{world['plan'].id}/tasks/{world['task_a'].id}"
    form = open_form(page, action=url(world, "change_tasks", "task_a"))
    answer = client.post(form.action, data=form.data(body="@head.sales@example.com ready?"))
    assert answer.status_code == 302
    db.session.rollback()
    assert db.session.scalars(select(Comment.body)).all() == ["@head.sales@example.com ready?"]
    assert _told(world["head_a"]) == []
    monkeypatch.undo()
    found = collect.Collected()
    with link_context():  # as `notify send` runs, outside a request
        collect.mentions(found)
    assert [e.user.id for e in found.events] == [world["head_a"].id]
