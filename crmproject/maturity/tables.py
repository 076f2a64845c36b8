"""The maturity page's list of assessments, for its CSV download (crmproject.exports.Table). (The xlsx,
maturity.excel, holds every agreed level and rating.)"""

from __future__ import annotations

from crmproject.exports import Column, Table
from crmproject.i18n import lazy_gettext as _l
from crmproject.maturity.blocks import BLOCKS
from crmproject.maturity.services import scope_label

ASSESSMENTS = Table(
    Column(_l("Assessed on"), lambda a: a.assessed_on),
    Column(_l("Assessed"), scope_label),
    Column(_l("Title"), lambda a: a.title),
    Column(_l("Assessors"), lambda a: ", ".join(p.name for p in a.assessors)),
    Column(_l("Blocks agreed"), lambda a: f"{len(a.agreed)} / {len(BLOCKS)}"),
)



def _assessor_rating(ratings: dict, assessor_id: int):
    """An assessor's column: their rating of each building block."""
    return lambda info: ratings.get((assessor_id, info.block))

def ratings_table(assessment, ratings: dict, agreed: dict, targets: dict, level_label) -> Table:
    """An assessment's page: a building block a row, each assessor's rating, the agreed level, the target and the
    note. `ratings` by (assessor id, block), `agreed` by block, `targets` by block; rows are BLOCK_INFO's."""
    return Table(
        Column(_l("Building block"), lambda info: f"{info.number}. {info.block.label}"),
        *(Column(p.name, _assessor_rating(ratings, p.id)) for p in assessment.assessors),
        Column(_l("Agreed"), lambda info: level_label(agreed[info.block].level) if info.block in agreed else None),
        Column(_l("Target"), lambda info: level_label(targets.get(info.block)) or None),
        Column(_l("Note"), lambda info: agreed[info.block].note if info.block in agreed else None),
    )
