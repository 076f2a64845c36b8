"""The demo shows key actions: Sales updates records, Key Accounts log in and look but never update one."""

from datetime import date, timedelta

from sqlalchemy import select

from crmproject.adoption.key_actions import weekly_key_actions
from crmproject.demo.services import DEMO_PLAN_NAME
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import Plan

TODAY = date(2026, 11, 23)


def test_demo_key_actions_tell_working_and_looking_apart(load_demo_copy):
    load_demo_copy(today=TODAY)
    plan = db.session.scalar(select(Plan).where(Plan.name == DEMO_PLAN_NAME))
    ids = {d.code: d.id for d in db.session.scalars(select(Department))}
    weeks = weekly_key_actions(plan.id, list(ids.values()), first=TODAY - timedelta(days=28), last=TODAY - timedelta(days=7))
    sales, kam = weeks[ids["SALES"]][-1], weeks[ids["KAM"]][-1]
    assert sales.people >= 20 and sales.percent >= 50 and not sales.logs_in_only
    assert kam.active_people >= 8 and kam.people == 0 and kam.logs_in_only
