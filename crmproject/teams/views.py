"""Team and RACI pages of a plan."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for

from crmproject.auth.models import User
from crmproject.auth.services import list_active_users
from crmproject.auth.permissions import allow, can_edit_plans
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import ValidationFailed, flash_kept, saving
from crmproject.extensions import db
from crmproject.forms import SNAPSHOT, options, read_snapshot, read_version, snapshot_serializer
from crmproject.i18n import _
from crmproject.plans.models import CrmModule, Phase, Plan
from crmproject.plans.services import list_modules
from crmproject.plans.lookup import plan_or_404
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.teams import bp, excel, services
from crmproject.teams.forms import AssignmentForm, DeliverableForm, EndAssignmentForm, TeamRoleForm
from crmproject.teams.models import Deliverable, RaciCode, TeamAssignment, TeamRole, TeamRoleKind
from crmproject.teams.tables import TEAM



def _child(model, plan: Plan, child_id: int):
    child = db.session.get(model, child_id)
    if child is None:
        abort(404)
    owner_plan_id = child.team_role.plan_id if isinstance(child, TeamAssignment) else child.plan_id
    if owner_plan_id != plan.id:
        abort(404)
    return child


def _none_first(pairs):
    return options([("", _("— none —"))] + list(pairs))


def _user_choices():
    return _none_first((u.id, f"{u.name} <{u.email}>") for u in list_active_users())


def _back_to_team(plan: Plan, message: str):
    flash(message, "success")
    return redirect(url_for("teams.team", plan_id=plan.id))


@table_page(bp, "/team")
def team(plan_id: int):
    plan = plan_or_404(plan_id)
    overview = services.team_overview(plan, today=date.today())
    if wants_csv():
        return table_csv(TEAM, overview.roles, plan.name, _("project team"))
    return render_template("teams/team.html", plan=plan, overview=overview, today=date.today(),
                           end_form=EndAssignmentForm(formdata=None, end_date=date.today()))


@bp.post("/team/standard-roles")
@allow(can_edit_plans)
def standard_roles(plan_id: int):
    plan = plan_or_404(plan_id)
    added = services.add_standard_roles(plan)
    return _back_to_team(plan, _("%(n)s standard roles added.", n=len(added)) if added else _("The team already has every standard role."))


@bp.route("/team/roles/new", methods=["GET", "POST"])
@bp.route("/team/roles/<int:role_id>/edit", methods=["GET", "POST"])
@allow(can_edit_plans)
def role_form(plan_id: int, role_id: int | None = None):
    plan = plan_or_404(plan_id)
    role = _child(TeamRole, plan, role_id) if role_id else None
    form = TeamRoleForm(obj=role if request.method == "GET" else None)
    form.crm_module_id.choices = _none_first((m.id, f"{m.code}: {m.name}") for m in list_modules())
    form.department_id.choices = _none_first((d.id, d.name) for d in list_departments())
    if request.method == "GET" and role is not None:
        form.kind.data = role.kind.value
    if form.validate_on_submit():
        with saving(form, role) as outcome:
            values = dict(
                kind=TeamRoleKind(form.kind.data), title=form.title.data, required=form.required.data,
                responsibilities=form.responsibilities.data or "",
                crm_module=db.session.get(CrmModule, form.crm_module_id.data) if form.crm_module_id.data else None,
                department=db.session.get(Department, form.department_id.data) if form.department_id.data else None,
            )
            saved = services.create_role(plan, **values) if role is None else services.update_role(role, **values)
        if outcome.saved:
            return _back_to_team(plan, _("Role %(title)s saved.", title=saved.title))
    return render_template("teams/role_form.html", plan=plan, role=role, form=form), form.http_status


@bp.post("/team/roles/<int:role_id>/delete")
@allow(can_edit_plans)
def role_delete(plan_id: int, role_id: int):
    plan = plan_or_404(plan_id)
    role = _child(TeamRole, plan, role_id)
    title = role.title
    services.delete_role(role)
    return _back_to_team(plan, _("Role %(title)s deleted with its history.", title=title))


@bp.route("/team/roles/<int:role_id>/assign", methods=["GET", "POST"])
@allow(can_edit_plans)
def assign(plan_id: int, role_id: int):
    plan = plan_or_404(plan_id)
    role = _child(TeamRole, plan, role_id)
    form = AssignmentForm(version=role.version)
    form.user_id.choices = _user_choices()
    if request.method == "GET":
        form.start_date.data = date.today()
        form.shows(_latest_holder(role, form))  # what a save would hand over: the holder when the page was opened
    if form.validate_on_submit():
        with saving(form, role, saved=_latest_holder(role, form)) as outcome:
            services.assign(
                role, start=form.start_date.data,
                user=db.session.get(User, form.user_id.data) if form.user_id.data else None,
                person_name=form.person_name.data or "", organisation=form.organisation.data or "",
                email=form.email.data or "", note=form.note.data or "",
            )
        if outcome.saved:
            return _back_to_team(plan, _("%(title)s assigned.", title=role.title))
    return render_template("teams/assign.html", plan=plan, role=role, form=form), form.http_status


def _latest_holder(role: TeamRole, form: AssignmentForm) -> dict[str, object]:
    """The seat's latest assignment as the form's fields: what an assignment from a stale page would hand over.
    A seat nobody held has nothing to lose, so it compares equal to the form."""
    latest = max(role.assignments, key=lambda a: a.start_date, default=None)
    if latest is None:
        return {f.name: f.data for f in form}
    return {"user_id": latest.user_id, "person_name": latest.person_name, "organisation": latest.organisation,
            "email": latest.email, "start_date": latest.start_date, "note": latest.note}


@bp.post("/team/assignments/<int:assignment_id>/end")
@allow(can_edit_plans)
def end_assignment(plan_id: int, assignment_id: int):
    plan = plan_or_404(plan_id)
    assignment = _child(TeamAssignment, plan, assignment_id)
    form = EndAssignmentForm()
    if not form.validate_on_submit():
        flash(_("Enter the last day in the role as a date."), "error")
        return redirect(url_for("teams.team", plan_id=plan.id))
    try:
        services.end_assignment(assignment, form.end_date.data)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(m for msgs in exc.errors.values() for m in msgs), "error")
        return redirect(url_for("teams.team", plan_id=plan.id))
    return _back_to_team(plan, _("%(name)s left the role %(title)s.", name=assignment.holder_name, title=assignment.team_role.title))


@bp.post("/team/assignments/<int:assignment_id>/delete")
@allow(can_edit_plans)
def remove_assignment(plan_id: int, assignment_id: int):
    plan = plan_or_404(plan_id)
    assignment = _child(TeamAssignment, plan, assignment_id)
    name, title = assignment.holder_name, assignment.team_role.title
    services.remove_assignment(assignment)
    return _back_to_team(plan, _("%(name)s was removed from the history of %(title)s.", name=name, title=title))


# --- RACI ------------------------------------------------------------------------------------

RACI_SNAPSHOT = "teams.raci"


def _raci_page(plan: Plan, *, deliverable_form: DeliverableForm, grid=None, errors=None, conflict=None, status: int = 200):
    deliverables = services.list_deliverables(plan)
    roles = services.list_roles(plan)
    saved = services.raci_matrix(deliverables)
    matrix = grid if grid is not None else saved
    # what the page shows as saved, row by row with the version beside it: a save checks each row against it
    opened = snapshot_serializer(RACI_SNAPSHOT).dumps(
        {str(d.id): [d.version, services.raci_row_key(saved.get(d.id, {}))] for d in deliverables})
    warnings = {
        d.id: problem for d in deliverables
        if (problem := services.raci_problem(matrix.get(d.id, {})))
    }
    return render_template(
        "teams/raci.html", plan=plan, deliverables=deliverables, roles=roles, matrix=matrix, codes=list(RaciCode),
        errors=errors or {}, warnings=warnings, deliverable_form=deliverable_form, conflict=conflict, snapshot_name=SNAPSHOT,
        opened=opened,
    ), status


def _deliverable_form(plan: Plan, formdata=None) -> DeliverableForm:
    form = DeliverableForm(formdata=formdata)
    form.phase_id.choices = _none_first((p.id, p.name) for p in plan.phases)
    return form


@bp.get("/raci")
def raci(plan_id: int):
    plan = plan_or_404(plan_id)
    return _raci_page(plan, deliverable_form=_deliverable_form(plan, formdata=None))


@bp.post("/raci")
@allow(can_edit_plans)
def raci_save(plan_id: int):
    plan = plan_or_404(plan_id)
    grid: dict[int, dict[int, RaciCode | None]] = {}
    for key, value in request.form.items():
        if not key.startswith("cell-"):
            continue
        try:
            _prefix, deliverable_id, role_id = key.split("-")
            grid.setdefault(int(deliverable_id), {})[int(role_id)] = RaciCode(value) if value else None
        except ValueError:
            abort(400)
    versions = {deliverable_id: read_version(request.form.get(f"version-{deliverable_id}")) for deliverable_id in grid}
    conflict, kept = services.reconcile_raci(plan, grid, versions, _raci_opened(versions))
    if conflict:
        return _raci_page(plan, deliverable_form=_deliverable_form(plan, formdata=None), grid=grid, conflict=conflict, status=409)
    try:
        services.save_raci(plan, grid)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Nothing was saved: fix the rows marked below."), "error")
        return _raci_page(plan, deliverable_form=_deliverable_form(plan, formdata=None), grid=grid, errors=exc.errors, status=200)
    flash(_("RACI saved."), "success")
    flash_kept(kept)
    return redirect(url_for("teams.raci", plan_id=plan.id))


def _raci_opened(versions: dict[int, int | None]) -> dict[int, list[str]] | None:
    """The rows the grid showed when it was opened, from its signed snapshot: only those at the version the
    page sent back for them (None when it sent no snapshot, or one this app did not sign)."""
    payload = read_snapshot(RACI_SNAPSHOT, request.form.get(SNAPSHOT))
    if not isinstance(payload, dict):
        return None
    return {int(key): row[1] for key, row in payload.items()
            if key.isdigit() and isinstance(row, list) and len(row) == 2 and versions.get(int(key)) == row[0]}


@spreadsheet_routes(bp, "/raci")
def raci_export(plan_id: int):
    plan = plan_or_404(plan_id)
    workbook = excel.raci_workbook(services.list_deliverables(plan), services.list_roles(plan), today=date.today())
    return download(workbook, download_name(plan.name, _("RACI")))


@bp.post("/raci/deliverables")
@allow(can_edit_plans)
def deliverable_add(plan_id: int):
    plan = plan_or_404(plan_id)
    form = _deliverable_form(plan, formdata=request.form)
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.add_deliverable(
                plan, name=form.name.data, description=form.description.data or "",
                phase=_child(Phase, plan, form.phase_id.data) if form.phase_id.data else None,
            )
        if outcome.saved:
            flash(_("Deliverable %(name)s added.", name=form.name.data), "success")
            return redirect(url_for("teams.raci", plan_id=plan.id))
    return _raci_page(plan, deliverable_form=form)


@bp.post("/raci/deliverables/<int:deliverable_id>/delete")
@allow(can_edit_plans)
def deliverable_delete(plan_id: int, deliverable_id: int):
    plan = plan_or_404(plan_id)
    deliverable = _child(Deliverable, plan, deliverable_id)
    name = deliverable.name
    services.delete_deliverable(deliverable)
    flash(_("Deliverable %(name)s deleted.", name=name), "success")
    return redirect(url_for("teams.raci", plan_id=plan.id))

