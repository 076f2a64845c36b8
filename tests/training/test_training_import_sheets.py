"""Training grids as people keep them: a "Full Name" grid whose courses are unknown, a text column before the name,
and a workbook with several sheets of records (tests/fixtures/bc_training_tracker.xlsx, see the fixtures README)."""

import io
import json
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crmproject.extensions import db
from crmproject.training.models import Course, Enrolment, EnrolmentStatus as S

TRACKER_PEOPLE = ("Maria Okafor", "Tomasz Nowak", "Aiko Tanaka", "Daniel Ruiz", "Grace Mensah", "Olu Adeyemi",
                  "Sofia Lindqvist", "Ravi Patel")
TRACKER_COURSES = ("BC Awareness", "Plan Walkthrough", "Tabletop Exercise", "Call Tree Test")


def _json(output: str) -> dict:
    return json.loads(output[output.index("{"):output.rindex("}") + 1])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def tracker(testdata):
    return str(testdata / "bc_training_tracker.xlsx")


@pytest.fixture
def bc_team(make_department, make_employee):
    operations = make_department(name="Operations", code="OPS")
    return [make_employee(name=name, department=operations) for name in TRACKER_PEOPLE]


def test_a_full_name_grid_with_unknown_courses_says_so(runner, tracker, bc_team):
    """Before: "No sheet has training records ... naming the person", although the grid names everyone."""
    dry = runner("import", "training", tracker, "--dry-run", "--json")
    assert dry.exit_code != 0
    summary = _json(dry.output)
    assert "refused" not in summary
    (sheet,) = summary["sheets"]
    assert (sheet["sheet"], sheet["shape"], sheet["header_row"], sheet["rows_read"]) == ("Training Tracker", "grid", 4, 8)
    assert [(c["column"], c["header"]) for c in sheet["unknown_courses"]] == list(zip("DEFG", TRACKER_COURSES, strict=True))
    assert [(e["sheet"], e["row"], e["column"], e["header"]) for e in summary["errors"]] == [
        ("Training Tracker", 4, column, course) for column, course in zip("DEFG", TRACKER_COURSES, strict=True)]
    assert summary["errors"][0]["message"] == ("No course has the code or name BC Awareness (--create-courses creates it, "
                                               "or --course \"BC Awareness=CODE\" maps it to an existing course).")
    # the role before the name is no course
    role = next(w for w in summary["warnings"] if w["column"] == "A")
    assert (role["sheet"], role["row"], role["header"]) == ("Training Tracker", 4, "BC Role")
    assert "Values such as 'BC Coordinator' are not training statuses, dates or scores" in role["message"]
    text = runner("import", "training", tracker)
    assert ("Sheet Training Tracker, header row 4: 4 course columns name no course: D (BC Awareness), E (Plan Walkthrough), "
            "F (Tabletop Exercise), G (Call Tree Test). Create these courses") in text.output
    assert "No sheet has" not in text.output and _count(Enrolment) == 0 and _count(Course) == 0


