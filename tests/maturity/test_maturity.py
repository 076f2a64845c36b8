"""The CRM maturity model: assessments with each assessor's rating and the agreed level, the plan's targets, the
radar and trend, re-assessment before a wave's gate, the gate criterion, and the pages."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.gates import criteria
from crmproject.gates import services as gates
from crmproject.gates.criteria import CriterionStatus
from crmproject.gates.models import CriterionKind
from crmproject.maturity import services
from crmproject.maturity.blocks import BLOCKS, Block
from crmproject.maturity.charts import radar_figure
from crmproject.maturity.models import AgreedLevel, AssessorRating, MaturityAssessment
from crmproject.plans import services as plan_services
from crmproject.plans.models import WaveKind
from crmproject.plans.seeds import create_plan_from_template, get_template

TODAY = date.today()


@pytest.fixture
def rollout(make_plan, make_department):
    """Sales went live three months ago; Service and Finance go live in two months (wave 2)."""
    plan = make_plan(start=TODAY - timedelta(days=300), end=TODAY + timedelta(days=400))
    sales, service, finance = (make_department(name=n, code=n.upper()) for n in ("Sales", "Service", "Finance"))
    pilot = plan_services.add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=90), kind=WaveKind.PILOT,
                                   departments=[sales])
    second = plan_services.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=60),
                                    departments=[service, finance])
    db.session.commit()
    return {"plan": plan, "sales": sales, "service": service, "finance": finance, "pilot": pilot, "second": second}


def assess(plan, department, *, days_ago: int, agreed: dict[Block, int], assessors=("Anna", "Boris"),
           ratings: dict[str, dict[Block, int]] | None = None) -> MaturityAssessment:
    assessment = services.create_assessment(plan, services.AssessmentValues(
        department=department, assessed_on=TODAY - timedelta(days=days_ago), assessors=list(assessors)), today=TODAY)
    by_name = {a.name: a for a in assessment.assessors}
    services.save_ratings(assessment, services.Ratings(
        by_assessor={(by_name[name].id, block): level for name, levels in (ratings or {}).items()
                     for block, level in levels.items()},
        agreed=dict(agreed), notes={}))
    db.session.commit()
    return assessment


EVERY = {b: 3 for b in Block}


# --- the model ------------------------------------------------------------------------------------------------


def test_the_eight_building_blocks_carry_the_seeds_sub_areas_and_every_level_is_described():
    assert [b.block for b in BLOCKS] == list(Block)
    assert [b.number for b in BLOCKS] == list(range(1, 9))
    info = {b.block: b for b in BLOCKS}
    assert [str(s) for s in info[Block.METRICS].sub_areas] == ["value", "retention", "satisfaction", "loyalty",
                                                              "cost to serve"]
    assert len(info[Block.COLLABORATION].sub_areas) == 6
    for block in BLOCKS:
        meanings = [block.meaning(level) for level in range(7)]
        assert all(meanings) and len(set(meanings)) == 7, block.block
    assert "No CRM action" in BLOCKS[0].meaning(0)


# --- assessments ----------------------------------------------------------------------------------------------


def test_an_assessment_keeps_each_assessors_rating_and_the_agreed_level_with_its_note(rollout):
    plan, sales = rollout["plan"], rollout["sales"]
    assessment = services.create_assessment(plan, services.AssessmentValues(
        department=sales, assessed_on=TODAY, assessors=["Anna", "Boris"], title="Before the pilot"), today=TODAY)
    anna, boris = assessment.assessors
    form = {services.rating_name(anna, Block.INFORMATION): "2", services.rating_name(boris, Block.INFORMATION): "4",
            services.agreed_name(Block.INFORMATION): "3", services.note_name(Block.INFORMATION): "One database, 5% duplicates"}
    services.save_ratings(assessment, services.read_grid(form, assessment))
    db.session.commit()
    assert assessment.agreed_levels() == {Block.INFORMATION: 3}
    assert assessment.agreed[0].note == "One database, 5% duplicates"
    assert services.spread(assessment) == {Block.INFORMATION: (2, 4)}
    assert db.session.scalar(select(func.count()).select_from(AssessorRating)) == 2


def test_a_level_outside_0_to_6_is_named_at_its_box_and_nothing_is_read(rollout):
    assessment = assess(rollout["plan"], rollout["sales"], days_ago=1, agreed={Block.VISION: 2})
    anna = assessment.assessors[0]
    bad = {services.rating_name(anna, Block.VISION): "7", services.agreed_name(Block.STRATEGY): "two",
           services.note_name(Block.METRICS): "A note without a level"}
    with pytest.raises(ValidationFailed) as refused:
        services.read_grid(bad, assessment)
    assert set(refused.value.errors) == {services.rating_name(anna, Block.VISION), services.agreed_name(Block.STRATEGY),
                                         services.agreed_name(Block.METRICS)}
    assert "0 to 6" in refused.value.errors[services.rating_name(anna, Block.VISION)][0]
    assert assessment.agreed_levels() == {Block.VISION: 2}


def test_an_assessment_needs_a_day_not_in_the_future_an_assessor_and_a_department_of_the_plan(rollout, make_department):
    plan = rollout["plan"]
    stranger = make_department(name="Legal", code="LEGAL")
    with pytest.raises(ValidationFailed) as refused:
        services.create_assessment(plan, services.AssessmentValues(
            department=stranger, assessed_on=TODAY + timedelta(days=1), assessors=[]), today=TODAY)
    assert set(refused.value.errors) == {"assessed_on", "department_id", "assessors"}
    with pytest.raises(ValidationFailed) as twice:
        services.create_assessment(plan, services.AssessmentValues(
            department=None, assessed_on=TODAY, assessors=["Anna", "anna"]), today=TODAY)
    assert "repeated" in twice.value.errors["assessors"][0]


def test_renaming_the_assessors_keeps_the_ratings_of_those_kept(rollout):
    plan = rollout["plan"]
    assessment = assess(plan, None, days_ago=3, agreed={Block.VISION: 2},
                        ratings={"Anna": {Block.VISION: 2}, "Boris": {Block.VISION: 3}})
    services.update_assessment(assessment, plan, services.AssessmentValues(
        department=None, assessed_on=assessment.assessed_on, assessors=["Anna", "Chen"]), today=TODAY)
    db.session.commit()
    assert [a.name for a in assessment.assessors] == ["Anna", "Chen"]
    assert [(r.block, r.level) for r in assessment.assessors[0].ratings] == [(Block.VISION, 2)]
    assert assessment.assessors[1].ratings == []


def test_deleting_an_assessment_deletes_its_ratings(rollout):
    assessment = assess(rollout["plan"], None, days_ago=3, agreed=EVERY, ratings={"Anna": EVERY})
    services.delete_assessment(assessment)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AgreedLevel)) == 0
    assert db.session.scalar(select(func.count()).select_from(AssessorRating)) == 0


# --- reading the levels ----------------------------------------------------------------------------------------


def test_the_radar_compares_the_latest_agreed_levels_with_the_previous_and_the_target(rollout):
    plan = rollout["plan"]
    assess(plan, None, days_ago=200, agreed={b: 2 for b in Block})
    assess(plan, None, days_ago=10, agreed={**{b: 3 for b in Block}, Block.METRICS: 2})
    assess(plan, rollout["sales"], days_ago=5, agreed={b: 4 for b in Block})  # another scope
    services.set_targets(plan, EVERY)
    radar = services.radar(services.plan_assessments(plan), None, services.targets(plan))
    assert radar.latest_levels[Block.VISION] == 3 and radar.previous_levels[Block.VISION] == 2
    assert radar.below_target == [Block.METRICS]
    figure = radar_figure(radar.latest_levels, radar.previous_levels, radar.targets, latest_name="Latest",
                          previous_name="Previous")
    assert [t["name"] for t in figure["data"]] == ["Target", "Previous", "Latest"]
    latest = figure["data"][2]
    assert latest["r"][0] == latest["r"][-1] == 3 and latest["r"][7] == 2  # closed polygon; metrics is block 8
    trend = services.trend(services.plan_assessments(plan), None)
    assert [level for _d, level in trend[Block.METRICS]] == [2, 2]
    assert [level for _d, level in trend[Block.VISION]] == [2, 3]


def test_a_department_is_prompted_for_re_assessment_before_its_waves_gate(rollout):
    plan = rollout["plan"]
    assess(plan, rollout["service"], days_ago=300, agreed=EVERY)  # long before the window
    assess(plan, rollout["finance"], days_ago=20, agreed=EVERY)
    due = services.reassessments_due(plan, services.plan_assessments(plan), today=TODAY)
    assert [(r.department.name, r.wave.name) for r in due] == [("Service", "Wave 2")]
    assert due[0].last_assessed == TODAY - timedelta(days=300)


def test_a_seed_plan_brings_its_maturity_targets(app, make_department):
    template = get_template("maturity-uplift")
    plan = create_plan_from_template(template, start=TODAY)
    db.session.commit()
    assert services.targets(plan) == {b: 3 for b in Block}
    gate = next(g for g in gates.list_gates(plan) if g.wave is not None and g.wave.name == "Wave 2")
    maturity = next(c for c in gate.criteria if c.kind == CriterionKind.MATURITY)
    assert maturity.blocks == "processes,information,technology"


# --- the gate criterion ---------------------------------------------------------------------------------------


def test_the_maturity_criterion_judges_the_waves_departments_against_the_target_on_the_chosen_blocks(rollout):
    plan, second = rollout["plan"], rollout["second"]
    services.set_targets(plan, {Block.INFORMATION: 3, Block.TECHNOLOGY: 3, Block.VISION: 4})
    gate = gates.create_gate(plan, name="Wave 2 may go live", wave=second)
    criterion = gates.add_criterion(gate, kind=CriterionKind.MATURITY, blocks=["information", "technology"])
    assert criterion.threshold == Decimal(100)
    db.session.commit()

    def judge():
        evidence = criteria.gather(plan_services.load_plan(plan.id), today=TODAY)
        return criteria.evaluate(gate, evidence).results[0]

    nobody = judge()
    assert nobody.status == CriterionStatus.NO_DATA
    assess(plan, rollout["service"], days_ago=10, agreed={Block.INFORMATION: 3, Block.TECHNOLOGY: 3, Block.VISION: 1})
    half = judge()  # Finance is not assessed: its two pairs are not at target
    assert half.status == CriterionStatus.NOT_MET and half.measured == Decimal(50)
    assert "Not assessed: Finance" in half.detail and "Information, Technology" in half.detail
    assess(plan, rollout["finance"], days_ago=5, agreed={Block.INFORMATION: 2, Block.TECHNOLOGY: 4})
    three = judge()
    assert three.measured == Decimal(75) and "Finance: Information 2 developing (target 3 practising)" in three.detail
    assess(plan, rollout["finance"], days_ago=1, agreed={Block.INFORMATION: 3})  # technology stays 4 from before
    assert judge().status == CriterionStatus.MET


def test_blocks_belong_only_to_a_maturity_criterion(rollout):
    gate = gates.create_gate(rollout["plan"], name="Wave 2", wave=rollout["second"])
    with pytest.raises(ValidationFailed) as refused:
        gates.add_criterion(gate, kind=CriterionKind.TRAINING, blocks=["vision"])
    assert "building_blocks" in refused.value.errors


# --- the pages ------------------------------------------------------------------------------------------------


def test_a_head_records_their_departments_assessment_and_rates_it_on_the_grid(rollout, make_user, login, open_form):
    plan, service = rollout["plan"], rollout["service"]
    client = login(make_user(Role.DEPARTMENT_HEAD, department=service))
    form = open_form(f"/plans/{plan.id}/maturity/assessments/new")
    response = client.post(form.action, data=form.data(department_id=str(service.id), assessed_on=TODAY.isoformat(),
                                                       assessors="Sara Ahmadi\nPaula"))
    assert response.status_code == 302
    assessment = db.session.scalar(select(MaturityAssessment))
    grid_url = f"/plans/{plan.id}/maturity/assessments/{assessment.id}/levels"
    assert response.headers["Location"].endswith(grid_url)
    grid = open_form(grid_url)
    bad = client.post(grid_url, data=grid.data(**{"agreed-vision": "9", "agreed-strategy": "3"}))
    assert bad.status_code == 400 and "from 0 to 6" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AgreedLevel)) == 0  # nothing half-saved
    saved = client.post(grid_url, data=grid.data(**{"agreed-vision": "2", "note-vision": "Vision known to the head only"}))
    assert saved.status_code == 302
    page = client.get(f"/plans/{plan.id}/maturity/assessments/{assessment.id}").get_data(as_text=True)
    assert "2 developing" in page and "Vision known to the head only" in page


def test_a_head_cannot_assess_another_department_or_the_organisation(rollout, make_user, login, open_form):
    plan = rollout["plan"]
    other = assess(plan, rollout["finance"], days_ago=2, agreed=EVERY)
    client = login(make_user(Role.DEPARTMENT_HEAD, department=rollout["service"]))
    form = open_form(f"/plans/{plan.id}/maturity/assessments/new")
    for department in ("", str(rollout["finance"].id)):  # neither is among the head's choices
        refused = client.post(form.action, data={**form.data(assessed_on=TODAY.isoformat(), assessors="Me"),
                                                 "department_id": [department]})
        assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MaturityAssessment)) == 1
    assert client.post(f"/plans/{plan.id}/maturity/assessments/{other.id}/delete").status_code == 403
    assert client.get(f"/plans/{plan.id}/maturity/assessments/{other.id}/levels").status_code == 403
    assert client.get(f"/plans/{plan.id}/maturity/targets").status_code == 403


def test_the_targets_page_sets_the_plans_targets(rollout, make_user, login, open_form):
    plan = rollout["plan"]
    client = login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{plan.id}/maturity/targets"
    form = open_form(url)
    assert client.post(url, data=form.data(target_vision="4", target_metrics="3")).status_code == 302
    assert services.targets(plan) == {Block.VISION: 4, Block.METRICS: 3}
    stale = client.post(url, data=form.data(target_vision="2"))  # the form opened before the save
    assert stale.status_code == 409 and services.targets(plan)[Block.VISION] == 4
    page = client.get(f"/plans/{plan.id}/maturity/").get_data(as_text=True)
    assert "4 optimising" in page


def test_the_maturity_page_shows_the_scope_and_the_prompts(rollout, make_user, login):
    plan = rollout["plan"]
    assess(plan, rollout["sales"], days_ago=30, agreed={b: 3 for b in Block})
    client = login(make_user(Role.EXECUTIVE))
    page = client.get(f"/plans/{plan.id}/maturity/?scope={rollout['sales'].id}").get_data(as_text=True)
    assert "maturity-radar" in page and "3 practising" in page
    assert "Re-assess before the gate" in page and "Service" in page and "Finance" in page
    assert "Record an assessment" not in page  # an executive reads only
    unknown = client.get(f"/plans/{plan.id}/maturity/?scope=999999")
    assert unknown.status_code == 200 and "Whole organisation" in unknown.get_data(as_text=True)


def test_the_workbook_lists_agreed_levels_and_ratings_and_opens_in_libreoffice(rollout, make_user, login, libreoffice):
    plan = rollout["plan"]
    assess(plan, None, days_ago=3, agreed={Block.VISION: 2}, assessors=("=cmd|' /C calc'!A0", "Boris"),
           ratings={"=cmd|' /C calc'!A0": {Block.VISION: 1}})
    services.set_targets(plan, {Block.VISION: 3})
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    response = client.get(f"/plans/{plan.id}/maturity/maturity.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    agreed = list(book.worksheets[0].iter_rows(values_only=True))
    vision = next(r for r in agreed[1:] if r[4] == "Vision")
    assert vision[5:9] == (2, "Developing", 3, -1)
    ratings = list(book.worksheets[1].iter_rows(values_only=True))
    assert ratings[1][3] == "=cmd|' /C calc'!A0" and book.worksheets[1].cell(2, 4).data_type == "s"
    assert "Vision" in libreoffice(response.data, "maturity.xlsx").read_text(encoding="utf-8", errors="replace")
