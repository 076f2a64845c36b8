"""Every authorisation rule of crmproject, in one place.

Role rules (who may do a kind of thing) and object rules (may this user
change this department's data). Views call `require(...)` or use the
decorators; templates get the same functions as `can.<rule>(...)` so a
button the user cannot use is not shown, while the route still refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, TypeVar

from flask import abort
from flask_login import current_user

from crmproject.auth.models import Role, User

if TYPE_CHECKING:
    from crmproject.departments.models import Department

F = TypeVar("F", bound=Callable)

PLANNERS = (Role.ADMIN, Role.PROJECT_MANAGER)


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_manage_users(user: User) -> bool:
    return is_admin(user)


def can_edit_plans(user: User) -> bool:
    """Create, change and delete plans, phases and waves."""
    return user.is_authenticated and user.role in PLANNERS


def can_manage_departments(user: User) -> bool:
    """Create and delete departments, rename them, choose their heads."""
    return user.is_authenticated and user.role in PLANNERS


def can_manage_modules(user: User) -> bool:
    return user.is_authenticated and user.role in PLANNERS


def can_edit_department(user: User, department: Department) -> bool:
    """Change a department's own data (headcount, seats; later its reports and numbers).

    Planners may change every department, a department head only their own.
    """
    if not user.is_authenticated:
        return False
    if user.role in PLANNERS:
        return True
    return user.role == Role.DEPARTMENT_HEAD and user.department_id == department.id


def can_view(user: User) -> bool:
    """Every active role may read the plans, departments and charts."""
    return user.is_authenticated and user.is_active


def require(allowed: bool) -> None:
    """Refuse the request with 403 unless `allowed`."""
    if not allowed:
        abort(403)


def allow(rule: Callable[[User], bool]) -> Callable[[F], F]:
    """Decorate a view so only users for whom `rule(user)` holds may call it."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            require(rule(current_user))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


admins_only = allow(can_manage_users)
planners_only = allow(can_edit_plans)


class TemplatePermissions:
    """The rules, bound to the current user, for templates: `can.edit_plans`."""

    def __getattr__(self, name: str):
        if name in ROLE_RULES:
            return ROLE_RULES[name](current_user)
        rule = OBJECT_RULES[name]
        return lambda *args: rule(current_user, *args)


# --- change tasks --------------------------------------------------------------------------

def task_department_scope(user: User) -> int | None | bool:
    """Which tasks a user may see: True for all, else the id of their one department.

    A department head sees and updates only their own department's tasks.
    """
    if user.role == Role.DEPARTMENT_HEAD:
        return user.department_id or -1
    return True


def can_view_task(user: User, task) -> bool:
    """Everyone but a department head sees every task; a head sees their department's and the ones they own."""
    scope = task_department_scope(user)
    return scope is True or task.department_id == scope or task.owner_id == user.id


def can_create_tasks(user: User) -> bool:
    return user.is_authenticated and user.role in (*PLANNERS, Role.DEPARTMENT_HEAD)


def can_update_task(user: User, task) -> bool:
    if not user.is_authenticated or user.role == Role.EXECUTIVE:
        return False
    if user.role in PLANNERS:
        return True
    if user.role != Role.DEPARTMENT_HEAD:
        return False
    return task.owner_id == user.id or (task.department_id is not None and task.department_id == user.department_id)


def can_delete_task(user: User, task) -> bool:
    return can_edit_plans(user)


def can_import_tasks(user: User) -> bool:
    return can_edit_plans(user)


def can_manage_categories(user: User) -> bool:
    return is_admin(user)


# --- KPIs and status reports -----------------------------------------------------------------

def can_edit_kpis(user: User) -> bool:
    """Define KPIs, their targets and thresholds."""
    return can_edit_plans(user)


def can_enter_measurement(user: User, department_id: int | None) -> bool:
    """Planners enter any value; a department head enters their own department's values."""
    if can_edit_plans(user):
        return True
    return (user.is_authenticated and user.role == Role.DEPARTMENT_HEAD and department_id is not None
            and department_id == user.department_id)


def can_write_report(user: User, department_id: int | None) -> bool:
    """A department head writes their department's reports; planners may write for any department."""
    return can_enter_measurement(user, department_id)


def can_read_report(user: User, report) -> bool:
    """Submitted reports are read by everyone; a draft only by its department's head and the planners.
    (The status by its value: this ground-floor module does not import the reports feature.)"""
    if report.status.value != "draft":
        return can_view(user)
    return can_write_report(user, report.department_id)


def can_manage_training(user: User) -> bool:
    """Courses, sessions and enrolments."""
    return can_edit_plans(user)


def can_update_enrolment(user: User, enrolment) -> bool:
    """Planners, and the head of the department the person belongs to."""
    return can_enter_measurement(user, enrolment.employee.department_id)


# --- adoption down to the person ----------------------------------------------------------------


def can_see_people(user: User, department_id: int | None) -> bool:
    """Named people's CRM activity: the planners for every department, a department head for their own only."""
    return can_enter_measurement(user, department_id)


