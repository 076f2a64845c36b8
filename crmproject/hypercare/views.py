"""Hypercare of a plan: each department's figures and exit criteria, the issue log, an issue, the policy."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import User
from crmproject.auth.permissions import (allow, can_delete_hypercare_issue, can_handle_hypercare,
                                         can_set_hypercare_policy, require)
from crmproject.auth.services import list_active_users
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed, apply_to_form, flash_refusal, saving
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.hypercare import bp, services, tables
from crmproject.hypercare.excel import issues_workbook
from crmproject.hypercare.forms import IssueForm, PolicyForm, ResolveForm
from crmproject.hypercare.models import HypercareIssue, IssueCategory, IssueSeverity
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_zone

TIMES = ("reported_at", "first_response_at", "resolved_at")
ISSUES_SHOWN = 300


def _issue(plan: Plan, issue_id: int) -> HypercareIssue:
    issue = db.session.get(HypercareIssue, issue_id)
    if issue is None or issue.plan_id != plan.id:
        abort(404)
    return issue


def _filters(plan: Plan) -> dict[str, str]:
    """The issue list's filters from the query string; unknown values are dropped."""
    wanted = {"department": request.args.get("department", ""), "state": request.args.get("state", ""),
              "severity": request.args.get("severity", "")}
    if wanted["department"] not in {str(d) for d in services.go_lives(plan)}:
        wanted["department"] = ""
    if wanted["state"] not in ("open", "resolved"):
        wanted["state"] = ""
    if wanted["severity"] not in {s.value for s in IssueSeverity}:
        wanted["severity"] = ""
    return wanted


def _filtered(issues: list[HypercareIssue], filters: dict[str, str]) -> list[HypercareIssue]:
    return [i for i in issues
            if (not filters["department"] or str(i.department_id) == filters["department"])
            and (not filters["state"] or i.is_open == (filters["state"] == "open"))
            and (not filters["severity"] or i.severity.value == filters["severity"])]


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    rules = services.policy(plan)
    issues = services.plan_issues(plan)
    now = utcnow()
    filters = _filters(plan)
    shown = _filtered(issues, filters)
    if wants_csv() and request.args.get("table") == "departments":
        live = [d for d in services.hypercare_by_department(plan, now=now, issues=issues, rules=rules).values()
                if d.state.value != "not_live"]
        return table_csv(tables.DEPARTMENTS, live, plan.name, _("hypercare departments"))
    if wants_csv():  # every issue the filters keep, not only the newest ISSUES_SHOWN
        clocks = {i.id: services.issue_clock(i, rules.targets[i.severity], now=now) for i in shown}
        table = tables.issues_table(clocks, lambda moment: services.as_local(plan, moment))
        return table_csv(table, shown, plan.name, _("hypercare issues"))
    return render_template(
        "hypercare/index.html", plan=plan, rules=rules, filters=filters, issues=shown[:ISSUES_SHOWN], total=len(shown),
        departments=services.hypercare_by_department(plan, now=now, issues=issues, rules=rules),
        clocks={i.id: services.issue_clock(i, rules.targets[i.severity], now=now) for i in shown[:ISSUES_SHOWN]},
        severities=list(IssueSeverity), local=lambda moment: services.local_text(plan, moment),
        zone=plan_zone(plan).key, loggable=bool(services.department_choices(plan, current_user)))


@spreadsheet_routes(bp, "/issues")
def export(plan_id: int):
    plan = plan_or_404(plan_id)
    rules = services.policy(plan)
    issues = services.plan_issues(plan)
    workbook = issues_workbook(plan, issues, rules, now=utcnow())
    return download(workbook, download_name(plan.name, _("hypercare issues")))


def _issue_form(plan: Plan, issue: HypercareIssue | None) -> IssueForm:
    form = IssueForm(obj=issue if request.method == "GET" else None)
    departments = services.department_choices(plan, current_user)
    if issue is not None and issue.department not in departments:
        departments.append(issue.department)
    form.department_id.choices = options([("", _("— choose —"))] + [(d.id, d.name) for d in departments])
    people = list_active_users()
    if issue is not None and issue.handler is not None and issue.handler not in people:
        people.append(issue.handler)
    form.handler_id.choices = options([("", _("— nobody yet —"))] + [(u.id, u.name) for u in people])
    if request.method == "GET" and issue is not None:
        for name in TIMES:
            getattr(form, name).data = services.as_local(plan, getattr(issue, name))
    return form


def _values(plan: Plan, form: IssueForm) -> services.IssueValues:
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    if department is not None:
        require(can_handle_hypercare(current_user, department.id))
    return services.IssueValues(
        department=department, title=form.title.data or "", description=form.description.data or "",
        severity=IssueSeverity(form.severity.data), category=IssueCategory(form.category.data),
        reported_by=form.reported_by.data or "", reported_at=services.from_local(plan, form.reported_at.data),
        handler=db.session.get(User, form.handler_id.data) if form.handler_id.data else None,
        first_response_at=services.from_local(plan, form.first_response_at.data),
        resolved_at=services.from_local(plan, form.resolved_at.data), resolution=form.resolution.data or "")


