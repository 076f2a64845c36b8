"""The project team: role seats, assignments with history, vacancies, turnover and RACI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crmproject.auth.models import User
from crmproject.departments.models import Department
from crmproject.db import touch
from crmproject.errors import FieldChange, ValidationFailed, three_way
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import CrmModule, Phase, Plan, WaveKind
from crmproject.teams.models import (
    Deliverable, RaciAssignment, RaciCode, TeamAssignment, TeamRole, TeamRoleKind,
)

# --- roles -------------------------------------------------------------------------------


def list_roles(plan: Plan) -> list[TeamRole]:
    """The plan's team roles with their whole assignment history, in two queries."""
    return list(
        db.session.scalars(
            select(TeamRole)
            .where(TeamRole.plan_id == plan.id)
            .options(
                selectinload(TeamRole.assignments).selectinload(TeamAssignment.user),
                selectinload(TeamRole.crm_module),
                selectinload(TeamRole.department),
            )
            .order_by(TeamRole.position, TeamRole.id)
        )
    )


def _check_role(plan: Plan, role: TeamRole | None, *, title: str, kind: TeamRoleKind, crm_module: CrmModule | None) -> None:
    errors: dict[str, str] = {}
    title = title.strip()
    if not title:
        errors["title"] = _("Enter the role's title, for example Module lead SFA.")
    else:
        clash = db.session.scalar(select(TeamRole).where(TeamRole.plan_id == plan.id, TeamRole.title == title))
        if clash is not None and clash is not role:
            errors["title"] = _("This plan's team already has a role titled %(title)s.", title=title)
    if kind == TeamRoleKind.MODULE_LEAD and crm_module is None:
        errors["crm_module_id"] = _("A module lead leads one CRM module: choose it.")
    if errors:
        raise ValidationFailed(errors)


def create_role(
    plan: Plan, *, kind: TeamRoleKind, title: str, required: bool = True, responsibilities: str = "",
    crm_module: CrmModule | None = None, department: Department | None = None,
) -> TeamRole:
    _check_role(plan, None, title=title, kind=kind, crm_module=crm_module)
    position = len(db.session.scalars(select(TeamRole.id).where(TeamRole.plan_id == plan.id)).all()) + 1
    role = TeamRole(
        plan=plan, kind=kind, title=title.strip(), required=required, responsibilities=responsibilities.strip(),
        crm_module=crm_module, department=department, position=position,
    )
    db.session.add(role)
    db.session.flush()
    return role


def update_role(
    role: TeamRole, *, kind: TeamRoleKind, title: str, required: bool, responsibilities: str,
    crm_module: CrmModule | None, department: Department | None,
) -> TeamRole:
    _check_role(role.plan, role, title=title, kind=kind, crm_module=crm_module)
    role.kind, role.title, role.required = kind, title.strip(), required
    role.responsibilities, role.crm_module, role.department = responsibilities.strip(), crm_module, department
    db.session.flush()
    return role


def delete_role(role: TeamRole) -> None:
    db.session.delete(role)
    db.session.flush()


def add_standard_roles(plan: Plan) -> list[TeamRole]:
    """Add the seats the texts call for, where the plan lacks them.

    A sponsor, a project manager, a module lead for every module the waves
    bring, technical support, the implementation partner, IT, and a key user
    in every pilot department. Existing titles are left alone.
    """
    taken = {r.title for r in list_roles(plan)}
    wanted: list[dict] = [
        dict(kind=TeamRoleKind.EXECUTIVE_SPONSOR, title=str(TeamRoleKind.EXECUTIVE_SPONSOR.label),
             responsibilities=_("Top executive who owns the business case, follows progress and decides at phase gates.")),
        dict(kind=TeamRoleKind.PROJECT_MANAGER, title=str(TeamRoleKind.PROJECT_MANAGER.label),
             responsibilities=_("Runs the plan day to day, staffs the work and reports to the steering committee.")),
    ]
    modules = {m.id: m for w in plan.waves for m in w.modules}
    for module in sorted(modules.values(), key=lambda m: m.code):
        wanted.append(dict(kind=TeamRoleKind.MODULE_LEAD, title=_("Module lead %(code)s", code=module.code), crm_module=module,
                           responsibilities=_("Owns the %(name)s module: processes, configuration and its users' acceptance.", name=module.name)))
    wanted += [
        dict(kind=TeamRoleKind.TECHNICAL_SUPPORT, title=str(TeamRoleKind.TECHNICAL_SUPPORT.label),
             responsibilities=_("Keeps the system running and answers users' technical questions.")),
        dict(kind=TeamRoleKind.IMPLEMENTATION_PARTNER, title=str(TeamRoleKind.IMPLEMENTATION_PARTNER.label), required=False,
             responsibilities=_("The outside consultants who configure and integrate the CRM.")),
        dict(kind=TeamRoleKind.IT, title=str(TeamRoleKind.IT.label),
             responsibilities=_("Integration with ERP and other systems, data migration and security.")),
    ]
    for wave in plan.waves:
        if wave.kind == WaveKind.PILOT:
            for department in wave.departments:
                wanted.append(dict(kind=TeamRoleKind.KEY_USER, title=_("Key user %(code)s", code=department.code), department=department,
                                   responsibilities=_("Represents %(name)s: tests, trains colleagues and reports what does not work.",
                                                      name=department.name)))
    return [create_role(plan, **spec) for spec in wanted if spec["title"] not in taken]


