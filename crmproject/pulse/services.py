"""Running a readiness pulse: surveys per department, personal links for its people, their answers, and the
results a department head enters instead. Results are computed in crmproject.pulse.results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from crmproject.auth.models import User
from crmproject.auth.permissions import can_manage_pulse
from crmproject.db import rows_matched, utcnow
from crmproject.departments.models import Department
from crmproject.enums import LabelledEnum
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import Plan, Wave
from crmproject.plans.services import plan_departments
from crmproject.pulse import tokens
from crmproject.pulse.models import (AdkarElement, PulseEnteredResult, PulseInvitation, PulseResponse, PulseSurvey,
                                     SurveyKind, SurveyStatus)
from crmproject.pulse.results import ELEMENTS
from crmproject.plans.services import plan_zone
from crmproject.roster.models import Employee

SCORE_RANGE = range(1, 6)
NPS_RANGE = range(0, 11)


# --- surveys ---------------------------------------------------------------------------------------------------


def go_lives(plan: Plan) -> dict[int, Wave]:
    """Each department of the plan's waves, with its wave (plan with waves loaded)."""
    return {a.department_id: w for w in plan.waves for a in w.assignments}


def department_choices(plan: Plan, user: User) -> list[Department]:
    """The plan's departments this user may run a pulse for: every one for planners, their own for a head."""
    return [d for d in plan_departments(plan) if can_manage_pulse(user, d.id)]


def plan_surveys(plan: Plan) -> list[PulseSurvey]:
    return list(db.session.scalars(
        select(PulseSurvey).where(PulseSurvey.plan_id == plan.id).options(selectinload(PulseSurvey.department))
        .order_by(PulseSurvey.opens_on.desc(), PulseSurvey.id.desc())))


@dataclass
class SurveyValues:
    department: Department | None
    kind: SurveyKind
    title: str
    opens_on: date | None
    closes_on: date | None


def _check(plan: Plan, values: SurveyValues, survey: PulseSurvey | None) -> None:
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not values.title.strip():
        refuse("title", _("Give the survey a title, such as 'Sales before go-live'."))
    waves = go_lives(plan)
    department = values.department
    if department is None or department.id not in waves:
        refuse("department_id", _("Choose a department of one of this plan's waves."))
    if values.opens_on is None:
        refuse("opens_on", _("This field is required."))
    if values.closes_on is None:
        refuse("closes_on", _("This field is required."))
    if values.opens_on and values.closes_on and values.closes_on < values.opens_on:
        refuse("closes_on", _("The survey closes on or after the day it opens (%(day)s).", day=values.opens_on.isoformat()))
    if department is not None and department.id in waves and values.opens_on is not None:
        go_live = waves[department.id].go_live_date
        if values.kind == SurveyKind.BEFORE and values.opens_on > go_live:
            refuse("opens_on", _("%(department)s goes live on %(day)s: a survey before go-live opens by that day.",
                                 department=department.name, day=go_live.isoformat()))
        if values.kind == SurveyKind.AFTER and values.opens_on < go_live:
            refuse("opens_on", _("%(department)s goes live on %(day)s: a survey after go-live opens on that day or later.",
                                 department=department.name, day=go_live.isoformat()))
    if survey is not None and (survey.invitations or survey.responses or survey.entered is not None):
        if department is not None and department.id != survey.department_id:
            refuse("department_id", _("People of %(department)s have links to this survey: its department stays.",
                                      department=survey.department.name))
        if values.kind != survey.kind and (survey.responses or survey.entered is not None):
            refuse("kind", _("Answers have come in: whether the survey is before or after go-live stays."))
    if errors:
        raise ValidationFailed(errors)


def link_expiry(plan: Plan, closes_on: date) -> datetime:
    """A link works until the end of the survey's last day in the plan's time zone."""
    return datetime.combine(closes_on + timedelta(days=1), time.min, tzinfo=plan_zone(plan))


def create_survey(plan: Plan, values: SurveyValues, *, actor: User | None) -> PulseSurvey:
    """A new survey, as a draft: its links do not work until it is opened."""
    _check(plan, values, None)
    survey = PulseSurvey(plan_id=plan.id, department=values.department, kind=values.kind, title=values.title.strip(),
                         opens_on=values.opens_on, closes_on=values.closes_on, status=SurveyStatus.DRAFT,
                         created_by_id=actor.id if actor is not None else None)
    db.session.add(survey)
    db.session.flush()
    return survey


def update_survey(survey: PulseSurvey, plan: Plan, values: SurveyValues) -> PulseSurvey:
    """Change a survey; its links not yet used follow a new closing day."""
    _check(plan, values, survey)
    assert values.department is not None and values.opens_on is not None and values.closes_on is not None  # checked
    survey.department, survey.kind, survey.title = values.department, values.kind, values.title.strip()
    survey.opens_on, survey.closes_on = values.opens_on, values.closes_on
    expiry = link_expiry(plan, values.closes_on)
    for invitation in survey.invitations:
        if invitation.answered_at is None:
            invitation.expires_at = expiry
    db.session.flush()
    return survey