def test_the_other_sheets_with_records_are_named_with_their_counts(runner, tracker, bc_team):
    result = runner("import", "training", tracker, "--create-courses", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [s["sheet"] for s in summary["sheets"]] == ["Training Tracker"]
    assert summary["other_sheets"] == [{"sheet": "Refresher 2025", "shape": "grid", "header_row": 3, "rows_read": 5,
                                        "records_valid": 9, "errors_total": 0}]
    assert any(w["sheet"] == "Refresher 2025" and "--all-sheets" in w["message"] for w in summary["warnings"])
    assert summary["records_valid"] == 25 and summary["courses_to_create"] == list(TRACKER_COURSES)


def test_all_sheets_import_together_with_per_sheet_results(runner, tracker, bc_team):
    dry = runner("import", "training", tracker, "--all-sheets", "--create-courses", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    sheets = {s["sheet"]: s for s in summary["sheets"]}
    assert list(sheets) == ["Training Tracker", "Refresher 2025"] and summary["other_sheets"] == []
    assert (sheets["Training Tracker"]["records_valid"], sheets["Refresher 2025"]["records_valid"]) == (25, 9)
    assert sheets["Training Tracker"]["statuses"] == {"not_started": 4, "in_progress": 2, "completed": 15, "waived": 0,
                                                      "not_applicable": 3, "withdrawn": 1}
    assert sheets["Refresher 2025"]["statuses"]["withdrawn"] == 1
    assert (summary["rows_read"], summary["records_valid"], summary["enrolments_added"]) == (13, 34, 0)
    assert _count(Enrolment) == 0
    saved = runner("import", "training", tracker, "--all-sheets", "--create-courses")
    assert saved.exit_code == 0, saved.output
    assert "Saved: 34 enrolments added, 0 changed, 0 unchanged; 6 courses and 0 employees created." in saved.output
    found = {(e.employee.name, e.course.code): (e.status, e.completed_on) for e in db.session.scalars(select(Enrolment))}
    assert found[("Maria Okafor", "Call Tree Test")] == (S.COMPLETED, date(2025, 4, 7))
    assert found[("Olu Adeyemi", "BC Awareness")] == (S.WITHDRAWN, None)
    assert found[("Grace Mensah", "Evacuation Drill")] == (S.WITHDRAWN, None)
    assert ("BC Coordinator" not in {c.code for c in db.session.scalars(select(Course))})


def test_a_chosen_sheet_is_named_in_every_message(runner, tracker, bc_team):
    refresher = runner("import", "training", tracker, "--sheet", "Refresher 2025", "--json")
    summary = _json(refresher.output)
    assert [s["sheet"] for s in summary["sheets"]] == ["Refresher 2025"]
    assert {(e["sheet"], e["row"], e["column"]) for e in summary["errors"]} == {("Refresher 2025", 3, "C"), ("Refresher 2025", 3, "D")}
    assert [s["sheet"] for s in summary["other_sheets"]] == ["Training Tracker"]
    instructions = runner("import", "training", tracker, "--sheet", "Instructions")
    assert instructions.exit_code != 0
    assert ("Sheet Instructions has no training records: no header row in its first 30 rows names the person "
            "(Employee, Full name, Email or CRM user).") in instructions.output
    assert "No sheet has" not in instructions.output
    both = runner("import", "training", tracker, "--sheet", "Refresher 2025", "--sheet", "Training Tracker", "--create-courses",
                  "--dry-run", "--json")
    assert [s["sheet"] for s in json.loads(both.output)["sheets"]] == ["Refresher 2025", "Training Tracker"]
    assert "not both" in runner("import", "training", tracker, "--sheet", "Instructions", "--all-sheets").output


def test_grid_columns_map_to_existing_courses(runner, tracker, bc_team, make_course):
    for code, name in (("BCA-101", "Business continuity awareness"), ("BCP-201", "Plan walkthrough"),
                       ("BCX-301", "Tabletop exercise"), ("BCT-302", "Call tree test")):
        make_course(code=code, name=name)
    result = runner("import", "training", tracker, "--course", "bc awareness=BCA-101", "--course", "Tabletop Exercise=bcx-301",
                    "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["sheets"][0]["unknown_courses"] == [] and summary["enrolments_added"] == 25
    codes = {code for code, in db.session.execute(select(Course.code).join(Enrolment, Enrolment.course_id == Course.id).distinct())}
    assert codes == {"BCA-101", "BCP-201", "BCX-301", "BCT-302"}  # two by the mapping, two by their names
    wrong = runner("import", "training", tracker, "--course", "BC Awareness=NOPE")
    assert "--course BC Awareness=NOPE: no course has the code or name NOPE." in wrong.output
    assert "is not HEADER=CODE" in runner("import", "training", tracker, "--course", "BC Awareness").output


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_several_sheets_are_all_or_nothing_and_a_record_given_twice_names_both_sheets(runner, bc_team, make_course, tmp_path):
    make_course(code="BCA-101", name="BC Awareness")
    path = tmp_path / "two.xlsx"
    path.write_bytes(_workbook({
        "Q1": [["Full Name", "BC Awareness"], ["Maria Okafor", "done"], ["Tomasz Nowak", "in progress"]],
        "Q2": [["Full Name", "BC Awareness"], ["Aiko Tanaka", "done"], ["Maria Okafor", "done"], ["Nobody Known", "done"]],
    }))
    result = runner("import", "training", str(path), "--all-sheets", "--json")
    assert result.exit_code != 0
    summary = _json(result.output)
    assert [(e["sheet"], e["row"], e["column"], e["message"]) for e in summary["errors"]] == [
        ("Q2", 3, "B", "The same person and course are already on sheet Q1, row 2."),
        ("Q2", 4, "A", "No employee is called Nobody Known."),
    ]
    assert [(s["sheet"], s["records_valid"], s["errors_total"]) for s in summary["sheets"]] == [("Q1", 2, 0), ("Q2", 1, 2)]
    assert _count(Enrolment) == 0  # the valid sheet Q1 is not saved either


def test_a_roster_sheet_is_no_training_sheet_and_the_refusal_says_why(runner, app, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(_workbook({"People": [["Team list"], ["Full Name", "BC Role", "Phone"],
                                           ["Maria Okafor", "BC Coordinator", "+44 20 7946 0001"]]}))
    result = runner("import", "training", str(path))
    assert result.exit_code != 0
    assert ("Sheet People: the header on row 2 names the person (column A, Full Name), but no column is named after a course "
            "or holds training statuses, dates or scores, and there is no Course column (left out: B BC Role, C Phone).") \
        in result.output
