"""Lost updates, checked three ways: every object two people can edit at once keeps what each of them changed,
and refuses a save (409) only where both changed the same field differently, showing what the page showed when
opened, what was saved since and what was typed; saving again from that page goes through. A save whose page
sent no snapshot of what it showed, or an altered one, is checked as before snapshots (any field that differs
from what was saved since is refused)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import pytest
from sqlalchemy import text

from crmproject.extensions import db
from crmproject.kpis import services as kpi_services
from crmproject.teams import services as team_services

PASSWORD = "correct-horse-1"  # tests/conftest.py's factories

# url, who saves first, who saves from the older page, the field both change, the first one's value, the second one's,
# a field only the first one changes and its value (a wave's departments are rows of their own, a task's status and an
# enrolment's session are choices; a report's KPI values: tests/reports)
CASES = [
    ("/plans/{plan}/edit", "pm", "admin", "vision", "Happy customers", "Loyal customers", "name", "CRM rollout 2026"),
    ("/plans/{plan}/phases/{phase}/edit", "pm", "admin", "goal", "SFA proven in Sales", "Sales on the CRM",
     "exit_criteria", "Signed off by Sales"),
    ("/plans/{plan}/waves/{wave}/edit", "pm", "admin", "notes", "Go-live on a Monday", "Go-live after the fair",
     "department_ids", []),
    ("/departments/{department}/edit", "pm", "head", "headcount", "40", "45", "licensed_seats", "35"),
    ("/plans/{plan}/team/roles/{team_role}/edit", "pm", "admin", "responsibilities", "Integration", "Hosting",
     "title", "IT lead (hosting)"),
    ("/plans/{plan}/team/roles/{team_role}/assign", "pm", "admin", "person_name", "Kim", "Lee", "title", "IT lead (hosting)"),
    ("/plans/{plan}/communications/{communication}", "pm", "admin", "message", "Pilot starts Monday", "Pilot postponed",
     "audience", "Sales staff"),
    ("/plans/{plan}/kpis/{kpi}/edit", "pm", "admin", "description", "Active users / seats", "Weekly active users",
     "target_value", "90"),
    ("/plans/{plan}/reports/{report}", "pm", "head", "achievements", "Pilot trained", "Forty users live", "blockers", "Data late"),
    ("/plans/{plan}/dashboard/rules", "pm", "admin", "fade_weeks", "5", "6", "min_weeks", "10"),
    ("/training/courses/{course}/edit", "pm", "admin", "audience", "Sales", "Everyone", "length_hours", "8"),
    ("/training/courses/{course}/sessions/{training_session}/edit", "pm", "admin", "trainer", "Nadia K.", "Omar",
     "location", "Room 2"),
    ("/training/enrolments/{enrolment}", "pm", "head", "score", "80", "90", "session_id", "{training_session}"),
    ("/plans/{plan}/tasks/{task}/edit", "pm", "admin", "title", "Train Sales reps", "Train all of Sales", "status", "in_progress"),
    # crmproject/auth's form, on the same mechanism: two administrators (here one, in two browsers)
    ("/admin/users/{pm}", "admin", "admin", "name", "Paula P.", "Paula Project-Manager", "role", "executive"),
]
IDS = [case[0] for case in CASES]
PARAMETERS = ("url", "first_role", "second_role", "name", "first_value", "second_value", "other", "other_value")
# A seat's assignment names its next holder, it does not edit the seat: the first person's save that moves the seat's
# version without handing it over is an edit of the seat itself
FIRST_PAGE = {"/plans/{plan}/team/roles/{team_role}/assign": "/plans/{plan}/team/roles/{team_role}/edit"}
HOLDER = "/plans/{plan}/team/roles/{team_role}/assign"
KEPT = "are kept along with yours."


def _rows() -> dict:
    """Every row of every table but the timestamps a save or a login stamps, read in a fresh transaction."""
    db.session.rollback()
    dump = {t.name: db.session.execute(t.select().with_only_columns(
        *(c for c in t.c if c.name not in ("last_login_at", "updated_at", "submitted_at")))).all()
        for t in db.metadata.sorted_tables if t.name not in ("data_generations", "rate_limit_counters", "login_throttles")}
    db.session.rollback()
    return dump


def _number(value: str) -> str:
    """A number as typed in the tests ("90", not the "90.00" a form shows), anything else as it is."""
    try:
        return format(Decimal(value).normalize(), "f") if re.fullmatch(r"-?[0-9.]+", value) else value
    except InvalidOperation:
        return value


def _client(app, user):
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


class Case:
    """One CASE in one world: both people's clients and the pages they open."""

    def __init__(self, app, world, open_form, url, first_role, second_role, name, other):
        self.ids = {key: getattr(obj, "id", None) for key, obj in world.items()}
        self.world, self.open_form = world, open_form
        self.url = url.format(**self.ids)
        self.first_url = FIRST_PAGE.get(url, url).format(**self.ids)
        self.holder = url == HOLDER
        self.name, self.other = name, other.format(**self.ids)
        self.first, self.second = _client(app, world[first_role]), _client(app, world[second_role])
        self.button = {"action": "draft"} if "/reports/" in url else {}
        self.later = {"start_date": "2027-01-04"} if self.holder else {}  # a second holder starts after the first

    def value(self, value):
        return [v.format(**self.ids) for v in value] if isinstance(value, list) else value.format(**self.ids)

    def both_open(self):
        return self.open_form(self.first_url, using=self.first), self.open_form(self.url, using=self.second)

    def shown(self, field: str, url: str | None = None) -> list[str]:
        """What the form shows now in `field` (for a seat's assignment: its holder's name)."""
        if self.holder and url is None:
            db.session.expire_all()
            return [max(self.world["team_role"].assignments, key=lambda a: a.start_date).holder_name]
        return [_number(value) for value in self.open_form(url or self.url, using=self.first).fields[field].values]

    def other_shown(self) -> list[str]:
        return self.shown(self.other, self.first_url if self.holder else None)


