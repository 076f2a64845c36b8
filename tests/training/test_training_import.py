import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.training import completion, importer, services
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S


def _xlsx(rows, title="Training record, exported 2026-05-01") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Training"
    ws.append([title])
    ws.append([])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _enrolments() -> dict:
    rows = db.session.scalars(select(Enrolment)).all()
    return {(e.employee.name, e.course.code): (e.status, e.completed_on, e.score) for e in rows}


@pytest.fixture
def people(make_department, make_employee, make_course):
    sales = make_department(name="Sales", code="SALES")
    ann = make_employee(name="Ann Lee", email="ann@example.com", crm_username="a.lee", department=sales)
    bo = make_employee(name="Bo Chen", email="bo@example.com", crm_username="BCHEN", department=sales)
    cy = make_employee(name="Cy Diaz", department=sales)
    make_course(code="SFA-101", name="SFA basics", mandatory=True)
    make_course(code="DQ-100", name="Data quality rules")
    return ann, bo, cy


def test_one_row_per_person_and_course_from_xlsx(runner, people, tmp_path):
    path = tmp_path / "records.xlsx"
    path.write_bytes(_xlsx([
        ["E-mail", "CRM user name", "Name", "Course code", "Status", "Completion date", "Score"],
        ["ANN@example.com", None, None, "sfa-101", "Done", date(2026, 3, 2), 0.92],
        [None, " bchen ", None, "SFA-101", "in progress", None, None],
        [None, None, "cy  diaz", "Data quality rules", "waived", None, None],
        ["ann@example.com", None, None, "DQ-100", None, "2026-04-01", "75"],
        [None, None, "Bo Chen", "DQ-100", "n/a", None, None],
    ]))
    result = runner("import", "training", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["shape"], summary["sheet"], summary["header_row"], summary["rows_read"]) == ("records", "Training", 3, 5)
    assert (summary["enrolments_added"], summary["errors"]) == (5, [])
    assert _enrolments() == {
        ("Ann Lee", "SFA-101"): (S.COMPLETED, date(2026, 3, 2), D("92.00")),
        ("Bo Chen", "SFA-101"): (S.IN_PROGRESS, None, None),
        ("Cy Diaz", "DQ-100"): (S.WAIVED, None, None),
        ("Ann Lee", "DQ-100"): (S.COMPLETED, date(2026, 4, 1), D("75.00")),
        ("Bo Chen", "DQ-100"): (S.NOT_APPLICABLE, None, None),
    }


def test_a_grid_of_people_against_courses(runner, people, tmp_path):
    path = tmp_path / "matrix.xlsx"
    path.write_bytes(_xlsx([
        ["Employee", "Department", "SFA-101", "Data quality rules", "Notes"],
        ["Ann Lee", "Sales", "✓", date(2026, 2, 14), "keen"],
        ["bo@example.com", "Sales", "85%", "in progress", None],
        ["Cy Diaz", "Sales", "n/a", None, None],
        [],
        [None, None, None, None, None],
    ], title="Who did which CRM course"))
    result = runner("import", "training", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["shape"], summary["header_row"], summary["rows_read"], summary["enrolments_added"]) == ("grid", 3, 3, 5)
    assert summary["completed_without_date"] == 2  # the tick and the score
    found = _enrolments()
    assert found[("Ann Lee", "SFA-101")][:1] == (S.COMPLETED,) and found[("Ann Lee", "SFA-101")][1] == date.today()
    assert found[("Ann Lee", "DQ-100")] == (S.COMPLETED, date(2026, 2, 14), None)
    assert found[("Bo Chen", "SFA-101")] == (S.COMPLETED, date.today(), D("85.00"))
    assert found[("Bo Chen", "DQ-100")] == (S.IN_PROGRESS, None, None)
    assert found[("Cy Diaz", "SFA-101")] == (S.NOT_APPLICABLE, None, None)
    assert len(found) == 5  # the blank cell is no enrolment


