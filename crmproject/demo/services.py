"""A realistic demo organisation, loaded idempotently: running it twice adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from crmproject.auth.models import Role, User
from crmproject.auth.services import create_user, get_user_by_email
from crmproject.departments.models import Department
from crmproject.departments.services import create_department, get_department_by_code, set_head
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.seeds import create_plan_from_template, get_template
from crmproject.plans.services import ensure_standard_modules

DEMO_PASSWORD = "demo1234"
DEMO_TEMPLATE = "pilot-then-waves"
DEMO_PLAN_NAME = "Northwind CRM rollout"
# The demo plan started this many days ago, so the pilot is live and later waves are ahead.
DEMO_PLAN_AGE_DAYS = 240

# code, name, headcount, licensed seats, head's name
DEPARTMENTS: tuple[tuple[str, str, int, int, str], ...] = (
    ("SALES", "Sales", 48, 45, "Olga Petrova"),
    ("KAM", "Key Accounts", 14, 14, "Daniel Fischer"),
    ("TELE", "Telesales", 22, 20, "Leila Karimi"),
    ("MKT", "Marketing", 18, 16, "Chen Wei"),
    ("ECOM", "E-commerce", 12, 10, "Maria Santos"),
    ("CS", "Customer Service", 35, 32, "Ivan Sokolov"),
    ("SUP", "Technical Support", 26, 24, "Sara Ahmadi"),
    ("FIELD", "Field Service", 30, 25, "Tom Becker"),
    ("FIN", "Finance", 16, 6, "Anna Kowalska"),
    ("LOG", "Logistics", 20, 8, "Li Na"),
    ("PROD", "Product Management", 10, 8, "Reza Tehrani"),
    ("IT", "IT", 15, 15, "Nikolai Orlov"),
)

STAFF: tuple[tuple[str, str, Role], ...] = (
    ("admin@example.com", "Alex Admin", Role.ADMIN),
    ("pm@example.com", "Paula Project-Manager", Role.PROJECT_MANAGER),
    ("exec@example.com", "Eric Executive", Role.EXECUTIVE),
)


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=lambda: {"users": 0, "departments": 0, "plans": 0})
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        if not any(self.created.values()):
            return _("Demo organisation already present; nothing added.")
        return _(
            "Demo organisation loaded: %(users)s users, %(departments)s departments, %(plans)s plans added.", **self.created
        )


def head_email(code: str) -> str:
    return f"head.{code.lower()}@example.com"


def _user(summary: DemoSummary, email: str, name: str, role: Role, department: Department | None = None) -> User:
    user = get_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=name, password=DEMO_PASSWORD, role=role, department=department)
        summary.created["users"] += 1
    return user


def load_demo(*, today: date) -> DemoSummary:
    """Create the demo users, departments and rollout plan where they are missing, then commit."""
    summary = DemoSummary()
    for email, name, role in STAFF:
        _user(summary, email, name, role)
        summary.accounts.append((email, str(role.label)))
    for code, name, headcount, seats, head_name in DEPARTMENTS:
        department = get_department_by_code(code)
        if department is None:
            department = create_department(name=name, code=code, headcount=headcount, licensed_seats=seats)
            summary.created["departments"] += 1
        head = _user(summary, head_email(code), head_name, Role.DEPARTMENT_HEAD, department)
        if head.department_id != department.id and not department.heads:
            set_head(department, head)
    summary.accounts.append((head_email("SALES"), _("Department head (%(department)s)", department="Sales")))
    ensure_standard_modules()
    exists = db.session.scalar(select(func.count()).select_from(Plan).where(Plan.name == DEMO_PLAN_NAME))
    if not exists:
        create_plan_from_template(
            get_template(DEMO_TEMPLATE), start=today - timedelta(days=DEMO_PLAN_AGE_DAYS), name=DEMO_PLAN_NAME,
            created_by=get_user_by_email("pm@example.com"),
        )
        summary.created["plans"] += 1
    db.session.commit()
    return summary
