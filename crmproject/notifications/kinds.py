"""The kinds of notification, who gets each and how they are told by default, and what each one says.

A notification keeps its facts as values (`params`: names, ISO dates, figures); `message()` writes them in the
language and calendar in force, so the list reads in its reader's language and an e-mail in its recipient's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crmproject.dates import date_text, unbroken
from crmproject.enums import LabelledEnum
from crmproject.i18n import _, format_number, ngettext
from crmproject.i18n import lazy_gettext as _l


class Kind(LabelledEnum):
    REPORT_DUE = "report_due", _l("Status report due")
    REPORT_OVERDUE = "report_overdue", _l("Status report overdue")
    TASK_ASSIGNED = "task_assigned", _l("Task assigned to you")
    TASK_DUE_SOON = "task_due_soon", _l("Task due soon")
    TASK_OVERDUE = "task_overdue", _l("Task overdue")
    TASK_BLOCKED = "task_blocked", _l("Task blocked")
    GATE_UPCOMING = "gate_upcoming", _l("Gate decision coming up")
    ADOPTION_WARNING = "adoption_warning", _l("Adoption fading or without effect")
    MENTION = "mention", _l("Mentioned in a comment")
    WEEKLY_DIGEST = "weekly_digest", _l("Weekly digest for leadership")


class Channel(LabelledEnum):
    NONE = "none", _l("None")
    APP = "app", _l("In the application")
    EMAIL = "email", _l("By e-mail")
    BOTH = "both", _l("E-mail and in the application")

    @property
    def wants_app(self) -> bool:
        return self in (Channel.APP, Channel.BOTH)

    @property
    def wants_email(self) -> bool:
        return self in (Channel.EMAIL, Channel.BOTH)


class EmailStatus(LabelledEnum):
    NONE = "none", _l("No e-mail")  # not wanted, or no SMTP server configured
    PENDING = "pending", _l("To be sent")
    SENDING = "sending", _l("Being sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")


# Who gets each kind, for the settings page.
AUDIENCE = {
    Kind.REPORT_DUE: _l("Department heads: your department's status report for the period is open, with its due date."),
    Kind.REPORT_OVERDUE: _l("Department heads: your department's status report is past its due date."),
    Kind.TASK_ASSIGNED: _l("A change task was given to you by someone else."),
    Kind.TASK_DUE_SOON: _l("A task you own is due within three days."),
    Kind.TASK_OVERDUE: _l("A task you own is past its due date."),
    Kind.TASK_BLOCKED: _l("A task you own was marked blocked."),
    Kind.GATE_UPCOMING: _l("Steering committee: a phase or wave gate is to be decided within two weeks."),
    Kind.ADOPTION_WARNING: _l("Department heads and project managers: a department's adoption is fading or shows no effect."),
    Kind.MENTION: _l("Someone named you with @ in a comment."),
    Kind.WEEKLY_DIGEST: _l("Executives and the steering committee: the headline figures and what changed in the week."),
}

# Without a choice of their own, everyone is told of everything both ways, except a task falling due (in the
# application: it is on their task list anyway).
DEFAULTS = {kind: Channel.BOTH for kind in Kind} | {Kind.TASK_DUE_SOON: Channel.APP}


def message(kind: Kind, params: dict[str, Any], *, page: bool = False) -> str:
    """What the notification says, in the language and calendar in force; for a `page`, its dates never broken
    across lines (an e-mail's are plain text)."""

    def _day(value: Any) -> str:
        if not value:
            return ""
        text = date_text(date.fromisoformat(value))
        return unbroken(text) if page else text

    p = params
    if kind == Kind.REPORT_DUE:
        return _("%(department)s: the status report for %(start)s to %(end)s is due on %(due)s.",
                 department=p["department"], start=_day(p["start"]), end=_day(p["end"]), due=_day(p["due"]))
    if kind == Kind.REPORT_OVERDUE:
        return _("%(department)s: the status report for %(start)s to %(end)s was due on %(due)s and is not submitted.",
                 department=p["department"], start=_day(p["start"]), end=_day(p["end"]), due=_day(p["due"]))
    if kind == Kind.TASK_ASSIGNED:
        if p.get("by"):
            return _("%(by)s gave you the task \"%(task)s\".", by=p["by"], task=p["task"])
        return _("You now own the task \"%(task)s\".", task=p["task"])
    if kind == Kind.TASK_DUE_SOON:
        return _("Your task \"%(task)s\" is due on %(due)s.", task=p["task"], due=_day(p["due"]))
    if kind == Kind.TASK_OVERDUE:
        return _("Your task \"%(task)s\" was due on %(due)s and is not done.", task=p["task"], due=_day(p["due"]))
    if kind == Kind.TASK_BLOCKED:
        return _("Your task \"%(task)s\" is blocked.", task=p["task"])
    if kind == Kind.GATE_UPCOMING:
        return _("The gate \"%(gate)s\" of %(plan)s is to be decided on %(due)s.", gate=p["gate"], plan=p["plan"],
                 due=_day(p["due"]))
    if kind == Kind.ADOPTION_WARNING:
        if p["shape"] == "fading":
            return _("%(department)s: adoption is fading, %(latest)s%% now against a peak of %(peak)s%%.",
                     department=p["department"], latest=format_number(p["latest"], 1), peak=format_number(p["peak"], 1))
        return _("%(department)s: adoption shows no effect, a peak of %(peak)s%% in %(weeks)s weeks since the go-live.",
                 department=p["department"], peak=format_number(p["peak"], 1), weeks=p["weeks"])
    if kind == Kind.MENTION:
        return _mention(p, _day)
    if kind == Kind.WEEKLY_DIGEST:
        return ngettext("%(plan)s, week to %(end)s: %(n)s change recorded.",
                        "%(plan)s, week to %(end)s: %(n)s changes recorded.", p["changes"], plan=p["plan"],
                        end=_day(p["end"]))
    return kind.label


def _mention(p: dict[str, Any], day) -> str:
    """A mention, said of what the comment is on."""
    on = p.get("on")
    if on == "task":
        return _("%(author)s mentioned you in a comment on the task \"%(name)s\".", author=p["author"], name=p["name"])
    if on == "report":
        return _("%(author)s mentioned you in a comment on the status report of %(name)s from %(start)s.",
                 author=p["author"], name=p["name"], start=day(p.get("start")))
    if on == "kpi":
        return _("%(author)s mentioned you in a comment on the KPI \"%(name)s\".", author=p["author"], name=p["name"])
    return _("%(author)s mentioned you in a comment on the decision on the gate \"%(name)s\".", author=p["author"],
             name=p["name"])


def subject(kind: Kind, messages: list[str]) -> str:
    """An e-mail's subject: the one notification's message, or the kind and how many."""
    if len(messages) == 1:
        return messages[0]
    return _("%(kind)s: %(n)s notifications", kind=kind.label, n=format_number(len(messages), 0))
