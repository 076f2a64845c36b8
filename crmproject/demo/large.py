"""A large demo organisation, for trying the dashboards and reports at the size of a real group.

Sixty departments (twelve functions in five regions), 5,000 people, a rollout
in three waves over three years, daily adoption figures for every department
(written as snapshots, as the usage import would leave them), 5,000 change
tasks, twenty KPIs measured monthly per department, monthly status reports,
training and the project team. Rows are written with bulk inserts, so the
whole organisation is built in seconds; it is meant for a fresh database.

Each department's adoption tells one of the stories of the texts: lasting
success, a strong start that fades, no effect at all, or (the last wave) too
early to tell. Everything is drawn from one seeded random.Random, so two
builds with the same arguments are the same.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, or_, select

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role, User
from crmproject.auth.services import create_user
from crmproject.demo.language import SOURCE_LANGUAGE, DemoTexts, demo_texts
from crmproject.demo.large_parts import LARGE_PLAN_NAME, LargeDemoSummary, Unit, bulk
from crmproject.demo.large_reports import add_kpis, reports_and_measurements
from crmproject.demo.large_data import (
    COURSES, FADING, FIRST_NAMES, FUNCTIONS, LAST_NAMES, LAST_WAVE_LIVE_DAYS,
    NO_EFFECT, REGIONS, TASK_TITLES, TOO_EARLY, TRAINED, WAVE2_STORIES,
)
from crmproject.demo.lookup import seat
from crmproject.demo.services import DEMO_PASSWORD, STAFF, head_email, interface_language, name_standard_modules
from crmproject.departments.models import Department
from crmproject.errors import DomainError
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import PhaseStatus, Plan, WaveKind
from crmproject.plans.services import add_phase, add_wave, create_plan, ensure_standard_modules
from crmproject.roster.models import Employee, EmployeeDepartment, username_key
from crmproject.tasks.models import (
    ChangeTask, CommunicationChannel, CommunicationStatus, TaskChange, TaskPriority, TaskStatus,
)
from crmproject.tasks.services import ensure_categories, save_communication
from crmproject.teams.services import add_standard_roles, assign
from crmproject.training.models import Enrolment, EnrolmentStatus
from crmproject.training.services import CourseValues, SessionValues, add_session, create_course

LARGE_SEED_KEY = "demo-large"
SEED = 20261123


class LargeDemoRefused(DomainError):
    """The large demo is built into a fresh database only."""


def is_large_demo() -> bool:
    """Whether the database holds the large demo organisation (found by its plan's seed key, or its English name
    in a database built before plans had one)."""
    return db.session.execute(select(func.count()).select_from(Plan).where(
        or_(Plan.seed_key == LARGE_SEED_KEY, Plan.name == LARGE_PLAN_NAME))).scalar_one() > 0


def load_large_demo(*, today: date, departments: int = 60, employees: int = 5000, tasks: int = 5000, kpis: int = 20,
                    years: int = 3, language: str = SOURCE_LANGUAGE) -> LargeDemoSummary:
    """Build the large demo organisation into a database without departments; flushes, does not commit.

    Raises LargeDemoRefused when departments already exist: the large demo
    does not mix with the standard one or with real data. `language` (an
    interface language) is the one of its names and texts and of its users.
    """
    if departments < 3 or employees < departments or years < 1:
        raise LargeDemoRefused(_("The large demo needs at least 3 departments, one employee per department and a year."))
    if db.session.scalar(select(func.count()).select_from(Department)):
        raise LargeDemoRefused(_(
            "This database already has departments. The large demo is built into a fresh database only: "
            "point CRMPROJECT_DATABASE_URL at a new one."))
    texts = demo_texts(language)
    rng = random.Random(SEED)
    summary = LargeDemoSummary()
    with force_locale(language):
        units = _departments(departments, employees, rng, summary, texts)
        staff = _users(units, summary, texts)
        plan = _plan(units, today=today, years=years, rng=rng, created_by=staff["pm@example.com"], summary=summary,
                     texts=texts)
        summary.plan_id, summary.plan_name = plan.id, plan.name
        employee_units = _roster(units, employees, today=today, years=years, rng=rng, summary=summary, texts=texts)
        _snapshots(units, today=today, years=years, rng=rng, summary=summary)
        _tasks(plan, units, tasks, today=today, rng=rng, staff=staff, summary=summary, texts=texts)
        kpi_rows = add_kpis(plan, kpis, owner_id=staff["pm@example.com"].id, summary=summary, texts=texts)
        reports_and_measurements(plan, units, kpi_rows, today=today, rng=rng, summary=summary, texts=texts)
        _training(units, employee_units, today=today, rng=rng, summary=summary, texts=texts)
        _team(plan, units, staff, summary, texts)
        _communications(plan, staff, texts)
        db.session.flush()
    for email, _name, role in STAFF:
        summary.accounts.append((email, str(role.label)))
    first = units[0]
    summary.accounts.append((head_email(first.code), _("Department head (%(department)s)", department=first.name)))
    return summary


# --- departments, users, the plan -------------------------------------------------------------------

def _departments(count: int, employees: int, rng: random.Random, summary: LargeDemoSummary,
                 texts: DemoTexts) -> list[Unit]:
    """`count` departments: the functions in every region, sized so their headcounts add up to `employees`."""
    weights = [rng.uniform(0.5, 1.6) for _n in range(count)]
    headcounts = [max(1, int(employees * w / sum(weights))) for w in weights]
    for n in range(employees - sum(headcounts)):
        headcounts[n % count] += 1
    while sum(headcounts) > employees:
        headcounts[headcounts.index(max(headcounts))] -= 1
    rows: list[dict[str, Any]] = []
    for n in range(count):
        code, name, _job_role, _order = FUNCTIONS[n % len(FUNCTIONS)]
        region_code, region = REGIONS[(n // len(FUNCTIONS)) % len(REGIONS)]
        suffix = str(n // (len(FUNCTIONS) * len(REGIONS)) + 1) if n >= len(FUNCTIONS) * len(REGIONS) else ""
        seats = max(1, round(headcounts[n] * rng.uniform(0.82, 1.0)))
        full = texts("%(function)s %(region)s", function=texts(name), region=texts(region))
        rows.append(dict(code=f"{code}-{region_code}{suffix}", name=f"{full}{' ' + suffix if suffix else ''}",
                         headcount=headcounts[n], licensed_seats=seats))
    bulk(Department, rows)
    ids = dict(db.session.execute(select(Department.code, Department.id)).all())
    summary.created["departments"] = count
    return [Unit(id=ids[r["code"]], code=r["code"], name=r["name"], function=FUNCTIONS[n % len(FUNCTIONS)][0],
                  job_role=FUNCTIONS[n % len(FUNCTIONS)][2], headcount=r["headcount"], seats=r["licensed_seats"])
            for n, r in enumerate(rows)]


def _users(units: list[Unit], summary: LargeDemoSummary, texts: DemoTexts) -> dict[str, User]:
    """The standard demo's staff accounts, and a head for every department (all with DEMO_PASSWORD)."""
    language = interface_language(texts)
    staff = {email: create_user(email=email, name=texts(name), password=DEMO_PASSWORD, role=role)
             for email, name, role in STAFF}
    for user in staff.values():
        user.language = language
    # the same password: one hash serves every head (hashing 60 times would take seconds)
    password_hash = staff["pm@example.com"].password_hash
    rows = [dict(email=head_email(u.code), name=texts.person(n, n * 5, source=(FIRST_NAMES, LAST_NAMES)).name,
                 password_hash=password_hash, role=Role.DEPARTMENT_HEAD, department_id=u.id, active=True,
                 language=language)
            for n, u in enumerate(units)]
    bulk(User, rows)
    heads = dict(db.session.execute(select(User.department_id, User.id).where(User.role == Role.DEPARTMENT_HEAD)).all())
    for unit in units:
        unit.head_id = heads.get(unit.id)
    summary.created["users"] = len(staff) + len(rows)
    return staff


