"""The task import, on the real third-party workbooks and on files made to be awkward."""

import io
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import services as plans
from crmproject.tasks import importer
from crmproject.tasks.models import ChangeTask, TaskStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def plan_2023(make_plan):
    return make_plan(name="Messaging rollout", start=date(2022, 12, 1), end=date(2023, 12, 31))


def _saved(ids: list[int]) -> list[ChangeTask]:
    """The tasks a save created, committed and loaded again, in the file's order."""
    db.session.commit()
    tasks = {t.id: t for t in db.session.scalars(select(ChangeTask).where(ChangeTask.id.in_(ids)))}
    return [tasks[i] for i in ids]


def _analyse(path: Path, plan, **options):
    workbook = importer.load_workbook(path.read_bytes(), path.name)
    return importer.analyse(workbook, plan, importer.ImportOptions(**options))


def _count(model=ChangeTask) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_packt_project_plan_with_groups_as_phases(testdata, plan_2023, categories, make_user):
    arun = make_user(name="Arun")  # one of the file's owners has an account
    preview = _analyse(testdata / "packt_tpm_project_plan.xlsx", plan_2023, create_phases=True)
    assert (preview.sheet, preview.header_row, preview.rows_read) == ("Project Plan", 1, 39)
    assert {preview.headers[c]: k for c, k in preview.columns.items()} == {
        "ID": "outline", "Task": "title", "Predecessors": "predecessors", "Resourcing": "owner",
        "Start Date": "start", "End Date": "due", "Duration": "duration",
    }
    assert len(preview.calendar_columns) == 6  # the month grid is left out
    assert [g.name for g in preview.groups][:3] == ["Create P2P Network", "Relay Servers", "Text Message Send/Receive API"]
    assert preview.issues == []
    owners = {o.text: o for o in preview.owners}
    assert owners["Arun"].user_id == arun.id
    assert owners["Arun, Bex"].several and owners["Arun, Bex"].user_id is None
    assert any("names several people" in w.message for w in preview.warnings)
    created = _saved(importer.save(preview, plan_2023, actor=None, default_category=categories["process_redesign"]))
    assert len(created) == 31
    by_title = {t.title: t for t in created}
    design = by_title["Design Network"]
    assert (design.start_date, design.due_date, design.owner_id) == (date(2023, 1, 2), date(2023, 2, 13), arun.id)
    assert design.phase.name == "Create P2P Network"
    assert [d.title for d in by_title["Create networkId to tie a message to a given network instance"].depends_on] == ["Design Network"]
    # indentation below a group: "Design" sits under "Setup Relay Servers"
    relay_design = next(t for t in created if t.title == "Design" and t.parent is not None)
    assert relay_design.parent.title == "Setup Relay Servers" and relay_design.phase.name == "Relay Servers"
    phase = next(p for p in plans.load_plan(plan_2023.id).phases if p.name == "Relay Servers")
    assert (phase.start_date, phase.end_date) == (date(2023, 2, 20), date(2023, 5, 17))


def test_packt_project_plan_groups_as_parent_tasks(testdata, plan_2023, categories):
    preview = _analyse(testdata / "packt_tpm_project_plan.xlsx", plan_2023)
    assert preview.groups == []
    created = _saved(importer.save(preview, plan_2023, actor=None, default_category=categories["process_redesign"]))
    assert len(created) == 39
    design = next(t for t in created if t.title == "Design Network")
    assert design.parent.title == "Create P2P Network" and design.phase is None


def test_packt_tables_picks_the_sheet_with_most_tasks_and_reads_headers_below_title_rows(testdata, plan_2023):
    preview = _analyse(testdata / "packt_tpm_tables.xlsx", plan_2023, create_phases=True)
    assert (preview.sheet, preview.header_row, len(preview.importable)) == ("Project Plan w Relays", 1, 31)
    skipped = {s.name: s.reason for s in preview.skipped_sheets}
    assert "33 task rows, fewer than sheet Project Plan w Relays (39)" in skipped["Project Plan"]
    assert "came closest" in skipped["PM Tools"]
    preview = _analyse(testdata / "packt_tpm_tables.xlsx", plan_2023, create_phases=True, sheet="Project Plan")
    assert (preview.sheet, preview.header_row) == ("Project Plan", 3)
    assert len(preview.calendar_columns) == 25
    assert preview.importable and preview.issues == []
    other = _analyse(testdata / "packt_tpm_tables.xlsx", plan_2023, sheet="tasks")
    assert other.sheet == "Tasks"


