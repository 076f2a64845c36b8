"""A plan's hypercare issue log as an xlsx workbook: the issues with their times against target, and each
department's figures and exit criteria."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook

from crmproject.hypercare import services
from crmproject.hypercare.models import HypercareIssue
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.services import plan_zone
from crmproject.spreadsheets import Column, new_workbook, write_table


def issues_workbook(plan: Plan, issues: Sequence[HypercareIssue], rules: services.Policy, *, now: datetime) -> Workbook:
    zone = plan_zone(plan).key
    workbook = new_workbook()
    departments = services.hypercare_by_department(plan, now=now, issues=issues, rules=rules)
    write_table(workbook, _("Departments"), [
        Column(_("Department"), width=28), Column(_("Wave"), width=24), Column(_("Go-live"), kind="date"),
        Column(_("Planned end"), kind="date"), Column(_("State"), width=28), Column(_("Issues"), kind="integer"),
        Column(_("Open"), kind="integer"), Column(_("Responded within target"), kind="percent"),
        Column(_("Resolved within target"), kind="percent"), Column(_("Median response (hours)"), kind="number"),
        Column(_("Median resolution (hours)"), kind="number"), Column(_("Exit criteria not met"), width=60)],
        ([d.name, d.wave, d.go_live, d.ends, str(d.state.label), d.issues, d.open, d.response_share, d.resolution_share,
          d.response_median, d.resolution_median, "; ".join(f"{c.label}: {c.detail}" for c in d.failing)]
         for d in departments.values()))
    local = _("(time zone %(zone)s)", zone=zone)
    rows = []
    for issue in issues:
        clock = services.issue_clock(issue, rules.targets[issue.severity], now=now)
        rows.append([
            issue.id, issue.department.name, issue.title, str(issue.severity.label), str(issue.category.label),
            issue.reported_by, services.as_local(plan, issue.reported_at), services.as_local(plan, issue.first_response_at),
            services.as_local(plan, issue.resolved_at), clock.response_hours, str(clock.response.label),
            clock.resolution_hours, str(clock.resolution.label), issue.handler.name if issue.handler else "",
            issue.resolution, issue.description])
    write_table(workbook, _("Issues"), [
        Column(_("Number"), kind="integer"), Column(_("Department"), width=24), Column(_("Issue"), width=50),
        Column(_("Severity")), Column(_("Category"), width=18), Column(_("Reported by"), width=24),
        Column(f"{_('Reported')} {local}", kind="datetime"), Column(f"{_('First response')} {local}", kind="datetime"),
        Column(f"{_('Resolved')} {local}", kind="datetime"), Column(_("Response (hours)"), kind="number"),
        Column(_("Response against target"), width=20), Column(_("Resolution (hours)"), kind="number"),
        Column(_("Resolution against target"), width=20), Column(_("Handled by"), width=24),
        Column(_("Resolution"), width=50), Column(_("Details"), width=50)], rows)
    return workbook
