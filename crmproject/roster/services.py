"""The employee roster: people, their CRM user names and ids, and which department they belonged to when."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select

from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.roster.models import Employee, EmployeeDepartment, user_id_key, username_key


def _check(employee: Employee | None, *, name: str, email: str | None, crm_username: str | None,
           crm_user_id: str | None = None) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter the person's name.")
    if email:
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            errors["email"] = _("Enter a valid e-mail address.")
        elif (clash := db.session.scalar(select(Employee).where(func.lower(Employee.email) == email.lower()))) and clash is not employee:
            errors["email"] = _("%(name)s already has the e-mail %(email)s.", name=clash.name, email=email)
    if crm_username:
        key = username_key(crm_username)
        clash = db.session.scalar(select(Employee).where(Employee.crm_username_key == key))
        if clash is not None and clash is not employee:
            errors["crm_username"] = _("%(name)s already has the CRM user name %(user)s.", name=clash.name, user=clash.crm_username)
    if crm_user_id:
        clash = db.session.scalar(select(Employee).where(Employee.crm_user_id_key == user_id_key(crm_user_id)))
        if clash is not None and clash is not employee:
            errors["crm_user_id"] = _("%(name)s already has the CRM user id %(id)s.", name=clash.name, id=clash.crm_user_id)
    if errors:
        raise ValidationFailed(errors)


def create_employee(
    *, name: str, department: Department | None, email: str | None = None, crm_username: str | None = None,
    job_role: str = "", start_date: date | None = None, active: bool = True, since: date | None = None,
    crm_user_id: str | None = None,
) -> Employee:
    """Add a person; their department history starts on `since` (default: their start date, else today). Joining
    a department runs the registered hooks (on_department_joined)."""
    email = (email or "").strip().lower() or None
    crm_username = (crm_username or "").strip() or None
    crm_user_id = "".join((crm_user_id or "").split()) or None
    _check(None, name=name, email=email, crm_username=crm_username, crm_user_id=crm_user_id)
    employee = Employee(
        name=name.strip(), email=email, crm_username=crm_username,
        crm_username_key=username_key(crm_username) if crm_username else None, job_role=job_role.strip(),
        start_date=start_date, active=active, department=department, crm_user_id=crm_user_id,
        crm_user_id_key=user_id_key(crm_user_id) if crm_user_id else None,
    )
    if department is not None:
        employee.department_history.append(
            EmployeeDepartment(department=department, valid_from=since or start_date or date.today())
        )
    db.session.add(employee)
    db.session.flush()
    if department is not None:
        _joined(employee, department)
    return employee


def move(employee: Employee, department: Department, *, on: date) -> None:
    """The person joins `department` on `on`: the current stay ends the day before; the history is kept. Joining
    runs the registered hooks (on_department_joined)."""
    history = employee.department_history
    if history and on <= history[-1].valid_from:
        raise ValidationFailed(_("A move must come after the last one (%(d)s).", d=history[-1].valid_from.isoformat()), field="on")
    if employee.department_id == department.id:
        return
    for stay in history:
        if stay.valid_to is None:
            stay.valid_to = on - timedelta(days=1)
    history.append(EmployeeDepartment(department=department, valid_from=on))
    employee.department = department
    db.session.flush()
    _joined(employee, department)


def department_on(employee: Employee, day: date) -> int | None:
    """The department the person belonged to on `day`."""
    for stay in employee.department_history:
        if stay.valid_from <= day and (stay.valid_to is None or day <= stay.valid_to):
            return stay.department_id
    return employee.department_id if not employee.department_history else None


def update_employee(
    employee: Employee, *, name: str, email: str | None, crm_username: str | None, job_role: str, active: bool,
    start_date: date | None, crm_user_id: str | None = None,
) -> Employee:
    """Change a person's details; `crm_user_id` None keeps the CRM user id they have ("" clears it)."""
    email = (email or "").strip().lower() or None
    crm_username = (crm_username or "").strip() or None
    if crm_user_id is None:
        crm_user_id = employee.crm_user_id
    crm_user_id = "".join((crm_user_id or "").split()) or None
    _check(employee, name=name, email=email, crm_username=crm_username, crm_user_id=crm_user_id)
    employee.name, employee.email, employee.job_role, employee.active = name.strip(), email, job_role.strip(), active
    employee.crm_username = crm_username
    employee.crm_username_key = username_key(crm_username) if crm_username else None
    employee.crm_user_id = crm_user_id
    employee.crm_user_id_key = user_id_key(crm_user_id) if crm_user_id else None
    employee.start_date = start_date
    db.session.flush()
    return employee


# --- joining a department ------------------------------------------------------------------------------
# Features above the roster act when someone joins a department (crmproject.training enrols them in its
# wave's mandatory courses); they register here, so the roster imports none of them.

DepartmentJoined = Callable[[Employee, Department], object]
JOIN_HOOKS: list[DepartmentJoined] = []


def on_department_joined(hook: DepartmentJoined) -> DepartmentJoined:
    """Register what to do when a person joins a department (created in it or moved to it); also a decorator."""
    if hook not in JOIN_HOOKS:
        JOIN_HOOKS.append(hook)
    return hook


def _joined(employee: Employee, department: Department) -> None:
    for hook in JOIN_HOOKS:
        hook(employee, department)
