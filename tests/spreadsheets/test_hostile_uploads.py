"""Hostile files through every importer, as users send them: the CLI commands and the import pages.

Each is refused with a message that names the limit (or says what is wrong),
never a 500, and nothing is saved.
"""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from crmproject import uploads
from crmproject.adoption.models import ImportState, UsageEvent, UsageImport
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis.models import KpiMeasurement
from crmproject.roster.models import Employee
from crmproject.tasks.models import ChangeTask, TaskCategory
from crmproject.training.models import Enrolment

MB = 1024 * 1024
# A valid header and row for each importer, so a file over the row limit is read past its header.
TABLES = {
    "tasks": ("Task,Owner,Start,Due", "Kickoff,Ann,2026-02-01,2026-02-10"),
    "kpis": ("KPI,Department,Date,Value", "Adoption,Sales,2026-03-31,50"),
    "roster": ("Name,Email,Department", "Ann Lee,ann@example.com,Sales"),
    "training": ("Employee,Course,Status", "Ann Lee,SFA-101,done"),
    "usage": ("User,Time", "ann.lee,2026-03-02 09:00:00"),
}
SAVED = {"tasks": ChangeTask, "kpis": KpiMeasurement, "roster": Employee, "training": Enrolment, "usage": UsageEvent}


@pytest.fixture
def import_command(runner, make_plan):
    """Runs `crmproject import <importer> FILE` with what each importer needs."""
    plan = make_plan(start=date(2025, 1, 1))

    def run(importer: str, path: Path):
        extra = {"tasks": ["--plan", str(plan.id)], "usage": ["--timezone", "UTC"]}.get(importer, [])
        return runner("import", importer, str(path), *extra)

    return run


def _saved(importer: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(SAVED[importer]))


