"""A realistic demo organisation, loaded idempotently: running it twice adds nothing."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import func, select

from crmproject.auth.models import Role, User
from crmproject.auth.services import create_user, get_user_by_email
from crmproject.departments.models import Department
from crmproject.departments.services import create_department, get_department_by_code, set_head
from crmproject.baselines.services import save_baseline
from crmproject.demo.business_case import load_demo_business_case
from crmproject.demo.hypercare import load_demo_hypercare
from crmproject.demo.maturity import load_demo_maturity
from crmproject.demo.risks import load_demo_risks
from crmproject.demo.pulse import load_demo_pulse
from crmproject.demo.impact import load_demo_impact
from crmproject.demo.language import SOURCE_LANGUAGE, DemoTexts, demo_texts
from crmproject.demo.comments import load_demo_comments
from crmproject.demo.lookup import DEMO_TEMPLATE, seat, template_kpis, template_phase
from crmproject.extensions import db
from crmproject.gates.models import GateOutcome
from crmproject.gates.services import ConditionValues, list_gates, record_decision
from crmproject.steering.services import ActionValues, add_action, leadership_users, list_meetings, plan_meeting
from crmproject.i18n import _
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import GoalFamily, Kpi
from crmproject.kpis.services import record_measurement
from crmproject.plans.models import PhaseStatus, Plan, WaveKind
from crmproject.adoption.models import UsageImport
from crmproject.adoption.usage import import_usage
from crmproject.roster.models import Employee
from crmproject.demo.training import load_demo_training
from crmproject.roster.services import create_employee, move
from crmproject.reports.services import ReportContent, kpis_due, periods, reporting_departments, start_report, submit
from crmproject.plans.seeds import create_plan_from_template, get_template
from crmproject.plans.services import STANDARD_MODULES, ensure_standard_modules, get_module_by_code, go_live_dates
from crmproject.tasks.models import ChangeTask, CommunicationChannel, CommunicationStatus, TaskPriority, TaskStatus
from crmproject.tasks.services import create_task, ensure_categories, save_communication, set_dependencies
from crmproject.teams.models import RaciCode
from crmproject.teams.services import add_deliverable, add_standard_roles, assign, save_raci

DEMO_PASSWORD = "northwind-demo"
DEMO_PLAN_NAME = "Northwind CRM rollout"
DEMO_SEED_KEY = "demo"
# The demo plan started this many days ago, so the pilot is live and later waves are ahead.
DEMO_PLAN_AGE_DAYS = 435

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


def interface_language(texts: DemoTexts) -> str | None:
    """The interface language of the demo's users: the demo's own, so a login shows it in that language; in
    English none, so the browser's decides, as for any user who has not chosen."""
    return None if texts.language == SOURCE_LANGUAGE else texts.language


def _user(summary: DemoSummary, texts: DemoTexts, email: str, name: str, role: Role,
          department: Department | None = None) -> User:
    user = get_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=texts(name), password=DEMO_PASSWORD, role=role, department=department)
        user.language = interface_language(texts)
        summary.created["users"] += 1
    return user


def demo_plan() -> Plan | None:
    """The plan the demo loaded, found by its seed key, which no user can change (its name they can)."""
    return db.session.scalar(select(Plan).where(Plan.seed_key == DEMO_SEED_KEY))


def load_demo(*, today: date, language: str = SOURCE_LANGUAGE) -> DemoSummary:
    """Create the demo users, departments and rollout plan where they are missing, then commit.

    `language` (an interface language: en, ru, zh_Hans, fa) is the one of everything the demo writes: names,
    texts, the texts the services write themselves (team seats, risks), and its users' interface. What is
    already there is left as it is, in the language it was built in.
    """
    texts = demo_texts(language)
    summary = DemoSummary()
    with force_locale(language):
        _load(summary, texts, today=today)
    for email, _name, role in STAFF:
        summary.accounts.append((email, str(role.label)))
    sales = get_department_by_code("SALES")
    summary.accounts.append((head_email("SALES"), _("Department head (%(department)s)",
                                                    department=sales.name if sales else "SALES")))
    return summary


