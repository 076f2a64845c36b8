"""The API's marshmallow schemas: they validate the requests and describe them in the OpenAPI document."""

from __future__ import annotations

from flask import abort, current_app
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from crmproject.forms import UNPRINTABLE
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.plans.models import PhaseStatus
from crmproject.tasks.models import TaskPriority, TaskStatus


def bounded_value(value) -> None:
    """A KPI value the database's NUMERIC(18, 4) holds."""
    if abs(value) >= 10**14:
        raise ValidationError(_("The value must be less than 10^14 in size."))


DATABASE_ID = validate.Range(min=1, max=2**63 - 1)  # what an id (or a version) column can hold


def plain_text(text: str) -> None:
    """Text as a person types it: no control characters (PostgreSQL cannot store a NUL) nor marks that reorder
    text on screen, as the forms refuse them (crmproject.forms.plain_text). Every free text a request writes."""
    if UNPRINTABLE.search(text):
        raise ValidationError(_("Remove the control characters (such as NUL or escape) and the marks that reorder text on screen."))


class Base(Schema):
    class Meta:
        ordered = True


class PlanSchema(Base):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    vision = fields.Str()
    start_date = fields.Date()
    end_date = fields.Date()
    timezone = fields.Str()
    currency = fields.Str()
    version = fields.Int()


class PhaseSchema(Base):
    id = fields.Int()
    plan_id = fields.Int()
    position = fields.Int()
    name = fields.Str()
    goal = fields.Str()
    start_date = fields.Date()
    end_date = fields.Date()
    status = fields.Enum(PhaseStatus, by_value=True)
    exit_criteria = fields.Str()
    version = fields.Int()


class WaveSchema(Base):
    id = fields.Int()
    plan_id = fields.Int()
    position = fields.Int()
    name = fields.Str()
    kind = fields.Function(lambda wave: wave.kind.value)
    go_live_date = fields.Date()
    notes = fields.Str()
    department_ids = fields.Function(lambda wave: sorted(d.id for d in wave.departments))
    version = fields.Int()


class DepartmentSchema(Base):
    id = fields.Int()
    name = fields.Str()
    code = fields.Str()
    headcount = fields.Int()
    licensed_seats = fields.Int()
    version = fields.Int()


class AssignmentSchema(Base):
    id = fields.Int()
    user_id = fields.Int(allow_none=True)
    person_name = fields.Str()
    organisation = fields.Str()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)


class TeamRoleSchema(Base):
    id = fields.Int()
    kind = fields.Function(lambda role: role.kind.value)
    title = fields.Str()
    department_id = fields.Int(allow_none=True)
    crm_module_id = fields.Int(allow_none=True)
    required = fields.Bool()
    responsibilities = fields.Str()
    assignments = fields.List(fields.Nested(AssignmentSchema))


class TaskSchema(Base):
    id = fields.Int()
    plan_id = fields.Int()
    title = fields.Str()
    description = fields.Str()
    category = fields.Function(lambda task: task.category.key)
    status = fields.Enum(TaskStatus, by_value=True)
    priority = fields.Enum(TaskPriority, by_value=True)
    phase_id = fields.Int(allow_none=True)
    department_id = fields.Int(allow_none=True)
    owner_id = fields.Int(allow_none=True)
    start_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    version = fields.Int()


class TaskQuerySchema(Base):
    status = fields.Enum(TaskStatus, by_value=True)
    department_id = fields.Int(validate=DATABASE_ID)
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=100, validate=validate.Range(min=1, max=500))


class TaskPatchSchema(Base):
    """The fields to change (any of them) and the version the change was based on (or an If-Match header)."""

    version = fields.Int(validate=DATABASE_ID,
                         metadata={"description": "The task's version read before; else send If-Match: \"<version>\"."})
    title = fields.Str(validate=[validate.Length(min=1, max=300), plain_text])
    description = fields.Str(validate=[validate.Length(max=20_000), plain_text])
    status = fields.Enum(TaskStatus, by_value=True)
    priority = fields.Enum(TaskPriority, by_value=True)
    phase_id = fields.Int(allow_none=True, validate=DATABASE_ID)
    department_id = fields.Int(allow_none=True, validate=DATABASE_ID)
    owner_id = fields.Int(allow_none=True, validate=DATABASE_ID)
    start_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)


class KpiSchema(Base):
    id = fields.Int()
    plan_id = fields.Int()
    name = fields.Str()
    description = fields.Str()
    goal_family = fields.Function(lambda kpi: kpi.goal_family.value)
    unit = fields.Str()
    direction = fields.Function(lambda kpi: kpi.direction.value)
    baseline_value = fields.Decimal(as_string=True)
    baseline_date = fields.Date()
    target_value = fields.Decimal(as_string=True)
    target_date = fields.Date()
    department_id = fields.Int(allow_none=True)
    frequency = fields.Function(lambda kpi: kpi.frequency.value)


class KpiValueSchema(Base):
    id = fields.Int(dump_only=True)
    kpi_id = fields.Int(dump_only=True)
    department_id = fields.Int(allow_none=True, load_default=None, validate=DATABASE_ID)
    measured_on = fields.Date(required=True)
    value = fields.Decimal(required=True, as_string=True, allow_nan=False, validate=bounded_value)
    note = fields.Str(load_default="", validate=[validate.Length(max=2000), plain_text])


