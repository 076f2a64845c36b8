"""The rows of a plan's timeline (frappe-gantt's task format, static/js/timeline.js draws them): the phases,
each wave's go-live and the change tasks with dates, with a baseline's dates beside them where one is chosen.
It gathers plans, tasks and baselines, so it lives above them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crmproject.baselines.models import BaselineItem, BaselineItemKind, PlanBaseline
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import Phase, Plan
from crmproject.tasks.models import ChangeTask, TaskStatus

TASKS_SHOWN = 300  # frappe-gantt draws every bar as SVG: beyond a few hundred the page gets slow on a phone
PROGRESS = {TaskStatus.DONE: 100, TaskStatus.IN_PROGRESS: 50, TaskStatus.BLOCKED: 25}


@dataclass(frozen=True)
class Timeline:
    rows: list[dict]
    tasks_total: int  # with dates, in the chosen phase
    tasks_shown: int
    undated: int  # tasks without any date: not on the timeline


def _baseline_dates(baseline: PlanBaseline | None) -> dict[tuple[BaselineItemKind, int], tuple[date | None, date | None]]:
    if baseline is None:
        return {}
    rows = db.session.execute(select(BaselineItem.kind, BaselineItem.object_id, BaselineItem.start_date,
                                     BaselineItem.end_date).where(BaselineItem.baseline_id == baseline.id)).all()
    return {(kind, object_id): (start, end) for kind, object_id, start, end in rows}


def _with_baseline(row: dict, dates: tuple[date | None, date | None] | None) -> dict:
    if dates is not None and dates[1] is not None:
        start, end = dates[0] or dates[1], dates[1]
        row["baseline"] = {"start": start.isoformat(), "end": end.isoformat()}
        if (start.isoformat(), end.isoformat()) != (row["start"], row["end"]):
            row["classes"].append("moved")
    return row


def timeline(plan: Plan, *, baseline: PlanBaseline | None, phase: Phase | None, can_move: Callable[[ChangeTask], bool],
             scope: int | None | bool = True, viewer_id: int | None = None) -> Timeline:
    """Rows in order: each phase followed by the go-lives in it and then its tasks by start; tasks of no phase
    last. `can_move` says which tasks the reader may drag (the others are drawn locked); `scope` which tasks
    they may see at all (auth.permissions.task_department_scope: a department head sees their department's
    tasks, and those they own, `viewer_id`)."""
    kept = _baseline_dates(baseline)
    visible = ChangeTask.plan_id == plan.id
    if scope is not True:
        visible = visible & ((ChangeTask.department_id == scope) | (ChangeTask.owner_id == viewer_id))
    dated = visible & ((ChangeTask.start_date.is_not(None)) | (ChangeTask.due_date.is_not(None)))
    query = select(ChangeTask).where(dated).options(selectinload(ChangeTask.depends_on))
    if phase is not None:
        query = query.where(ChangeTask.phase_id == phase.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tasks = list(db.session.scalars(query.order_by(func.coalesce(ChangeTask.start_date, ChangeTask.due_date),
                                                   ChangeTask.id).limit(TASKS_SHOWN)))
    undated = db.session.scalar(select(func.count()).select_from(ChangeTask).where(
        visible, ChangeTask.start_date.is_(None), ChangeTask.due_date.is_(None))) or 0
    shown = {t.id for t in tasks}
    phases = [p for p in plan.phases if phase is None or p.id == phase.id]
    rows: list[dict] = []
    for p in phases:
        rows.append(_with_baseline({
            "id": f"phase-{p.id}", "name": p.name, "start": p.start_date.isoformat(), "end": p.end_date.isoformat(),
            "progress": 0, "custom_class": "tl-phase", "classes": ["locked"], "kind": "phase"}, kept.get((BaselineItemKind.PHASE, p.id))))
        for w in plan.waves:
            if p.start_date <= w.go_live_date <= p.end_date:
                rows.append(_with_baseline({
                    "id": f"wave-{w.id}", "name": _("Go-live: %(wave)s", wave=w.name), "start": w.go_live_date.isoformat(),
                    "end": w.go_live_date.isoformat(), "progress": 0, "custom_class": "tl-wave", "classes": ["locked"],
                    "kind": "wave"},
                    (lambda d: (d[1], d[1]) if d else None)(kept.get((BaselineItemKind.WAVE, w.id)))))
        rows.extend(_task_row(t, kept, shown, can_move) for t in tasks if t.phase_id == p.id)
    drawn = {p.id for p in phases}
    rows.extend(_task_row(t, kept, shown, can_move) for t in tasks if t.phase_id not in drawn)
    return Timeline(rows, total, len(tasks), undated)


def _task_row(task: ChangeTask, kept, shown: set[int], can_move) -> dict:
    start = task.start_date or task.due_date
    due = task.due_date or task.start_date
    assert start is not None and due is not None
    # frappe-gantt takes one class per bar (custom_class); the others are added by static/js/timeline.js
    classes = [f"status-{task.status.value}"]
    if not can_move(task):
        classes.append("locked")
    return _with_baseline({
        "id": f"task-{task.id}", "name": task.title, "start": start.isoformat(), "end": due.isoformat(),
        "progress": PROGRESS.get(task.status, 0), "custom_class": "tl-task", "classes": classes, "kind": "task",
        "dependencies": ",".join(f"task-{d.id}" for d in task.depends_on if d.id in shown),
        "task": task.id, "version": task.version, "status": str(task.status.label),
    }, kept.get((BaselineItemKind.TASK, task.id)))
