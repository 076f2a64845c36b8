"""Key actions: the usage events that show real work in the CRM (an opportunity updated, a call logged, a case
closed), not only a login, counted per department and week.

A plan maps events to key actions with rules: an event is a key action when its
action matches a rule's action pattern and, where the rule gives one, its object
matches the rule's object pattern. A pattern is one or more alternatives
separated by commas; an alternative is matched against the whole text, letter
case ignored, with * standing for any text ("Update *" matches "Update
Opportunity"). Until a project manager saves a mapping, the defaults below hold:
they cover the standard exports of several CRMs at once without overlapping (a
bare "Update" is only a key action on the record types named for Dynamics 365).

The counts are kept in key_action_weeks and refreshed by recompute_key_actions
for the days an import brought, and for the whole plan when its mapping changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from crmproject.adoption.models import (
    EPOCH_MONDAY, AdoptionSnapshot, KeyActionMapping, KeyActionRule, KeyActionWeek, UsageEvent, week_number,
)
from crmproject.db import driver_rows
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import LazyString, _
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import Plan
from crmproject.plans.services import go_live_dates

PATTERN_LIMIT = 300  # characters of a pattern (the column's size)
MAX_RULES = 100
SEPARATOR = "|"  # between the action pattern and the object pattern on a line of the form


@dataclass(frozen=True)
class Rule:
    action: str
    object: str = ""

    def line(self) -> str:
        return f"{self.action} {SEPARATOR} {self.object}" if self.object else self.action


@dataclass(frozen=True)
class CrmDefaults:
    """The default rules for one CRM's exports, and what they mean, for the mapping page."""

    crm: str
    rules: tuple[Rule, ...]
    meaning: LazyString  # translated where it is shown


SALESFORCE_RECORDS = "*Opportunity*, *Case*, *Task*, *Event*, *Lead*, *Contact*, *Account*"
DYNAMICS_RECORDS = "opportunity, incident, phonecall, task, appointment, email"
ZOHO_MODULES = "Deals, Leads, Tasks, Calls"


def crm_defaults() -> list[CrmDefaults]:
    """The defaults per CRM (translated where they are shown)."""
    return [
        CrmDefaults("Salesforce", (Rule("LightningInteraction, URI, API, RestApi", SALESFORCE_RECORDS), Rule("Report")),
                    _l("Event Monitoring (EventLogFile): work on opportunity, case, task, event, lead, contact and "
                       "account records, and reports run.")),
        CrmDefaults("Dynamics 365", (Rule("Create, Update", DYNAMICS_RECORDS),),
                    _l("Dataverse audit: opportunities, cases (incident), phone calls, tasks, appointments and e-mails "
                       "created or updated.")),
        CrmDefaults("Zoho CRM", (Rule("Create, Created, Edit, Edited, Add, Added, Update, Updated", ZOHO_MODULES),),
                    _l("Audit log: deals, leads, tasks and calls added or edited.")),
        CrmDefaults(str(_l("Other CRMs")), (
            Rule("Update *, * updated, Edit *, * edited, Create *, * created, Close *, Closed *, * closed, * won, Won, "
                 "Log *call*, Log *activity*"),),
                    _l("Generic exports whose action names the record: 'Update Opportunity', 'Log call', 'Closed Won'.")),
    ]


def default_rules() -> list[Rule]:
    return [rule for crm in crm_defaults() for rule in crm.rules]


# --- the form's text and the stored mapping --------------------------------------------------------------


def format_rules(rules: Sequence[Rule]) -> str:
    """One rule a line: the action pattern, then | and the object pattern where there is one."""
    return "\n".join(rule.line() for rule in rules)


def _alternatives(pattern: str) -> list[str]:
    return [part.strip() for part in pattern.split(",") if part.strip()]


def _tidy(pattern: str) -> str:
    return ", ".join(_alternatives(pattern))


def parse_rules(text: str, *, field: str = "rules_text") -> list[Rule]:
    """The rules typed on the mapping page; ValidationFailed names each line that cannot be a rule.

    Blank lines and lines starting with # are skipped.
    """
    rules: list[Rule] = []
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(SEPARATOR)
        if len(parts) > 2:
            errors.append(_("Line %(n)s: one | only, between the action pattern and the object pattern.", n=number))
            continue
        action, obj = _tidy(parts[0]), _tidy(parts[1]) if len(parts) == 2 else ""
        if not action:
            errors.append(_("Line %(n)s has no action pattern before the |.", n=number))
        elif max(len(action), len(obj)) > PATTERN_LIMIT:
            errors.append(_("Line %(n)s: a pattern can be at most %(max)s characters long.", n=number, max=PATTERN_LIMIT))
        else:
            rules.append(Rule(action, obj))
    if len(rules) > MAX_RULES:
        errors.append(_("At most %(max)s rules; there are %(n)s.", max=MAX_RULES, n=len(rules)))
    if not rules and not errors:
        errors.append(_("Give at least one rule, or restore the defaults."))
    if errors:
        raise ValidationFailed({field: errors})
    return rules


