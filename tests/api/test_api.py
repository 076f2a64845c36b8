"""The REST API: tokens, the permissions of the pages, problems, version checks, the usage ingest, OpenAPI."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from crmproject.adoption.models import UsageEvent
from crmproject import create_app
from crmproject.api.models import ApiToken, TokenScope
from crmproject.api.services import create_token, revoke
from crmproject.auth.models import Role
from crmproject.db import utcnow
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement
from crmproject.plans.services import add_wave
from crmproject.ratelimit import RateLimitCounter
from crmproject.reports import services as reports
from crmproject.roster.models import Employee, username_key
from crmproject.tasks import services as tasks

READ, WRITE, INGEST = TokenScope.READ, TokenScope.WRITE, TokenScope.INGEST


def bearer(user, *scopes, days: int = 30) -> dict:
    issued = create_token(user, scopes=scopes or (READ,), days=days)
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.fixture
def world(make_plan, make_user, make_department):
    sales, service = make_department("Sales", "SALES"), make_department("Service", "SERVICE")
    plan = make_plan(start=date(2026, 1, 1), end=date(2099, 12, 31))
    add_wave(plan, name="Pilot", go_live=date(2026, 6, 1), departments=[sales, service])
    category = tasks.ensure_categories()[0]
    task_sales = tasks.create_task(plan, title="Train Sales", category=category, actor=None, department=sales)
    task_service = tasks.create_task(plan, title="Train Service", category=category, actor=None, department=service)
    period = reports.period_for(plan, reports.plan_today(plan))
    draft_service = reports.start_report(plan, service, period, author=None)
    kpi = kpis.create_kpi(plan, kpis.KpiValues(name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER,
                                               baseline_value=Decimal(0), baseline_date=date(2026, 1, 1),
                                               target_value=Decimal(80), target_date=date(2027, 6, 30)))
    db.session.commit()
    return {
        "plan": plan, "sales": sales, "service": service, "task_sales": task_sales, "task_service": task_service,
        "draft_service": draft_service, "kpi": kpi, "period": period,
        "pm": make_user(Role.PROJECT_MANAGER, email="pm@example.com"), "admin": make_user(Role.ADMIN),
        "head_sales": make_user(Role.DEPARTMENT_HEAD, department=sales),
        "head_service": make_user(Role.DEPARTMENT_HEAD, department=service),
        "executive": make_user(Role.EXECUTIVE),
    }


# --- tokens ----------------------------------------------------------------------------------------------------------


def test_cli_token_reads_plans_and_is_stored_hashed(world, runner, client):
    result = runner("tokens", "create", "--user", "pm@example.com", "--scope", "read")
    assert result.exit_code == 0, result.output
    secret = result.output.splitlines()[0].strip()
    assert secret.startswith("crmp_") and len(secret) > 40
    response = client.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert [p["name"] for p in response.get_json()] == ["CRM rollout"]
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.prefix, token.token_hash, token.name} and secret.startswith(token.prefix)
    assert token.last_used_at is not None
    # revoked by its prefix from the command line: refused from then on
    assert runner("tokens", "revoke", token.prefix).exit_code == 0
    is_problem(client.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"}), 401)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer crmp_not-a-token", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500])
def test_no_or_a_bad_token_is_401(world, client, header):
    body = is_problem(client.get("/api/v1/plans", headers={"Authorization": header} if header else {}), 401)
    assert "token" in body["detail"]


def test_a_session_cookie_is_no_token(world, client, login):
    login(world["pm"])
    response = client.get("/api/v1/plans")
    is_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_and_revoked_tokens_are_refused(world, client):
    expired = create_token(world["pm"], scopes=[READ], days=1, now=utcnow() - timedelta(days=2))
    revoked = create_token(world["pm"], scopes=[READ])
    revoke(revoked.token, by=world["admin"])
    db.session.commit()
    for issued in (expired, revoked):
        is_problem(client.get("/api/v1/plans", headers={"Authorization": f"Bearer {issued.secret}"}), 401)


def test_a_deactivated_users_token_stops(world, client):
    headers = bearer(world["pm"])
    world["pm"].active = False
    db.session.commit()
    is_problem(client.get("/api/v1/plans", headers=headers), 401)


def test_scopes(world, client):
    read_only = bearer(world["pm"], READ)
    task = world["task_sales"]
    url = f"/api/v1/plans/{world['plan'].id}/tasks/{task.id}"
    assert "write" in is_problem(client.patch(url, json={"version": 1, "title": "X"}, headers=read_only), 403)["detail"]
    write_only = bearer(world["pm"], WRITE)
    is_problem(client.get("/api/v1/plans", headers=write_only), 403)
    is_problem(client.post("/api/v1/usage/events", json={"events": []}, headers=bearer(world["admin"], READ, WRITE)), 403)


# --- reads, with the pages' permissions ------------------------------------------------------------------------------


def test_reads(world, client):
    headers = bearer(world["executive"])
    plan_id = world["plan"].id
    assert client.get(f"/api/v1/plans/{plan_id}", headers=headers).get_json()["name"] == "CRM rollout"
    assert client.get(f"/api/v1/plans/{plan_id}/phases", headers=headers).get_json() == []
    waves = client.get(f"/api/v1/plans/{plan_id}/waves", headers=headers).get_json()
    assert waves[0]["name"] == "Pilot" and waves[0]["department_ids"] == sorted([world["sales"].id, world["service"].id])
    assert {d["code"] for d in client.get("/api/v1/departments", headers=headers).get_json()} == {"SALES", "SERVICE"}
    assert client.get(f"/api/v1/departments/{world['sales'].id}", headers=headers).get_json()["name"] == "Sales"
    assert client.get(f"/api/v1/plans/{plan_id}/team", headers=headers).status_code == 200
    assert [k["name"] for k in client.get(f"/api/v1/plans/{plan_id}/kpis", headers=headers).get_json()] == ["Adoption"]
    assert client.get("/api/v1/training/courses", headers=headers).get_json() == []
    assert client.get("/api/v1/training/completion", headers=headers).get_json() == []
    adoption = client.get(f"/api/v1/departments/{world['sales'].id}/adoption?from=2026-01-01&to=2026-02-01", headers=headers)
    assert adoption.status_code == 200 and adoption.get_json() == []
    listed = client.get(f"/api/v1/plans/{plan_id}/tasks", headers=headers)
    assert {t["title"] for t in listed.get_json()} == {"Train Sales", "Train Service"} and listed.headers["X-Total-Count"] == "2"


def test_a_head_reads_what_their_pages_show(world, client):
    headers = bearer(world["head_sales"])
    plan_id = world["plan"].id
    assert [t["title"] for t in client.get(f"/api/v1/plans/{plan_id}/tasks", headers=headers).get_json()] == ["Train Sales"]
    is_problem(client.get(f"/api/v1/plans/{plan_id}/tasks/{world['task_service'].id}", headers=headers), 403)
    # another department's draft: neither listed nor readable
    draft = world["draft_service"]
    assert client.get(f"/api/v1/plans/{plan_id}/status-reports", headers=headers).get_json() == []
    is_problem(client.get(f"/api/v1/plans/{plan_id}/status-reports/{draft.id}", headers=headers), 403)
    own = bearer(world["head_service"])
    assert client.get(f"/api/v1/plans/{plan_id}/status-reports/{draft.id}", headers=own).get_json()["status"] == "draft"
    assert [r["id"] for r in client.get(f"/api/v1/plans/{plan_id}/status-reports", headers=own).get_json()] == [draft.id]


def test_not_found_is_a_problem(world, client):
    headers = bearer(world["pm"])
    is_problem(client.get("/api/v1/plans/99999", headers=headers), 404)
    is_problem(client.get(f"/api/v1/plans/{world['plan'].id}/tasks/99999", headers=headers), 404)
    is_problem(client.get("/api/v1/no-such-thing", headers=headers), 404)
    is_problem(client.get("/api/v1/plans/99999999999999999999999", headers=headers), 404)  # past a 64-bit id
    assert client.get("/plans/99999999999999999999999").mimetype == "text/html"  # the pages keep theirs


def test_bad_query_names_the_field(world, client):
    headers = bearer(world["pm"])
    body = is_problem(client.get(f"/api/v1/plans/{world['plan'].id}/tasks?per_page=0", headers=headers), 422)
    assert body["errors"][0]["field"] == "per_page" and body["errors"][0]["in"] == "query"
    body = is_problem(client.get(f"/api/v1/departments/{world['sales'].id}/adoption?from=2026-01-01", headers=headers), 422)
    assert [e["field"] for e in body["errors"]] == ["to"]


# --- writes --------------------------------------------------------------------------------------------------------------


def test_task_patch_with_the_version_check(world, client):
    headers = bearer(world["head_sales"], READ, WRITE)
    url = f"/api/v1/plans/{world['plan'].id}/tasks/{world['task_sales'].id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    changed = client.patch(url, json={"status": "in_progress"}, headers={**headers, "If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["status"] == "in_progress"
    assert changed.get_json()["version"] == 2 and changed.headers["ETag"] == '"2"'
    # a change based on the old version is refused, and changes nothing
    stale = is_problem(client.patch(url, json={"version": 1, "title": "Lost"}, headers=headers), 409)
    assert stale["errors"]
    assert client.get(url, headers=headers).get_json()["title"] == "Train Sales"
    # no version at all: 422 naming it
    assert is_problem(client.patch(url, json={"title": "X"}, headers=headers), 422)["errors"][0]["field"] == "version"
    # bad fields are named
    body = is_problem(client.patch(url, json={"version": 2, "status": "nonsense", "due_date": "soon"}, headers=headers), 422)
    assert {e["field"] for e in body["errors"]} == {"status", "due_date"}
    body = is_problem(client.patch(url, json={"version": 2, "owner_id": 99999}, headers=headers), 422)
    assert body["errors"][0]["field"] == "owner_id"
    # a head keeps the task in their department, and cannot touch another department's
    body = is_problem(client.patch(url, json={"version": 2, "department_id": world["service"].id}, headers=headers), 422)
    assert body["errors"][0]["field"] == "department_id"
    other = f"/api/v1/plans/{world['plan'].id}/tasks/{world['task_service'].id}"
    is_problem(client.patch(other, json={"version": 1, "title": "Mine now"}, headers=headers), 403)
    # an executive's write token still cannot write: the pages' rules apply
    is_problem(client.patch(url, json={"version": 2, "title": "X"}, headers=bearer(world["executive"], READ, WRITE)), 403)
    assert [c.field for c in world["task_sales"].history if c.version == 2] == ["status"]


def test_kpi_values(world, client):
    url = f"/api/v1/plans/{world['plan'].id}/kpis/{world['kpi'].id}/values"
    head = bearer(world["head_sales"], READ, WRITE)
    created = client.post(url, json={"department_id": world["sales"].id, "measured_on": "2026-03-01", "value": "42.5"},
                          headers=head)
    assert created.status_code == 201 and created.get_json()["value"] == "42.5000"
    is_problem(client.post(url, json={"department_id": world["service"].id, "measured_on": "2026-03-01", "value": "1"},
                           headers=head), 403)
    body = is_problem(client.post(url, json={"department_id": world["sales"].id, "measured_on": "2020-01-01", "value": "1"},
                                  headers=head), 422)
    assert body["errors"][0]["field"] == "measured_on"
    body = is_problem(client.post(url, json={"measured_on": "2026-03-01", "value": "1e20"}, headers=head), 422)
    assert body["errors"][0]["field"] == "value"
    values = client.get(url, headers=head).get_json()
    assert [(v["measured_on"], v["value"]) for v in values] == [("2026-03-01", "42.5000")]
    assert db.session.scalar(select(func.count()).select_from(KpiMeasurement)) == 1


def test_status_report_write(world, client):
    url = f"/api/v1/plans/{world['plan'].id}/status-reports"
    head = bearer(world["head_sales"], READ, WRITE)
    draft = client.put(url, json={"department_id": world["sales"].id, "achievements": "Pilot trained"}, headers=head)
    assert draft.status_code == 200 and draft.get_json()["status"] == "draft"
    version = draft.get_json()["version"]
    body = is_problem(client.put(url, json={"department_id": world["sales"].id, "action": "submit", "version": version},
                                 headers=head), 422)
    assert {"overall_rag", "achievements", "next_steps"} <= {e["field"] for e in body["errors"]}
    is_problem(client.put(url, json={"department_id": world["sales"].id, "version": version + 5}, headers=head), 409)
    submitted = client.put(url, json={"department_id": world["sales"].id, "action": "submit", "version": version,
                                      "overall_rag": "green", "achievements": "Done", "next_steps": "Wave 2",
                                      "values": {str(world["kpi"].id): "12"}}, headers=head)
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "submitted"
    is_problem(client.put(url, json={"department_id": world["service"].id}, headers=head), 403)


# --- usage ingest ---------------------------------------------------------------------------------------------------------


def test_a_usage_batch_counts_once_however_often_it_is_sent(world, client):
    db.session.add(Employee(name="Ann", crm_username="ann.sales", crm_username_key=username_key("ann.sales"),
                            department=world["sales"]))
    db.session.commit()
    headers = bearer(world["admin"], INGEST)
    batch = {"events": [
        {"user": "ann.sales", "time": "2026-03-02T09:15:00+03:00", "action": "LightningPageView", "object": "Opportunity"},
        {"user": "ann.sales", "time": "2026-03-02T10:00:00Z", "action": "Login"},
        {"user": "stranger", "time": "2026-03-02T10:00:00Z", "action": "Report"},
    ]}
    first = client.post("/api/v1/usage/events", json=batch, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["events_added"] == 3 and first.get_json()["unknown_users"] == {"stranger": 1}
    for _ in range(2):
        again = client.post("/api/v1/usage/events", json=batch, headers=headers)
        assert again.status_code == 200 and again.get_json()["events_added"] == 0
        assert again.get_json()["duplicates"] == 3
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 3
    known = db.session.scalars(select(UsageEvent).where(UsageEvent.department_id == world["sales"].id)).all()
    assert len(known) == 2


def test_usage_batch_limits_and_rights(world, client, app):
    headers = bearer(world["admin"], INGEST)
    event = {"user": "ann", "time": "2026-03-02T09:15:00+00:00"}
    app.config["API_USAGE_BATCH_MAX"] = 2
    try:
        is_problem(client.post("/api/v1/usage/events", json={"events": [event] * 3}, headers=headers), 413)
    finally:
        app.config["API_USAGE_BATCH_MAX"] = 5000
    body = is_problem(client.post("/api/v1/usage/events", json={"events": [{"user": "ann", "time": "2026-03-02T09:15"}]},
                                  headers=headers), 422)
    assert body["errors"][0]["field"] == "events.0.time"
    body = is_problem(client.post("/api/v1/usage/events", json={"events": [{"time": "2026-03-02T09:15:00Z"}]},
                                  headers=headers), 422)
    assert body["errors"][0]["field"] == "events.0.user"
    is_problem(client.post("/api/v1/usage/events", data="not json", headers=headers), 422)
    # the usage import page is an administrator's: so is the ingest
    is_problem(client.post("/api/v1/usage/events", json={"events": [event]}, headers=bearer(world["pm"], INGEST)), 403)
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 0


# --- the description, and the rate limit ------------------------------------------------------------------------------------


def test_openapi_document_is_valid_and_public(world, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.") and "/api/v1/usage/events" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    docs = page.get_data(as_text=True)
    assert 'src="/static/vendor/redoc/redoc.standalone.js"' in docs and "//cdn" not in docs
    # ReDoc's search worker (a blob) is allowed on its page, nothing from elsewhere
    assert "worker-src 'self' blob:" in page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    with client.get("/static/vendor/redoc/redoc.standalone.js") as bundle:  # closes the file sent
        assert bundle.status_code == 200


def test_rate_limited_per_token(world, client, app):
    create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})  # another app: no limit twice
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        headers, other = bearer(world["pm"]), bearer(world["executive"])
        for _ in range(3):
            assert client.get("/api/v1/plans", headers=headers).status_code == 200
        body = is_problem(client.get("/api/v1/plans", headers=headers), 429)
        assert body["detail"]
        assert client.get("/api/v1/plans", headers=other).status_code == 200
        # no token, or no token at all in the header: counted per client address, however the header varies
        answers = [client.get("/api/v1/plans", headers={"Authorization": f"Bearer guess-{n}"}).status_code
                   for n in range(4)]
        assert answers == [401, 401, 401, 429]
    finally:
        app.config["API_RATE_LIMIT"] = "600 per minute"


def test_made_up_tokens_are_counted_per_address(world, client, app):
    """A new made-up `crmp_` token on every request is no way around the limit, and leaves no counter each."""
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        counters = select(func.count()).select_from(RateLimitCounter)
        before = db.session.scalar(counters)
        answers = [client.get("/api/v1/plans", headers={"Authorization": f"Bearer crmp_{secrets.token_urlsafe(32)}"})
                   .status_code for _ in range(20)]
        assert answers == [401] * 3 + [429] * 17
        assert db.session.scalar(counters) - before <= 1
        # the address's limit is spent: a real token still has its own
        assert client.get("/api/v1/plans", headers=bearer(world["pm"])).status_code == 200
    finally:
        app.config["API_RATE_LIMIT"] = "600 per minute"


def test_the_scheme_is_case_insensitive(world, client, app):
    """`bearer` or `BEARER` (RFC 7235): the token opens the API and is counted as itself, not as its address."""
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        secret = bearer(world["pm"])["Authorization"].removeprefix("Bearer ")
        for scheme in ("bearer", "BEARER", "bEaReR"):
            assert client.get("/api/v1/plans", headers={"Authorization": f"{scheme} {secret}"}).status_code == 200
        is_problem(client.get("/api/v1/plans", headers={"Authorization": f"bearer {secret}"}), 429)
        # the address's own counter was not spent by that token
        assert client.get("/api/v1/plans").status_code == 401
    finally:
        app.config["API_RATE_LIMIT"] = "600 per minute"


def test_validation_messages_are_in_the_readers_language(world, client):
    """Marshmallow's own messages ("Not a valid integer.") come back in the token user's language, as the API's own do."""
    head = world["head_sales"]
    head.language = "ru"
    headers = bearer(head, READ, WRITE)
    url = f"/api/v1/plans/{world['plan'].id}/tasks/{world['task_sales'].id}"
    body = is_problem(client.patch(url, json={"version": "two", "due_date": "soon", "colour": "red"}, headers=headers), 422)
    details = {e["field"]: e["detail"] for e in body["errors"]}
    assert details == {"version": "Значение должно быть целым числом.",
                       "due_date": "Значение должно быть датой (ГГГГ-ММ-ДД).",
                       "colour": "Такого поля нет."}
    # a message with a value keeps the value
    head.language = "en"
    db.session.commit()
    body = is_problem(client.get(f"/api/v1/plans/{world['plan'].id}/tasks?per_page=0", headers=headers), 422)
    assert body["errors"][0]["detail"].startswith("Must be between 1 and ")
