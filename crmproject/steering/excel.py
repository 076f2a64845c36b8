"""A steering committee meeting's pack as an xlsx workbook: the meeting, its agenda, decisions and actions."""

from __future__ import annotations

from openpyxl import Workbook

from crmproject.gates.models import GateDecision
from crmproject.i18n import _
from crmproject.spreadsheets import Column, new_workbook, write_table
from crmproject.steering.models import SteeringMeeting
from crmproject.steering.services import SECTIONS, section_title


def pack_workbook(meeting: SteeringMeeting, plan_name: str, decisions: list[GateDecision]) -> Workbook:
    workbook = new_workbook()
    write_table(workbook, _("Meeting"), [Column(_("Item"), width=18), Column(_("Value"), width=90)], [
        [_("Plan"), plan_name],
        [_("Meeting"), meeting.title],
        [_("Date"), meeting.held_on],
        [_("Attendees"), ", ".join(u.name for u in meeting.attendees)],
        [_("Agenda built on"), meeting.agenda_built_on],
        [_("Minutes"), meeting.minutes],
    ])
    sections = meeting.agenda.get("sections", {})
    write_table(workbook, _("Agenda"), [Column(_("Section"), width=36), Column(_("Item"), width=90)],
                ([section_title(key), item["text"]] for key in SECTIONS for item in sections.get(key, [])))
    write_table(workbook, _("Decisions"), [
        Column(_("Gate"), width=30), Column(_("Decision")), Column(_("Recommendation")), Column(_("Decided on"), kind="date"),
        Column(_("Decided by"), width=40), Column(_("Reasoning"), width=60)],
        ([d.gate.name, str(d.outcome.label), str(d.recommendation.label), d.decided_on, d.decided_by, d.reasoning]
         for d in decisions))
    write_table(workbook, _("Actions"), [
        Column(_("Action"), width=60), Column(_("Owner"), width=24), Column(_("Due"), kind="date"), Column(_("Status"))],
        ([a.text, a.owner.name if a.owner else "", a.due_date, str(a.task.status.label) if a.task else ""]
         for a in meeting.actions))
    return workbook
