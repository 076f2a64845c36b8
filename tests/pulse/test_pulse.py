"""The readiness pulse: ADKAR surveys per department, the barrier point, response rate and NPS, answers through
personal links that work once and expire, a department head's entered results, who may do what, the xlsx."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans import services as plan_services
from crmproject.plans.models import WaveKind
from crmproject.pulse import results, services, tokens
from crmproject.pulse.models import AdkarElement, PulseInvitation, PulseResponse, PulseSurvey, SurveyKind
from crmproject.plans.services import plan_today
from crmproject.roster.models import Employee

A, D, K, AB, R = (AdkarElement.AWARENESS, AdkarElement.DESIRE, AdkarElement.KNOWLEDGE, AdkarElement.ABILITY,
                  AdkarElement.REINFORCEMENT)


@pytest.fixture
def rollout(make_plan, make_department):
    """Sales went live a month ago with five people; Service goes live in three weeks with four."""
    today = datetime.now(UTC).date()
    plan = make_plan(start=today - timedelta(days=200), end=today + timedelta(days=400))
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERVICE")
    plan_services.add_wave(plan, name="Pilot", go_live=today - timedelta(days=30), kind=WaveKind.PILOT, departments=[sales])
    plan_services.add_wave(plan, name="Wave 2", go_live=today + timedelta(days=21), departments=[service])
    for n in range(5):
        db.session.add(Employee(name=f"Seller {n}", email=f"seller{n}@example.com", department=sales))
    db.session.add(Employee(name="Former seller", department=sales, active=False))
    for n in range(4):
        db.session.add(Employee(name=f"Agent {n}", email=f"agent{n}@example.com", department=service))
    db.session.commit()
    return {"plan": plan, "sales": sales, "service": service, "today": plan_today(plan)}


def survey(world, department="service", kind=SurveyKind.BEFORE, *, opened=True, invite=True) -> PulseSurvey:
    today = world["today"]
    start = today - timedelta(days=2) if kind == SurveyKind.BEFORE else today - timedelta(days=5)
    made = services.create_survey(world["plan"], services.SurveyValues(
        department=world[department], kind=kind, title=f"{world[department].name} pulse", opens_on=start,
        closes_on=today + timedelta(days=10)), actor=None)
    if invite:
        services.invite_department(made, world["plan"])
    if opened:
        services.open_survey(made, today=today)
    db.session.commit()
    return made


def answer(invitation: PulseInvitation, a, d, k, ab, r, nps=None) -> None:
    services.record_answer(invitation, services.Answer({A: a, D: d, K: k, AB: ab, R: r}, nps))
    db.session.commit()


def link(invitation: PulseInvitation) -> str:
    return f"/pulse/answer/{services.link_token(invitation)}"


# --- results ------------------------------------------------------------------------------------------------


def test_a_department_with_high_desire_and_low_knowledge_has_knowledge_as_its_barrier_point(rollout):
    pulse = survey(rollout)
    people = pulse.invitations
    for invitation, scores in zip(people, [(4, 5, 2, 2, 3), (4, 5, 2, 3, 3), (5, 4, 3, 2, 2)], strict=False):
        answer(invitation, *scores)
    found = results.survey_results([pulse])[pulse.id]
    assert found.means == {A: Decimal("4.33"), D: Decimal("4.67"), K: Decimal("2.33"), AB: Decimal("2.33"),
                           R: Decimal("2.67")}
    assert found.barrier == K  # the first below 3 in ADKAR order, although ability is as low
    readiness = results.latest_readiness([rollout["service"].id], today=rollout["today"])
    department = readiness[rollout["service"].id]
    assert (department.barrier, department.lowest, department.lowest_element) == (K, Decimal("2.33"), K)
    assert department.respondents == 3 and department.response_rate == Decimal("75.0") and department.enough_answers
    assert results.barrier_point({A: Decimal(4), D: Decimal(3), K: Decimal(3), AB: Decimal(3), R: Decimal(3)}) is None
    assert results.barrier_point({A: Decimal("2.99"), D: Decimal(1)}) == A


def test_results_wait_for_three_answers_and_the_rate_counts_links_given(rollout):
    pulse = survey(rollout)
    answer(pulse.invitations[0], 5, 5, 5, 5, 5)
    answer(pulse.invitations[1], 1, 1, 1, 1, 1)
    found = results.survey_results([pulse])[pulse.id]
    assert (found.respondents, found.invited, found.response_rate) == (2, 4, Decimal("50.0"))
    assert found.means == {} and found.barrier is None and not found.shown  # two answers would tell who said what
    readiness = results.latest_readiness([rollout["service"].id], today=rollout["today"])[rollout["service"].id]
    assert not readiness.enough_answers and readiness.means == {} and readiness.barrier is None


def test_nps_counts_promoters_minus_detractors_after_go_live(rollout):
    pulse = survey(rollout, "sales", SurveyKind.AFTER)
    assert len(pulse.invitations) == 5  # the active people only
    for invitation, nps in zip(pulse.invitations, [10, 9, 7, 3, None], strict=True):
        answer(invitation, 4, 4, 4, 4, 4, nps)
    found = results.survey_results([pulse])[pulse.id]
    assert (found.nps_answers, found.nps) == (4, Decimal(25))  # (2 promoters - 1 detractor) / 4 answers
    assert results.nps_score(0, 3, 3) == Decimal(-100) and results.nps_score(0, 0, 0) is None


def test_entered_results_combine_with_link_answers_weighted_by_people(rollout):
    pulse = survey(rollout, "sales", SurveyKind.AFTER)
    for invitation in pulse.invitations[:3]:
        answer(invitation, 2, 2, 2, 2, 2, 10)
    services.enter_results(pulse, services.EnteredValues(
        respondents=6, invited=10, means={e: Decimal(4) for e in results.ELEMENTS}, promoters=3, detractors=1), by=None)
    db.session.commit()
    found = results.survey_results([pulse])[pulse.id]
    assert (found.linked, found.entered, found.invited) == (3, 6, 15)
    assert found.response_rate == Decimal("60.0")  # 9 of 15
    assert found.means[K] == Decimal("3.33")  # (3 x 2 + 6 x 4) / 9
    assert found.nps == Decimal(56)  # (3 + 3 promoters - 1 detractor) / 9


def test_one_or_two_link_answers_never_show_even_beside_entered_results(rollout):
    """Whoever entered the department's results knows their own figures: mixed with one link answer, the mean
    would give that person's scores away."""
    pulse = survey(rollout, "sales", SurveyKind.AFTER)
    answer(pulse.invitations[0], 5, 1, 4, 2, 3, 10)
    services.enter_results(pulse, services.EnteredValues(
        respondents=2, invited=2, means={e: Decimal(1) for e in results.ELEMENTS}, promoters=0, detractors=2), by=None)
    db.session.commit()
    found = results.survey_results([pulse])[pulse.id]
    assert found.means == {} and found.nps is None and found.barrier is None
    assert (found.linked, found.entered) == (1, 2)  # the counts still show


