"""Every table page's "Download CSV": the table the reader sees, as CSV (crmproject.exports.table_page).

Each page is opened on the demo organisation by each role that may see it, with the filters of its query string;
its table is read from the HTML and its CSV downloaded, and both must hold the same headers, the same rows in the
same order, and in every cell the same value (the CSV's plain value found in the page's cell: an ISO date, a
number without its thousands separator)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from crmproject.auth.models import Role
from crmproject.demo.services import DEMO_PASSWORD, demo_plan, head_email
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.baselines.models import PlanBaseline
from crmproject.gates.models import PhaseGate
from crmproject.kpis.models import Kpi
from crmproject.maturity.models import MaturityAssessment
from crmproject.tasks.models import ChangeTask
from crmproject.training.models import Course

ACCOUNTS = {"admin": "admin@example.com", "pm": "pm@example.com", "exec": "exec@example.com",
            "head": head_email("SALES")}
EVERYONE = tuple(ACCOUNTS)

# (page, which of its tables (0 the first, or a class or id of it), the roles that see it). {plan}, {sales}, {other}... are the demo's ids.
# A page of several tables names the one a CSV holds with ?table=...: here the page's address carries it too.
PAGES = [
    ("/admin/users", 0, ("admin",)),
    ("/admin/tokens", 0, ("admin",)),
    ("/account/tokens", 0, EVERYONE),
    ("/adoption/imports", 0, ("admin",)),
    ("/departments/", 0, EVERYONE),
    ("/plans/", 0, EVERYONE),
    ("/plans/modules", 0, EVERYONE),
    ("/plans/{plan}/gates/", 0, EVERYONE),
    ("/plans/{plan}/meetings/", 0, EVERYONE),
    ("/plans/{plan}/team", 0, EVERYONE),
    ("/training/", 0, EVERYONE),
    ("/training/courses/{course}?department={sales}&table=enrolments", "enrolments", EVERYONE),
    ("/training/courses/{course}?department={sales}&status=completed&table=enrolments", "enrolments", EVERYONE),
    ("/training/courses/{course}?table=departments", 0, EVERYONE),
    ("/training/courses/{course}?table=sessions", 1, EVERYONE),
    ("/my-tasks", 0, EVERYONE),
    ("/plans/{plan}/communications", 0, EVERYONE),
    ("/plans/{plan}/baselines/", 0, EVERYONE),
    ("/plans/{plan}/kpis", "kpis", EVERYONE),
    ("/plans/{plan}/reports", "report-matrix", EVERYONE),
    ("/plans/{plan}/risks/", "risk-register", EVERYONE),
    ("/plans/{plan}/risks/?status=active&department={sales}&sort=title", "risk-register", EVERYONE),
    ("/plans/{plan}/hypercare/", "hypercare-issues", EVERYONE),
    ("/plans/{plan}/hypercare/?state=open&department={sales}", "hypercare-issues", EVERYONE),
    ("/plans/{plan}/hypercare/?table=departments", "hypercare-departments", EVERYONE),
    ("/plans/{plan}?table=phases", 0, EVERYONE),
    ("/plans/{plan}?table=waves", 1, EVERYONE),
    ("/plans/{plan}/maturity/", "maturity-assessments", EVERYONE),
    ("/plans/{plan}/adoption", 0, EVERYONE),
    ("/plans/{plan}/kpis/{kpi}?table=attainment", 0, EVERYONE),
    ("/plans/{plan}/kpis/{kpi}?table=values", 1, EVERYONE),
    ("/plans/{plan}/gates/{gate}", "criteria", EVERYONE),
    ("/plans/{plan}/maturity/assessments/{assessment}", "maturity-ratings", EVERYONE),
    ("/plans/{plan}/baselines/{baseline}?table=phases", "phase-slippage", EVERYONE),
    ("/plans/{plan}/baselines/{baseline}?table=waves", "wave-slippage", EVERYONE),
    ("/plans/{plan}/baselines/{baseline}?table=tasks", "task-slippage", EVERYONE),
    ("/plans/{plan}/baselines/{baseline}?table=kpis", "kpi-changes", EVERYONE),
]


class _Tables(HTMLParser):
    """The tables of a page as text: each a (header, body rows) pair, a cell's text with its spaces collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[list[str], list[list[str]]]] = []
        self.classes: list[set[str]] = []
        self._stack: list[tuple[list[str], list[list[str]]]] = []
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0
        self._span = 1

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append(([], []))
            self.classes.append(set((dict(attrs).get("class") or "").split()) | {dict(attrs).get("id") or ""})
        elif not self._stack:
            return
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._span = int(dict(attrs).get("colspan") or 1)
            if self._span > 1 and not self._row:
                self._row = None  # a row across the whole table: "nothing yet", not data
                self._cell = None
        elif tag in ("script", "style", "select", "option", "button"):
            self._skip += 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if not self._stack:
            return
        if tag == "table":
            self.tables.append(self._stack.pop())  # tables are not nested: in the order they open
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            # a cell across several columns ("not live yet") stands in each of them
            self._row.extend([" ".join("".join(self._cell).split())] * self._span)
            self._cell = None
        elif tag == "tr" and self._row is None:
            pass
        elif tag == "tr" and self._row is not None:
            header, body = self._stack[-1]
            if self._section == "thead":
                header.extend(self._row)
            elif self._section != "tfoot":
                body.append(self._row)
            self._row = None
        elif tag in ("script", "style", "select", "option", "button"):
            self._skip -= 1

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def html_table(html: str, which: int | str) -> tuple[list[str], list[list[str]]] | None:
    """The page's table `which` (its number, 0 the first, or a class or id it has); None on a page without it
    (a page with nothing to list shows a sentence instead)."""
    parser = _Tables()
    parser.feed(html)
    if isinstance(which, str):
        which = next((i for i, found in enumerate(parser.classes) if which in found), len(parser.tables))
    if which >= len(parser.tables):
        return None
    header, body = parser.tables[which]
    # a column without a header holds the row's buttons (edit, delete): not data, and not in the CSV
    kept = [i for i, h in enumerate(header) if h]
    return [header[i] for i in kept], [[row[i] if i < len(row) else "" for i in kept] for row in body]