def _mapping(plan_id: int) -> KeyActionMapping | None:
    return db.session.scalar(select(KeyActionMapping).where(KeyActionMapping.plan_id == plan_id))


def plan_rules(plan_id: int) -> list[Rule]:
    """The plan's rules: the saved ones, else the defaults."""
    mapping = _mapping(plan_id)
    if mapping is None:
        return default_rules()
    return [Rule(r.action_pattern, r.object_pattern) for r in mapping.rules]


def stored_mapping(plan: Plan) -> KeyActionMapping:
    """The plan's saved mapping; until one is saved, an unsaved one at version 0 (so a form opened on the
    defaults is stale once someone has saved a mapping)."""
    mapping = _mapping(plan.id)
    if mapping is not None:
        return mapping
    return KeyActionMapping(plan_id=plan.id, version=0,
                            rules=[KeyActionRule(position=n, action_pattern=r.action, object_pattern=r.object)
                                   for n, r in enumerate(default_rules())])


def mapping_text(mapping: KeyActionMapping) -> str:
    """The mapping as the form shows it."""
    return format_rules([Rule(r.action_pattern, r.object_pattern) for r in mapping.rules])


def save_rules(plan: Plan, rules: Sequence[Rule]) -> None:
    """Store the plan's mapping and count the plan's key actions again under it. Flushes."""
    if not rules:
        raise ValidationFailed({"rules_text": _("Give at least one rule, or restore the defaults.")})
    mapping = _mapping(plan.id)
    if mapping is None:
        mapping = KeyActionMapping(plan_id=plan.id)
        db.session.add(mapping)
    mapping.rules.clear()
    db.session.flush()  # the old rows go before the new ones take their positions
    mapping.rules.extend(KeyActionRule(position=n, action_pattern=r.action, object_pattern=r.object)
                         for n, r in enumerate(rules))
    db.session.flush()
    recompute_plan(plan)


# --- counting -------------------------------------------------------------------------------------------


def _like(column, pattern: str) -> ColumnElement[bool]:
    """The column matches one of the pattern's alternatives (whole text, * for any text, case ignored)."""
    lowered = func.lower(column)
    tests = []
    for alternative in _alternatives(pattern):
        escaped = alternative.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        tests.append(lowered.like(escaped, escape="\\"))
    return or_(*tests) if tests else false()


def key_action_condition(rules: Sequence[Rule]) -> ColumnElement[bool]:
    """The SQL condition that makes a usage event a key action under the rules."""
    tests = [and_(_like(UsageEvent.action, r.action), _like(UsageEvent.object, r.object)) if r.object
             else _like(UsageEvent.action, r.action) for r in rules]
    return or_(*tests) if tests else false()


def recompute_key_actions(first_day: date, last_day: date) -> None:
    """Count the key actions again, per plan, department and week, for the weeks from first_day's to last_day's
    (whole weeks: a week's people are counted once). Called after an import with the days it brought. Flushes."""
    for plan in db.session.scalars(select(Plan).order_by(Plan.id)):
        recompute_plan(plan, first_day, last_day)


def recompute_plan(plan: Plan, first_day: date | None = None, last_day: date | None = None) -> None:
    """Count the plan's key actions for its departments between two days (None: all their events). Flushes."""
    department_ids = sorted(go_live_dates(plan))
    if not department_ids:
        return
    if first_day is None or last_day is None:
        first_day, last_day = db.session.execute(
            select(func.min(UsageEvent.day), func.max(UsageEvent.day)).where(UsageEvent.department_id.in_(department_ids))
        ).one()
        if first_day is None or last_day is None:
            db.session.execute(delete(KeyActionWeek).where(KeyActionWeek.plan_id == plan.id))
            return
    first_week, last_week = week_number(first_day), week_number(last_day)
    counts = _count(plan_rules(plan.id), department_ids, first_week, last_week)
    seats = _seats(department_ids, first_week, last_week)
    db.session.execute(delete(KeyActionWeek).where(
        KeyActionWeek.plan_id == plan.id, KeyActionWeek.department_id.in_(department_ids),
        KeyActionWeek.week >= first_week, KeyActionWeek.week <= last_week))
    rows = [dict(plan_id=plan.id, department_id=department_id, week=week, key_actions=c.key_actions,
                 people=len(c.people), active_people=len(c.active), licensed_seats=seats.get((department_id, week), 0))
            for (department_id, week), c in sorted(counts.items())]
    if rows:
        db.session.execute(KeyActionWeek.__table__.insert(), rows)
    db.session.flush()


