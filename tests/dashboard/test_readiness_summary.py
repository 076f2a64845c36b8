"""The leadership dashboard's readiness summary: the organisation's maturity against its target, and the open
risks that score highest with the reasons the plan's figures give."""

from __future__ import annotations

from datetime import date, timedelta

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.maturity import services as maturity
from crmproject.maturity.blocks import Block
from crmproject.plans import services as plan_services

TODAY = date.today()


def test_the_dashboard_shows_the_organisations_maturity_and_the_top_risks(make_plan, make_department, make_user, login,
                                                                           client):
    plan = make_plan(start=TODAY - timedelta(days=100), end=TODAY + timedelta(days=300))
    plan_services.add_wave(plan, name="Pilot", go_live=TODAY + timedelta(days=30), departments=[make_department()])
    db.session.commit()
    login(make_user(Role.EXECUTIVE))
    empty = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    assert "The organisation has not been assessed yet" in empty
    # a new plan's catalogue risks are open, and nobody holds the sponsor's seat: that risk comes first
    assert "Top risks" in empty and "18 open risks" in empty and "No executive support" in empty
    first = empty.split('class="plain top-risks"', 1)[1].split("</li>", 1)[0]
    assert "No executive support" in first and ">20</span>" in first and "sponsor" in first
    assessment = maturity.create_assessment(plan, maturity.AssessmentValues(
        department=None, assessed_on=TODAY - timedelta(days=3), assessors=["Eric"]), today=TODAY)
    maturity.save_ratings(assessment, maturity.Ratings({}, {b: 2 for b in Block}, {}))
    maturity.set_targets(plan, {b: 3 for b in Block})
    db.session.commit()
    page = client.get(f"/plans/{plan.id}/dashboard").get_data(as_text=True)
    assert "chart-maturity" in page and "Below target:" in page and "Metrics 2 developing" in page