class PageSchema(Base):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=200, validate=validate.Range(min=1, max=1000))


class ReportSchema(Base):
    id = fields.Int()
    plan_id = fields.Int()
    department_id = fields.Int()
    period_start = fields.Date()
    period_end = fields.Date()
    revision = fields.Int()
    status = fields.Function(lambda report: report.status.value)
    overall_rag = fields.Function(lambda report: report.overall_rag.value if report.overall_rag else None)
    achievements = fields.Str()
    blockers = fields.Str()
    next_steps = fields.Str()
    help_needed = fields.Str()
    submitted_at = fields.DateTime(allow_none=True)
    values = fields.Function(lambda report: {str(v.kpi_id): str(v.value) for v in report.values})
    version = fields.Int()


class ReportQuerySchema(Base):
    period = fields.Date(metadata={"description": "A day of the period (default: today in the plan's time zone)."})


class ReportWriteSchema(Base):
    """This period's report of a department: a draft kept, or submitted (every field and due KPI value then)."""

    department_id = fields.Int(required=True, validate=DATABASE_ID)
    period = fields.Date(metadata={"description": "A day of the period (default: today); never a future period."})
    action = fields.Str(load_default="draft", validate=validate.OneOf(["draft", "submit"]))
    version = fields.Int(validate=DATABASE_ID,
                         metadata={"description": "The draft's version when one exists (409 when it moved on)."})
    overall_rag = fields.Enum(Rag, by_value=True, allow_none=True, load_default=None)
    achievements = fields.Str(load_default="", validate=[validate.Length(max=20_000), plain_text])
    blockers = fields.Str(load_default="", validate=[validate.Length(max=20_000), plain_text])
    next_steps = fields.Str(load_default="", validate=[validate.Length(max=20_000), plain_text])
    help_needed = fields.Str(load_default="", validate=[validate.Length(max=20_000), plain_text])
    values = fields.Dict(keys=fields.Str(validate=validate.Regexp(r"^[0-9]{1,18}$")),
                         values=fields.Decimal(allow_none=True, allow_nan=False, validate=bounded_value),
                         load_default=dict, metadata={"description": "KPI id -> value."})


class CourseSchema(Base):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str()
    audience = fields.Str()
    mandatory = fields.Bool()
    length_hours = fields.Decimal(as_string=True, allow_none=True)
    validity_months = fields.Int(allow_none=True)


class CompletionSchema(Base):
    department_id = fields.Int(allow_none=True)
    department_name = fields.Str(allow_none=True)
    enrolled = fields.Function(lambda row: row.completion.enrolled)
    completed = fields.Function(lambda row: row.completion.completed)
    excluded = fields.Function(lambda row: row.completion.excluded)
    withdrawn = fields.Function(lambda row: row.completion.withdrawn)
    expired = fields.Function(lambda row: row.completion.expired)
    percent = fields.Function(lambda row: str(row.completion.percent) if row.completion.percent is not None else None)


class CompletionQuerySchema(Base):
    mandatory_only = fields.Bool(load_default=False)


class SnapshotSchema(Base):
    department_id = fields.Int()
    day = fields.Date()
    licensed_seats = fields.Int()
    active_users = fields.Int()
    weekly_active_users = fields.Int(allow_none=True)
    monthly_active_users = fields.Int(allow_none=True)
    logins = fields.Int()
    events = fields.Int()


class SnapshotQuerySchema(Base):
    first = fields.Date(required=True, data_key="from")
    last = fields.Date(required=True, data_key="to")


class UsageEventSchema(Base):
    user = fields.Str(validate=[validate.Length(min=1, max=254), plain_text],
                      metadata={"description": "The CRM user name (matched to the roster's CRM user names)."})
    user_id = fields.Str(validate=[validate.Length(min=1, max=100), plain_text],
                         metadata={"description": "The CRM user id: used where `user` is missing."})
    time = fields.AwareDateTime(required=True, metadata={"description": "When, ISO 8601 with its offset."})
    action = fields.Str(load_default="", validate=[validate.Length(max=200), plain_text])
    object = fields.Str(load_default="", validate=[validate.Length(max=300), plain_text])


class UsageBatchSchema(Base):
    events = fields.List(fields.Nested(UsageEventSchema), required=True, validate=validate.Length(min=1))

    @pre_load
    def bounded(self, data, **kwargs):
        limit = current_app.config["API_USAGE_BATCH_MAX"]
        if isinstance(data, dict) and isinstance(data.get("events"), list) and len(data["events"]) > limit:
            abort(413, _("A batch holds at most %(max)s events; send the rest in further batches.", max=limit))
        return data


class UsageBatchResultSchema(Base):
    import_id = fields.Int()
    rows_read = fields.Int()
    events_added = fields.Int()
    duplicates = fields.Int()
    unknown_events = fields.Int()
    unknown_users = fields.Dict(keys=fields.Str(), values=fields.Int())
    excluded_events = fields.Int()
    message = fields.Str()