def _load(summary: DemoSummary, texts: DemoTexts, *, today: date) -> None:
    """Whatever of the demo is missing, its texts in `texts`' language (the caller sets the services' own)."""
    for email, name, role in STAFF:
        _user(summary, texts, email, name, role)
    for code, name, headcount, seats, head_name in DEPARTMENTS:
        department = get_department_by_code(code)
        if department is None:
            department = create_department(name=texts(name), code=code, headcount=headcount, licensed_seats=seats)
            summary.created["departments"] += 1
        head = _user(summary, texts, head_email(code), head_name, Role.DEPARTMENT_HEAD, department)
        if head.department_id != department.id and not department.heads:
            set_head(department, head)
    ensure_standard_modules()
    plan: Plan | None
    if demo_plan() is None:
        name_standard_modules(texts)
        plan = create_plan_from_template(
            get_template(DEMO_TEMPLATE), start=today - timedelta(days=DEMO_PLAN_AGE_DAYS), name=texts(DEMO_PLAN_NAME),
            created_by=get_user_by_email("pm@example.com"), language=texts.language,
        )
        plan.seed_key = DEMO_SEED_KEY
        populate_plan(plan, today=today, texts=texts)
        summary.created["plans"] += 1
    if not db.session.scalar(select(func.count()).select_from(Employee)):
        load_roster(today=today, texts=texts)
    load_demo_training(today, translate=texts)
    db.session.commit()
    if not db.session.scalar(select(func.count()).select_from(UsageImport)) and (plan := demo_plan()) is not None:
        import_usage(usage_csv(plan, today=today), "northwind-crm-usage-log.csv", timezone=plan.timezone)
    plan = demo_plan()
    if plan is not None:
        load_demo_hypercare(plan, today=today, texts=texts)
        load_demo_pulse(plan, today=today, texts=texts)
        load_demo_business_case(plan, today=today, texts=texts)
        load_demo_maturity(plan, today=today, texts=texts)
        load_demo_risks(plan, today=today, texts=texts)
        load_demo_impact(plan, texts=texts)
        _demo_gate_decision(plan, today=today, texts=texts)
        _demo_meeting(plan, today=today, texts=texts)
        load_demo_comments(plan, today=today, texts=texts)
        db.session.commit()


def name_standard_modules(texts: DemoTexts) -> None:
    """The standard CRM modules named in the demo's language, where they still have their English names: the
    demo's database is its own, and its modules are shown with the names stored."""
    for code, name, description in STANDARD_MODULES:
        module = get_module_by_code(code)
        if module is not None and module.name == name:
            module.name, module.description = texts(name), texts(description)


