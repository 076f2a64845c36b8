"""Readiness pulse pages: the plan's readiness per department, a survey with its results and links, the forms,
the exports, and the public page where a person answers through their personal link."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import can_delete_pulse_survey, can_manage_pulse, require
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed, apply_to_form, flash_refusal, saving
from crmproject.exports import download, download_name, spreadsheet_routes
from crmproject.extensions import db, limiter
from crmproject.forms import options
from crmproject.i18n import _, ngettext
from crmproject.plans.models import Plan
from crmproject.plans.lookup import child_or_404, plan_or_404
from crmproject.pulse import PREFIX, bp, results, services
from crmproject.pulse.charts import trend_figure
from crmproject.pulse.excel import links_workbook, results_workbook
from crmproject.pulse.forms import AnswerForm, EnteredForm, SurveyForm
from crmproject.pulse.models import ELEMENT_QUESTIONS, PulseSurvey, SurveyKind
from crmproject.plans.services import plan_today


def _survey(plan: Plan, survey_id: int) -> PulseSurvey:
    return child_or_404(PulseSurvey, plan, survey_id)


def _managed(plan_id: int, survey_id: int) -> tuple[Plan, PulseSurvey]:
    plan = plan_or_404(plan_id)
    survey = _survey(plan, survey_id)
    require(can_manage_pulse(current_user, survey.department_id))
    return plan, survey


def _to_survey(plan: Plan, survey: PulseSurvey, message: str):
    flash(message, "success")
    return redirect(url_for("pulse.show", plan_id=plan.id, survey_id=survey.id))


@bp.get(f"{PREFIX}/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    today = plan_today(plan)
    departments = services.plan_departments(plan)
    readiness = results.latest_readiness([d.id for d in departments], today=today, plan_id=plan.id)
    surveys = services.plan_surveys(plan)
    return render_template("pulse/index.html", plan=plan, rows=[(d, readiness.get(d.id)) for d in departments],
                           surveys=surveys, results=results.survey_results(surveys),
                           elements=results.ELEMENTS, minimum=results.MIN_RESPONDENTS,
                           creatable=bool(services.department_choices(plan, current_user)))


@spreadsheet_routes(bp, f"{PREFIX}/results")
def export(plan_id: int):
    plan = plan_or_404(plan_id)
    surveys = services.plan_surveys(plan)
    departments = services.plan_departments(plan)
    readiness = results.latest_readiness([d.id for d in departments], today=plan_today(plan), plan_id=plan.id)
    workbook = results_workbook(surveys, results.survey_results(surveys), [(d, readiness.get(d.id)) for d in departments])
    return download(workbook, download_name(plan.name, _("readiness pulse")))


def _survey_form(plan: Plan, survey: PulseSurvey | None) -> SurveyForm:
    form = SurveyForm(obj=survey if request.method == "GET" else None)
    departments = services.department_choices(plan, current_user)
    if survey is not None and survey.department not in departments:
        departments.append(survey.department)
    form.department_id.choices = options([("", _("— choose —"))] + [(d.id, d.name) for d in departments])
    return form


def _values(form: SurveyForm) -> services.SurveyValues:
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    if department is not None:
        require(can_manage_pulse(current_user, department.id))
    return services.SurveyValues(department=department, kind=SurveyKind(form.kind.data), title=form.title.data or "",
                                 opens_on=form.opens_on.data, closes_on=form.closes_on.data)


@bp.route(f"{PREFIX}/surveys/new", methods=["GET", "POST"])
def new(plan_id: int):
    plan = plan_or_404(plan_id)
    form = _survey_form(plan, None)
    require(bool(form.department_id.choices[1:]))
    if request.method == "GET":
        form.department_id.data = request.args.get("department", type=int)
        if form.department_id.data is None and len(form.department_id.choices) == 2:
            form.department_id.data = form.department_id.choices[1].value
        form.opens_on.data = plan_today(plan)
    if form.validate_on_submit():
        with saving(form) as outcome:
            survey = services.create_survey(plan, _values(form), actor=current_user)
        if outcome.saved:
            return _to_survey(plan, survey, _("Survey created as a draft. Invite the department, then open it."))
    return render_template("pulse/form.html", plan=plan, survey=None, form=form), form.http_status


@bp.route(f"{PREFIX}/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    form = _survey_form(plan, survey)
    if form.validate_on_submit():
        with saving(form, survey) as outcome:
            services.update_survey(survey, plan, _values(form))
        if outcome.saved:
            return _to_survey(plan, survey, _("Survey saved."))
    return render_template("pulse/form.html", plan=plan, survey=survey, form=form), form.http_status


@bp.get(f"{PREFIX}/surveys/<int:survey_id>")
def show(plan_id: int, survey_id: int):
    plan = plan_or_404(plan_id)
    survey = _survey(plan, survey_id)
    found = results.survey_results([survey])[survey.id]
    manages = can_manage_pulse(current_user, survey.department_id)
    people = services.invitations(survey) if manages else []
    links = {i.id: _link(i) for i in people}
    trend = results.department_trend(survey.department_id, today=plan_today(plan), plan_id=plan.id)
    return render_template("pulse/show.html", plan=plan, survey=survey, r=found, manages=manages, people=people,
                           links=links, elements=results.ELEMENTS, minimum=results.MIN_RESPONDENTS,
                           questions=ELEMENT_QUESTIONS, now=utcnow(),
                           trend=trend_figure(trend) if sum(t.shown for t in trend) > 1 else None)


def _link(invitation) -> str:
    return url_for("pulse.answer", token=services.link_token(invitation), _external=True)


def _button(plan: Plan, survey: PulseSurvey, action, done):
    """A button on the survey's page: the service's action, committed, or its refusal flashed. `done` is the
    message, or makes it from what the action returned."""
    try:
        outcome = action()
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("pulse.show", plan_id=plan.id, survey_id=survey.id))
    return _to_survey(plan, survey, done(outcome) if callable(done) else done)


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/open")
def open_(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    return _button(plan, survey, lambda: services.open_survey(survey, today=plan_today(plan)),
                   _("Survey open: the personal links work until %(day)s.", day=survey.closes_on.isoformat()))


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/close")
def close(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    return _button(plan, survey, lambda: services.close_survey(survey), _("Survey closed."))


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/invite")
def invite(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    return _button(plan, survey, lambda: services.invite_department(survey, plan),
                   lambda made: ngettext("%(n)s personal link made.", "%(n)s personal links made.", made) if made
                   else _("Everyone in the department already has a link."))


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/links/<int:invitation_id>/renew")
def renew(plan_id: int, survey_id: int, invitation_id: int):
    plan, survey = _managed(plan_id, survey_id)
    invitation = next((i for i in survey.invitations if i.id == invitation_id), None)
    if invitation is None:
        abort(404)
    return _button(plan, survey, lambda: services.renew_link(invitation),
                   _("New link for %(name)s: the old one no longer works.", name=invitation.employee.name))


@spreadsheet_routes(bp, f"{PREFIX}/surveys/<int:survey_id>/links")
def links(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    workbook = links_workbook(survey, services.invitations(survey), _link)
    return download(workbook, download_name(survey.department.name, survey.title, _("links")))


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/delete")
def delete(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    require(can_delete_pulse_survey(current_user))
    services.delete_survey(survey)
    flash(_("Survey deleted with its links and answers."), "success")
    return redirect(url_for("pulse.index", plan_id=plan.id))


@bp.route(f"{PREFIX}/surveys/<int:survey_id>/entered", methods=["GET", "POST"])
def entered(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    row = survey.entered
    form = EnteredForm(obj=row if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(row.version if row is not None else 0)
        if row is None:
            form.invited.data = survey.department.headcount or None
    if form.validate_on_submit():
        with saving(form, row) as outcome:
            services.enter_results(survey, services.EnteredValues(
                respondents=form.respondents.data, invited=form.invited.data,
                means={e: getattr(form, e.value).data for e in results.ELEMENTS},
                promoters=form.promoters.data, detractors=form.detractors.data), by=current_user)
        if outcome.saved:
            return _to_survey(plan, survey, _("Department results saved."))
    return render_template("pulse/entered.html", plan=plan, survey=survey, form=form), form.http_status


@bp.post(f"{PREFIX}/surveys/<int:survey_id>/entered/delete")
def entered_delete(plan_id: int, survey_id: int):
    plan, survey = _managed(plan_id, survey_id)
    return _button(plan, survey, lambda: services.remove_entered(survey), _("Entered results removed."))


# --- the public answer page -----------------------------------------------------------------------------------


def _answer_limits() -> str:
    return current_app.config["PULSE_ANSWER_LIMITS"]


LINK_STATUS = {services.LinkState.INVALID: 404, services.LinkState.EXPIRED: 410, services.LinkState.ANSWERED: 410,
               services.LinkState.CLOSED: 410, services.LinkState.NOT_OPEN: 403}


@bp.route("/pulse/answer/<token>", methods=["GET", "POST"])
@limiter.limit(_answer_limits, deduct_when=lambda response: response.status_code in (403, 404, 410))
def answer(token: str):
    """A person's survey through their personal link: no account, one answer, until the survey closes."""
    invitation, state = services.find_invitation(token)
    if invitation is None or state != services.LinkState.USABLE:
        return render_template("pulse/link.html", state=state), LINK_STATUS[state]
    survey = invitation.survey
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.record_answer(invitation, services.Answer(
                scores={e: getattr(form, e.value).data for e in results.ELEMENTS}, nps=form.nps.data))
        except ValidationFailed as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            return redirect(url_for("pulse.thanks"))
    return render_template("pulse/answer.html", survey=survey, form=form, elements=results.ELEMENTS)


@bp.get("/pulse/thanks")
def thanks():
    """Where an answer lands (a reload does not post it again)."""
    return render_template("pulse/link.html", state=None)
