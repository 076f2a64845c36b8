"""The leadership report workbook, `crmproject export report` and the report built on the job queue: what a reader
of the file sees."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal as D

import click
import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from crmproject import jobs
from crmproject.adoption.models import AdoptionSnapshot
from crmproject.auth.models import Role
from crmproject.dashboard import jobs as report_jobs
from crmproject.adoption.shapes import week_of
from crmproject.dashboard.cli import register
from crmproject.dashboard.report import build_report, write_report
from crmproject.dashboard.services import Filters
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans import services as plans
from crmproject.plans.models import Plan, WaveKind
from crmproject.roster.models import Employee
from crmproject.tasks import services as tasks
from crmproject.tasks.models import TaskStatus
from crmproject.training import services as training
from crmproject.training.models import EnrolmentStatus

# The command line judges "today" by the clock, so the data is laid out around the real today.
TODAY = date.today()
PASSWORD = "correct-horse-1"  # the factories' (tests/conftest.py); tests/ is not a package
SHEETS = ["Summary", "Charts", "Departments", "KPIs", "KPI values", "Tasks", "Training", "Training by department",
          "Adoption by week", "Adoption by wave", "Costs and benefits", "Budget lines", "Benefits"]
EVIL_TITLE = '=HYPERLINK("https://evil.example","click")'
# the charts' weeks run from the plan's start (300 days ago) to this week
LAST_WEEK_ROW = 1 + (week_of(TODAY) - week_of(TODAY - timedelta(days=300))).days // 7 + 1


@dataclass
class Rollout:
    plan: Plan
    sales: Department
    service: Department
    finance: Department


@pytest.fixture
def rollout(app, make_plan, make_department) -> Rollout:
    """Sales holds 80%, Service started at 90% and fell to 20%, Finance goes live in two months."""
    plan = make_plan(name="CRM rollout", start=TODAY - timedelta(days=300), end=TODAY + timedelta(days=400))
    sales = make_department(name="Sales", code="SALES", licensed_seats=20)
    service = make_department(name="Service", code="CS", licensed_seats=10)
    finance = make_department(name="Finance", code="FIN", licensed_seats=10)
    plans.add_wave(plan, name="Pilot", kind=WaveKind.PILOT, go_live=TODAY - timedelta(days=140),
                   departments=[sales, service])
    plans.add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=60), departments=[finance])
    for k in range(20):  # one day a week for the 20 weeks since the go-live, newest first
        day = TODAY - timedelta(weeks=k)
        db.session.add(AdoptionSnapshot(department_id=sales.id, day=day, licensed_seats=20, active_users=8,
                                        monthly_active_users=16))
        db.session.add(AdoptionSnapshot(department_id=service.id, day=day, licensed_seats=10, active_users=2,
                                        monthly_active_users=9 if k >= 14 else 2))

    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Active users / licensed seats", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=plan.start_date, target_value=D(75), target_date=plan.end_date))
    for department, value in ((sales, D(80)), (service, D(5))):
        kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=10), value=value, department=department,
                                entered_by=None)

    category = tasks.ensure_categories()[0]
    tasks.create_task(plan, title=EVIL_TITLE, category=category, actor=None, department=sales,
                      due=TODAY - timedelta(days=5), status=TaskStatus.IN_PROGRESS)
    tasks.create_task(plan, title="Train the service desk", category=category, actor=None, department=service,
                      due=TODAY + timedelta(days=30))
    tasks.create_task(plan, title="Kick-off", category=category, actor=None, department=service,
                      due=TODAY - timedelta(days=20), status=TaskStatus.DONE)

    course = training.create_course(training.CourseValues(code="CRM-101", name="CRM basics", mandatory=True,
                                                          length_hours=D(2)))
    for department, statuses in ((sales, ("completed", "completed")), (service, ("completed", "not_started"))):
        for n, status in enumerate(statuses):
            person = Employee(name=f"{department.code} person {n}", department=department, active=True)
            db.session.add(person)
            db.session.flush()
            enrolment = training.enrol(person, course)
            if status == "completed":
                training.set_status(enrolment, EnrolmentStatus.COMPLETED, completed_on=TODAY - timedelta(days=3),
                                    today=TODAY)
    db.session.commit()
    return Rollout(plans.load_plan(plan.id), sales, service, finance)


def _saved(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def _summary_row(rows: list[tuple], label: str) -> tuple:
    return next(row for row in rows if row and row[0] == label)


def test_the_summary_states_the_headline_the_warnings_and_the_rules(rollout):
    workbook = load_workbook(io.BytesIO(_saved(build_report(rollout.plan, today=TODAY))))
    assert workbook.sheetnames == SHEETS
    rows = _rows(workbook["Summary"])
    assert rows[0][0] == "Leadership report: CRM rollout"
    assert _summary_row(rows, "Plan")[1] == "CRM rollout"
    assert _summary_row(rows, "Date")[1].date() == TODAY
    assert _summary_row(rows, "Filters")[1] == "none (the whole plan)"
    assert _summary_row(rows, "Departments live")[1:3] == (2, "of 3 departments")
    adoption = _summary_row(rows, "Adoption of the live departments (latest week)")
    assert adoption[1] == pytest.approx(0.6) and adoption[2] == "target 75%: 15 points below"  # (16 + 2) / (20 + 10)
    assert _summary_row(rows, "Training completion (mandatory courses)")[1] == pytest.approx(0.75)
    assert _summary_row(rows, "KPIs on track (green)")[1:3] == (1, "of 2 measured")
    assert _summary_row(rows, "Overdue change tasks")[1] == 1
    assert _summary_row(rows, "Departments that have not reported")[2].startswith("for the period ")

    service = _summary_row(rows, "Service")
    assert service[1:3] == ("Pilot", "Strong start, then fading")
    assert service[3:6] == (pytest.approx(0.9), pytest.approx(0.2), 70)  # peak, latest, points lost
    assert service[7].startswith("Peak 90% in the week of ") and "now 20%: 70 points lower" in service[7]
    assert not any(row and row[0] == "Sales" for row in rows)  # lasting success is not a warning
    texts = [row[0] for row in rows if row and isinstance(row[0], str)]
    assert any(t.startswith("Strong start, then fading: after its peak") for t in texts)
    assert any(t.startswith("No effect: adoption never reached 40%") for t in texts)


def test_the_data_sheets_hold_the_figures_with_real_dates_and_percents(rollout):
    workbook = load_workbook(io.BytesIO(_saved(build_report(rollout.plan, today=TODAY))))
    departments = workbook["Departments"]
    assert departments.freeze_panes == "A2" and departments.auto_filter.ref == "A1:Q4"
    header, *rows = _rows(departments)
    assert header[:10] == ("Department", "Code", "Wave", "Go-live", "Live", "Licensed seats", "Adoption %", "Target %",
                           "Shape", "Why")
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert [row[0] for row in rows] == ["Sales", "Service", "Finance"]  # by wave, then name
    sales, service, finance = by_name["Sales"], by_name["Service"], by_name["Finance"]
    assert (sales["Live"], sales["Adoption %"], sales["Shape"], sales["Training %"]) == (
        True, 0.8, "Lasting success", 1)
    assert sales["Go-live"].date() == TODAY - timedelta(days=140)
    assert (sales["Overdue tasks"], sales["KPIs green"], sales["Last report"]) == (1, 1, "Missing")
    assert (service["Shape"], service["KPIs red"], service["Training %"], service["Open tasks"]) == (
        "Strong start, then fading", 1, 0.5, 1)
    assert (finance["Live"], finance["Shape"], finance["Adoption %"]) == (False, "Too early to tell", None)
    assert departments.cell(row=2, column=7).number_format == "0.0%"

    assert _rows(workbook["KPIs"])[1] == ("Active users / licensed seats", "%", 1, 0, 1, 2, None)
    values = _rows(workbook["KPI values"])
    assert [(r[2], r[4], r[6]) for r in values[1:]] == [("Sales", 80, "Green"), ("Service", 5, "Red")]
    assert _rows(workbook["Training"])[1] == ("CRM-101", "CRM basics", True, 3, 4, 0.75)
    assert _rows(workbook["Training by department"])[1:] == [
        ("Sales", "Pilot", 2, 2, 1), ("Service", "Pilot", 1, 2, 0.5), ("Finance", "Wave 2", 0, 0, None)]
    weeks = _rows(workbook["Adoption by week"])
    assert len(weeks) == 1 + 2 * 20 and weeks[-1][1:] == ("Service", "Pilot", 2, 10, 0.2)
    waves = _rows(workbook["Adoption by wave"])
    assert waves[0] == ("Week", "Target", "Pilot", "Wave 2") and waves[-1][1:] == (0.75, 0.6, None)


def test_task_titles_stay_text_and_overdue_is_marked(rollout):
    sheet = load_workbook(io.BytesIO(_saved(build_report(rollout.plan, today=TODAY))))["Tasks"]
    header, *rows = _rows(sheet)
    assert header == ("ID", "Title", "Phase", "Department", "Owner", "Status", "Priority", "Start", "Due", "Overdue")
    assert [(r[1], r[9]) for r in rows] == [("Kick-off", False), (EVIL_TITLE, True), ("Train the service desk", False)]
    evil = sheet.cell(row=3, column=2)
    assert evil.value == EVIL_TITLE and evil.data_type == "s" and evil.quotePrefix  # never a formula


def test_the_charts_are_native_and_drawn_from_the_data_sheets(rollout):
    workbook = build_report(rollout.plan, today=TODAY)
    assert workbook["Summary"]._charts == []
    charts = workbook["Charts"]._charts
    assert [type(c) for c in charts] == [LineChart, BarChart, BarChart, BarChart]
    waves, adoption, training_chart, kpi_chart = charts

    def refs(chart) -> list[str]:
        return [s.val.numRef.f for s in chart.series]

    n = LAST_WEEK_ROW
    assert refs(waves) == [f"'Adoption by wave'!$C$2:$C${n}", f"'Adoption by wave'!$D$2:$D${n}",
                           f"'Adoption by wave'!$B$2:$B${n}"]  # the waves, then the target line
    assert waves.series[0].cat.numRef.f == f"'Adoption by wave'!$A$2:$A${n}"
    assert refs(adoption) == ["'Departments'!$G$2:$G$4"]
    assert adoption.series[0].cat.numRef.f == "'Departments'!$A$2:$A$4"
    assert [type(c) for c in adoption._charts] == [BarChart, LineChart]  # the target as a line over the columns
    assert refs(adoption._charts[1]) == ["'Departments'!$H$2:$H$4"]
    assert refs(training_chart) == ["'Training by department'!$E$2:$E$4"] and training_chart.type == "bar"
    assert refs(kpi_chart) == ["'KPIs'!$C$2", "'KPIs'!$D$2", "'KPIs'!$E$2"]
    assert kpi_chart.grouping == "stacked"

    with zipfile.ZipFile(io.BytesIO(_saved(workbook))) as archive:
        names = set(archive.namelist())
        assert {f"xl/charts/chart{n}.xml" for n in (1, 2, 3, 4)} <= names
        assert "xl/drawings/drawing1.xml" in names
        assert b"<lineChart>" in archive.read("xl/charts/chart1.xml")
        assert b"<barDir val=\"col\" />" in archive.read("xl/charts/chart2.xml")


def test_write_report_saves_to_a_stream(rollout):
    stream = io.BytesIO()
    write_report(rollout.plan, stream, today=TODAY)
    assert load_workbook(io.BytesIO(stream.getvalue())).sheetnames == SHEETS


def test_filters_narrow_every_sheet_to_the_departments_in_scope(rollout):
    filters = Filters(department_id=rollout.service.id)
    workbook = load_workbook(io.BytesIO(_saved(build_report(rollout.plan, today=TODAY, filters=filters))))
    rows = _rows(workbook["Summary"])
    assert _summary_row(rows, "Filters")[1] == "department: Service"
    assert _summary_row(rows, "Overdue change tasks")[1] == 0
    assert [r[0] for r in _rows(workbook["Departments"])[1:]] == ["Service"]
    assert [r[1] for r in _rows(workbook["Tasks"])[1:]] == ["Kick-off", "Train the service desk"]
    assert [r[2] for r in _rows(workbook["KPI values"])[1:]] == ["Service"]
    assert _rows(workbook["Adoption by wave"])[0] == ("Week", "Target", "Pilot")


def test_a_plan_without_waves_or_figures_still_gets_a_report(make_plan):
    plan = plans.load_plan(make_plan(name="=Empty plan").id)
    workbook = build_report(plan, today=TODAY)
    assert workbook["Charts"]._charts == []
    saved = load_workbook(io.BytesIO(_saved(workbook)))
    assert saved.sheetnames == SHEETS
    summary = saved["Summary"]
    assert (summary["B2"].value, summary["B2"].data_type) == ("=Empty plan", "s")
    assert "None: no department in the report is fading or shows no effect." in [r[0] for r in _rows(summary)]
    assert _rows(saved["Charts"])[1][0] == "No figures to chart yet."


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def export(app):
    group = click.Group("export")
    register(group)
    cli = app.test_cli_runner()

    def invoke(*args: str):
        return cli.invoke(group, list(args))

    return invoke


def test_the_command_writes_the_report_and_prints_the_headline(rollout, export, tmp_path):
    output = tmp_path / "leadership.xlsx"
    result = export("report", "--plan", str(rollout.plan.id), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert f"Wrote the leadership report of CRM rollout ({TODAY.isoformat()}) to {output}." in result.output
    assert "Departments live: 2 (of 3 departments)" in result.output
    assert "Adoption of the live departments (latest week): 60% (target 75%: 15 points below)" in result.output
    assert load_workbook(output).sheetnames == SHEETS

    filtered = tmp_path / "pilot.xlsx"
    wave = rollout.plan.waves[0]
    result = export("report", "--plan", str(rollout.plan.id), "--output", str(filtered), "--wave", str(wave.id),
                    "--from", (TODAY - timedelta(days=30)).isoformat())
    assert result.exit_code == 0, result.output
    rows = _rows(load_workbook(filtered)["Summary"])
    assert _summary_row(rows, "Filters")[1] == f"wave: Pilot; from {(TODAY - timedelta(days=30)).isoformat()}"


@pytest.mark.parametrize(("args", "message"), [
    (("--plan", "999"), "There is no plan with the id 999."),
    (("--plan", "{plan}", "--wave", "999"), "Plan CRM rollout has no wave with the id 999."),
    (("--plan", "{plan}", "--from", "yesterday"), "'yesterday' is not a date in the form YYYY-MM-DD."),
    (("--plan", "{plan}", "--output", "{tmp}/missing/report.xlsx"), "the folder {tmp}/missing does not exist."),
    (("--plan", "{plan}", "--output", "{tmp}"), "is a folder; give a file name such as report.xlsx."),
])
def test_the_command_refuses_clearly(rollout, export, tmp_path, args, message):
    fill = {"plan": rollout.plan.id, "tmp": tmp_path}
    args = tuple(a.format(**fill) for a in args)
    if "--output" not in args:
        args += ("--output", str(tmp_path / "report.xlsx"))
    result = export("report", *args)
    assert result.exit_code != 0
    assert message.format(**fill) in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert not (tmp_path / "report.xlsx").exists()


def test_an_output_the_system_refuses_is_a_message_not_a_traceback(rollout, export, tmp_path):
    output = tmp_path / ("x" * 300 + ".xlsx")  # longer than any file system allows, even for root
    result = export("report", "--plan", str(rollout.plan.id), "--output", str(output))
    assert result.exit_code == 1
    assert f"Cannot write {output}: File name too long." in result.output
    assert isinstance(result.exception, SystemExit)


# --- LibreOffice ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_report_with_its_charts(rollout, tmp_path):
    source = tmp_path / "report.xlsx"
    write_report(rollout.plan, str(source), today=TODAY)
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--convert-to", "ods",
         "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    converted = tmp_path / "report.ods"
    assert converted.exists()
    with zipfile.ZipFile(converted) as archive:
        content = archive.read("content.xml").decode("utf-8")
        charts = [archive.read(name).decode("utf-8") for name in archive.namelist()
                  if name.startswith("Object ") and name.endswith("/content.xml")]
    assert "Leadership report: CRM rollout" in content
    assert content.index('table:name="Summary"') < content.index('table:name="Charts"') < content.index(
        'table:name="Departments"')
    assert len(charts) == 4
    assert any('chart:class="chart:line"' in c for c in charts)
    assert any(f"&apos;Adoption by wave&apos;.C2:&apos;Adoption by wave&apos;.C{LAST_WEEK_ROW}" in c for c in charts)


def test_crmproject_export_report_is_the_command(rollout, runner, tmp_path):
    output = tmp_path / "report.xlsx"
    result = runner("export", "report", "--plan", str(rollout.plan.id), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert output.stat().st_size > 0 and "Departments live" in result.output


def test_the_download_states_what_it_left_out_and_names_its_scope(rollout, client, make_user, login):
    from openpyxl import load_workbook

    from crmproject.auth.models import Role

    login(make_user(role=Role.EXECUTIVE, email="exec@example.com"))
    response = client.get(f"/plans/{rollout.plan.id}/dashboard/report.xlsx?department=99999&wave=abc")
    assert response.status_code == 200
    summary = load_workbook(io.BytesIO(response.data))["Summary"]
    lines = [" ".join(str(c) for c in row if c is not None) for row in summary.iter_rows(values_only=True)]
    assert any("Left out" in line and "There is no department 99999" in line for line in lines)
    assert summary.page_setup.orientation == "landscape"
    response = client.get(f"/plans/{rollout.plan.id}/dashboard/report.xlsx?department={rollout.sales.id}")
    assert "sales" in response.headers["Content-Disposition"]


def test_a_department_heads_report_lists_only_their_departments_tasks(rollout, client, make_user, login):
    from openpyxl import load_workbook

    from crmproject.auth.models import Role
    from crmproject.tasks import services as task_services

    category = task_services.ensure_categories()[0]
    task_services.create_task(rollout.plan, title="Restructure Service", category=category, actor=None,
                              department=rollout.service)
    task_services.create_task(rollout.plan, title="Train Sales", category=category, actor=None,
                              department=rollout.sales)
    db.session.commit()
    login(make_user(role=Role.DEPARTMENT_HEAD, department=rollout.sales, email="head@example.com"))
    response = client.get(f"/plans/{rollout.plan.id}/dashboard/report.xlsx")
    titles = [row[1] for row in load_workbook(io.BytesIO(response.data))["Tasks"].iter_rows(min_row=2, values_only=True)]
    assert "Train Sales" in titles and "Restructure Service" not in titles


# --- the report built on the job queue: started from the dashboard, followed on a page of its own, downloaded by its
# reader only, as that reader may read it


def _start(client, plan_id: int, **filters) -> str:
    response = client.post(f"/plans/{plan_id}/dashboard/reports", data=filters)
    assert response.status_code == 302
    found = re.fullmatch(rf"/plans/{plan_id}/dashboard/reports/([\w-]+)", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def _until_done(client, url: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        html = client.get(url).get_data(as_text=True)
        state = re.search(r'id="report-status" data-state="(\w+)"', html).group(1)
        if state not in report_jobs.PENDING:
            return html
        assert '<meta http-equiv="refresh" content="2">' in html  # the page follows the job by itself
        time.sleep(0.1)
    raise AssertionError(f"the report was not built within a minute: {html}")


def test_the_dashboard_builds_the_report_in_the_background_for_its_reader(rollout: Rollout, client, make_user, login,
                                                                          app):
    head = make_user(Role.DEPARTMENT_HEAD, department=rollout.service)
    login(head)
    dashboard = client.get(f"/plans/{rollout.plan.id}/dashboard?wave=abc").get_data(as_text=True)
    assert f'action="/plans/{rollout.plan.id}/dashboard/reports"' in dashboard

    token = _start(client, rollout.plan.id, department=str(rollout.service.id))
    url = f"/plans/{rollout.plan.id}/dashboard/reports/{token}"
    html = _until_done(client, url)
    assert "The report is ready." in html and "refresh" not in html
    download = client.get(f"{url}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="crm-rollout-leadership-report-cs-{TODAY.isoformat()}.xlsx"')
    workbook = load_workbook(io.BytesIO(download.data))
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert "Service" in summary["Filters"]
    titles = {row[1] for row in workbook["Tasks"].iter_rows(min_row=2, values_only=True)}
    assert titles == {"Train the service desk", "Kick-off"}  # a head reads their own department's tasks

    # the report is its reader's: another user gets no such page and no file
    other = app.test_client()
    assert other.post("/login", data={"email": make_user(Role.EXECUTIVE).email, "password": PASSWORD}).status_code == 302
    assert other.get(f"/plans/{rollout.plan.id}/dashboard").status_code == 200
    assert other.get(url).status_code == 404 and other.get(f"{url}/download").status_code == 404


def test_a_new_report_replaces_the_readers_last_one(rollout: Rollout, client, make_user, login):
    login(make_user(Role.EXECUTIVE))
    first = _start(client, rollout.plan.id)
    _until_done(client, f"/plans/{rollout.plan.id}/dashboard/reports/{first}")
    second = _start(client, rollout.plan.id, wave=str(rollout.plan.waves[0].id))
    assert client.get(f"/plans/{rollout.plan.id}/dashboard/reports/{first}").status_code == 404
    assert "The report is ready." in _until_done(client, f"/plans/{rollout.plan.id}/dashboard/reports/{second}")


def test_a_report_whose_worker_stopped_says_so(rollout: Rollout, client, make_user, login, app):
    user = make_user(Role.EXECUTIVE)
    login(user)
    owner = {"plan_id": rollout.plan.id, "user_id": user.id}
    long_ago = time.time() - 3 * 3600
    jobs.put_state("dashboard-report:dead", {"state": "building", "at": long_ago, **owner})
    jobs.put_state("dashboard-report:lost", {"state": "waiting", "queued": long_ago, **owner})
    jobs.put_state("dashboard-report:old", {"state": "ready", "finished": long_ago, "data": b"", "filename": "x.xlsx",
                                            **owner})
    dead = client.get(f"/plans/{rollout.plan.id}/dashboard/reports/dead").get_data(as_text=True)
    assert 'data-state="failed"' in dead and "its worker stopped or was restarted" in dead and "refresh" not in dead
    lost = client.get(f"/plans/{rollout.plan.id}/dashboard/reports/lost").get_data(as_text=True)
    assert "No worker took the report up." in lost
    assert client.get(f"/plans/{rollout.plan.id}/dashboard/reports/old/download").status_code == 404  # kept an hour
    assert jobs.state("dashboard-report:old") is None


def test_a_replaced_report_never_comes_back(rollout: Rollout, app, make_user):
    """A reader who starts another report no longer wants the one before: a job still building it keeps nothing,
    neither with its next heartbeat nor with its result, and one still waiting is not built at all."""
    user = make_user(Role.EXECUTIVE)
    previous, app.config["JOBS_STALE_SECONDS"] = app.config.get("JOBS_STALE_SECONDS", 60), 0.4  # a beat every 0.1 s
    try:
        jobs.put_state(f"dashboard-report-of:{user.id}", {"token": "old"})
        beating = jobs.Heartbeat("dashboard-report:old", wanted=report_jobs._wanted("old", user.id), state="building")
        assert jobs.state("dashboard-report:old")["state"] == "building"
        jobs.put_state(f"dashboard-report-of:{user.id}", {"token": "new"})  # as start_report_job does, then:
        jobs.forget_state("dashboard-report:old")
        time.sleep(0.35)  # several beats
        assert jobs.state("dashboard-report:old") is None
        beating.stop(final={"state": "ready", "data": b"PK", "finished": time.time()})
        assert jobs.state("dashboard-report:old") is None

        jobs.put_state("dashboard-report:older", {"state": "waiting", "plan_id": rollout.plan.id, "user_id": user.id,
                                                  "queued": time.time()})
        report_jobs._run(token="older", plan_id=rollout.plan.id, args={}, user_id=user.id)  # replaced while queued
        assert jobs.state("dashboard-report:older") is None
    finally:
        app.config["JOBS_STALE_SECONDS"] = previous


def test_the_report_is_written_in_its_readers_language_and_opens_in_libreoffice(rollout: Rollout, client, make_user,
                                                                                 login, libreoffice):
    """A Russian reader's report: its sheets, headers and texts in Russian (built by the background job, which
    has no request of its own to take the language from), Cyrillic intact in LibreOffice."""
    login(make_user(Role.EXECUTIVE))
    client.post("/language", data={"language": "ru"})
    token = _start(client, rollout.plan.id)
    url = f"/plans/{rollout.plan.id}/dashboard/reports/{token}"
    assert 'lang="ru"' in _until_done(client, url)
    data = client.get(f"{url}/download").data
    workbook = load_workbook(io.BytesIO(data))
    assert "Summary" not in workbook.sheetnames
    assert any(re.search("[а-яА-Я]", name) for name in workbook.sheetnames), workbook.sheetnames
    text = libreoffice(data, "report.xlsx", to="csv:Text - txt - csv (StarCalc):44,34,76").read_text(encoding="utf-8")
    assert re.search("[а-яА-Я]{4,}", text)