def csv_rows(data: bytes, separator: str = ",") -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=separator))


EMPTY = {"", "—", "–", "-"}


def same_cell(shown: str, written: str) -> bool:
    """Whether the CSV's value is the page's: every word of it found in the page's cell (which may say more: a
    badge, a note), numbers without their thousands separators, a percentage without its sign."""
    if written.startswith("'"):
        written = written[1:]
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", shown)
    return all(word.strip(";,()·") in plain for word in written.split())


def _ids() -> dict[str, object]:
    plan = demo_plan()
    departments = {d.code: d.id for d in db.session.scalars(select(Department))}
    course = db.session.scalar(select(Course).order_by(Course.id))
    kpi = db.session.scalar(select(Kpi).where(Kpi.plan_id == plan.id).order_by(Kpi.id))
    gate = db.session.scalar(select(PhaseGate).where(PhaseGate.plan_id == plan.id).order_by(PhaseGate.id))
    assessment = db.session.scalar(select(MaturityAssessment).where(MaturityAssessment.plan_id == plan.id)
                                   .order_by(MaturityAssessment.id.desc()))
    # another department with change tasks of its own
    other = db.session.scalar(select(ChangeTask.department_id).where(
        ChangeTask.plan_id == plan.id, ChangeTask.department_id.is_not(None),
        ChangeTask.department_id != departments["SALES"]).order_by(ChangeTask.id).limit(1))
    baseline = db.session.scalar(select(PlanBaseline.id).where(PlanBaseline.plan_id == plan.id))
    return {"plan": plan.id, "course": course.id, "kpi": kpi.id, "baseline": baseline, "gate": gate.id,
            "assessment": assessment.id, "sales": departments["SALES"], "other": other}


@pytest.fixture
def demo(load_demo_copy):
    load_demo_copy(today=date.today())
    return _ids()


def _log_in(client, role: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"email": ACCOUNTS[role], "password": DEMO_PASSWORD})
    assert response.status_code == 302, role


@pytest.mark.parametrize("role", EVERYONE)
def test_every_table_page_downloads_the_table_its_reader_sees(client, demo, role):
    _log_in(client, role)
    checked = 0
    for page, index, roles in PAGES:
        if role not in roles:
            continue
        path = page.format_map(demo)
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        base, _, query = path.partition("?")
        csv_path = base.rstrip("/") + ".csv" + (f"?{query}" if query else "")
        assert f'href="{csv_path.replace("&", "&amp;")}"' in html, f"{path}: no link to {csv_path}"
        download = client.get(csv_path)
        assert download.status_code == 200 and download.content_type == "text/csv; charset=utf-8", csv_path
        assert download.headers["Content-Disposition"].startswith("attachment;")
        rows = csv_rows(download.data)
        table = html_table(html, index)
        if table is None:
            assert len(rows) == 1, f"{path}: the page lists nothing, the CSV {len(rows) - 1} rows"
            continue
        header, body = table
        assert rows[0] == header, f"{path}: {rows[0]} != {header}"
        assert len(rows) - 1 == len(body), f"{path}: {len(rows) - 1} rows in the CSV, {len(body)} on the page"
        for number, (written, shown) in enumerate(zip(rows[1:], body, strict=True), start=1):
            assert len(written) == len(shown), f"{path} row {number}"
            for column, (w, s) in enumerate(zip(written, shown, strict=True)):
                assert same_cell(s, w), f"{path} row {number}, {header[column]}: {w!r} not in {s!r}"
        checked += 1
    assert checked