def _demo_meeting(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Last week's steering committee meeting, its agenda built from the figures, with minutes and one action."""
    if list_meetings(plan):
        return
    users = {u.email: u for u in db.session.scalars(select(User))}
    held_on = today - timedelta(days=7)
    meeting = plan_meeting(plan, held_on=held_on, title=texts("Steering committee"),
                           attendees=leadership_users(plan, today=today), today=today)
    meeting.minutes = texts(
        "Wave 2 reviewed: Marketing's adoption is fading since its strong start and Telesales shows no effect. "
        "Wave 3's gate is held until both have a recovery plan; Customer Service and Support keep training.")
    add_action(meeting, plan, ActionValues(texts("Recovery plan for Marketing and Telesales adoption"),
                                           users.get("pm@example.com"), today + timedelta(days=14)),
               actor=users.get("exec@example.com"))


def _demo_gate_decision(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """The steering committee's decision at the pilot gate, once everything it is judged on is loaded: the
    pilot proven, wave 2 may follow once its results are published, two conditions followed as change tasks."""
    review = template_phase(plan, "Pilot review and publicise results")
    gate = next((g for g in list_gates(plan) if review is not None and g.phase_id == review.id), None)
    if gate is None or gate.decisions:
        return
    users = {u.email: u for u in db.session.scalars(select(User))}
    decided_on = min(gate.due, today)
    decision = record_decision(
        gate, outcome=GateOutcome.GO_WITH_CONDITIONS, decided_on=decided_on, today=today,
        decided_by=texts("Steering committee: %(sponsor)s (sponsor), %(manager)s, %(head)s (%(department)s)",
                         sponsor=texts("Eric Executive"), manager=texts("Paula Project-Manager"),
                         head=texts("Olga Petrova"), department=texts("Sales")),
        reasoning=texts("The pilot met its adoption and training goals. Wave 2 may go live once Sales has published "
                        "its results, so the next departments are prepared, and the lessons learned have owners."),
        conditions=[
            ConditionValues(texts("Publish the pilot's results on the intranet and present them to wave 2's heads"),
                            users.get(head_email("SALES")), decided_on + timedelta(days=21)),
            ConditionValues(texts("Lessons-learned list with one owner per item"), users.get("pm@example.com"),
                            decided_on + timedelta(days=30)),
        ],
        recorded_by=users.get("exec@example.com"),
    )
    first, second = decision.conditions[0].task, decision.conditions[1].task
    assert first is not None and second is not None  # each condition above has its task
    first.status = TaskStatus.DONE
    second.status = TaskStatus.IN_PROGRESS
    db.session.flush()


# --- the demo plan's team, RACI, change tasks and communications -------------------------------------

def populate_plan(plan: Plan, *, today: date, texts: DemoTexts) -> None:
    """Give the demo plan what a project manager would have after eight months:
    phase statuses, a staffed team with a handover, a RACI grid, change tasks
    across phases and departments (some late, some blocked) and communications."""
    for phase in plan.phases:
        if phase.end_date < today:
            phase.status = PhaseStatus.COMPLETED
        elif phase.start_date <= today:
            phase.status = PhaseStatus.IN_PROGRESS
    # the seats by the names the tables below give them (their titles are in the plan's language)
    roles = {seat(r): r for r in add_standard_roles(plan)}
    users = {u.email: u for u in db.session.scalars(select(User))}
    start = plan.start_date
    holders: dict[str, list[tuple[User | tuple[str, str], int]]] = {
        "Executive sponsor": [(users["exec@example.com"], 0)],
        # the first project manager left after three months: the team page shows the handover
        "Project manager": [(("Viktor Lebedev", ""), 0), (users["pm@example.com"], 95)],
        "Module lead SFA": [(users[head_email("SALES")], 10)],
        "Module lead MA": [(users[head_email("MKT")], 60)],
        "Technical support": [(users[head_email("SUP")], 30)],
        "External implementation partner": [(("Anna Schmidt", "Nordlicht Consulting"), 20)],
        "IT": [(users[head_email("IT")], 0)],
        "Key user SALES": [(("Pavel Morozov", ""), 40), (("Elena Volkova", ""), 150)],
    }
    for title, people in holders.items():
        role = roles.get(title)
        if role is None:
            continue
        for person, offset in people:
            if isinstance(person, User):
                assign(role, user=person, start=start + timedelta(days=offset))
            else:
                name, organisation = person
                assign(role, person_name=texts(name), organisation=texts(organisation),
                       start=start + timedelta(days=offset))
    _demo_raci(plan, roles, texts)
    _demo_tasks(plan, users, today=today, texts=texts)
    _demo_communications(plan, users, texts)
    _demo_kpis_and_reports(plan, users, today=today, texts=texts)
    db.session.flush()
    _demo_baseline(plan, users, texts)


def _demo_baseline(plan: Plan, users: dict, texts: DemoTexts) -> None:
    """The plan the steering committee approved, kept as the "approved plan" baseline; since then the enterprise
    phase and go-live moved three and four weeks later, three open tasks slipped and a data-quality target was
    lowered: what the baseline page shows."""
    baseline = save_baseline(plan, name=texts("approved plan"),
                             note=texts("Approved by the steering committee at the kick-off."),
                             saved_by=users.get("pm@example.com"))
    baseline.saved_at = datetime.combine(plan.start_date + timedelta(days=14), time(10), tzinfo=UTC)
    enterprise_phase = template_phase(plan, "Enterprise rollout and integration")
    if enterprise_phase is not None:
        enterprise_phase.end_date += timedelta(days=30)
    enterprise_wave = next((w for w in plan.waves if w.kind == WaveKind.ENTERPRISE), None)
    if enterprise_wave is not None:
        enterprise_wave.go_live_date += timedelta(days=21)
    open_tasks = db.session.scalars(select(ChangeTask).where(
        ChangeTask.plan_id == plan.id, ChangeTask.due_date.is_not(None),
        ChangeTask.status.not_in([TaskStatus.DONE, TaskStatus.CANCELLED])).order_by(ChangeTask.id).limit(3)).all()
    for task, days in zip(open_tasks, (14, 30, 45), strict=False):
        if task.due_date is not None:  # (as the query asks)
            task.due_date += timedelta(days=days)
    kpi = template_kpis(plan).get("Required fields filled")
    if kpi is not None:
        kpi.target_value = Decimal(90)
    db.session.flush()


RACI_ROWS = (
    ("Quantified goals and business case", {"Executive sponsor": "A", "Project manager": "R", "Module lead SFA": "C", "IT": "I"}),
    ("Clean, de-duplicated customer database", {"Project manager": "A", "IT": "R", "Key user SALES": "C", "Module lead SFA": "C"}),
    ("SFA configured for the pilot", {"Module lead SFA": "A", "External implementation partner": "R", "Key user SALES": "C", "IT": "C"}),
    ("Training programme", {"Project manager": "A", "Module lead SFA": "R", "Key user SALES": "R", "Executive sponsor": "I"}),
    ("Pilot go-live decision", {"Executive sponsor": "A", "Project manager": "R", "Module lead SFA": "C", "Technical support": "I"}),
    ("ERP integration", {"IT": "A", "External implementation partner": "R", "Technical support": "C", "Project manager": "I"}),
)


def _demo_raci(plan: Plan, roles: dict, texts: DemoTexts) -> None:
    grid = {}
    for name, cells in RACI_ROWS:
        deliverable = add_deliverable(plan, name=texts(name))
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


def _demo_tasks(plan: Plan, users: dict, *, today: date, texts: DemoTexts) -> None:
    categories = {c.key: c for c in ensure_categories()}
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    created = {}
    for title, category, phase_index, code, owner, offset, status, priority in DEMO_TASKS:
        phase = plan.phases[min(phase_index, len(plan.phases) - 1)]
        created[title] = create_task(
            plan, title=texts(title), category=categories[category], actor=users["pm@example.com"], owner=users.get(owner),
            phase=phase, department=departments.get(code) if code else None, due=today + timedelta(days=offset),
            start=today + timedelta(days=offset - 21), status=TaskStatus(status), priority=TaskPriority(priority),
        )
    for task, before in (("De-duplicate the customer database", "Define required fields and data entry rules"),
                         ("Train the pilot sales team on SFA", "De-duplicate the customer database"),
                         ("Train Marketing on campaigns and segments", "Campaign process redesign for MA")):
        set_dependencies(created[task], [created[before]])
        # finish-to-start, as the timeline checks a move: the task starts when the one before is due
        start, due, due_before = created[task].start_date, created[task].due_date, created[before].due_date
        assert start is not None and due is not None and due_before is not None  # each made with both dates above
        created[task].start_date = min(max(start, due_before), due)


def _demo_communications(plan: Plan, users: dict, texts: DemoTexts) -> None:
    pm, sponsor = users["pm@example.com"], users["exec@example.com"]
    start = plan.start_date
    items = (
        ("All staff", CommunicationChannel.TOWN_HALL, "Why we are introducing a CRM, and what changes for you", 14, sponsor,
         CommunicationStatus.SENT),
        ("Sales", CommunicationChannel.MEETING, "Pilot start: your key users, training dates and where to get help", 120, pm,
         CommunicationStatus.SENT),
        ("Department heads", CommunicationChannel.EMAIL, "Monthly progress report: adoption, training, open issues", 200, pm,
         CommunicationStatus.SENT),
        ("All staff", CommunicationChannel.INTRANET, "Pilot results from Sales: what worked, what we changed", 245, pm, CommunicationStatus.PLANNED),
        ("Marketing, Key Accounts, Telesales", CommunicationChannel.MEETING,
         "Wave 2: what you will use from go-live and how you will be trained", 280, pm, CommunicationStatus.PLANNED),
    )
    for audience, channel, message, offset, owner, status in items:
        save_communication(None, plan, audience=texts(audience), channel=channel, message=texts(message),
                           planned_date=start + timedelta(days=offset), owner=owner, department=None, status=status)


# --- KPI history and status reports ---------------------------------------------------------------------

# How each department's numbers move: (progress towards the other KPIs' targets 0..1, reports late/missing);
# adoption follows _share_active, the same story as the department's usage.
DEPARTMENT_PROFILES = {
    "SALES": (0.9, ""), "MKT": (0.5, "late"), "KAM": (0.7, ""), "TELE": (0.4, "missing"),
    "CS": (0.6, ""), "SUP": (0.3, "late"), "ECOM": (0.5, ""), "FIELD": (0.2, "missing"),
    "FIN": (0.5, ""), "LOG": (0.4, ""), "PROD": (0.6, ""), "IT": (0.8, ""),
}


def _kpi_value(kpi: Kpi, code: str, day: date, go_live: date | None, rng: random.Random) -> Decimal:
    """A plausible value of a demo KPI for a department on a day."""
    quality, _late = DEPARTMENT_PROFILES.get(code, (0.5, ""))
    elapsed = max((day - kpi.baseline_date).days, 0) / max((kpi.target_date - kpi.baseline_date).days, 1)
    noise = Decimal(str(round(rng.uniform(-1.5, 1.5), 1)))
    if kpi.goal_family == GoalFamily.ADOPTION and go_live is not None:
        # the adoption KPI follows the department's usage story, as the CRM's own figures would report it
        return max(Decimal(0), Decimal(str(round(100 * _share_active(code, (day - go_live).days), 1))) + noise)
    share = Decimal(str(min(elapsed * (0.3 + quality * 0.9), 1.0)))
    value = kpi.baseline_value + (kpi.target_value - kpi.baseline_value) * share
    return (value + noise * (abs(kpi.target_value - kpi.baseline_value) / 20)).quantize(Decimal("0.1"))


def _demo_kpis_and_reports(plan: Plan, users: dict, *, today: date, texts: DemoTexts) -> None:
    """Monthly values of every KPI for each reporting department, and their status reports up to last period;
    this period's reports are still to be written (head.sales@example.com writes Sales's in the demo)."""
    rng = random.Random(20261122)
    departments = reporting_departments(plan)
    go_lives = go_live_dates(plan)
    heads = {d.id: users.get(head_email(d.code)) for d in departments}
    for period in periods(plan, until=today)[:-1]:
        for department in departments:
            code = department.code
            go_live = go_lives.get(department.id)
            # a department not live yet has no adoption to report: its adoption KPI starts at its go-live,
            # as the adoption charts do
            due = [k for k in kpis_due(plan, department, period)
                   if k.goal_family != GoalFamily.ADOPTION or (go_live is not None and period.end >= go_live)]
            values = {k.id: _kpi_value(k, code, period.end, go_live, rng) for k in due}
            lateness = DEPARTMENT_PROFILES.get(code, (0, ""))[1]
            if lateness == "missing" and period.end > today - timedelta(days=70):
                for kpi_id, value in values.items():  # the numbers arrive from the CRM, the report does not
                    kpi = next(k for k in due if k.id == kpi_id)
                    record_measurement(kpi, measured_on=period.end, value=value, department=department, entered_by=None)
                continue
            report = start_report(plan, department, period, author=heads[department.id])
            rag = Rag.GREEN if code in ("SALES", "IT", "KAM") else Rag.AMBER if code not in ("TELE", "FIELD") else Rag.RED
            submitted = period.due - timedelta(days=2) if lateness != "late" else period.due + timedelta(days=6)
            submit(report, ReportContent(
                overall_rag=rag,
                achievements=texts("%(name)s: data clean-up on track; users trained as planned.", name=department.name),
                blockers="" if rag == Rag.GREEN else texts("Not enough time for training next to daily work."),
                next_steps=texts("Keep the weekly key-user sessions; prepare the next wave's training."),
                help_needed="" if rag != Rag.RED else texts("A message from the sponsor on why we use the CRM."),
                values=values,
            ), author=heads[department.id], due_kpis=due, now=datetime.combine(min(submitted, today), time(10), UTC))


# --- roster --------------------------------------------------------------------------------------------

FIRST_NAMES = ("Anna", "Boris", "Chen", "Daria", "Elena", "Farid", "Galina", "Hassan", "Irina", "Jun", "Karim", "Lena",
               "Mikhail", "Nadia", "Oleg", "Parisa", "Qiang", "Roya", "Sergei", "Tatiana", "Ulan", "Vera", "Wei", "Yusuf")
LAST_NAMES = ("Ivanova", "Petrov", "Wang", "Rahimi", "Smirnova", "Li", "Kuznetsov", "Hosseini", "Zhang", "Popova",
              "Moradi", "Sokolov", "Liu", "Volkova", "Karimi", "Fedorov", "Zhao", "Novikova")


def load_roster(*, today: date, texts: DemoTexts) -> int:
    """People for every department (its licensed seats plus a few without a seat), with CRM user names;
    a few moved department during the rollout, so adoption is counted where they were on each day."""
    rng = random.Random(7)
    departments = list(db.session.scalars(select(Department).order_by(Department.code)))
    start = today - timedelta(days=DEMO_PLAN_AGE_DAYS + 120)
    created = []
    n = 0
    for department in departments:
        for _seat in range(department.licensed_seats + 2):
            person = texts.person(n, n * 7, source=(FIRST_NAMES, LAST_NAMES))
            username = f"{person.given[0]}{person.family}{n}".lower()
            created.append(create_employee(
                name=person.name, department=department, email=f"{username}@northwind.example",
                crm_username=username, job_role=texts("Staff"), start_date=start - timedelta(days=rng.randint(0, 2000)),
                since=start,
            ))
            n += 1
    for employee in rng.sample(created, 6):  # some moves
        target = rng.choice([d for d in departments if d.id != employee.department_id])
        move(employee, target, on=today - timedelta(days=rng.randint(30, 150)))
    return len(created)


# --- a year of CRM usage --------------------------------------------------------------------------------

def _share_active(code: str, live_days: int) -> float:
    """The share of a department's licensed seats whose holders have taken up the CRM, `live_days` after its go-live.

    The departments tell the three stories of the texts: Sales and Key Accounts a lasting success,
    Marketing a strong start that fades ("tiger's head, snake's tail"), Telesales no effect at all;
    Customer Service and Support went live too recently to tell.
    """
    if live_days < 0:
        return 0.0
    if code == "MKT":
        return 0.85 * min(live_days / 30, 1.0) if live_days < 30 else max(0.3, 0.85 - (live_days - 30) * 0.006)
    if code == "TELE":
        return 0.12
    ceiling = {"SALES": 0.86, "KAM": 0.8}.get(code, 0.75)
    return 0.3 + (ceiling - 0.3) * min(live_days / 60, 1.0)


ACTIONS = ("View account", "Update opportunity", "Create contact", "Log call", "View report", "Update case")
# Key Accounts log in and look their accounts up, but keep working in their own spreadsheets: a department whose
# login adoption lasts while it never updates a record (the key-action warning of the department page and dashboard)
LOOK_ONLY = {"Update opportunity": "View account", "Create contact": "View account", "Log call": "View report",
             "Update case": "View report"}
USAGE_DAYS = 365
# How often a person uses the CRM on a day: adopters on most working days, the others almost never.
ADOPTER_WORKDAY, ADOPTER_WEEKEND, OTHER_WORKDAY = 0.8, 0.05, 0.001


def _thresholds(people: list[Employee], rng: random.Random) -> dict[int, float]:
    """Each person's fixed threshold, in licensed seats of the department they started in: the people of a
    department get evenly spread thresholds (k + 0.5) / seats in a shuffled order, so a share s of the seats
    is taken up by about s × seats people, and everyone beyond the seats never adopts."""
    by_department: dict[int, list[Employee]] = {}
    for person in people:
        first_stay = min(person.department_history, key=lambda h: h.valid_from)
        by_department.setdefault(first_stay.department_id, []).append(person)
    seats = {d.id: d.licensed_seats for d in db.session.scalars(select(Department))}
    thresholds: dict[int, float] = {}
    for department_id, members in by_department.items():
        order = list(range(len(members)))
        rng.shuffle(order)
        for person, k in zip(members, order, strict=True):
            thresholds[person.id] = (k + 0.5) / max(seats.get(department_id) or len(members), 1)
    return thresholds


def usage_csv(plan: Plan, *, today: date) -> bytes:
    """A year of the demo CRM's usage log as a CSV export: Username, Timestamp (local, naive), Action, Object.

    Each person has a fixed threshold and is an adopter on the days their department's share
    (`_share_active`) is above it; adopters use the CRM on most working days, the others almost
    never. So the 28-day adoption follows the share curve and tells each department's story.
    """
    rng = random.Random(20261122)
    go_lives = go_live_dates(plan)
    people = db.session.scalars(select(Employee).where(Employee.crm_username.is_not(None)).order_by(Employee.id)).all()
    stays = {e.id: [(h.department_id, h.valid_from, h.valid_to) for h in e.department_history] for e in people}
    thresholds = _thresholds(list(people), rng)
    codes = {d.id: d.code for d in db.session.scalars(select(Department))}
    lines = ["Username,Timestamp,Action,Object"]
    first = today - timedelta(days=USAGE_DAYS)
    for offset in range(USAGE_DAYS + 1):
        day = first + timedelta(days=offset)
        weekend = day.weekday() >= 5
        shares = {d: _share_active(codes[d], (day - go_live).days) for d, go_live in go_lives.items()}
        for person in people:
            department = next((d for d, start, end in stays[person.id] if start <= day and (end is None or day <= end)), None)
            if department is None or department not in go_lives:
                continue
            if thresholds[person.id] < shares[department]:
                chance = ADOPTER_WEEKEND if weekend else ADOPTER_WORKDAY
            else:
                chance = 0.0 if weekend or shares[department] == 0 else OTHER_WORKDAY
            if rng.random() >= chance:
                continue
            moment = datetime.combine(day, time(8)) + timedelta(minutes=rng.randint(0, 600))
            lines.append(f"{person.crm_username},{moment.isoformat(sep=' ')},Login,")
            for _n in range(rng.randint(1, 5)):
                moment += timedelta(minutes=rng.randint(1, 50))
                action = rng.choice(ACTIONS)  # drawn for everyone alike, so the other departments' stories stay as they were
                if codes[department] == "KAM":
                    action = LOOK_ONLY.get(action, action)
                lines.append(f"{person.crm_username},{moment.isoformat(sep=' ')},{action},Record {rng.randint(1, 9999)}")
        if offset % 30 == 0:  # an integration account the roster does not know: listed as unknown, never dropped
            lines.append(f"svc.integration,{datetime.combine(day, time(3)).isoformat(sep=' ')},API sync,Accounts")
    return ("\n".join(lines) + "\n").encode("utf-8")
