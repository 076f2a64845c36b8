"""What a pulse tells: per survey the respondents, the response rate, the mean of each ADKAR element, the
barrier point and, after go-live, the NPS; per department the latest survey and the trend from survey to
survey. Answers through personal links and the results a department head entered are combined, weighted by
their respondents.

Results are shown only from MIN_RESPONDENTS answers on: below that, in a small department, a mean would tell
what a named person answered. The counts (how many answered, the response rate) are always shown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from crmproject.extensions import db
from crmproject.pulse.models import (AdkarElement, PulseEnteredResult, PulseInvitation, PulseResponse, PulseSurvey,
                                     SurveyKind, SurveyStatus)

ELEMENTS: tuple[AdkarElement, ...] = tuple(AdkarElement)
BARRIER_BELOW = Decimal(3)  # an element whose mean is below this holds the department back
MIN_RESPONDENTS = 3  # results are shown from this many answers on, so nobody's answers can be told apart
TWO_PLACES, ONE_PLACE, WHOLE = Decimal("0.01"), Decimal("0.1"), Decimal(1)


def barrier_point(means: dict[AdkarElement, Decimal]) -> AdkarElement | None:
    """The first element in ADKAR order whose mean is below 3: the point where the change stalls (a
    department that wants the CRM but does not know how to use it stalls at knowledge). None when none is."""
    for element in ELEMENTS:
        mean = means.get(element)
        if mean is not None and mean < BARRIER_BELOW:
            return element
    return None


def nps_score(promoters: int, detractors: int, answers: int) -> Decimal | None:
    """Net promoter score: the share of promoters (9-10) minus the share of detractors (0-6), in percent
    points from -100 to 100, rounded to whole points; None without an answer."""
    if answers <= 0:
        return None
    return (Decimal(promoters - detractors) * 100 / answers).quantize(WHOLE, rounding=ROUND_HALF_UP)


def response_rate(respondents: int, invited: int) -> Decimal | None:
    """Respondents as a percentage of the people asked, to one place; None when nobody was asked."""
    if invited <= 0:
        return None
    return (Decimal(respondents) * 100 / invited).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tally:
    """The answers through personal links of one survey, summed."""

    invited: int = 0
    answers: int = 0
    sums: dict[AdkarElement, int] = field(default_factory=dict)
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0


@dataclass(frozen=True)
class SurveyResults:
    survey_id: int
    department_id: int
    title: str
    kind: SurveyKind
    status: SurveyStatus
    opens_on: date
    closes_on: date
    invited: int  # links given out, plus the people the head says were asked
    linked: int  # answers through personal links
    entered: int  # respondents of the head's entered results
    response_rate: Decimal | None
    # the mean per element: empty while fewer than MIN_RESPONDENTS answered
    means: dict[AdkarElement, Decimal]
    barrier: AdkarElement | None
    nps: Decimal | None
    nps_answers: int

    @property
    def respondents(self) -> int:
        return self.linked + self.entered

    @property
    def shown(self) -> bool:
        """Enough answers to show the means without telling anyone's answers."""
        return self.respondents >= MIN_RESPONDENTS

    @property
    def lowest(self) -> tuple[AdkarElement, Decimal] | None:
        """The element with the lowest mean (the first in ADKAR order on a tie)."""
        if not self.means:
            return None
        element = min(ELEMENTS, key=lambda e: (self.means[e], ELEMENTS.index(e)))
        return element, self.means[element]


def combine(survey: PulseSurvey, tally: Tally, entered: PulseEnteredResult | None) -> SurveyResults:
    """One survey's results from its link answers and its entered results, each weighted by its respondents."""
    from_entered = entered.respondents if entered is not None else 0
    respondents = tally.answers + from_entered
    means: dict[AdkarElement, Decimal] = {}
    # one or two answers through links never show, not even mixed with entered results: whoever entered them
    # knows their own figures and could work the few answers out of the combined mean
    if respondents >= MIN_RESPONDENTS and not 0 < tally.answers < MIN_RESPONDENTS:
        for element in ELEMENTS:
            total = Decimal(tally.sums.get(element, 0))
            if entered is not None:
                total += getattr(entered, element.value) * entered.respondents
            means[element] = (total / respondents).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    nps = None
    nps_answers = 0
    if survey.kind == SurveyKind.AFTER:
        promoters, detractors, nps_answers = tally.promoters, tally.detractors, tally.nps_answers
        if entered is not None and entered.promoters is not None:
            promoters += entered.promoters
            detractors += entered.detractors or 0
            nps_answers += entered.respondents
        if nps_answers >= MIN_RESPONDENTS and not 0 < tally.nps_answers < MIN_RESPONDENTS:
            nps = nps_score(promoters, detractors, nps_answers)
    invited = tally.invited + (entered.invited if entered is not None else 0)
    return SurveyResults(
        survey_id=survey.id, department_id=survey.department_id, title=survey.title, kind=survey.kind,
        status=survey.status, opens_on=survey.opens_on, closes_on=survey.closes_on, invited=invited,
        linked=tally.answers, entered=from_entered, response_rate=response_rate(respondents, invited), means=means,
        barrier=barrier_point(means), nps=nps, nps_answers=nps_answers)