@pytest.mark.parametrize("role", EVERYONE)
def test_the_task_lists_csv_holds_the_tasks_its_page_lists(client, demo, role):
    """The task list's download (tasks.excel, xlsx and CSV) has columns of its own; its rows are the page's:
    the same filters, and a head's own department only."""
    _log_in(client, role)
    for query in ("", "?status=blocked", f"?department={demo['sales']}&sort=due"):
        path = f"/plans/{demo['plan']}/tasks{query}"
        html = client.get(path).get_data(as_text=True)
        header, body = html_table(html, "tasks")
        rows = csv_rows(client.get(f"/plans/{demo['plan']}/tasks.csv{query}").data)
        titles = [row[rows[0].index("Title")] for row in rows[1:]]
        shown = [row[header.index("Task")] for row in body]
        assert shown and all(any(t and t in s for t in titles) for s in shown), path
        if "pager" not in html:
            assert len(titles) == len(shown), path


def test_a_head_cannot_download_another_departments_rows(client, demo):
    """A department head's downloads hold what their pages show them: their own department's tasks, even when the
    address asks for another's; another department's people not at all."""
    _log_in(client, "head")
    rows = csv_rows(client.get(f"/plans/{demo['plan']}/tasks.csv?department={demo['other']}").data)
    assert len(rows) == 1  # the header: the other department's tasks are not the head's to see
    rows = csv_rows(client.get(f"/plans/{demo['plan']}/tasks.csv").data)
    department = rows[0].index("Department")
    sales = db.session.get(Department, demo["sales"]).name
    assert len(rows) > 1 and {row[department] for row in rows[1:]} <= {sales, ""}
    assert client.get(f"/departments/{demo['other']}/adoption/people.csv").status_code == 403
    _log_in(client, "pm")
    rows = csv_rows(client.get(f"/plans/{demo['plan']}/tasks.csv?department={demo['other']}").data)
    assert len(rows) > 1  # the same address gives a project manager that department's tasks


def test_a_table_csv_is_recorded_as_an_export(client, login, make_user, make_department):
    from crmproject.audit.models import AuditAction, AuditEntry

    make_department(name="Sales", code="SALES")
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    response = client.get("/departments.csv")
    name = response.headers["Content-Disposition"].split('"')[1]
    assert name.startswith("departments-") and name.endswith(".csv")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == AuditAction.EXPORT))
    assert entry is not None and entry.user_id == user.id and entry.details == {"file": name}


def _convert(data: bytes, tmp_path, options: str):
    """The CSV opened in LibreOffice (its CSV import, with the given separator, charset and language) and saved
    as xlsx: the cells as a spreadsheet reads them."""
    import shutil
    import subprocess

    from openpyxl import load_workbook

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    source, out = tmp_path / "table.csv", tmp_path / "out"
    source.write_bytes(data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    f"--infilter=Text - txt - csv (StarCalc):{options}", "--convert-to", "xlsx", "--outdir", str(out),
                    str(source)], check=True, capture_output=True, timeout=180)
    return load_workbook(out / "table.xlsx").active


NAMES = ["Отдел продаж", "销售部", "واحد فروش", "=HYPERLINK(\"https://evil.example\",\"x\")"]


@pytest.mark.parametrize("language, options", [("en", "44,34,76"), ("ru", "59,34,76,1,,1049")])
def test_libreoffice_reads_a_table_csv_in_every_script_with_numbers_as_numbers(client, login, make_user, make_department,
                                                                                tmp_path, language, options):
    from flask_babel import force_locale

    from crmproject.departments.tables import DEPARTMENTS

    for n, name in enumerate(NAMES):
        make_department(name=name, code=f"X{n}", headcount=1200 + n, licensed_seats=900)
    user = make_user(Role.PROJECT_MANAGER)
    user.language = None if language == "en" else language
    db.session.commit()
    login(user)
    response = client.get("/departments.csv")
    assert response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it
    sheet = _convert(response.data, tmp_path, options)
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    with force_locale(language):
        assert rows[0] == DEPARTMENTS.header()
    by_code = {row[0]: row for row in rows[1:]}
    for n, name in enumerate(NAMES[:3]):
        assert by_code[f"X{n}"][1] == name  # Cyrillic, Chinese and Persian read back as written
        assert by_code[f"X{n}"][3] == 1200 + n  # a number, not text
    formula = next(c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert formula.data_type == "s" and formula.value.lstrip("'") == NAMES[3]
    assert by_code["X0"][5] == 75  # seats per head, in percent, a number in the reader's own decimal convention


def test_no_two_pages_share_an_address(app):
    """A table page's CSV and a download's CSV are registered apart: one address answering for two views serves the
    first one registered, the other never (the period's reports once came as the report-status grid)."""
    seen: dict[tuple[str, str], str] = {}
    shared = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) in seen:
                shared.append(f"{method} {rule.rule}: {seen[(rule.rule, method)]} and {rule.endpoint}")
            seen[(rule.rule, method)] = rule.endpoint
    assert shared == []
