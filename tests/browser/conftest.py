"""Browser tests: the session app served on a real port, driven by Debian's Chromium via Playwright.

Playwright's bundled browsers are never downloaded (no `playwright install`):
the tests use /usr/bin/chromium and are skipped when it is missing.

The server runs in a thread of the test process with the same app object and
the same database (a SQLite file or CRMPROJECT_TEST_DATABASE_URL), so rows the
factories commit are visible to it. CSRF protection is switched on for every
browser test and switched back off afterwards (the app object is shared with
the other test folders, which post forms without tokens).
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

# The factories' password (tests/conftest.py PASSWORD). tests/ is not a package,
# so that module cannot be imported from here by name.
PASSWORD = "correct-horse-1"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Every test in tests/browser is a browser test (`-m "not browser"` leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def _read_whole(app):
    """The app's answer read and closed before the server writes it.

    Werkzeug's development server closes a response (and the static file it
    holds open) only after draining the socket; when Chromium drops a
    connection it no longer needs, that read raises first and the file is left
    for the garbage collector, which pytest then reports against whichever test
    happens to be running. Reading the answer whole inside the app closes the
    file every time; the browser sees the same bytes.
    """

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(_app):
    """The session app on 127.0.0.1 and a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, _read_whole(_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def csrf_enabled(_app):
    """Real CSRF protection for the browser, restored afterwards for the other tests."""
    previous = _app.config.get("WTF_CSRF_ENABLED")
    _app.config["WTF_CSRF_ENABLED"] = True
    yield
    _app.config["WTF_CSRF_ENABLED"] = previous


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium); browser tests skipped")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)  # expect() waits 5 s by default, too short for a busy CI box
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(app, live_server, browser):
    """A fresh context (no cookies) and page per test; relative URLs go to the live server.

    Depends on `app` so the page is closed before that fixture empties the tables.
    """
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def browser_login(page):
    """Log a user in through the real login form."""
    from playwright.sync_api import expect

    def do(user, password: str = PASSWORD):
        page.goto("/login")
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Log in").click()
        # wait for the POST to finish: a goto() right after the click would abort it
        expect(page.locator("form[action$='/logout']")).to_be_attached()  # in the user's own language
        return page

    return do


# --- every change a browser makes is in the audit trail (issue 16) ---------------------------------------------

_WRITE = re.compile(r'\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET = re.compile(r"\bSET\s+(.*?)\s+WHERE\b", re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r'"?(\w+)"?\s*=')
_EXPECTED = {"INSERT": ("create", "bulk_insert"), "UPDATE": ("update",), "DELETE": ("delete",)}


@pytest.fixture(autouse=True)
def every_change_is_in_the_audit_trail(app):
    """Done means, for the audit trail: every change made in a browser test appears in it with its before and
    after values. The live server's writes (any thread but the test's own, which builds the data) are watched on
    the engine as they are committed; afterwards each audited table the browser inserted into, changed or deleted
    from must have entries of that kind recorded by a request, an update with each field's value before and
    after. Writes the trail leaves out by design (bookkeeping tables, timestamps and session tokens a login
    stamps) are not asked for."""
    from sqlalchemy import event, func, select

    from crmproject.audit.capture import IGNORED_COLUMNS, audited_model
    from crmproject.audit.models import AuditEntry
    from crmproject.db import Base
    from crmproject.extensions import db

    audited = {model.table for mapper in Base.registry.mappers if (model := audited_model(mapper)) is not None}
    main = threading.main_thread()
    pending: dict[int, set[tuple[str, str]]] = {}
    committed: set[tuple[str, str]] = set()

    def statement(connection, cursor, sql, parameters, context, executemany):
        if threading.current_thread() is main or not (found := _WRITE.match(sql)):
            return
        verb, table = found.group(1).split()[0].upper(), found.group(2).lower()
        if table not in audited:
            return
        if verb == "UPDATE" and (assigned := _SET.search(sql)) \
                and set(_ASSIGNED.findall(assigned.group(1))) <= IGNORED_COLUMNS:
            return  # a login's stamp, a version moved: nothing the trail records
        pending.setdefault(id(connection), set()).add((table, verb))

    def commit(connection):
        written = pending.pop(id(connection), set())
        # rows inserted in bulk and then linked up in the same transaction (an import's parent tasks): their
        # import's one entry tells them
        committed.update(w for w in written if not (w[1] == "UPDATE" and (w[0], "INSERT") in written))

    def rollback(connection):
        pending.pop(id(connection), None)

    engine = db.engine
    listeners = (("before_cursor_execute", statement), ("commit", commit), ("rollback", rollback))
    first = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    db.session.rollback()
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    db.session.rollback()
    recorded = list(db.session.scalars(select(AuditEntry).where(AuditEntry.id > first, AuditEntry.request != "")))
    missing = []
    for table, verb in sorted(committed):
        kinds = [e for e in recorded if e.object_type == table and e.action.value in _EXPECTED[verb]]
        if verb == "UPDATE" and not kinds and any(e.object_type == table and e.action.value in _EXPECTED["INSERT"]
                                                  for e in recorded):
            continue  # rows written in bulk (COPY on PostgreSQL, unseen here) and linked up: the import's entry tells them
        if not kinds:
            missing.append(f"{verb} {table}: no {' or '.join(_EXPECTED[verb])} entry")
        elif verb == "UPDATE" and not any(
                e.changes and all("hidden" in c or ("before" in c and "after" in c) for c in e.changes.values())
                for e in kinds):
            missing.append(f"UPDATE {table}: no entry with each field's value before and after")
    db.session.rollback()
    assert not missing, "changes the browser made that the audit trail does not show:\n" + "\n".join(missing)
