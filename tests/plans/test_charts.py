from datetime import date

from crmproject.plans import services
from crmproject.plans.charts import timeline_figure


def test_timeline_has_a_bar_per_phase_a_milestone_per_wave_and_a_today_line(make_plan, make_department):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    services.add_phase(plan, name="Prepare", start=date(2026, 1, 1), end=date(2026, 1, 31))
    services.add_phase(plan, name="Pilot", start=date(2026, 2, 1), end=date(2026, 5, 31))
    services.add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[make_department(code="SALES")])
    fig = timeline_figure(plan, today=date(2026, 4, 10))
    bars, milestones = fig["data"]
    assert bars["type"] == "bar" and bars["y"] == ["Prepare", "Pilot"]
    assert bars["base"] == ["2026-01-01", "2026-02-01"]
    # January is 31 days, inclusive of its last day
    assert bars["x"][0] == 31 * 86_400_000
    assert milestones["type"] == "scatter" and milestones["x"] == ["2026-03-01"]
    assert milestones["text"] == ["SALES"]
    (today_line,) = fig["layout"]["shapes"]
    assert today_line["x0"] == "2026-04-10" and today_line["type"] == "line"


def test_timeline_range_includes_today_even_outside_the_plan(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 6, 30))
    services.add_phase(plan, name="Only", start=date(2026, 1, 1), end=date(2026, 6, 30))
    fig = timeline_figure(plan, today=date(2026, 9, 1))
    low, high = fig["layout"]["xaxis"]["range"]
    assert low < "2026-01-01" and high > "2026-09-01"
