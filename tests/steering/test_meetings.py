"""Steering committee meetings: the agenda built from the plan's figures, attendees from the leadership group,
action items followed as change tasks, and the pack as a page and a workbook."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crmproject.auth.models import Role
from crmproject.demo.services import demo_plan
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.gates.services import list_gates
from crmproject.steering import services
from crmproject.steering.models import SteeringMeeting
from crmproject.tasks.models import ChangeTask

TODAY = date.today()  # pages build agendas on the plan's today; the demo is built around it


@pytest.fixture
def demo(load_demo_copy):
    load_demo_copy(today=TODAY)
    return demo_plan()


def _texts(agenda: dict, section: str) -> list[str]:
    return [item["text"] for item in agenda["sections"][section]]


def test_the_agenda_is_built_from_the_plans_figures(demo):
    agenda = services.build_agenda(demo, TODAY, today=TODAY)
    gates = _texts(agenda, "gates")
    assert any(text.startswith("Wave 3 may go live") and text.endswith("No-go") for text in gates)
    assert not any(text.startswith("Pilot proven") for text in gates)  # decided, and long past
    assert "Marketing: Strong start, then fading (now" in " ".join(_texts(agenda, "adoption"))
    assert any(text.startswith("Telesales: No effect") for text in _texts(agenda, "adoption"))
    assert all("Sales:" not in text.split(" ")[0] for text in _texts(agenda, "adoption"))  # lasting: not on it
    assert _texts(agenda, "kpis") and all(": " in text for text in _texts(agenda, "kpis"))
    tasks = _texts(agenda, "tasks")
    critical = db.session.scalars(select(ChangeTask.title).where(ChangeTask.priority == "critical",
                                                                ChangeTask.status.not_in(["done", "cancelled"]))).all()
    assert len(tasks) == len(critical) and all(any(text.startswith(t) for text in tasks) for t in critical)
    for section in agenda["sections"].values():
        assert all(item["endpoint"] and isinstance(item["args"], dict) for item in section)


def test_the_demo_has_a_meeting_with_minutes_and_an_action_followed_as_a_task(demo):
    meeting, = services.list_meetings(demo)
    assert meeting.agenda["sections"]["adoption"] and meeting.minutes
    assert {u.email for u in meeting.attendees} >= {"exec@example.com", "pm@example.com"}
    action, = meeting.actions
    assert action.task.title == "Steering action: Recovery plan for Marketing and Telesales adoption"
    assert action.task.owner.email == "pm@example.com"


def test_attendees_come_from_the_leadership_group(demo, make_user):
    outsider = make_user(Role.DEPARTMENT_HEAD)
    with pytest.raises(ValidationFailed) as refused:
        services.plan_meeting(demo, held_on=TODAY, title="SC", attendees=[outsider], today=TODAY)
    assert "attendee_ids" in refused.value.errors
    executive = make_user(Role.EXECUTIVE)
    meeting = services.plan_meeting(demo, held_on=TODAY, title="SC", attendees=[executive], today=TODAY)
    assert meeting.attendees == [executive]


def test_an_action_needs_a_due_date_on_or_after_the_meeting(demo):
    meeting, = services.list_meetings(demo)
    for values, field in [(services.ActionValues("", None, TODAY), "text"),
                          (services.ActionValues("Do it", None, None), "due_date"),
                          (services.ActionValues("Do it", None, meeting.held_on - timedelta(days=1)), "due_date")]:
        with pytest.raises(ValidationFailed) as refused:
            services.add_action(meeting, demo, values, actor=None)
        assert field in refused.value.errors


def test_a_meeting_through_its_pages_and_its_pack(demo, client, login, make_user, libreoffice):
    executive = make_user(Role.EXECUTIVE, name="Erin Board")
    login(executive)
    response = client.post(f"/plans/{demo.id}/meetings/new", data={
        "title": "Steering committee", "held_on": TODAY.isoformat(), "attendee_ids": [str(executive.id)]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gates coming due" in page and "Strong start, then fading" in page and "Erin Board" in page
    meeting = db.session.scalar(select(SteeringMeeting).where(SteeringMeeting.attendees.any(id=executive.id)))
    # a decision dated the meeting's day is shown as taken at it
    gate = next(g for g in list_gates(demo) if g.name == "Wave 3 may go live")
    decided = client.post(f"/plans/{demo.id}/gates/{gate.id}/decisions", data={
        "outcome": "hold", "decided_on": TODAY.isoformat(), "decided_by": "Steering committee",
        "reasoning": "Wave 2 must recover first."})
    assert decided.status_code == 302
    refused = client.post(f"/plans/{demo.id}/meetings/{meeting.id}/actions", data={"text": "Retrain", "due_date": ""})
    assert refused.status_code == 400 and "This field is required." in refused.get_data(as_text=True)
    added = client.post(f"/plans/{demo.id}/meetings/{meeting.id}/actions",
                        data={"text": "Retrain Marketing", "owner_id": str(executive.id),
                              "due_date": (TODAY + timedelta(days=10)).isoformat()})
    assert added.status_code == 302
    pack = client.get(f"/plans/{demo.id}/meetings/{meeting.id}/pack").get_data(as_text=True)
    assert "Retrain Marketing" in pack and "Wave 3 may go live" in pack and "Hold" in pack
    data = client.get(f"/plans/{demo.id}/meetings/{meeting.id}/pack.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Meeting", "Agenda", "Decisions", "Actions"]
    agenda = [row for row in book["Agenda"].iter_rows(min_row=2, values_only=True)]
    assert ("Departments fading or without effect", "Telesales: No effect (now 10%)") in agenda or \
        any(section == "Departments fading or without effect" and text.startswith("Telesales") for section, text in agenda)
    decisions = list(book["Decisions"].iter_rows(min_row=2, values_only=True))
    assert decisions[0][:3] == ("Wave 3 may go live", "Hold", "No-go")
    assert list(book["Actions"].iter_rows(min_row=2, values_only=True))[0][:2] == ("Retrain Marketing", "Erin Board")
    assert "Steering committee" in libreoffice(data, "pack.xlsx").read_text(encoding="utf-8", errors="replace")
