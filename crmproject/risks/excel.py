"""A plan's risk register as an xlsx workbook: every risk with its base and effective scores, the indicators'
reasons, owner, status, review date and mitigations, and the heat map of the open risks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.risks import services
from crmproject.spreadsheets import Column, new_workbook, write_table
from crmproject.tasks.models import ChangeTask


def register_workbook(plan: Plan, views: Sequence[services.RiskView], *, today: date,
                      visible: Callable[[ChangeTask], bool] = lambda task: True) -> Workbook:
    """The register; a linked task is named only where `visible(task)` (a department head: their department's),
    the others counted."""
    workbook = new_workbook()
    ordered = sorted(views, key=lambda v: (not v.risk.is_open, -v.effective_score, v.title.casefold()))
    write_table(workbook, _("Risks"), [
        Column(_("Number"), kind="integer"), Column(_("Risk"), width=40), Column(_("Department"), width=22),
        Column(_("Status"), width=16), Column(_("Likelihood"), kind="integer"), Column(_("Impact"), kind="integer"),
        Column(_("Score"), kind="integer"), Column(_("Effective likelihood"), kind="integer"),
        Column(_("Effective score"), kind="integer"), Column(_("Level"), width=12),
        Column(_("Why the score is raised"), width=60), Column(_("Owner"), width=22),
        Column(_("Next review"), kind="date"), Column(_("Review overdue"), width=10),
        Column(_("Linked change tasks"), width=40), Column(_("Typical mitigations"), width=60),
        Column(_("Description"), width=60), Column(_("Closing note"), width=40)],
        ([v.id, v.title, v.risk.department.name if v.risk.department else _("whole plan"), str(v.risk.status.label),
          v.likelihood, v.impact, v.score, v.effective_likelihood, v.effective_score,
          str(services.LEVEL_LABELS[v.level]), " ".join(v.reasons), v.risk.owner.name if v.risk.owner else "",
          v.risk.review_date, _("yes") if v.risk.review_overdue(today) else "",
          _tasks(v.risk.tasks, visible), v.risk.mitigations, v.risk.description, v.risk.closed_note]
         for v in ordered))
    heat = services.heat_map(views)
    write_table(workbook, _("Heat map"), [Column(_("Impact \\ likelihood"), kind="integer", width=20)]
                + [Column(str(n), kind="integer") for n in services.LEVELS],
                ([impact] + [heat[(likelihood, impact)] for likelihood in services.LEVELS]
                 for impact in reversed(services.LEVELS)))
    return workbook


def _tasks(tasks: Sequence[ChangeTask], visible: Callable[[ChangeTask], bool]) -> str:
    named = [t.title for t in tasks if visible(t)]
    hidden = len(tasks) - len(named)
    if hidden:
        named.append(_("%(n)s of other departments", n=hidden))
    return "; ".join(named)