# --- phase gates ----------------------------------------------------------------------------------


def can_prepare_gates(user: User) -> bool:
    """Define gates and their criteria: the project manager prepares the committee's decision."""
    return can_edit_plans(user)


def can_decide_gates(user: User) -> bool:
    """Record a gate decision: the steering committee (executives), and administrators."""
    return user.is_authenticated and user.role in (Role.ADMIN, Role.EXECUTIVE)


def can_run_meetings(user: User) -> bool:
    """Plan steering committee meetings, write their minutes and action items: the project manager who
    prepares them and the committee's members (executives), and administrators."""
    return user.is_authenticated and user.role in (*PLANNERS, Role.EXECUTIVE)


# --- hypercare ------------------------------------------------------------------------------------------


def can_handle_hypercare(user: User, department_id: int | None) -> bool:
    """Log, answer and resolve a department's hypercare issues: the planners (who run the support desk) for
    every department, a department head for their own."""
    return can_enter_measurement(user, department_id)


def can_set_hypercare_policy(user: User) -> bool:
    """The hypercare period, targets and exit criteria of a plan."""
    return can_edit_plans(user)


def can_delete_hypercare_issue(user: User) -> bool:
    """Take an issue out of the log (one logged by mistake): the planners only, as the log decides whether a
    department leaves hypercare and the next wave's gate."""
    return can_edit_plans(user)


# --- costs and benefits -----------------------------------------------------------------------------------


def can_manage_budget(user: User) -> bool:
    """Budget lines, their planned and actual costs, the value of the KPIs' improvement and the currency: the
    project manager keeps the programme's books; everyone reads them."""
    return can_edit_plans(user)


# --- maturity ---------------------------------------------------------------------------------------------


def can_assess_maturity(user: User, department_id: int | None) -> bool:
    """Record, change and delete a maturity assessment: planners for the organisation and every department, a
    department head for their own department."""
    return can_enter_measurement(user, department_id)


def can_set_maturity_targets(user: User) -> bool:
    """The plan's target level per building block: what its gates judge."""
    return can_edit_plans(user)
# --- risks ------------------------------------------------------------------------------------------------


def can_manage_risks(user: User) -> bool:
    """Add risks and the catalogue's risks to a plan, and edit, close or reopen any of them: the project
    manager keeps the register; everyone reads it."""
    return can_edit_plans(user)


def can_edit_risk(user: User, department_id: int | None) -> bool:
    """Edit a risk, record its review, close or reopen it and link its mitigating tasks: the planners for every
    risk, a department head for the risks of their own department (not the plan-wide ones)."""
    if can_manage_risks(user):
        return True
    return (user.is_authenticated and user.role == Role.DEPARTMENT_HEAD and department_id is not None
            and department_id == user.department_id)


def can_delete_risk(user: User) -> bool:
    """Take a risk out of the register: the planners only (closing keeps the record and says why)."""
    return can_edit_plans(user)
# --- readiness pulse ---------------------------------------------------------------------------------------------


def can_manage_pulse(user: User, department_id: int | None) -> bool:
    """Run a department's readiness pulse (create, edit, open and close its surveys, give out and list its
    personal links, enter the results collected another way): the planners for every department, a department
    head for their own. Everyone logged in reads the results, which are only ever aggregates."""
    return can_enter_measurement(user, department_id)


def can_delete_pulse_survey(user: User) -> bool:
    """Delete a survey with its answers: the planners only, as its results may have informed a gate."""
    return can_edit_plans(user)
# --- change impact ----------------------------------------------------------------------------------------


def can_rate_impact(user: User, department_id: int | None) -> bool:
    """Rate how much the rollout changes a department (its row of the impact grid): the planners for every
    department, a department head for their own; everyone reads the grid and the heat map."""
    return can_enter_measurement(user, department_id)


def can_rate_any_impact(user: User) -> bool:
    """May open the impact grid to change it at all (a planner, or a department head: their own row)."""
    return can_edit_plans(user) or (user.is_authenticated and user.role == Role.DEPARTMENT_HEAD
                                    and user.department_id is not None)
# --- audit trail -----------------------------------------------------------------------------------------


def can_read_audit_trail(user: User) -> bool:
    """The whole audit trail (every change, login and refusal), its filters and export: administrators."""
    return is_admin(user)


def can_see_history(user: User, obj) -> bool:
    """An object's own history (who changed it, how): whoever may open the object. A user's record only to the
    administrators; a change task and a status report draft by their own rules. (By table name: this ground-floor
    module does not import the features.)"""
    if not can_view(user):
        return False
    table = getattr(obj, "__tablename__", "")
    if table == "users":
        return can_manage_users(user)
    if table == "change_tasks":
        return can_view_task(user, obj)
    if table == "status_reports":
        return can_read_report(user, obj)
    return True


