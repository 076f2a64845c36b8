"""What the maturity feature does: assessments and their ratings, the plan's targets, the latest agreed levels
of the organisation and of each department, trends, and which departments are due for re-assessment before
their wave's gate."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.maturity.blocks import BLOCKS, HIGHEST, LOWEST, Block
from crmproject.maturity.models import (AgreedLevel, AssessorRating, MaturityAssessment, MaturityAssessor,
                                        MaturityTarget)
from crmproject.plans.models import Plan, Wave
from crmproject.plans.seeds import PlanTemplate, made_from_template
from crmproject.plans.services import plan_departments

MAX_ASSESSORS = 8
# a department is re-assessed in the half year before its wave goes live, so the gate judges its maturity as it is
REASSESS_WINDOW = timedelta(days=180)


# --- assessments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentValues:
    department: Department | None  # None: the whole organisation
    assessed_on: date | None
    assessors: list[str]
    title: str = ""
    notes: str = ""


def assessor_names(text: str) -> list[str]:
    """The assessors typed one per line (or separated by semicolons), blank lines dropped."""
    return [n.strip() for line in text.splitlines() for n in line.split(";") if n.strip()]


def _check(plan: Plan, v: AssessmentValues, *, today: date) -> None:
    errors: dict[str, str] = {}
    if v.assessed_on is None:
        errors["assessed_on"] = _("Give the day of the assessment.")
    elif v.assessed_on > today:
        errors["assessed_on"] = _("An assessment cannot be dated after today (%(today)s).", today=today.isoformat())
    elif v.assessed_on < plan.start_date - timedelta(days=366):
        errors["assessed_on"] = _("An assessment more than a year before the plan starts does not belong to it.")
    if v.department is not None and v.department.id not in {d.id for d in plan_departments(plan)}:
        errors["department_id"] = _("%(department)s is in none of this plan's waves.", department=v.department.name)
    if not v.assessors:
        errors["assessors"] = _("Name at least one assessor.")
    elif len(v.assessors) > MAX_ASSESSORS:
        errors["assessors"] = _("At most %(n)s assessors.", n=MAX_ASSESSORS)
    elif len({n.casefold() for n in v.assessors}) < len(v.assessors):
        errors["assessors"] = _("Each assessor once: a name is repeated.")
    elif any(len(n) > 200 for n in v.assessors):
        errors["assessors"] = _("An assessor's name is longer than 200 characters.")
    if errors:
        raise ValidationFailed(errors)


def create_assessment(plan: Plan, values: AssessmentValues, *, today: date, created_by: User | None = None
                      ) -> MaturityAssessment:
    _check(plan, values, today=today)
    assessment = MaturityAssessment(plan_id=plan.id, created_by=created_by)
    _apply(assessment, values)
    db.session.add(assessment)
    db.session.flush()
    return assessment


def update_assessment(assessment: MaturityAssessment, plan: Plan, values: AssessmentValues, *, today: date
                      ) -> MaturityAssessment:
    """Change the assessment's day, scope and assessors: an assessor kept by name keeps their ratings."""
    _check(plan, values, today=today)
    _apply(assessment, values)
    db.session.flush()
    return assessment


def _apply(assessment: MaturityAssessment, v: AssessmentValues) -> None:
    assessment.department = v.department
    assessment.assessed_on = v.assessed_on  # type: ignore[assignment]
    assessment.title, assessment.notes = v.title.strip(), v.notes.strip()
    existing = {a.name.casefold(): a for a in assessment.assessors}
    kept = []
    for position, name in enumerate(v.assessors):
        assessor = existing.get(name.casefold()) or MaturityAssessor(name=name)
        assessor.name, assessor.position = name, position
        kept.append(assessor)
    assessment.assessors = kept


def delete_assessment(assessment: MaturityAssessment) -> None:
    db.session.delete(assessment)
    db.session.flush()


def scope_label(assessment: MaturityAssessment) -> str:
    return assessment.department.name if assessment.department is not None else _("Whole organisation")


# --- the ratings grid ------------------------------------------------------------------------------------------


def rating_name(assessor: MaturityAssessor, block: Block) -> str:
    return f"rating-{assessor.id}-{block.value}"


def agreed_name(block: Block) -> str:
    return f"agreed-{block.value}"


def note_name(block: Block) -> str:
    return f"note-{block.value}"


@dataclass(frozen=True)
class Ratings:
    """The grid as typed: each assessor's level per block and the agreed level and note per block (None: not rated)."""

    by_assessor: dict[tuple[int, Block], int | None]
    agreed: dict[Block, int | None]
    notes: dict[Block, str]


