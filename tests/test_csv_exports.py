"""Every .xlsx download has a CSV beside it: the same tables as text, UTF-8 with a byte order mark so Excel reads
Cyrillic, Chinese and Persian, text never a formula, and the separator and decimal sign of the reader's
language."""

import csv
import io
import zipfile
from datetime import date, timedelta

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.tasks import services as tasks


def _task(plan, title, **kwargs):
    category = tasks.ensure_categories()[0]
    task = tasks.create_task(plan, title=title, category=category, actor=None, **kwargs)
    db.session.commit()
    return task


def _rows(data: bytes, separator: str = ",") -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # the byte order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=separator))


def test_the_task_list_downloads_as_csv_with_the_xlsx_columns_and_safe_text(client, login, make_user, make_plan):
    plan = make_plan(name="Rollout 2026")
    _task(plan, '=HYPERLINK("https://evil.example","click")', due=date(2026, 5, 1))
    _task(plan, "Обучить отдел продаж 培训 آموزش", due=date(2026, 6, 1))
    login(make_user(Role.PROJECT_MANAGER))
    page = client.get(f"/plans/{plan.id}/tasks").get_data(as_text=True)
    assert f'href="/plans/{plan.id}/tasks.csv' in page
    response = client.get(f"/plans/{plan.id}/tasks.csv?sort=due")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="rollout-2026-tasks-' in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].split('"')[1].endswith(".csv")
    rows = _rows(response.data)
    header = rows[0]
    assert header[:3] == ["ID", "Outline", "Title"]
    title, due = header.index("Title"), header.index("Due")
    assert rows[1][title] == "'=HYPERLINK(\"https://evil.example\",\"click\")"  # opened, it stays text
    assert rows[1][due] == "2026-05-01"
    assert rows[2][title] == "Обучить отдел продаж 培训 آموزش"


def test_a_russian_reader_gets_semicolons_and_decimal_commas_as_excel_reads_them(client, login, make_user, make_plan,
                                                                                  make_department):
    from decimal import Decimal

    from crmproject.kpis import services as kpis
    from crmproject.kpis.models import Direction, GoalFamily

    plan = make_plan()
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Доля заполненных полей", goal_family=GoalFamily.DATA_QUALITY, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(50), baseline_date=plan.start_date, target_value=Decimal(95), target_date=plan.end_date))
    kpis.record_measurement(kpi, measured_on=date(2026, 3, 1), value=Decimal("72.5"), department=None, entered_by=None)
    pm = make_user(Role.PROJECT_MANAGER)
    pm.language = "ru"
    db.session.commit()
    login(pm)
    response = client.get(f"/plans/{plan.id}/kpis/values.csv")
    rows = _rows(response.data, ";")
    assert any("Доля заполненных полей" in row and "72,5" in row for row in rows[1:])


def test_a_workbook_of_several_sheets_downloads_as_a_zip_of_one_csv_per_sheet(client, login, make_user, make_plan):
    plan = make_plan(start=date.today() - timedelta(days=100), end=date.today() + timedelta(days=100))
    login(make_user(Role.EXECUTIVE))
    response = client.get(f"/plans/{plan.id}/dashboard/report.csv")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].split('"')[1].endswith("-csv.zip")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert names[0] == "01-summary.csv"
        summary = _rows(archive.read(names[0]))
    assert summary[0][0].startswith("Leadership report: ")
    assert len(names) >= 5  # departments, KPIs, tasks, training... each a file


def test_the_csv_of_a_download_keeps_its_rights(client, login, make_user, make_department, make_plan):
    head = make_user(Role.DEPARTMENT_HEAD)
    other = make_department(name="Marketing", code="MKT")
    login(head)
    assert client.get(f"/departments/{other.id}/adoption/people.csv").status_code == 403
    assert client.get(f"/departments/{head.department.id}/adoption/people.csv").status_code == 200