def _case(app, rollout_world, open_form, url, first_role, second_role, name, other) -> Case:
    return Case(app, rollout_world, open_form, url, first_role, second_role, name, other)


@pytest.mark.parametrize(PARAMETERS, CASES, ids=IDS)
def test_a_save_from_an_older_page_goes_through_when_the_other_save_changed_nothing(
        app, rollout_world, open_form, url, first_role, second_role, name, first_value, second_value, other, other_value):
    case = _case(app, rollout_world, open_form, url, first_role, second_role, name, other)
    firsts, seconds = case.both_open()
    assert case.first.post(case.first_url, data=firsts.data(**case.button)).status_code == 302  # saved as opened

    response = case.second.post(case.url, data=seconds.data(**{name: second_value}, **case.later, **case.button))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert case.shown(name) == [second_value if not case.holder else "Lee"]


@pytest.mark.parametrize(PARAMETERS, CASES, ids=IDS)
def test_changes_of_different_fields_from_the_same_page_are_both_kept(
        app, rollout_world, open_form, url, first_role, second_role, name, first_value, second_value, other, other_value):
    case = _case(app, rollout_world, open_form, url, first_role, second_role, name, other)
    other_value = case.value(other_value)
    firsts, seconds = case.both_open()
    assert case.first.post(case.first_url, data=firsts.data(**{case.other: other_value}, **case.button)).status_code == 302

    response = case.second.post(case.url, data=seconds.data(**{name: second_value}, **case.later, **case.button),
                                follow_redirects=True)
    assert [r.status_code for r in response.history] == [302] and response.status_code == 200
    assert case.shown(name) == [second_value if not case.holder else "Lee"]
    assert case.other_shown() == (other_value if isinstance(other_value, list) else [other_value])
    # told when the first one's change was kept beside theirs (a seat's assignment took nothing of the seat's edit)
    assert (KEPT in response.get_data(as_text=True)) is not case.holder


@pytest.mark.parametrize(PARAMETERS, CASES, ids=IDS)
def test_both_changing_a_field_refuses_the_later_save_with_the_three_values(
        app, rollout_world, open_form, forms_in, url, first_role, second_role, name, first_value, second_value, other, other_value):
    case = _case(app, rollout_world, open_form, url, first_role, second_role, name, other)
    seconds = open_form(case.url, using=case.second)
    firsts = open_form(case.url, using=case.first)  # both open the same page
    opened = "Ivan" if case.holder else seconds.fields[name].values[0]
    assert case.first.post(case.url, data=firsts.data(**{name: first_value}, **case.button)).status_code == 302
    before = _rows()

    stale = case.second.post(case.url, data=seconds.data(**{name: second_value}, **case.button))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409, html
    assert "Your changes were NOT saved." in html and "When you opened it" in html
    conflict = html.split('class="form-errors conflict"')[1].split("</table>")[0]
    empty = '<span class="muted">(empty)</span>'
    assert re.search(f"<td>(?:{re.escape(opened)}|{re.escape(empty)})</td><td>{first_value}</td><td>{second_value}</td>", conflict), conflict
    assert conflict.count("<tr>") == 2, "only the field both changed is listed"
    assert _rows() == before, "a refused save changed the database"

    # the page shown again keeps what the second person typed, with the new version and what is saved now as opened
    again = next(f for f in forms_in(html, case.url) if f.action == case.url)
    assert again.fields[name].values == [second_value]
    assert case.second.post(case.url, data=again.data(**case.later, **case.button)).status_code == 302
    assert case.shown(name) == [second_value if not case.holder else "Lee"]


