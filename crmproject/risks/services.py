"""The risk register: the catalogue's risks on every new plan, custom risks, scoring, closing and reopening,
reviews, the change tasks that mitigate a risk, the 5x5 heat map, and the open risks a gate asks about.

A risk's score is likelihood x impact (1-25). Its effective score uses the likelihood raised by the plan's
indicators (crmproject.risks.indicators), capped at 5; the reasons say why. Closing a risk needs a note saying
why it no longer threatens the rollout."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.collation import collated
from crmproject.auth.models import User
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import Plan
from crmproject.plans.services import on_plan_created
from crmproject.plans.services import plan_today
from crmproject.risks import catalogue
from crmproject.risks.indicators import Signal, plan_signals
from crmproject.risks.models import Risk, RiskStatus
from crmproject.tasks.models import ChangeTask

LEVELS = range(1, 6)
FIRST_REVIEW_DAYS = 30  # the catalogue's risks are first reviewed a month after the plan starts (or is given them)
MAX_TITLE = 300
MAX_TEXT = 20_000

LIKELIHOOD_MEANINGS = {
    1: _l("Rare: not expected in this rollout"),
    2: _l("Unlikely: could happen, no sign of it yet"),
    3: _l("Possible: about even odds"),
    4: _l("Likely: signs of it already"),
    5: _l("Almost certain: happening or about to"),
}
IMPACT_MEANINGS = {
    1: _l("Negligible: absorbed without notice"),
    2: _l("Minor: a few days' slip or a small extra cost"),
    3: _l("Moderate: a go-live slips or a department's adoption suffers"),
    4: _l("Major: a wave fails or the budget overruns markedly"),
    5: _l("Severe: the rollout fails or is stopped"),
}


def score_level(score: int) -> str:
    """The band of a 1-25 score as the heat map colours it: low (1-4), medium (5-9), high (10-14), critical (15+)."""
    if score >= 15:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


LEVEL_LABELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High"), "critical": _l("Critical")}


# --- the catalogue on every plan ---------------------------------------------------------------------------

def missing_factors(plan: Plan) -> list[catalogue.Factor]:
    """The catalogue's factors the plan has no risk for (closed ones count as present)."""
    present = set(db.session.scalars(select(Risk.factor).where(Risk.plan_id == plan.id, Risk.factor.is_not(None))))
    return [f for f in catalogue.FACTORS if f.key not in present]


def add_catalogue_risks(plan: Plan, *, today: date | None = None) -> list[Risk]:
    """Give the plan a risk for each catalogue factor it lacks, with the catalogue's description, mitigations,
    likelihood and impact, first reviewed a month after the plan's start or `today`, whichever is later."""
    today = today or plan_today(plan)
    review = max(plan.start_date, today) + timedelta(days=FIRST_REVIEW_DAYS)
    added = [Risk(plan_id=plan.id, factor=f.key, title=str(f.title), description=str(f.description),
                  mitigations=str(f.mitigations), likelihood=f.likelihood, impact=f.impact, review_date=review)
             for f in missing_factors(plan)]
    db.session.add_all(added)
    db.session.flush()
    return added


@on_plan_created
def _seed_new_plan(plan: Plan) -> None:
    add_catalogue_risks(plan)


# --- risks ---------------------------------------------------------------------------------------------------

def list_risks(plan: Plan) -> list[Risk]:
    """The plan's risks with their department, owner and tasks, by title."""
    return list(db.session.scalars(
        select(Risk).where(Risk.plan_id == plan.id)
        .options(selectinload(Risk.department), selectinload(Risk.owner), selectinload(Risk.tasks))
        .order_by(collated(Risk.title), Risk.id)))


@dataclass(frozen=True)
class RiskValues:
    title: str
    likelihood: int | None
    impact: int | None
    department: Department | None = None
    description: str = ""
    mitigations: str = ""
    owner: User | None = None
    status: RiskStatus = RiskStatus.OPEN
    review_date: date | None = None
    closed_note: str = ""