def _plan(units: list[Unit], *, today: date, years: int, rng: random.Random, created_by: User,
          summary: LargeDemoSummary, texts: DemoTexts) -> Plan:
    """A plan that started `years` ago: a pilot, wave 2 and a last wave that went live five weeks ago;
    the enterprise rollout and the evaluation are still ahead."""
    span = years * 365
    start = today - timedelta(days=span)
    plan = create_plan(
        name=texts(LARGE_PLAN_NAME), start=start, end=today + timedelta(days=365), horizon_years=5,
        created_by=created_by, template_key=None, vision=texts(
            "Every customer-facing team of the group works from one customer view, rolled out region by region in "
            "operable stages: prove it in a pilot, publicise the results, then widen wave by wave."),
    )
    plan.seed_key = LARGE_SEED_KEY

    def at(share: float) -> date:
        """The day at a share of the years before today."""
        return start + timedelta(days=round(span * share))

    pilot_live, wave2_live, wave3_live = at(0.25), at(0.5), today - timedelta(days=LAST_WAVE_LIVE_DAYS)
    phases = (
        (texts("Goals and business case"), at(0), at(0.08)),
        (texts("Preparation and data cleansing"), at(0.06), at(0.22)),
        (texts("SFA pilot"), at(0.2), at(0.4)),
        (texts("Pilot review and publicise results"), at(0.4), at(0.45)),
        (texts("Wave 2 - sales, marketing and service units"), at(0.45), at(0.75)),
        (texts("Wave 3 - back office and the remaining regions"), today - timedelta(days=100), today + timedelta(days=60)),
        (texts("Enterprise integration"), today + timedelta(days=30), today + timedelta(days=210)),
        (texts("Stabilise and evaluate against goals"), today + timedelta(days=180), today + timedelta(days=364)),
    )
    for name, first, last in phases:
        status = (PhaseStatus.COMPLETED if last < today else PhaseStatus.IN_PROGRESS if first <= today
                  else PhaseStatus.PLANNED)
        add_phase(plan, name=name, start=first, end=last, status=status)
    summary.created["phases"] = len(phases)
    _waves(plan, units, (pilot_live, wave2_live, wave3_live), rng=rng, summary=summary, texts=texts)
    return plan