def test_who_answered_is_kept_to_the_day_and_a_renewed_link_never_comes_back(rollout):
    pulse = survey(rollout)
    first = pulse.invitations[0]
    answer(first, 4, 4, 4, 4, 4)
    assert (first.answered_at.hour, first.answered_at.minute, first.answered_at.second) == (0, 0, 0)
    second = pulse.invitations[1]
    seen = {services.link_token(second)}
    for _ in range(3):  # within one second: each renewal a link never given before
        services.renew_link(second)
        seen.add(services.link_token(second))
    assert len(seen) == 4


def test_bad_entered_results_are_named_and_nothing_is_saved(rollout):
    pulse = survey(rollout)
    with pytest.raises(ValidationFailed) as refused:
        services.enter_results(pulse, services.EnteredValues(
            respondents=5, invited=3, means={**{e: Decimal(3) for e in results.ELEMENTS}, K: Decimal(6)},
            promoters=2, detractors=None), by=None)
    assert set(refused.value.errors) == {"invited", "knowledge", "promoters"}
    assert "only after go-live" in refused.value.errors["promoters"][0]


def test_the_trend_follows_the_department_survey_to_survey(rollout):
    before = survey(rollout, "sales", SurveyKind.AFTER)
    for invitation in before.invitations[:3]:
        answer(invitation, 4, 4, 2, 2, 2)
    services.close_survey(before)
    later = survey(rollout, "sales", SurveyKind.AFTER)
    later.opens_on = later.opens_on + timedelta(days=3)
    for invitation in later.invitations[:3]:
        answer(invitation, 4, 4, 4, 3, 3)
    db.session.commit()
    trend = results.department_trend(rollout["sales"].id, today=rollout["today"])
    assert [t.means[K] for t in trend] == [Decimal(2), Decimal(4)] and [t.barrier for t in trend] == [K, None]
    assert results.latest_readiness([rollout["sales"].id], today=rollout["today"])[rollout["sales"].id].survey_id == later.id


