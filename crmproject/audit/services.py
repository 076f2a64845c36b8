"""Reading the audit trail (filtered, paged, per object), recording security events, and pruning old entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Numeric, and_, delete, func, or_, select
from sqlalchemy.orm import selectinload

from crmproject.audit import capture
from crmproject.audit.actor import actor_of
from crmproject.audit.models import AuditAction, AuditEntry, AuditSource
from crmproject.auth.services import get_user_by_email
from crmproject.auth.signals import logged_out, login_failed, login_succeeded
from crmproject.collation import fold, folded
from crmproject.db import Base, mapped_table, rows_matched, utcnow
from crmproject.extensions import db
from crmproject.i18n import _, format_number
from crmproject.i18n import lazy_gettext as _l

# What people call each kind of object; a table not named here (a new feature's) shows its table's name.
OBJECT_TYPES = {
    "api_tokens": _l("API token"), "comments": _l("Comment"), "notification_preferences": _l("Notification setting"),
    "plans": _l("Plan"), "phases": _l("Phase"), "waves": _l("Wave"), "wave_departments": _l("Wave department"),
    "departments": _l("Department"), "users": _l("User"), "change_tasks": _l("Change task"),
    "task_dependencies": _l("Task dependency"), "task_categories": _l("Category"),
    "communications": _l("Communication"), "kpis": _l("KPI"), "kpi_measurements": _l("KPI value"),
    "kpi_targets": _l("KPI target"), "kpi_benefits": _l("KPI benefit"), "status_reports": _l("Status report"),
    "report_kpi_values": _l("Reported KPI value"), "risks": _l("Risk"), "courses": _l("Course"),
    "training_sessions": _l("Training session"), "enrolments": _l("Enrolment"), "employees": _l("Employee"),
    "employee_departments": _l("Employee's department"), "deliverables": _l("Deliverable"),
    "team_roles": _l("Team role"), "team_assignments": _l("Team assignment"), "raci_assignments": _l("RACI cell"),
    "crm_modules": _l("CRM module"), "phase_gates": _l("Gate"), "gate_criteria": _l("Gate criterion"),
    "gate_decisions": _l("Gate decision"), "decision_conditions": _l("Decision condition"),
    "steering_meetings": _l("Meeting"), "meeting_actions": _l("Meeting action"), "plan_baselines": _l("Baseline"),
    "baseline_items": _l("Baseline item"), "budget_lines": _l("Budget line"), "budget_months": _l("Budget month"),
    "hypercare_issues": _l("Hypercare issue"), "hypercare_policies": _l("Hypercare policy"),
    "hypercare_targets": _l("Hypercare target"), "maturity_assessments": _l("Maturity assessment"),
    "maturity_assessors": _l("Assessor"), "maturity_ratings": _l("Assessor's rating"),
    "maturity_agreed_levels": _l("Agreed maturity level"), "maturity_targets": _l("Maturity target"),
    "pulse_surveys": _l("Readiness survey"), "pulse_invitations": _l("Pulse invitation"),
    "pulse_entered_results": _l("Pulse results entered"), "impact_ratings": _l("Impact rating"),
    "usage_imports": _l("Usage import"), "excluded_accounts": _l("Excluded accounts"),
    "adoption_snapshots": _l("Adoption figure"), "adoption_rules": _l("Adoption rules"),
    "key_action_mappings": _l("Key actions"), "key_action_rules": _l("Key action rule"),
}
# What people call the recorded fields (the columns' keys) that many objects share; a key not named here is shown
# as its words ("licensed_seats" as "Licensed seats", "handler_id" as "Handler").
FIELD_LABELS = {
    "title": _l("Title"), "name": _l("Name"), "status": _l("Status"), "owner_id": _l("Owner"), "due_date": _l("Due date"),
    "start_date": _l("Start date"), "end_date": _l("End date"), "department_id": _l("Department"), "phase_id": _l("Phase"),
    "priority": _l("Priority"), "category_id": _l("Category"), "description": _l("Description"), "value": _l("Value"),
    "note": _l("Note"), "notes": _l("Notes"), "measured_on": _l("Measured on"), "target_value": _l("Target value"),
    "target_date": _l("Target date"), "baseline_value": _l("Baseline value"), "baseline_date": _l("Baseline date"),
    "unit": _l("Unit"), "direction": _l("Direction"), "goal_family": _l("Goal family"), "frequency": _l("Frequency"),
    "red_threshold": _l("Red threshold"), "amber_threshold": _l("Amber threshold"), "achievements": _l("Achievements"),
    "blockers": _l("Blockers"), "next_steps": _l("Next steps"), "help_needed": _l("Help needed from leadership"),
    "overall_rag": _l("Overall"), "submitted_at": _l("Submitted"), "revision": _l("Revision"), "body": _l("Comment"),
    "edited_at": _l("Edited"), "outcome": _l("Outcome"), "reasoning": _l("Reasoning"), "decided_on": _l("Decided on"),
    "decided_by": _l("Decided by"), "recommendation": _l("Recommendation"), "vision": _l("Vision"), "goal": _l("Goal"),
    "exit_criteria": _l("Exit criteria"), "go_live_date": _l("Go-live date"), "kind": _l("Kind"),
    "headcount": _l("Headcount"), "licensed_seats": _l("Licensed seats"), "email": _l("E-mail"), "role": _l("Role"),
    "active": _l("Active"), "language": _l("Language"), "code": _l("Code"), "audience": _l("Audience"),
    "channel": _l("Channel"), "message": _l("Message"), "planned_date": _l("Planned date"),
    "likelihood": _l("Likelihood"), "impact": _l("Impact"), "mitigations": _l("Mitigations"),
    "review_date": _l("Review date"), "closed_note": _l("Closing note"), "severity": _l("Severity"),
    "resolution": _l("Resolution"), "reported_at": _l("Reported"), "reported_by": _l("Reported by"),
    "held_on": _l("Held on"), "minutes": _l("Minutes"), "threshold": _l("Threshold"), "blocking": _l("Blocking"),
    "wave_id": _l("Wave"), "plan_id": _l("Plan"), "task_id": _l("Task"), "kpi_id": _l("KPI"), "user_id": _l("User"),
    "author_id": _l("Author"), "parent_id": _l("Part of"), "depends_on": _l("Depends on"), "modules": _l("CRM modules"),
    "crm_module_id": _l("CRM module"), "trainer": _l("Trainer"), "location": _l("Location"),
    "capacity": _l("Capacity"), "score": _l("Score"), "completed_on": _l("Completed on"), "mandatory": _l("Mandatory"),
    "horizon_years": _l("Horizon (years)"), "level": _l("Level"), "assessed_on": _l("Assessed on"),
    "person_name": _l("Person"), "text": _l("Text"), "currency": _l("Currency"), "planned": _l("Planned"),
    "actual": _l("Actual"), "month": _l("Month"), "opens_on": _l("Opens on"), "closes_on": _l("Closes on"),
    "attendees": _l("Attendees"), "responsibilities": _l("Responsibilities"), "required": _l("Required"),
    "job_role": _l("Job role"), "position": _l("Position"), "tasks": _l("Tasks"), "target_type": _l("Kind of object"),
    "target_id": _l("Object"),
    "ability": _l("Ability"), "action_pattern": _l("Action pattern"), "active_users": _l("Active users"),
    "agenda_built_on": _l("Agenda built on"), "agenda_json": _l("Agenda"), "answered_at": _l("Answered"),
    "assessment_id": _l("Assessment"), "assessor_id": _l("Assessor"), "awareness": _l("Awareness"),
    "baseline_id": _l("Baseline"), "block": _l("Building block"), "blocks": _l("Building blocks"),
    "builtin": _l("Built in"), "calendar": _l("Calendar"), "category": _l("Category"), "closed_at": _l("Closed"),
    "course_id": _l("Course"), "created_by_id": _l("Created by"), "crm_user_id": _l("CRM user ID"),
    "crm_user_id_key": _l("CRM user ID (for matching)"), "crm_username": _l("CRM user name"),
    "crm_username_key": _l("CRM user name (for matching)"), "day": _l("Day"), "decision_id": _l("Decision"),
    "deliverable_id": _l("Deliverable"), "depends_on_id": _l("Depends on"), "desire": _l("Desire"),
    "detractors": _l("Detractors"), "duplicate_share": _l("Duplicate share"), "duplicates": _l("Duplicates"),
    "effect_level": _l("Effect level"), "employee_id": _l("Employee"), "entered_at": _l("Entered"),
    "entered_by_id": _l("Entered by"), "events": _l("Events"), "events_added": _l("Events added"),
    "evidence_json": _l("Evidence"), "excluded_accounts": _l("Excluded accounts"),
    "excluded_events": _l("Excluded events"), "expires_at": _l("Expires"), "factor": _l("Factor"),
    "fade_points": _l("Fade (points)"), "fade_weeks": _l("Fade (weeks)"), "filename": _l("File name"),
    "first_day": _l("First day"), "first_response_at": _l("First response"), "gate_id": _l("Gate"),
    "handler_id": _l("Handler"), "imported_by_id": _l("Imported by"), "invited": _l("Invited"),
    "issued": _l("Link signed"), "key": _l("Key"), "knowledge": _l("Knowledge"), "last_day": _l("Last day"),
    "length_hours": _l("Length (hours)"), "line_id": _l("Budget line"), "logins": _l("Logins"),
    "mapping_id": _l("Mapping"), "max_weekly_new": _l("Most new per week"), "meeting_id": _l("Meeting"),
    "min_weeks": _l("Minimum weeks"), "monthly_active_users": _l("Monthly active users"), "object_id": _l("Object"),
    "object_pattern": _l("Object pattern"), "organisation": _l("Organisation"), "outline": _l("Outline number"),
    "password_hash": _l("Password"), "patterns": _l("Patterns"), "period_end": _l("Period end"),
    "period_start": _l("Period start"), "policy_id": _l("Policy"), "prefix": _l("Prefix"),
    "processes": _l("Processes"), "progress": _l("Progress"), "promoters": _l("Promoters"),
    "recorded_at": _l("Recorded at"), "recorded_by_id": _l("Recorded by"), "records_created": _l("Records created"),
    "reinforcement": _l("Reinforcement"), "report_id": _l("Status report"),
    "reporting_period": _l("Reporting period"), "required_fields_share": _l("Required fields filled"),
    "resolution_attainment": _l("Resolution within target"), "resolution_hours": _l("Resolution (hours)"),
    "resolved_at": _l("Resolved"), "resolved_by_id": _l("Resolved by"), "responded_by_id": _l("Responded by"),
    "respondents": _l("Respondents"), "response_hours": _l("Response (hours)"), "revoked_at": _l("Revoked"),
    "revoked_by_id": _l("Revoked by"), "roles": _l("Roles"), "rows_read": _l("Rows read"), "saved_at": _l("Saved"),
    "saved_by_id": _l("Saved by"), "scopes": _l("Scopes"), "seed_key": _l("Seed"), "session_id": _l("Session"),
    "source": _l("Source"), "state": _l("State"), "survey_id": _l("Survey"), "team_role_id": _l("Team role"),
    "template_key": _l("Template"), "timezone": _l("Time zone"), "token_hash": _l("Token"), "tools": _l("Tools"),
    "unknown_events": _l("Unknown users' events"), "unknown_usernames": _l("Unknown user names"),
    "valid_from": _l("Valid from"), "valid_to": _l("Valid to"), "validity_months": _l("Valid for (months)"),
    "value_per_unit": _l("Value per unit"), "vendor_markers": _l("Vendor markers"), "week": _l("Week"),
    "weekly_active_users": _l("Weekly active users"), "weeks": _l("Weeks"),
}
PER_PAGE = 50
HISTORY_PER_PAGE = 20
EXPORT_LIMIT = 100_000  # entries in one export; narrow the filters for more


def field_label(key: str) -> str:
    """A recorded field as people call it: its label (translated), else its key as words."""
    found = FIELD_LABELS.get(key)
    if found is not None:
        return str(found)
    words = key.removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def type_label(object_type: str | None) -> str:
    if not object_type:
        return ""
    found = OBJECT_TYPES.get(object_type)
    return str(found) if found is not None else object_type


def audited_types() -> list[tuple[str, str]]:
    """Every kind of object the trail records, as (key, name), by name: the choices of the filter."""
    tables = {model.table for mapper in Base.registry.mappers if (model := capture.audited_model(mapper)) is not None}
    return sorted(((t, type_label(t)) for t in tables), key=lambda pair: fold(pair[1]))


def object_key(obj) -> tuple[str, int] | None:
    """The (type, id) the trail files an object under; None for an object it does not record."""
    from sqlalchemy import inspect

    state = inspect(obj, raiseerr=False)
    if state is None or not hasattr(state, "mapper"):
        return None
    model = capture.audited_model(state.mapper)
    if model is None or model.id_key is None or not state.identity:
        return None
    return model.table, state.identity[0]


# --- reading ---------------------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    """What the administrator's page shows: any of who, what (kind of object, one object, action), when."""

    user_id: int | None = None
    system: bool = False  # entries of no user: the command line, jobs, the system, anonymous requests
    object_type: str | None = None
    object_id: int | None = None
    action: AuditAction | None = None
    start: date | None = None  # days in UTC, both included
    end: date | None = None
    search: str = ""  # in the name of the user or the object, or the e-mail address a failed login tried

    def conditions(self) -> list:
        found: list[Any] = []
        if self.system:
            found.append(AuditEntry.user_id.is_(None))
        elif self.user_id is not None:
            found.append(AuditEntry.user_id == self.user_id)
        if self.object_type:
            found.append(AuditEntry.object_type == self.object_type)
        if self.object_id is not None:
            found.append(AuditEntry.object_id == self.object_id)
        if self.action is not None:
            found.append(AuditEntry.action == self.action)
        if self.start is not None:
            found.append(AuditEntry.at >= datetime.combine(self.start, time.min, UTC))
        if self.end is not None:
            found.append(AuditEntry.at < datetime.combine(self.end + timedelta(days=1), time.min, UTC))
        if text := fold(self.search.strip()):
            found.append(or_(folded(AuditEntry.user_label).contains(text, autoescape=True),
                             folded(AuditEntry.object_label).contains(text, autoescape=True)))
        return found


