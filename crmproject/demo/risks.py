"""The demo plan's risk register after eight months: the project manager has scored the catalogue's failure
factors for Northwind, closed the ones the pilot settled, linked the data-quality and change-management risks
to their change tasks, let one review slip, and added Marketing's own risk about the newsletter integration."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.db import utcnow
from crmproject.demo.language import DemoTexts
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import Plan
from crmproject.risks.models import Risk, RiskStatus
from crmproject.risks.services import add_catalogue_risks
from crmproject.tasks.models import ChangeTask

MARKETING_RISK = "Newsletter integration not ready for Marketing's campaigns"

# factor: (likelihood, impact, owner's e-mail, days to the next review (negative: overdue), closing note or "")
SCORES: dict[str, tuple[int, int, str, int, str]] = {
    "not_thought_through": (1, 5, "pm@example.com", 60, "Goals per stage written and signed by the sponsor at the kick-off."),
    "scattered_information": (3, 4, "head.it@example.com", 21, ""),
    "processes_undefined": (3, 4, "head.sales@example.com", 14, ""),
    "integration_stalled": (4, 4, "head.it@example.com", 10, ""),
    "architecture_underestimated": (2, 4, "head.it@example.com", 45, "Load test before the pilot go-live passed at three times the pilot's volume."),
    "internal_politics": (2, 3, "exec@example.com", 30, ""),
    "units_not_cooperating": (3, 4, "pm@example.com", 18, ""),
    "cost": (3, 3, "pm@example.com", 25, ""),
    "technology_as_solution": (1, 4, "pm@example.com", 90, "The pilot was run on redesigned sales processes; "
                               "the steering committee chose the modules by business problem."),
    "no_executive_support": (2, 5, "exec@example.com", 30, ""),
    "no_customer_culture": (3, 4, "exec@example.com", 40, ""),
    "unclear_roi": (3, 3, "pm@example.com", 28, ""),
    "no_vision_or_goals": (2, 5, "pm@example.com", 35, ""),
    "poor_resource_allocation": (3, 4, "pm@example.com", 20, ""),
    "processes_not_redesigned": (3, 4, "head.mkt@example.com", -9, ""),  # the review slipped
    "poor_data_quality": (4, 4, "head.it@example.com", 12, ""),
    "weak_change_management": (3, 5, "pm@example.com", 15, ""),
    "no_analytical_crm": (3, 3, "head.mkt@example.com", 60, ""),
}
STATUS = {"integration_stalled": RiskStatus.MITIGATING, "poor_data_quality": RiskStatus.MITIGATING,
          "weak_change_management": RiskStatus.MITIGATING}
TASKS = {"poor_data_quality": ("Define required fields and data entry rules", "De-duplicate the customer database",
                               "Import marketing contact lists with expert review"),
         "weak_change_management": ("Weekly pilot feedback sessions", "Train Marketing on campaigns and segments")}


def load_demo_risks(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Score the demo plan's catalogue risks and add Marketing's own (once: a plan that has it is left alone)."""
    marketing = db.session.scalar(select(Department).where(Department.code == "MKT"))
    if db.session.scalar(select(Risk.id).where(
            Risk.plan_id == plan.id, Risk.factor.is_(None),
            Risk.department_id == (marketing.id if marketing else None))) is not None:
        return
    add_catalogue_risks(plan, today=today)
    users = {u.email: u for u in db.session.scalars(select(User))}
    tasks = {t.title: t for t in db.session.scalars(select(ChangeTask).where(ChangeTask.plan_id == plan.id))}
    for risk in db.session.scalars(select(Risk).where(Risk.plan_id == plan.id, Risk.factor.is_not(None))):
        if risk.factor not in SCORES:
            continue
        likelihood, impact, owner, review_in, note = SCORES[risk.factor]
        risk.likelihood, risk.impact, risk.owner = likelihood, impact, users.get(owner)
        risk.review_date = today + timedelta(days=review_in)
        if note:
            risk.status, risk.closed_note, risk.closed_at = RiskStatus.CLOSED, texts(note), utcnow() - timedelta(days=40)
            risk.review_date = None
        else:
            risk.status = STATUS.get(risk.factor, RiskStatus.OPEN)
        risk.tasks = [tasks[texts(title)] for title in TASKS.get(risk.factor, ()) if texts(title) in tasks]
    db.session.add(Risk(
        plan_id=plan.id, department_id=marketing.id if marketing else None, title=texts(MARKETING_RISK),
        description=texts("The newsletter tool still drops the 'opened' events, so campaign results cannot be judged "
                          "in the CRM and Marketing keeps its spreadsheets."),
        mitigations=texts("Vendor fix scheduled; until then a nightly import of the events; key user checks the "
                          "counts weekly."),
        likelihood=4, impact=3, owner=users.get("head.mkt@example.com"), status=RiskStatus.MITIGATING,
        review_date=today + timedelta(days=7)))
    db.session.flush()