@pytest.mark.parametrize(("cell", "expected"), [
    ("completed", (S.COMPLETED, None, None)), ("DONE", (S.COMPLETED, None, None)), ("x", (S.COMPLETED, None, None)),
    ("✔", (S.COMPLETED, None, None)), (True, (S.COMPLETED, None, None)), (1, (S.COMPLETED, None, None)),
    ("In Progress", (S.IN_PROGRESS, None, None)), ("not started", (S.NOT_STARTED, None, None)), (0, (S.NOT_STARTED, None, None)),
    ("N/A", (S.NOT_APPLICABLE, None, None)), ("waived", (S.WAIVED, None, None)), ("exempt", (S.WAIVED, None, None)),
    ("2026-03-05", (S.COMPLETED, date(2026, 3, 5), None)), ("05.03.2026", (S.COMPLETED, date(2026, 3, 5), None)),
    (date(2026, 3, 5), (S.COMPLETED, date(2026, 3, 5), None)), ("85%", (S.COMPLETED, None, D("85.00"))),
    (0.9, (S.COMPLETED, None, D("90.00"))), (72, (S.COMPLETED, None, D("72.00"))), ("72,5", (S.COMPLETED, None, D("72.50"))),
])
def test_status_cells(cell, expected):
    assert importer.read_result(cell) == expected


@pytest.mark.parametrize("cell", ["Withdrawn", "dropped", "Dropped out", "unregistered", "отчислен", "Отчислена", "退出",
                                  "已退课", "انصراف"])
def test_withdrawal_words_in_english_russian_chinese_and_persian(cell):
    assert importer.read_result(cell) == (S.WITHDRAWN, None, None)


@pytest.mark.parametrize(("cell", "problem"), [
    ("maybe", "'maybe' is not a status"), ("140", "A score runs from 0 to 100"), ("05/03/2026", "could be 2026-03-05"),
])
def test_unreadable_status_cells(cell, problem):
    from crmproject.spreadsheets import CellError

    with pytest.raises(CellError, match=problem):
        importer.read_result(cell)


