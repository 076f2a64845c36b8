"""Header detection and table reading on the Packt and calamine workbooks and on made-up layouts."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from crmproject.spreadsheets import (
    FieldSpec,
    Row,
    find_header,
    normalise_header,
    open_workbook,
    read_table,
)
from crmproject.spreadsheets.table import is_calendar_header

TESTDATA = Path(__file__).resolve().parents[1] / "fixtures"

TASK_FIELDS = [
    FieldSpec("id", "ID", ("task id", "no"), kind="integer"),
    FieldSpec("name", "Task", ("task name", "activity", "title", "feature", "milestone", "epic"), required=True),
    FieldSpec("owner", "Owner", ("owners", "assignee", "resource", "resourcing", "responsible")),
    FieldSpec("start", "Start Date", ("start", "begin"), kind="date"),
    FieldSpec("end", "End Date", ("end", "finish", "due date", "due"), kind="date"),
    FieldSpec("predecessors", "Predecessors", ("predecessor", "dependencies", "depends on")),
    FieldSpec("duration", "Duration", ("effort", "days"), kind="number"),
    FieldSpec("status", "Status", ("state",)),
]
RISK_FIELDS = [
    FieldSpec("id", "ID", kind="integer"),
    FieldSpec("risk", "Risk", required=True),
    FieldSpec("probability", "Probability", ("likelihood",)),
    FieldSpec("impact", "Impact"),
    FieldSpec("strategy", "Strategy", ("mitigation", "response")),
]


def csv_sheet(text: str):
    return open_workbook(text.encode(), "plan.csv").sheets[0]


def xlsx_sheet(build):
    workbook = openpyxl.Workbook()
    build(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return open_workbook(buffer.getvalue(), "plan.xlsx").sheets[0]


def mapped(table_or_header):
    header = getattr(table_or_header, "header", table_or_header)
    return {header.headers[column]: key for column, key in header.columns.items()}


# -- real workbooks ----------------------------------------------------------


def test_project_plan_maps_task_columns_and_skips_the_month_grid():
    sheet = open_workbook(TESTDATA / "packt_tpm_project_plan.xlsx").sheet("Project Plan")

    table = read_table(sheet, TASK_FIELDS)

    header = table.header
    assert header.row == 1
    assert mapped(table) == {
        "ID": "id",
        "Task": "name",
        "Duration": "duration",
        "Predecessors": "predecessors",
        "Resourcing": "owner",
        "Start Date": "start",
        "End Date": "end",
    }
    # "Predecessors" (G, hidden, with the data) is the field's label and wins over the empty "Predecessor" (D).
    assert header.column("predecessors") == 6 and 6 in sheet.hidden_columns
    assert header.duplicates == {3: "predecessors"}
    assert [header.headers[column] for column in header.calendar] == ["Jan", "Feb", "Mar", "Apr", "May", "June"]
    assert [header.headers[column] for column in header.unmapped] == ["ReqId", "Swarm #"]
    assert header.missing == ()
    assert len(table.rows) == 39 and table.next_content_row is None


def test_project_plan_rows_keep_indentation_and_cached_dates():
    sheet = open_workbook(TESTDATA / "packt_tpm_project_plan.xlsx").sheet("Project Plan")

    rows = {row.number: row for row in read_table(sheet, TASK_FIELDS).rows}

    assert rows[2].values["name"] == "Create P2P Network"
    assert rows[3].values == {
        "id": 2.0,
        "name": "   Design Network",
        "duration": 6.0,
        "predecessors": None,
        "owner": "Arun",
        "start": date(2023, 1, 2),
        "end": date(2023, 2, 13),
    }
    assert rows[9].values["name"] == "      Implement" and rows[9].values["owner"] == "Charley,Bex"
    assert rows[40].values["name"] == "Danielle On-call"  # a hidden row is still data; the importer decides
    assert not any(row.section for row in rows.values())


def test_packt_project_plan_sheet_header_is_below_the_actual_and_planned_rows():
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet("Project Plan")

    table = read_table(sheet, TASK_FIELDS)

    assert table.header.row == 3
    assert len(table.header.calendar) == 25
    assert table.header.headers[table.header.calendar[0]] == "2022-01-02"
    assert table.rows[0].number == 4 and table.rows[0].values["name"] == "Create P2P Network"


@pytest.mark.parametrize(
    ("sheet_name", "header_row", "columns"),
    [
        ("Mercury Windows", 1, {"ID": "id", "Epic": "name", "Predecessors": "predecessors", "Effort": "duration"}),
        ("Mercury Simple", 1, {"ID": "id", "Milestone": "name", "Predecessor": "predecessors", "Effort": "duration"}),
        ("Tasks", 1, {"ID": "id", "Task": "name", "Duration": "duration", "Dependencies": "predecessors"}),
        ("Features", 1, {"Feature": "name", "Start Date": "start", "End Date": "end"}),
    ],
)
def test_packt_sheets_that_hold_tasks(sheet_name, header_row, columns):
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet(sheet_name)

    table = read_table(sheet, TASK_FIELDS)

    assert table.header.row == header_row
    assert mapped(table) == columns


@pytest.mark.parametrize("sheet_name", ["Stakeholders", "RACI", "Comm Plan", "Burndown Chart", "Resourcing"])
def test_packt_sheets_without_tasks_have_no_task_header(sheet_name):
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet(sheet_name)

    assert read_table(sheet, TASK_FIELDS) is None


def test_the_resourcing_month_header_is_all_calendar():
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet("Resourcing")
    months = next(sheet.rows())

    assert all(is_calendar_header(value) for value in months.cells if value)


def test_risk_log_stops_at_the_second_table_below_it():
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet("Risk Log")

    table = read_table(sheet, RISK_FIELDS)

    assert table.header.row == 1
    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.next_content_row == 13  # "Id, Risk, Probability, ..." again after 8 blank rows


def test_rows_after_a_gap_in_the_same_columns_continue_the_table():
    # Requirements: 4 rows, 4 blank rows, then 25 more in the same two columns.
    sheet = open_workbook(TESTDATA / "packt_tpm_tables.xlsx").sheet("Requirements")

    table = read_table(sheet, [FieldSpec("id", "ID"), FieldSpec("text", "Requirement", ("requirements",))])

    assert [row.number for row in table.rows] == [2, 3, 4, 5, *range(10, 35)]
    assert table.next_content_row is None


def test_only_the_first_of_two_tables_is_read():
    sheet = open_workbook(TESTDATA / "calamine_table-multiple.xlsx").sheet("Sheet3")

    table = read_table(sheet, [FieldSpec("item", "Item"), FieldSpec("units", "Units", kind="number")])

    assert [(row.number, row.values["units"]) for row in table.rows] == [(2, 1000.0), (3, 500.0), (4, 200.0), (5, 50.0)]
    assert table.next_content_row == 7


def test_a_note_above_the_header_is_passed_over():
    sheet = open_workbook(TESTDATA / "calamine_header-row.xlsx").sheets[0]
    fields = [FieldSpec("a", "Column A"), FieldSpec("b", "Column B"), FieldSpec("c", "Column C")]

    table = read_table(sheet, fields)

    assert table.header.row == 9
    assert table.header.unmapped == (0,)  # "Columns"
    assert [(row.number, row.values) for row in table.rows] == [(10, {"a": 1.0, "b": 2.0, "c": 3.0})]


def test_vertically_merged_headers_leave_an_empty_row_that_is_skipped():
    sheet = open_workbook(TESTDATA / "calamine_merged_range.xlsx").sheet("Sheet1")
    fields = [FieldSpec(key, key.upper()) for key in ("a1", "b1", "c1", "e1")]

    table = read_table(sheet, fields)

    assert table.header.row == 1
    assert [(row.number, row.values["c1"]) for row in table.rows] == [(3, "C3"), (4, "C4")]


def test_strict_open_xml_table():
    sheet = open_workbook(TESTDATA / "calamine_strict_iso_paths.xlsx").sheets[0]

    table = read_table(
        sheet, [FieldSpec("item", "Item", required=True), FieldSpec("thickness", "Thickness", kind="number")]
    )

    assert table.header.row == 1 and len(table.rows) == 75


def test_oulad_registrations():
    sheet = open_workbook(TESTDATA / "oulad_studentRegistration.csv").sheets[0]
    fields = [
        FieldSpec("student", "Student", ("id student", "student id"), required=True),
        FieldSpec("registered", "Registration date", ("date registration",)),
        FieldSpec("unregistered", "Unregistration date", ("date unregistration", "withdrawn")),
    ]

    table = read_table(sheet, fields)

    assert mapped(table) == {
        "id_student": "student",
        "date_registration": "registered",
        "date_unregistration": "unregistered",
    }
    assert len(table.rows) == 32_593
    assert table.rows[0].values == {"student": "11391", "registered": "-159", "unregistered": None}


# -- made-up layouts ---------------------------------------------------------


def test_a_merged_title_block_and_a_merged_header_do_not_hide_the_header():
    def build(sheet):
        sheet.append(["Rollout plan: Wave 2"])
        sheet.merge_cells("A1:F1")
        sheet.append(["Prepared by the PMO", None, None, None, "Version 3"])
        sheet.append([])
        sheet.append(["Task", "Owner(s)", "Dates", None, "Status", "W1"])
        sheet.merge_cells("C4:D4")
        sheet.append([None, None, "Start", "End"])
        sheet.append(["Phase 1: Planning"])
        sheet.merge_cells("A6:F6")
        sheet.append(["  Kick-off", "Arun", date(2024, 3, 4), date(2024, 3, 5), "Done", "x"])

    table = read_table(xlsx_sheet(build), TASK_FIELDS)

    assert table.header.row == 4
    assert mapped(table) == {"Task": "name", "Owner(s)": "owner", "Status": "status"}
    assert table.header.unmapped == (2,)  # "Dates": the Start/End row below is not a header of its own
    assert table.header.calendar == (5,)
    assert [(row.number, row.section) for row in table.rows] == [(6, True), (7, False)]


def test_section_rows_and_single_blank_rows():
    sheet = csv_sheet(
        "ID,Task,Owner,Start Date\n"
        ",Phase 1: Planning,,\n"
        "1,  Kick-off,Arun,2024-03-04\n"
        ",,,\n"
        ",Phase 2: Build,,\n"
        "2,  Configure,Bex,2024-04-01\n"
    )

    table = read_table(sheet, TASK_FIELDS)

    assert [(row.number, row.section, row.values["name"]) for row in table.rows] == [
        (2, True, "Phase 1: Planning"),
        (3, False, "  Kick-off"),
        (5, True, "Phase 2: Build"),
        (6, False, "  Configure"),
    ]


def test_the_section_column_can_be_named():
    sheet = csv_sheet("Task,Phase,Owner\n,Build,\nConfigure,,Bex\n")
    fields = [*TASK_FIELDS, FieldSpec("phase", "Phase")]

    default = read_table(sheet, fields)
    named = read_table(sheet, fields, section_field="phase")

    assert [row.section for row in default.rows] == [False, False]
    assert [row.section for row in named.rows] == [True, False]


def test_notes_beyond_the_table_after_two_blank_rows_end_it():
    sheet = csv_sheet("Task,Owner\nKick-off,Arun\n,\n,\n,,Notes: dates are estimates\nLater,Bex\n")

    table = read_table(sheet, TASK_FIELDS)

    assert [row.number for row in table.rows] == [2]
    assert table.next_content_row == 5


def test_required_fields_without_a_column_are_reported():
    header = find_header([Row(1, ["Owner", "Start", "Budget"])], TASK_FIELDS)

    assert header.missing == ("name",)
    assert header.unmapped == (2,)


def test_a_single_matching_word_is_not_a_header():
    rows = [Row(1, ["Status report for March"]), Row(2, ["Owner"]), Row(3, ["Task", "Owner"])]

    assert find_header(rows, TASK_FIELDS).row == 3


def test_the_row_naming_more_required_fields_wins_and_the_upper_one_on_a_tie():
    rows = [
        Row(1, ["Owner", "Status", "Start"]),
        Row(2, ["Task", "Owner"]),
        Row(3, ["Task", "Owner"]),
    ]

    assert find_header(rows, TASK_FIELDS).row == 2


def test_the_header_is_looked_for_in_the_first_rows_only():
    rows = [Row(number, [None]) for number in range(1, 35)] + [Row(35, ["Task", "Owner"])]

    assert find_header(rows, TASK_FIELDS) is None
    assert find_header(rows, TASK_FIELDS, max_scan=40).row == 35


def test_table_issues_name_sheet_row_column_letter_and_header():
    table = read_table(csv_sheet("Task,Owner,Start Date\nKick-off,Arun,someday\n"), TASK_FIELDS)

    issue = table.issue(table.rows[0], "start", "'someday' is not a date")

    assert (issue.sheet, issue.row, issue.column, issue.column_letter, issue.header) == (
        "plan",
        2,
        2,
        "C",
        "Start Date",
    )
    assert str(issue) == "Sheet plan, row 2, column C (Start Date): 'someday' is not a date"
    assert str(table.issue(None, "status", "no Status column")) == "Sheet plan: no Status column"


@pytest.mark.parametrize(
    ("header", "normalised"),
    [
        ("Task Owner", "task owner"),
        ("task_owner", "task owner"),
        ("  TASK-OWNER  ", "task owner"),
        ("Owner(s)", "owner s"),
        ("% Complete", "percent complete"),
        ("Swarm #", "swarm number"),
        ("R&D", "r and d"),
        ("Project / \nProgram", "project program"),
        ("Début prévu", "debut prevu"),
    ],
)
def test_normalise_header(header, normalised):
    assert normalise_header(header) == normalised


@pytest.mark.parametrize("header", ["Owner(s)", "Owner [name]", "owner", "OWNERS", "Assignee"])
def test_synonyms_and_bracketed_notes(header):
    assert find_header([Row(1, ["Task", header])], TASK_FIELDS).columns == {0: "name", 1: "owner"}


@pytest.mark.parametrize(
    "header",
    [
        date(2024, 1, 7),
        "W1",
        "w 12",
        "Week 12",
        "Wk 3",
        "KW 5",
        "Jan",
        "January 2024",
        "Jan-24",
        "Jan '24",
        "Sept",
        "5 Mar",
        "Mar 5, 2024",
        "Q1",
        "Q3 2024",
        "2024-Q1",
        "FY24 Q1",
        "2024-01-07",
        "2024-01",
        "7/1",
        "07.01.",
    ],
)
def test_calendar_headers(header):
    assert is_calendar_header(header)


@pytest.mark.parametrize(
    "header", ["Task", "Start Date", "Month", "Week", "Owner", "March budget", "Mayor", "Q&A", 2024]
)
def test_not_calendar_headers(header):
    assert not is_calendar_header(header)