def can_see_named(user: User, table: str, obj) -> bool:
    """Whether a history may name this object to the user, where a change refers to it (a risk's mitigating tasks,
    a task's parent): a department head is not told the titles of other departments' tasks nor of report drafts.
    `obj` is None for an object that no longer exists: named then only to those who see every such object."""
    if not can_view(user):
        return False
    if table == "change_tasks":
        return task_department_scope(user) is True if obj is None else can_view_task(user, obj)
    if table == "status_reports":
        return can_edit_plans(user) if obj is None else can_read_report(user, obj)
    return True


# --- API tokens ---------------------------------------------------------------------------------------------


def can_revoke_token(user: User, token) -> bool:
    """A personal API token is revoked by its owner, or by an administrator."""
    return user.is_authenticated and (token.user_id == user.id or is_admin(user))


# --- comments and the activity feed ---------------------------------------------------------------------------
# A comment is read by whoever may see its object (a task, a status report, a KPI, a gate decision). Who may
# write: whoever has a stake in the object. The author edits and deletes their own; administrators delete any.


def can_comment_on_task(user: User, task) -> bool:
    """Everyone who sees the task (a department head: their department's and the ones they own) may discuss it,
    executives included: a question is not a change."""
    return can_view(user) and can_view_task(user, task)


def can_comment_on_report(user: User, report) -> bool:
    """A status report: the planners and the executives (who read it to help), and its own department's head; never
    another department's head."""
    if not (can_view(user) and can_read_report(user, report)):
        return False
    if user.role == Role.DEPARTMENT_HEAD:
        return can_write_report(user, report.department_id)
    return True


def can_comment_on_kpi(user: User, kpi) -> bool:
    """A KPI is the whole plan's: every reader may discuss it (heads report its values)."""
    return can_view(user)


def can_comment_on_gate_decision(user: User, decision) -> bool:
    """A gate decision: the steering committee (executives) and those who prepare it (the planners)."""
    return can_view(user) and user.role in (*PLANNERS, Role.EXECUTIVE)


def can_edit_comment(user: User, comment) -> bool:
    """A comment is changed by its author only."""
    return can_view(user) and comment.author_id is not None and comment.author_id == user.id


def can_delete_comment(user: User, comment) -> bool:
    """A comment is taken back by its author, or by an administrator."""
    return can_edit_comment(user, comment) or is_admin(user)


def can_read_activity(user: User) -> bool:
    """A plan's activity feed: every reader, each entry shown only to those who may see its object
    (can_see_in_activity)."""
    return can_view(user)


# Kinds of object some readers may not see: the activity feed loads these to ask their rule (can_see_named).
RESTRICTED_TABLES = frozenset({"change_tasks", "status_reports", "users"})


def can_see_in_activity(user: User, table: str | None, obj) -> bool:
    """Whether a plan's activity feed shows a change of this object (or of a row belonging to it) to the user: as
    its history would (a head is not told of other departments' tasks nor of their report drafts). `obj` is the
    object, or what was recorded of it when it is gone; None when nothing is known of it."""
    if not can_view(user):
        return False
    if table == "users":
        return can_manage_users(user)
    return can_see_named(user, table or "", obj)


# --- the rules the templates read -----------------------------------------------------------------------
# `can.<name>` in a template: a role rule answers for the current user (a bool); an object rule is called with
# the object (`can.edit_department(department)`). The route x role tests (tests/test_permissions.py) hold the
# routes to the same functions.

ROLE_RULES: dict[str, Callable[[User], bool]] = {
    "manage_users": can_manage_users,
    "edit_plans": can_edit_plans,
    "manage_departments": can_manage_departments,
    "manage_modules": can_manage_modules,
    "view": can_view,
    "create_tasks": can_create_tasks,
    "import_tasks": can_import_tasks,
    "manage_categories": can_manage_categories,
    "edit_kpis": can_edit_kpis,
    "manage_training": can_manage_training,
    "prepare_gates": can_prepare_gates,
    "decide_gates": can_decide_gates,
    "run_meetings": can_run_meetings,
    "set_hypercare_policy": can_set_hypercare_policy,
    "delete_hypercare_issue": can_delete_hypercare_issue,
    "manage_budget": can_manage_budget,
    "set_maturity_targets": can_set_maturity_targets,
    "manage_risks": can_manage_risks,
    "delete_risk": can_delete_risk,
    "delete_pulse_survey": can_delete_pulse_survey,
    "rate_any_impact": can_rate_any_impact,
    "read_audit_trail": can_read_audit_trail,
    "read_activity": can_read_activity,
}

OBJECT_RULES: dict[str, Callable[..., bool]] = {
    "edit_department": can_edit_department,
    "update_task": can_update_task,
    "delete_task": can_delete_task,
    "enter_measurement": can_enter_measurement,
    "write_report": can_write_report,
    "read_report": can_read_report,
    "update_enrolment": can_update_enrolment,
    "see_people": can_see_people,
    "handle_hypercare": can_handle_hypercare,
    "assess_maturity": can_assess_maturity,
    "edit_risk": can_edit_risk,
    "manage_pulse": can_manage_pulse,
    "rate_impact": can_rate_impact,
    "see_history": can_see_history,
    "revoke_token": can_revoke_token,
    "edit_comment": can_edit_comment,
    "delete_comment": can_delete_comment,
}
