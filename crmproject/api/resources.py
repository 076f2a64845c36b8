"""The API's resources: thin, each loads, applies the page's permission rule, calls the feature's service."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, request
from flask.views import MethodView
from flask_login import current_user

from crmproject.adoption import services as adoption
from crmproject.adoption.usage_read import UsageImportFailed
from crmproject.api import bp
from crmproject.api import schemas as s
from crmproject.api.ingest import ingest_events
from crmproject.auth.models import User
from crmproject.auth.permissions import (can_enter_measurement, can_manage_users, can_read_report, can_update_task,
                                         can_view_task, can_write_report, require, task_department_scope)
from crmproject.departments import services as departments
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Kpi
from crmproject.plans import services as plans
from crmproject.plans.lookup import child_or_404, plan_or_404
from crmproject.plans.models import Phase, Plan
from crmproject.reports import services as reports
from crmproject.reports.models import ReportStatus, StatusReport
from crmproject.tasks import services as tasks
from crmproject.tasks.models import ChangeTask
from crmproject.teams import services as teams
from crmproject.training import completion as training_completion
from crmproject.training import services as training



def _plan(plan_id: int) -> Plan:
    return plan_or_404(plan_id, description=_("There is no plan %(id)s.", id=plan_id))


def _child(model, plan: Plan, child_id: int):
    return child_or_404(model, plan, child_id, description=_("This plan has nothing with the id %(id)s here.",
                                                               id=child_id))


def _stored(obj):
    """The object as the database keeps it (flushed and read back: a value at its stored scale), for the answer
    to a write; the request's end commits it (crmproject.transactions)."""
    db.session.flush()
    db.session.refresh(obj)
    return obj


def _get(model, object_id: int | None, field: str):
    """The object a request names by id, or a 422 naming the field."""
    if object_id is None:
        return None
    found = db.session.get(model, object_id)
    if found is None:
        raise ValidationFailed(_("Nothing has the id %(id)s.", id=object_id), field=field)
    return found


# --- plans, phases, waves, departments, team --------------------------------------------------------------


@bp.route("/plans")
class Plans(MethodView):
    @bp.doc(tags=["Plans"])
    @bp.response(200, s.PlanSchema(many=True))
    def get(self):
        """Every plan."""
        return plans.list_plans()


@bp.route("/plans/<int:plan_id>")
class PlanResource(MethodView):
    @bp.doc(tags=["Plans"])
    @bp.response(200, s.PlanSchema)
    def get(self, plan_id: int):
        """One plan."""
        return _plan(plan_id)


@bp.route("/plans/<int:plan_id>/phases")
class Phases(MethodView):
    @bp.doc(tags=["Plans"])
    @bp.response(200, s.PhaseSchema(many=True))
    def get(self, plan_id: int):
        """The plan's phases, in order."""
        return _plan(plan_id).phases


@bp.route("/plans/<int:plan_id>/waves")
class Waves(MethodView):
    @bp.doc(tags=["Plans"])
    @bp.response(200, s.WaveSchema(many=True))
    def get(self, plan_id: int):
        """The plan's waves (the pilot first) and their departments."""
        return _plan(plan_id).waves


@bp.route("/plans/<int:plan_id>/team")
class Team(MethodView):
    @bp.doc(tags=["Plans"])
    @bp.response(200, s.TeamRoleSchema(many=True))
    def get(self, plan_id: int):
        """The project team: its roles and who holds (or held) each."""
        return teams.list_roles(_plan(plan_id))


@bp.route("/departments")
class Departments(MethodView):
    @bp.doc(tags=["Departments"])
    @bp.response(200, s.DepartmentSchema(many=True))
    def get(self):
        """Every department."""
        return departments.list_departments()


@bp.route("/departments/<int:department_id>")
class DepartmentResource(MethodView):
    @bp.doc(tags=["Departments"])
    @bp.response(200, s.DepartmentSchema)
    def get(self, department_id: int):
        """One department."""
        department = db.session.get(Department, department_id)
        if department is None:
            abort(404, _("There is no department %(id)s.", id=department_id))
        return department


# --- change tasks --------------------------------------------------------------------------------------------


def _task(plan: Plan, task_id: int) -> ChangeTask:
    task = _child(ChangeTask, plan, task_id)
    require(can_view_task(current_user, task))
    return task


@bp.route("/plans/<int:plan_id>/tasks")
class Tasks(MethodView):
    @bp.doc(tags=["Tasks"])
    @bp.arguments(s.TaskQuerySchema, location="query")
    @bp.response(200, s.TaskSchema(many=True), headers={"X-Total-Count": {"schema": {"type": "integer"}}})
    def get(self, query: dict, plan_id: int):
        """The plan's tasks the caller may see (a department head: their department's), a page at a time."""
        plan = _plan(plan_id)
        flt = tasks.TaskFilter(status=query.get("status"), department_id=query.get("department_id"))
        found, total = tasks.find_tasks(plan, flt, scope=task_department_scope(current_user), today=date.today(),
                                        page=query["page"], per_page=query["per_page"])
        return found, 200, {"X-Total-Count": str(total)}


