"""Departments: the organisational units the CRM is rolled out to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.auth.models import Role, User
from crmproject.departments.models import Department
from crmproject.departments.signals import department_deleting
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _


def list_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).options(selectinload(Department.heads)).order_by(collated(Department.name))))


def get_department_by_code(code: str) -> Department | None:
    return db.session.scalar(select(Department).where(func.upper(Department.code) == code.strip().upper()))


def _validate(department: Department | None, *, name: str, code: str, headcount: int, licensed_seats: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    own_id = department.id if department is not None else None
    if not name.strip():
        errors["name"] = _("Enter the department's name.")
    else:
        clash = db.session.scalar(select(Department).where(func.lower(Department.name) == name.strip().lower()))
        if clash is not None and clash.id != own_id:
            errors["name"] = _("A department named %(name)s already exists.", name=clash.name)
    if not code.strip():
        errors["code"] = _("Enter a short code, for example SALES.")
    else:
        clash = get_department_by_code(code)
        if clash is not None and clash.id != own_id:
            errors["code"] = _("The code %(code)s is already used by %(name)s.", code=clash.code, name=clash.name)
    if headcount < 0:
        errors["headcount"] = _("Headcount cannot be negative.")
    if licensed_seats < 0:
        errors["licensed_seats"] = _("Licensed seats cannot be negative.")
    return errors


def create_department(*, name: str, code: str, headcount: int = 0, licensed_seats: int = 0, head: User | None = None) -> Department:
    """Add a department; `head`, if given, becomes its department head user."""
    errors = _validate(None, name=name, code=code, headcount=headcount, licensed_seats=licensed_seats)
    if errors:
        raise ValidationFailed(errors)
    department = Department(name=name.strip(), code=code.strip().upper(), headcount=headcount, licensed_seats=licensed_seats)
    db.session.add(department)
    db.session.flush()
    if head is not None:
        set_head(department, head)
    return department


def update_department(
    department: Department, *, name: str, code: str, headcount: int, licensed_seats: int
) -> Department:
    errors = _validate(department, name=name, code=code, headcount=headcount, licensed_seats=licensed_seats)
    if errors:
        raise ValidationFailed(errors)
    department.name = name.strip()
    department.code = code.strip().upper()
    department.headcount = headcount
    department.licensed_seats = licensed_seats
    db.session.flush()
    return department


def set_head(department: Department, head: User | None) -> None:
    """Make `head` the department head of `department` (it leaves any other department).

    Passing None leaves the department without a head user: the previous
    head keeps their account but is no longer bound to it.
    """
    if head is not None and head.role != Role.DEPARTMENT_HEAD:
        raise ValidationFailed(
            _("%(name)s is not a department head; change their role first.", name=head.name), field="head_id"
        )
    for previous in list(department.heads):
        if head is None or previous.id != head.id:
            previous.department_id = None
    if head is not None:
        head.department_id = department.id
    db.session.flush()
    db.session.expire(department, ["heads"])


def delete_department(department: Department) -> None:
    """Delete a department and its places in waves.

    Refused while a department head is bound to it: a department head
    without a department could not work, so they are moved first.
    """
    db.session.flush()
    db.session.expire(department, ["heads"])  # a viewonly list may be stale after set_head elsewhere
    if department.heads:
        raise ValidationFailed(
            _(
                "%(name)s is still the head of this department. Bind them to another department or change their role first.",
                name=", ".join(h.name for h in department.heads),
            )
        )
    department_deleting.send(department)  # what refers to it unchecked lets go of it (adoption's usage events)
    db.session.delete(department)
    db.session.flush()
