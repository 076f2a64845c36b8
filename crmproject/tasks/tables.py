"""The tables of "My tasks" and of the communication plan, for their CSV downloads (crmproject.exports.Table).
(The plan's task list has its own export, tasks.excel, as xlsx and CSV.)"""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l

MY_TASKS = Table(
    Column(_l("Task"), lambda t: t.title),
    Column(_l("Plan"), lambda t: t.plan.name),
    Column(_l("Due"), lambda t: t.due_date),
    Column(_l("Status"), lambda t: t.status),
    Column(_l("Department"), lambda t: t.department.name if t.department else None),
)

COMMUNICATIONS = Table(
    Column(_l("Date"), lambda c: c.planned_date),
    Column(_l("Audience"), lambda c: c.audience),
    Column(_l("Channel"), lambda c: c.channel),
    Column(_l("Message"), lambda c: c.message),
    Column(_l("Owner"), lambda c: c.owner.name if c.owner else None),
    Column(_l("Status"), lambda c: c.status),
)