@dataclass
class _Tally:
    key_actions: int = 0
    people: set[int] = field(default_factory=set)
    active: set[int] = field(default_factory=set)


def _count(rules: Sequence[Rule], department_ids: list[int], first_week: int, last_week: int) -> dict[tuple[int, int], _Tally]:
    """(department, week) -> key actions, the people doing them and the people active: one GROUP BY per
    person and day (the events' day, not a date computed in SQL, so the query is the same on both databases)."""
    first = EPOCH_MONDAY + timedelta(weeks=first_week)
    last = EPOCH_MONDAY + timedelta(weeks=last_week, days=6)
    e = UsageEvent
    key = func.sum(case((key_action_condition(rules), 1), else_=0))
    query = (select(e.department_id, e.employee_id, e.day, key)
             .where(e.department_id.in_(department_ids), e.employee_id.is_not(None), e.day >= first, e.day <= last)
             .group_by(e.department_id, e.employee_id, e.day))
    tallies: dict[tuple[int, int], _Tally] = defaultdict(_Tally)
    for department_id, employee_id, day, n in driver_rows(query):
        day = day if isinstance(day, date) else date.fromisoformat(day)
        tally = tallies[(department_id, week_number(day))]
        tally.active.add(employee_id)
        if n:
            tally.key_actions += int(n)
            tally.people.add(employee_id)
    return tallies


def _seats(department_ids: list[int], first_week: int, last_week: int) -> dict[tuple[int, int], int]:
    """The licensed seats of each department in each week: the most its snapshots show, else its seats now."""
    s = AdoptionSnapshot
    found = {(d, w): int(n or 0) for d, w, n in db.session.execute(
        select(s.department_id, s.week, func.max(s.licensed_seats))
        .where(s.department_id.in_(department_ids), s.week >= first_week, s.week <= last_week)
        .group_by(s.department_id, s.week))}
    now = {d: int(n or 0) for d, n in db.session.execute(
        select(Department.id, Department.licensed_seats).where(Department.id.in_(department_ids)))}
    return defaultdict(int, {(d, w): found.get((d, w)) or now.get(d, 0)
                             for d in department_ids for w in range(first_week, last_week + 1)})


# --- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyActionFigures:
    """A department's key actions in one week (Monday)."""

    week: date
    key_actions: int
    people: int
    active_people: int
    seats: int

    @property
    def percent(self) -> float | None:
        """People doing a key action as a percent of the licensed seats."""
        return round(100.0 * self.people / self.seats, 1) if self.seats else None

    @property
    def logs_in_only(self) -> bool:
        """People used the CRM that week, but (almost) none of them did a key action: under one in ten."""
        return self.active_people > 0 and self.people * 10 < self.active_people


def weekly_key_actions(plan_id: int, department_ids: Sequence[int], *, first: date, last: date) -> dict[int, list[KeyActionFigures]]:
    """Department id -> its weeks with usage between two days under the plan's mapping, oldest first (one query)."""
    if not department_ids:
        return {}
    k = KeyActionWeek
    rows = db.session.execute(
        select(k.department_id, k.week, k.key_actions, k.people, k.active_people, k.licensed_seats)
        .where(k.plan_id == plan_id, k.department_id.in_([int(i) for i in department_ids]),
               k.week >= week_number(first), k.week <= week_number(last))
        .order_by(k.department_id, k.week))
    found: dict[int, list[KeyActionFigures]] = defaultdict(list)
    for department_id, week, n, people, active, seats in rows:
        found[department_id].append(KeyActionFigures(EPOCH_MONDAY + timedelta(weeks=week), n, people, active, seats))
    return dict(found)


@dataclass(frozen=True)
class KeyActionSummary:
    """A department's key-action adoption since its go-live under a plan's mapping, beside its login adoption."""

    plan_id: int
    go_live: date
    weeks: list[KeyActionFigures]
    login_weeks: list  # adoption.services.WeekFigures of the same weeks, for the chart
    today: date

    @property
    def latest(self) -> KeyActionFigures | None:
        """The newest whole week with figures (the week under way only when it is the one there is)."""
        if not self.weeks:
            return None
        whole = [w for w in self.weeks if w.week + timedelta(days=6) < self.today]
        return whole[-1] if whole else self.weeks[-1]


def department_summary(plan: Plan, department_id: int, *, go_live: date, today: date) -> KeyActionSummary:
    """Key actions and login adoption per week of one department from the week of its go-live to today."""
    from crmproject.adoption.services import weekly_figures

    weeks = weekly_key_actions(plan.id, [department_id], first=go_live, last=today).get(department_id, [])
    logins = weekly_figures([department_id], first=go_live, last=today).get(department_id, [])
    return KeyActionSummary(plan.id, go_live, weeks, logins, today)
