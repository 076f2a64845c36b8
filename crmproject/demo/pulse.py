"""The demo plan's readiness pulse: ADKAR surveys before and after each wave's go-live.

Sales (the pilot) stalled at ability before its go-live and has grown steadier in two surveys since; in wave 2
Marketing's ability is low while it waits for the newsletter integration, and Telesales' reinforcement fades;
wave 3 went live two weeks ago and its after-go-live survey is open (Technical Support has too few answers to
show yet); of the enterprise wave, Field Service wants the CRM but does not know it yet (barrier: knowledge),
E-commerce is ready, and Finance's survey is still a draft."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from babel.dates import format_skeleton
from sqlalchemy import select

from crmproject.db import utcnow
from crmproject.demo.language import DemoTexts
from crmproject.extensions import db
from crmproject.plans.models import Plan
from crmproject.pulse import services
from crmproject.pulse.models import AdkarElement, PulseResponse, PulseSurvey, SurveyKind, SurveyStatus
from crmproject.pulse.results import ELEMENTS
from crmproject.plans.services import plan_zone

BEFORE, AFTER = SurveyKind.BEFORE, SurveyKind.AFTER

# department: [(kind, days from its go-live to the opening, days open, share of people answering,
#               the mean score of each ADKAR element, the mean NPS score after go-live or None)]
SURVEYS: dict[str, list[tuple]] = {
    "SALES": [(BEFORE, -28, 14, 0.8, (3.9, 3.5, 3.2, 2.6, 3.1), None),
              (AFTER, 42, 14, 0.7, (4.2, 3.9, 3.7, 3.4, 3.3), 7.6),
              (AFTER, None, 14, 0.65, (4.4, 4.1, 4.0, 3.9, 3.8), 8.3)],  # None: a month ago
    "MKT": [(BEFORE, -28, 14, 0.75, (3.8, 3.9, 3.1, 3.0, 3.2), None),
            (AFTER, 42, 14, 0.7, (4.0, 3.6, 3.4, 2.6, 3.0), 6.4)],
    "KAM": [(BEFORE, -28, 14, 0.85, (4.1, 3.6, 3.3, 3.2, 3.4), None),
            (AFTER, 42, 14, 0.8, (4.3, 3.9, 3.8, 3.6, 3.5), 8.1)],
    "TELE": [(BEFORE, -28, 14, 0.7, (3.6, 3.3, 3.0, 3.1, 3.0), None),
             (AFTER, 42, 14, 0.6, (3.9, 3.2, 3.6, 3.4, 2.5), 5.9)],
    "CS": [(BEFORE, -28, 14, 0.75, (3.9, 3.7, 3.4, 3.2, 3.3), None),
           (AFTER, 10, 14, 0.55, (4.0, 3.6, 3.5, 3.1, 3.0), 6.9)],
    "SUP": [(BEFORE, -28, 14, 0.6, (3.7, 3.4, 3.3, 3.1, 3.2), None),
            (AFTER, 10, 14, 0.08, (3.8, 3.5, 3.4, 3.2, 3.1), 7.0)],
    "FIELD": [(BEFORE, None, 21, 0.6, (4.0, 4.4, 2.2, 2.5, 3.0), None)],  # high desire, low knowledge
    "ECOM": [(BEFORE, None, 21, 0.7, (4.2, 4.0, 3.6, 3.4, 3.3), None)],
    "FIN": [(BEFORE, None, 21, 0.0, (3.0, 3.0, 3.0, 3.0, 3.0), None)],  # a draft: links made, not yet open
}
TITLES = {BEFORE: "%(department)s before go-live", AFTER: "%(department)s after go-live"}


def _score(rng: random.Random, mean: float, low: int, high: int, spread: float = 0.6) -> int:
    return max(low, min(high, round(rng.gauss(mean, spread))))


def load_demo_pulse(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """The demo's readiness surveys, their links and answers, once."""
    if db.session.scalar(select(PulseSurvey.id).where(PulseSurvey.plan_id == plan.id).limit(1)) is not None:
        return
    rng = random.Random(14)
    waves = services.go_lives(plan)
    departments = {d.code: d for d in services.plan_departments(plan)}
    zone = plan_zone(plan)
    for code, surveys in SURVEYS.items():
        department = departments.get(code)
        if department is None:
            continue
        go_live = waves[department.id].go_live_date
        for number, (kind, offset, days, share, means, nps) in enumerate(surveys):
            opens = go_live + timedelta(days=offset) if offset is not None else today - timedelta(days=30 if kind == AFTER else 7)
            closes = opens + timedelta(days=days)
            title = texts(TITLES[kind], department=department.name)
            if number > 1:  # a second survey after go-live: its month tells them apart
                title = texts("%(survey)s (%(month)s)", survey=title,
                              month=format_skeleton("yMMMM", opens, locale=texts.language))
            survey = services.create_survey(plan, services.SurveyValues(department=department, kind=kind, title=title,
                                                                        opens_on=opens, closes_on=closes), actor=None)
            services.invite_department(survey, plan)
            if share == 0:
                continue  # a draft
            running = opens <= today <= closes
            survey.status = SurveyStatus.OPEN if running else SurveyStatus.CLOSED
            answering = rng.sample(survey.invitations, round(len(survey.invitations) * share))
            for invitation in answering:
                scores = {e: _score(rng, m, 1, 5) for e, m in zip(ELEMENTS, means, strict=True)}
                recommend = _score(rng, nps, 0, 10, 1.8) if nps is not None else None
                day = opens + timedelta(days=rng.randint(0, max(0, min(days, (today - opens).days))))
                moment = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=zone)
                _answer(invitation, scores, recommend, min(moment, utcnow()))
    db.session.flush()


def _answer(invitation, scores: dict[AdkarElement, int], nps: int | None, moment: datetime) -> None:
    """An answer on a given day (the services record answers as they come, now): the link used, the answer
    kept without a trace of whose it is."""
    invitation.answered_at = services.answered_day(moment)
    db.session.add(PulseResponse(survey_id=invitation.survey_id, nps=nps, answered_on=moment.date(),
                                 **{e.value: score for e, score in scores.items()}))
