"""The issue's "done": in the demo, a head with a report due gets an e-mail through a local SMTP server and sees the
notification in the app; a second run sends nothing; the e-mail's stop link stops that kind."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.extensions import db
from crmproject.notifications import services
from crmproject.notifications.kinds import Channel, Kind
from crmproject.notifications.models import Notification

HEAD = "head.sales@example.com"
PASSWORD = "northwind-demo"


def _bodies(message) -> tuple[str, str]:
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def test_a_head_with_a_report_due_is_told_by_email_and_in_the_app_once(app, client, runner, smtp, load_demo_copy):
    today = date.today()
    load_demo_copy(today=today)

    result = runner("notify", "send", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["smtp"] is True and summary["by_kind"]["report_due"] >= 1 and summary["emails_sent"] >= 1

    # the head of Sales got one e-mail about the report due, with its stop link and a link to write it
    reports_due = [m for m in smtp.to(HEAD) if "status report" in m["Subject"]]
    assert len(reports_due) == 1, [m["Subject"] for m in smtp.to(HEAD)]
    message = reports_due[0]
    assert "Sales" in message["Subject"] and "due on" in message["Subject"]
    assert message["From"] == "Northwind CRM <crm@example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop = re.fullmatch(r"<(https://crm\.example\.com/notifications/stop/[^>]+)>", message["List-Unsubscribe"].strip()).group(1)
    text, html = _bodies(message)
    assert "https://crm.example.com/plans/" in text and "/reports/write?department=" in text
    assert stop in text and f'href="{stop}"' in html

    # leadership's weekly digest: the headline figures and what changed; adoption warnings to the heads concerned
    (digest,) = [m for m in smtp.to("exec@example.com") if "changes recorded" in m["Subject"]]
    digest_text, _html = _bodies(digest)
    assert "Departments live:" in digest_text and "Early warning: Marketing, Strong start, then fading" in digest_text
    assert [m["Subject"] for m in smtp.to("head.mkt@example.com") if "adoption is fading" in m["Subject"]]
    assert [m["Subject"] for m in smtp.to("head.tele@example.com") if "adoption shows no effect" in m["Subject"]]

    # ... and sees it in the application, with the unread count in the header
    client.post("/login", data={"email": HEAD, "password": PASSWORD})
    page = client.get("/notifications").get_data(as_text=True)
    assert "Sales: the status report for" in page
    assert re.search(r'class="count-badge"[^>]*>\d+<', page)

    # a second run finds the same events and tells nobody again
    sent_before = len(smtp.messages)
    again = json.loads(runner("notify", "send", "--json").output)
    assert again["new"] == 0 and again["emails_sent"] == 0 and again["events_found"] == summary["events_found"]
    assert len(smtp.messages) == sent_before

    # the stop link asks first (a GET changes nothing), then stops that kind for that user
    path = stop.removeprefix("https://crm.example.com")
    anonymous = app.test_client()
    assert "Stop these notifications" in anonymous.get(path).get_data(as_text=True)
    head = db.session.scalar(select(User).where(User.email == HEAD))
    assert services.preferences(head)[Kind.REPORT_DUE] == Channel.BOTH
    assert anonymous.post(path).status_code == 200
    db.session.expire_all()
    assert services.preferences(head)[Kind.REPORT_DUE] == Channel.NONE

    # the next period's report falls due: the head of Sales is no longer told of it, others still are
    later = services.send_due(today=today + timedelta(days=40))
    assert later["by_kind"]["report_due"] >= 1
    assert [m["Subject"] for m in smtp.to(HEAD)[sent_before:] if "is due on" in m["Subject"]] == []
    told = db.session.scalars(select(Notification).where(Notification.user_id == head.id,
                                                         Notification.kind == Kind.REPORT_DUE)).all()
    assert len(told) == 2 and sum(n.in_app for n in told) == 1  # the new one is recorded, not shown