def _post_file(client, url: str, content: bytes, name: str, **fields: str):
    """A multipart upload encoded in memory: the test client's own encoder spools bodies over 500 KB to a temporary
    file it never closes, which the suite's warnings-as-errors would report."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename=name), **fields})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _files(hostile, importer: str) -> dict[str, tuple[bytes, str, str]]:
    """name -> (content, file name, what the message must say)."""
    header, row = TABLES[importer]
    return {
        "zip-bomb": (hostile.zip_bomb(6 * MB), "plan.xlsx",
                     "its sheet Plan (part xl/worksheets/sheet1.xml) unpacks to 6 MB; the limit for one part is 4 MB."),
        "million-columns": (hostile.wide_csv(1_000_000), "plan.csv",
                            "has more than 16,384 columns in row 1; the limit is 16,384 columns."),
        "far-cell": (hostile.far_cell("XFD1048576"), "plan.xlsx", "the limit is"),
        "entities": (hostile.entities(), "plan.xlsx", "declares XML entities"),
        "too-many-rows": ((header + "\n" + (row + "\n") * 150).encode(), "plan.csv",
                          "has more than 100 rows; the limit is 100 rows."),
    }


@pytest.fixture
def low_limits(app, monkeypatch):
    """Limits lowered so the hostile files stay small and the tests fast."""
    monkeypatch.setitem(app.config, "SPREADSHEET_MAX_UNPACKED_PART_MB", 4)
    monkeypatch.setitem(app.config, "USAGE_IMPORT_MAX_UNPACKED_PART_MB", 4)
    monkeypatch.setitem(app.config, "SPREADSHEET_MAX_ROWS", 100)
    monkeypatch.setitem(app.config, "USAGE_IMPORT_MAX_ROWS", 100)


@pytest.mark.parametrize("importer", list(TABLES))
@pytest.mark.parametrize("kind", ["zip-bomb", "million-columns", "far-cell", "entities", "too-many-rows"])
def test_every_import_command_refuses_hostile_files_naming_the_limit(
    importer, kind, hostile, import_command, low_limits, make_department, tmp_path
):
    make_department(name="Sales", code="SALES")
    content, name, message = _files(hostile, importer)[kind]
    path = tmp_path / name
    path.write_bytes(content)

    result = import_command(importer, path)

    assert result.exit_code == 1, result.output
    assert message in result.output
    if kind == "far-cell":  # the first limit it passes depends on the importer's limits
        assert "has more than" in result.output
    assert "Traceback" not in result.output
    assert _saved(importer) == 0


def test_a_failed_usage_import_is_recorded_with_the_reason(hostile, import_command, low_limits, tmp_path):
    path = tmp_path / "usage.xlsx"
    path.write_bytes(hostile.zip_bomb(6 * MB))

    import_command("usage", path)

    record = db.session.scalar(select(UsageImport))
    assert record.state == ImportState.FAILED
    assert "the limit for one part is 4 MB" in record.message


# --- the task import wizard ------------------------------------------------------------------------


def _stored_uploads(app) -> int:
    folder = Path(app.instance_path) / "uploads"
    return len(list(folder.glob("*.bin"))) if folder.exists() else 0


@pytest.mark.parametrize("kind", ["zip-bomb", "million-columns", "far-cell", "entities"])
def test_the_task_wizard_refuses_hostile_files_at_the_upload_step(
    kind, app, client, login, make_user, make_plan, hostile, low_limits
):
    plan = make_plan()
    login(make_user(Role.PROJECT_MANAGER))
    content, name, message = _files(hostile, "tasks")[kind]
    kept = _stored_uploads(app)

    response = _post_file(client, f"/plans/{plan.id}/tasks/import", content, name)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert _stored_uploads(app) == kept  # never kept for the next step
    assert _saved("tasks") == 0


def test_a_kept_upload_over_the_limits_never_gives_a_500_in_the_preview(
    app, client, login, make_user, make_plan, hostile, monkeypatch
):
    """An upload kept before the limits were lowered: the preview, its reload and the import all answer."""
    plan = make_plan()
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    token = uploads.store(hostile.zip_bomb(6 * MB), filename="plan.xlsx", user_id=user.id, purpose="tasks")
    monkeypatch.setitem(app.config, "SPREADSHEET_MAX_UNPACKED_PART_MB", 4)
    preview = f"/plans/{plan.id}/tasks/import/{token}"

    response = client.get(preview, follow_redirects=True)
    assert response.status_code == 200
    assert "the limit for one part is 4 MB" in response.get_data(as_text=True)

    for again in (client.get(preview, follow_redirects=True),
                  client.post(preview, data={"action": "import"}, follow_redirects=True)):
        assert again.status_code == 200
        assert "upload the file again" in again.get_data(as_text=True)
    assert _saved("tasks") == 0


def test_a_sheet_over_the_row_limit_is_refused_in_the_preview(app, client, login, make_user, make_plan, monkeypatch):
    plan = make_plan()
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    header, row = TABLES["tasks"]
    token = uploads.store((header + "\n" + (row + "\n") * 150).encode(), filename="plan.csv", user_id=user.id,
                          purpose="tasks")
    monkeypatch.setitem(app.config, "SPREADSHEET_MAX_ROWS", 100)
    preview = f"/plans/{plan.id}/tasks/import/{token}"

    first, reloaded = client.get(preview), client.get(preview)
    category = db.session.scalar(select(TaskCategory.id).limit(1))
    imported = client.post(preview, data={"action": "import", "sheet": "", "category_id": str(category),
                                          "date_order": "auto"})
    for response in (first, reloaded, imported):
        assert response.status_code == 200
        assert "has more than 100 rows; the limit is 100 rows." in response.get_data(as_text=True)
    assert _saved("tasks") == 0


# --- the usage import page -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip-bomb", "million-columns", "far-cell", "too-many-rows"])
def test_the_usage_import_page_records_a_failed_import_naming_the_limit(
    kind, client, login, make_user, hostile, low_limits
):
    login(make_user(Role.ADMIN))
    content, name, message = _files(hostile, "usage")[kind]

    response = _post_file(client, "/adoption/imports", content, name, timezone="UTC")

    assert response.status_code == 302
    status_url = response.headers["Location"] + "/status"
    deadline = time.monotonic() + 30
    status = client.get(status_url).get_json()
    while status["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.05)
        status = client.get(status_url).get_json()
    assert status["state"] == "failed", status
    assert message in status["message"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(escape(message)) in page
    assert _saved("usage") == 0