def _check(values: RiskValues) -> None:
    errors: dict[str, str] = {}
    if not values.title.strip():
        errors["title"] = _("Say what could go wrong, in a few words.")
    elif len(values.title.strip()) > MAX_TITLE:
        errors["title"] = _("Keep the title to %(n)s characters.", n=MAX_TITLE)
    for name, value in (("likelihood", values.likelihood), ("impact", values.impact)):
        if value is None or value not in LEVELS:
            errors[name] = _("Choose a level from 1 to 5.")
    for name, text in (("description", values.description), ("mitigations", values.mitigations),
                       ("closed_note", values.closed_note)):
        if len(text) > MAX_TEXT:
            errors[name] = _("Keep this to %(n)s characters.", n=MAX_TEXT)
    if values.status.is_closed and not values.closed_note.strip():
        errors["closed_note"] = _("Say why the risk is closed: what was done, or why it no longer threatens the rollout.")
    if errors:
        raise ValidationFailed(errors)


def _apply(risk: Risk, values: RiskValues) -> None:
    was_closed = risk.status.is_closed if risk.status is not None else False
    risk.title = values.title.strip()
    risk.description = values.description.strip()
    risk.mitigations = values.mitigations.strip()
    assert values.likelihood is not None and values.impact is not None  # the callers' _check refuses them missing
    risk.likelihood, risk.impact = values.likelihood, values.impact
    risk.department_id = values.department.id if values.department is not None else None
    risk.owner_id = values.owner.id if values.owner is not None else None
    risk.status = values.status
    risk.review_date = values.review_date
    risk.closed_note = values.closed_note.strip()
    if values.status.is_closed and not was_closed:
        risk.closed_at = utcnow()
    elif not values.status.is_closed:
        risk.closed_at = None


def create_risk(plan: Plan, values: RiskValues) -> Risk:
    """Add a risk of the project manager's own (no catalogue factor)."""
    _check(values)
    risk = Risk(plan_id=plan.id)
    _apply(risk, values)
    db.session.add(risk)
    db.session.flush()
    return risk


def update_risk(risk: Risk, values: RiskValues) -> Risk:
    _check(values)
    _apply(risk, values)
    db.session.flush()
    return risk


def close_risk(risk: Risk, *, note: str) -> None:
    """Close an open risk, saying why."""
    if risk.status.is_closed:
        raise ValidationFailed(_("This risk is already closed."))
    if not note.strip():
        raise ValidationFailed(_("Say why the risk is closed: what was done, or why it no longer threatens the rollout."),
                               field="note")
    if len(note) > MAX_TEXT:
        raise ValidationFailed(_("Keep this to %(n)s characters.", n=MAX_TEXT), field="note")
    risk.status, risk.closed_note, risk.closed_at = RiskStatus.CLOSED, note.strip(), utcnow()
    db.session.flush()


def reopen_risk(risk: Risk, *, today: date) -> None:
    """Open a closed risk again (its closing note is kept, read as the earlier one), to be reviewed within a week."""
    if not risk.status.is_closed:
        raise ValidationFailed(_("This risk is not closed."))
    risk.status, risk.closed_at = RiskStatus.OPEN, None
    if risk.review_date is None or risk.review_date < today:
        risk.review_date = today + timedelta(days=7)
    db.session.flush()


def mark_reviewed(risk: Risk, *, next_review: date | None, status: RiskStatus, today: date) -> None:
    """Record a review: the risk stays open or is being mitigated, and is looked at again on `next_review`."""
    errors: dict[str, str] = {}
    if next_review is None:
        errors["next_review"] = _("Enter the date of the next review.")
    elif next_review <= today:
        errors["next_review"] = _("The next review must come after today (%(day)s).", day=today.isoformat())
    if status.is_closed:
        errors["status"] = _("Close the risk with its closing note instead.")
    if errors:
        raise ValidationFailed(errors)
    risk.review_date, risk.status = next_review, status
    db.session.flush()


def delete_risk(risk: Risk) -> None:
    """Take a risk out of the register (a catalogue factor comes back with "Add the catalogue's risks")."""
    db.session.delete(risk)
    db.session.flush()


