from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from crmproject.adoption import services
from crmproject.adoption.charts import adoption_figure, heatmap_figure
from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.plans import services as plans


@pytest.fixture
def live(make_plan, make_user):
    today = date.today()
    plan = make_plan(start=today - timedelta(days=200), end=today + timedelta(days=400))
    head = make_user(Role.DEPARTMENT_HEAD)
    head.department.licensed_seats = 20
    plans.add_wave(plan, name="Pilot", go_live=today - timedelta(days=100), departments=[head.department])
    db.session.commit()
    return plan, head


def test_percent_prefers_28_day_active_users():
    snap = AdoptionSnapshot(licensed_seats=20, active_users=5, monthly_active_users=16)
    assert services.adoption_percent(snap) == 80.0
    assert services.adoption_percent(AdoptionSnapshot(licensed_seats=20, active_users=5, monthly_active_users=None)) == 25.0
    assert services.adoption_percent(AdoptionSnapshot(licensed_seats=0, active_users=5)) is None


def test_a_head_enters_figures_and_sees_them_on_the_department_and_plan_pages(client, login, live):
    plan, head = live
    login(head)
    day = date.today() - timedelta(days=1)
    bad = client.post(f"/departments/{head.department_id}/adoption", data={"day": day.isoformat(), "active_users": "25", "logins": "3"})
    assert "more than the 20 licensed seats" in bad.get_data(as_text=True)
    ok = client.post(f"/departments/{head.department_id}/adoption", data={"day": day.isoformat(), "active_users": "15", "logins": "30",
                                                                           "required_fields_share": "92.5"})
    assert ok.status_code == 302
    snap = db.session.scalar(db.select(AdoptionSnapshot))
    assert (snap.active_users, snap.source, snap.required_fields_share) == (15, SnapshotSource.MANUAL, D("92.50"))
    page = client.get(f"/plans/{plan.id}/adoption").get_data(as_text=True)
    assert 'id="adoption-chart"' in page and 'id="adoption-heatmap"' in page and "<strong>75%</strong>" in page
    assert 'id="department-adoption-chart"' in client.get(f"/departments/{head.department_id}").get_data(as_text=True)


def test_heads_enter_only_their_own_departments_figures(client, login, live, make_department):
    plan, head = live
    other = make_department()
    login(head)
    assert client.get(f"/departments/{other.id}/adoption").status_code == 403


def test_computed_days_are_not_overwritten_by_hand(live):
    plan, head = live
    day = date.today()
    db.session.add(AdoptionSnapshot(department_id=head.department_id, day=day, licensed_seats=20, active_users=10,
                                    source=SnapshotSource.USAGE))
    db.session.flush()
    with pytest.raises(ValidationFailed, match="computed from the CRM's usage export"):
        services.enter_snapshot(head.department, day=day, active_users=3, entered_by=head)


def test_charts_draw_a_line_per_department_the_target_and_weekly_cells(live):
    plan, head = live
    start = date(2026, 3, 2)  # a Monday
    for n in range(14):
        db.session.add(AdoptionSnapshot(department_id=head.department_id, day=start + timedelta(days=n), licensed_seats=20,
                                        active_users=10, monthly_active_users=10 + n % 7))
    db.session.flush()
    all_series = services.series([head.department], first=start, last=start + timedelta(days=13))
    fig = adoption_figure(all_series, target=D(80), today=start, go_lives={head.department_id: start})
    assert len(fig["data"]) == 1 and fig["data"][0]["y"][0] == 50.0
    assert fig["layout"]["shapes"][0]["y0"] == 80.0
    figures = services.weekly_figures([head.department_id], first=start, last=start + timedelta(days=13))
    weeks, table = services.weekly_table(figures)
    assert weeks == [start, start + timedelta(days=7)]
    assert table[head.department_id] == [65.0, 65.0]  # (10..16)/20 averaged
    heat = heatmap_figure(weeks, [(head.department.name, table[head.department_id])], target=D(80), go_lives=[start])
    assert heat["data"][0]["z"][0] == [65.0, 65.0]


