from datetime import date

import pytest

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans import services as plans
from crmproject.plans.models import WaveKind
from crmproject.teams import services
from crmproject.teams.models import RaciCode, TeamRoleKind


@pytest.fixture
def plan(make_plan, make_department):
    plan = make_plan()
    sales = make_department(name="Sales", code="SALES")
    sfa = plans.ensure_standard_modules()[0]
    plans.add_wave(plan, name="Pilot", kind=WaveKind.PILOT, go_live=date(2026, 4, 1), departments=[sales], modules=[sfa])
    db.session.commit()
    return plan


def test_standard_roles_cover_the_team_the_texts_describe_and_are_added_once(plan):
    added = services.add_standard_roles(plan)
    kinds = {r.kind for r in added}
    assert {TeamRoleKind.EXECUTIVE_SPONSOR, TeamRoleKind.PROJECT_MANAGER, TeamRoleKind.MODULE_LEAD,
            TeamRoleKind.TECHNICAL_SUPPORT, TeamRoleKind.IMPLEMENTATION_PARTNER, TeamRoleKind.IT,
            TeamRoleKind.KEY_USER} == kinds
    assert {r.title for r in added} >= {"Module lead SFA", "Key user SALES"}
    assert services.add_standard_roles(plan) == []


def test_seats_made_for_a_persian_reader_store_plain_text_without_display_marks(app, plan):
    """A Persian page isolates the Latin code in "Module lead SFA" so it reads left to right; the stored title
    keeps no such invisible marks, so it searches, sorts and exports as typed text does."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("fa"):
        titles = {r.title for r in services.add_standard_roles(plan)}
        db.session.commit()
    module_lead = next(t for t in titles if "SFA" in t)
    assert module_lead.endswith(" SFA") and not any(mark in module_lead for mark in "\u2068\u2069")
    assert all("\u2068" not in t and "\u2069" not in t for t in titles)


def test_handover_keeps_history_and_turnover_is_counted(plan, make_user):
    role = services.create_role(plan, kind=TeamRoleKind.PROJECT_MANAGER, title="Project manager")
    first, second = make_user(), make_user()
    services.assign(role, user=first, start=date(2026, 1, 1))
    services.assign(role, user=second, start=date(2026, 6, 1))
    services.assign(role, person_name="Kim Partner", organisation="Acme Consulting", start=date(2026, 9, 1))
    db.session.commit()
    history = [(a.holder_name, a.start_date, a.end_date) for a in role.assignments]
    assert history == [
        (first.name, date(2026, 1, 1), date(2026, 5, 31)),
        (second.name, date(2026, 6, 1), date(2026, 8, 31)),
        ("Kim Partner", date(2026, 9, 1), None),
    ]
    overview = services.team_overview(plan, today=date(2026, 7, 1))
    (status,) = overview.roles
    assert status.holder.user_id == second.id and status.changes == 2 and overview.turnover == 2


def test_assignment_may_not_overlap_a_finished_one_or_name_nobody(plan, make_user):
    role = services.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    services.assign(role, user=make_user(), start=date(2026, 1, 1), end=date(2026, 3, 31))
    with pytest.raises(ValidationFailed) as exc:
        services.assign(role, user=make_user(), start=date(2026, 3, 1))
    assert "held this role from 2026-01-01 to 2026-03-31" in exc.value.errors["start_date"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.assign(role, start=date(2026, 5, 1))
    assert "Choose a user" in exc.value.errors["user_id"][0]


def test_required_roles_without_a_holder_are_flagged(plan, make_user):
    sponsor = services.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    services.create_role(plan, kind=TeamRoleKind.IMPLEMENTATION_PARTNER, title="Partner", required=False)
    services.assign(sponsor, user=make_user(Role.EXECUTIVE), start=date(2026, 1, 1))
    holder = sponsor.assignments[0]
    services.end_assignment(holder, date(2026, 2, 28))
    overview = services.team_overview(plan, today=date(2026, 3, 1))
    assert [r.role.title for r in overview.vacancies] == ["Sponsor"]  # the optional partner seat is not flagged
    assert services.team_overview(plan, today=date(2026, 2, 1)).vacancies == []


def test_module_lead_needs_a_module_and_titles_are_unique(plan):
    with pytest.raises(ValidationFailed) as exc:
        services.create_role(plan, kind=TeamRoleKind.MODULE_LEAD, title="Lead")
    assert "crm_module_id" in exc.value.errors
    services.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    with pytest.raises(ValidationFailed, match="already has a role titled IT"):
        services.create_role(plan, kind=TeamRoleKind.IT, title="IT")


def test_raci_needs_exactly_one_accountable_and_saves_all_or_nothing(plan):
    sponsor = services.create_role(plan, kind=TeamRoleKind.EXECUTIVE_SPONSOR, title="Sponsor")
    pm = services.create_role(plan, kind=TeamRoleKind.PROJECT_MANAGER, title="PM")
    goals = services.add_deliverable(plan, name="Quantified goals")
    data = services.add_deliverable(plan, name="Clean customer data")
    services.save_raci(plan, {goals.id: {sponsor.id: RaciCode.ACCOUNTABLE, pm.id: RaciCode.RESPONSIBLE}})
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        services.save_raci(plan, {
            goals.id: {sponsor.id: RaciCode.INFORMED, pm.id: RaciCode.RESPONSIBLE},  # no A any more
            data.id: {sponsor.id: RaciCode.ACCOUNTABLE, pm.id: RaciCode.ACCOUNTABLE},  # two A
        })
    assert "Quantified goals: no role is accountable" in exc.value.errors[f"deliverable-{goals.id}"][0]
    assert "Clean customer data: 2 roles are accountable" in exc.value.errors[f"deliverable-{data.id}"][0]
    db.session.rollback()
    matrix = services.raci_matrix(services.list_deliverables(plan))
    assert matrix[goals.id] == {sponsor.id: RaciCode.ACCOUNTABLE, pm.id: RaciCode.RESPONSIBLE}
    assert matrix[data.id] == {}
    services.save_raci(plan, {goals.id: {sponsor.id: RaciCode.CONSULTED, pm.id: RaciCode.ACCOUNTABLE}})
    db.session.commit()
    assert services.raci_matrix(services.list_deliverables(plan))[goals.id] == {
        sponsor.id: RaciCode.CONSULTED, pm.id: RaciCode.ACCOUNTABLE,
    }


def test_removing_a_mistaken_assignment_reopens_the_previous_holder(plan, make_user):
    role = services.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    right, wrong = make_user(name="Right"), make_user(name="Wrong")
    services.assign(role, user=right, start=date(2026, 1, 1))
    mistake = services.assign(role, user=wrong, start=date(2026, 5, 1))
    services.remove_assignment(mistake)
    db.session.commit()
    assert [(a.holder_name, a.end_date) for a in role.assignments] == [("Right", None)]
    assert services.team_overview(plan, today=date(2026, 6, 1)).turnover == 0
