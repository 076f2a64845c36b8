"""The demo plan's hypercare: what each live department's people reported in the weeks after its go-live.

The pilot (Sales) left hypercare long ago; in wave 2 Marketing still waits for the newsletter integration and
Telesales resolved too much too late, so wave 3's gate shows hypercare not exited; wave 3 went live two weeks
ago and is in hypercare now, with open issues."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.demo.language import DemoTexts
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.hypercare.models import HypercareIssue, IssueCategory, IssueSeverity
from crmproject.hypercare.services import IssueValues, go_lives, log_issue
from crmproject.plans.models import Plan
from crmproject.plans.services import plan_zone

C, H, M, L = IssueSeverity.CRITICAL, IssueSeverity.HIGH, IssueSeverity.MEDIUM, IssueSeverity.LOW
DEFECT, DATA, ACCESS, HOW_TO, INTEGRATION, CHANGE = (
    IssueCategory.DEFECT, IssueCategory.DATA, IssueCategory.ACCESS, IssueCategory.HOW_TO, IssueCategory.INTEGRATION,
    IssueCategory.CHANGE_REQUEST)

# department: (issue, severity, category, reported by, days after go-live, hour, hours to the first response,
# hours to the resolution or None while open, the resolution)
ISSUES: dict[str, list[tuple]] = {
    "SALES": [
        ("Deal stages do not match our sales process", H, CHANGE, "Olga Petrova", 0, 10, 1.5, 20,
         "Stages renamed and the 'negotiation' stage added."),
        ("Cannot see the customer's order history", H, INTEGRATION, "Pavel Morozov", 0, 14, 2, 22, "ERP order view switched on for Sales."),
        ("Where do I log a call?", L, HOW_TO, "Irina Sokolova", 1, 9, 3, 5, "Shown in the key-user session; added to the FAQ."),
        ("Duplicate accounts after the data migration", M, DATA, "Pavel Morozov", 1, 11, 4, 60, "412 duplicates merged by the data steward."),
        ("Mobile app logs me out every hour", M, DEFECT, "Dmitry Orlov", 2, 8, 6, 48, "Session lifetime set to 12 hours."),
        ("Quote PDF shows the wrong VAT rate", C, DEFECT, "Olga Petrova", 3, 10, 0.5, 6, "Tax table corrected; 17 quotes re-sent."),
        ("Forgot how to reassign a lead", L, HOW_TO, "Elena Volkova", 5, 15, 10, 20, "Answered; one-page guide sent to Sales."),
        ("Pipeline report times out", H, DEFECT, "Olga Petrova", 8, 9, 3, 22, "Index added; the report opens in 2 seconds."),
        ("Need read access to the service tickets", M, ACCESS, "Dmitry Orlov", 10, 12, 5, 30, "Read role granted to Sales."),
        ("E-mail sync misses attachments", M, INTEGRATION, "Irina Sokolova", 15, 10, 7, 80, "Connector updated to the vendor's fix."),
        ("Export to Excel cuts long names", L, DEFECT, "Elena Volkova", 20, 16, 20, 100, "Column width fixed in the export template."),
    ],
    "MKT": [
        ("Campaign lists do not refresh", H, INTEGRATION, "Marina Kuznetsova", 0, 10, 2, 40, "Nightly refresh job re-enabled."),
        ("Cannot import the event contacts", M, DATA, "Chen Wei", 1, 11, 3, 30, "Import template corrected; 1,240 contacts loaded."),
        ("Unsubscribe link opens a blank page", C, DEFECT, "Marina Kuznetsova", 2, 9, 0.5, 5, "Landing page redeployed."),
        ("How do I combine conditions in a segment?", L, HOW_TO, "Chen Wei", 3, 14, 8, 12, "Explained; the key user runs a clinic."),
        ("Newsletter tool drops the 'opened' events", H, INTEGRATION, "Marina Kuznetsova", 6, 10, 3, None, ""),
        ("Lead scoring fields missing on the web form", M, CHANGE, "Chen Wei", 9, 11, 12, 100, "Fields added to the form."),
    ],
    "KAM": [
        ("Key account hierarchy is flat", M, CHANGE, "Daniel Fischer", 1, 10, 4, 50, "Parent account field added."),
        ("Cannot see the contract values", H, ACCESS, "Daniel Fischer", 2, 9, 1, 6, "Contract role granted."),
    ],
    "TELE": [
        ("The dialer does not open the customer card", H, INTEGRATION, "Leila Karimi", 0, 9, 5, 30, "Telephony connector reconfigured."),
        ("Call scripts are missing", M, HOW_TO, "Leila Karimi", 1, 10, 2, 20, "Scripts loaded into the knowledge base."),
        ("Call outcome list is too long", L, CHANGE, "Leila Karimi", 4, 11, 30, 140, "Shortened to eight outcomes."),
    ],
    "CS": [
        ("Web-form tickets arrive without the customer", C, INTEGRATION, "Ivan Sokolov", 0, 9, 0.5, 7, "Matching on e-mail address added."),
        ("SLA timers count weekends", H, DEFECT, "Ivan Sokolov", 1, 10, 2, None, ""),
        ("How do I merge two tickets?", L, HOW_TO, "Agent on the 2nd line", 2, 11, 4, 6, "Answered; added to the FAQ."),
        ("Knowledge base search finds nothing in Russian", M, DEFECT, "Ivan Sokolov", 5, 10, 6, 50, "Russian stemming switched on."),
        ("Agents cannot see the customer's orders", H, ACCESS, "Agent on the 1st line", 9, 9, 1, 10, "Order view role granted."),
        ("Escalation e-mails go to the old team address", M, DEFECT, "Ivan Sokolov", 11, 14, 3, None, ""),
        ("Queue view is slow in the morning", M, DEFECT, "Agent on the 1st line", 12, 9, 10, None, ""),
    ],
    "SUP": [
        ("Remote session link is not logged on the ticket", M, INTEGRATION, "Sara Ahmadi", 1, 10, 5, 30, "Link field added to the ticket."),
        ("Screenshots over 5 MB cannot be attached", L, DEFECT, "Sara Ahmadi", 3, 13, 30, None, ""),
    ],
}


def load_demo_hypercare(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Log the demo's hypercare issues of every department live by `today`, once."""
    if db.session.scalar(select(HypercareIssue.id).where(HypercareIssue.plan_id == plan.id).limit(1)) is not None:
        return
    zone = plan_zone(plan)
    now = datetime.combine(today, time(8), tzinfo=zone)
    codes = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(list(ISSUES))))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    desk, pm = users.get("head.sup@example.com"), users.get("pm@example.com")
    waves = go_lives(plan)
    for code, issues in ISSUES.items():
        department = codes.get(code)
        wave = waves.get(department.id) if department is not None else None
        if wave is None or wave.go_live_date >= today:
            continue
        for title, severity, category, reporter, day, hour, respond, resolve, resolution in issues:
            reported = datetime.combine(wave.go_live_date + timedelta(days=day), time(hour), tzinfo=zone)
            if reported >= now:
                continue
            answered = reported + timedelta(hours=respond)
            resolved = reported + timedelta(hours=resolve) if resolve is not None else None
            log_issue(plan, IssueValues(
                department=department, title=texts(title), severity=severity, category=category, reported_at=reported,
                reported_by=texts(reporter), handler=pm if category == CHANGE else desk,
                first_response_at=answered if answered < now else None,
                resolved_at=resolved if resolved is not None and resolved < now else None,
                resolution=texts(resolution) if resolved is not None and resolved < now else ""), actor=desk, now=now)