def _version(body: dict) -> int:
    """The version a write was based on: the body's `version`, else the If-Match header ("3" or W/"3")."""
    if "version" in body:
        return body.pop("version")
    tag = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if tag.isdigit() and len(tag) < 19:
        return int(tag)
    raise ValidationFailed(_("Send the version the change is based on: a 'version' field or an If-Match header."),
                           field="version")


@bp.route("/plans/<int:plan_id>/tasks/<int:task_id>")
class TaskResource(MethodView):
    @bp.doc(tags=["Tasks"])
    @bp.response(200, s.TaskSchema)
    def get(self, plan_id: int, task_id: int):
        """One task; its version is also its ETag."""
        task = _task(_plan(plan_id), task_id)
        return task, 200, {"ETag": f'"{task.version}"'}

    @bp.doc(tags=["Tasks"])
    @bp.arguments(s.TaskPatchSchema)
    @bp.response(200, s.TaskSchema)
    @bp.alt_response(409, description="The task was saved by someone else since `version`: read it again.")
    def patch(self, body: dict, plan_id: int, task_id: int):
        """Change a task's fields, as its edit page does (a department head: their department's tasks, kept in
        their department)."""
        plan = _plan(plan_id)
        task = _task(plan, task_id)
        require(can_update_task(current_user, task))
        version = _version(body)
        changes = dict(body)
        for field, model in (("phase_id", Phase), ("department_id", Department), ("owner_id", User)):
            if field in changes:
                changes[field.removesuffix("_id")] = _get(model, changes.pop(field), field)
        if changes.get("phase") is not None and changes["phase"].plan_id != plan.id:
            raise ValidationFailed(_("Phase %(id)s is not a phase of this plan.", id=changes["phase"].id), field="phase_id")
        if changes.get("owner") is not None and not changes["owner"].active:
            raise ValidationFailed(_("User %(id)s is deactivated.", id=changes["owner"].id), field="owner_id")
        scope = task_department_scope(current_user)
        if "department" in changes and scope is not True:
            wanted = changes["department"].id if changes["department"] else None
            if wanted not in (scope, task.department_id):
                raise ValidationFailed(_("A department head keeps tasks in their own department."), field="department_id")
        tasks.change_task(task, version=version, actor=current_user, **changes)
        task = _stored(task)
        return task, 200, {"ETag": f'"{task.version}"'}


# --- KPIs and their values ---------------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/kpis")
class Kpis(MethodView):
    @bp.doc(tags=["KPIs"])
    @bp.response(200, s.KpiSchema(many=True))
    def get(self, plan_id: int):
        """The plan's KPIs."""
        return kpis.list_kpis(_plan(plan_id))


@bp.route("/plans/<int:plan_id>/kpis/<int:kpi_id>/values")
class KpiValues(MethodView):
    @bp.doc(tags=["KPIs"])
    @bp.arguments(s.PageSchema, location="query")
    @bp.response(200, s.KpiValueSchema(many=True))
    def get(self, query: dict, plan_id: int, kpi_id: int):
        """The KPI's measured values, newest first."""
        kpi = _child(Kpi, _plan(plan_id), kpi_id)
        return kpis.measurements(kpi, limit=query["per_page"], offset=(query["page"] - 1) * query["per_page"])

    @bp.doc(tags=["KPIs"])
    @bp.arguments(s.KpiValueSchema)
    @bp.response(201, s.KpiValueSchema)
    def post(self, body: dict, plan_id: int, kpi_id: int):
        """Record a value (for a department, or the whole plan without one); the same day again replaces it.
        Planners enter any value, a department head their own department's."""
        kpi = _child(Kpi, _plan(plan_id), kpi_id)
        department = _get(Department, body["department_id"], "department_id")
        require(can_enter_measurement(current_user, department.id if department else None))
        measurement = kpis.record_measurement(kpi, measured_on=body["measured_on"], value=body["value"],
                                              department=department, entered_by=current_user, note=body["note"])
        return _stored(measurement)


