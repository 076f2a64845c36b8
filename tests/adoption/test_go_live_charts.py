"""Adoption charts draw nothing before a department's go-live (a usage export's zeros then mean "not live yet",
not 0%) and mark the go-live, on the plan's adoption page as on the dashboard."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

from sqlalchemy import insert

from crmproject.adoption.charts import adoption_figure, heatmap_figure
from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.adoption.services import Series
from crmproject.auth.models import Role
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import WaveKind
from crmproject.plans.services import add_wave

TODAY = date.today()
MONDAYS = [date(2026, 3, 2) + timedelta(weeks=n) for n in range(5)]


def _go_live_marks(layout) -> list[str]:
    """The x of each dotted vertical line that an annotation labels "go-live"."""
    labelled = {a["x"] for a in layout.get("annotations", ()) if a.get("text") == "go-live"}
    return sorted(s["x0"] for s in layout.get("shapes", ())
                  if s.get("x0") == s.get("x1") and s["line"].get("dash") == "dot" and s["x0"] in labelled)


def test_the_heat_map_leaves_the_weeks_before_a_go_live_blank_and_marks_the_go_live():
    go_live = MONDAYS[2] + timedelta(days=2)  # a Wednesday: its whole week counts, as on the dashboard
    fig = heatmap_figure(MONDAYS, [("Sales", [0.0, 0.0, 35.0, 52.5, 60.0]), ("Finance", [0.0] * 5)],
                         target=Decimal(80), go_lives=[go_live, None])
    heat = fig["data"][0]
    assert heat["z"][0] == [None, None, 35.0, 52.5, 60.0]
    assert heat["z"][1] == [None] * 5  # no go-live planned: nothing to show yet
    marks = [t for t in fig["data"] if t["type"] == "scatter" and t["name"] == "go-live"]
    assert len(marks) == 1 and marks[0]["y"] == ["Sales"]
    # on the left edge of the go-live's week: its Monday's cell spans the Monday ± 3.5 days
    assert marks[0]["x"] == [f"{MONDAYS[2] - timedelta(days=4)}T12:00:00"]
    assert marks[0]["customdata"] == [go_live.isoformat()]


def test_a_go_live_outside_the_weeks_shown_is_not_marked():
    fig = heatmap_figure(MONDAYS, [("Sales", [10.0] * 5)], target=Decimal(80), go_lives=[MONDAYS[0] - timedelta(weeks=8)])
    assert fig["data"][0]["z"][0] == [10.0] * 5
    assert [t["type"] for t in fig["data"]] == ["heatmap"]


def test_the_adoption_line_starts_at_the_go_live_and_the_go_live_is_marked():
    sales, finance = Department(id=1, name="Sales"), Department(id=2, name="Finance")
    days = [MONDAYS[0] + timedelta(days=n) for n in range(10)]
    go_live = days[4]
    fig = adoption_figure([Series(sales, days, [0.0] * 4 + [20.0, 25.0, 30.0, 35.0, 40.0, 45.0]),
                           Series(finance, days, [0.0] * 10)],  # not in a wave: not drawn
                          target=Decimal(80), today=days[-1], go_lives={sales.id: go_live, finance.id: None})
    assert [t["name"] for t in fig["data"]] == ["Sales"]
    assert fig["data"][0]["y"] == [None] * 4 + [20.0, 25.0, 30.0, 35.0, 40.0, 45.0]
    assert _go_live_marks(fig["layout"]) == [go_live.isoformat()]


# --- the pages ------------------------------------------------------------------------------------------------

def _figure(html: str, chart_id: str) -> dict:
    found = re.search(rf'id="{chart_id}"[^>]*data-figure="([^"]*)"', html)
    assert found, f"no chart {chart_id}"
    return json.loads(unescape(found.group(1)))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_the_adoption_page_and_the_dashboard_agree_before_and_after_a_go_live(client, login, make_plan, make_department,
                                                                                make_user):
    """A usage export counts every day of the year: zeros for Sales before its go-live six weeks ago, then 40%."""
    plan = make_plan(start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=300))
    sales = make_department(name="Sales", code="SALES", licensed_seats=20)
    go_live = _monday(TODAY - timedelta(weeks=6)) + timedelta(days=2)
    add_wave(plan, name="Pilot", go_live=go_live, kind=WaveKind.PILOT, departments=[sales])
    first = _monday(TODAY - timedelta(weeks=12))
    db.session.execute(insert(AdoptionSnapshot), [
        dict(department_id=sales.id, day=day, licensed_seats=20, active_users=8 if day >= go_live else 0,
             monthly_active_users=8 if day >= go_live else 0, source=SnapshotSource.USAGE)
        for day in (first + timedelta(days=n) for n in range((TODAY - first).days + 1))])
    db.session.commit()
    login(make_user(Role.EXECUTIVE))

    adoption = client.get(f"/plans/{plan.id}/adoption").get_data(as_text=True)
    dashboard = client.get(f"/plans/{plan.id}/dashboard?from={first.isoformat()}").get_data(as_text=True)
    cells = {}
    for page, chart_id in ((adoption, "adoption-heatmap"), (dashboard, "chart-heatmap")):
        heat = _figure(page, chart_id)["data"][0]
        cells[chart_id] = dict(zip(heat["x"], heat["z"][heat["y"].index("Sales")], strict=True))
        weeks_before = [v for week, v in cells[chart_id].items() if date.fromisoformat(week[:10]) < _monday(go_live)]
        assert weeks_before and weeks_before == [None] * len(weeks_before), chart_id  # blank, not 0%
        mark = next(t for t in _figure(page, chart_id)["data"] if t.get("name") == "go-live")
        assert mark["y"] == ["Sales"] and mark["customdata"] == [go_live.isoformat()], chart_id
    shared = cells["adoption-heatmap"].keys() & cells["chart-heatmap"].keys()
    assert len(shared) >= 12
    assert {w: cells["adoption-heatmap"][w] for w in shared} == {w: cells["chart-heatmap"][w] for w in shared}

    # the plan's line chart has a point a week, as the dashboard's: blank before the go-live's week, that week
    # partly live, then 40%; the same points as the dashboard's line of Sales
    line = _figure(adoption, "adoption-chart")
    sales_line = dict(zip(line["data"][0]["x"], line["data"][0]["y"], strict=True))
    assert {v for day, v in sales_line.items() if date.fromisoformat(day) < _monday(go_live)} == {None}
    assert 0 < sales_line[_monday(go_live).isoformat()] < 40.0
    assert sales_line[(_monday(go_live) + timedelta(weeks=1)).isoformat()] == 40.0
    dashboard_line = next(t for t in _figure(dashboard, "chart-departments")["data"] if t["name"] == "Sales")
    on_both = sales_line.keys() & {day[:10] for day in dashboard_line["x"]}
    assert len(on_both) >= 6 and all(
        sales_line[day] == dict(zip((d[:10] for d in dashboard_line["x"]), dashboard_line["y"], strict=True))[day] for day in on_both)
    assert _go_live_marks(line["layout"]) == [go_live.isoformat()]
    assert _go_live_marks(_figure(dashboard, "chart-departments")["layout"]) == [go_live.isoformat()]
