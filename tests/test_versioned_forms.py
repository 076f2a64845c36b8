"""Lost updates: every object two people can edit at once refuses a save from a form opened before
someone else's save (409, with what changed), and saving again from that page goes through."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crmproject.extensions import db
from crmproject.kpis import services as kpi_services

PASSWORD = "correct-horse-1"  # tests/conftest.py's factories

# url, who saves first, who saves from the stale form, the field both change, the first one's value, the second one's
CASES = [
    ("/plans/{plan}/edit", "pm", "admin", "vision", "Happy customers", "Loyal customers"),
    ("/plans/{plan}/phases/{phase}/edit", "pm", "admin", "goal", "SFA proven in Sales", "Sales on the CRM"),
    ("/plans/{plan}/waves/{wave}/edit", "pm", "admin", "notes", "Go-live on a Monday", "Go-live after the fair"),
    ("/departments/{department}/edit", "pm", "head", "headcount", "40", "45"),
    ("/plans/{plan}/team/roles/{team_role}/edit", "pm", "admin", "responsibilities", "Integration", "Hosting"),
    ("/plans/{plan}/team/roles/{team_role}/assign", "pm", "admin", "person_name", "Kim", "Lee"),
    ("/plans/{plan}/communications/{communication}", "pm", "admin", "message", "Pilot starts Monday", "Pilot postponed"),
    ("/plans/{plan}/kpis/{kpi}/edit", "pm", "admin", "description", "Active users / seats", "Weekly active users"),
    ("/plans/{plan}/reports/{report}", "pm", "head", "achievements", "Pilot trained", "Forty users live"),
    ("/plans/{plan}/dashboard/rules", "pm", "admin", "fade_weeks", "5", "6"),
    ("/training/courses/{course}/edit", "pm", "admin", "audience", "Sales", "Everyone"),
    ("/training/courses/{course}/sessions/{training_session}/edit", "pm", "admin", "trainer", "Nadia K.", "Omar"),
    ("/training/enrolments/{enrolment}", "pm", "head", "score", "80", "90"),
]


def _rows() -> dict:
    """Every row of every table but the timestamps a save or a login stamps, read in a fresh transaction."""
    db.session.rollback()
    dump = {t.name: db.session.execute(t.select().with_only_columns(
        *(c for c in t.c if c.name not in ("last_login_at", "updated_at", "submitted_at")))).all()
        for t in db.metadata.sorted_tables if t.name != "data_generations"}
    db.session.rollback()
    return dump


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize(("url", "first_role", "second_role", "name", "first_value", "second_value"), CASES,
                         ids=[case[0] for case in CASES])
def test_a_stale_save_is_refused_with_what_changed(app, rollout_world, open_form, forms_in,
                                                   url, first_role, second_role, name, first_value, second_value):
    url = url.format(**{key: getattr(obj, "id", None) for key, obj in rollout_world.items()})
    first, second = _client(app, rollout_world[first_role]), _client(app, rollout_world[second_role])
    button = {"action": "draft"} if "/reports/" in url else {}
    firsts, seconds = open_form(url, using=first), open_form(url, using=second)  # both open the same form
    assert first.post(url, data=firsts.data(**{name: first_value}, **button)).status_code == 302
    before = _rows()

    stale = second.post(url, data=seconds.data(**{name: second_value}, **button))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409, html
    assert "Your changes were NOT saved." in html
    conflict = html.split('class="form-errors conflict"')[1].split("</table>")[0]
    assert f"<td>{first_value}</td><td>{second_value}</td>" in conflict
    assert _rows() == before, "a refused save changed the database"

    # the page shown again keeps what the second person typed and carries the new version
    again = next(f for f in forms_in(html, url) if f.action == url)
    assert again.fields[name].values == [second_value]
    # a seat is handed over: the second holder now starts after the first
    merged = {"start_date": "2027-01-04"} if url.endswith("/assign") else {}
    assert second.post(url, data=again.data(**merged, **button)).status_code == 302
    assert _rows() != before


def test_a_stale_raci_grid_is_refused_row_by_row(app, rollout_world, open_form, forms_in):
    world = rollout_world
    url = f"/plans/{world['plan'].id}/raci"
    cell = f"cell-{world['deliverable'].id}-{world['team_role'].id}"
    first, second = _client(app, world["pm"]), _client(app, world["admin"])
    firsts, seconds = open_form(url, using=first), open_form(url, using=second)
    assert first.post(url, data=firsts.data(**{cell: "A"})).status_code == 302
    before = _rows()
    stale = second.post(url, data=seconds.data(**{cell: ""}))  # would empty the row the first one just filled
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "<th scope=\"row\">Goals</th><td>A IT lead</td>" in html
    assert _rows() == before
    again = next(f for f in forms_in(html, url) if f.action == url)
    assert again.fields[cell].values == [""]  # the grid shows what the second one chose
    assert second.post(url, data=again.data()).status_code == 302
    assert _rows() != before


def test_a_stale_end_of_a_seat_does_not_move_the_day_someone_recorded(app, rollout_world):
    world = rollout_world
    url = f"/plans/{world['plan'].id}/team/assignments/{world['assignment'].id}/end"
    first, second = _client(app, world["pm"]), _client(app, world["admin"])
    assert first.post(url, data={"end_date": "2026-08-31"}).status_code == 302
    before = _rows()
    refused = second.post(url, data={"end_date": "2026-09-30"}, follow_redirects=True)
    assert "Ivan already left the role on 2026-08-31." in refused.get_data(as_text=True)
    assert _rows() == before


def test_two_saves_at_the_same_instant_the_later_one_gets_409(app, client, login, rollout_world, open_form, monkeypatch):
    """Both pass the form's version check; the database refuses the second UPDATE (SQLAlchemy's version_id_col)."""
    world = rollout_world
    url = f"/plans/{world['plan'].id}/kpis/{world['kpi'].id}/edit"
    login(world["pm"])
    opened = open_form(url)
    update = kpi_services.update_kpi

    def update_while_someone_saves(kpi, values):
        with db.engine.begin() as other:  # another request commits between our check and our write
            other.execute(text("UPDATE kpis SET description = 'theirs', version = version + 1 WHERE id = :id"), {"id": kpi.id})
        return update(kpi, values)

    monkeypatch.setattr(kpi_services, "update_kpi", update_while_someone_saves)
    before = _rows()
    response = client.post(url, data=opened.data(description="mine"))
    assert response.status_code == 409
    assert "Someone else changed this at the same time" in response.get_data(as_text=True)
    after = _rows()
    assert [r for r in after["kpis"] if "mine" in r] == [] and after != before  # theirs stands, mine is not half-saved
