"""Key actions: the events that show real work (a record updated, a call logged, a report run), with defaults
for each CRM's exports, a mapping a project manager edits, and the counts per department and week."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from crmproject.adoption.key_actions import (
    Rule, default_rules, key_action_condition, parse_rules, plan_rules, recompute_key_actions, weekly_key_actions,
)
from crmproject.adoption.models import KeyActionWeek, UsageEvent
from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans.services import add_wave
from crmproject.roster.models import Employee, username_key

MONDAY = date(2026, 9, 7)

KEY = [  # (action, object): key actions under the defaults
    ("LightningInteraction", "/lightning/r/Opportunity/0065g00000ABCDE/view"),  # Salesforce EventLogFile
    ("URI", "/lightning/r/Case/5005g00000XYZ/edit"),
    ("API", "Account"),
    ("Report", "00O5g000004Qabc"),
    ("Update", "opportunity"),  # Dynamics 365 audit
    ("Create", "incident"),
    ("create", "PhoneCall"),
    ("Edited", "Deals"),  # Zoho CRM audit log
    ("Added", "Calls"),
    ("Update Opportunity", ""),  # generic exports
    ("Log call", ""),
    ("Log a call", "Account 42"),
    ("Closed Won", ""),
    ("Case closed", ""),
    ("Create contact", "Record 7"),
]
NOT_KEY = [
    ("Login", ""), ("Logout", ""), ("LightningPageView", "/lightning/r/Opportunity/0065g00000ABCDE/view"),
    ("LightningInteraction", "/lightning/page/home"), ("Update", "systemuser"), ("Delete", "opportunity"),
    ("Edit", "Settings"), ("View account", ""), ("Log in", ""), ("Report export", ""), ("Update", ""),
    ("ApexExecution", "Opportunity"), ("Wonder", ""),
]


def _employee(name: str, department) -> Employee:
    person = Employee(name=name, crm_username=name, crm_username_key=username_key(name), department=department)
    db.session.add(person)
    db.session.flush()
    return person


def _event(person: Employee, on: date, action: str, obj: str = "", *, minute: int = 0) -> UsageEvent:
    event = UsageEvent(username_key=person.crm_username_key, employee_id=person.id, department_id=person.department_id,
                       occurred_at=datetime.combine(on, time(9, minute), tzinfo=UTC), day=on, action=action,
                       object=obj, is_login=action == "Login")
    db.session.add(event)
    return event


def test_the_defaults_know_each_crms_key_actions_and_leave_the_rest(app, make_department):
    person = _employee("ann", make_department())
    events = {(a, o): _event(person, MONDAY, a, o, minute=n) for n, (a, o) in enumerate(KEY + NOT_KEY)}
    db.session.flush()
    matched = set(db.session.scalars(select(UsageEvent.id).where(key_action_condition(default_rules()))))
    assert {pair for pair, e in events.items() if e.id in matched} == set(KEY)


def test_a_pattern_is_whole_text_with_stars_and_alternatives_case_ignored(app, make_department):
    person = _employee("ann", make_department())
    texts = ["Update", "update opportunity", "Opportunity updated", "100%_done", "UPDATE"]
    events = {t: _event(person, MONDAY, t, minute=n) for n, t in enumerate(texts)}
    db.session.flush()

    def matching(rules: list[Rule]) -> set[str]:
        ids = set(db.session.scalars(select(UsageEvent.id).where(key_action_condition(rules))))
        return {t for t, e in events.items() if e.id in ids}

    assert matching([Rule("update")]) == {"Update", "UPDATE"}
    assert matching([Rule("Update *, * updated")]) == {"update opportunity", "Opportunity updated"}
    assert matching([Rule("100%_done")]) == {"100%_done"}  # % and _ are plain characters, not SQL wildcards
    assert matching([Rule("100_%done")]) == set()
    assert matching([Rule("*", "x")]) == set()  # an object pattern must match too


@pytest.fixture
def sales(make_department, make_plan):
    sales = make_department(name="Sales", code="SALES", licensed_seats=4)
    plan = make_plan(start=date(2026, 1, 1), end=date(2027, 12, 31))
    add_wave(plan, name="Pilot", go_live=date(2026, 8, 3), departments=[sales])
    people = [_employee(name, sales) for name in ("ann", "bo", "cy")]
    ann, bo, cy = people
    # week of 7 September: all three log in, two of them do key actions (three in all)
    for person in people:
        _event(person, MONDAY, "Login")
    _event(ann, MONDAY, "Update Opportunity", minute=5)
    _event(ann, MONDAY + timedelta(days=2), "Log call", minute=5)
    _event(bo, MONDAY + timedelta(days=6), "LightningInteraction", "/lightning/r/Case/500/view", minute=5)
    # week of 14 September: people log in and look, nobody updates a record
    for person in people:
        _event(person, MONDAY + timedelta(days=7), "Login")
        _event(person, MONDAY + timedelta(days=8), "View account", minute=3)
    db.session.commit()
    return {"sales": sales, "plan": plan, "ann": ann, "bo": bo, "cy": cy}


def _weeks(sales) -> dict[date, tuple[int, int, int, int]]:
    found = weekly_key_actions(sales["plan"].id, [sales["sales"].id], first=date(2026, 1, 1), last=date(2026, 12, 31))
    return {w.week: (w.key_actions, w.people, w.active_people, w.seats) for w in found.get(sales["sales"].id, [])}


def test_key_actions_are_counted_per_department_and_week(sales):
    recompute_key_actions(MONDAY, MONDAY + timedelta(days=8))
    db.session.commit()
    assert _weeks(sales) == {MONDAY: (3, 2, 3, 4), MONDAY + timedelta(days=7): (0, 0, 3, 4)}
    figures = weekly_key_actions(sales["plan"].id, [sales["sales"].id], first=MONDAY, last=MONDAY + timedelta(days=7))
    first, second = figures[sales["sales"].id]
    assert first.percent == 50.0 and not first.logs_in_only
    assert second.percent == 0.0 and second.logs_in_only

    # counting again changes nothing; a range inside a week counts the whole week again
    recompute_key_actions(MONDAY + timedelta(days=2), MONDAY + timedelta(days=2))
    db.session.commit()
    assert _weeks(sales) == {MONDAY: (3, 2, 3, 4), MONDAY + timedelta(days=7): (0, 0, 3, 4)}
    assert db.session.scalar(select(KeyActionWeek.id).where(KeyActionWeek.week < 0)) is None


def test_an_edited_mapping_counts_again_at_once(sales, make_user, login, client):
    recompute_key_actions(MONDAY, MONDAY + timedelta(days=13))
    db.session.commit()
    login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{sales['plan'].id}/adoption/key-actions"
    page = client.get(url).get_data(as_text=True)
    assert "LightningInteraction, URI, API, RestApi | *Opportunity*" in page and 'name="version" type="hidden" value="0"' in page

    # viewing an account is the key action now: the second week's three people count, the first week's none
    response = client.post(url, data={"rules_text": "# looking counts here\nView *\n", "version": "0", "submit": "1"})
    assert response.status_code == 302
    assert plan_rules(sales["plan"].id) == [Rule("View *")]
    assert _weeks(sales) == {MONDAY: (0, 0, 3, 4), MONDAY + timedelta(days=7): (3, 3, 3, 4)}

    # the defaults back, with one press
    response = client.post(url, data={"rules_text": "View *", "version": "1", "restore": "1"})
    assert response.status_code == 302
    assert plan_rules(sales["plan"].id) == default_rules()
    assert _weeks(sales)[MONDAY] == (3, 2, 3, 4)


def test_a_wrong_mapping_is_refused_line_by_line_and_nothing_is_saved(sales, make_user, login, client):
    login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{sales['plan'].id}/adoption/key-actions"
    long = "x" * 301
    response = client.post(url, data={"rules_text": f"Update *\n | Opportunity\nA | B | C\n{long}", "version": "0",
                                      "submit": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Line 2 has no action pattern" in html and "Line 3: one | only" in html and "Line 4: a pattern can be at most" in html
    assert plan_rules(sales["plan"].id) == default_rules()
    assert "Give at least one rule" in client.post(url, data={"rules_text": "\n# only a note\n", "version": "0",
                                                              "submit": "1"}).get_data(as_text=True)
    with pytest.raises(ValidationFailed):
        parse_rules("\n".join(f"Action {n}" for n in range(101)))


def test_a_stale_mapping_is_refused_with_what_changed(sales, make_user, login, client):
    login(make_user(Role.PROJECT_MANAGER))
    url = f"/plans/{sales['plan'].id}/adoption/key-actions"
    assert client.post(url, data={"rules_text": "Update *", "version": "0", "submit": "1"}).status_code == 302
    response = client.post(url, data={"rules_text": "Edit *", "version": "0", "submit": "1"})  # opened before that save
    assert response.status_code == 409
    assert plan_rules(sales["plan"].id) == [Rule("Update *")]


def test_only_planners_edit_the_key_actions(sales, make_user, login, client):
    login(make_user(Role.DEPARTMENT_HEAD, department=sales["sales"]))
    url = f"/plans/{sales['plan'].id}/adoption/key-actions"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"rules_text": "View *", "version": "0", "submit": "1"}).status_code == 403
    assert plan_rules(sales["plan"].id) == default_rules()


def test_the_plan_adoption_page_links_the_mapping_and_the_people(sales, make_user, login, client):
    login(make_user(Role.PROJECT_MANAGER))
    html = client.get(f"/plans/{sales['plan'].id}/adoption").get_data(as_text=True)
    assert f'href="/plans/{sales["plan"].id}/adoption/key-actions"' in html
    assert f'href="/departments/{sales["sales"].id}/adoption/people"' in html
    assert re.search(r"key action", html, re.I)


def test_a_usage_import_counts_its_key_actions(make_department, make_plan):
    from crmproject.adoption.usage import import_usage

    sales = make_department(name="Sales", code="SALES", licensed_seats=4)
    plan = make_plan(start=date(2026, 1, 1), end=date(2027, 12, 31))
    add_wave(plan, name="Pilot", go_live=date(2026, 8, 3), departments=[sales])
    for name in ("ann", "bo"):
        _employee(name, sales)
    db.session.commit()
    export = (b"user,time,action\n"
              b"ann,2026-09-07 09:00:00,Login\nann,2026-09-07 09:05:00,Update Opportunity\n"
              b"bo,2026-09-08 10:00:00,Login\nbo,2026-09-08 10:05:00,View account\n")
    import_usage(export, "usage.csv", timezone="UTC")
    # no recount by hand: the import's own recompute counted the week
    assert _weeks({"plan": plan, "sales": sales}) == {MONDAY: (1, 1, 2, 4)}