def test_a_survey_is_checked_against_the_departments_go_live(rollout):
    today = rollout["today"]
    with pytest.raises(ValidationFailed) as refused:
        services.create_survey(rollout["plan"], services.SurveyValues(
            department=rollout["sales"], kind=SurveyKind.BEFORE, title="Late", opens_on=today, closes_on=today - timedelta(days=1)),
            actor=None)
    assert set(refused.value.errors) == {"opens_on", "closes_on"}
    assert "goes live on" in refused.value.errors["opens_on"][0]


# --- personal links -----------------------------------------------------------------------------------------


def test_a_personal_link_answers_once_without_an_account(rollout, client):
    pulse = survey(rollout)
    invitation = pulse.invitations[0]
    assert invitation.token_hash == tokens.token_hash(services.link_token(invitation))
    page = client.get(link(invitation))
    assert page.status_code == 200 and "I know how to do my daily work in the CRM." in page.get_data(as_text=True)
    assert "recommend" not in page.get_data(as_text=True)  # no NPS before go-live
    data = {"awareness": "4", "desire": "5", "knowledge": "2", "ability": "2", "reinforcement": "3"}
    sent = client.post(link(invitation), data=data)
    assert sent.status_code == 302 and sent.location.endswith("/pulse/thanks")
    assert "Thank you" in client.get(sent.location).get_data(as_text=True)
    again = client.post(link(invitation), data=data)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PulseResponse)) == 1
    response = db.session.scalars(select(PulseResponse)).one()
    assert (response.knowledge, response.nps) == (2, None)
    assert not hasattr(response, "invitation_id")  # anonymous: nothing ties the answer to the person


def test_forged_expired_renewed_and_draft_links_get_clear_pages(rollout, client):
    pulse = survey(rollout)
    first, second, third = pulse.invitations[:3]
    token = services.link_token(first)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/pulse/answer/{forged}").status_code == 404
    assert client.get("/pulse/answer/nonsense").status_code == 404
    assert "not a valid survey link" in client.get("/pulse/answer/x" * 1).get_data(as_text=True)
    second.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    expired = client.post(link(second), data={"awareness": "4"})
    assert expired.status_code == 410 and "time to answer through this link is over" in expired.get_data(as_text=True)
    old = link(third)
    services.renew_link(third)
    db.session.commit()
    assert client.get(old).status_code == 404 and client.get(link(third)).status_code == 200
    draft = survey(rollout, "sales", SurveyKind.AFTER, opened=False)
    assert client.get(link(draft.invitations[0])).status_code == 403
    services.close_survey(pulse)
    db.session.commit()
    assert client.get(link(first)).status_code == 410


