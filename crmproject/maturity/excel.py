"""A plan's maturity assessments as an xlsx workbook: the agreed levels against the targets, and every
assessor's rating."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook

from crmproject.i18n import _
from crmproject.maturity import services
from crmproject.maturity.blocks import BLOCKS, Block, level_name
from crmproject.maturity.models import MaturityAssessment
from crmproject.spreadsheets import Column, new_workbook, write_table


def maturity_workbook(assessments: Sequence[MaturityAssessment], targets: dict[Block, int]) -> Workbook:
    workbook = new_workbook()
    agreed_rows, rating_rows = [], []
    for a in assessments:
        levels = {x.block: x for x in a.agreed}
        for info in BLOCKS:
            row = levels.get(info.block)
            target = targets.get(info.block)
            agreed_rows.append([
                a.assessed_on, services.scope_label(a), a.title, info.number, str(info.block.label),
                row.level if row else None, level_name(row.level) if row else "", target,
                (row.level - target) if row is not None and target is not None else None, row.note if row else ""])
            for assessor in a.assessors:
                rating = next((r for r in assessor.ratings if r.block == info.block), None)
                if rating is not None:
                    rating_rows.append([a.assessed_on, services.scope_label(a), str(info.block.label), assessor.name,
                                        rating.level])
    write_table(workbook, _("Agreed levels"), [
        Column(_("Assessed on"), kind="date"), Column(_("Assessed"), width=28), Column(_("Title"), width=28),
        Column(_("Block number"), kind="integer"), Column(_("Building block"), width=30),
        Column(_("Agreed level"), kind="integer"), Column(_("Level"), width=14), Column(_("Target"), kind="integer"),
        Column(_("Against target"), kind="integer"), Column(_("Note"), width=60)], agreed_rows)
    write_table(workbook, _("Assessors' ratings"), [
        Column(_("Assessed on"), kind="date"), Column(_("Assessed"), width=28), Column(_("Building block"), width=30),
        Column(_("Assessor"), width=28), Column(_("Level"), kind="integer")], rating_rows)
    return workbook
