"""Fixtures: one app and schema per test session, every table emptied after each test.

The database is CRMPROJECT_TEST_DATABASE_URL when set (PostgreSQL in CI),
otherwise a SQLite file in a temporary folder (a file, not :memory:, so the
browser tests' server thread sees the same data).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import g, request_started
from flask.cli import ScriptInfo
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from crmproject import create_app
from crmproject.config import Defaults
from crmproject.auth.models import Role, User
from crmproject.auth.services import create_user
from crmproject.demo.services import load_demo  # the function itself, should a test patch the module's
from crmproject.departments.models import Department
from crmproject.departments.services import create_department
from crmproject.extensions import db
from crmproject.plans import services as plan_services
from crmproject.plans.models import Plan

PASSWORD = "correct-horse-1"


def _database_url(tmp_path_factory) -> str:
    """CRMPROJECT_TEST_DATABASE_URL, or a SQLite file. Under pytest-xdist each worker has a database of its own:
    PostgreSQL's is the given one's name with the worker's (crm_test_gw0), created once on the same server."""
    url = os.environ.get("CRMPROJECT_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    given = make_url(url)
    if not worker or not given.drivername.startswith("postgresql"):
        return url
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


def _engine_options(url: str) -> dict:
    """The application's engine options; on PostgreSQL without JIT compilation, which the server's default turns
    on for a statement it estimates costly: the permission matrix's one statement reading every table (about 70
    subqueries over a few rows each) took 14 ms with it and 4 ms without, some 1,500 times a run."""
    options = dict(Defaults.SQLALCHEMY_ENGINE_OPTIONS)
    if make_url(url).get_backend_name() == "postgresql":
        options["connect_args"] = {"options": "-c jit=off"}
    return options


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    url = _database_url(tmp_path_factory)
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    # wizard uploads and other instance files go to a temporary folder, never into the checkout
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    # Tests push an app context for their factories, and Flask reuses it for the test
    # client's requests, so `g` (where Flask-Login caches the user) would outlive a
    # request. Forget the cached user when each request starts, as production does.
    # Flask-Babel keeps the request's language there too: each request chooses its own.
    request_started.connect(lambda sender, **extra: (g.pop("_login_user", None), g.pop("_flask_babel", None)), app,
                            weak=False)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        # The schema comes from the migrations, as in production; test_migrations checks they match the models.
        upgrade(directory=app.extensions["migrate"].directory)
    yield app
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.rollback()
    # the data generation (crmproject/cache.py) stays: it only ever grows, as in production
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name != "data_generations"]
    if db.engine.dialect.name != "postgresql":
        for table in tables:
            db.session.execute(table.delete())
        db.session.commit()
        return
    # PostgreSQL: every DELETE and the sequences' reset sent at once, one round trip after each test instead of
    # one per table (psycopg takes several statements in one call when they have no parameters). The ids start
    # again at 1, as after TRUNCATE ... RESTART IDENTITY, which costs ten times more per test (a new file for
    # every table).
    quote = db.engine.dialect.identifier_preparer.quote
    statements = [f"DELETE FROM {quote(t.name)}" for t in tables]
    serial = [t.name for t in tables if "id" in t.c and t.c.id.autoincrement is not False]
    if serial:
        statements.append("SELECT " + ", ".join(
            f"setval(pg_get_serial_sequence('{name}', 'id'), 1, false)" for name in serial))
    db.session.connection().exec_driver_sql("; ".join(statements))
    db.session.commit()


