"""Hostile JSON to every API write: never a 500, always a problem, and nothing saved from what no page accepts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crmproject.adoption.models import UsageEvent
from crmproject.api.models import TokenScope
from crmproject.api.services import create_token
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement
from crmproject.plans.services import add_wave
from crmproject.reports.models import StatusReport
from crmproject.tasks import services as tasks

HOSTILE = ["", None, -1, 0, 2**70, "9" * 400, 1e308, "NaN", "Infinity", "x" * 100_000, "Sales\x00\u202e", [], {}, True,
           "0001-01-01", "9999-12-31", "2026-02-30", "2026-03-01T25:00:00Z"]


@pytest.fixture
def setup(make_plan, make_user, make_department):
    sales = make_department("Sales", "SALES")
    plan = make_plan(start=date(2026, 1, 1), end=date(2099, 12, 31))
    add_wave(plan, name="Pilot", go_live=date(2026, 6, 1), departments=[sales])
    task = tasks.create_task(plan, title="Train Sales", category=tasks.ensure_categories()[0], actor=None, department=sales)
    kpi = kpis.create_kpi(plan, kpis.KpiValues(name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER,
                                               baseline_value=Decimal(0), baseline_date=date(2026, 1, 1),
                                               target_value=Decimal(80), target_date=date(2027, 6, 30)))
    admin = make_user(Role.ADMIN)
    issued = create_token(admin, scopes=list(TokenScope))
    db.session.commit()
    base = {
        f"/api/v1/plans/{plan.id}/tasks/{task.id}": ("PATCH", {"version": 1, "title": "T", "status": "done",
                                                          "due_date": "2026-05-01", "owner_id": admin.id,
                                                          "department_id": sales.id, "phase_id": None}),
        f"/api/v1/plans/{plan.id}/kpis/{kpi.id}/values": ("POST", {"department_id": sales.id, "measured_on": "2026-03-01",
                                                                "value": "5", "note": ""}),
        f"/api/v1/plans/{plan.id}/status-reports": ("PUT", {"department_id": sales.id, "period": "2026-03-15",
                                                           "achievements": "A", "overall_rag": "green",
                                                           "values": {str(kpi.id): "3"}}),
        "/api/v1/usage/events": ("POST", {"events": [{"user": "ann", "user_id": "1", "time": "2026-03-02T09:00:00Z",
                                                      "action": "Login", "object": "Account"}]}),
    }
    return base, {"Authorization": f"Bearer {issued.secret}"}


def test_hostile_values_in_every_field(setup, client):
    writes, headers = setup
    for url, (method, valid) in writes.items():
        fields = list(valid) + (["events.0." + k for k in valid["events"][0]] if "events" in valid else [])
        for name in fields:
            for value in HOSTILE:
                body = {**valid, "events": [dict(valid["events"][0])]} if "events" in valid else dict(valid)
                if name.startswith("events.0."):
                    body["events"][0][name.removeprefix("events.0.")] = value
                else:
                    body[name] = value
                response = client.open(url, method=method, json=body, headers=headers)
                assert response.status_code < 500, (url, name, repr(value)[:40], response.get_data(as_text=True)[:300])
                if response.status_code >= 400:
                    assert response.mimetype == "application/problem+json", (url, name)
        for raw in ("", "{", "[]", "null", '"text"', "1" * 1000):
            response = client.open(url, method=method, data=raw, headers={**headers, "Content-Type": "application/json"})
            assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json", (url, raw[:20])


# Marks a person does not type, which the forms refuse: a right-to-left override (text shown reversed), an escape
# (a terminal's colours, a spreadsheet's surprise), a NUL (PostgreSQL cannot store it: a 500 there).
UNTYPED = ["invoice\u202egpj.exe", "\x1b[31mred", "before\x00after"]
FREE_TEXT = {"tasks/": ["title", "description"], "/status-reports": ["achievements", "blockers", "next_steps", "help_needed"],
             "/values": ["note"], "/usage/events": ["events.0.user", "events.0.user_id", "events.0.action", "events.0.object"]}


def test_control_characters_refused_in_every_free_text_field(setup, client):
    writes, headers = setup
    for url, (method, valid) in writes.items():
        fields = next(names for end, names in FREE_TEXT.items() if end in url)
        for name in fields:
            for text in UNTYPED:
                body = {**valid, "events": [dict(valid["events"][0])]} if "events" in valid else dict(valid)
                if name.startswith("events.0."):
                    body["events"][0][name.removeprefix("events.0.")] = text
                else:
                    body[name] = text
                response = client.open(url, method=method, json=body, headers=headers)
                assert response.status_code == 422, (url, name, repr(text), response.get_data(as_text=True)[:300])
                assert response.mimetype == "application/problem+json"
                assert [e["field"] for e in response.get_json()["errors"]] == [name], (url, name)
    # nothing was saved: the task as it was, no report, no KPI value, no usage event
    task_url = next(url for url in writes if "/tasks/" in url)
    task = client.get(task_url, headers=headers).get_json()
    assert (task["title"], task["description"], task["version"]) == ("Train Sales", "", 1)
    for model in (StatusReport, KpiMeasurement, UsageEvent):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def test_hostile_queries(setup, client):
    writes, headers = setup
    plan_url = next(url for url in writes if url.endswith("/status-reports"))
    for value in ("0001-01-01", "9999-12-31", "2026-02-30", "x" * 5000, "-1", "99999999999999999999", "", "\x00"):
        for url in (f"{plan_url}?period={value}", f"{plan_url.replace('status-reports', 'tasks')}?page={value}",
                    f"{plan_url.replace('status-reports', 'tasks')}?department_id={value}&status={value}",
                    f"/api/v1/departments/1/adoption?from={value}&to={value}", f"/api/v1/departments/1/adoption?from=0001-01-01&to={value}",
                    f"/api/v1/training/completion?mandatory_only={value}"):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url[:120], response.get_data(as_text=True)[:300])
