"""The training pages' tables, for their CSV downloads (crmproject.exports.Table): the courses, and a course's
enrolments."""

from __future__ import annotations

from decimal import Decimal

from crmproject.exports import Column, Table
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l


def _percent(value) -> int | None:
    return None if value is None else round(Decimal(str(value)))


def courses_table(completion: dict, sessions: dict) -> Table:
    """The courses, with their completion (`completion` by course id) and sessions (counts by course id)."""
    def done(course, field):
        found = completion.get(course.id)
        return getattr(found, field) if found else 0

    return Table(
        Column(_l("Code"), lambda c: c.code),
        Column(_l("Course"), lambda c: c.name),
        Column(_l("CRM module"), lambda c: c.crm_module.code if c.crm_module else None),
        Column(_l("Audience"), lambda c: c.audience),
        Column(_l("Hours"), lambda c: c.length_hours),
        Column(_l("Sessions"), lambda c: sessions.get(c.id, 0)),
        Column(_l("Enrolled"), lambda c: done(c, "enrolled")),
        Column(_l("Withdrawn"), lambda c: done(c, "withdrawn")),
        Column(_l("Waived or n/a"), lambda c: done(c, "excluded")),
        Column(_l("Valid for"), lambda c: c.validity_months),
        Column(_l("Expired"), lambda c: done(c, "expired")),
        Column(_l("Completion"), lambda c: _percent(completion[c.id].percent) if completion.get(c.id) else None),
    )


ENROLMENTS = Table(
    Column(_l("Person"), lambda e: e.employee.name),
    Column(_l("Department"), lambda e: e.employee.department.name if e.employee.department else _("No department")),
    Column(_l("Status"), lambda e: e.status),
    Column(_l("Completed on"), lambda e: e.completed_on),
    Column(_l("Score"), lambda e: e.score),
    Column(_l("Session"), lambda e: e.session.day if e.session else None),
)


# a course's page, besides its enrolments: completion per department (?table=departments), sessions (?table=sessions)
COURSE_DEPARTMENTS = Table(
    Column(_l("Department"), lambda r: r.department_name or _("No department")),
    Column(_l("Enrolled"), lambda r: r.completion.enrolled),
    Column(_l("Completed"), lambda r: r.completion.completed),
    Column(_l("Withdrawn"), lambda r: r.completion.withdrawn),
    Column(_l("Waived or n/a"), lambda r: r.completion.excluded),
    Column(_l("Expired"), lambda r: r.completion.expired),
    Column(_l("Completion"), lambda r: None if r.completion.percent is None
           else round(Decimal(str(r.completion.percent)), 1)),
)


def sessions_table(bookings: dict) -> Table:
    """The course's sessions; `bookings`: people booked by session id."""
    return Table(
        Column(_l("Date"), lambda s: s.day),
        Column(_l("Trainer"), lambda s: s.trainer),
        Column(_l("Place or link"), lambda s: s.location),
        Column(_l("Booked"),
               lambda s: f"{bookings.get(s.id, 0)} / {s.capacity}" if s.capacity else bookings.get(s.id, 0)),
    )