@pytest.fixture
def app(_app):
    with _app.app_context():
        yield _app
        db.session.remove()
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs the real `crmproject` command group against the test app."""
    from crmproject.cli import main

    cli_runner = app.test_cli_runner()

    def invoke(*args: str, **kwargs):
        return cli_runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), **kwargs)

    return invoke


# --- the demo organisation, built once per worker and date ----------------------------------

# Kept by triggers on adoption_snapshots (migration b8f2d4e6a913): copying the snapshots in fills it again.
_DERIVED_TABLES = frozenset({"adoption_weeks"})


@dataclass
class DemoCopy:
    """A database as load_demo(today=...) left it: every table's rows as the driver reads and writes them
    (COPY's text on PostgreSQL, tuples on SQLite), the tables its triggers keep (to check, never copied in),
    the sequences' positions (PostgreSQL) and the summary load_demo returned."""

    rows: dict[str, Any]
    derived: dict[str, Any]
    sequences: dict[str, tuple[int, bool]]
    summary: Any = None


def _serial_sequences() -> dict[str, str]:
    return {t.name: f"pg_get_serial_sequence('{t.name}', 'id')" for t in db.metadata.sorted_tables
            if "id" in t.c and t.c.id.autoincrement is not False}


class DemoCopies:
    """`load_demo_copy(today=..., language=...)`: load_demo(...) at a fraction of its cost (5 to 10 s a load).

    On an empty database it puts in exactly what load_demo would there: the rows load_demo made the first time
    this worker asked for that date (built then, in the same empty database), with the same ids and sequence
    positions, and returns that load's summary. On a database holding anything it is load_demo itself (a
    second load, which must add nothing). The demo is built "as of" the date given, so a test of today's demo
    asks for date.today() and gets a copy built today."""

    def __init__(self) -> None:
        self.kept: dict[tuple[date, str], DemoCopy] = {}

    def __call__(self, *, today: date, language: str = "en"):
        if not self.database_is_empty():
            return load_demo(today=today, language=language)
        kept = self.kept.get((today, language))
        if kept is None:
            summary = copy.deepcopy(load_demo(today=today, language=language))
            db.session.commit()
            kept = self.kept[today, language] = self.dump()
            kept.summary = summary
        else:
            self._restore(kept)
        return copy.deepcopy(kept.summary)

    @staticmethod
    def copied_tables() -> list:
        """The tables a copy puts rows in, parents first."""
        return [t for t in db.metadata.sorted_tables if t.name != "data_generations" and t.name not in _DERIVED_TABLES]

    @staticmethod
    def database_is_empty() -> bool:
        tables = [t for t in db.metadata.sorted_tables if t.name != "data_generations"]
        return not db.session.scalar(text("SELECT " + " OR ".join(f'EXISTS (SELECT 1 FROM "{t.name}")' for t in tables)))

    def dump(self) -> DemoCopy:
        """The database as it is now, as a copy holds it."""
        connection = db.session.connection()
        derived = [t for t in db.metadata.sorted_tables if t.name in _DERIVED_TABLES]
        dumped: dict[str, Any] = {}
        sequences: dict[str, tuple[int, bool]] = {}
        if connection.dialect.name == "postgresql":
            with connection.connection.driver_connection.cursor() as cursor:
                for table in self.copied_tables() + derived:
                    with cursor.copy(f'COPY "{table.name}" TO STDOUT') as out:
                        dumped[table.name] = b"".join(bytes(block) for block in out)
                for name, sequence in _serial_sequences().items():
                    cursor.execute(f"SELECT {sequence}")
                    cursor.execute(f"SELECT last_value, is_called FROM {cursor.fetchone()[0]}")
                    sequences[name] = tuple(cursor.fetchone())
        else:
            for table in self.copied_tables() + derived:
                dumped[table.name] = [tuple(row) for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}"')]
        db.session.commit()
        return DemoCopy(rows={t.name: dumped[t.name] for t in self.copied_tables()},
                        derived={t.name: dumped[t.name] for t in derived}, sequences=sequences)

    def _restore(self, kept: DemoCopy) -> None:
        from crmproject.cache import note_written

        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            with connection.connection.driver_connection.cursor() as cursor:
                for table in self.copied_tables():
                    if kept.rows[table.name]:
                        with cursor.copy(f'COPY "{table.name}" FROM STDIN') as into:
                            into.write(kept.rows[table.name])
                sequences = _serial_sequences()
                cursor.execute("SELECT " + ", ".join(f"setval({sequences[name]}, {value}, {called})"
                                                     for name, (value, called) in kept.sequences.items()))
            # COPY goes past SQLAlchemy's statement events: the cache is told here, as crmproject.db does
            note_written(connection, *(name for name, data in kept.rows.items() if data), *_DERIVED_TABLES)
        else:
            for table in self.copied_tables():
                found = kept.rows[table.name]
                if found:
                    marks = ", ".join(["?"] * len(found[0]))
                    connection.exec_driver_sql(f'INSERT INTO "{table.name}" VALUES ({marks})', found)
        db.session.commit()


@pytest.fixture(scope="session")
def _demo_copies() -> DemoCopies:
    return DemoCopies()


@pytest.fixture
def load_demo_copy(app, _demo_copies) -> DemoCopies:
    """load_demo(today=...) at a fraction of its cost: see DemoCopies."""
    return _demo_copies


# --- factories ----------------------------------------------------------------------

@pytest.fixture
def make_department(app):
    counter = iter(range(1, 10_000))

    def make(name: str | None = None, code: str | None = None, **kwargs) -> Department:
        n = next(counter)
        department = create_department(name=name or f"Department {n}", code=code or f"D{n}", **kwargs)
        db.session.commit()
        return department

    return make


@pytest.fixture
def make_user(app, make_department):
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.PROJECT_MANAGER, department: Department | None = None, email: str | None = None,
             name: str | None = None) -> User:
        n = next(counter)
        if role == Role.DEPARTMENT_HEAD and department is None:
            department = make_department()
        user = create_user(
            email=email or f"{role.value}{n}@example.com", name=name or f"{role.label} {n}", password=PASSWORD,
            role=role, department=department,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_plan(app):
    def make(name: str = "CRM rollout", start: date = date(2026, 1, 1), end: date = date(2027, 12, 31), **kwargs) -> Plan:
        plan = plan_services.create_plan(name=name, start=start, end=end, **kwargs)
        db.session.commit()
        return plan

    return make


@pytest.fixture
def login(client):
    """Log a user in through the real login form."""

    def do(user: User, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do


FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def libreoffice(tmp_path):
    """Open an exported file in LibreOffice, as a user would: `convert(data, "name.xlsx")` converts it (to csv,
    the first sheet, by default) with a LibreOffice profile of its own (so tests may run at once) and returns
    the converted file's path. Skips the test where LibreOffice is not installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")

    def convert(data: bytes, name: str, to: str = "csv") -> Path:
        if soffice is None:
            pytest.skip("LibreOffice is not installed: the file was checked with openpyxl only")
        source, out = tmp_path / name, tmp_path / "libreoffice"
        source.write_bytes(data)
        subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                        "--convert-to", to, "--outdir", str(out), str(source)], check=True, capture_output=True,
                       timeout=180)
        return out / f"{source.stem}.{to.split(':')[0]}"

    return convert


@pytest.fixture
def testdata() -> Path:
    """tests/fixtures: real third-party files for importer tests (tests/fixtures/README.md names their sources)."""
    return FIXTURES


# --- forms as a browser sees them ---------------------------------------------------------

@dataclass
class PageField:
    """One named control of a form: its kind (an input's type, "select", "textarea"), its options and what it sends."""

    name: str
    kind: str
    values: list[str] = field(default_factory=list)  # what a browser would send unchanged
    options: list[str] = field(default_factory=list)  # a select's option values, a checkbox's value
    inputmode: str = ""
    multiple: bool = False


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, PageField] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons: (name, value)

    def data(self, **changes: str | list[str]) -> dict[str, list[str]]:
        """What a browser sends for the form as shown (no button pressed), with some fields changed."""
        sent = {name: list(f.values) for name, f in self.fields.items() if f.values}
        sent.update({name: value if isinstance(value, list) else [value] for name, value in changes.items()})
        return sent


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self._select: PageField | None = None
        self._textarea: PageField | None = None

    def _field(self, name: str, kind: str, **kwargs) -> PageField:
        return self.forms[-1].fields.setdefault(name, PageField(name, kind, **kwargs))

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self.forms.append(PageForm(action=a.get("action") or self.page_url, method=a.get("method", "get").lower()))
        elif not self.forms or "form" in a:  # outside a form, or a button of another form
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                self.forms[-1].buttons.append((a["name"], a.get("value", "")))
                return
            control = self._field(a["name"], kind, inputmode=a.get("inputmode", ""))
            if kind in ("checkbox", "radio"):
                control.options.append(a.get("value", "on"))
                if "checked" in a:
                    control.values.append(a.get("value", "on"))
            elif kind != "file":
                control.values.append(a.get("value", ""))
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = self._field(a["name"], "select", multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))  # every option here has a value
            if "selected" in a:
                self._select.values.append(self._select.options[-1])
        elif tag == "textarea" and a.get("name"):
            self._textarea = self._field(a["name"], "textarea")
            self._textarea.values.append("")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.values[-1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            if not self._select.values and self._select.options and not self._select.multiple:
                self._select.values.append(self._select.options[0])  # a browser sends the first option
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            value = self._textarea.values[-1]
            self._textarea.values[-1] = value.removeprefix("\r").removeprefix("\n")  # as a browser drops it
            self._textarea = None


def page_forms(html: str, page_url: str) -> list[PageForm]:
    """The forms of a page as a browser sees them."""
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


@pytest.fixture
def open_form(client):
    """GET a page (with `client`, or another user's client) and return its form posting to `action` (by
    default to the page itself) as a browser has it: `.data(field=value)` is what the browser sends after
    the user typed `value` in `field`."""

    def do(url: str, action: str | None = None, using=None) -> PageForm:
        response = (using or client).get(url)
        assert response.status_code == 200, (url, response.status_code)
        found = [f for f in page_forms(response.get_data(as_text=True), url) if f.method == "post" and f.action == (action or url)]
        assert found, f"{url} has no form posting to {action or url}"
        return found[0]

    return do


@pytest.fixture
def forms_in():
    """`forms_in(html, page_url)`: the forms of a page a test already has (a 409 page), as a browser sees them."""
    return page_forms


def build_rollout_world() -> dict:
    """One object of every kind a form edits, flushed (not committed): a plan with a phase, a wave, a team seat
    with a holder, a RACI row, a task, a communication, a KPI with a target and a value, a report draft, a course
    with a session and an enrolment, a gate with a criterion, a
    steering meeting, a hypercare issue, a budget line, a maturity assessment, a risk of the department, a
    readiness pulse survey open with its links (and `pulse_token`, Ann's link), a change impact rating, the
    administrator's comment on the task (and `comment_kind`, the kind in its address). Users:
    an admin, a project manager and the head of the plan's department.
    Returns the objects by name."""
    from decimal import Decimal

    from datetime import UTC, datetime

    from crmproject.gates import services as gates
    from crmproject.gates.models import CriterionKind
    from crmproject.business_case import services as business_case
    from crmproject.business_case.models import CostCategory
    from crmproject.comments import services as comments
    from crmproject.comments import targets as comment_targets
    from crmproject.hypercare import services as hypercare
    from crmproject.hypercare.models import IssueCategory, IssueSeverity
    from crmproject.maturity import services as maturity
    from crmproject.pulse import services as pulse
    from crmproject.pulse.models import SurveyKind
    from crmproject.impact import services as impact
    from crmproject.steering import services as steering
    from crmproject.kpis import services as kpis
    from crmproject.kpis.models import Direction, GoalFamily
    from crmproject.reports import services as reports
    from crmproject.risks import services as risks
    from crmproject.roster.models import Employee
    from crmproject.tasks import services as tasks
    from crmproject.tasks.models import CommunicationChannel, CommunicationStatus
    from crmproject.teams import services as teams
    from crmproject.teams.models import TeamRoleKind
    from crmproject.training import services as training

    department = create_department(name="Sales", code="SALES")
    world = {"department": department}
    for key, role, name in (("admin", Role.ADMIN, "Ada Admin"), ("pm", Role.PROJECT_MANAGER, "Paula PM"),
                            ("head", Role.DEPARTMENT_HEAD, "Hana Head")):
        world[key] = create_user(email=f"{key}@example.com", name=name, password=PASSWORD, role=role,
                                 department=department if role == Role.DEPARTMENT_HEAD else None)
    plan = world["plan"] = plan_services.create_plan(name="CRM rollout", start=date(2026, 1, 1), end=date(2027, 12, 31))
    world["phase"] = plan_services.add_phase(plan, name="Pilot", start=date(2026, 1, 1), end=date(2026, 6, 30))
    module = world["module"] = plan_services.ensure_standard_modules()[0]
    world["wave"] = plan_services.add_wave(plan, name="Pilot wave", go_live=date(2026, 6, 1), departments=[department],
                                           modules=[module])
    world["team_role"] = teams.create_role(plan, kind=TeamRoleKind.IT, title="IT lead")
    world["assignment"] = teams.assign(world["team_role"], person_name="Ivan", start=date(2026, 1, 1))
    world["deliverable"] = teams.add_deliverable(plan, name="Goals")
    world["task"] = tasks.create_task(plan, title="Train Sales", category=tasks.ensure_categories()[0], actor=None,
                                      department=department)
    world["communication"] = tasks.save_communication(
        None, plan, audience="All staff", channel=CommunicationChannel.EMAIL, message="Pilot starts",
        planned_date=date(2026, 3, 1), owner=None, department=None, status=CommunicationStatus.PLANNED)
    kpi = world["kpi"] = kpis.create_kpi(plan, kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%", baseline_value=Decimal(0),
        baseline_date=date(2026, 1, 1), target_value=Decimal(80), target_date=date(2027, 6, 30)))
    world["kpi_target"] = kpis.set_target(kpi, target_date=date(2026, 9, 30), value=Decimal(50))
    world["measurement"] = kpis.record_measurement(kpi, measured_on=date(2026, 2, 1), value=Decimal(5), department=department,
                                                   entered_by=None)
    world["report"] = reports.start_report(plan, department, reports.Period(date(2026, 3, 1), date(2026, 3, 31)),
                                           author=world["head"])
    course = world["course"] = training.create_course(training.CourseValues(code="SFA-101", name="SFA basics", mandatory=True))
    world["training_session"] = training.add_session(course, training.SessionValues(day=date(2026, 3, 1), trainer="Nadia"))
    ann = Employee(name="Ann Lee", email="ann@example.com", department=department)
    db.session.add_all([ann, Employee(name="Bo Chen", email="bo@example.com", department=department)])
    world["enrolment"] = training.enrol(ann, course)  # Bo is enrolled in nothing yet
    world["gate"] = gates.create_gate(plan, name="Pilot may go live", wave=world["wave"])
    world["criterion"] = gates.add_criterion(world["gate"], kind=CriterionKind.CRITICAL_TASKS)
    world["meeting"] = steering.plan_meeting(plan, held_on=date(2026, 6, 1), title="Steering committee", attendees=[],
                                             today=date(2026, 6, 1))
    world["issue"] = hypercare.log_issue(plan, hypercare.IssueValues(
        department=department, title="Cannot save a deal", severity=IssueSeverity.HIGH, category=IssueCategory.DEFECT,
        reported_at=datetime(2026, 7, 1, 8, tzinfo=UTC)), actor=None)
    world["budget_line"] = business_case.save_line(plan, None, name="Partner", category=CostCategory.PARTNER)
    world["assessment"] = maturity.create_assessment(plan, maturity.AssessmentValues(
        department=department, assessed_on=date(2026, 5, 1), assessors=["Ann Lee"]), today=date(2026, 6, 1))
    world["risk"] = risks.create_risk(plan, risks.RiskValues(title="Reps keep their Excel", likelihood=3, impact=4,
                                                             department=department))
    pulse_survey = world["pulse_survey"] = pulse.create_survey(plan, pulse.SurveyValues(
        department=department, kind=SurveyKind.AFTER, title="Sales after go-live", opens_on=date(2026, 6, 10),
        closes_on=date(2099, 12, 31)), actor=None)
    pulse.invite_department(pulse_survey, plan)
    pulse.open_survey(pulse_survey, today=date(2026, 6, 10))
    # Ann's personal link: a text, not an object (the answer page's address is /pulse/answer/<token>)
    world["pulse_token"] = pulse.link_token(pulse_survey.invitations[0])
    world["impact_rating"] = impact.rate(plan, department, module, processes=4, tools=5, roles=3)
    world["comment"] = comments.post_comment(comment_targets.get("change_tasks"), world["task"], author=world["admin"],
                                             body="Who trains the key users, @pm@example.com?")
    world["comment_kind"] = "change_tasks"  # the address of the task's comments names its kind
    db.session.flush()
    return world


@pytest.fixture
def rollout_world(app) -> dict:
    """build_rollout_world(), committed."""
    world = build_rollout_world()
    db.session.commit()
    return world


@pytest.fixture(scope="session")
def world_builder():
    """build_rollout_world, for a module that builds its world once (tests/ is not a package to import from)."""
    return build_rollout_world
