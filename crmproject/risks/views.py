"""The risk register of a plan: the list with its heat map and overdue reviews, a risk, its form, closing,
reopening, reviews, the change tasks that mitigate it, the catalogue's risks and the xlsx."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import User
from crmproject.auth.permissions import (allow, can_delete_risk, can_edit_risk, can_manage_risks, can_view_task,
                                         require)
from crmproject.auth.services import list_active_users
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import ValidationFailed, apply_to_form, flash_refusal, saving
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.lookup import child_or_404, plan_or_404
from crmproject.plans.services import plan_today
from crmproject.risks import bp, services
from crmproject.risks.excel import register_workbook
from crmproject.risks.forms import CloseForm, LinkTaskForm, ReviewForm, RiskForm
from crmproject.risks.models import Risk, RiskStatus
from crmproject.risks.tables import REGISTER
from crmproject.tasks.models import ChangeTask

SORTS = ("score", "title", "review")


def _risk(plan: Plan, risk_id: int) -> Risk:
    return child_or_404(Risk, plan, risk_id)


def _filters() -> dict[str, str]:
    """The register's filters from the query string; unknown values are dropped."""
    wanted = {name: request.args.get(name, "") for name in ("status", "department", "likelihood", "impact", "sort")}
    if wanted["status"] not in ("active", *(s.value for s in RiskStatus)):
        wanted["status"] = ""
    if wanted["department"] != "plan" and not wanted["department"].isdigit():
        wanted["department"] = ""
    for name in ("likelihood", "impact"):
        if wanted[name] not in {str(n) for n in services.LEVELS}:
            wanted[name] = ""
    if wanted["sort"] not in SORTS:
        wanted["sort"] = "score"
    return wanted


def _filtered(views: list[services.RiskView], f: dict[str, str]) -> list[services.RiskView]:
    def keep(v: services.RiskView) -> bool:
        risk = v.risk
        if f["status"] == "active" and not risk.is_open:
            return False
        if f["status"] not in ("", "active") and risk.status.value != f["status"]:
            return False
        if f["department"] == "plan" and v.department_id is not None:
            return False
        if f["department"].isdigit() and str(v.department_id) != f["department"]:
            return False
        if f["likelihood"] and v.effective_likelihood != int(f["likelihood"]):
            return False
        return not (f["impact"] and v.impact != int(f["impact"]))

    shown = [v for v in views if keep(v)]
    if f["sort"] == "title":
        return sorted(shown, key=lambda v: v.title.casefold())
    if f["sort"] == "review":
        return sorted(shown, key=lambda v: (v.risk.review_date is None, v.risk.review_date or date.max, v.title.casefold()))
    return sorted(shown, key=lambda v: (not v.risk.is_open, -v.effective_score, -v.impact, v.title.casefold()))


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    today = plan_today(plan)
    risks = services.list_risks(plan)
    views = services.assess(plan, risks, today=today)
    filters = _filters()
    if wants_csv():
        return table_csv(REGISTER, _filtered(views, filters), plan.name, _("risks"))
    return render_template(
        "risks/index.html", plan=plan, views=_filtered(views, filters), total=len(views), filters=filters,
        heat=services.heat_map(views), overdue=services.overdue_reviews(risks, today=today), today=today,
        missing=services.missing_factors(plan), departments=list_departments(), statuses=list(RiskStatus),
        levels=list(services.LEVELS), level_of=services.score_level, level_labels=services.LEVEL_LABELS,
        likelihoods=services.LIKELIHOOD_MEANINGS, impacts=services.IMPACT_MEANINGS)


@spreadsheet_routes(bp, "/risks")
def export(plan_id: int):
    plan = plan_or_404(plan_id)
    today = plan_today(plan)
    views = services.assess(plan, services.list_risks(plan), today=today)
    workbook = register_workbook(plan, views, today=today, visible=lambda t: can_view_task(current_user, t))
    return download(workbook, download_name(plan.name, _("risk register")))


