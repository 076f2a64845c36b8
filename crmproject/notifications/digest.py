"""The weekly digest for leadership: the dashboard's headline figures and early warnings, and what changed in the
week (the audit trail's changes by kind of object, tasks finished, reports submitted, gate decisions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, UTC
from typing import Any

from sqlalchemy import func, select

from crmproject.audit.models import CHANGES, AuditEntry
from crmproject.extensions import db
from crmproject.gates.models import GateDecision, PhaseGate
from crmproject.plans.models import Plan
from crmproject.reports.models import StatusReport
from crmproject.tasks.models import ChangeTask, TaskChange, TaskStatus

TOP_TYPES = 6  # the kinds of object changed most, named in the digest


def week_summary(plan: Plan, *, end: date, board=None) -> dict[str, Any]:
    """The week ending on `end` (a Sunday), as values: kinds.message() and the e-mail write them out."""
    start = end - timedelta(days=6)
    first = datetime.combine(start, time(0), UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), UTC)
    by_type = db.session.execute(
        select(AuditEntry.object_type, func.count()).where(AuditEntry.plan_id == plan.id, AuditEntry.at >= first,
                                                          AuditEntry.at < after, AuditEntry.action.in_(CHANGES))
        .group_by(AuditEntry.object_type).order_by(func.count().desc(), AuditEntry.object_type)).all()
    summary: dict[str, Any] = {
        "plan": plan.name, "start": start.isoformat(), "end": end.isoformat(),
        "changes": sum(n for _type, n in by_type),
        "by_type": [[object_type or "", n] for object_type, n in by_type[:TOP_TYPES]],
        "tasks_done": db.session.scalar(
            select(func.count(func.distinct(TaskChange.task_id))).join(ChangeTask, ChangeTask.id == TaskChange.task_id)
            .where(ChangeTask.plan_id == plan.id, TaskChange.field == "status",
                   TaskChange.new_value == TaskStatus.DONE.value, TaskChange.changed_at >= first,
                   TaskChange.changed_at < after)) or 0,
        "reports_submitted": db.session.scalar(
            select(func.count()).select_from(StatusReport)
            .where(StatusReport.plan_id == plan.id, StatusReport.submitted_at >= first,
                   StatusReport.submitted_at < after)) or 0,
        "decisions": [[gate, outcome] for gate, outcome in db.session.execute(
            select(PhaseGate.name, GateDecision.outcome).join(PhaseGate, PhaseGate.id == GateDecision.gate_id)
            .where(PhaseGate.plan_id == plan.id, GateDecision.recorded_at >= first, GateDecision.recorded_at < after)
            .order_by(GateDecision.id))],
    }
    if board is not None:
        h = board.headline
        summary["headline"] = {
            "departments": h.departments, "live": h.live, "adoption": h.adoption, "target": h.target,
            "training": h.training, "kpis_green": h.kpis_green, "kpis_measured": h.kpis_measured,
            "overdue_tasks": h.overdue_tasks, "not_reported": h.not_reported}
        summary["warnings"] = [[row.name, row.verdict.shape.value] for row in board.warnings]
    return summary
