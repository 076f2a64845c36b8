from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.teams import services
from crmproject.teams.models import RaciCode, TeamRoleKind


@pytest.fixture
def pm(make_user, login):
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    return user


def test_team_page_flags_vacant_required_roles_and_shows_history(client, pm, make_plan, make_user):
    plan = make_plan()
    sponsor = services.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    it = services.create_role(plan, kind=TeamRoleKind.IT, title="IT lead")
    old, new = make_user(name="Old Holder"), make_user(name="New Holder")
    services.assign(it, user=old, start=date(2026, 1, 1))
    services.assign(it, user=new, start=date(2026, 2, 1))
    db.session.commit()
    html = client.get(f"/plans/{plan.id}/team").get_data(as_text=True)
    assert "Vacant required roles:" in html and "<strong>Sponsor</strong>" in html
    assert "Old Holder" in html and "New Holder" in html and "1 handover" in html
    assert sponsor.id


def test_assign_an_outside_person_through_the_form(client, pm, make_plan):
    plan = make_plan()
    role = services.create_role(plan, kind=TeamRoleKind.IMPLEMENTATION_PARTNER, title="Partner")
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/team/roles/{role.id}/assign", data={
        "user_id": "", "person_name": "Kim Partner", "organisation": "Acme Consulting", "email": "kim@acme.example",
        "start_date": "2026-03-01",
    })
    assert response.status_code == 302
    db.session.expire_all()
    (assignment,) = role.assignments
    assert (assignment.person_name, assignment.organisation, assignment.user_id) == ("Kim Partner", "Acme Consulting", None)


def test_assign_form_names_the_missing_holder(client, pm, make_plan):
    plan = make_plan()
    role = services.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/team/roles/{role.id}/assign", data={"user_id": "", "start_date": "2026-03-01"})
    assert response.status_code == 200
    assert "Choose a user, or enter the name of an outside person." in response.get_data(as_text=True)


def test_raci_grid_save_and_refusal(client, pm, make_plan):
    plan = make_plan()
    sponsor = services.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    lead = services.create_role(plan, kind=TeamRoleKind.PROJECT_MANAGER, title="PM")
    goals = services.add_deliverable(plan, name="Goals")
    db.session.commit()
    opened = {f"version-{goals.id}": str(goals.version)}
    bad = client.post(f"/plans/{plan.id}/raci", data={f"cell-{goals.id}-{sponsor.id}": "A", f"cell-{goals.id}-{lead.id}": "A", **opened})
    assert bad.status_code == 200
    assert "Goals: 2 roles are accountable (A): exactly one may be." in bad.get_data(as_text=True)
    assert services.raci_matrix(services.list_deliverables(plan))[goals.id] == {}
    good = client.post(f"/plans/{plan.id}/raci", data={f"cell-{goals.id}-{sponsor.id}": "A", f"cell-{goals.id}-{lead.id}": "R", **opened})
    assert good.status_code == 302
    db.session.expire_all()
    assert services.raci_matrix(services.list_deliverables(plan))[goals.id] == {sponsor.id: RaciCode.ACCOUNTABLE, lead.id: RaciCode.RESPONSIBLE}


def test_raci_grid_rejects_foreign_ids(client, pm, make_plan):
    plan, other = make_plan(name="A"), make_plan(name="B")
    role = services.create_role(other, kind=TeamRoleKind.IT, title="IT")
    goals = services.add_deliverable(plan, name="Goals")
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/raci", data={f"cell-{goals.id}-{role.id}": "A"})
    assert "not in this plan" in response.get_data(as_text=True)
    assert client.post(f"/plans/{plan.id}/raci", data={"cell-x-y": "A"}).status_code == 400


def test_executive_reads_the_raci_but_gets_no_controls(client, make_user, login, make_plan):
    plan = make_plan()
    services.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    services.add_deliverable(plan, name="Goals")
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    html = client.get(f"/plans/{plan.id}/raci").get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
    assert "Goals" in html and "<select" not in html and "Save RACI" not in html  # (the footer's language switch aside)
    assert client.post(f"/plans/{plan.id}/raci", data={}).status_code == 403


def test_the_last_day_box_of_a_holder_is_an_iso_date_in_every_language(client, pm, make_plan, make_user):
    """A date box (<input type=date>) takes only an ISO date: a Russian 07.12.2026 left it empty."""
    import re

    plan = make_plan()
    role = services.create_role(plan, kind=TeamRoleKind.IT, title="IT lead")
    services.assign(role, user=make_user(name="Holder"), start=date(2026, 1, 1))
    pm.language = "ru"
    db.session.commit()
    html = client.get(f"/plans/{plan.id}/team").get_data(as_text=True)
    value = re.search(r'<input type="date" id="end-\d+" name="end_date" value="([^"]*)"', html).group(1)
    assert date.fromisoformat(value)
