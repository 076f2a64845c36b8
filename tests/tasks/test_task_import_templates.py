"""The task import on the layouts of public Gantt templates and project trackers (issue 11, items 1-7).

The workbooks are reconstructions of those layouts (tests/fixtures/README.md), written by LibreOffice.
Each item is checked through the command line (--dry-run --json) and through the wizard.
"""

import io
import json
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans.models import Phase
from crmproject.spreadsheets import open_workbook
from crmproject.tasks import importer
from crmproject.tasks.models import ChangeTask, TaskDependency, TaskStatus


@pytest.fixture
def plan(make_plan):
    return make_plan(name="CRM 2026", start=date(2026, 1, 1), end=date(2026, 12, 31))


def _cli(runner, path, plan, *args):
    result = runner("import", "tasks", str(path), "--plan", str(plan.id), "--dry-run", "--json", *args)
    return result, json.loads(result.output[: result.output.rindex("}") + 1])


def _upload(client, login, make_user, plan, path):
    login(make_user(Role.PROJECT_MANAGER))
    with path.open("rb") as handle:
        response = client.post(f"/plans/{plan.id}/tasks/import", data={"file": (handle, path.name)},
                               content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"]


def _import_form(path, plan, categories, **options):
    """The preview form as the page fills it, with `options` changed."""
    preview = importer.analyse(importer.load_workbook(path.read_bytes(), path.name), plan, importer.ImportOptions())
    form = {"sheet": "", "date_order": "auto", "category_id": str(categories["process_redesign"].id), "mapping": "1",
            "phase_dates": "auto", "action": "import"}
    form.update({f"map-{c}": k for c, k in preview.columns.items()})
    for n, word in enumerate(preview.statuses, start=1):
        form[f"status-key-{n}"] = word.text
        form[f"status-{n}"] = word.status.value if word.status else ""
    form.update(options)
    return form


def _count(model=ChangeTask):
    return db.session.scalar(select(func.count()).select_from(model))


# 1. headers scored word by word ----------------------------------------------------------------

def test_task_title_header_on_row_9_below_a_title_block(runner, testdata, plan, categories):
    result, summary = _cli(runner, testdata / "gantt_task_title_row9.xlsx", plan, "--create-phases")
    assert result.exit_code == 0, result.output
    assert (summary["header_row"], summary["tasks_found"]) == (9, 11)
    assert {c["header"]: c["field"] for c in summary["columns"]}["TASK TITLE"] == "title"
    assert summary["phases_found"] == ["Project Conception and Initiation", "Project Definition and Planning",
                                       "Project Launch and Execution"]


def test_milestones_and_tasks_header_on_row_11(runner, client, login, make_user, testdata, plan, categories):
    path = testdata / "tracker_milestones_row11.xlsx"
    result, summary = _cli(runner, path, plan)
    assert result.exit_code == 0, result.output
    assert summary["header_row"] == 11 and summary["tasks_found"] == 12  # 9 tasks under 3 milestone rows
    columns = {c["header"]: c["field"] for c in summary["columns"]}
    assert columns == {"MILESTONES & TASKS": "title", "TASK OWNER": "owner", "START DATE": "start",
                       "DUE DATE": "due", "STATUS": "status", "NOTES": "description"}
    url = _upload(client, login, make_user, plan, path)
    page = client.get(url).get_data(as_text=True)
    assert "header on row 11" in page and "MILESTONES &amp; TASKS" in page


def test_a_refusal_names_the_closest_row_and_what_it_lacked_and_the_cli_maps_by_hand(runner, plan, categories, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("Weekly plan\n\nThing to do,Lead,From,Until\nKick-off,Paula,2026-02-02,2026-02-03\n"
                    "Interviews,Ivan,2026-02-04,2026-02-10\n", encoding="utf-8")
    result = runner("import", "tasks", str(path), "--plan", str(plan.id), "--dry-run")
    assert result.exit_code != 0
    assert "closest is sheet plan, row 3, with Owner (B), Start (C), Due (D): no column names the task" in result.output
    result, summary = _cli(runner, path, plan, "--column", 'title="Thing to do"')
    assert result.exit_code == 0, result.output
    assert summary["tasks_found"] == 2 and summary["columns"][0] == {"field": "title", "column": "A", "header": "Thing to do"}
    result = runner("import", "tasks", str(path), "--plan", str(plan.id), "--dry-run", "--column", 'owner="Nobody"')
    assert result.exit_code != 0 and "--column title=" in result.output


@pytest.mark.parametrize("header", [
    ("Наименование работ", "Ответственный", "Начало", "Срок", "Статус"),
    ("任务名称", "负责人", "开始日期", "截止日期", "状态"),
    ("عنوان کار", "مسئول", "شروع", "مهلت", "وضعیت"),
])
def test_headers_in_russian_chinese_and_persian(plan, header):
    data = (",".join(header) + "\nA,x,2026-02-02,2026-02-05,done\nB,y,2026-02-06,2026-02-09,в работе\n").encode()
    preview = importer.analyse(importer.load_workbook(data, "plan.csv"), plan, importer.ImportOptions())
    assert sorted(preview.columns.values()) == ["due", "owner", "start", "status", "title"]
    assert [t.title for t in preview.importable] == ["A", "B"] and preview.issues == []


# 2. merged cells ------------------------------------------------------------------------------

def test_merged_cells_give_their_value_to_every_row_they_span(testdata):
    sheet = open_workbook(testdata / "wbs_merged_groups.xlsx").sheet("WBS")
    plain = [r.cell(1) for r in sheet.rows()][3:8]
    filled = [r.cell(1) for r in sheet.rows(fill_merged_from=4)][3:8]
    assert plain == ["Initiation", None, None, None, "Requirements"]
    assert filled == ["Initiation"] * 4 + ["Requirements"]
    header = [r.cell(1) for r in open_workbook(testdata / "calamine_merged_range.xlsx").sheets[0].rows(fill_merged_from=2)]
    assert header[1] is None  # a header merged over rows 1-2 is left alone: the range starts above row 2


def test_wbs_with_merged_groups_imports_the_sub_tasks_under_their_group(runner, client, login, make_user, testdata, plan,
                                                                        categories):
    path = testdata / "wbs_merged_groups.xlsx"
    result, summary = _cli(runner, path, plan, "--create-phases")
    assert result.exit_code == 0, result.output
    assert summary["tasks_found"] == 29 and len(summary["phases_found"]) == 6 and summary["errors"] == []
    assert summary["column_choices"][0]["phase_column"] == {"column": "B", "header": "Task"}
    result, summary = _cli(runner, path, plan)  # without new phases: the groups are parent tasks
    assert summary["tasks_found"] == 35 and not any("has no dated tasks" in w["message"] for w in summary["warnings"])
    url = _upload(client, login, make_user, plan, path)
    assert "groups the tasks and is read as their phase" in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_import_form(path, plan, categories, create_phases="y"))
    assert response.status_code == 302, response.get_data(as_text=True)
    business_case = db.session.scalar(select(ChangeTask).where(ChangeTask.title == "Business case"))
    assert business_case.phase.name == "Initiation" and _count() == 29 and _count(Phase) == 6


def test_a_group_message_never_has_an_empty_name(plan):
    data = b"Task,Duration\nSection,\nA,2 days\n"
    preview = importer.analyse(importer.load_workbook(data, "p.csv"), plan,
                               importer.ImportOptions(create_phases=True, phase_dates="tasks"))
    (issue,) = preview.issues
    assert "The group Section has no dated tasks" in issue.message and "group  " not in issue.message


# 3. predecessors with hyphenated ids ----------------------------------------------------------

def test_hyphenated_ids_resolve_before_lags_are_read(runner, client, login, make_user, testdata, plan, categories):
    path = testdata / "gantt_template_and_example.xlsx"
    result, summary = _cli(runner, path, plan)
    assert result.exit_code == 0, result.output
    assert summary["dependencies"] == 15 and summary["errors"] == []
    assert any("3 links give a type or lag" in w["message"] for w in summary["warnings"])
    url = _upload(client, login, make_user, plan, path)
    assert client.post(url, data=_import_form(path, plan, categories)).status_code == 302
    by_title = {t.title: t for t in db.session.scalars(select(ChangeTask))}
    assert [d.title for d in by_title["Design sales process"].depends_on] == ["Gather requirements"]  # T-02SS+2d
    assert sorted(d.title for d in by_title["User acceptance test"].depends_on) == ["Build reports", "Migrate data"]
    assert _count(TaskDependency) == 15


def test_lags_after_plain_and_hyphenated_ids(plan):
    data = (b"ID,Task,Predecessors,Owner\nD-01,A,,x\nD-02,B,D-01,x\n3,C,2fs,x\n2,D,D-01SS-1,x\n"
            b"T-1.2,E,3FS+2d,x\n6,F,D-7,x\n")
    preview = importer.analyse(importer.load_workbook(data, "p.csv"), plan, importer.ImportOptions())
    refs = {t.title: t.predecessor_refs for t in preview.tasks}
    assert refs == {"A": [], "B": ["D-01"], "C": ["2"], "D": ["D-01"], "E": ["3"], "F": []}
    (issue,) = preview.issues
    assert (issue.row, issue.column_letter) == (7, "C") and "'D-7' names no task" in issue.message


# 4. the sheet with the most tasks -------------------------------------------------------------

def test_an_empty_template_sheet_loses_to_the_example_and_is_reported(runner, client, login, make_user, testdata, plan):
    path = testdata / "gantt_template_and_example.xlsx"
    result, summary = _cli(runner, path, plan)
    assert summary["sheet"] == "Example" and summary["tasks_found"] == 12
    skipped = {s["sheet"]: s["reason"] for s in summary["skipped_sheets"]}
    assert "0 task rows, fewer than sheet Example (12)" in skipped["Gantt Chart"] and "Help" in skipped
    text = runner("import", "tasks", str(path), "--plan", str(plan.id), "--dry-run").output
    assert "Sheet Gantt Chart skipped" in text
    url = _upload(client, login, make_user, plan, path)
    assert "Sheet Gantt Chart skipped" in client.get(url).get_data(as_text=True)


def test_a_template_without_tasks_exits_non_zero_naming_the_sheet(runner, plan, tmp_path):
    wb = Workbook()
    wb.active.title = "Gantt Chart"
    wb.active.append(["ID", "Task Name", "Assigned To", "Start", "End"])
    wb.active.append(["Add more rows as needed"])
    path = tmp_path / "template.xlsx"
    wb.save(path)
    result, summary = _cli(runner, path, plan)
    assert result.exit_code != 0
    assert summary["refused"] == "Sheet Gantt Chart has a task table (header on row 1) but no task rows below it."


# 5. phases from a Workstream column and from section rows ------------------------------------

def test_workstream_column_becomes_phases_dated_from_their_tasks(runner, testdata, plan, categories):
    path = testdata / "tracker_workstream_statuses.xlsx"
    result, summary = _cli(runner, path, plan, "--create-phases")
    assert result.exit_code == 0 and summary["errors"] == []
    assert summary["phases"][0] == {"name": "Communications", "new": True, "start": "2026-02-02", "end": "2026-02-22",
                                    "dated": "tasks"}
    result, summary = _cli(runner, path, plan)
    assert result.exit_code == 0 and summary["tasks_found"] == 12  # 9 deliverables under 3 parent tasks
    assert any("The plan has no phase named Training: its tasks go under a parent task" in w["message"]
               for w in summary["warnings"])


def test_section_rows_with_durations_become_phases_placed_in_order(runner, client, login, make_user, testdata, plan,
                                                                   categories):
    path = testdata / "plan_sections_durations.xlsx"
    result, summary = _cli(runner, path, plan, "--create-phases")
    assert result.exit_code == 0, result.output
    # Discovery: 3 + 7 + 2 days ("2-3 days" counts 3), from the plan's start; the next starts the day after
    assert [(p["name"], p["start"], p["end"], p["dated"]) for p in summary["phases"][:2]] == [
        ("Discovery", "2026-01-01", "2026-01-12", "durations"), ("Design", "2026-01-13", "2026-01-21", "durations")]
    result, summary = _cli(runner, path, plan, "--create-phases", "--phase-dates", "spread")
    assert [p["start"] for p in summary["phases"]] == ["2026-01-01", "2026-04-02", "2026-07-02", "2026-10-01"]
    result, summary = _cli(runner, path, plan, "--create-phases", "--phase-dates", "tasks")
    assert result.exit_code != 0 and summary["errors"][0]["row"] == 5 and summary["errors"][0]["column"] == "A"
    url = _upload(client, login, make_user, plan, path)
    response = client.post(url, data=_import_form(path, plan, categories, create_phases="y", phase_dates="spread"))
    assert response.status_code == 302, response.get_data(as_text=True)
    phases = db.session.scalars(select(Phase).order_by(Phase.start_date)).all()
    assert [(p.name, p.start_date) for p in phases][1] == ("Design", date(2026, 4, 2)) and _count() == 12


# 6. the column that has values ----------------------------------------------------------------

def test_a_filled_deadline_wins_over_an_empty_end_date_and_the_choice_is_said(runner, client, login, make_user, testdata,
                                                                              plan):
    path = testdata / "tracker_workstream_statuses.xlsx"
    result, summary = _cli(runner, path, plan)
    assert {"field": "due", "column": "F", "header": "Deadline"} in summary["columns"]
    assert summary["column_choices"][0]["not_used"] == [{"column": "E", "header": "End Date", "values": 0}]
    text = runner("import", "tasks", str(path), "--plan", str(plan.id), "--dry-run").output
    assert "Due: column F (Deadline) is used; End Date (E) has 0 values and is not used." in text
    url = _upload(client, login, make_user, plan, path)
    assert "column F (Deadline) is used" in client.get(url).get_data(as_text=True)


# 7. status words by meaning, instruction rows -------------------------------------------------

def test_status_words_are_mapped_by_meaning_and_can_be_changed(runner, client, login, make_user, testdata, plan,
                                                               categories):
    path = testdata / "tracker_workstream_statuses.xlsx"
    result, summary = _cli(runner, path, plan)
    statuses = {s["word"]: (s["status"], s["how"]) for s in summary["statuses"]}
    assert statuses["Ready for Final Review"] == ("in_progress", "meaning")
    assert statuses["Change is Needed"] == ("in_progress", "meaning") and statuses["Approved"] == ("done", "known")
    assert any("'Add more rows as needed' is the template's instruction" in w["message"] for w in summary["warnings"])
    result, summary = _cli(runner, path, plan, "--status-map", "Change is Needed=blocked")
    assert {s["word"]: s["status"] for s in summary["statuses"]}["Change is Needed"] == "blocked"
    url = _upload(client, login, make_user, plan, path)
    page = client.get(url).get_data(as_text=True)
    assert "read by its meaning" in page and 'name="status-key-2" value="Ready for Final Review"' in page
    form = _import_form(path, plan, categories)
    key = next(k for k, v in form.items() if v == "Change is Needed")
    form[key.replace("status-key-", "status-")] = "blocked"
    assert client.post(url, data=form).status_code == 302
    card = db.session.scalar(select(ChangeTask).where(ChangeTask.title == "Quick reference card"))
    assert card.status == TaskStatus.BLOCKED


def test_a_status_with_no_meaning_is_refused_naming_sheet_row_and_column(runner, plan, tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("Task,Owner,Status\nA,x,Purple\nB,x,Done\n", encoding="utf-8")
    result, summary = _cli(runner, path, plan)
    assert result.exit_code != 0
    assert summary["errors"][0] | {"message": ""} == {"sheet": "plan", "row": 2, "column": "C", "header": "Status",
                                                      "message": ""}
    assert "'Purple' is not a status and means none" in summary["errors"][0]["message"]
    result, summary = _cli(runner, path, plan, "--status-map", "purple=in progress")
    assert result.exit_code == 0 and summary["errors"] == []


def test_instruction_rows_are_not_tasks(plan):
    wb = Workbook()
    ws = wb.active
    ws.append(["Task", "Owner", "Start"])
    ws.append(["Kick-off", "Paula", date(2026, 2, 2)])
    ws.append(["Insert new rows ABOVE this one"])
    buffer = io.BytesIO()
    wb.save(buffer)
    preview = importer.analyse(importer.load_workbook(buffer.getvalue(), "p.xlsx"), plan, importer.ImportOptions())
    assert [t.title for t in preview.importable] == ["Kick-off"] and preview.issues == []
