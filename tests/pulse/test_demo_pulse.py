"""The demo's readiness pulse tells its stories: Field Service wants the CRM but does not know it yet, Marketing
is held back at ability and Telesales at reinforcement after their go-lives, Technical Support's open survey has
too few answers to show, Finance's survey is a draft."""

from __future__ import annotations

from datetime import date

from crmproject.demo.services import demo_plan, load_demo
from crmproject.pulse import results, services
from crmproject.pulse.models import AdkarElement, SurveyKind, SurveyStatus


def test_the_demo_pulse_tells_its_stories(load_demo_copy):
    today = date.today()
    load_demo_copy(today=today)
    plan = demo_plan()
    departments = {d.code: d for d in services.plan_departments(plan)}
    readiness = results.latest_readiness([d.id for d in departments.values()], today=today, plan_id=plan.id)
    code = {d.id: c for c, d in departments.items()}
    barriers = {code[i]: r.barrier for i, r in readiness.items()}
    assert barriers["FIELD"] == AdkarElement.KNOWLEDGE
    field = readiness[departments["FIELD"].id]
    assert field.means[AdkarElement.DESIRE] >= 4 and field.kind == SurveyKind.BEFORE
    assert barriers["MKT"] == AdkarElement.ABILITY and barriers["TELE"] == AdkarElement.REINFORCEMENT
    assert barriers["SALES"] is None and barriers["KAM"] is None
    assert "FIN" not in readiness  # a draft has not run
    surveys = services.plan_surveys(plan)
    support = [s for s in surveys if s.department.code == "SUP" and s.kind == SurveyKind.AFTER][0]
    assert support.status == SurveyStatus.OPEN and not results.survey_results([support])[support.id].shown
    assert readiness[departments["SUP"].id].kind == SurveyKind.BEFORE  # its last survey with enough answers
    answered = sum(1 for s in surveys for i in s.invitations if i.answered_at)
    assert 0 < answered < sum(len(s.invitations) for s in surveys)  # some answered, some not
    assert len(results.department_trend(departments["SALES"].id, today=today)) == 3
    load_demo(today=today)  # a second load adds nothing
    assert len(services.plan_surveys(plan)) == len(surveys)