def grid_values(assessment: MaturityAssessment) -> dict[str, str]:
    """The saved grid as the form's boxes show it."""
    values = {rating_name(a, r.block): str(r.level) for a in assessment.assessors for r in a.ratings}
    for agreed in assessment.agreed:
        values[agreed_name(agreed.block)] = str(agreed.level)
        values[note_name(agreed.block)] = agreed.note
    return values


def _level(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not LOWEST <= int(text) <= HIGHEST:
        raise ValueError
    return int(text)


def read_grid(form: Mapping[str, str], assessment: MaturityAssessment) -> Ratings:
    """Read the grid's boxes; every box that is not a level from 0 to 6 is named in one ValidationFailed."""
    errors: dict[str, str] = {}
    by_assessor: dict[tuple[int, Block], int | None] = {}
    agreed: dict[Block, int | None] = {}
    notes: dict[Block, str] = {}

    def read(name: str) -> int | None:
        try:
            return _level(form.get(name, ""))
        except ValueError:
            errors[name] = _("A level is a whole number from 0 to 6, not %(text)s.", text=form.get(name, "")[:20])
            return None

    for info in BLOCKS:
        for assessor in assessment.assessors:
            by_assessor[(assessor.id, info.block)] = read(rating_name(assessor, info.block))
        agreed[info.block] = read(agreed_name(info.block))
        notes[info.block] = form.get(note_name(info.block), "").strip()
        if len(notes[info.block]) > 2000:
            errors[note_name(info.block)] = _("At most 2000 characters.")
        elif notes[info.block] and agreed[info.block] is None and agreed_name(info.block) not in errors:
            errors[agreed_name(info.block)] = _("A note explains the agreed level: give the level too.")
    if errors:
        raise ValidationFailed(errors)
    return Ratings(by_assessor, agreed, notes)


def save_ratings(assessment: MaturityAssessment, ratings: Ratings) -> None:
    """Replace the assessment's ratings and agreed levels with the grid's."""
    for assessor in assessment.assessors:
        assessor.ratings = [AssessorRating(block=block, level=level)
                            for (assessor_id, block), level in ratings.by_assessor.items()
                            if assessor_id == assessor.id and level is not None]
    current = {a.block: a for a in assessment.agreed}
    kept = []
    for block, level in ratings.agreed.items():
        if level is None:
            continue
        row = current.get(block) or AgreedLevel(block=block)
        row.level, row.note = level, ratings.notes.get(block, "")
        kept.append(row)
    assessment.agreed = kept
    db.session.flush()


def spread(assessment: MaturityAssessment) -> dict[Block, tuple[int, int]]:
    """The lowest and highest assessor rating per block, where assessors differ: what the agreement settled."""
    levels: dict[Block, list[int]] = {}
    for assessor in assessment.assessors:
        for rating in assessor.ratings:
            levels.setdefault(rating.block, []).append(rating.level)
    return {b: (min(v), max(v)) for b, v in levels.items() if min(v) != max(v)}


# --- targets -------------------------------------------------------------------------------------------------


def targets(plan: Plan) -> dict[Block, int]:
    rows = db.session.scalars(select(MaturityTarget).where(MaturityTarget.plan_id == plan.id)).all()
    return {r.block: r.level for r in rows}


def set_targets(plan: Plan, levels: Mapping[Block, int | None]) -> None:
    """Set the plan's target per block; None removes a block's target."""
    for block, level in levels.items():
        if level is not None and not LOWEST <= level <= HIGHEST:
            raise ValidationFailed(_("A level is a whole number from 0 to 6."), field=f"target_{block.value}")
    rows = {r.block: r for r in db.session.scalars(select(MaturityTarget).where(MaturityTarget.plan_id == plan.id))}
    for block, level in levels.items():
        row = rows.get(block)
        if level is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(MaturityTarget(plan_id=plan.id, block=block, level=level))
        elif row.level != level:
            row.level = level
    db.session.flush()


def targets_version(plan: Plan) -> str:
    """What the targets form was opened at: "0" without targets, else a digest of every target row (added,
    changed or removed), so a stale form is refused rather than silently overwriting newer targets."""
    rows = db.session.execute(select(MaturityTarget.id, MaturityTarget.block, MaturityTarget.level)
                              .where(MaturityTarget.plan_id == plan.id).order_by(MaturityTarget.id)).all()
    if not rows:
        return "0"
    return hashlib.sha256(";".join(f"{i}:{b.value}:{level}" for i, b, level in rows).encode()).hexdigest()[:16]


# --- reading the levels --------------------------------------------------------------------------------------


def plan_assessments(plan: Plan) -> list[MaturityAssessment]:
    """Every assessment of the plan, newest first, with assessors, ratings and agreed levels loaded."""
    return list(db.session.scalars(
        select(MaturityAssessment).where(MaturityAssessment.plan_id == plan.id)
        .options(selectinload(MaturityAssessment.assessors).selectinload(MaturityAssessor.ratings),
                 selectinload(MaturityAssessment.agreed), selectinload(MaturityAssessment.department))
        .order_by(MaturityAssessment.assessed_on.desc(), MaturityAssessment.id.desc())))


def in_scope(assessments: Iterable[MaturityAssessment], department_id: int | None) -> list[MaturityAssessment]:
    """The assessments of one scope (a department, or the organisation for None) that agreed on a level, oldest first."""
    chosen = [a for a in assessments if a.department_id == department_id and a.agreed]
    return sorted(chosen, key=lambda a: (a.assessed_on, a.id))


@dataclass(frozen=True)
class Radar:
    latest: MaturityAssessment | None
    previous: MaturityAssessment | None
    targets: dict[Block, int]

    @property
    def latest_levels(self) -> dict[Block, int]:
        return self.latest.agreed_levels() if self.latest else {}

    @property
    def previous_levels(self) -> dict[Block, int]:
        return self.previous.agreed_levels() if self.previous else {}

    @property
    def below_target(self) -> list[Block]:
        levels = self.latest_levels
        return [b for b, t in self.targets.items() if b in levels and levels[b] < t]


def radar(assessments: Iterable[MaturityAssessment], department_id: int | None, plan_targets: dict[Block, int]) -> Radar:
    scoped = in_scope(assessments, department_id)
    return Radar(scoped[-1] if scoped else None, scoped[-2] if len(scoped) > 1 else None, plan_targets)


def trend(assessments: Iterable[MaturityAssessment], department_id: int | None) -> dict[Block, list[tuple[date, int]]]:
    """Each block's agreed level assessment by assessment, oldest first."""
    series: dict[Block, list[tuple[date, int]]] = {}
    for assessment in in_scope(assessments, department_id):
        for block, level in assessment.agreed_levels().items():
            series.setdefault(block, []).append((assessment.assessed_on, level))
    return series


def latest_levels(plan: Plan, department_ids: Iterable[int], *, on: date | None = None
                  ) -> dict[int, dict[Block, tuple[int, date]]]:
    """Each department's most recent agreed level per block (with the day it was agreed), up to `on`: what a
    gate judges. A department never assessed is missing."""
    ids = list(department_ids)
    if not ids:
        return {}
    query = (select(MaturityAssessment.department_id, MaturityAssessment.assessed_on, AgreedLevel.block, AgreedLevel.level)
             .join(AgreedLevel, AgreedLevel.assessment_id == MaturityAssessment.id)
             .where(MaturityAssessment.plan_id == plan.id, MaturityAssessment.department_id.in_(ids))
             .order_by(MaturityAssessment.assessed_on, MaturityAssessment.id))
    if on is not None:
        query = query.where(MaturityAssessment.assessed_on <= on)
    levels: dict[int, dict[Block, tuple[int, date]]] = {}
    for department_id, day, block, level in db.session.execute(query):
        if department_id is not None:  # always: it is one of `ids`
            levels.setdefault(department_id, {})[block] = (level, day)
    return levels


# --- re-assessment before a wave's gate -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reassessment:
    department: Department
    wave: Wave
    last_assessed: date | None
    due_by: date  # the wave's go-live: the gate judges the levels then

    @property
    def never(self) -> bool:
        return self.last_assessed is None


def reassessments_due(plan: Plan, assessments: Iterable[MaturityAssessment], *, today: date) -> list[Reassessment]:
    """The departments of each wave going live within the window (half a year) that have not been assessed since it
    before that go-live opened: the gate should judge their maturity as it is now."""
    last: dict[int, date] = {}
    for a in assessments:
        if a.department_id is not None and a.agreed:
            last[a.department_id] = max(a.assessed_on, last.get(a.department_id, a.assessed_on))
    due = []
    for wave in sorted(plan.waves, key=lambda w: (w.go_live_date, w.position)):
        if not today <= wave.go_live_date <= today + REASSESS_WINDOW:
            continue
        opens = wave.go_live_date - REASSESS_WINDOW
        for assignment in wave.assignments:
            seen = last.get(assignment.department_id)
            if seen is None or seen < opens:
                due.append(Reassessment(assignment.department, wave, seen, wave.go_live_date))
    return due


# --- a plan made from a seed plan takes its targets --------------------------------------------------------------


@made_from_template
def template_targets(plan: Plan, template: PlanTemplate) -> None:
    """The maturity targets a seed plan carries (the maturity-uplift plan: level 3 on every block)."""
    if template.maturity_targets:
        set_targets(plan, {Block(block): level for block, level in template.maturity_targets.items()})