def _waves(plan: Plan, units: list[Unit], go_lives: tuple[date, date, date], *, rng: random.Random,
           summary: LargeDemoSummary, texts: DemoTexts) -> None:
    """The three waves and each department's story: the customer-facing functions go first; the pilot is a few
    Sales departments."""
    pilot_live, wave2_live, wave3_live = go_lives
    order = {code: rank for code, _name, _role, rank in FUNCTIONS}
    ordered = sorted(units, key=lambda u: (order[u.function], u.code))
    pilot_size = max(1, len(units) // 15)
    last_size = max(1, round(len(units) * 0.35))
    for n, unit in enumerate(ordered):
        unit.wave = 0 if n < pilot_size else 2 if n >= len(units) - last_size else 1
    wave2 = [u for u in ordered if u.wave == 1]
    for n, unit in enumerate(wave2):
        unit.story = WAVE2_STORIES[n % len(WAVE2_STORIES)]
    for unit in units:
        if unit.wave == 2:
            unit.story = TOO_EARLY
        unit.go_live = go_lives[unit.wave]
        unit.curve = _curve(unit.story, rng)
        summary.stories[unit.story] += 1
    modules = {m.code: m for m in ensure_standard_modules()}
    name_standard_modules(texts)
    by_id = {d.id: d for d in db.session.scalars(select(Department))}
    waves = (
        (texts("Pilot - SFA in Sales"), WaveKind.PILOT, pilot_live, ("SFA",),
         texts("A few sales departments, the ones with the most pressing problems, prove it first.")),
        (texts("Wave 2 - sales, marketing and service units"), WaveKind.WAVE, wave2_live, ("SFA", "MA", "CSS"),
         texts("Prepared by the pilot's published results.")),
        (texts("Wave 3 - back office and the remaining regions"), WaveKind.WAVE, wave3_live, ("CSS", "ERPINT"),
         texts("Went live recently: too early to tell.")),
    )
    for index, (name, kind, go_live, codes, notes) in enumerate(waves):
        add_wave(plan, name=name, kind=kind, go_live=go_live, notes=notes, modules=[modules[c] for c in codes],
                 departments=[by_id[u.id] for u in ordered if u.wave == index])
    summary.created["waves"] = len(waves)


# --- roster -------------------------------------------------------------------------------------------

def _roster(units: list[Unit], employees: int, *, today: date, years: int, rng: random.Random,
            summary: LargeDemoSummary, texts: DemoTexts) -> dict[int, Unit]:
    """Every department's people with CRM user names and their stays; about one in a hundred moved department."""
    since = today - timedelta(days=years * 365 + 120)
    people: list[dict[str, Any]] = []
    homes: list[Unit] = []
    n = 0
    for unit in units:
        for _seat in range(unit.headcount):
            person = texts.person(n, n * 7 + n // texts.given_names(FIRST_NAMES), source=(FIRST_NAMES, LAST_NAMES))
            username = f"{person.given[0]}.{person.family}.{n + 1}".lower()
            people.append(dict(name=person.name, email=f"{username}@northwind-group.example", crm_username=username,
                               crm_username_key=username_key(username), department_id=unit.id,
                               job_role=texts(unit.job_role),
                               start_date=since - timedelta(days=rng.randint(0, 3000)), active=True))
            homes.append(unit)
            n += 1
    moves: dict[int, tuple[Unit, date]] = {}
    for index in rng.sample(range(len(people)), max(1, employees // 100)):
        target = rng.choice([u for u in units if u is not homes[index]])
        moves[index] = (target, today - timedelta(days=rng.randint(20, years * 300)))
        people[index]["department_id"] = target.id
    bulk(Employee, people)
    ids = dict(db.session.execute(select(Employee.crm_username_key, Employee.id)).all())
    stays, employee_units = [], {}
    for index, row in enumerate(people):
        employee_id = ids[row["crm_username_key"]]
        if index in moves:
            target, on = moves[index]
            stays.append(dict(employee_id=employee_id, department_id=homes[index].id, valid_from=since,
                              valid_to=on - timedelta(days=1)))
            stays.append(dict(employee_id=employee_id, department_id=target.id, valid_from=on, valid_to=None))
            employee_units[employee_id] = target
        else:
            stays.append(dict(employee_id=employee_id, department_id=homes[index].id, valid_from=since, valid_to=None))
            employee_units[employee_id] = homes[index]
    bulk(EmployeeDepartment, stays)
    summary.created["employees"] = len(people)
    summary.created["moves"] = len(moves)
    return employee_units


# --- daily adoption -----------------------------------------------------------------------------------

def _curve(story: str, rng: random.Random) -> tuple[float, ...]:
    """The parameters of a department's story, drawn once: where it levels off, how fast it fades."""
    if story == FADING:  # peak, floor, fade per day
        return rng.uniform(0.8, 0.9), rng.uniform(0.25, 0.4), rng.uniform(0.004, 0.008)
    if story == NO_EFFECT:  # level
        return (rng.uniform(0.08, 0.2),)
    return (rng.uniform(0.75, 0.9),)  # ceiling


def share_of_seats(story: str, curve: Sequence[float], live_days: int) -> float:
    """The share of a department's licensed seats in use (28-day active), `live_days` after its go-live."""
    if live_days < 0:
        return 0.0
    if story == FADING:
        peak, floor, fade = curve
        if live_days < 60:  # up within a month, held for another
            return peak * min(live_days / 30, 1.0)
        return max(floor, peak - (live_days - 60) * fade)
    if story == NO_EFFECT:
        return curve[0] * min(live_days / 30, 1.0)
    return curve[0] * min(1.0, 0.3 + 0.7 * live_days / 60)


def _snapshots(units: list[Unit], *, today: date, years: int, rng: random.Random, summary: LargeDemoSummary) -> None:
    """Daily snapshots of every department for `years` up to today, as the usage import computes them."""
    days = [today - timedelta(days=n) for n in range(years * 365 - 1, -1, -1)]
    count = 0
    for unit in units:
        rows = []
        for day in days:
            live_days = (day - unit.go_live).days
            share = share_of_seats(unit.story, unit.curve, live_days)
            if share <= 0:
                monthly = weekly = active = 0
            else:
                monthly = min(unit.seats, max(0, round(unit.seats * (share + rng.uniform(-0.015, 0.015)))))
                weekly = min(monthly, round(monthly * rng.uniform(0.88, 0.97)))
                workday = rng.uniform(0.72, 0.86) if day.weekday() < 5 else rng.uniform(0.0, 0.06)
                active = min(weekly, round(monthly * workday))
            logins = round(active * rng.uniform(1.1, 1.6))
            rows.append(dict(department_id=unit.id, day=day, licensed_seats=unit.seats, active_users=active,
                             weekly_active_users=weekly, monthly_active_users=monthly, logins=logins,
                             events=logins + round(active * rng.uniform(5, 11)), source=SnapshotSource.USAGE))
            unit.adoption[day] = (monthly, active)
        bulk(AdoptionSnapshot, rows)
        count += len(rows)
    summary.created["snapshots"] = count


# --- change tasks -------------------------------------------------------------------------------------

def _tasks(plan: Plan, units: list[Unit], count: int, *, today: date, rng: random.Random, staff: dict[str, User],
           summary: LargeDemoSummary, texts: DemoTexts) -> None:
    """Change tasks over the phases and departments: past ones mostly done, some late, blocked or cancelled."""
    categories = {c.key: c.id for c in ensure_categories()}
    phases = plan.phases
    by_wave = defaultdict(list)
    unit: Unit | None  # below: a task's department, or None for the whole project
    for unit in units:
        by_wave[unit.wave].append(unit)
    # which departments a phase's tasks belong to (None: the whole project)
    phase_units: list[list[Unit] | None] = [None, list(units), by_wave[0], by_wave[0], by_wave[1], by_wave[2],
                                             list(units), None]
    weights = [4, 12, 8, 3, 30, 25, 12, 6]
    owners = [staff["pm@example.com"].id, staff["exec@example.com"].id]
    rows = []
    overdue = 0
    for n in range(count):
        index = rng.choices(range(len(phases)), weights=weights[:len(phases)])[0]
        phase = phases[index]
        candidates = phase_units[index] if index < len(phase_units) else None
        unit = rng.choice(candidates) if candidates and rng.random() < 0.88 else None
        category = rng.choice(list(TASK_TITLES))
        title = rng.choice(TASK_TITLES[category])
        title = texts("%(task)s: %(department)s", task=texts(title), department=unit.name) if unit else texts(title)
        span = max((phase.end_date - phase.start_date).days, 1)
        due = phase.start_date + timedelta(days=rng.randint(min(7, span), span))
        start = max(plan.start_date, due - timedelta(days=rng.randint(7, 60)))
        draw = rng.random()
        if due < today:
            status = (TaskStatus.DONE if draw < 0.8 else TaskStatus.CANCELLED if draw < 0.84
                      else TaskStatus.IN_PROGRESS if draw < 0.94 else TaskStatus.BLOCKED)
        elif start <= today:
            status = (TaskStatus.IN_PROGRESS if draw < 0.45 else TaskStatus.NOT_STARTED if draw < 0.8
                      else TaskStatus.BLOCKED if draw < 0.88 else TaskStatus.DONE)
        else:
            status = TaskStatus.NOT_STARTED if draw < 0.92 else TaskStatus.IN_PROGRESS
        overdue += due < today and not status.is_closed
        priority = rng.choices(list(TaskPriority), weights=(2, 5, 3, 1))[0]
        rows.append(dict(plan_id=plan.id, phase_id=phase.id, department_id=unit.id if unit else None,
                         category_id=categories[category],
                         owner_id=(unit.head_id if unit and rng.random() < 0.85 else rng.choice(owners)),
                         title=title, description="", start_date=start, due_date=due, status=status, priority=priority,
                         outline=f"{index + 1}.{n + 1}", version=1))
    bulk(ChangeTask, rows)
    created = db.session.execute(select(ChangeTask.id, ChangeTask.title).where(ChangeTask.plan_id == plan.id)).all()
    # creating a task is the first line of its history, as create_task writes it
    bulk(TaskChange, [dict(task_id=task_id, user_id=staff["pm@example.com"].id, version=1, field="created",
                            old_value="", new_value=title) for task_id, title in created])
    summary.created["tasks"] = len(rows)
    summary.created["overdue tasks"] = overdue


# --- training, team, communications ---------------------------------------------------------------------

def _training(units: list[Unit], employee_units: dict[int, Unit], *, today: date, rng: random.Random,
              summary: LargeDemoSummary, texts: DemoTexts) -> None:
    """Five courses with sessions before each wave's go-live, and an enrolment of every person in the courses of
    their function; how much is done follows the department's story."""
    modules = {m.code: m for m in ensure_standard_modules()}
    go_lives = sorted({u.go_live for u in units})
    enrolments, sessions_count = [], 0
    for code, name, module, audience, mandatory, hours, functions, description in COURSES:
        course = create_course(CourseValues(code=code, name=texts(name), crm_module=modules.get(module) if module else None,
                                            audience=texts(audience), mandatory=mandatory, length_hours=Decimal(hours),
                                            description=texts(description)))
        sessions: dict[date, list[int]] = {}
        for go_live in go_lives:
            sessions[go_live] = [add_session(course, SessionValues(
                day=go_live - timedelta(days=offset), trainer=texts("Internal academy"),
                location=texts("Training room %(n)s", n=k + 1))).id for k, offset in enumerate((28, 14))]
        upcoming = add_session(course, SessionValues(day=today + timedelta(days=21), trainer=texts("Internal academy"),
                                                     location="https://meet.example.com/crm-training")).id
        sessions_count += 2 * len(go_lives) + 1
        for employee_id, unit in employee_units.items():
            if functions is not None and unit.function not in functions:
                continue
            draw = rng.random()
            done = TRAINED[unit.story] if unit.go_live <= today else 0.0
            session_id: int | None
            status, session_id, completed_on, score = EnrolmentStatus.NOT_STARTED, upcoming, None, None
            if draw < 0.03:
                status, session_id = EnrolmentStatus.WAIVED, None
            elif draw < 0.05:
                status, session_id = EnrolmentStatus.NOT_APPLICABLE, None
            elif draw < 0.05 + done * 0.95:
                session_id = rng.choice(sessions[unit.go_live])
                status, completed_on = EnrolmentStatus.COMPLETED, unit.go_live - timedelta(days=rng.choice((28, 14)))
                score = Decimal(rng.randint(60, 100))
            elif rng.random() < 0.4:
                status, session_id = EnrolmentStatus.IN_PROGRESS, rng.choice(sessions[unit.go_live])
            enrolments.append(dict(employee_id=employee_id, course_id=course.id, session_id=session_id, status=status,
                                   completed_on=completed_on, score=score))
    bulk(Enrolment, enrolments)
    summary.created["courses"] = len(COURSES)
    summary.created["sessions"] = sessions_count
    summary.created["enrolments"] = len(enrolments)


def _team(plan: Plan, units: list[Unit], staff: dict[str, User], summary: LargeDemoSummary, texts: DemoTexts) -> None:
    """The standard team seats, held by the demo's users and a few outside people."""
    # the seats by the names the table below gives them (their titles are in the plan's language)
    roles = {seat(r): r for r in add_standard_roles(plan)}
    users: dict[int | None, User] = {u.id: u for u in db.session.scalars(select(User).where(User.role == Role.DEPARTMENT_HEAD))}
    first: dict[str, Unit] = {}
    for unit in units:
        first.setdefault(unit.function, unit)

    def head(function: str) -> User | None:
        return users.get(first[function].head_id) if function in first else None

    start = plan.start_date
    holders: dict[str, tuple[User | None, tuple[str, str] | None]] = {
        "Executive sponsor": (staff["exec@example.com"], None),
        "Project manager": (staff["pm@example.com"], None),
        "Module lead SFA": (head("SALES"), None),
        "Module lead MA": (head("MKT"), None),
        "Module lead CSS": (head("CS"), None),
        "Module lead ERPINT": (head("IT"), None),
        "Technical support": (head("SUP"), None),
        "IT": (head("IT"), None),
        "External implementation partner": (None, ("Anna Schmidt", "Nordlicht Consulting")),
    }
    for title, role in roles.items():
        user, outside = holders.get(title, (None, None))
        if user is not None:
            assign(role, user=user, start=start)
        elif outside:
            name, organisation = outside
            assign(role, person_name=texts(name), organisation=texts(organisation), start=start)
        elif role.department is not None:  # a pilot department's key user: one of its people
            person = db.session.scalar(select(Employee.name).where(Employee.department_id == role.department_id)
                                       .order_by(Employee.id))
            if person:
                assign(role, person_name=person, organisation=role.department.name, start=start + timedelta(days=30))
    summary.created["team roles"] = len(roles)


def _communications(plan: Plan, staff: dict[str, User], texts: DemoTexts) -> None:
    pm, sponsor = staff["pm@example.com"], staff["exec@example.com"]
    waves = plan.waves
    items: Iterable[tuple[str, CommunicationChannel, str, date, User, CommunicationStatus]] = (
        (texts("All staff"), CommunicationChannel.TOWN_HALL, texts("Why the group is introducing a CRM, and what changes for you"),
         plan.start_date + timedelta(days=14), sponsor, CommunicationStatus.SENT),
        (texts("Pilot departments"), CommunicationChannel.MEETING, texts("Pilot start: key users, training dates and where to get help"),
         waves[0].go_live_date - timedelta(days=30), pm, CommunicationStatus.SENT),
        (texts("All staff"), CommunicationChannel.INTRANET, texts("Pilot results: what worked, what we changed"),
         waves[1].go_live_date - timedelta(days=45), pm, CommunicationStatus.SENT),
        (texts("Department heads"), CommunicationChannel.EMAIL, texts("Monthly progress report: adoption, training, open issues"),
         waves[2].go_live_date - timedelta(days=10), pm, CommunicationStatus.SENT),
        (texts("Wave 3 departments"), CommunicationChannel.MEETING, texts("The first weeks live: questions and answers"),
         waves[2].go_live_date + timedelta(days=49), pm, CommunicationStatus.PLANNED),
    )
    for audience, channel, message, planned, owner, status in items:
        save_communication(None, plan, audience=audience, channel=channel, message=message, planned_date=planned,
                           owner=owner, department=None, status=status)
