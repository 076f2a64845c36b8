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
from crmproject.plans.models import PhaseStatus, Plan
from crmproject.plans.seeds import create_plan_from_template, get_template
from crmproject.plans.services import ensure_standard_modules
from crmproject.tasks.models import CommunicationChannel, CommunicationStatus, TaskPriority, TaskStatus
from crmproject.tasks.services import create_task, ensure_categories, save_communication, set_dependencies
from crmproject.teams.models import RaciCode
from crmproject.teams.services import add_deliverable, add_standard_roles, assign, save_raci

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
        plan = create_plan_from_template(
            get_template(DEMO_TEMPLATE), start=today - timedelta(days=DEMO_PLAN_AGE_DAYS), name=DEMO_PLAN_NAME,
            created_by=get_user_by_email("pm@example.com"),
        )
        populate_plan(plan, today=today)
        summary.created["plans"] += 1
    db.session.commit()
    return summary


# --- the demo plan's team, RACI, change tasks and communications -------------------------------------

def populate_plan(plan: Plan, *, today: date) -> None:
    """Give the demo plan what a project manager would have after eight months:
    phase statuses, a staffed team with a handover, a RACI grid, change tasks
    across phases and departments (some late, some blocked) and communications."""
    for phase in plan.phases:
        if phase.end_date < today:
            phase.status = PhaseStatus.COMPLETED
        elif phase.start_date <= today:
            phase.status = PhaseStatus.IN_PROGRESS
    roles = {r.title: r for r in add_standard_roles(plan)}
    users = {u.email: u for u in db.session.scalars(select(User))}
    start = plan.start_date
    holders = {
        "Executive sponsor": [(users["exec@example.com"], 0)],
        # the first project manager left after three months: the team page shows the handover
        "Project manager": [("Viktor Lebedev", 0), (users["pm@example.com"], 95)],
        "Module lead SFA": [(users[head_email("SALES")], 10)],
        "Module lead MA": [(users[head_email("MKT")], 60)],
        "Technical support": [(users[head_email("SUP")], 30)],
        "External implementation partner": [("Anna Schmidt, Nordlicht Consulting", 20)],
        "IT": [(users[head_email("IT")], 0)],
        "Key user SALES": [("Pavel Morozov", 40), ("Elena Volkova", 150)],
    }
    for title, people in holders.items():
        role = roles.get(title)
        for person, offset in people if role else ():
            if isinstance(person, User):
                assign(role, user=person, start=start + timedelta(days=offset))
            else:
                name, _sep, organisation = person.partition(", ")
                assign(role, person_name=name, organisation=organisation, start=start + timedelta(days=offset))
    _demo_raci(plan, roles)
    _demo_tasks(plan, users, today=today)
    _demo_communications(plan, users)
    db.session.flush()


RACI_ROWS = (
    ("Quantified goals and business case", {"Executive sponsor": "A", "Project manager": "R", "Module lead SFA": "C", "IT": "I"}),
    ("Clean, de-duplicated customer database", {"Project manager": "A", "IT": "R", "Key user SALES": "C", "Module lead SFA": "C"}),
    ("SFA configured for the pilot", {"Module lead SFA": "A", "External implementation partner": "R", "Key user SALES": "C", "IT": "C"}),
    ("Training programme", {"Project manager": "A", "Module lead SFA": "R", "Key user SALES": "R", "Executive sponsor": "I"}),
    ("Pilot go-live decision", {"Executive sponsor": "A", "Project manager": "R", "Module lead SFA": "C", "Technical support": "I"}),
    ("ERP integration", {"IT": "A", "External implementation partner": "R", "Technical support": "C", "Project manager": "I"}),
)


def _demo_raci(plan: Plan, roles: dict) -> None:
    grid = {}
    for name, cells in RACI_ROWS:
        deliverable = add_deliverable(plan, name=name)
        grid[deliverable.id] = {roles[t].id: RaciCode(code) for t, code in cells.items() if t in roles}
    save_raci(plan, grid)


