"""The people behind a department's adoption figures: who never used the CRM since the department went live,
who has been inactive for 7, 30 or 90 days, and what each person did last. What a department head acts on.

Inactivity is measured as of the latest day any usage export brought (capped at
today), so a month-old export does not make everyone look a month idle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from sqlalchemy import and_, func, select

from crmproject.adoption.models import ImportState, UsageEvent, UsageImport
from crmproject.departments.models import Department
from crmproject.enums import LabelledEnum
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.roster.models import Employee
from crmproject.spreadsheets import Column, new_workbook, write_table


class ActivityGroup(LabelledEnum):
    """Where a person stands, from the most to the least urgent; each person is in exactly one group."""

    NEVER = "never", _l("Never used the CRM since the go-live")
    INACTIVE_90 = "inactive-90", _l("Inactive for 90 days or more")
    INACTIVE_30 = "inactive-30", _l("Inactive for 30 to 89 days")
    INACTIVE_7 = "inactive-7", _l("Inactive for 7 to 29 days")
    ACTIVE = "active", _l("Active in the last 7 days")


THRESHOLDS = ((90, ActivityGroup.INACTIVE_90), (30, ActivityGroup.INACTIVE_30), (7, ActivityGroup.INACTIVE_7))
SORTS = ("group", "name", "last")


def activity_group(last_day: date | None, *, go_live: date | None, as_of: date) -> ActivityGroup:
    """A person's group: no event on or after the go-live (any event, where the department is in no wave) is
    'never'; otherwise the days from their last activity to `as_of`."""
    if last_day is None or (go_live is not None and last_day < go_live):
        return ActivityGroup.NEVER
    idle = (as_of - last_day).days
    for days, group in THRESHOLDS:
        if idle >= days:
            return group
    return ActivityGroup.ACTIVE


@dataclass(frozen=True)
class PersonActivity:
    employee_id: int
    name: str
    email: str
    crm_username: str
    job_role: str
    last_day: date | None  # their last event, whatever the department then
    last_action: str
    last_object: str
    group: ActivityGroup
    as_of: date

    @property
    def days_inactive(self) -> int | None:
        return max((self.as_of - self.last_day).days, 0) if self.last_day is not None else None


@dataclass(frozen=True)
class DepartmentPeople:
    department: Department
    go_live: date | None
    as_of: date
    people: list[PersonActivity]

    @property
    def counts(self) -> dict[ActivityGroup, int]:
        found = Counter(p.group for p in self.people)
        return {group: found.get(group, 0) for group in ActivityGroup}

    def shown(self, *, group: ActivityGroup | None = None, sort: str = "group") -> list[PersonActivity]:
        """The people of one group (None: everyone), sorted by group (most urgent first, then longest idle),
        by name, or by last activity (oldest first, never first)."""
        people = [p for p in self.people if group is None or p.group == group]
        order = list(ActivityGroup)
        by_name = lambda p: (p.name.casefold(), p.employee_id)  # noqa: E731
        if sort == "name":
            return sorted(people, key=by_name)
        if sort == "last":
            return sorted(people, key=lambda p: (p.last_day or date.min, *by_name(p)))
        return sorted(people, key=lambda p: (order.index(p.group), p.last_day or date.min, *by_name(p)))


def as_of_day(today: date) -> date:
    """The latest day a finished usage import brought, or today when none did (never after today)."""
    latest = db.session.scalar(select(func.max(UsageImport.last_day)).where(UsageImport.state == ImportState.DONE))
    return min(latest, today) if latest is not None else today


def department_people(department: Department, *, go_live: date | None, as_of: date) -> DepartmentPeople:
    """The department's active employees and their last activity: two queries, whatever the head count (the
    last activity is one grouped max(day) per person, joined back for that day's last event)."""
    employees = list(db.session.scalars(
        select(Employee).where(Employee.department_id == department.id, Employee.active.is_(True))
        .order_by(Employee.name, Employee.id)))
    last = _last_events([e.id for e in employees], department.id)
    people = []
    for e in employees:
        day, action, obj = last.get(e.id, (None, "", ""))
        people.append(PersonActivity(e.id, e.name, e.email or "", e.crm_username or "", e.job_role or "", day, action,
                                     obj, activity_group(day, go_live=go_live, as_of=as_of), as_of))
    return DepartmentPeople(department, go_live, as_of, people)


def _last_events(employee_ids: Sequence[int], department_id: int) -> dict[int, tuple[date, str, str]]:
    """Employee id -> the day, action and object of their latest event (one statement)."""
    if not employee_ids:
        return {}
    e = UsageEvent
    members = select(Employee.id).where(Employee.department_id == department_id, Employee.active.is_(True))
    last_days = (select(e.employee_id.label("employee_id"), func.max(e.day).label("last_day"))
                 .where(e.employee_id.in_(members)).group_by(e.employee_id).subquery())
    ranked = (select(e.employee_id, e.day, e.action, e.object,
                     func.row_number().over(partition_by=e.employee_id, order_by=(e.occurred_at.desc(), e.id.desc()))
                     .label("n"))
              .join(last_days, and_(e.employee_id == last_days.c.employee_id, e.day == last_days.c.last_day))
              .subquery())
    rows = db.session.execute(select(ranked.c.employee_id, ranked.c.day, ranked.c.action, ranked.c.object)
                              .where(ranked.c.n == 1))
    return {employee_id: (day, action or "", obj or "") for employee_id, day, action, obj in rows}


def people_workbook(found: DepartmentPeople, people: Sequence[PersonActivity]) -> Workbook:
    """The list as a spreadsheet: one row a person; text is written as text, never as a formula."""
    columns = [
        Column(_("Name")), Column(_("E-mail")), Column(_("CRM user name")), Column(_("Job role")), Column(_("Group")),
        Column(_("Last activity"), "date"), Column(_("Last action")), Column(_("Last object")),
        Column(_("Days without activity"), "integer"),
    ]
    workbook = new_workbook()
    write_table(workbook, _("People"), columns, [
        [p.name, p.email, p.crm_username, p.job_role, str(p.group.label), p.last_day, p.last_action, p.last_object,
         p.days_inactive] for p in people])
    go_live = found.go_live if found.go_live else _("in no wave")
    write_table(workbook, _("About"), [Column(_("What")), Column(_("Value"))], [
        [_("Department"), found.department.name], [_("Go-live"), go_live],
        [_("Inactivity as of"), found.as_of],
        *[[str(group.label), n] for group, n in found.counts.items()],
    ])
    return workbook