@pytest.mark.parametrize("name", [
    "calamine_any_sheets.xlsx", "calamine_date_1904.xlsx", "calamine_errors.xlsx", "calamine_header-row.xlsx",
    "calamine_merged_range.xlsx", "calamine_strict_iso_paths.xlsx", "calamine_table-multiple.xlsx",
])
def test_calamine_edge_cases_are_refused_naming_the_problem(testdata, plan_2023, name):
    """None of these files is a task plan: each is read (Strict OOXML, 1904 dates and error cells included)
    and refused because it holds no task table, never with a crash or a half import."""
    with pytest.raises(importer.ImportRefused, match="No sheet has a recognisable task table"):
        _analyse(testdata / name, plan_2023)


def test_password_protected_and_non_spreadsheets_are_refused(plan_2023):
    with pytest.raises(importer.ImportRefused, match="password"):
        importer.load_workbook((FIXTURES / "password_protected.xlsx").read_bytes(), "encrypted.xlsx")
    with pytest.raises(importer.ImportRefused):
        importer.load_workbook(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "picture.xlsx")
    with pytest.raises(importer.ImportRefused):
        importer.load_workbook(b"", "empty.csv")


def _awkward_workbook(epoch_1904: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Plan"
    if epoch_1904:
        wb.epoch = __import__("openpyxl").utils.datetime.CALENDAR_MAC_1904
    ws["A1"] = "CRM rollout: change plan"  # a title block, merged across the top
    ws.merge_cells("A1:F1")
    ws["A2"] = "Prepared by the PMO"
    ws.append([])
    ws.append(["WBS", "Activity", "In-charge", "Begin", "Deadline", "Department", "State"])
    rows = [
        ("1", "Preparation", None, None, None, None, None),
        ("1.1", "Write down goals", "paula  PM", date(2026, 1, 5), "2026-01-30", "sales", "done"),
        ("1.2", "Clean customer data", "PAULA pm", "13/02/2026", "27/02/2026", "Sales", "50%"),
        ("2", "Pilot", None, None, None, None, None),
        ("2.1", "Train key users", "Nobody Known", "03/04/2026", "04/03/2026", "Atlantis", "in progress"),
        ("2.2", "Go live", "Olga; Ivan", 46135, 46140, None, "unknown-state"),
    ]
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_awkward_workbook_reports_every_bad_row_with_sheet_row_and_column(plan_2023, make_plan, make_user, make_department, categories):
    plan = make_plan(name="2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    plans.add_phase(plan, name="Preparation", start=date(2026, 1, 1), end=date(2026, 3, 31))
    make_department(name="Sales", code="SALES")
    paula = make_user(name="Paula PM")
    workbook = importer.load_workbook(_awkward_workbook(), "awkward.xlsx")
    preview = importer.analyse(workbook, plan, importer.ImportOptions())
    assert preview.header_row == 4
    found = {(i.row, i.column_letter): i.message for i in preview.issues}
    assert "no department named Atlantis" in found[(9, "F")]
    assert "before the start" in found[(9, "E")]  # 04/03 read day-first: the file proves it with 13/02
    assert "is not a status" in found[(10, "G")]
    assert all(str(i).startswith("Sheet Plan, row ") for i in preview.issues)
    owners = {o.key: o for o in preview.owners}
    assert owners["paula pm"].user_id == paula.id and len(owners["paula pm"].spellings) == 2
    assert owners["olga, ivan"].several
    assert [g.name for g in preview.groups] == ["Preparation"]  # matched to the plan's phase
    cleaned = {t.title: t for t in preview.tasks}
    assert cleaned["Clean customer data"].start == date(2026, 2, 13)
    assert cleaned["Clean customer data"].status == TaskStatus.IN_PROGRESS
    assert cleaned["Go live"].start == date(2026, 4, 23)  # Excel serial 46135 (1900 system)
    assert not cleaned["Train key users"].valid and cleaned["Write down goals"].valid


def test_ambiguous_text_dates_are_reported_not_guessed(make_plan, categories):
    plan = make_plan()
    data = b"Task,Owner,Start,Due\nA,,05/03/2026,06/03/2026\nB,,07/03/2026,08/04/2026\n"
    workbook = importer.load_workbook(data, "dates.csv")
    preview = importer.analyse(workbook, plan, importer.ImportOptions())
    assert {i.row for i in preview.issues} == {2, 3} and all("ambiguous" in i.message.lower() or "could be" in i.message for i in preview.issues)
    decided = importer.analyse(workbook, plan, importer.ImportOptions(day_first=True))
    assert decided.issues == [] and decided.tasks[0].start == date(2026, 3, 5)


def test_a_phase_column_group_whose_rows_are_all_refused_is_not_created(make_plan, categories):
    """A Phase value whose only row is refused (its due date is no date) makes no empty parent task of that name."""
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    data = (b"Task,Phase,Start,Due\nClean data,Preparation,2026-02-01,2026-03-01\n"
            b"Bad row,New phase from import,2026-05-01,not a date\n")
    preview = importer.analyse(importer.load_workbook(data, "plan.csv"), plan, importer.ImportOptions())
    assert [i.row for i in preview.issues] == [3]
    titles = [t.title for t in _saved(importer.save(preview, plan, actor=None, default_category=categories["process_redesign"]))]
    assert titles == ["Preparation", "Clean data"]


def test_cli_import_is_all_or_nothing_and_prints_a_json_summary(runner, make_plan, categories, tmp_path):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    path = tmp_path / "plan.csv"
    path.write_text("Task,Owner,Start,Due,Status\nGood one,,2026-02-01,2026-02-10,done\nBad one,,2026-02-01,someday,open\n", encoding="utf-8")
    result = runner("import", "tasks", str(path), "--plan", str(plan.id), "--json")
    assert result.exit_code != 0
    summary = json.loads(result.output[: result.output.rindex("}") + 1])
    assert summary["rows_read"] == 2 and summary["tasks_created"] == 0
    assert summary["errors"][0]["row"] == 3 and summary["errors"][0]["column"] == "D"
    assert _count() == 0
    result = runner("import", "tasks", str(path), "--plan", str(plan.id), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert [t.title for t in db.session.scalars(select(ChangeTask))] == ["Good one"]


def test_cli_dry_run_and_packt(runner, testdata, plan_2023, categories):
    result = runner("import", "tasks", str(testdata / "packt_tpm_project_plan.xlsx"), "--plan", str(plan_2023.id),
                    "--create-phases", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["tasks_found"] == 31 and summary["tasks_created"] == 0 and len(summary["phases_found"]) == 8
    assert "Arun, Bex" in summary["owners_unresolved"]
    assert _count() == 0
    result = runner("import", "tasks", str(testdata / "packt_tpm_tables.xlsx"), "--plan", str(plan_2023.id))
    assert result.exit_code == 0, result.output
    assert _count() > 20


def test_the_wizard_uploads_previews_resolves_owners_and_imports(client, login, make_user, testdata, plan_2023, categories):
    pm = make_user(Role.PROJECT_MANAGER)
    bex = make_user(name="Bex Baker")
    login(pm)
    with (testdata / "packt_tpm_project_plan.xlsx").open("rb") as handle:
        response = client.post(f"/plans/{plan_2023.id}/tasks/import", data={"file": (handle, "Project Plan.xlsx")},
                               content_type="multipart/form-data")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "header on row 1" in page and "Resourcing" in page and "several people" in page
    assert _count() == 0  # nothing saved by uploading or previewing
    # confirm the mapping as found, give "Arun, Bex" to Bex, and import with the groups as phases
    workbook = importer.load_workbook((testdata / "packt_tpm_project_plan.xlsx").read_bytes(), "x.xlsx")
    preview = importer.analyse(workbook, plan_2023, importer.ImportOptions())
    form = {"sheet": "", "date_order": "auto", "category_id": str(categories["process_redesign"].id), "create_phases": "y",
            "mapping": "1", "action": "import"}
    form.update({f"map-{c}": k for c, k in preview.columns.items()})
    for n, owner in enumerate(preview.owners, start=1):
        form[f"owner-key-{n}"] = owner.key
        form[f"owner-{n}"] = str(bex.id) if owner.key == "arun, bex" else ""
    response = client.post(preview_url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    implement = db.session.scalar(select(ChangeTask).where(ChangeTask.title == "Implement", ChangeTask.owner_id == bex.id))
    assert implement is not None and implement.history[0].user_id == pm.id
    assert _count() == 31
    assert client.get(preview_url).status_code == 302  # the upload is gone once imported


def test_the_wizard_refuses_bad_files_at_the_file_field(client, login, make_user, make_plan, app):
    plan = make_plan()
    login(make_user(Role.PROJECT_MANAGER))
    for payload, name, message in [
        (b"", "empty.xlsx", "empty"),
        (b"%PDF-1.4 not a sheet", "report.xlsx", "not"),
        ((FIXTURES / "password_protected.xlsx").read_bytes(), "locked.xlsx", "password"),
    ]:
        response = client.post(f"/plans/{plan.id}/tasks/import", data={"file": (io.BytesIO(payload), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 200, name
        assert message in response.get_data(as_text=True).lower(), name
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post(f"/plans/{plan.id}/tasks/import", data={"file": (io.BytesIO(b"x" * 4096), "big.csv")},
                               content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert response.status_code == 413 and "larger than the limit" in response.get_data(as_text=True)


def test_another_users_upload_token_is_not_readable(client, app, login, make_user, make_plan, testdata):
    plan = make_plan()
    first, second = make_user(Role.PROJECT_MANAGER), make_user(Role.PROJECT_MANAGER)
    login(first)
    with (testdata / "packt_tpm_project_plan.xlsx").open("rb") as handle:
        location = client.post(f"/plans/{plan.id}/tasks/import", data={"file": (handle, "p.xlsx")},
                               content_type="multipart/form-data").headers["Location"]
    other = app.test_client()
    other.post("/login", data={"email": second.email, "password": "correct-horse-1"})
    response = other.get(location)
    assert response.status_code == 302 and "/tasks/import" in response.headers["Location"]


def test_a_predecessor_cycle_in_the_file_is_reported(make_plan):
    plan = make_plan()
    data = b"ID,Task,Predecessors,Owner\n1,A,3,\n2,B,1,\n3,C,2,\n4,D,1,\n"
    preview = importer.analyse(importer.load_workbook(data, "cycle.csv"), plan, importer.ImportOptions())
    (issue,) = preview.issues
    assert issue.column_letter == "C" and "cycle: 1 → 3 → 2 → 1" in issue.message


def test_serial_numbers_follow_the_workbooks_1904_date_system(make_plan):
    from datetime import timedelta

    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    plan = make_plan()
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Task", "Start", "Due"])
    ws.append(["Serial dates", 44927, 44930])  # plain numbers, as a Mac workbook's export often holds them
    ws.append(["Real date cell", date(2026, 3, 2), date(2026, 3, 5)])
    buffer = io.BytesIO()
    wb.save(buffer)
    preview = importer.analyse(importer.load_workbook(buffer.getvalue(), "mac.xlsx"), plan, importer.ImportOptions())
    assert preview.issues == []
    serial, real = preview.tasks
    assert serial.start == date(1904, 1, 1) + timedelta(days=44927)  # not the 1900 reading, 1,462 days earlier
    assert (real.start, real.due) == (date(2026, 3, 2), date(2026, 3, 5))


def test_the_wizard_shows_the_encoding_detected_and_previews_in_the_one_chosen(client, login, make_user, make_plan,
                                                                               categories):
    plan = make_plan()
    login(make_user(Role.PROJECT_MANAGER))
    data = "Task,Start,Due\r\n销售培训,2026-02-01,2026-02-10\r\n".encode("gb18030")  # too short to detect: cp932
    response = client.post(f"/plans/{plan.id}/tasks/import", data={"file": (io.BytesIO(data), "plan.csv")},
                           content_type="multipart/form-data")
    preview_url = response.headers["Location"]

    page = client.get(preview_url).get_data(as_text=True)
    assert 'name="encoding"' in page and "(detected)</option>" in page and "销售培训" not in page

    form = {"sheet": "", "date_order": "auto", "category_id": str(categories["process_redesign"].id),
            "action": "preview", "encoding": "gb18030"}
    page = client.post(preview_url, data=form).get_data(as_text=True)
    assert "销售培训" in page and '<option value="gb18030" selected>GB18030</option>' in page

    page = client.post(preview_url, data={**form, "encoding": "utf-8"}).get_data(as_text=True)
    assert "plan.csv is not valid UTF-8 text at line 2. Choose its encoding" in page
    assert client.get(preview_url).status_code == 200  # kept, so that another encoding can be chosen

    response = client.post(preview_url, data={**form, "action": "import"})
    assert response.status_code == 302
    assert db.session.scalars(select(ChangeTask.title)).all() == ["销售培训"]


def test_the_wizard_offers_no_encoding_for_a_workbook(client, login, make_user, testdata, plan_2023):
    login(make_user(Role.PROJECT_MANAGER))
    with (testdata / "packt_tpm_project_plan.xlsx").open("rb") as handle:
        response = client.post(f"/plans/{plan_2023.id}/tasks/import", data={"file": (handle, "Project Plan.xlsx")},
                               content_type="multipart/form-data")
    assert 'name="encoding"' not in client.get(response.headers["Location"]).get_data(as_text=True)