# title, category, phase index, department code or None, owner e-mail, due offset from today, status, priority
DEMO_TASKS = (
    ("Write down quantified goals per stage", "leadership", 0, None, "pm@example.com", -200, "done", "high"),
    ("Sponsor kick-off with all department heads", "leadership", 0, None, "exec@example.com", -190, "done", "high"),
    ("Map the current sales process", "process_redesign", 1, "SALES", "head.sales@example.com", -150, "done", "medium"),
    ("Define required fields and data entry rules", "data_quality", 1, None, "head.it@example.com", -140, "done", "high"),
    ("De-duplicate the customer database", "data_quality", 1, "SALES", "head.it@example.com", -120, "done", "critical"),
    ("Train the pilot sales team on SFA", "training", 2, "SALES", "head.sales@example.com", -95, "done", "high"),
    ("Weekly pilot feedback sessions", "resistance", 2, "SALES", "head.sales@example.com", -20, "in_progress", "medium"),
    ("Publish pilot results on the intranet", "communication", 3, "SALES", "pm@example.com", -6, "in_progress", "high"),
    ("Fix opportunity stages reported by key users", "process_redesign", 3, "SALES", "head.sales@example.com", -12, "blocked", "high"),
    ("Tie CRM data accuracy to performance reviews", "leadership", 3, "SALES", "head.sales@example.com", 10, "not_started", "medium"),
    ("Sales pipeline report for the steering committee", "communication", 3, "SALES", "head.sales@example.com", 5, "not_started", "medium"),
    ("Campaign process redesign for MA", "process_redesign", 4, "MKT", "head.mkt@example.com", 20, "in_progress", "high"),
    ("Import marketing contact lists with expert review", "data_quality", 4, "MKT", "head.mkt@example.com", -3, "in_progress", "high"),
    ("Train Marketing on campaigns and segments", "training", 4, "MKT", "head.mkt@example.com", 45, "not_started", "high"),
    ("Telesales call scripts in the CRM", "process_redesign", 4, "TELE", "head.tele@example.com", 35, "not_started", "medium"),
    ("Key Accounts: account plans moved into SFA", "data_quality", 4, "KAM", "head.kam@example.com", 50, "not_started", "medium"),
    ("Resistance interviews in Key Accounts", "resistance", 4, "KAM", "head.kam@example.com", -1, "not_started", "medium"),
    ("Case categories and service levels for CSS", "process_redesign", 5, "CS", "head.cs@example.com", 110, "not_started", "high"),
    ("Knowledge base migration", "data_quality", 5, "SUP", "head.sup@example.com", 130, "not_started", "medium"),
    ("Train Customer Service on CSS", "training", 5, "CS", "head.cs@example.com", 160, "not_started", "high"),
    ("ERP integration: orders and invoices", "integration", 6, None, "head.it@example.com", 260, "not_started", "critical"),
    ("Mobile sales app for Field Service", "integration", 6, "FIELD", "head.field@example.com", 290, "not_started", "medium"),
    ("Announce wave 2 at the town hall", "communication", 4, None, "exec@example.com", 14, "not_started", "high"),
)


def _demo_tasks(plan: Plan, users: dict, *, today: date) -> None:
    categories = {c.key: c for c in ensure_categories()}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    created = {}
    for title, category, phase_index, code, owner, offset, status, priority in DEMO_TASKS:
        phase = plan.phases[min(phase_index, len(plan.phases) - 1)]
        created[title] = create_task(
            plan, title=title, category=categories[category], actor=users["pm@example.com"], owner=users.get(owner),
            phase=phase, department=departments.get(code) if code else None, due=today + timedelta(days=offset),
            status=TaskStatus(status), priority=TaskPriority(priority),
        )
    set_dependencies(created["De-duplicate the customer database"], [created["Define required fields and data entry rules"]])
    set_dependencies(created["Train the pilot sales team on SFA"], [created["De-duplicate the customer database"]])
    set_dependencies(created["Train Marketing on campaigns and segments"], [created["Campaign process redesign for MA"]])


def _demo_communications(plan: Plan, users: dict) -> None:
    pm, sponsor = users["pm@example.com"], users["exec@example.com"]
    start = plan.start_date
    items = (
        ("All staff", CommunicationChannel.TOWN_HALL, "Why we are introducing a CRM, and what changes for you", 14, sponsor, CommunicationStatus.SENT),
        ("Sales", CommunicationChannel.MEETING, "Pilot start: your key users, training dates and where to get help", 120, pm, CommunicationStatus.SENT),
        ("Department heads", CommunicationChannel.EMAIL, "Monthly progress report: adoption, training, open issues", 200, pm, CommunicationStatus.SENT),
        ("All staff", CommunicationChannel.INTRANET, "Pilot results from Sales: what worked, what we changed", 245, pm, CommunicationStatus.PLANNED),
        ("Marketing, Key Accounts, Telesales", CommunicationChannel.MEETING, "Wave 2: what you will use from go-live and how you will be trained", 280, pm, CommunicationStatus.PLANNED),
    )
    for audience, channel, message, offset, owner, status in items:
        save_communication(None, plan, audience=audience, channel=channel, message=message,
                           planned_date=start + timedelta(days=offset), owner=owner, department=None, status=status)
