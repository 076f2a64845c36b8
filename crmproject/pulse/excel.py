"""The readiness pulse as xlsx workbooks: a plan's results per survey (aggregates only, never a person's
answers), and a survey's personal links to hand out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from openpyxl import Workbook

from crmproject.departments.models import Department
from crmproject.i18n import _
from crmproject.pulse.models import PulseInvitation, PulseSurvey
from crmproject.pulse.results import ELEMENTS, MIN_RESPONDENTS, DepartmentReadiness, SurveyResults
from crmproject.spreadsheets import Column, new_workbook, write_table


def results_workbook(surveys: Sequence[PulseSurvey], results: dict[int, SurveyResults],
                     departments: Sequence[tuple[Department, DepartmentReadiness | None]]) -> Workbook:
    """Two sheets: each department's readiness from its latest survey, and every survey's results."""
    workbook = new_workbook()
    write_table(workbook, _("Readiness by department"), [
        Column(_("Department"), width=24), Column(_("Latest survey"), width=32), Column(_("Closes"), kind="date"),
        *[Column(str(e.label), kind="number", number_format="0.00") for e in ELEMENTS],
        Column(_("Barrier point"), width=16), Column(_("Answered"), kind="integer"),
        Column(_("Response rate"), kind="percent"), Column(_("NPS"), kind="number", number_format="0"),
        Column(_("Note"), width=34)],
        ([d.name, r.survey_title if r else "", r.survey_date if r else None, *[r.means.get(e) if r else None for e in ELEMENTS],
          str(r.barrier.label) if r and r.barrier else "", r.respondents if r else None, r.response_rate if r else None,
          r.nps if r else None, _("no survey has run yet") if r is None else
          ("" if r.enough_answers else _("fewer than %(n)s answers: not shown", n=MIN_RESPONDENTS))]
         for d, r in departments))
    rows = []
    for survey in surveys:
        r = results[survey.id]
        rows.append([
            survey.department.name, survey.title, str(survey.kind.label), str(survey.status.label), survey.opens_on,
            survey.closes_on, r.invited, r.linked, r.entered, r.response_rate,
            *[r.means.get(e) for e in ELEMENTS], str(r.barrier.label) if r.barrier else ("" if r.shown else "—"),
            r.nps, "" if r.shown else _("fewer than %(n)s answers: not shown", n=MIN_RESPONDENTS)])
    write_table(workbook, _("Pulse results"), [
        Column(_("Department"), width=24), Column(_("Survey"), width=32), Column(_("When"), width=16),
        Column(_("Status"), width=10), Column(_("Opens"), kind="date"), Column(_("Closes"), kind="date"),
        Column(_("Asked"), kind="integer"), Column(_("Answered through links"), kind="integer"),
        Column(_("Entered by the head"), kind="integer"), Column(_("Response rate"), kind="percent"),
        *[Column(str(e.label), kind="number", number_format="0.00") for e in ELEMENTS],
        Column(_("Barrier point"), width=16), Column(_("NPS"), kind="number", number_format="0"),
        Column(_("Note"), width=34)], rows)
    return workbook


def links_workbook(survey: PulseSurvey, invitations: Sequence[PulseInvitation], link: Callable[[PulseInvitation], str]) -> Workbook:
    """Name, e-mail and personal link of everyone invited, to send out by hand (or by mail merge)."""
    workbook = new_workbook()
    write_table(workbook, _("Personal links"), [
        Column(_("Name"), width=28), Column(_("E-mail"), width=30), Column(_("Link"), width=90)],
        # who has answered is not listed: beside results shown as they come in, it would tell whose answer moved them
        ([i.employee.name, i.employee.email or "", link(i)] for i in invitations))
    return workbook
