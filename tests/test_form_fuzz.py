"""Hostile input in every form: never a 500, and nothing saved that no form could accept.

Every POST route of the app is found in its URL map and is either fuzzed here
or listed in EXCLUDED with the reason. A fuzzed route's form is read from the
page that shows it, as a browser has it (tests/conftest.py `open_form`), as
the role that uses it. Then:

- the form as shown (plus VALID where the page's defaults are not enough) is
  posted once and must be saved: so the hostile posts below reach the
  services and the database, not only the form's own checks;
- each hostile value goes into every field at once;
- each text, number and date field in turn gets the values hostile to its kind,
  the other fields staying valid.

No answer may be a 500. When a field got a value no form could accept (a
number out of every range, a date outside 1900-2999, 100,000 characters,
control characters, a choice that is not offered), or the answer is not a
redirect, no write may be committed (watched on the engine: every INSERT,
UPDATE and DELETE of a committed transaction). Anything saved is put back
before the next post.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from crmproject import create_app
from crmproject.extensions import db

PASSWORD = "correct-horse-1"  # tests/conftest.py's factories
STRONG_PASSWORD = "quiet-lantern-harbour-71"

LONG = "x" * 100_000
CONTROL = "Sales\x00team\x1b[2J\u202egnirts"
HUGE = ["1e400", "9" * 400, "NaN", "sNaN", "Infinity", "-Infinity"]
HOSTILE_DATES = ["0001-01-01", "9999-12-31", "0000-00-00"]
EVERY_VALUE = ["", "-1", *HUGE, LONG, CONTROL, *HOSTILE_DATES]
# The values each kind of field gets alone, the others valid: what a lax field could pass on to the services and
# the database (every value above has been through every field's own checks already, in the same post)
BY_KIND = {
    "text": [LONG, CONTROL],
    "number": ["1e400", "9" * 400, "NaN", "-1"],
    "date": ["0001-01-01", "9999-12-31"],
}

EXCLUDED = {
    "auth.login": "logging in is not a form that saves anything (tests/auth covers its input)",
    "auth.logout": "a button",
    "auth.language": "a choice among four languages on every page: tests/test_i18n.py posts unknown and hostile ones",
    "adoption.imports": "a file upload: tests/spreadsheets and tests/adoption post hostile files",
    "tasks.import_upload": "a file upload: tests/tasks/test_task_import.py posts hostile files",
    "tasks.import_preview": "the options of an uploaded file, reached only through an upload",
    "tasks.reschedule": "posted by the timeline's script, no form: tests/timeline posts garbled, stale and conflicting dates",
    **{endpoint: "the REST API takes JSON, no form: tests/api/test_hostile_input.py posts hostile values to its every write"
       for endpoint in ("api.KpiValues", "api.ingest_usage_events", "api.not_found")},
    **{endpoint: "a button: nothing to type in" for endpoint in (
        "departments.delete", "plans.delete", "plans.phase_delete", "plans.phase_move", "plans.wave_delete",
        "plans.wave_move", "tasks.delete", "tasks.communication_delete", "kpis.kpi_delete", "kpis.measurement_delete",
        "kpis.target_delete", "teams.role_delete", "teams.remove_assignment", "teams.standard_roles",
        "teams.deliverable_delete", "reports.amend", "training.course_delete", "training.session_delete",
        "training.enrolment_delete", "auth.end_other_sessions", "auth.user_end_sessions", "auth.user_unlock",
        "gates.delete", "gates.criterion_delete", "steering.delete", "steering.rebuild_agenda", "baselines.delete",
        "hypercare.respond", "hypercare.reopen", "hypercare.delete", "business_case.line_delete",
        "maturity.delete",
        "risks.catalogue", "risks.reopen", "risks.delete", "risks.unlink_task",
        "pulse.open_", "pulse.close", "pulse.invite", "pulse.renew", "pulse.delete", "pulse.entered_delete",
        "tokens.revoke_mine", "tokens.revoke_any", "comments.delete",
        "notifications.read", "notifications.read_all",
    )},
    "notifications.unsubscribe_confirm": "an e-mail's stop link: a button, or a mail program's one-click post; "
                                         "tests/notifications posts forged tokens",
}

# URL arguments -> the rollout_world object they name
ARGUMENTS = {
    "plan_id": "plan", "task_id": "task", "kpi_id": "kpi", "report_id": "report", "phase_id": "phase", "wave_id": "wave",
    "role_id": "team_role", "assignment_id": "assignment", "deliverable_id": "deliverable",
    "communication_id": "communication", "course_id": "course", "session_id": "training_session",
    "enrolment_id": "enrolment", "department_id": "department", "measurement_id": "measurement",
    "target_id": "kpi_target", "user_id": "pm", "gate_id": "gate", "criterion_id": "criterion",
    "meeting_id": "meeting", "issue_id": "issue", "line_id": "budget_line", "assessment_id": "assessment",
    "risk_id": "risk", "survey_id": "pulse_survey", "token": "pulse_token",
    "kind": "comment_kind", "object_id": "task", "comment_id": "comment",
}
# Where the form of a POST-only route is shown
PAGES = {
    "auth.user_password": "/admin/users/<user_id>",
    "auth.own_calendar": "/account/password",
    "kpis.measurement_add": "/plans/<plan_id>/kpis/<kpi_id>",
    "kpis.target_add": "/plans/<plan_id>/kpis/<kpi_id>",
    "teams.raci_save": "/plans/<plan_id>/raci",
    "teams.deliverable_add": "/plans/<plan_id>/raci",
    "teams.end_assignment": "/plans/<plan_id>/team",
    "tasks.bulk_status": "/plans/<plan_id>/tasks",
    "training.session_add": "/training/courses/<course_id>",
    "training.enrol_department": "/training/courses/<course_id>",
    "training.enrol": "/training/courses/<course_id>",
    "adoption.excluded_accounts": "/adoption/imports",
    "dashboard.report_start": "/plans/<plan_id>/dashboard",
    "gates.decide": "/plans/<plan_id>/gates/<gate_id>",
    "steering.add_action": "/plans/<plan_id>/meetings/<meeting_id>",
    "baselines.save": "/plans/<plan_id>/baselines/",
    "hypercare.resolve": "/plans/<plan_id>/hypercare/issues/<issue_id>",
    "business_case.currency": "/plans/<plan_id>/costs/",
    "tasks.move": "/plans/<plan_id>/tasks/board",
    "risks.close": "/plans/<plan_id>/risks/<risk_id>",
    "risks.review": "/plans/<plan_id>/risks/<risk_id>",
    "risks.link_task": "/plans/<plan_id>/risks/<risk_id>",
    "comments.post": "/plans/<plan_id>/tasks/<task_id>",
}
QUERIES = {"reports.write": "?department={department}"}
# What a user types into a new object's form before it can be saved (edit forms open valid)
VALID = {
    "/account/password": {"current_password": PASSWORD, "password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD},
    "/account/tokens": {"scopes": "read", "name": "Nightly usage push"},
    "/admin/users/new": {"name": "Nina New", "email": "nina@example.com", "role": "executive", "password": STRONG_PASSWORD},
    "/admin/users/<int:user_id>/password": {"pw-password": STRONG_PASSWORD, "pw-confirm": STRONG_PASSWORD},
    "/departments/new": {"name": "Marketing", "code": "MKT"},
    "/departments/<int:department_id>/adoption": {"active_users": "3"},
    "/plans/new": {"name": "Second rollout", "start_date": "2026-01-01", "end_date": "2026-12-31"},
    "/plans/from-template": {"name": "From a template", "start_date": "2026-03-02"},
    "/plans/modules": {"code": "XSELL", "name": "Cross-selling"},
    "/plans/<int:plan_id>/phases/new": {"name": "Rollout", "start_date": "2026-07-01", "end_date": "2026-12-31"},
    "/plans/<int:plan_id>/waves/new": {"name": "Wave 2", "go_live_date": "2026-09-01"},
    "/plans/<int:plan_id>/team/roles/new": {"title": "Key user"},
    "/plans/<int:plan_id>/team/roles/<int:role_id>/assign": {"person_name": "Kim", "start_date": "2027-01-04"},
    "/plans/<int:plan_id>/team/assignments/<int:assignment_id>/end": {"end_date": "2026-08-31"},
    "/plans/<int:plan_id>/raci": {"cell-{deliverable}-{team_role}": "A"},
    "/plans/<int:plan_id>/raci/deliverables": {"name": "Trained users"},
    "/plans/<int:plan_id>/kpis/new": {"name": "Data quality", "baseline_value": "60", "target_value": "95"},
    "/plans/<int:plan_id>/kpis/<int:kpi_id>/measurements": {"value": "12", "measured_on": "2026-04-01"},
    "/plans/<int:plan_id>/kpis/<int:kpi_id>/targets": {"target_date": "2026-10-31", "value": "60"},
    "/plans/<int:plan_id>/tasks/new": {"title": "Clean the customer data"},
    "/plans/<int:plan_id>/tasks/bulk-status": {"task_ids": "{task}", "status": "done"},
    "/task-categories": {"name": "Supplier onboarding"},
    "/plans/<int:plan_id>/communications": {"audience": "Sales", "message": "Pilot starts", "planned_date": "2026-04-01"},
    "/training/courses/new": {"code": "MA-201", "name": "Marketing automation"},
    "/plans/<int:plan_id>/gates/new": {"name": "Pilot phase done", "target": "phase:{phase}"},
    "/plans/<int:plan_id>/meetings/<int:meeting_id>/actions": {"text": "Retrain Sales", "due_date": "2026-07-01"},
    "/plans/<int:plan_id>/baselines/": {"name": "approved plan"},
    "/plans/<int:plan_id>/hypercare/issues/new": {"department_id": "{department}", "title": "Login fails",
                                                  "reported_at": "2026-07-02T09:30"},
    "/plans/<int:plan_id>/hypercare/issues/<int:issue_id>/resolve": {"resolution": "Rights fixed"},
    "/plans/<int:plan_id>/costs/lines/new": {"name": "Trainers"},
    "/plans/<int:plan_id>/maturity/assessments/new": {"assessors": "Ann Lee\nBo Chen"},
    "/plans/<int:plan_id>/risks/new": {"title": "Vendor insolvency", "likelihood": "2", "impact": "4"},
    "/plans/<int:plan_id>/risks/<int:risk_id>/close": {"note": "Excel switched off"},
    "/plans/<int:plan_id>/risks/<int:risk_id>/review": {"next_review": "2999-01-01"},
    "/plans/<int:plan_id>/risks/<int:risk_id>/tasks": {"task_id": "{task}"},
    "/plans/<int:plan_id>/pulse/surveys/new": {"department_id": "{department}", "title": "Sales before go-live",
                                               "opens_on": "2026-05-01", "closes_on": "2026-05-20"},
    "/plans/<int:plan_id>/pulse/surveys/<int:survey_id>/entered": {
        "respondents": "4", "invited": "6", "awareness": "4", "desire": "4.5", "knowledge": "2.5", "ability": "3",
        "reinforcement": "3"},
    "/pulse/answer/<token>": {"awareness": "4", "desire": "5", "knowledge": "2", "ability": "3", "reinforcement": "3"},
    "/training/courses/<int:course_id>/sessions": {"day": "2026-05-04"},
    "/plans/<int:plan_id>/comments/<kind>/<int:object_id>": {"body": "Ready for the pilot, @pm@example.com?"},
    "/training/courses/<int:course_id>/enrolments": {"employee": "bo@example.com"},
}
# Forms a department head uses in their own way (another form, another scope): fuzzed as the head too
# a save answered with a page of its own rather than a redirect: a new API token's secret, shown once in the POST's
# answer (never carried in the session to a page after a redirect)
SAVED_WITH_A_PAGE = {"tokens.mine"}
AS_HEAD = {"tokens.mine", "departments.edit", "reports.show", "reports.write", "training.enrolment", "adoption.enter",
           "kpis.measurement_add", "tasks.edit", "hypercare.new", "hypercare.edit", "maturity.new",
           "maturity.edit", "maturity.levels", "risks.edit", "risks.close", "risks.review", "risks.link_task",
           "pulse.new", "pulse.edit", "pulse.entered", "pulse.answer", "impact.grid"}
# Bookkeeping a request writes whatever it posts
NOT_COMPARED = {"data_generations", "rate_limit_counters", "login_throttles"}


def _post_rules():
    app = create_app({"TESTING": True, "SECRET_KEY": "fuzz", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted((r for r in app.url_map.iter_rules() if "POST" in r.methods), key=lambda r: (r.rule, r.endpoint))


RULES = _post_rules()
CASES = [pytest.param(rule.rule, rule.endpoint, role, id=f"{rule.rule} as {role}")
         for rule in RULES if rule.endpoint not in EXCLUDED
         for role in ("admin", *(("head",) if rule.endpoint in AS_HEAD else ()))]


def test_every_post_route_is_fuzzed_or_excluded_with_a_reason():
    fuzzed = {rule for rule, _endpoint, _role in (case.values for case in CASES)}
    assert {r.rule for r in RULES} == fuzzed | {r.rule for r in RULES if r.endpoint in EXCLUDED}
    assert set(EXCLUDED) <= {r.endpoint for r in RULES}, "an excluded endpoint no longer exists"
    assert set(VALID) <= fuzzed


# --- the world, its writes watched and put back -----------------------------------------------------

WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


class CommittedWrites:
    """The tables written (INSERT, UPDATE, DELETE) by transactions that were committed, seen on the engine:
    cheaper than reading every table after every post, and blind to nothing the ORM or Core sends."""

    def __init__(self, engine):
        self.engine = engine
        self.pending: dict[int, set[str]] = {}
        self.tables: set[str] = set()
        self._events = (("before_cursor_execute", self._statement), ("commit", self._commit), ("rollback", self._rollback))
        for name, listener in self._events:
            event.listen(engine, name, listener)

    def _statement(self, connection, cursor, statement, parameters, context, executemany):
        if match := WRITE.match(statement):
            self.pending.setdefault(id(connection), set()).add(match.group(1).lower())

    def _commit(self, connection):
        self.tables |= self.pending.pop(id(connection), set()) - NOT_COMPARED

    def _rollback(self, connection):
        self.pending.pop(id(connection), None)

    def take(self) -> set[str]:
        tables, self.tables = self.tables, set()
        return tables

    def close(self) -> None:
        for name, listener in self._events:
            event.remove(self.engine, name, listener)


def _all_tables():
    return [t for t in db.metadata.sorted_tables if t.name != "data_generations"]


def _delete_everything() -> None:
    db.session.rollback()
    for table in reversed(_all_tables()):
        db.session.execute(table.delete())
    db.session.commit()


def _put_back(rows: list) -> None:
    """The world as it was built: every table emptied, its rows inserted again (sequences moved past them)."""
    _delete_everything()
    for table, table_rows in rows:
        db.session.execute(table.insert(), table_rows)
        if db.engine.dialect.name == "postgresql" and "id" in table.c:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), MAX(id)) FROM {table.name}"))
    db.session.commit()


@pytest.fixture(scope="module")
def _world_rows(_app, world_builder):
    """The world is built once; each case gets a fresh copy of its rows (faster than building it each time)."""
    with _app.app_context():
        world = world_builder()
        ids = {name: getattr(obj, "id", obj) for name, obj in world.items()}  # a personal link's token is text
        emails = {name: world[name].email for name in ("admin", "pm", "head")}
        rows = [(t, [dict(r._mapping) for r in db.session.execute(t.select())]) for t in _all_tables()]
        db.session.rollback()
    yield ids, emails, [(table, table_rows) for table, table_rows in rows if table_rows]
    with _app.app_context():
        _delete_everything()
        db.session.remove()


@pytest.fixture
def world(_app, _world_rows):
    ids, emails, rows = _world_rows
    with _app.app_context():
        _put_back(rows)
        writes = CommittedWrites(db.engine)
        yield ids, emails, rows, writes
        writes.close()
        _delete_everything()
        db.session.remove()


# --- what no form could accept ---------------------------------------------------------------------

def _is_tick_box(field) -> bool:
    return field.kind == "checkbox" and field.options == ["y"]


def _refused_by_any_form(field, value: str) -> bool:
    """True when no form could accept `value` in this field, so a post carrying it must save nothing."""
    if field.kind in ("hidden", "password") or _is_tick_box(field):
        return False
    if field.kind in ("select", "checkbox", "radio"):
        return value not in field.options
    if value == "":
        return False
    if field.kind == "date":
        return True  # none of the values here is a date between 1900 and 2999
    if field.kind == "number" or field.inputmode == "decimal":
        return value not in ("-1", "0.00001")
    return len(value) > 10_000 or any(ord(c) < 32 and c not in "\t\n\r" or "\u202a" <= c <= "\u202e" for c in value)


def _kind(field) -> str | None:
    if field.kind in ("text", "textarea", "email"):
        return "number" if field.inputmode == "decimal" else "text"
    if field.kind in ("number", "date"):
        return field.kind
    return None


# --- the test -----------------------------------------------------------------------------------------

def _client(app, email: str):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def _fill(template: str, ids: dict) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: str(ids[ARGUMENTS.get(m.group(1), m.group(1))]), template)


def _form(client, page: str, action: str, forms_in):
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    found = [f for f in forms_in(response.get_data(as_text=True), page) if f.method == "post" and f.action == action]
    assert found, f"{page} shows no form posting to {action}"
    return found[0]


@pytest.mark.parametrize(("rule", "endpoint", "role"), CASES)
def test_hostile_input_never_gives_a_500_nor_saves(_app, world, forms_in, rule, endpoint, role):
    ids, emails, rows, writes = world
    client = _client(_app, emails[role])
    url = _fill(rule, ids) + QUERIES.get(endpoint, "").format(**ids)
    form = _form(client, _fill(PAGES[endpoint], ids) if endpoint in PAGES else url, url, forms_in)
    fields = {name: f for name, f in form.fields.items() if name != "csrf_token"}
    button = dict(form.buttons[:1])  # the first named button (a report's "Save draft")
    baseline = form.data(**{k.format(**ids): v.format(**ids) for k, v in VALID.get(rule, {}).items()})
    writes.take()
    saved = 200 if endpoint in SAVED_WITH_A_PAGE else 302

    def post(data: dict, *, refuse: bool, what: str):
        response = client.post(url, data={**data, **button})
        assert response.status_code < 500, f"{what}: {response.status_code}"
        if written := writes.take():
            assert response.status_code == saved and not refuse, f"{what} wrote {sorted(written)} (answer {response.status_code})"
            _put_back(rows)
            writes.take()
        return response

    # the form as a user fills it in is saved: the posts below get as far as the services
    response = client.post(url, data={**baseline, **button})
    assert response.status_code == saved, f"the valid form was not saved: {_errors(response)}"
    _put_back(rows)
    writes.take()

    refused: dict[str, set[str]] = {}  # value -> the fields that said it was wrong when it was in every field
    for value in EVERY_VALUE:
        response = post({name: value for name in fields}, refuse=any(_refused_by_any_form(fields[name], value) for name in fields),
                        what=f"{value[:20]!r} in every field")
        refused[value] = _marked_invalid(response.get_data(as_text=True)) if response.status_code == 200 else set()
    # a value a field let through goes in alone, the form otherwise valid, so it reaches the services and the database
    for name, field in fields.items():
        for value in BY_KIND.get(_kind(field), []):
            if name not in refused[value]:
                post({**baseline, name: value}, refuse=_refused_by_any_form(field, value), what=f"{value[:20]!r} in {name}")


def _marked_invalid(html: str) -> set[str]:
    """The fields a re-shown form marks aria-invalid (the field macro does, next to the field's message)."""
    marked = set()
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'aria-invalid="true"' in tag and (name := re.search(r'\bname="([^"]*)"', tag)):
            marked.add(name.group(1))
    return marked


def _errors(response) -> str:
    html = response.get_data(as_text=True)
    return f"{response.status_code} " + " | ".join(re.findall(r'class="(?:error|form-errors)[^"]*"[^>]*>(.*?)</', html, re.S))[:2000]