@pytest.mark.parametrize(PARAMETERS, CASES, ids=IDS)
def test_a_page_without_its_snapshot_or_with_an_altered_one_is_checked_as_before(
        app, rollout_world, open_form, url, first_role, second_role, name, first_value, second_value, other, other_value):
    case = _case(app, rollout_world, open_form, url, first_role, second_role, name, other)
    firsts, seconds = case.both_open()
    real = seconds.fields["opened"].values[0]
    elsewhere = open_form(f"/plans/{case.ids['plan']}/phases/{case.ids['phase']}/edit" if "/phases/" not in case.url
                          else f"/plans/{case.ids['plan']}/edit", using=case.first).fields["opened"].values[0]
    tampered = {
        "missing": None, "garbage": "not-a-snapshot", "one character changed": real[:-1] + ("A" if real[-1] != "A" else "B"),
        "another form's": elsewhere, "100,000 characters": "x" * 100_000,
    }
    # nobody saved in between: the version alone says nothing was lost
    for month, (how, snapshot) in enumerate(tampered.items(), start=1):
        later = {"start_date": f"2027-{month:02}-04"} if case.holder else {}
        typed = str(int(second_value) + month) if second_value.isdigit() else f"{second_value} {month}"
        data = seconds.data(**{name: typed}, **later, **case.button)
        data.pop("opened") if snapshot is None else data.update(opened=[snapshot])
        assert case.second.post(case.url, data=data).status_code == 302, how
        firsts, seconds = case.both_open()
    # someone saved in between, changing nothing: what the page showed is not known, so any field that differs is refused
    assert case.first.post(case.first_url, data=firsts.data(**case.button)).status_code == 302
    before = _rows()
    for how, snapshot in tampered.items():
        data = seconds.data(**{name: first_value}, **case.button)
        data.pop("opened") if snapshot is None else data.update(opened=[snapshot])
        response = case.second.post(case.url, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 409, (how, html[:2000])
        assert "Your changes were NOT saved." in html and "When you opened it" not in html, how
        assert _rows() == before, f"a save with a {how} snapshot changed the database"


def test_a_refused_task_save_lists_the_tasks_history_since_the_page_was_opened(app, rollout_world, open_form):
    world = rollout_world
    url = f"/plans/{world['plan'].id}/tasks/{world['task'].id}/edit"
    first, second = _client(app, world["pm"]), _client(app, world["admin"])
    firsts, seconds = open_form(url, using=first), open_form(url, using=second)
    assert first.post(url, data=firsts.data(title="Train Sales reps", priority="high")).status_code == 302
    stale = second.post(url, data=seconds.data(title="Train all of Sales"))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    box = html.split('class="form-errors conflict"')[1].split("</form>")[0]
    assert "Everything saved since you opened the task:" in box
    history = box.split('class="table history"')[1].split("</table>")[0]
    assert "Paula PM" in history and "Train Sales reps" in history and "High" in history and "created" not in history


def _raci_setup(app, world, open_form):
    plan = world["plan"]
    second_row = team_services.add_deliverable(plan, name="Training plan")
    db.session.commit()
    url = f"/plans/{plan.id}/raci"
    first, second = _client(app, world["pm"]), _client(app, world["admin"])
    cells = {key: f"cell-{deliverable.id}-{world['team_role'].id}" for key, deliverable in
             (("goals", world["deliverable"]), ("training", second_row))}
    return url, first, second, cells, open_form(url, using=first), open_form(url, using=second)


def test_raci_rows_changed_by_two_people_from_the_same_grid_are_both_kept(app, rollout_world, open_form):
    url, first, second, cells, firsts, seconds = _raci_setup(app, rollout_world, open_form)
    assert first.post(url, data=firsts.data(**{cells["goals"]: "A"})).status_code == 302
    response = second.post(url, data=seconds.data(**{cells["training"]: "A"}), follow_redirects=True)
    assert [r.status_code for r in response.history] == [302]
    assert "their changes to Goals are kept along with yours." in response.get_data(as_text=True)
    grid = open_form(url, using=first)
    assert (grid.fields[cells["goals"]].values, grid.fields[cells["training"]].values) == (["A"], ["A"])


def test_a_raci_row_both_changed_is_refused_with_the_three_values(app, rollout_world, open_form, forms_in):
    url, first, second, cells, firsts, seconds = _raci_setup(app, rollout_world, open_form)
    assert first.post(url, data=firsts.data(**{cells["goals"]: "A"})).status_code == 302
    before = _rows()
    stale = second.post(url, data=seconds.data(**{cells["goals"]: "C", cells["training"]: "A"}))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert '<th scope="row">Goals</th><td><span class="muted">(empty)</span></td><td>A IT lead</td><td>C IT lead</td>' in html
    assert "Training plan</th>" not in html.split("</table>")[0]
    assert _rows() == before
    again = next(f for f in forms_in(html, url) if f.action == url)
    assert (again.fields[cells["goals"]].values, again.fields[cells["training"]].values) == (["C"], ["A"])
    assert second.post(url, data=again.data(**{cells["goals"]: "A"})).status_code == 302
    # and a grid without its snapshot is checked as before: a row that differs from the one saved since is refused
    assert second.post(url, data={**seconds.data(), "opened": "x"}).status_code == 409


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
    """Both pass the form's check; the database refuses the second UPDATE (SQLAlchemy's version_id_col)."""
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


def test_every_save_moves_the_version_by_one(app, client, login, rollout_world, open_form):
    world = rollout_world
    url = f"/plans/{world['plan'].id}/tasks/{world['task'].id}/edit"
    login(world["pm"])
    version = world["task"].version
    assert client.post(url, data=open_form(url).data(title="Train Sales reps")).status_code == 302
    db.session.expire_all()
    assert world["task"].version == version + 1 and world["task"].history[-1].version == version + 1