# --- status reports ------------------------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/status-reports")
class Reports(MethodView):
    @bp.doc(tags=["Status reports"])
    @bp.arguments(s.ReportQuerySchema, location="query")
    @bp.response(200, s.ReportSchema(many=True))
    def get(self, query: dict, plan_id: int):
        """Each department's report of a period: the submitted one, or a draft where the caller may read it
        (its department's head and the planners)."""
        plan = _plan(plan_id)
        period = reports.period_for(plan, query.get("period") or reports.plan_today(plan))
        return reports.period_reports(plan, period, include_drafts_of=lambda r: can_read_report(current_user, r))

    @bp.doc(tags=["Status reports"])
    @bp.arguments(s.ReportWriteSchema)
    @bp.response(200, s.ReportSchema)
    @bp.alt_response(409, description="The draft was saved by someone else since `version`.")
    def put(self, body: dict, plan_id: int):
        """Write a department's report of a period, as its page does: a draft kept, or submitted."""
        plan = _plan(plan_id)
        department = _get(Department, body["department_id"], "department_id")
        require(can_write_report(current_user, department.id))
        if department.id not in {d.id for d in reports.reporting_departments(plan)}:
            raise ValidationFailed(_("%(name)s is not in any wave of this plan, so it does not report on it.",
                                     name=department.name), field="department_id")
        today = reports.plan_today(plan)
        period = reports.period_for(plan, min(body.get("period") or today, today))
        existing = reports.reports_of(plan, department, period)
        draft = next((r for r in existing if r.status == ReportStatus.DRAFT), None)
        if draft is None and existing:
            abort(409, _("This period's report was submitted: amend it on its page to change it."))
        if draft is not None and body.get("version") != draft.version:
            abort(409, _("The draft is at version %(version)s: read it again and send that version.", version=draft.version))
        due = reports.kpis_due(plan, department, period)
        due_ids = {k.id for k in due}
        values = {int(k): v for k, v in body["values"].items()}
        unknown = sorted(set(values) - due_ids)
        if unknown:
            raise ValidationFailed(_("KPI %(id)s is not due in this report.", id=unknown[0]), field=f"values.{unknown[0]}")
        content = reports.ReportContent(overall_rag=body["overall_rag"], achievements=body["achievements"],
                                        blockers=body["blockers"], next_steps=body["next_steps"],
                                        help_needed=body["help_needed"], values=values)
        report = draft or reports.start_report(plan, department, period, author=current_user)
        if body["action"] == "submit":
            reports.submit(report, content, author=current_user, due_kpis=due)
        else:
            reports.save_draft(report, content, author=current_user)
        return _stored(report)


@bp.route("/plans/<int:plan_id>/status-reports/<int:report_id>")
class ReportResource(MethodView):
    @bp.doc(tags=["Status reports"])
    @bp.response(200, s.ReportSchema)
    def get(self, plan_id: int, report_id: int):
        """One report; a draft only for its department's head and the planners."""
        report = _child(StatusReport, _plan(plan_id), report_id)
        require(can_read_report(current_user, report))
        return report


# --- training and adoption ---------------------------------------------------------------------------------------


@bp.route("/training/courses")
class Courses(MethodView):
    @bp.doc(tags=["Training"])
    @bp.response(200, s.CourseSchema(many=True))
    def get(self):
        """Every course."""
        return training.list_courses()


@bp.route("/training/completion")
class Completion(MethodView):
    @bp.doc(tags=["Training"])
    @bp.arguments(s.CompletionQuerySchema, location="query")
    @bp.response(200, s.CompletionSchema(many=True))
    def get(self, query: dict):
        """Training completion per department today (counts only, never named people)."""
        return training_completion.completion_by_department(mandatory_only=query["mandatory_only"])


@bp.route("/departments/<int:department_id>/adoption")
class Adoption(MethodView):
    @bp.doc(tags=["Adoption"])
    @bp.arguments(s.SnapshotQuerySchema, location="query")
    @bp.response(200, s.SnapshotSchema(many=True))
    def get(self, query: dict, department_id: int):
        """The department's daily adoption figures from `from` to `to` (at most 400 days)."""
        if db.session.get(Department, department_id) is None:
            abort(404, _("There is no department %(id)s.", id=department_id))
        if query["last"] < query["first"] or (query["last"] - query["first"]).days > 400:
            raise ValidationFailed(_("'to' must be on or after 'from', at most 400 days later."), field="to")
        return adoption.snapshots([department_id], first=query["first"], last=query["last"])


@bp.route("/usage/events", endpoint="ingest_usage_events")
class UsageEvents(MethodView):
    @bp.doc(tags=["Adoption"])
    @bp.arguments(s.UsageBatchSchema)
    @bp.response(200, s.UsageBatchResultSchema)
    @bp.alt_response(413, description="More events than a batch may hold.")
    def post(self, body: dict):
        """Push a batch of CRM usage events (token scope `ingest`, an administrator's, as the usage import page).
        They go through the usage import: matched to people by CRM user name or id, service accounts kept out,
        and never counted twice, so sending the same batch again adds nothing."""
        require(can_manage_users(current_user))
        missing = [i for i, e in enumerate(body["events"]) if not e.get("user") and not e.get("user_id")]
        if missing:
            raise ValidationFailed(_("Give the event's user or user_id."), field=f"events.{missing[0]}.user")
        try:
            return ingest_events(body["events"], imported_by=current_user)
        except UsageImportFailed as exc:
            raise ValidationFailed(exc.reason, field="events") from None


def not_found(rest: str):
    abort(404, _("There is nothing at this address of the API."))


# Flask's own add_url_rule: an unknown address answers a problem too, and is no part of the OpenAPI document.
Blueprint.add_url_rule(bp, "/<path:rest>", "not_found", not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