# --- assignments -------------------------------------------------------------------------

def assign(
    role: TeamRole, *, start: date, user: User | None = None, person_name: str = "", organisation: str = "",
    email: str = "", note: str = "", end: date | None = None,
) -> TeamAssignment:
    """Give a role to an app user or an outside person from `start`.

    The current holder, if any, hands over: their assignment ends the day
    before. A new assignment may not begin inside an earlier one that has
    already ended, so the history never overlaps.
    """
    errors: dict[str, str] = {}
    person_name = person_name.strip()
    if user is None and not person_name:
        errors["user_id"] = _("Choose a user, or enter the name of an outside person.")
    email = email.strip()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        errors["email"] = _("Enter a valid e-mail address.")
    if user is not None and person_name:
        errors["person_name"] = _("Choose a user or name an outside person, not both.")
    if end is not None and end < start:
        errors["end_date"] = _("The end date %(end)s is before the start date %(start)s.", end=end.isoformat(), start=start.isoformat())
    for previous in role.assignments:
        if previous.end_date is None and previous.start_date < start:
            continue  # the open assignment is handed over below
        if previous.start_date >= start or (previous.end_date is not None and previous.end_date >= start):
            errors["start_date"] = _(
                "%(name)s held this role from %(start)s to %(end)s; a new holder starts after that.",
                name=previous.holder_name, start=previous.start_date.isoformat(),
                end=previous.end_date.isoformat() if previous.end_date else _("now"),
            )
            break
    if errors:
        raise ValidationFailed(errors)
    for previous in role.assignments:
        if previous.end_date is None:
            previous.end_date = start - timedelta(days=1)
    assignment = TeamAssignment(
        user=user, person_name="" if user else person_name, organisation=organisation.strip(), email=email.strip(),
        note=note.strip(), start_date=start, end_date=end,
    )
    role.assignments.append(assignment)
    db.session.flush()
    return assignment


def end_assignment(assignment: TeamAssignment, end: date) -> None:
    """Someone leaves a role; the seat becomes vacant from the next day. Once ended it stays ended: a second
    End (from a page opened before the first) would move the day someone else recorded."""
    if assignment.end_date is not None:
        raise ValidationFailed(_("%(name)s already left the role on %(day)s.", name=assignment.holder_name,
                                 day=assignment.end_date.isoformat()), field="end_date")
    if end < assignment.start_date:
        raise ValidationFailed(
            _("The end date %(end)s is before the start date %(start)s.", end=end.isoformat(), start=assignment.start_date.isoformat()),
            field="end_date",
        )
    assignment.end_date = end
    db.session.flush()


def remove_assignment(assignment: TeamAssignment) -> None:
    """Take back an assignment made by mistake (ending it would count a handover).

    If it had taken over from the previous holder, that holder's assignment
    is open again, as if the mistaken one had never been made.
    """
    role = assignment.team_role
    earlier = [a for a in role.assignments if a is not assignment and a.start_date < assignment.start_date]
    previous = max(earlier, key=lambda a: a.start_date, default=None)
    if previous is not None and previous.end_date == assignment.start_date - timedelta(days=1) and assignment.end_date is None:
        previous.end_date = None
    role.assignments.remove(assignment)
    db.session.flush()


@dataclass(frozen=True)
class RoleStatus:
    role: TeamRole
    holder: TeamAssignment | None
    history: list[TeamAssignment]

    @property
    def vacant(self) -> bool:
        return self.holder is None

    @property
    def flagged(self) -> bool:
        """A required seat that nobody holds today."""
        return self.role.required and self.holder is None

    @property
    def changes(self) -> int:
        """How many times the seat changed hands."""
        return max(len(self.history) - 1, 0)


@dataclass(frozen=True)
class TeamOverview:
    roles: list[RoleStatus]

    @property
    def vacancies(self) -> list[RoleStatus]:
        return [r for r in self.roles if r.flagged]

    @property
    def turnover(self) -> int:
        return sum(r.changes for r in self.roles)

    @property
    def staffed_share(self) -> float | None:
        required = [r for r in self.roles if r.role.required]
        return sum(1 for r in required if not r.vacant) / len(required) if required else None


def team_overview(plan: Plan, *, today: date) -> TeamOverview:
    return TeamOverview([RoleStatus(role, role.holder_on(today), list(role.assignments)) for role in list_roles(plan)])


# --- RACI ------------------------------------------------------------------------------------

def list_deliverables(plan: Plan) -> list[Deliverable]:
    return list(
        db.session.scalars(
            select(Deliverable).where(Deliverable.plan_id == plan.id)
            .options(selectinload(Deliverable.raci), selectinload(Deliverable.phase))
            .order_by(Deliverable.position, Deliverable.id)
        )
    )