@bp.post("/catalogue")
@allow(can_manage_risks)
def catalogue(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    added = services.add_catalogue_risks(plan)
    flash(_("%(n)s risks added from the catalogue.", n=len(added)) if added
          else _("The plan already has every risk of the catalogue."), "success" if added else "info")
    return redirect(url_for("risks.index", plan_id=plan.id))


def _risk_form(risk: Risk | None) -> RiskForm:
    form = RiskForm(obj=risk if request.method == "GET" else None)
    if can_manage_risks(current_user):
        departments = [("", _("— the whole plan —"))] + [(d.id, d.name) for d in list_departments()]
    else:  # a department head keeps the risk in their department
        departments = [(d.id, d.name) for d in list_departments() if d.id == current_user.department_id]
    form.department_id.choices = options(departments)
    people = list_active_users()
    if risk is not None and risk.owner is not None and risk.owner not in people:
        people.append(risk.owner)
    form.owner_id.choices = options([("", _("— nobody yet —"))] + [(u.id, u.name) for u in people])
    return form


def _values(form: RiskForm) -> services.RiskValues:
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    require(can_edit_risk(current_user, department.id if department else None))
    return services.RiskValues(
        title=form.title.data or "", likelihood=form.likelihood.data, impact=form.impact.data, department=department,
        description=form.description.data or "", mitigations=form.mitigations.data or "",
        owner=db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
        status=RiskStatus(form.status.data), review_date=form.review_date.data, closed_note=form.closed_note.data or "")


def _to_risk(plan: Plan, risk: Risk, message: str):
    flash(message, "success")
    return redirect(url_for("risks.show", plan_id=plan.id, risk_id=risk.id))


@bp.route("/new", methods=["GET", "POST"])
@allow(can_manage_risks)
def new(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    form = _risk_form(None)
    if request.method == "GET":
        form.department_id.data = request.args.get("department", type=int)
    if form.validate_on_submit():
        with saving(form) as outcome:
            risk = services.create_risk(plan, _values(form))
        if outcome.saved:
            return _to_risk(plan, risk, _("Risk added."))
    return render_template("risks/form.html", plan=plan, risk=None, form=form), form.http_status


@bp.route("/<int:risk_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, risk_id: int):
    plan = plan_or_404(plan_id, waves=False)
    risk = _risk(plan, risk_id)
    require(can_edit_risk(current_user, risk.department_id))
    form = _risk_form(risk)
    if form.validate_on_submit():
        with saving(form, risk) as outcome:
            services.update_risk(risk, _values(form))
        if outcome.saved:
            return _to_risk(plan, risk, _("Risk saved."))
    return render_template("risks/form.html", plan=plan, risk=risk, form=form), form.http_status


def _show(plan: Plan, risk: Risk, *, close: CloseForm | None = None, review: ReviewForm | None = None,
          link: LinkTaskForm | None = None, status: int = 200):
    today = plan_today(plan)
    view = services.assess(plan, [risk], today=today)[0]
    if close is None:
        close = CloseForm(formdata=None)
    if review is None:
        review = ReviewForm(formdata=None, status=risk.status.value if risk.is_open else RiskStatus.OPEN.value,
                            next_review=today + timedelta(days=services.FIRST_REVIEW_DAYS))
    if link is None:
        link = LinkTaskForm(formdata=None)
    link.task_id.choices = options([("", _("— choose —"))] + [
        (t.id, t.title) for t in services.task_choices(plan, risk, visible=lambda t: can_view_task(current_user, t))])
    tasks = [t for t in risk.tasks if can_view_task(current_user, t)]
    return render_template(
        "risks/show.html", plan=plan, risk=risk, view=view, today=today, close=close, review=review, link=link,
        tasks=tasks, hidden_tasks=len(risk.tasks) - len(tasks), level_labels=services.LEVEL_LABELS,
        likelihoods=services.LIKELIHOOD_MEANINGS, impacts=services.IMPACT_MEANINGS), status


@bp.get("/<int:risk_id>")
def show(plan_id: int, risk_id: int):
    plan = plan_or_404(plan_id)
    return _show(plan, _risk(plan, risk_id))


def _editable(plan_id: int, risk_id: int) -> tuple[Plan, Risk]:
    plan = plan_or_404(plan_id)
    risk = _risk(plan, risk_id)
    require(can_edit_risk(current_user, risk.department_id))
    return plan, risk


def _form_action(plan: Plan, risk: Risk, form, action, done: str, **shown):
    """A form on the risk's page: the service's action committed, or the page again with the messages at the
    form's fields and nothing saved."""
    if form.validate_on_submit():
        try:
            action()
        except ValidationFailed as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            return _to_risk(plan, risk, done)
    db.session.rollback()
    return _show(plan, db.session.get_one(Risk, risk.id), status=400, **shown)


@bp.post("/<int:risk_id>/close")
def close(plan_id: int, risk_id: int):
    plan, risk = _editable(plan_id, risk_id)
    form = CloseForm()
    return _form_action(plan, risk, form, lambda: services.close_risk(risk, note=form.note.data or ""),
                        _("Risk closed."), close=form)


@bp.post("/<int:risk_id>/review")
def review(plan_id: int, risk_id: int):
    plan, risk = _editable(plan_id, risk_id)
    form = ReviewForm()
    return _form_action(plan, risk, form, lambda: services.mark_reviewed(
        risk, next_review=form.next_review.data, status=RiskStatus(form.status.data), today=plan_today(plan)),
        _("Review recorded."), review=form)


@bp.post("/<int:risk_id>/reopen")
def reopen(plan_id: int, risk_id: int):
    plan, risk = _editable(plan_id, risk_id)
    try:
        services.reopen_risk(risk, today=plan_today(plan))
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("risks.show", plan_id=plan.id, risk_id=risk.id))
    return _to_risk(plan, risk, _("Risk reopened."))


@bp.post("/<int:risk_id>/tasks")
def link_task(plan_id: int, risk_id: int):
    plan, risk = _editable(plan_id, risk_id)
    form = LinkTaskForm()
    form.task_id.choices = options([("", "")] + [
        (t.id, t.title) for t in services.task_choices(plan, risk, visible=lambda t: can_view_task(current_user, t))])
    return _form_action(plan, risk, form, lambda: services.link_task(risk, db.session.get_one(ChangeTask, form.task_id.data)),
                        _("Task linked."), link=form)


@bp.post("/<int:risk_id>/tasks/<int:task_id>/unlink")
def unlink_task(plan_id: int, risk_id: int, task_id: int):
    plan, risk = _editable(plan_id, risk_id)
    task = db.session.get(ChangeTask, task_id)
    if task is None or task not in risk.tasks:
        abort(404)
    services.unlink_task(risk, task)
    return _to_risk(plan, risk, _("Task unlinked."))


@bp.post("/<int:risk_id>/delete")
@allow(can_delete_risk)
def delete(plan_id: int, risk_id: int):
    plan = plan_or_404(plan_id, waves=False)
    services.delete_risk(_risk(plan, risk_id))
    flash(_("Risk deleted."), "success")
    return redirect(url_for("risks.index", plan_id=plan.id))