def test_import_is_all_or_nothing_and_names_sheet_row_and_column(runner, people, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text(
        "Employee,Course,Status,Completed on,Score\n"
        "Ann Lee,SFA-101,completed,2026-03-01,90\n"
        "Zed Unknown,SFA-101,completed,2026-03-01,90\n"
        "Bo Chen,NOPE-1,completed,2026-03-01,90\n"
        "Cy Diaz,SFA-101,perhaps,,\n"
        "Bo Chen,SFA-101,completed,2999-01-01,\n"
        "Bo Chen,DQ-100,in progress,2026-03-01,\n"
        "Cy Diaz,DQ-100,completed,,250\n"
        "ann@example.com,SFA-101,done,,\n", encoding="utf-8")
    result = runner("import", "training", str(path), "--json")
    assert result.exit_code != 0
    summary = json.loads(result.output[:result.output.rindex("}") + 1])
    errors = [(e["row"], e["column"], e["message"]) for e in summary["errors"]]
    assert errors == [
        (3, "A", "No employee is called Zed Unknown."),
        (4, "B", "No course has the code or name NOPE-1 (--create-courses creates it, or --course \"NOPE-1=CODE\" maps it to an existing course)."),
        (5, "C", "'perhaps' is not a status (completed, in progress, not started, withdrawn, waived, n/a), a date or a score"),
        (6, "D", "2999-01-01 is in the future."),
        (7, "D", "A completion date needs the status completed, not In progress."),
        (8, "E", "A score runs from 0 to 100, not 250."),
        (9, "B", "The same person and course are already on row 2."),
    ]
    assert summary["errors"][0]["sheet"] == "records" and summary["errors"][0]["header"] == "Employee"
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0
    text = runner("import", "training", str(path))
    assert "Sheet records, row 3, column A (Employee): No employee is called Zed Unknown." in text.output
    assert "Nothing was imported: 7 rows have errors." in text.output


def test_unknown_grid_courses_are_header_errors_unless_created(runner, people, tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_text("Name;SFA-101;CSS-101;Job title\nAnn Lee;done;in progress;Rep\nCy Diaz;;waived;Rep\n", encoding="utf-8")
    refused = runner("import", "training", str(path), "--json")
    assert refused.exit_code != 0
    summary = json.loads(refused.output[:refused.output.rindex("}") + 1])
    assert [(e["row"], e["column"], e["header"]) for e in summary["errors"]] == [(1, "C", "CSS-101")]
    created = runner("import", "training", str(path), "--create-courses", "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["courses_created"] == 1
    assert services.get_course_by_code("css-101").name == "CSS-101"
    assert _enrolments()[("Cy Diaz", "CSS-101")] == (S.WAIVED, None, None)


def test_a_grid_of_only_new_courses_and_new_people(runner, app, tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_text("Employee,Email,Intro,Advanced\nNew Person,new@example.com,done,\n", encoding="utf-8")
    refused = runner("import", "training", str(path))
    assert refused.exit_code != 0 and "No sheet has training records" not in refused.output
    assert "Sheet matrix, header row 1: 1 course columns name no course: C (Intro)." in refused.output
    result = runner("import", "training", str(path), "--create-courses", "--create-employees", "--json")
    assert result.exit_code == 0, result.output
    person = db.session.scalar(select(Employee))
    assert (person.name, person.email, person.department_id) == ("New Person", "new@example.com", None)
    assert set(_enrolments()) == {("New Person", "Intro")}


def test_reimport_updates_changed_records_and_counts_the_rest(runner, people, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Email,Course,Status\nann@example.com,SFA-101,in progress\nbo@example.com,SFA-101,not started\n")
    assert runner("import", "training", str(path)).exit_code == 0
    path.write_text("Email,Course,Status,Completed on\nann@example.com,SFA-101,completed,2026-01-31\nbo@example.com,SFA-101,not started,\n")
    result = runner("import", "training", str(path))
    assert "Saved: 0 enrolments added, 1 changed, 1 unchanged" in result.output
    assert _enrolments()[("Ann Lee", "SFA-101")] == (S.COMPLETED, date(2026, 1, 31), None)


def test_dry_run_saves_nothing(runner, people, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Email,Course,Status\nann@example.com,NEW-1,done\n")
    result = runner("import", "training", str(path), "--dry-run", "--create-courses")
    assert result.exit_code == 0 and "Dry run: nothing was saved (1 courses and 0 employees would be created)." in result.output
    assert db.session.scalar(select(func.count()).select_from(Course)) == 2
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "is empty"),
    (b"%PDF-1.4 nothing", "is not a spreadsheet"),
    (b"Colour,Size\nred,3\n", "No sheet has training records"),
])
def test_files_that_are_not_training_records_are_refused(runner, app, tmp_path, content, problem):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    result = runner("import", "training", str(path), "--json")
    assert result.exit_code != 0
    assert problem in json.loads(result.output[:result.output.rindex("}") + 1])["refused"]


def test_day_offsets_need_a_start_date_for_completion_dates(runner, people, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Email,Course,Completed on\nann@example.com,SFA-101,12\n")
    assert "give --start-date" in runner("import", "training", str(path)).output
    result = runner("import", "training", str(path), "--start-date", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert _enrolments()[("Ann Lee", "SFA-101")] == (S.COMPLETED, date(2026, 1, 13), None)
    assert "is not a date" in runner("import", "training", str(path), "--start-date", "soon").output


# --- the Open University Learning Analytics Dataset: 32,593 real registrations -------------------------------

def _oulad_courses(testdata) -> list[Course]:
    with open(testdata / "oulad_courses.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    courses = [services.create_course(services.CourseValues(
        code=f"{r['code_module']} {r['code_presentation']}", name=f"Module {r['code_module']}, presentation {r['code_presentation']}",
        description=f"{r['module_presentation_length']} days")) for r in rows]
    db.session.commit()
    return courses


def _oulad_expected(testdata) -> tuple[list[dict], dict]:
    with open(testdata / "oulad_studentRegistration.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    statuses = {s: 0 for s in S}
    for r in rows:
        if r["date_unregistration"]:
            statuses[S.NOT_APPLICABLE if int(r["date_unregistration"]) <= 0 else S.WITHDRAWN] += 1
        else:
            statuses[S.IN_PROGRESS if r["date_registration"] else S.NOT_STARTED] += 1
    return rows, statuses


def test_oulad_registrations_import_end_to_end(runner, app, testdata):
    """Courses from oulad_courses.csv; each student becomes an employee with the CRM user name id_student."""
    courses = _oulad_courses(testdata)
    rows, statuses = _oulad_expected(testdata)
    assert (len(courses), len(rows)) == (22, 32_593)
    path = testdata / "oulad_studentRegistration.csv"
    result = runner("import", "training", str(path), "--create-employees", "--start-date", "2013-10-01", "--json")
    assert result.exit_code == 0, result.output[:2000]
    summary = json.loads(result.output)
    assert (summary["shape"], summary["rows_read"], summary["enrolments_added"]) == ("records", 32_593, 32_593)
    assert summary["employees_created"] == len({r["id_student"] for r in rows}) == 28_785
    assert summary["statuses"] == {s.value: n for s, n in statuses.items()}
    assert summary["statuses"]["completed"] == 0  # a registration file holds no results
    # the 6,975 students who left after the module start are withdrawn, not "not started"
    assert (summary["statuses"]["withdrawn"], summary["statuses"]["not_started"]) == (6_975, 6)
    # withdrawals before the start are not applicable; both leave the denominator, withdrawals counted apart
    by_course = completion.completion_by_course()
    aaa = next(c for c in courses if c.code == "AAA 2013J")
    aaa_rows = [r for r in rows if (r["code_module"], r["code_presentation"]) == ("AAA", "2013J")]
    assert by_course[aaa.id].enrolled == len(aaa_rows) == 383
    assert by_course[aaa.id].excluded == sum(1 for r in aaa_rows if r["date_unregistration"] and int(r["date_unregistration"]) <= 0)
    assert by_course[aaa.id].withdrawn == sum(1 for r in aaa_rows if r["date_unregistration"] and int(r["date_unregistration"]) > 0)
    assert by_course[aaa.id].counted == 383 - by_course[aaa.id].excluded - by_course[aaa.id].withdrawn
    assert sum(c.withdrawn for c in by_course.values()) == 6_975
    stored = dict(db.session.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
    assert (stored[S.WITHDRAWN], stored[S.NOT_STARTED]) == (6_975, 6)
    student = db.session.scalar(select(Employee).where(Employee.crm_username == "11391"))
    assert student.name == "11391" and student.crm_username_key == "11391"
    again = runner("import", "training", str(path), "--start-date", "2013-10-01", "--json")
    assert json.loads(again.output)["enrolments_unchanged"] == 32_593
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 28_785


def test_oulad_registrations_match_existing_employees_by_crm_user(runner, app, testdata, tmp_path, make_department):
    """A slice of the real file, against employees who already exist with crm_username = id_student."""
    _oulad_courses(testdata)
    lines = (testdata / "oulad_studentRegistration.csv").read_bytes().splitlines(keepends=True)[:301]
    path = tmp_path / "oulad_slice.csv"
    path.write_bytes(b"".join(lines))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    department = make_department(name="Open University", code="OU")
    db.session.execute(Employee.__table__.insert(), [
        {"name": f"Student {s}", "crm_username": s, "crm_username_key": s, "department_id": department.id, "job_role": "",
         "active": True, "created_at": department.created_at, "updated_at": department.created_at}
        for s in sorted({r["id_student"] for r in rows})])
    db.session.commit()
    missing = runner("import", "training", str(path), "--json")
    assert missing.exit_code == 0, missing.output
    assert json.loads(missing.output)["enrolments_added"] == 300
    cells = completion.completion_cells(department_id=department.id)
    assert {c.course_code for c in cells} == {f"{r['code_module']} {r['code_presentation']}" for r in rows}
    assert sum(c.completion.enrolled for c in cells) == 300


def test_course_names_alone_and_user_names_in_the_person_column(runner, people, tmp_path):
    path = tmp_path / "records.xlsx"
    path.write_bytes(_xlsx([["Participant", "Course title", "Result"], ["A.LEE", "SFA basics", "Passed"],
                            ["Bo Chen", "data quality RULES", "Failed"]]))
    result = runner("import", "training", str(path), "--sheet", "training")
    assert result.exit_code == 0, result.output
    assert _enrolments() == {("Ann Lee", "SFA-101"): (S.COMPLETED, date.today(), None),
                             ("Bo Chen", "DQ-100"): (S.IN_PROGRESS, None, None)}
    missing = runner("import", "training", str(path), "--sheet", "Elsewhere")
    assert missing.exit_code != 0 and "has no sheet named Elsewhere" in missing.output


def test_two_new_people_cannot_share_a_crm_user_name(runner, people, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text("Email,CRM user,Course,Status\nx@example.com,newbie,SFA-101,done\ny@example.com,NEWBIE,SFA-101,done\n")
    result = runner("import", "training", str(path), "--create-employees")
    assert "row 3, column B (CRM user): NEWBIE is the CRM user name of another new person in this file." in result.output
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 3
