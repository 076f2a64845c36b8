"""The risk register: the catalogue's failure factors on every new plan, scores and the heat map, the
indicators that raise a risk from the plan's figures and say why, reviews, closing, permissions and the xlsx."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans import services as plan_services
from crmproject.plans.seeds import create_plan_from_template, get_template
from crmproject.plans.services import plan_today
from crmproject.risks import catalogue, services
from crmproject.risks.models import Risk, RiskStatus
from crmproject.roster.models import Employee
from crmproject.tasks import services as tasks
from crmproject.tasks.models import TaskStatus
from crmproject.teams import services as teams
from crmproject.teams.models import TeamRoleKind
from crmproject.training import services as training
from crmproject.training.models import EnrolmentStatus

TODAY = date.today()


@pytest.fixture
def plan(make_plan):
    return make_plan(start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=400))


def factor_risk(plan, key: str) -> Risk:
    return db.session.scalar(select(Risk).where(Risk.plan_id == plan.id, Risk.factor == key))


def view_of(plan, key: str, today: date = TODAY) -> services.RiskView:
    plan = plan_services.load_plan(plan.id)
    return next(v for v in services.assess(plan, services.list_risks(plan), today=today) if v.risk.factor == key)


def risk_count(plan) -> int:
    return db.session.scalar(select(func.count()).select_from(Risk).where(Risk.plan_id == plan.id))


# --- the catalogue ---------------------------------------------------------------------------------------


def test_every_new_plan_starts_with_the_eighteen_failure_factors(plan):
    risks = services.list_risks(plan)
    assert len(catalogue.FACTORS) == 18
    assert {r.factor for r in risks} == {f.key for f in catalogue.FACTORS}
    executive = factor_risk(plan, "no_executive_support")
    assert executive.title == "No executive support" and "sponsor" in executive.mitigations
    assert executive.status == RiskStatus.OPEN and executive.score == executive.likelihood * executive.impact
    # first reviewed a month after the plan started or was given them, whichever is later
    assert executive.review_date == max(plan.start_date, plan_today(plan)) + timedelta(days=30)
    assert services.missing_factors(plan) == []


def test_a_plan_made_from_a_template_gets_the_catalogue_once(app):
    plan = create_plan_from_template(get_template("pilot-then-waves"), start=TODAY, name="From a template")
    db.session.commit()
    assert risk_count(plan) == 18


def test_the_button_adds_back_only_the_missing_factors(plan, make_user, login):
    services.delete_risk(factor_risk(plan, "cost"))
    services.delete_risk(factor_risk(plan, "poor_data_quality"))
    db.session.commit()
    client = login(make_user(Role.PROJECT_MANAGER))
    page = client.get(f"/plans/{plan.id}/risks/").get_data(as_text=True)
    assert "Add the catalogue&#39;s 2 missing risks" in page
    response = client.post(f"/plans/{plan.id}/risks/catalogue")
    assert response.status_code == 302
    assert risk_count(plan) == 18
    assert "missing risk" not in client.get(f"/plans/{plan.id}/risks/").get_data(as_text=True)


# --- scores, the heat map, reviews ------------------------------------------------------------------------


def test_the_heat_map_counts_open_risks_by_likelihood_and_impact(plan):
    for risk in services.list_risks(plan):
        risk.likelihood, risk.impact = 1, 1
    factor_risk(plan, "cost").likelihood, factor_risk(plan, "cost").impact = 4, 5
    factor_risk(plan, "unclear_roi").likelihood, factor_risk(plan, "unclear_roi").impact = 4, 5
    services.close_risk(factor_risk(plan, "no_analytical_crm"), note="Analytics bought with the platform")
    db.session.commit()
    heat = services.heat_map(services.assess(plan, services.list_risks(plan), today=plan.start_date))
    assert heat[(4, 5)] == 2
    assert heat[(1, 1)] == 14  # 18, less the two above, the closed one and the one the plan's figures raise:
    assert heat[(3, 1)] == 1  # no executive support, by two for the plan's team without a sponsor seat
    assert sum(heat.values()) == 17 and len(heat) == 25
    assert factor_risk(plan, "cost").score == 20 and services.score_level(20) == "critical"
    assert [services.score_level(s) for s in (4, 5, 10, 15)] == ["low", "medium", "high", "critical"]


def test_overdue_reviews_are_listed_at_the_top_of_the_register(plan, make_user, login):
    late = factor_risk(plan, "internal_politics")
    late.review_date = TODAY - timedelta(days=3)
    closed = factor_risk(plan, "cost")
    closed.review_date = TODAY - timedelta(days=10)
    services.close_risk(closed, note="Budget approved for three years")
    db.session.commit()
    assert services.overdue_reviews(services.list_risks(plan), today=TODAY) == [late]
    client = login(make_user(Role.EXECUTIVE))
    page = client.get(f"/plans/{plan.id}/risks/").get_data(as_text=True)
    box = page.split('id="overdue-reviews"', 1)[1].split("</div>", 1)[0]
    assert "Internal politics" in box and "Cost" not in box


def test_a_review_moves_the_next_review_and_must_lie_ahead(plan):
    risk = factor_risk(plan, "cost")
    with pytest.raises(ValidationFailed) as past:
        services.mark_reviewed(risk, next_review=TODAY, status=RiskStatus.OPEN, today=TODAY)
    assert "next_review" in past.value.errors
    services.mark_reviewed(risk, next_review=TODAY + timedelta(days=14), status=RiskStatus.MITIGATING, today=TODAY)
    assert risk.review_date == TODAY + timedelta(days=14) and risk.status == RiskStatus.MITIGATING


# --- indicators ---------------------------------------------------------------------------------------------


def test_a_vacant_sponsor_seat_raises_no_executive_support_and_says_why(plan, make_user):
    teams.add_standard_roles(plan)
    db.session.commit()
    risk = factor_risk(plan, "no_executive_support")
    risk.likelihood, risk.impact = 2, 5
    db.session.commit()
    view = view_of(plan, "no_executive_support")
    assert view.score == 10 and view.effective_likelihood == 4 and view.effective_score == 20
    assert view.raised and "executive sponsor" in view.reasons[0] and "vacant" in view.reasons[0]

    seat = next(r for r in teams.list_roles(plan) if r.kind == TeamRoleKind.EXECUTIVE_SPONSOR)
    sponsor = teams.assign(seat, user=make_user(Role.EXECUTIVE), start=plan.start_date)
    db.session.commit()
    held = view_of(plan, "no_executive_support")
    assert held.effective_score == 10 and held.reasons == []

    teams.end_assignment(sponsor, TODAY - timedelta(days=5))
    db.session.commit()
    left = view_of(plan, "no_executive_support")
    assert left.effective_likelihood == 4
    assert f"vacant since {(TODAY - timedelta(days=4)).isoformat()}" in left.reasons[0]
    # only the catalogue's plan-wide risk is raised, never another
    assert view_of(plan, "cost").reasons == []


def test_a_plan_without_a_sponsor_seat_raises_it_too(plan):
    assert "no executive sponsor seat" in view_of(plan, "no_executive_support").reasons[0]


def test_overdue_change_tasks_raise_weak_change_management(plan):
    category = tasks.ensure_categories()[0]
    for n, due in enumerate((TODAY - timedelta(days=10), TODAY - timedelta(days=1), TODAY + timedelta(days=20))):
        tasks.create_task(plan, title=f"Task {n}", category=category, actor=None, due=due)
    tasks.create_task(plan, title="Done late", category=category, actor=None, due=TODAY - timedelta(days=30),
                      status=TaskStatus.DONE)
    factor_risk(plan, "weak_change_management").likelihood = 3
    db.session.commit()
    view = view_of(plan, "weak_change_management")
    assert view.reasons == ["2 of 3 open change tasks (67%) are past their due date."]
    assert view.effective_likelihood == 5  # +2 for a quarter or more, capped at 5


def test_a_red_data_quality_kpi_raises_poor_data_quality(plan, make_department):
    sales = make_department(name="Sales", code="SALES")
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Customer records complete", goal_family=GoalFamily.DATA_QUALITY, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(50), baseline_date=plan.start_date, target_value=Decimal(100),
        target_date=TODAY + timedelta(days=100)))
    kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=1), value=Decimal(52), department=sales,
                            entered_by=None)
    factor_risk(plan, "poor_data_quality").likelihood = 3
    db.session.commit()
    view = view_of(plan, "poor_data_quality")
    assert view.effective_likelihood == 5
    assert view.reasons == ["The latest figure of a data-quality KPI is red: Customer records complete (Sales)."]
    # on its path, it raises nothing
    kpis.record_measurement(kpi, measured_on=TODAY, value=Decimal(90), department=sales, entered_by=None)
    db.session.commit()
    assert view_of(plan, "poor_data_quality").reasons == []


def test_training_behind_two_weeks_before_a_go_live_raises_change_management(plan, make_department):
    marketing = make_department(name="Marketing", code="MKT")
    plan_services.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=10), departments=[marketing])
    course = training.create_course(training.CourseValues(code="MA-101", name="Campaigns", mandatory=True))
    people = [Employee(name=f"Person {n}", department=marketing) for n in range(4)]
    db.session.add_all(people)
    db.session.flush()
    enrolments = [training.enrol(p, course) for p in people]
    training.set_status(enrolments[0], EnrolmentStatus.COMPLETED, completed_on=TODAY - timedelta(days=2), today=TODAY)
    db.session.commit()
    view = view_of(plan, "weak_change_management")
    assert any("Marketing goes live on" in r and "25.0% of its mandatory training" in r for r in view.reasons)


def test_missing_status_reports_raise_goals_and_resource_allocation(plan, make_department):
    sales = make_department(name="Sales", code="SALES")
    plan_services.add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=60), departments=[sales])
    db.session.commit()
    for key in ("no_vision_or_goals", "poor_resource_allocation"):
        view = view_of(plan, key)
        assert view.effective_likelihood == view.likelihood + 1
        assert "status reports" in view.reasons[0] and "missing: Sales" in view.reasons[0]


def test_open_risks_for_a_gate_keep_plan_wide_ones_and_the_waves_departments(plan, make_department):
    a, b = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    own_a = services.create_risk(plan, services.RiskValues(title="Sales reps keep their Excel", likelihood=5, impact=5,
                                                           department=a))
    own_b = services.create_risk(plan, services.RiskValues(title="Service desk understaffed", likelihood=4, impact=4,
                                                           department=b))
    services.close_risk(factor_risk(plan, "cost"), note="Budget approved")
    db.session.commit()
    found = services.open_risks(plan_services.load_plan(plan.id), today=TODAY, department_ids=[a.id])
    ids = {v.id for v in found}
    assert own_a.id in ids and own_b.id not in ids and factor_risk(plan, "cost").id not in ids
    assert len(found) == 18  # 17 open catalogue risks and Sales's own
    assert found[0].id == own_a.id and found[0].effective_score == 25
    everything = services.open_risks(plan_services.load_plan(plan.id), today=TODAY)
    assert own_b.id in {v.id for v in everything}
    assert all(hasattr(v, name) for v in everything for name in ("id", "title", "department_id", "effective_score", "reasons"))


def test_the_department_page_lists_its_own_open_risks(plan, make_department, make_user, login, client):
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    plan_services.add_wave(plan, name="Pilot", go_live=TODAY + timedelta(days=40), departments=[sales])
    services.create_risk(plan, services.RiskValues(title="Sales reps keep their Excel", likelihood=4, impact=5,
                                                   department=sales))
    services.create_risk(plan, services.RiskValues(title="Old price lists", likelihood=1, impact=2, department=sales))
    closed = services.create_risk(plan, services.RiskValues(title="Territories unclear", likelihood=3, impact=3,
                                                            department=sales))
    services.close_risk(closed, note="Territories drawn")
    services.create_risk(plan, services.RiskValues(title="Service desk understaffed", likelihood=4, impact=4,
                                                   department=service))
    db.session.commit()
    assert [v.title for v in services.department_risks(plan, sales.id)] == ["Sales reps keep their Excel",
                                                                           "Old price lists"]
    login(make_user(Role.EXECUTIVE))
    page = client.get(f"/departments/{sales.id}").get_data(as_text=True)
    section = page.split('id="risks"', 1)[1].split("</section>", 1)[0]
    assert "Sales reps keep their Excel" in section and ">20</span>" in section
    assert "Territories unclear" not in section and "Service desk understaffed" not in section


# --- pages, permissions and bad input -----------------------------------------------------------------------


def test_a_department_head_edits_their_departments_risk_not_anothers(plan, make_department, make_user, login, open_form):
    a, b = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    risk_a = services.create_risk(plan, services.RiskValues(title="Reps keep Excel", likelihood=3, impact=3, department=a))
    risk_b = services.create_risk(plan, services.RiskValues(title="Desk understaffed", likelihood=3, impact=3, department=b))
    db.session.commit()
    client = login(make_user(Role.DEPARTMENT_HEAD, department=a))
    url = f"/plans/{plan.id}/risks/{risk_a.id}/edit"
    form = open_form(url)
    response = client.post(url, data=form.data(likelihood="4", impact="2", review_date=(TODAY + timedelta(days=9)).isoformat()))
    assert response.status_code == 302
    db.session.refresh(risk_a)
    assert (risk_a.likelihood, risk_a.impact) == (4, 2)
    assert client.get(f"/plans/{plan.id}/risks/{risk_b.id}/edit").status_code == 403
    plan_wide = factor_risk(plan, "cost")
    assert client.get(f"/plans/{plan.id}/risks/{plan_wide.id}/edit").status_code == 403
    assert client.post(f"/plans/{plan.id}/risks/{risk_a.id}/delete").status_code == 403
    assert client.post(f"/plans/{plan.id}/risks/{risk_a.id}/close", data={"note": "Excel switched off"}).status_code == 302
    db.session.refresh(risk_a)
    assert risk_a.status == RiskStatus.CLOSED
    page = client.get(f"/plans/{plan.id}/risks/{risk_b.id}").get_data(as_text=True)
    assert f"/risks/{risk_b.id}/edit" not in page and "/close" not in page


@pytest.mark.parametrize("changes", [{"likelihood": "0"}, {"likelihood": "6"}, {"impact": "x"},
                                     {"status": "closed", "closed_note": ""}])
def test_bad_input_is_named_at_its_field_and_nothing_is_saved(plan, make_user, login, open_form, changes):
    client = login(make_user(Role.PROJECT_MANAGER))
    risk = factor_risk(plan, "cost")
    before = (risk.likelihood, risk.impact, risk.status, risk.version)
    url = f"/plans/{plan.id}/risks/{risk.id}/edit"
    form = open_form(url)
    response = client.post(url, data=form.data(title="Renamed", **changes))
    assert response.status_code == 200
    field = next(iter(changes))
    field = "closed_note" if field == "status" else field
    page = response.get_data(as_text=True)
    assert page.count('role="alert"') >= 1
    assert f'name="{field}"' in page.split('role="alert"', 1)[0].rsplit('class="field', 1)[1]
    db.session.expire_all()
    risk = db.session.get(Risk, risk.id)
    assert (risk.likelihood, risk.impact, risk.status, risk.version) == before and risk.title == "Cost"


def test_closing_needs_a_note_and_a_new_risk_with_bad_levels_is_not_added(plan, make_user, login, open_form):
    client = login(make_user(Role.PROJECT_MANAGER))
    risk = factor_risk(plan, "cost")
    refused = client.post(f"/plans/{plan.id}/risks/{risk.id}/close", data={"note": "  "})
    assert refused.status_code == 400 and "This field is required." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Risk, risk.id).status == RiskStatus.OPEN
    count = risk_count(plan)
    form = open_form(f"/plans/{plan.id}/risks/new")
    response = client.post(f"/plans/{plan.id}/risks/new", data=form.data(title="Vendor insolvency", likelihood="6", impact="3"))
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert risk_count(plan) == count
    response = client.post(f"/plans/{plan.id}/risks/new", data=form.data(title="Vendor insolvency", likelihood="2", impact="5"))
    assert response.status_code == 302 and risk_count(plan) == count + 1
    with pytest.raises(ValidationFailed) as exc:
        services.create_risk(plan, services.RiskValues(title="x", likelihood=0, impact=6))
    assert set(exc.value.errors) == {"likelihood", "impact"}


def test_a_project_manager_links_reopens_and_deletes(plan, make_user, login):
    client = login(make_user(Role.PROJECT_MANAGER))
    category = tasks.ensure_categories()[0]
    task = tasks.create_task(plan, title="De-duplicate the customer database", category=category, actor=None)
    risk = factor_risk(plan, "poor_data_quality")
    db.session.commit()
    base = f"/plans/{plan.id}/risks/{risk.id}"
    assert client.post(f"{base}/tasks", data={"task_id": str(task.id)}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "De-duplicate the customer database" in page and f"/tasks/{task.id}/unlink" in page
    assert client.post(f"{base}/tasks", data={"task_id": str(task.id)}).status_code == 400  # linked already
    assert client.post(f"{base}/tasks/{task.id}/unlink").status_code == 302
    assert client.post(f"{base}/close", data={"note": "Data steward in place"}).status_code == 302
    assert client.post(f"{base}/reopen").status_code == 302
    db.session.expire_all()
    reopened = db.session.get(Risk, risk.id)
    assert reopened.status == RiskStatus.OPEN and reopened.closed_note == "Data steward in place"
    assert "Earlier closing note" in client.get(base).get_data(as_text=True)
    assert client.post(f"{base}/delete").status_code == 302
    assert db.session.get(Risk, risk.id) is None


def test_the_register_filters_by_heat_map_cell_and_shows_the_reasons(plan, make_user, login):
    risk = factor_risk(plan, "no_executive_support")
    risk.likelihood, risk.impact = 2, 5
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    page = client.get(f"/plans/{plan.id}/risks/?status=active&likelihood=4&impact=5").get_data(as_text=True)
    register = page.split('id="register"', 1)[1]
    assert "No executive support" in register and "no executive sponsor seat" in register
    assert "Cost</a>" not in register
    assert 'likelihood=4&amp;impact=5' in page  # the heat map's cell links to this list


# --- the xlsx --------------------------------------------------------------------------------------------


def test_the_register_downloads_as_xlsx_that_opens_in_libreoffice(plan, make_user, login, tmp_path):
    services.create_risk(plan, services.RiskValues(title="=HYPERLINK(\"x\")", likelihood=2, impact=2))
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    response = client.get(f"/plans/{plan.id}/risks/risks.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    rows = list(workbook["Risks"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Number", "Risk", "Department", "Status") and len(rows) == 20
    titles = [r[1] for r in rows[1:]]
    assert "No executive support" in titles and '=HYPERLINK("x")' in titles
    assert workbook["Risks"].cell(row=titles.index('=HYPERLINK("x")') + 2, column=2).data_type == "s"
    heat = list(workbook["Heat map"].iter_rows(values_only=True))
    assert len(heat) == 6 and sum(sum(r[1:]) for r in heat[1:]) == 19
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    path = tmp_path / "risks.xlsx"
    path.write_bytes(response.data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)
    with open(tmp_path / "risks.csv", encoding="utf-8", errors="replace") as f:
        converted = list(csv.reader(f))
    assert converted[0][:2] == ["Number", "Risk"]
    assert any(row[1] == "No executive support" for row in converted[1:])
    assert any(row[1] == '=HYPERLINK("x")' for row in converted[1:])


def test_a_department_head_reads_only_their_departments_tasks_among_the_mitigations(plan, make_department, make_user,
                                                                                    login):
    a, b = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    category = tasks.ensure_categories()[0]
    risk = factor_risk(plan, "weak_change_management")
    services.link_task(risk, tasks.create_task(plan, title="Train Sales", category=category, actor=None, department=a))
    services.link_task(risk, tasks.create_task(plan, title="Service desk rota", category=category, actor=None,
                                               department=b))
    db.session.commit()
    client = login(make_user(Role.DEPARTMENT_HEAD, department=a))
    page = client.get(f"/plans/{plan.id}/risks/{risk.id}").get_data(as_text=True)
    assert "Train Sales" in page and "Service desk rota" not in page and "1 more task of another department" in page
    sheet = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/risks/risks.xlsx").data))["Risks"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "Weak change management")
    assert row[14] == "Train Sales; 1 of other departments"


def test_a_deleted_task_leaves_the_risk_and_a_deleted_plan_takes_its_risks(plan, make_plan):
    category = tasks.ensure_categories()[0]
    task = tasks.create_task(plan, title="Train Sales", category=category, actor=None)
    risk = factor_risk(plan, "weak_change_management")
    services.link_task(risk, task)
    db.session.commit()
    tasks.delete_task(task)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Risk, risk.id).tasks == []
    other = make_plan(name="Second rollout")
    plan_services.delete_plan(plan)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Risk)) == 18 == risk_count(other)


def test_the_demo_register_tells_its_story(load_demo_copy):
    from crmproject.demo.services import demo_plan, load_demo

    load_demo_copy(today=TODAY)
    plan = plan_services.load_plan(demo_plan().id)
    risks = services.list_risks(plan)
    assert len(risks) == 19 and sum(not r.is_open for r in risks) == 3
    assert [r.factor for r in services.overdue_reviews(risks, today=TODAY)] == ["processes_not_redesigned"]
    assert [r.department.code for r in risks if r.department] == ["MKT"]
    assert {r.factor for r in risks if r.tasks} == {"poor_data_quality", "weak_change_management"}
    load_demo(today=TODAY)  # again: nothing added twice
    assert risk_count(plan) == 19
