"""The roster as a usage import sees it: employees by CRM user name (and by CRM user id, under "id:" and
roster.models.user_id_key), with the department on each day.

Departments: an event counts for the department its employee belonged to on
the event's day (EmployeeDepartment); before the first recorded stay, the
first department known (rosters often start after the usage data); with no
history at all, Employee.department_id.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crmproject.extensions import db
from crmproject.roster.models import Employee, EmployeeDepartment, user_id_key

class Person:
    """An employee as the import needs them: id, and the department on a day."""

    __slots__ = ("employee_id", "department_id", "stays")

    def __init__(self, employee_id: int, department_id: int | None, stays: tuple = ()) -> None:
        self.employee_id = employee_id
        self.department_id = department_id  # the department on every day, when `stays` is empty
        self.stays = stays  # ((valid_from, valid_to, department_id), ...), newest first

    def department_on(self, day: date) -> int | None:
        """The stay covering `day` (the newest, if two do); before the first stay its department; else none."""
        if not self.stays:
            return self.department_id
        for valid_from, valid_to, department_id in self.stays:
            if valid_from <= day and (valid_to is None or day <= valid_to):
                return department_id
        if day < self.stays[-1][0]:
            return self.stays[-1][2]
        return None


ID_PREFIX = "id:"  # keys of CRM user ids, beside the user name keys: events matched by id are stored under it


def id_key(user_id: str) -> str:
    """The key of an event or a person known by CRM user id."""
    return ID_PREFIX + user_id_key(user_id)


def load_roster() -> dict[str, Person]:
    """Employees by CRM user name key and by "id:" + CRM user id key, with their department history."""
    stays: dict[int, list[tuple[date, date | None, int]]] = {}
    department_id: int | None  # a stay's always has one, an employee's may not
    for employee_id, department_id, valid_from, valid_to in db.session.execute(
        select(EmployeeDepartment.employee_id, EmployeeDepartment.department_id, EmployeeDepartment.valid_from,
               EmployeeDepartment.valid_to).order_by(EmployeeDepartment.valid_from.desc(), EmployeeDepartment.id.desc())
    ):
        stays.setdefault(employee_id, []).append((valid_from, valid_to, department_id))
    people: dict[str, Person] = {}
    for employee_id, key, user_id, department_id in db.session.execute(
        select(Employee.id, Employee.crm_username_key, Employee.crm_user_id_key, Employee.department_id).where(
            Employee.crm_username_key.is_not(None) | Employee.crm_user_id_key.is_not(None))
    ):
        history = tuple(stays.get(employee_id, ()))
        if not history:
            person = Person(employee_id, department_id)
        elif len(history) == 1 and history[0][1] is None:
            person = Person(employee_id, history[0][2])  # one open stay: that department on every day
        else:
            person = Person(employee_id, None, history)
        if key:
            people[key] = person
        if user_id:
            people[ID_PREFIX + user_id] = person
    return people

