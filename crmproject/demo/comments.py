"""The demo plan's conversations: the project manager asks Sales about its blocked task and Sales answers; the
sponsor asks about Marketing's latest report and the project manager brings Marketing's head in; the project
manager explains a KPI's dip; the sponsor reminds wave 2 of the pilot gate's condition. Each mentions people by
their e-mail address, as the comment form does."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, UTC

from sqlalchemy import func, select, update

from crmproject.audit.actor import acting_as
from crmproject.audit.models import AuditEntry, AuditSource
from crmproject.auth.models import User
from crmproject.comments import targets
from crmproject.comments.models import Comment
from crmproject.comments.services import post_comment
from crmproject.demo.language import DemoTexts
from crmproject.demo.lookup import template_kpis
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.gates.models import GateDecision, PhaseGate
from crmproject.plans.models import Plan
from crmproject.reports.models import ReportStatus, StatusReport
from crmproject.tasks.models import ChangeTask, TaskStatus


def load_demo_comments(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """The conversations, once (a plan that has comments keeps them)."""
    if db.session.scalar(select(func.count()).select_from(Comment).where(Comment.plan_id == plan.id)):
        return
    users = {u.email: u for u in db.session.scalars(select(User))}
    pm, sponsor = users.get("pm@example.com"), users.get("exec@example.com")
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    sales, marketing = departments.get("SALES"), departments.get("MKT")
    sales_head = sales.heads[0] if sales is not None and sales.heads else None
    marketing_head = marketing.heads[0] if marketing is not None and marketing.heads else None
    if pm is None or sponsor is None or sales is None or marketing is None or sales_head is None or marketing_head is None:
        return

    def say(kind: str, obj, author: User, days_ago: int, hour: int, text: str, **mentions: User) -> None:
        body = texts(text, **{name: f"@{user.email}" for name, user in mentions.items()})
        target = targets.get(kind)
        assert target is not None  # every feature registers its kind when the app is made
        written = datetime.combine(today - timedelta(days=days_ago), time(hour), tzinfo=UTC)
        with acting_as(author.id, source=AuditSource.WEB):  # the activity feed tells it as its author's, then
            comment = post_comment(target, obj, author=author, body=body)
            comment.created_at = written
            db.session.flush()
        db.session.execute(update(AuditEntry).where(AuditEntry.object_type == "comments",
                                                    AuditEntry.object_id == comment.id).values(at=written))

    blocked = db.session.scalar(select(ChangeTask).where(
        ChangeTask.plan_id == plan.id, ChangeTask.department_id == sales.id, ChangeTask.status == TaskStatus.BLOCKED)
        .order_by(ChangeTask.id))
    if blocked is not None:
        say("change_tasks", blocked, pm, 3, 9, "%(head)s what is blocking this, and what can the project team take "
            "off your desk?", head=sales_head)
        say("change_tasks", blocked, sales_head, 2, 16, "The stage definitions wait for the key users' workshop on "
            "Thursday. %(pm)s could the partner's consultant join it?", pm=pm)
    report = db.session.scalar(select(StatusReport).where(
        StatusReport.plan_id == plan.id, StatusReport.department_id == marketing.id,
        StatusReport.status == ReportStatus.SUBMITTED).order_by(StatusReport.period_start.desc()))
    if report is not None:
        say("status_reports", report, sponsor, 6, 11, "%(pm)s Marketing's adoption keeps falling: please put it on "
            "the next steering committee's agenda.", pm=pm)
        say("status_reports", report, pm, 5, 10, "On the agenda. %(head)s could you bring two users who stopped "
            "using the CRM, so we hear why?", head=marketing_head)
    kpi = template_kpis(plan).get("Active users / licensed seats")
    if kpi is not None:
        say("kpis", kpi, pm, 4, 14, "The dip last month is Marketing and Telesales; Sales holds steady. %(sponsor)s "
            "the recovery plan is due before wave 3's gate.", sponsor=sponsor)
    decision = db.session.scalar(select(GateDecision).join(PhaseGate).where(PhaseGate.plan_id == plan.id)
                                 .order_by(GateDecision.id))
    if decision is not None:
        say("gate_decisions", decision, sponsor, 10, 17, "Wave 2's heads: read the pilot's results before your own "
            "go-live. %(head)s thank you for presenting them.", head=sales_head)
    db.session.flush()
