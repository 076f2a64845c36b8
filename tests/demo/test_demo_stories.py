"""The standard demo tells the three adoption stories of the texts in its 28-day adoption figures."""

from datetime import date, timedelta

from sqlalchemy import select

from crmproject.adoption.services import department_shapes, weekly_figures
from crmproject.adoption.shapes import Shape, ShapeRules
from crmproject.demo.services import DEMO_PLAN_NAME
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import Plan

TODAY = date(2026, 11, 23)


def test_demo_adoption_tells_lasting_fading_no_effect_and_too_early(load_demo_copy):
    load_demo_copy(today=TODAY)
    plan = db.session.scalar(select(Plan).where(Plan.name == DEMO_PLAN_NAME))
    codes = {d.id: d.code for d in db.session.scalars(select(Department))}
    go_lives = {a.department_id: w.go_live_date for w in plan.waves for a in w.assignments}
    weekly = weekly_figures(list(go_lives), first=TODAY - timedelta(days=400), last=TODAY)
    verdicts = {codes[d]: v for d, v in department_shapes(go_lives, weekly, today=TODAY, rules=ShapeRules()).items()}

    assert verdicts["SALES"].shape == Shape.LASTING and verdicts["SALES"].latest >= 75
    assert verdicts["KAM"].shape == Shape.LASTING and verdicts["KAM"].peak >= 70
    assert verdicts["MKT"].shape == Shape.FADING
    assert verdicts["MKT"].peak >= 75 and verdicts["MKT"].drop >= 25 and verdicts["MKT"].weeks_below >= 6
    assert verdicts["TELE"].shape == Shape.NO_EFFECT and verdicts["TELE"].peak < 25
    assert verdicts["CS"].shape == Shape.TOO_EARLY and 0 < verdicts["CS"].weeks_live < 8
    assert verdicts["SUP"].shape == Shape.TOO_EARLY


def test_demo_reports_no_adoption_kpi_value_before_a_department_goes_live(load_demo_copy):
    from crmproject.kpis.models import GoalFamily, Kpi, KpiMeasurement

    load_demo_copy(today=TODAY)
    plan = db.session.scalar(select(Plan).where(Plan.name == DEMO_PLAN_NAME))
    go_lives = {a.department_id: w.go_live_date for w in plan.waves for a in w.assignments}
    adoption = db.session.scalars(select(KpiMeasurement).join(Kpi).where(Kpi.goal_family == GoalFamily.ADOPTION)).all()
    assert adoption, "the demo has adoption KPI values"
    early = [(m.department_id, m.measured_on) for m in adoption
             if m.department_id not in go_lives or m.measured_on < go_lives[m.department_id]]
    assert early == []