def tallies(survey_ids: Iterable[int]) -> dict[int, Tally]:
    """The link answers and links given out per survey, in two grouped queries."""
    ids = sorted(set(survey_ids))
    if not ids:
        return {}
    invited: dict[int, int] = dict(db.session.execute(
        select(PulseInvitation.survey_id, func.count()).where(PulseInvitation.survey_id.in_(ids))
        .group_by(PulseInvitation.survey_id)).all())
    columns = [func.sum(getattr(PulseResponse, e.value)) for e in ELEMENTS]
    rows = db.session.execute(
        select(PulseResponse.survey_id, func.count(), *columns, func.count(PulseResponse.nps),
               func.sum(case((PulseResponse.nps >= 9, 1), else_=0)),
               func.sum(case((PulseResponse.nps <= 6, 1), else_=0)))
        .where(PulseResponse.survey_id.in_(ids)).group_by(PulseResponse.survey_id)).all()
    answered = {row[0]: row for row in rows}
    result = {}
    for survey_id in ids:
        row = answered.get(survey_id)
        if row is None:
            result[survey_id] = Tally(invited=invited.get(survey_id, 0))
            continue
        sums = {e: int(row[2 + i] or 0) for i, e in enumerate(ELEMENTS)}
        result[survey_id] = Tally(invited=invited.get(survey_id, 0), answers=int(row[1]), sums=sums,
                                  nps_answers=int(row[7] or 0), promoters=int(row[8] or 0), detractors=int(row[9] or 0))
    return result


def survey_results(surveys: Sequence[PulseSurvey]) -> dict[int, SurveyResults]:
    """The results of each survey, by survey id."""
    counted = tallies(s.id for s in surveys)
    entered = {e.survey_id: e for e in db.session.scalars(
        select(PulseEnteredResult).where(PulseEnteredResult.survey_id.in_([s.id for s in surveys])))} if surveys else {}
    return {s.id: combine(s, counted[s.id], entered.get(s.id)) for s in surveys}


def _answered_surveys(department_ids: Iterable[int], *, today: date, plan_id: int | None = None) -> list[PulseSurvey]:
    """The departments' surveys that have run (open or closed, opened by `today`), oldest first."""
    ids = sorted(set(department_ids))
    if not ids:
        return []
    query = (select(PulseSurvey).where(PulseSurvey.department_id.in_(ids),
                                       PulseSurvey.status.in_([SurveyStatus.OPEN, SurveyStatus.CLOSED]),
                                       PulseSurvey.opens_on <= today)
             .order_by(PulseSurvey.opens_on, PulseSurvey.closes_on, PulseSurvey.id))
    if plan_id is not None:
        query = query.where(PulseSurvey.plan_id == plan_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class DepartmentReadiness:
    """A department's readiness from its latest pulse: what the gate criterion and the summaries read."""

    department_id: int
    survey_id: int
    survey_title: str
    survey_date: date  # the day the survey closes (or closed)
    kind: SurveyKind
    means: dict[AdkarElement, Decimal]  # empty when too few answered to show (enough_answers False)
    lowest: Decimal | None  # the lowest element mean
    lowest_element: AdkarElement | None
    barrier: AdkarElement | None  # the first element below 3, in ADKAR order
    respondents: int
    response_rate: Decimal | None  # percent
    nps: Decimal | None
    enough_answers: bool  # at least MIN_RESPONDENTS answered: the means are shown and can be judged

    @classmethod
    def of(cls, results: SurveyResults) -> DepartmentReadiness:
        lowest = results.lowest
        return cls(department_id=results.department_id, survey_id=results.survey_id, survey_title=results.title,
                   survey_date=results.closes_on, kind=results.kind, means=dict(results.means),
                   lowest=lowest[1] if lowest else None, lowest_element=lowest[0] if lowest else None,
                   barrier=results.barrier, respondents=results.respondents, response_rate=results.response_rate,
                   nps=results.nps, enough_answers=results.shown)


def latest_readiness(department_ids: Iterable[int], *, today: date,
                     plan_id: int | None = None) -> dict[int, DepartmentReadiness]:
    """Each department's readiness from its latest survey that has run (open or closed, opened by `today`)
    with enough answers to show; failing that, its latest survey that has run, with `enough_answers` False.
    A department without such a survey is left out. `plan_id` keeps to one plan's surveys.

    This is the public service for the gate criterion "readiness of the wave's departments"."""
    surveys = _answered_surveys(department_ids, today=today, plan_id=plan_id)
    results = survey_results(surveys)
    latest: dict[int, DepartmentReadiness] = {}
    for survey in surveys:  # oldest first: a later survey replaces an earlier one, unless it has too few answers
        found = results[survey.id]
        kept = latest.get(survey.department_id)
        if kept is None or found.shown or not kept.enough_answers:
            latest[survey.department_id] = DepartmentReadiness.of(found)
    return latest


def department_trend(department_id: int, *, today: date, plan_id: int | None = None) -> list[SurveyResults]:
    """The department's surveys that have run, oldest first, with their results: the trend from survey to
    survey (only those with enough answers carry means)."""
    surveys = _answered_surveys([department_id], today=today, plan_id=plan_id)
    results = survey_results(surveys)
    return [results[s.id] for s in surveys]
