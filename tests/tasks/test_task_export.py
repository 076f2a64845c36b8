import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.teams import services as teams
from crmproject.teams.models import RaciCode, TeamRoleKind


def _open(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    return load_workbook(io.BytesIO(response.data))


def test_task_export_has_real_dates_filters_and_safe_text(client, login, make_user, make_plan, make_task):
    plan = make_plan(name="Rollout 2026")
    make_task(plan, "=HYPERLINK(\"https://evil.example\",\"click\")", due=date(2026, 5, 1))
    make_task(plan, "Plain task", due=date(2026, 6, 1), description="@mention and +1")
    login(make_user(Role.PROJECT_MANAGER))
    response = client.get(f"/plans/{plan.id}/tasks.xlsx?sort=due")
    assert 'filename="rollout-2026-tasks-' in response.headers["Content-Disposition"]
    sheet = _open(response)["Tasks"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["ID", "Outline", "Title"] and "Due" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    evil = sheet.cell(row=2, column=3)
    assert evil.value.startswith("=HYPERLINK") and evil.data_type == "s"  # text, never a formula
    due = sheet.cell(row=2, column=header.index("Due") + 1)
    assert isinstance(due.value, datetime) and due.value.date() == date(2026, 5, 1)


def test_task_export_follows_the_filter_and_the_department_scope(client, login, make_user, make_plan, make_task, make_department):
    head = make_user(Role.DEPARTMENT_HEAD)
    plan = make_plan()
    make_task(plan, "Ours", department=head.department)
    make_task(plan, "Theirs", department=make_department())
    login(head)
    sheet = _open(client.get(f"/plans/{plan.id}/tasks.xlsx"))["Tasks"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Ours"]


def test_libreoffice_opens_the_export_and_shows_formula_text_literally(client, login, make_user, make_plan, make_task,
                                                                      libreoffice):
    plan = make_plan()
    make_task(plan, "=1+1", due=date(2026, 5, 1))
    login(make_user(Role.PROJECT_MANAGER))
    converted = libreoffice(client.get(f"/plans/{plan.id}/tasks.xlsx").data, "tasks.xlsx")
    rows = list(csv.reader(converted.read_text(encoding="utf-8", errors="replace").splitlines()))
    assert rows[0][2] == "Title" and rows[1][2] == "=1+1"
    assert "2026-05-01" in rows[1]


def test_raci_export_has_the_grid_and_the_team(client, login, make_user, make_plan):
    plan = make_plan()
    sponsor = teams.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    lead = teams.create_role(plan, kind=TeamRoleKind.PROJECT_MANAGER, title="PM")
    goals = teams.add_deliverable(plan, name="Goals")
    teams.add_deliverable(plan, name="Unplanned")
    teams.save_raci(plan, {goals.id: {sponsor.id: RaciCode.ACCOUNTABLE, lead.id: RaciCode.RESPONSIBLE}})
    teams.assign(lead, person_name="Kim", start=date(2020, 1, 1))
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    workbook = _open(client.get(f"/plans/{plan.id}/raci.xlsx"))
    grid = list(workbook["RACI"].iter_rows(values_only=True))
    assert grid[0] == ("Deliverable", "Phase", "Sponsor", "PM", "Problem")
    assert grid[1][:4] == ("Goals", None, "A", "R") and grid[1][4] is None
    assert grid[2][0] == "Unplanned" and "no role is accountable" in grid[2][4]
    team = list(workbook["Team"].iter_rows(values_only=True))
    assert team[2][:4] == ("PM", "Project manager", True, "Kim")


def test_a_russian_readers_export_is_named_and_headed_in_russian(client, login, make_user, make_plan, make_task, libreoffice):
    from urllib.parse import unquote

    plan = make_plan(name="Внедрение CRM 2026")
    make_task(plan, "Обучить отдел продаж", due=date(2026, 5, 1))
    pm = make_user(Role.PROJECT_MANAGER)
    pm.language = "ru"
    db.session.commit()
    login(pm)
    response = client.get(f"/plans/{plan.id}/tasks.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert 'filename="crm-2026-' in disposition  # the ASCII name for clients that read no other
    assert "внедрение-crm-2026-задачи-" in unquote(disposition.split("filename*=UTF-8''")[1])
    workbook = _open(response)
    assert workbook.sheetnames[0] == "Задачи"
    # LibreOffice reads the Cyrillic headers and text as they were written
    text = libreoffice(response.data, "tasks.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76").read_text(encoding="utf-8")
    assert "Название" in text and "Обучить отдел продаж" in text