def link_task(risk: Risk, task: ChangeTask) -> None:
    """Name a change task as one of the risk's mitigations."""
    if task.plan_id != risk.plan_id:
        raise ValidationFailed(_("The task belongs to another plan."), field="task_id")
    if task in risk.tasks:
        raise ValidationFailed(_("This task is already linked to the risk."), field="task_id")
    risk.tasks.append(task)
    db.session.flush()


def unlink_task(risk: Risk, task: ChangeTask) -> None:
    if task in risk.tasks:
        risk.tasks.remove(task)
        db.session.flush()


# --- scoring with the indicators ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RiskView:
    """A risk as the register, the heat map and a gate read it: the base score, the likelihood raised by the
    indicators, the effective score and the reasons."""

    id: int
    title: str
    department_id: int | None
    likelihood: int
    impact: int
    effective_likelihood: int
    reasons: list[str] = field(default_factory=list)
    risk: Risk = field(kw_only=True)  # the risk read

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def effective_score(self) -> int:
        return self.effective_likelihood * self.impact

    @property
    def raised(self) -> bool:
        return self.effective_likelihood > self.likelihood

    @property
    def level(self) -> str:
        return score_level(self.effective_score)


def _view(risk: Risk, signals: Sequence[Signal]) -> RiskView:
    raised = min(5, risk.likelihood + sum(s.raise_by for s in signals))
    return RiskView(id=risk.id, title=risk.title, department_id=risk.department_id, likelihood=risk.likelihood,
                    impact=risk.impact, effective_likelihood=raised, reasons=[s.reason for s in signals], risk=risk)


def assess(plan: Plan, risks: Iterable[Risk], *, today: date) -> list[RiskView]:
    """The risks scored with the indicators read from the plan's figures on `today` (plan with waves loaded).
    An indicator raises its catalogue factor's plan-wide risk; a department's own risks keep their score."""
    signals = plan_signals(plan, today=today)
    return [_view(r, signals.get(r.factor, []) if r.factor and r.department_id is None else []) for r in risks]


def open_risks(plan: Plan, *, today: date, department_ids: Iterable[int] | None = None) -> list[RiskView]:
    """The plan's risks not closed, scored with the indicators, highest effective score first: every one when
    `department_ids` is None, else the plan-wide ones and those of these departments (a gate's wave)."""
    wanted = set(department_ids) if department_ids is not None else None
    risks = [r for r in list_risks(plan) if r.is_open
             and (wanted is None or r.department_id is None or r.department_id in wanted)]
    return sorted(assess(plan, risks, today=today), key=lambda v: (-v.effective_score, v.title.casefold()))


def department_risks(plan: Plan, department_id: int) -> list[RiskView]:
    """A department's own open risks, highest score first. The indicators raise only plan-wide risks, so these
    are scored without reading the plan's figures (the department page shows them)."""
    own = [r for r in list_risks(plan) if r.is_open and r.department_id == department_id]
    return sorted((_view(r, []) for r in own), key=lambda v: (-v.effective_score, v.title.casefold()))


def heat_map(views: Iterable[RiskView]) -> dict[tuple[int, int], int]:
    """(likelihood, impact) -> how many open risks sit there, by effective likelihood; every cell present."""
    cells = {(likelihood, impact): 0 for likelihood in LEVELS for impact in LEVELS}
    for view in views:
        if view.risk is None or view.risk.is_open:
            cells[(view.effective_likelihood, view.impact)] += 1
    return cells


def overdue_reviews(risks: Iterable[Risk], *, today: date) -> list[Risk]:
    """Open risks whose review date has passed, the longest overdue first."""
    return sorted((r for r in risks if r.review_overdue(today)), key=lambda r: (r.review_date, r.title.casefold()))


def task_choices(plan: Plan, risk: Risk, *, visible) -> list[ChangeTask]:
    """The plan's change tasks that may be linked to the risk: not linked yet, and visible to the user
    (`visible(task)`), by title."""
    linked = {t.id for t in risk.tasks}
    tasks = db.session.scalars(select(ChangeTask).where(ChangeTask.plan_id == plan.id).order_by(ChangeTask.title))
    return [t for t in tasks if t.id not in linked and visible(t)]