def add_deliverable(plan: Plan, *, name: str, description: str = "", phase: Phase | None = None) -> Deliverable:
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter the deliverable's name."), field="name")
    if db.session.scalar(select(Deliverable.id).where(Deliverable.plan_id == plan.id, Deliverable.name == name)):
        raise ValidationFailed(_("This plan already has a deliverable named %(name)s.", name=name), field="name")
    position = len(list_deliverables(plan)) + 1
    deliverable = Deliverable(plan_id=plan.id, name=name, description=description.strip(), phase=phase, position=position)
    db.session.add(deliverable)
    db.session.flush()
    return deliverable


def delete_deliverable(deliverable: Deliverable) -> None:
    db.session.delete(deliverable)
    db.session.flush()


def raci_problem(codes: Mapping[int, RaciCode]) -> str | None:
    """What is wrong with one deliverable's row, or None. Exactly one A, and an R is expected."""
    accountable = sum(1 for c in codes.values() if c == RaciCode.ACCOUNTABLE)
    if accountable == 0:
        return _("no role is accountable (A): exactly one must be.")
    if accountable > 1:
        return _("%(n)s roles are accountable (A): exactly one may be.", n=accountable)
    return None


def save_raci(plan: Plan, grid: Mapping[int, Mapping[int, RaciCode | None]]) -> None:
    """Replace the RACI cells of the given deliverables, all or nothing.

    `grid` maps a deliverable id to {team role id: code or None}. A row with
    any letter must have exactly one A; an empty row is allowed (not yet
    planned) and shown as a warning on the page.
    """
    deliverables = {d.id: d for d in list_deliverables(plan)}
    role_ids = {r.id for r in list_roles(plan)}
    errors: dict[str, str] = {}
    for deliverable_id, row in grid.items():
        if deliverable_id not in deliverables:
            raise ValidationFailed(_("The RACI grid names a deliverable that is not in this plan."))
        if set(row) - role_ids:
            raise ValidationFailed(_("The RACI grid names a team role that is not in this plan."))
        codes = {rid: code for rid, code in row.items() if code is not None}
        if codes and (problem := raci_problem(codes)):
            errors[f"deliverable-{deliverable_id}"] = f"{deliverables[deliverable_id].name}: {problem}"
    if errors:
        raise ValidationFailed(errors)
    for deliverable_id, row in grid.items():
        deliverable = deliverables[deliverable_id]
        codes = {rid: code for rid, code in row.items() if code is not None}
        if codes != {cell.team_role_id: cell.code for cell in deliverable.raci}:
            deliverable.raci = [RaciAssignment(team_role_id=rid, code=code) for rid, code in codes.items()]
            touch(deliverable)  # the row changed: a grid opened before this is stale for it
    db.session.flush()


def raci_row_key(codes: Mapping[int, RaciCode | None]) -> list[str]:
    """A RACI row as compared, and as a page's snapshot keeps it: its letters by team role id, in order."""
    return sorted(f"{role_id}:{code.value}" for role_id, code in codes.items() if code is not None)


def reconcile_raci(plan: Plan, grid: dict[int, dict[int, RaciCode | None]], versions: Mapping[int, int | None],
                   opened: Mapping[int, list[str]] | None) -> tuple[list[FieldChange], list[str]]:
    """Three-way check of a RACI grid's rows that someone saved after the grid was opened (`versions`:
    deliverable id -> the version the page showed), row by row (crmproject.errors.three_way) between the
    row the page showed (`opened`, from its snapshot; a row missing there is not known), the row saved now
    and the grid's. A row only someone else changed keeps their letters: `grid` takes them, so saving it
    changes nothing there. Returns the rows both changed differently, and the names of the rows kept."""
    roles = list_roles(plan)
    role_ids = {r.id for r in roles}

    def letters(key: list[str]) -> str:
        codes = dict(item.split(":", 1) for item in key)
        return ", ".join(f"{codes[str(r.id)]} {r.title}" for r in roles if str(r.id) in codes)

    conflicts, kept = [], []
    for deliverable in list_deliverables(plan):
        if deliverable.id not in grid or versions.get(deliverable.id) == deliverable.version:
            continue
        now = {cell.team_role_id: cell.code for cell in deliverable.raci}
        # a letter for a role of another plan is save_raci's to refuse, not a change of this row
        theirs, yours = raci_row_key(now), raci_row_key({r: c for r, c in grid[deliverable.id].items() if r in role_ids})
        mine = opened.get(deliverable.id) if opened is not None else None
        verdict = three_way(mine, theirs, yours)
        if verdict == "theirs":
            grid[deliverable.id] = {**dict.fromkeys(grid[deliverable.id]), **now}
            kept.append(deliverable.name)
        elif verdict == "conflict":
            conflicts.append(FieldChange(f"deliverable-{deliverable.id}", deliverable.name, letters(theirs), letters(yours),
                                         None if mine is None else letters(mine)))
    return conflicts, kept


def raci_matrix(deliverables: list[Deliverable]) -> dict[int, dict[int, RaciCode]]:
    return {d.id: {cell.team_role_id: cell.code for cell in d.raci} for d in deliverables}