def _to_issue(plan: Plan, issue: HypercareIssue, message: str):
    flash(message, "success")
    return redirect(url_for("hypercare.show", plan_id=plan.id, issue_id=issue.id))


@bp.route("/issues/new", methods=["GET", "POST"])
def new(plan_id: int):
    plan = plan_or_404(plan_id)
    form = _issue_form(plan, None)
    require(bool(form.department_id.choices[1:]))
    if request.method == "GET":
        form.reported_at.data = services.as_local(plan, utcnow()).replace(second=0, microsecond=0)
        form.department_id.data = request.args.get("department", type=int)
    if form.validate_on_submit():
        with saving(form) as outcome:
            issue = services.log_issue(plan, _values(plan, form), actor=current_user)
        if outcome.saved:
            return _to_issue(plan, issue, _("Issue logged."))
    return render_template("hypercare/form.html", plan=plan, issue=None, form=form,
                           zone=plan_zone(plan).key), form.http_status


@bp.route("/issues/<int:issue_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, issue_id: int):
    plan = plan_or_404(plan_id)
    issue = _issue(plan, issue_id)
    require(can_handle_hypercare(current_user, issue.department_id))
    form = _issue_form(plan, issue)
    if form.validate_on_submit():
        saved = {name: services.as_local(plan, getattr(issue, name)) for name in TIMES}
        with saving(form, issue, saved=saved) as outcome:
            services.update_issue(issue, plan, _values(plan, form), actor=current_user)
        if outcome.saved:
            return _to_issue(plan, issue, _("Issue saved."))
    return render_template("hypercare/form.html", plan=plan, issue=issue, form=form,
                           zone=plan_zone(plan).key), form.http_status


def _show(plan: Plan, issue: HypercareIssue, form: ResolveForm, status: int = 200):
    rules = services.policy(plan)
    return render_template("hypercare/show.html", plan=plan, issue=issue, form=form, rules=rules,
                           target=rules.targets[issue.severity],
                           clock=services.issue_clock(issue, rules.targets[issue.severity], now=utcnow()),
                           local=lambda moment: services.local_text(plan, moment), zone=plan_zone(plan).key), status


@bp.get("/issues/<int:issue_id>")
def show(plan_id: int, issue_id: int):
    plan = plan_or_404(plan_id)
    return _show(plan, _issue(plan, issue_id), ResolveForm(formdata=None))


def _handled(plan_id: int, issue_id: int) -> tuple[Plan, HypercareIssue]:
    plan = plan_or_404(plan_id)
    issue = _issue(plan, issue_id)
    require(can_handle_hypercare(current_user, issue.department_id))
    return plan, issue


def _button(plan: Plan, issue: HypercareIssue, action, done: str):
    """A button on the issue's page: the service's action, committed, or its refusal flashed."""
    try:
        action()
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("hypercare.show", plan_id=plan.id, issue_id=issue.id))
    return _to_issue(plan, issue, done)


@bp.post("/issues/<int:issue_id>/respond")
def respond(plan_id: int, issue_id: int):
    plan, issue = _handled(plan_id, issue_id)
    return _button(plan, issue, lambda: services.respond(issue, by=current_user), _("First response recorded."))


@bp.post("/issues/<int:issue_id>/resolve")
def resolve(plan_id: int, issue_id: int):
    plan, issue = _handled(plan_id, issue_id)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            services.resolve(issue, resolution=form.resolution.data or "", by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            return _to_issue(plan, issue, _("Issue resolved."))
    return _show(plan, issue, form, 400)


@bp.post("/issues/<int:issue_id>/reopen")
def reopen(plan_id: int, issue_id: int):
    plan, issue = _handled(plan_id, issue_id)
    return _button(plan, issue, lambda: services.reopen(issue), _("Issue reopened."))


@bp.post("/issues/<int:issue_id>/delete")
def delete(plan_id: int, issue_id: int):
    plan, issue = _handled(plan_id, issue_id)
    require(can_delete_hypercare_issue(current_user))
    services.delete_issue(issue)
    flash(_("Issue deleted."), "success")
    return redirect(url_for("hypercare.index", plan_id=plan.id))


@bp.route("/policy", methods=["GET", "POST"])
@allow(can_set_hypercare_policy)
def policy(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    row = services.policy_row(plan)
    rules = services.policy(plan)
    targets = {f"{s.value}_{part}": getattr(t, f"{part}_hours") for s, t in rules.targets.items()
               for part in ("response", "resolution")}
    form = PolicyForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.process(obj=row, data=targets)
        form.version.data = str(row.version if row.id else 0)
    if form.validate_on_submit():
        with saving(form, row if row.id else None, saved=targets) as outcome:
            services.save_policy(plan, services.Policy(
                form.weeks.data, form.resolution_attainment.data, form.max_weekly_new.data,
                {s: services.Target(getattr(form, f"{s.value}_response").data, getattr(form, f"{s.value}_resolution").data)
                 for s in IssueSeverity}))
        if outcome.saved:
            flash(_("Hypercare policy saved."), "success")
            return redirect(url_for("hypercare.index", plan_id=plan.id))
    return render_template("hypercare/policy.html", plan=plan, form=form, severities=list(IssueSeverity)), form.http_status