def test_bad_scores_are_named_at_their_field_and_nothing_is_saved(rollout, client):
    before, after = survey(rollout), survey(rollout, "sales", SurveyKind.AFTER)
    url = link(before.invitations[0])
    bad = client.post(url, data={"awareness": "0", "desire": "6", "knowledge": "3", "ability": "abc", "reinforcement": "3"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and page.count("Choose a score from 1 to 5.") == 3
    nps = client.post(url, data={e.value: "3" for e in results.ELEMENTS} | {"nps": "8"})
    assert "The recommendation question is asked only after go-live." in nps.get_data(as_text=True)
    too_high = client.post(link(after.invitations[0]), data={e.value: "3" for e in results.ELEMENTS} | {"nps": "11"})
    assert "Choose a score from 0 to 10." in too_high.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PulseResponse)) == 0
    assert all(i.answered_at is None for i in before.invitations + after.invitations)
    with pytest.raises(ValidationFailed) as refused:
        services.record_answer(before.invitations[1], services.Answer({e: 3 for e in results.ELEMENTS}, nps=9))
    assert set(refused.value.errors) == {"nps"}


# --- pages and permissions ----------------------------------------------------------------------------------


def test_a_department_head_runs_their_own_departments_pulse(rollout, make_user, login, open_form):
    plan = rollout["plan"]
    client = login(make_user(Role.DEPARTMENT_HEAD, department=rollout["service"]))
    form = open_form(f"/plans/{plan.id}/pulse/surveys/new")
    assert [v for v in form.fields["department_id"].options if v] == [str(rollout["service"].id)]
    today = rollout["today"]
    created = client.post(f"/plans/{plan.id}/pulse/surveys/new", data=form.data(
        title="Service before go-live", kind="before_go_live", opens_on=today.isoformat(),
        closes_on=(today + timedelta(days=7)).isoformat()))
    assert created.status_code == 302, created.get_data(as_text=True)
    pulse = db.session.scalars(select(PulseSurvey)).one()
    base = f"/plans/{plan.id}/pulse/surveys/{pulse.id}"
    assert client.post(f"{base}/invite").status_code == 302
    assert client.post(f"{base}/open").status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "/pulse/answer/" in page and "agent0@example.com" in page
    sheet = load_workbook(io.BytesIO(client.get(f"{base}/links.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "E-mail", "Link") and rows[1][2].startswith("http://localhost/pulse/answer/")
    entered_form = open_form(f"{base}/entered")
    wrong = client.post(f"{base}/entered", data=entered_form.data(respondents="4", invited="4", awareness="4",
                                                                  desire="4.5", knowledge="6", ability="2", reinforcement="3"))
    assert wrong.status_code == 200 and "A mean score is from 1 to 5." in wrong.get_data(as_text=True)
    saved = client.post(f"{base}/entered", data=entered_form.data(respondents="4", invited="4", awareness="4",
                                                                  desire="4.5", knowledge="2.5", ability="2", reinforcement="3"))
    assert saved.status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "entered by the department head" in page and "Barrier point: Knowledge" in page
    assert client.post(f"{base}/delete").status_code == 403  # only planners delete a survey's answers
    other = survey(rollout, "sales", SurveyKind.AFTER)
    assert client.post(f"/plans/{plan.id}/pulse/surveys/{other.id}/invite").status_code == 403
    assert client.get(f"/plans/{plan.id}/pulse/surveys/{other.id}/links.xlsx").status_code == 403
    assert "/pulse/answer/" not in client.get(f"/plans/{plan.id}/pulse/surveys/{other.id}").get_data(as_text=True)


def test_everyone_reads_the_readiness_and_the_xlsx_opens_in_libreoffice(rollout, make_user, login, tmp_path):
    pulse = survey(rollout)
    for invitation in pulse.invitations[:3]:
        answer(invitation, 4, 5, 2, 2, 3)
    pulse.title = '=HYPERLINK("x")'
    db.session.commit()
    client = login(make_user(Role.EXECUTIVE))
    plan = rollout["plan"]
    index = client.get(f"/plans/{plan.id}/pulse/").get_data(as_text=True)
    assert f'id="pulse-department-{rollout["service"].id}"' in index and "Knowledge" in index
    assert f'href="/plans/{plan.id}/pulse/surveys/new"' not in index
    department = client.get(f"/departments/{rollout['service'].id}").get_data(as_text=True)
    assert 'id="pulse"' in department and "Knowledge" in department
    dashboard = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    assert 'id="pulse"' in dashboard and f'id="pulse-department-{rollout["service"].id}"' in dashboard
    data = client.get(f"/plans/{plan.id}/pulse/results.xlsx").data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Readiness by department", "Pulse results"]
    by_department = {row[0]: row for row in book["Readiness by department"].iter_rows(min_row=2, values_only=True)}
    assert by_department["Service"][8] == "Knowledge" and by_department["Sales"][-1] == "no survey has run yet"
    sheet = book["Pulse results"]
    assert sheet["B2"].value == '=HYPERLINK("x")' and sheet["B2"].data_type == "s"
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Knowledge"] == 2 and row["Barrier point"] == "Knowledge" and row["Answered through links"] == 3
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: the workbook was checked with openpyxl only")
    path = tmp_path / "pulse.xlsx"
    path.write_bytes(data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)
    text = (tmp_path / "pulse.csv").read_text(encoding="utf-8", errors="replace")  # the first sheet
    assert "Barrier point" in text and "Service" in text and "Knowledge" in text


def test_a_survey_opens_only_within_its_days_and_keeps_its_kind_once_answered(rollout):
    today = rollout["today"]
    early = services.create_survey(rollout["plan"], services.SurveyValues(
        department=rollout["service"], kind=SurveyKind.BEFORE, title="Service", opens_on=today + timedelta(days=3),
        closes_on=today + timedelta(days=10)), actor=None)
    with pytest.raises(ValidationFailed, match="opens on"):
        services.open_survey(early, today=today)
    pulse = survey(rollout, "sales", SurveyKind.AFTER)
    answer(pulse.invitations[0], 3, 3, 3, 3, 3, 8)
    with pytest.raises(ValidationFailed) as refused:
        services.update_survey(pulse, rollout["plan"], services.SurveyValues(
            department=rollout["service"], kind=SurveyKind.BEFORE, title=pulse.title, opens_on=today - timedelta(days=40),
            closes_on=pulse.closes_on))
    assert set(refused.value.errors) == {"department_id", "kind"}
    services.update_survey(pulse, rollout["plan"], services.SurveyValues(
        department=rollout["sales"], kind=SurveyKind.AFTER, title=pulse.title, opens_on=pulse.opens_on,
        closes_on=today + timedelta(days=20)))
    assert pulse.invitations[1].expires_at == services.link_expiry(rollout["plan"], today + timedelta(days=20))


def test_refused_links_are_rate_limited_per_address(rollout, app, client):
    limits, app.config["PULSE_ANSWER_LIMITS"] = app.config["PULSE_ANSWER_LIMITS"], "3 per minute"
    try:
        codes = [client.get(f"/pulse/answer/forged-{n}").status_code for n in range(5)]
    finally:
        app.config["PULSE_ANSWER_LIMITS"] = limits
    assert codes == [404, 404, 404, 429, 429]


def test_the_dashboards_readiness_follows_its_wave_filter(rollout, make_user, login):
    pulse = survey(rollout)
    for invitation in pulse.invitations[:3]:
        answer(invitation, 4, 5, 2, 2, 3)
    plan = rollout["plan"]
    client = login(make_user(Role.EXECUTIVE))
    service_row = f'id="pulse-department-{rollout["service"].id}"'
    waves = {w.name: w.id for w in plan.waves}
    assert service_row in client.get(f"/plans/{plan.id}/dashboard?wave={waves['Wave 2']}").get_data(as_text=True)
    assert service_row not in client.get(f"/plans/{plan.id}/dashboard?wave={waves['Pilot']}").get_data(as_text=True)