def _newest_first(query):
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def find_entries(flt: AuditFilter, *, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[AuditEntry], int]:
    """A page of the entries the filter selects, newest first, and how many it selects in all."""
    conditions = flt.conditions()
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    query = _newest_first(select(AuditEntry).where(*conditions).options(selectinload(AuditEntry.user)))
    if per_page:
        query = query.limit(per_page).offset((max(page, 1) - 1) * per_page)
    return list(db.session.scalars(query)), total


def history(object_type: str, object_id: int, *, page: int = 1,
            per_page: int = HISTORY_PER_PAGE) -> tuple[list[AuditEntry], int]:
    """The changes of one object and of the rows that belong to it (a KPI's values), newest first; only since the
    last deletion of an object of that kind and id (SQLite may give a new row the id of the last one deleted)."""
    condition = or_(and_(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id),
                    and_(AuditEntry.parent_type == object_type, AuditEntry.parent_id == object_id))
    deleted = last_deleted({(object_type, object_id)}).get((object_type, object_id))
    if deleted is not None:
        condition = and_(condition, AuditEntry.id > deleted)
    total = db.session.scalar(select(func.count()).select_from(AuditEntry).where(condition)) or 0
    query = _newest_first(select(AuditEntry).where(condition).options(selectinload(AuditEntry.user)))
    entries = list(db.session.scalars(query.limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return entries, total


def last_deleted(objects: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The entry that last recorded the deletion of each of these objects (kind, id), for those ever deleted: an
    entry about that kind and id up to it is about an object that is gone, whatever row holds the id now."""
    by_type: dict[str, set[int]] = {}
    for object_type, object_id in objects:
        by_type.setdefault(object_type, set()).add(object_id)
    found: dict[tuple[str, int], int] = {}
    for object_type, ids in by_type.items():
        rows = db.session.execute(
            select(AuditEntry.object_id, func.max(AuditEntry.id))
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(sorted(ids)),
                   AuditEntry.action == AuditAction.DELETE)
            .group_by(AuditEntry.object_id))
        found.update({(object_type, object_id): entry_id for object_id, entry_id in rows if object_id is not None})
    return found


# --- showing an entry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeShown:
    field: str
    before: str
    after: str
    hidden: bool = False
    before_cut: int = 0
    after_cut: int = 0
    created: bool = False  # only an "after"
    deleted: bool = False  # only a "before"
    label: str = ""  # the field as people call it (field_label)


@dataclass
class EntryShown:
    entry: AuditEntry
    who: str
    what: str  # the kind of object
    changes: list[ChangeShown] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    label: str = ""  # the object's name; a row without an id by what its key refers to ("KPI: Sales cycle (#12)")
    label_in_parent: str = ""  # the same, without the part that names its parent (in the parent's history)


def who(entry: AuditEntry) -> str:
    if entry.user is not None:
        return entry.user.name
    if entry.user_label:
        return entry.user_label
    return str(entry.source.label) if entry.source != AuditSource.WEB else _("anonymous")


def show(entries: list[AuditEntry], viewer=None) -> list[EntryShown]:
    """Entries as people read them: enumerations by their label, a reference by the name of what it points to
    (looked up in one query per kind of object referred to), yes and no, dates as stored. With a `viewer`, an
    object the viewer may not see (another department's task) is not named (permissions.can_see_named)."""
    names = _names(entries, viewer)
    shown = []
    for entry in entries:
        columns = _columns(entry.object_type)
        changes = []
        for name, change in (entry.changes or {}).items():
            column = columns.get(name)
            changes.append(ChangeShown(
                field=name, label=field_label(name), hidden=bool(change.get("hidden")),
                before=_text(change.get("before"), entry.object_type, name, column, names),
                after=_text(change.get("after"), entry.object_type, name, column, names),
                before_cut=int(change.get("before_cut") or 0), after_cut=int(change.get("after_cut") or 0),
                created="before" not in change and "after" in change, deleted="after" not in change and "before" in change,
            ))
        details = [(_detail_label(key), _detail_text(value)) for key, value in (entry.details or {}).items()]
        label, label_in_parent = _labels(entry, columns, names)
        shown.append(EntryShown(entry=entry, who=who(entry), what=type_label(entry.object_type), changes=changes,
                                details=details, label=label, label_in_parent=label_in_parent))
    return shown


def _key_parts(entry: AuditEntry) -> list[tuple[str, int | str]]:
    """A row without a single id (a report's KPI value, a RACI cell, a task's dependency) is recorded under its
    key's columns and values, "report_id=5, kpi_id=12" (capture._key_label): those pairs, else none."""
    if entry.object_id is not None or not entry.object_type or not entry.object_label:
        return []
    parts: list[tuple[str, int | str]] = []
    for piece in entry.object_label.split(", "):
        key, sep, value = piece.partition("=")
        if not sep:
            return []
        parts.append((key, int(value) if value.isascii() and value.isdigit() else value))
    return parts


def _labels(entry: AuditEntry, columns: dict, names: Names) -> tuple[str, str]:
    """The entry's object as people read it, whole and without its parent's part."""
    parts = _key_parts(entry)
    if not parts:
        return entry.object_label, entry.object_label
    whole, in_parent = [], []
    for key, value in parts:
        table = _target(entry.object_type, key, columns.get(key))
        text = _named(table, value, None, names) if table is not None and isinstance(value, int) else str(value)
        part = f"{field_label(key)}: {text}"
        whole.append(part)
        if not (table == entry.parent_type and value == entry.parent_id):
            in_parent.append(part)
    return ", ".join(whole), ", ".join(in_parent)


DETAIL_LABELS = {
    "rows": _l("Rows"), "email": _l("E-mail"), "reason": _l("Reason"), "file": _l("File"), "entries": _l("Entries"),
    "before": _l("Before"), "form": _l("Form"),
}
REASONS = {
    "wrong": _l("wrong e-mail or password, or a deactivated account"),
    "throttled": _l("too many failed logins: the password was not checked"),
    "current_password": _l("wrong current password on the password page"),
}


def _detail_label(key: str) -> str:
    found = DETAIL_LABELS.get(key)
    return str(found) if found is not None else key


def _detail_text(value: Any) -> str:
    if isinstance(value, str) and value in REASONS:
        return str(REASONS[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "" if value is None else str(value)


def _mapper(table: str | None):
    return next((m for m in Base.registry.mappers if mapped_table(m).name == table), None) if table else None


def _columns(object_type: str | None) -> dict:
    """A table's columns by attribute key (what `changes` names)."""
    mapper = _mapper(object_type)
    return {prop.key: prop.columns[0] for prop in mapper.column_attrs} if mapper is not None else {}


def _target(object_type: str | None, field: str, column) -> str | None:
    """The table a field refers to: a foreign key's, or a many-to-many collection's members'."""
    if column is not None:
        return next(iter(column.foreign_keys)).column.table.name if column.foreign_keys else None
    mapper = _mapper(object_type)
    relationship = mapper.relationships.get(field) if mapper is not None else None
    return relationship.mapper.local_table.name if relationship is not None else None


def _ids(value: Any) -> list[int]:
    """The ids a recorded value refers to: a foreign key's id, or a collection's [id, name] pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list):
        return [pair[0] for pair in value if isinstance(pair, list) and pair and isinstance(pair[0], int)]
    return []


# (table, id) -> the object's name now, or None when the viewer may not see it (or it is gone)
Names = dict[tuple[str, int], str | None]


def _names(entries: list[AuditEntry], viewer) -> Names:
    """The objects the entries refer to, looked up once per kind, named or not as the viewer may see them."""
    from crmproject.auth.permissions import can_see_named

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        columns = _columns(entry.object_type)
        for name, change in (entry.changes or {}).items():
            table = _target(entry.object_type, name, columns.get(name))
            if table is not None:
                for side in ("before", "after"):
                    wanted.setdefault(table, set()).update(_ids(change.get(side)))
        for key, value in _key_parts(entry):
            table = _target(entry.object_type, key, columns.get(key))
            if table is not None and isinstance(value, int):
                wanted.setdefault(table, set()).add(value)
    found: Names = {}
    for table, ids in wanted.items():
        mapper = _mapper(table)
        model = capture.audited_model(mapper) if mapper is not None else None
        if mapper is None or model is None or model.id_key is None or not ids:
            continue
        key = mapper.column_attrs[model.id_key].columns[0]
        objects = {getattr(obj, model.id_key): obj for obj in db.session.scalars(select(mapper).where(key.in_(sorted(ids))))}
        for object_id in ids:
            obj = objects.get(object_id)
            if viewer is not None and not can_see_named(viewer, table, obj):
                found[(table, object_id)] = None
            elif obj is not None and model.label is not None:
                # a model that names itself for the reader (a built-in task category, translated) is named so
                shown = isinstance(getattr(type(obj), "label", None), property)
                found[(table, object_id)] = str(obj.label if shown else getattr(obj, model.label))
    return found


def _text(value: Any, object_type: str | None, field: str, column, names: Names) -> str:
    if value is None:
        return ""
    table = _target(object_type, field, column)
    if isinstance(value, list):
        if table is not None and all(isinstance(v, list) and len(v) == 2 for v in value):
            return ", ".join(_named(table, member_id, label, names) for member_id, label in value)
        return ", ".join(_text(v, None, "", None, names) for v in value)
    as_text = column.info.get("audit_text") if column is not None else None
    if as_text is not None and isinstance(value, str):  # a model's own reading of a kept text (a decision's evidence)
        try:
            return str(as_text(value))
        except ValueError:
            pass
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if table is not None and isinstance(value, int):
        return _named(table, value, None, names)
    enum_class = getattr(getattr(column, "type", None), "enum_class", None) if column is not None else None
    if enum_class is not None:
        member = enum_class._value2member_map_.get(value)
        label = getattr(member, "label", None)
        if label is not None:
            return str(label)
    if isinstance(getattr(column, "type", None), Numeric) and isinstance(value, str | int | float):
        try:  # a decimal is kept as its text ("79.0000"): shown as the reader writes the number (79; 79,5)
            return format_number(Decimal(str(value)))
        except InvalidOperation:
            pass
    return str(value)


def _named(table: str, object_id: int | None, label: str | None, names: Names) -> str:
    """A referred object: its name now (else as recorded) and id; or only that there is one, for a viewer who
    may not see it."""
    if object_id is not None and (table, object_id) in names and names[(table, object_id)] is None:
        return _("(hidden)")
    name = names.get((table, object_id)) if object_id is not None else None
    name = name or label
    if object_id is None:
        return name or ""
    return f"{name} (#{object_id})" if name and name != f"#{object_id}" else f"#{object_id}"


# --- recording events ------------------------------------------------------------------------------------


def record_event(action: AuditAction, *, user=None, label: str | None = None, object_type: str | None = None,
                 object_id: int | None = None, object_label: str = "", details: dict | None = None) -> None:
    """Record a security event in the session's transaction (the caller commits it): by `user` (a User, when the
    event names who it is about, such as a login) or else by whoever is acting now."""
    row: dict[str, Any] = {"action": action, "object_type": object_type, "object_id": object_id,
                           "object_label": object_label[:capture.MAX_LABEL_CHARS], "details": details or None}
    if user is not None:
        actor = actor_of(user)
        row.update(user_id=actor.user_id, user_label=(label if label is not None else actor.label)[:254])
    elif label is not None:
        row.update(user_label=label[:254])
    capture.write(db.session, [row])


def record_event_at_once(action: AuditAction, **values) -> None:
    """Record an event in a transaction of its own, at the end of a request that saves nothing: a refusal (what
    a refused request had started is rolled back, as the request's end would) or a download."""
    db.session.rollback()
    record_event(action, **values)
    db.session.commit()


def failed_login_label(email: str | None) -> str:
    """The e-mail address a failed login tried, when it looks like one: what is typed into that box by mistake
    (a password) is never kept."""
    text = (email or "").strip()
    if "@" in text and " " not in text and len(text) <= 254:
        return text
    return _("(not an e-mail address)")


# --- the door: logins, failed logins and logouts, as the login pages tell them (crmproject.auth.signals) ------


@login_succeeded.connect
def _logged_in(user, **_extra) -> None:
    record_event(AuditAction.LOGIN, user=user)


@login_failed.connect
def _login_failed(_sender, *, email: str | None, reason: str, **_extra) -> None:
    """The e-mail address tried (never the password), and the account it names when it names one."""
    label = failed_login_label(email)
    account = None
    if label == (email or "").strip():
        account = get_user_by_email(label)
    record_event(AuditAction.LOGIN_FAILED, user=account, label=label, details={"reason": reason})


@logged_out.connect
def _logged_out(user, **_extra) -> None:
    record_event(AuditAction.LOGOUT, user=user)


# --- retention -------------------------------------------------------------------------------------------


def prune(*, days: int, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the entries older than `days` days (none when `days` is 0: kept for ever); returns how many. The
    pruning itself is recorded, with how many entries it removed and from before when."""
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    old = AuditEntry.at < cutoff
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(old)) or 0
    removed = rows_matched(db.session.execute(delete(AuditEntry).where(old))) or 0
    record_event(AuditAction.PRUNE, details={"entries": removed, "before": cutoff.isoformat(timespec="seconds")})
    return removed


def retention_days() -> int:
    from flask import current_app

    return int(current_app.config.get("AUDIT_RETENTION_DAYS") or 0)

