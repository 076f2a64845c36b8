from datetime import date
from decimal import Decimal as D

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement
from crmproject.plans import services as plans
from crmproject.reports import services
from crmproject.reports.models import ReportStatus, StatusReport


@pytest.fixture
def world(make_plan, make_user, make_department):
    today = date.today()
    plan = make_plan(start=date(today.year - 1, 1, 1), end=date(today.year + 1, 12, 31))
    head = make_user(Role.DEPARTMENT_HEAD)
    other_head = make_user(Role.DEPARTMENT_HEAD)
    plans.add_wave(plan, name="Pilot", go_live=date(today.year - 1, 6, 1), departments=[head.department, other_head.department])
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Active users / licensed seats", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=plan.start_date, target_value=D(80), target_date=plan.end_date))
    db.session.commit()
    return plan, head, other_head, kpi


FILLED = {"overall_rag": "amber", "achievements": "Pilot users trained", "blockers": "Data import slow",
          "next_steps": "Wave 2 preparation", "help_needed": "Sponsor e-mail to all staff"}


def test_head_submits_this_periods_report_with_kpi_values_and_sees_it_in_the_history(client, login, world):
    plan, head, other_head, kpi = world
    login(head)
    form = client.get(f"/plans/{plan.id}/reports/write").get_data(as_text=True)
    assert "Active users / licensed seats" in form and f'name="kpi-{kpi.id}"' in form
    draft = client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "next_steps": "", "action": "draft"})
    assert draft.status_code == 302
    report = db.session.scalar(db.select(StatusReport))
    refused = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**FILLED, "action": "submit", f"kpi-{kpi.id}": "abc"})
    assert refused.status_code == 200 and "is not a number" in refused.get_data(as_text=True)
    done = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**FILLED, "action": "submit", f"kpi-{kpi.id}": "42"})
    assert done.status_code == 302
    db.session.expire_all()
    assert report.status == ReportStatus.SUBMITTED
    assert db.session.scalar(db.select(KpiMeasurement.value)) == D(42)
    history = client.get(f"/plans/{plan.id}/reports/department/{head.department_id}").get_data(as_text=True)
    assert "Pilot users trained" in history and "Submitted" in history
    # read-only now: a POST is refused, an amendment is the way
    assert client.post(f"/plans/{plan.id}/reports/{report.id}", data={**FILLED, "action": "submit"}).status_code == 409
    assert client.post(f"/plans/{plan.id}/reports/{report.id}/amend").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(StatusReport)) == 2


def test_drafts_stay_private_and_executives_read_submitted_reports(client, app, login, make_user, world):
    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    draft = services.start_report(plan, head.department, period, author=head)
    db.session.commit()
    login(other_head)
    assert client.get(f"/plans/{plan.id}/reports/{draft.id}").status_code == 403
    assert client.get(f"/plans/{plan.id}/reports/write?department={head.department_id}").status_code == 403
    executive = app.test_client()
    executive.post("/login", data={"email": make_user(Role.EXECUTIVE).email, "password": "correct-horse-1"})
    assert executive.get(f"/plans/{plan.id}/reports/{draft.id}").status_code == 403
    services.submit(draft, services.ReportContent(overall_rag=services.Rag.GREEN, achievements="A", next_steps="B",
                                                  values={kpi.id: D(10)}), author=head, due_kpis=[kpi])
    db.session.commit()
    assert "A" in executive.get(f"/plans/{plan.id}/reports/{draft.id}").get_data(as_text=True)
    matrix = executive.get(f"/plans/{plan.id}/reports").get_data(as_text=True)
    assert "state-on_time" in matrix or "state-late" in matrix


def test_a_second_report_for_the_period_opens_the_first(client, login, world):
    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    first = services.start_report(plan, head.department, period, author=head)
    db.session.commit()
    login(head)
    response = client.get(f"/plans/{plan.id}/reports/write")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/reports/{first.id}")
    again = client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft"})
    assert "already has a report" in again.get_data(as_text=True)


def test_exports_of_a_periods_reports_and_of_kpi_values(client, login, make_user, world):
    import io

    from openpyxl import load_workbook

    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    report = services.start_report(plan, head.department, period, author=head)
    services.submit(report, services.ReportContent(overall_rag=services.Rag.GREEN, achievements="=cmd|' /C calc'!A0",
                                                   next_steps="B", values={kpi.id: D(33)}), author=head, due_kpis=[kpi])
    services.start_report(plan, other_head.department, period, author=other_head)  # a draft: private
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    sheet = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/reports.xlsx?period={period.start}").data))["Reports"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == head.department.name
    assert rows[0][-1] == "Active users / licensed seats (%)" and rows[1][-1] == 33
    assert sheet.cell(row=2, column=8).data_type == "s"  # the formula-like text stays text
    values = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/kpis/values.xlsx").data))["KPI values"]
    assert list(values.iter_rows(min_row=2, values_only=True))[0][:5][4] == 33


def test_a_reopened_draft_keeps_a_four_digit_value(client, login, world):
    plan, head, other_head, kpi = world
    login(head)
    client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft", f"kpi-{kpi.id}": "1200"})
    report = db.session.scalar(db.select(StatusReport))
    page = client.get(f"/plans/{plan.id}/reports/{report.id}").get_data(as_text=True)
    assert f'name="kpi-{kpi.id}" value="1200"' in page
    refused = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**FILLED, "action": "submit", f"kpi-{kpi.id}": "1,200"})
    assert "could be a thousand or a decimal" in refused.get_data(as_text=True)


def test_a_draft_amendment_neither_leaks_nor_hides_the_submitted_report(client, app, login, world):
    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    first = services.start_report(plan, head.department, period, author=head)
    services.submit(first, services.ReportContent(overall_rag=services.Rag.RED, achievements="Submitted text", next_steps="B",
                                                  values={kpi.id: D(10)}), author=head, due_kpis=[kpi])
    amendment = services.amend(first, author=head)
    services.save_draft(amendment, services.ReportContent(overall_rag=services.Rag.GREEN, achievements="SECRET draft"), author=head)
    db.session.commit()
    login(other_head)
    matrix = client.get(f"/plans/{plan.id}/reports").get_data(as_text=True)
    assert 'class="badge red"' in matrix and 'class="badge green"' not in matrix
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/reports.xlsx?period={period.start}").data))["Reports"].iter_rows(values_only=True))
    assert rows[1][7] == "Submitted text" and all("SECRET" not in str(c) for r in rows for c in r)


def test_a_department_outside_the_plan_does_not_report(client, login, make_user, world):
    plan, head, other_head, kpi = world
    outsider = make_user(Role.DEPARTMENT_HEAD)
    login(outsider)
    response = client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft"})
    assert response.status_code == 302 and db.session.scalar(db.select(db.func.count()).select_from(StatusReport)) == 0
