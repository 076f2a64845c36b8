"""Change impact: the rating grid (cells only for the modules of a department's wave, all or nothing, a stale
grid refused, a department head on their own row only), the heat map beside training, communications and open
tasks (hardest hit first, flagged when high impact meets little training or few communications), the export."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.impact import services
from crmproject.impact.charts import impact_heatmap
from crmproject.impact.models import ImpactRating
from crmproject.plans import services as plan_services
from crmproject.plans.models import WaveKind
from crmproject.roster.models import Employee
from crmproject.tasks.models import ChangeTask, Communication, CommunicationChannel, CommunicationStatus, TaskStatus
from crmproject.tasks.services import ensure_categories
from crmproject.training import services as training
from crmproject.training.models import Enrolment, EnrolmentStatus

TODAY = date.today()


@pytest.fixture
def rollout(make_plan, make_department):
    """Sales (pilot, SFA), then Marketing and Service in wave 2 (MA and CSS)."""
    modules = {m.code: m for m in plan_services.ensure_standard_modules()}
    plan = make_plan(start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=400))
    sales, marketing, service = (make_department(name=n, code=n.upper()) for n in ("Sales", "Marketing", "Service"))
    plan_services.add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=60), kind=WaveKind.PILOT,
                           departments=[sales], modules=[modules["SFA"]])
    plan_services.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=60), departments=[marketing, service],
                           modules=[modules["MA"], modules["CSS"]])
    db.session.commit()
    return {"plan": plan, "sales": sales, "marketing": marketing, "service": service, **modules}


def _people(department, n: int) -> list[Employee]:
    people = [Employee(name=f"{department.name} {i}", department=department) for i in range(n)]
    db.session.add_all(people)
    db.session.flush()
    return people


def _train(department, course, done: int, of: int) -> None:
    for i, person in enumerate(_people(department, of)):
        db.session.add(Enrolment(employee=person, course=course, status=EnrolmentStatus.COMPLETED if i < done
                                 else EnrolmentStatus.NOT_STARTED, completed_on=TODAY if i < done else None))
    db.session.flush()


def _communicate(plan, department, status: CommunicationStatus, n: int = 1) -> None:
    for _i in range(n):
        db.session.add(Communication(plan_id=plan.id, department_id=department.id, audience="All staff",
                                     channel=CommunicationChannel.EMAIL, message="What changes", planned_date=TODAY,
                                     status=status))
    db.session.flush()


# --- services ------------------------------------------------------------------------------------------------

def test_cells_exist_only_for_the_modules_of_the_departments_wave(rollout):
    rows = {r.department.name: [m.code for m in r.modules] for r in services.grid(rollout["plan"])}
    assert rows == {"Sales": ["SFA"], "Marketing": ["CSS", "MA"], "Service": ["CSS", "MA"]}
    with pytest.raises(ValidationFailed):
        services.rate(rollout["plan"], rollout["sales"], rollout["MA"], processes=3, tools=3, roles=3)


def test_a_cells_impact_is_its_highest_dimension_and_a_departments_the_highest_cell(rollout):
    plan = rollout["plan"]
    services.rate(plan, rollout["marketing"], rollout["MA"], processes=5, tools=2, roles=1)
    services.rate(plan, rollout["marketing"], rollout["CSS"], processes=1, tools=2, roles=2)
    services.rate(plan, rollout["sales"], rollout["SFA"], processes=2, tools=3, roles=2)
    assert services.department_impact(plan) == {rollout["marketing"].id: 5, rollout["sales"].id: 3}


def test_high_impact_with_low_training_or_few_communications_needs_attention(rollout):
    plan = rollout["plan"]
    course = training.create_course(training.CourseValues(code="MA-101", name="MA", mandatory=True))
    services.rate(plan, rollout["marketing"], rollout["MA"], processes=5, tools=4, roles=3)  # hard hit, untrained
    services.rate(plan, rollout["service"], rollout["CSS"], processes=4, tools=4, roles=4)  # hard hit, trained, told
    services.rate(plan, rollout["sales"], rollout["SFA"], processes=2, tools=2, roles=1)  # light
    _train(rollout["marketing"], course, 2, 10)
    _train(rollout["service"], course, 9, 10)
    _train(rollout["sales"], course, 0, 4)
    _communicate(plan, rollout["service"], CommunicationStatus.SENT)
    _communicate(plan, rollout["service"], CommunicationStatus.PLANNED)
    _communicate(plan, rollout["marketing"], CommunicationStatus.CANCELLED, 3)
    category = ensure_categories()[0]
    db.session.add(ChangeTask(plan_id=plan.id, title="Redesign the campaign process", department_id=rollout["marketing"].id,
                              status=TaskStatus.IN_PROGRESS, category_id=category.id))
    db.session.add(ChangeTask(plan_id=plan.id, title="Done already", department_id=rollout["marketing"].id,
                              status=TaskStatus.DONE, category_id=category.id))
    db.session.commit()

    impact = services.impact_map(plan, today=TODAY)
    assert [d.department.name for d in impact.departments] == ["Marketing", "Service", "Sales"]
    marketing, service, sales = impact.departments
    assert (marketing.overall, marketing.training.percent, marketing.communications_planned, marketing.tasks_open) == (5, 20, 0, 1)
    assert marketing.needs_attention and len(marketing.reasons) == 2
    assert "20%" in marketing.reasons[0] and "0 communications" in marketing.reasons[1]
    assert (service.overall, service.communications_planned, service.communications_sent) == (4, 1, 1)
    assert not service.needs_attention
    assert sales.overall == 2 and not sales.needs_attention  # no training at all, but light impact
    assert [m.code for m in impact.modules] == ["CSS", "MA", "SFA"]
    figure = impact_heatmap(impact)
    assert figure["data"][0]["z"] == [[None, 5, None], [4, None, None], [None, None, 2]]


def test_the_heat_map_counts_expired_training_as_not_done(rollout):
    plan = rollout["plan"]
    course = training.create_course(training.CourseValues(code="CSS-101", name="CSS", mandatory=True, validity_months=12))
    services.rate(plan, rollout["service"], rollout["CSS"], processes=4, tools=4, roles=4)
    for i, person in enumerate(_people(rollout["service"], 4)):
        db.session.add(Enrolment(employee=person, course=course, status=EnrolmentStatus.COMPLETED,
                                 completed_on=TODAY - timedelta(days=400 if i < 3 else 10)))
    _communicate(plan, rollout["service"], CommunicationStatus.SENT, 2)
    db.session.commit()
    [service] = [d for d in services.impact_map(plan, today=TODAY).departments if d.department.name == "Service"]
    assert (service.training.percent, service.training.expired) == (25, 3)
    assert service.needs_attention


# --- views -----------------------------------------------------------------------------------------------------

def _grid_form(client, plan) -> dict[str, str]:
    page = client.get(f"/plans/{plan.id}/impact/grid").get_data(as_text=True)
    return dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
                + re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', page))


def _cell(department, module, processes, tools, roles, note="") -> dict[str, str]:
    return {services.cell_name("processes", department.id, module.id): str(processes),
            services.cell_name("tools", department.id, module.id): str(tools),
            services.cell_name("roles", department.id, module.id): str(roles),
            services.cell_name("note", department.id, module.id): note}


def test_a_planner_saves_the_whole_grid_and_errors_stay_at_their_cell(rollout, make_user, login, client):
    plan = rollout["plan"]
    login(make_user(Role.PROJECT_MANAGER))
    page = client.get(f"/plans/{plan.id}/impact/grid").get_data(as_text=True)
    assert "the processes are redesigned end to end" in page  # what 5 means, on the page
    hidden = _grid_form(client, plan)
    bad = {**hidden, **_cell(rollout["sales"], rollout["SFA"], 3, 4, 2, "Forecast in the CRM"),
           **_cell(rollout["marketing"], rollout["MA"], 6, 2, "")}
    response = client.post(f"/plans/{plan.id}/impact/grid", data=bad)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Rate from 1 (hardly changes) to 5" in text and "Rate all three, or leave the cell empty." in text
    assert f'id="processes-{rollout["marketing"].id}-{rollout["MA"].id}-error"' in text
    assert db.session.scalar(select(func.count()).select_from(ImpactRating)) == 0  # nothing saved on any error
    good = {**hidden, **_cell(rollout["sales"], rollout["SFA"], 3, 4, 2, "Forecast in the CRM"),
            **_cell(rollout["marketing"], rollout["MA"], 5, 2, 1)}
    response = client.post(f"/plans/{plan.id}/impact/grid", data=good)
    assert response.status_code == 302
    assert services.department_impact(plan) == {rollout["sales"].id: 4, rollout["marketing"].id: 5}
    heat = client.get(f"/plans/{plan.id}/impact/").get_data(as_text=True)
    assert "impact-heatmap" in heat and "Marketing" in heat and 'aria-current="page">Change impact' in heat


def test_a_stale_grid_is_refused_with_409(rollout, make_user, login, client):
    plan = rollout["plan"]
    login(make_user(Role.PROJECT_MANAGER))
    hidden = _grid_form(client, plan)
    services.rate(plan, rollout["sales"], rollout["SFA"], processes=1, tools=1, roles=1)
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/impact/grid", data={**hidden, **_cell(rollout["sales"], rollout["SFA"], 5, 5, 5)})
    assert response.status_code == 409 and "Someone saved these ratings" in response.get_data(as_text=True)
    assert services.department_impact(plan) == {rollout["sales"].id: 1}


def test_a_department_head_rates_their_own_row_only(rollout, make_user, login, client):
    plan = rollout["plan"]
    login(make_user(Role.DEPARTMENT_HEAD, department=rollout["marketing"]))
    page = client.get(f"/plans/{plan.id}/impact/grid").get_data(as_text=True)
    assert f'name="processes-{rollout["marketing"].id}-{rollout["MA"].id}"' in page
    assert f'name="processes-{rollout["sales"].id}-{rollout["SFA"].id}"' not in page
    hidden = _grid_form(client, plan)
    refused = client.post(f"/plans/{plan.id}/impact/grid",
                          data={**hidden, **_cell(rollout["marketing"], rollout["MA"], 3, 3, 3),
                                **_cell(rollout["sales"], rollout["SFA"], 5, 5, 5)})
    assert refused.status_code == 403
    assert services.department_impact(plan) == {}
    saved = client.post(f"/plans/{plan.id}/impact/grid", data={**hidden, **_cell(rollout["marketing"], rollout["MA"], 3, 4, 3)})
    assert saved.status_code == 302 and services.department_impact(plan) == {rollout["marketing"].id: 4}


def test_a_reader_reads_but_cannot_save(rollout, make_user, login, client):
    plan = rollout["plan"]
    services.rate(plan, rollout["sales"], rollout["SFA"], processes=2, tools=3, roles=2)
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    assert client.get(f"/plans/{plan.id}/impact/").status_code == 200
    page = client.get(f"/plans/{plan.id}/impact/grid")
    main = page.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]  # the footer's switch aside
    assert page.status_code == 200 and "<select" not in main
    hidden = _grid_form(client, plan)
    assert client.post(f"/plans/{plan.id}/impact/grid",
                       data={**hidden, **_cell(rollout["sales"], rollout["SFA"], 5, 5, 5)}).status_code == 403


def test_the_export_opens_in_libreoffice(rollout, make_user, login, client, tmp_path):
    plan = rollout["plan"]
    services.rate(plan, rollout["sales"], rollout["SFA"], processes=2, tools=3, roles=2, note="=HYPERLINK(\"x\")")
    db.session.commit()
    login(make_user(Role.PROJECT_MANAGER))
    data = client.get(f"/plans/{plan.id}/impact/impact.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Departments", "Ratings"]
    notes = [row[-1] for row in book["Ratings"].iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("x")' in notes
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: the workbook was checked with openpyxl only")
    path = tmp_path / "impact.xlsx"
    path.write_bytes(data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)
    text = (tmp_path / "impact.csv").read_text(encoding="utf-8", errors="replace")
    assert "Overall impact" in text and "Sales" in text


def test_a_module_taken_out_of_the_wave_no_longer_counts(rollout):
    plan = rollout["plan"]
    services.rate(plan, rollout["marketing"], rollout["MA"], processes=5, tools=5, roles=5)
    services.rate(plan, rollout["marketing"], rollout["CSS"], processes=2, tools=1, roles=1)
    wave = next(w for w in plan.waves if w.name == "Wave 2")
    plan_services.update_wave(wave, name=wave.name, go_live=wave.go_live_date, kind=wave.kind,
                              departments=wave.departments, modules=[rollout["CSS"]], notes="")
    db.session.commit()
    assert services.department_impact(plan) == {rollout["marketing"].id: 2}
    [marketing] = [d for d in services.impact_map(plan, today=TODAY).departments if d.department.name == "Marketing"]
    assert marketing.levels == {rollout["CSS"].id: 2}


def test_a_digit_that_is_not_a_number_in_a_cells_name_or_a_filter_is_no_500(rollout, make_user, login, client):
    """"²" is a digit to str.isdigit() but not to int(): the grid and the training filter answer, never crash."""
    plan = rollout["plan"]
    login(make_user(Role.PROJECT_MANAGER))
    response = client.post(f"/plans/{plan.id}/impact/grid", data={**_grid_form(client, plan), "processes-²-1": "3"})
    assert response.status_code in (302, 400)
    assert db.session.scalar(select(func.count()).select_from(ImpactRating)) == 0
    assert client.get("/training/?department=²&page=²").status_code == 200
