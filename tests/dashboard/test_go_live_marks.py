"""The dashboard marks each go-live on its adoption charts over time, and only the go-lives in the weeks shown."""

import json
import re
from datetime import date, timedelta
from html import unescape

from sqlalchemy import insert

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans.models import WaveKind
from crmproject.plans.services import add_wave

TODAY = date.today()


def _figure(html: str, chart_id: str) -> dict:
    found = re.search(rf'id="{chart_id}"[^>]*data-figure="([^"]*)"', html)
    assert found, f"no chart {chart_id}"
    return json.loads(unescape(found.group(1)))


def _labelled_lines(layout: dict) -> list[tuple[str, str]]:
    """(day, who went live) of each dotted vertical line labelled "go-live"."""
    lines = {s["x0"] for s in layout.get("shapes", ()) if s.get("x0") == s.get("x1") and s["line"].get("dash") == "dot"}
    return sorted((a["x"], a["hovertext"]) for a in layout.get("annotations", ())
                  if a.get("text") == "go-live" and a["x"] in lines)


def test_the_go_lives_in_the_weeks_shown_are_marked_on_the_department_chart_and_the_heat_map(
        client, login, make_plan, make_department, make_user):
    plan = make_plan(start=TODAY - timedelta(days=300), end=TODAY + timedelta(days=300))
    sales = make_department(name="Sales", code="SALES", licensed_seats=10)
    key_accounts = make_department(name="Key Accounts", code="KAM", licensed_seats=10)
    service = make_department(name="Service", code="CS", licensed_seats=10)
    pilot = TODAY - timedelta(days=120)
    add_wave(plan, name="Pilot", go_live=pilot, kind=WaveKind.PILOT, departments=[sales, key_accounts])
    add_wave(plan, name="Wave 2", go_live=TODAY + timedelta(days=30), departments=[service])  # ahead: not drawn
    db.session.execute(insert(AdoptionSnapshot), [
        dict(department_id=d.id, day=pilot + timedelta(days=n), licensed_seats=10, active_users=6,
             monthly_active_users=6, source=SnapshotSource.USAGE) for d in (sales, key_accounts) for n in range(121)])
    db.session.commit()
    login(make_user(Role.EXECUTIVE))

    html = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    departments = _figure(html, "chart-departments")
    assert _labelled_lines(departments["layout"]) == [(pilot.isoformat(), f"Key Accounts, Sales live on {pilot}")]
    marks = next(t for t in _figure(html, "chart-heatmap")["data"] if t.get("name") == "go-live")
    assert sorted(marks["y"]) == ["Key Accounts", "Sales"] and marks["customdata"] == [pilot.isoformat()] * 2

    # weeks chosen after the go-live: nothing to mark
    later = client.get(f"/plans/{plan.id}/dashboard?from={(pilot + timedelta(days=30)).isoformat()}").get_data(as_text=True)
    assert _labelled_lines(_figure(later, "chart-departments")["layout"]) == []
    assert [t.get("name") for t in _figure(later, "chart-heatmap")["data"]] == [None]  # the heat map alone