def open_survey(survey: PulseSurvey, *, today: date) -> None:
    """Let the links answer (again, after a close) until the closing day."""
    if survey.status == SurveyStatus.OPEN:
        raise ValidationFailed(_("The survey is already open."))
    if survey.closes_on < today:
        raise ValidationFailed(_("The survey closed on %(day)s: move its closing day first.", day=survey.closes_on.isoformat()))
    if survey.opens_on > today:
        raise ValidationFailed(_("The survey opens on %(day)s: open it then, or move its opening day.",
                                 day=survey.opens_on.isoformat()))
    survey.status = SurveyStatus.OPEN
    db.session.flush()


def close_survey(survey: PulseSurvey) -> None:
    """No more answers; the results stay."""
    if survey.status != SurveyStatus.OPEN:
        raise ValidationFailed(_("Only an open survey can be closed."))
    survey.status = SurveyStatus.CLOSED
    db.session.flush()


def delete_survey(survey: PulseSurvey) -> None:
    """Remove a survey with its links, answers and entered results."""
    db.session.delete(survey)
    db.session.flush()


# --- personal links ----------------------------------------------------------------------------------------------


def current_people(department_id: int) -> list[Employee]:
    """The department's active employees now (crmproject.roster), by name."""
    return list(db.session.scalars(select(Employee).where(Employee.department_id == department_id, Employee.active.is_(True))
                                   .order_by(Employee.name, Employee.id)))


def invite_department(survey: PulseSurvey, plan: Plan) -> int:
    """A personal link for every current employee of the survey's department who has none yet; returns how
    many were made. A closed survey takes no new people."""
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationFailed(_("The survey is closed: open it again before inviting people."))
    invited = {i.employee_id for i in survey.invitations}
    people = [p for p in current_people(survey.department_id) if p.id not in invited]
    if not people and not invited:
        raise ValidationFailed(_("Nobody works in %(department)s according to the roster: add its people first.",
                                 department=survey.department.name))
    expiry = link_expiry(plan, survey.closes_on)
    issued = tokens.now_issued()
    for person in people:
        invitation = PulseInvitation(survey=survey, employee=person, token_hash="", issued=issued, expires_at=expiry)
        db.session.add(invitation)
        db.session.flush()  # its id goes into the token
        invitation.token_hash = tokens.token_hash(tokens.make_token(invitation.id, issued))
    db.session.flush()
    return len(people)


def renew_link(invitation: PulseInvitation) -> None:
    """A new link for a person whose link went astray: the old one stops working."""
    # Whether the person has answered is not told (a used link stays used whatever its token), so who answered
    # cannot be read off the page. The signing moment only ever goes down, so no earlier link is drawn again
    # (two renewals within a second, or a clock set back); a signature may not come from the future.
    invitation.issued = min(tokens.now_issued(), invitation.issued - 1)
    invitation.token_hash = tokens.token_hash(tokens.make_token(invitation.id, invitation.issued))
    db.session.flush()


def link_token(invitation: PulseInvitation) -> str:
    """The token of the person's link, drawn again from its id and signing moment."""
    return tokens.make_token(invitation.id, invitation.issued)


def invitations(survey: PulseSurvey) -> list[PulseInvitation]:
    return list(db.session.scalars(select(PulseInvitation).where(PulseInvitation.survey_id == survey.id)
                                   .options(selectinload(PulseInvitation.employee))
                                   .order_by(PulseInvitation.id)))


# --- answering -------------------------------------------------------------------------------------------------------


class LinkState(LabelledEnum):
    USABLE = "usable", _l("Ready to answer")
    INVALID = "invalid", _l("This link is not valid")
    EXPIRED = "expired", _l("This link has expired")
    ANSWERED = "answered", _l("This link has been used")
    NOT_OPEN = "not_open", _l("The survey has not opened yet")
    CLOSED = "closed", _l("The survey is closed")


def find_invitation(token: object, *, now: datetime | None = None) -> tuple[PulseInvitation | None, LinkState]:
    """The invitation a link stands for and whether it may answer now."""
    try:
        invitation_id = tokens.read_token(token)
    except tokens.BadToken:
        return None, LinkState.INVALID
    invitation = db.session.get(PulseInvitation, invitation_id)
    if invitation is None or not tokens.matches(str(token), invitation.token_hash):
        return None, LinkState.INVALID
    return invitation, link_state(invitation, now=now or utcnow())


def link_state(invitation: PulseInvitation, *, now: datetime) -> LinkState:
    if invitation.answered_at is not None:
        return LinkState.ANSWERED
    survey = invitation.survey
    if survey.status == SurveyStatus.CLOSED:
        return LinkState.CLOSED
    if now >= invitation.expires_at:
        return LinkState.EXPIRED
    if survey.status == SurveyStatus.DRAFT:
        return LinkState.NOT_OPEN
    return LinkState.USABLE


@dataclass
class Answer:
    scores: dict[AdkarElement, int | None]
    nps: int | None = None