def test_an_administrator_uploads_a_usage_export_and_follows_its_progress(client, login, make_user, make_department):
    import io
    import time as clock

    from crmproject.roster.services import create_employee

    sales = make_department(name="Sales", code="SALES", licensed_seats=4)
    create_employee(name="Ann", department=sales, crm_username="ann.lee", since=date(2026, 1, 1))
    db.session.commit()
    login(make_user(Role.ADMIN))
    page = client.get("/adoption/imports").get_data(as_text=True)
    assert 'name="file"' in page and 'name="timezone"' in page
    csv_data = (b"Username,Timestamp,Action\nANN.LEE,2026-03-02 09:00,Login\nann.lee,2026-03-02 09:05,Update opportunity\n"
                b"ghost,2026-03-02 10:00,Login\n")
    response = client.post("/adoption/imports", data={"file": (io.BytesIO(csv_data), "usage.csv"), "timezone": "UTC"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    status_url = response.headers["Location"] + "/status"
    deadline = clock.monotonic() + 15
    status = client.get(status_url).get_json()
    while status["state"] == "running" and clock.monotonic() < deadline:
        clock.sleep(0.05)
        status = client.get(status_url).get_json()
    assert status["state"] == "done", status
    assert (status["rows_read"], status["events_added"], status["unknown_users"]) == (3, 3, {"ghost": 1})
    progress_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ghost" in progress_page and 'id="import-progress"' in progress_page
    db.session.expire_all()
    snap = db.session.scalar(db.select(AdoptionSnapshot).where(AdoptionSnapshot.day == date(2026, 3, 2)))
    assert (snap.active_users, snap.logins, snap.events, snap.licensed_seats) == (1, 1, 2, 4)


def test_the_latest_figures_table_shows_no_figure_for_a_department_not_live_yet(client, login, live, make_user):
    plan, head = live
    later = make_user(Role.DEPARTMENT_HEAD)
    later.department.licensed_seats = 10
    go_live = date.today() + timedelta(days=60)
    plans.add_wave(plan, name="Wave 2", go_live=go_live, departments=[later.department])
    db.session.add(AdoptionSnapshot(department_id=later.department_id, day=date.today() - timedelta(days=1),
                                    licensed_seats=10, active_users=0, source=SnapshotSource.MANUAL))
    db.session.commit()
    login(head)
    page = client.get(f"/plans/{plan.id}/adoption").get_data(as_text=True)
    row = page[page.index(later.department.name + "</a>"):]
    row = row[:row.index("</tr>")]
    assert f"not live yet: goes live on {go_live.isoformat()}" in row
    assert "0%" not in row


def test_the_usage_import_page_imports_in_the_encoding_chosen_and_says_which(client, login, make_user, make_department):
    import io
    import time as clock

    from crmproject.roster.services import create_employee

    sales = make_department(name="Sales", code="SALES", licensed_seats=4)
    create_employee(name="Анна", department=sales, crm_username="анна", since=date(2026, 1, 1))
    db.session.commit()
    login(make_user(Role.ADMIN))
    assert '<option value="cp1251">Windows-1251</option>' in client.get("/adoption/imports").get_data(as_text=True)
    data = "User,Time\r\nанна,2026-03-02 09:00\r\n".encode("koi8_r")  # a line of KOI8-R: too little to detect

    response = client.post("/adoption/imports", data={"file": (io.BytesIO(data), "usage.csv"), "timezone": "UTC",
                                                      "encoding": "koi8_r"}, content_type="multipart/form-data")

    status_url = response.headers["Location"] + "/status"
    deadline = clock.monotonic() + 15
    status = client.get(status_url).get_json()
    while status["state"] == "running" and clock.monotonic() < deadline:
        clock.sleep(0.05)
        status = client.get(status_url).get_json()
    assert status["state"] == "done", status
    assert (status["events_added"], status["unknown_users"]) == (1, {})
    assert "The file was read as KOI8-R text (as chosen)." in status["message"]
