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
    opened = {**FILLED, "version": str(report.version)}
    refused = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**opened, "action": "submit", f"kpi-{kpi.id}": "abc"})
    assert refused.status_code == 200 and "is not a number" in refused.get_data(as_text=True)
    done = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**opened, "action": "submit", f"kpi-{kpi.id}": "42"})
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


def test_a_refused_submission_names_everything_it_lacks_at_once(client, login, world):
    """A value that is not a number, and a text left empty: both are said the first time, not one after the other."""
    plan, head, _other_head, kpi = world
    login(head)
    refused = client.post(f"/plans/{plan.id}/reports/write",
                          data={**FILLED, "next_steps": "", "action": "submit", f"kpi-{kpi.id}": "abc"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "is not a number" in page and "Say what comes next." in page
    assert db.session.scalar(db.select(db.func.count()).select_from(StatusReport)) == 0
    # saving a draft asks for nothing more than numbers that are numbers
    draft = client.post(f"/plans/{plan.id}/reports/write",
                        data={**FILLED, "next_steps": "", "action": "draft", f"kpi-{kpi.id}": "abc"}).get_data(as_text=True)
    assert "is not a number" in draft and "Say what comes next." not in draft


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
    # a form opened before the first draft was begun is checked against that draft, not saved beside it
    again = client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft"})
    assert again.status_code == 409 and "Someone else saved this" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(StatusReport)) == 1


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
    sheet = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/reports/period.xlsx?period={period.start}").data))["Reports"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == head.department.name
    assert rows[0][-1] == "Active users / licensed seats (%)" and rows[1][-1] == 33
    assert sheet.cell(row=2, column=8).data_type == "s"  # the formula-like text stays text
    beside = client.get(f"/plans/{plan.id}/reports/period.csv?period={period.start}")  # the CSV beside it
    lines = beside.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert beside.status_code == 200 and len(lines) == 2 and "Achievements" in lines[0]
    assert lines[1].startswith(head.department.name) and "'=cmd" in lines[1]
    values = load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/kpis/values.xlsx").data))["KPI values"]
    assert list(values.iter_rows(min_row=2, values_only=True))[0][:5][4] == 33


def test_a_reopened_draft_keeps_a_four_digit_value(client, login, world):
    plan, head, other_head, kpi = world
    login(head)
    client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft", f"kpi-{kpi.id}": "1200"})
    report = db.session.scalar(db.select(StatusReport))
    page = client.get(f"/plans/{plan.id}/reports/{report.id}").get_data(as_text=True)
    assert f'name="kpi-{kpi.id}" type="text" value="1200"' in page
    refused = client.post(f"/plans/{plan.id}/reports/{report.id}", data={**FILLED, "action": "submit", f"kpi-{kpi.id}": "1,200",
                                                                         "version": str(report.version)})
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

    rows = list(load_workbook(io.BytesIO(client.get(f"/plans/{plan.id}/reports/period.xlsx?period={period.start}").data))["Reports"]
                .iter_rows(values_only=True))
    assert rows[1][7] == "Submitted text" and all("SECRET" not in str(c) for r in rows for c in r)


def test_a_department_outside_the_plan_does_not_report(client, login, make_user, world):
    plan, head, other_head, kpi = world
    outsider = make_user(Role.DEPARTMENT_HEAD)
    login(outsider)
    response = client.post(f"/plans/{plan.id}/reports/write", data={**FILLED, "action": "draft"})
    assert response.status_code == 302 and db.session.scalar(db.select(db.func.count()).select_from(StatusReport)) == 0


def test_a_stale_save_of_a_draft_keeps_both_peoples_changes_and_refuses_only_a_field_both_changed(
        app, client, login, make_user, world, open_form, forms_in):
    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    draft = services.start_report(plan, head.department, period, author=head)
    services.save_draft(draft, services.ReportContent(overall_rag=services.Rag.AMBER, achievements="Pilot trained"), author=head)
    db.session.commit()
    url = f"/plans/{plan.id}/reports/{draft.id}"
    login(head)
    manager = app.test_client()
    assert manager.post("/login", data={"email": make_user(Role.PROJECT_MANAGER).email, "password": "correct-horse-1"}).status_code == 302
    heads_form = open_form(url)  # the head opens the draft ...
    managers_form = open_form(url, using=manager)  # ... and so does the project manager
    saved = manager.post(url, data=managers_form.data(achievements="Pilot trained; 40 users live", **{f"kpi-{kpi.id}": "42"},
                                                      action="draft"))
    assert saved.status_code == 302

    # the head only wrote the blockers: the manager's text and KPI value stay, the blockers are added
    assert client.post(url, data=heads_form.data(blockers="Data import slow", action="draft")).status_code == 302
    db.session.expire_all()
    assert (draft.achievements, draft.blockers, [v.value for v in draft.values]) == ("Pilot trained; 40 users live", "Data import slow", [D(42)])
    # the manager's page, opened before both saves and sent back unchanged, changes nothing
    assert manager.post(url, data=managers_form.data(action="draft")).status_code == 302
    db.session.expire_all()
    assert (draft.achievements, draft.blockers, [v.value for v in draft.values]) == ("Pilot trained; 40 users live", "Data import slow", [D(42)])

    # both change the KPI value from the same page: the head's save is refused, with the three values
    heads_form, managers_form = open_form(url), open_form(url, using=manager)
    assert manager.post(url, data=managers_form.data(**{f"kpi-{kpi.id}": "45"}, action="draft")).status_code == 302
    stale = client.post(url, data=heads_form.data(**{f"kpi-{kpi.id}": "44"}, next_steps="Train Marketing", action="draft"))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Someone else saved this while you were editing it. Your changes were NOT saved." in html
    conflict = html.split('class="form-errors conflict"')[1].split("</table>")[0]
    assert "Active users / licensed seats (%)</th><td>42</td><td>45</td><td>44</td>" in conflict and "Next steps" not in conflict
    db.session.expire_all()
    assert (draft.next_steps, [v.value for v in draft.values]) == ("", [D(45)])

    # the page shown again keeps the head's input and carries the new version: saving it again overwrites knowingly
    again = next(f for f in forms_in(html, url) if f.action == url)
    assert again.fields["next_steps"].values == ["Train Marketing"]
    assert client.post(url, data=again.data(action="draft")).status_code == 302
    db.session.expire_all()
    assert (draft.achievements, draft.next_steps, [v.value for v in draft.values]) == ("Pilot trained; 40 users live", "Train Marketing", [D(44)])


def test_a_stale_save_that_loses_nothing_goes_through(app, client, login, world, open_form):
    plan, head, other_head, kpi = world
    period = services.period_for(plan, date.today())
    draft = services.start_report(plan, head.department, period, author=head)
    db.session.commit()
    url = f"/plans/{plan.id}/reports/{draft.id}"
    login(head)
    first, second = open_form(url), open_form(url)  # the same draft open in two tabs
    assert client.post(url, data=first.data(achievements="Pilot trained", action="draft")).status_code == 302
    # the second tab types the same text: nothing of the first save would be lost
    assert client.post(url, data=second.data(achievements="Pilot trained", action="draft")).status_code == 302