def _check_answer(survey: PulseSurvey, answer: Answer) -> None:
    errors: dict[str, str] = {}
    for element in ELEMENTS:
        score = answer.scores.get(element)
        if score is None:
            errors[element.value] = _("Choose a score from 1 to 5.")
        elif score not in SCORE_RANGE:
            errors[element.value] = _("A score is from 1 to 5; %(score)s is not.", score=score)
    if answer.nps is not None:
        if not survey.asks_nps:
            errors["nps"] = _("The recommendation question is asked only after go-live.")
        elif answer.nps not in NPS_RANGE:
            errors["nps"] = _("The recommendation score is from 0 to 10; %(score)s is not.", score=answer.nps)
    if errors:
        raise ValidationFailed(errors)


def record_answer(invitation: PulseInvitation, answer: Answer, *, now: datetime | None = None) -> PulseResponse:
    """Save a person's answers once. The link is marked used in the same statement that checks it is not, so
    two posts of one link at the same moment save one answer; the answer keeps no trace of whose it is."""
    now = now or utcnow()
    state = link_state(invitation, now=now)
    if state != LinkState.USABLE:
        raise ValidationFailed(str(state.label))
    _check_answer(invitation.survey, answer)
    used = db.session.execute(update(PulseInvitation).where(PulseInvitation.id == invitation.id,
                                                            PulseInvitation.answered_at.is_(None))
                              .values(answered_at=answered_day(now)).execution_options(synchronize_session=False))
    if rows_matched(used) != 1:
        raise ValidationFailed(str(LinkState.ANSWERED.label))
    response = PulseResponse(survey_id=invitation.survey_id, nps=answer.nps,
                             answered_on=now.astimezone(plan_zone(_plan(invitation.survey))).date(),
                             **{e.value: answer.scores[e] for e in ELEMENTS})
    db.session.add(response)
    db.session.flush()
    db.session.refresh(invitation)
    return response


def answered_day(moment: datetime) -> datetime:
    """When a link was used, kept to the day (midnight UTC): an exact moment would pair each invitation with the
    answer saved at that moment."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _plan(survey: PulseSurvey) -> Plan:
    plan = db.session.get(Plan, survey.plan_id)
    assert plan is not None
    return plan


# --- results a department head enters ----------------------------------------------------------------------------


@dataclass
class EnteredValues:
    respondents: int | None
    invited: int | None
    means: dict[AdkarElement, Decimal | None]
    promoters: int | None = None
    detractors: int | None = None


def _check_entered(survey: PulseSurvey, values: EnteredValues) -> None:
    errors: dict[str, str] = {}
    if values.respondents is None or values.respondents < 1:
        errors["respondents"] = _("Enter how many people answered: at least one.")
    if values.invited is None or values.invited < 1:
        errors["invited"] = _("Enter how many people were asked: at least one.")
    elif values.respondents is not None and values.invited < values.respondents:
        errors["invited"] = _("More people answered (%(n)s) than were asked.", n=values.respondents)
    for element in ELEMENTS:
        mean = values.means.get(element)
        if mean is None:
            errors[element.value] = _("Enter the mean score, from 1 to 5.")
        elif not Decimal(1) <= mean <= Decimal(5):
            errors[element.value] = _("A mean score is from 1 to 5.")
    if survey.asks_nps:
        if (values.promoters is None) != (values.detractors is None):
            name = "detractors" if values.detractors is None else "promoters"
            errors[name] = _("Enter both promoters and detractors, or neither.")
        for name in ("promoters", "detractors"):
            count = getattr(values, name)
            if count is not None and count < 0:
                errors[name] = _("A number of people cannot be negative.")
        if (values.promoters or 0) >= 0 and (values.detractors or 0) >= 0 and values.respondents is not None \
                and (values.promoters or 0) + (values.detractors or 0) > values.respondents:
            errors.setdefault("detractors", _("Promoters and detractors together are more than the %(n)s who answered.",
                                              n=values.respondents))
    elif values.promoters is not None or values.detractors is not None:
        errors["promoters"] = _("The recommendation question is asked only after go-live.")
    if errors:
        raise ValidationFailed(errors)


def enter_results(survey: PulseSurvey, values: EnteredValues, *, by: User | None,
                  now: datetime | None = None) -> PulseEnteredResult:
    """Keep the department's results as its head collected them; entering again replaces them."""
    if survey.status == SurveyStatus.DRAFT:
        raise ValidationFailed(_("Open the survey before entering its results."))
    _check_entered(survey, values)
    row = survey.entered or PulseEnteredResult(survey_id=survey.id)
    assert values.respondents is not None and values.invited is not None  # _check_entered refuses them missing
    row.respondents, row.invited = values.respondents, values.invited
    for element in ELEMENTS:
        setattr(row, element.value, values.means[element])
    row.promoters, row.detractors = (values.promoters, values.detractors) if survey.asks_nps else (None, None)
    row.entered_by_id = by.id if by is not None else None
    row.entered_at = now or utcnow()
    survey.entered = row
    db.session.add(row)
    db.session.flush()
    return row


def remove_entered(survey: PulseSurvey) -> None:
    """Take the entered results out (entered for the wrong survey); the link answers stay."""
    if survey.entered is None:
        raise ValidationFailed(_("No results were entered for this survey."))
    db.session.delete(survey.entered)
    survey.entered = None
    db.session.flush()
