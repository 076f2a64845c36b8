"""The maturity pages of a plan: the radar and trend of a scope with the targets and re-assessments due, an
assessment, its ratings grid, the targets."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import allow, can_assess_maturity, can_set_maturity_targets, require
from crmproject.db import touch
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed, saving
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.maturity import bp, services
from crmproject.maturity.blocks import BLOCK_INFO, BLOCKS, LEVELS, Block, level_label
from crmproject.maturity.charts import radar_figure, trend_figure
from crmproject.maturity.excel import maturity_workbook
from crmproject.maturity.forms import AssessmentForm, RatingsForm, TargetsForm, level_choices
from crmproject.maturity.models import MaturityAssessment
from crmproject.maturity.tables import ASSESSMENTS, ratings_table
from crmproject.plans.models import Plan
from crmproject.plans.lookup import child_or_404, plan_or_404
from crmproject.plans.services import plan_today


def _assessment(plan: Plan, assessment_id: int) -> MaturityAssessment:
    return child_or_404(MaturityAssessment, plan, assessment_id)


def _scope(plan: Plan) -> int | None:
    """The scope the page shows: ?scope=<department id> of the plan, else the organisation."""
    wanted = request.args.get("scope", type=int)
    return wanted if wanted in {d.id for d in services.plan_departments(plan)} else None


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    scope = _scope(plan)
    assessments = services.plan_assessments(plan)
    if wants_csv():
        return table_csv(ASSESSMENTS, assessments, plan.name, _("maturity assessments"))
    targets = services.targets(plan)
    radar = services.radar(assessments, scope, targets)
    day = lambda a: a.assessed_on.isoformat() if a else ""  # noqa: E731
    figure = radar_figure(radar.latest_levels, radar.previous_levels, targets,
                          latest_name=_("Latest (%(day)s)", day=day(radar.latest)),
                          previous_name=_("Previous (%(day)s)", day=day(radar.previous)))
    series = services.trend(assessments, scope)
    departments = services.plan_departments(plan)
    return render_template(
        "maturity/index.html", plan=plan, scope=scope, departments=departments, assessments=assessments,
        radar=radar, figure=figure, trend=trend_figure(series) if any(len(v) > 1 for v in series.values()) else None,
        targets=targets, blocks=BLOCKS, due=services.reassessments_due(plan, assessments, today=plan_today(plan)),
        scope_name=next((d.name for d in departments if d.id == scope), _("Whole organisation")),
        level_label=level_label, scope_label=services.scope_label, window_days=services.REASSESS_WINDOW.days,
        can_assess=any(can_assess_maturity(current_user, d) for d in [None, *[d.id for d in departments]]))


@spreadsheet_routes(bp, "/maturity")
def export(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    workbook = maturity_workbook(services.plan_assessments(plan), services.targets(plan))
    return download(workbook, download_name(plan.name, _("maturity")))


def _assessment_form(plan: Plan, assessment: MaturityAssessment | None) -> AssessmentForm:
    form = AssessmentForm(obj=assessment if request.method == "GET" else None)
    allowed = [d for d in services.plan_departments(plan) if can_assess_maturity(current_user, d.id)]
    if assessment is not None and assessment.department is not None and assessment.department not in allowed:
        allowed.append(assessment.department)
    choices = [("", _("Whole organisation"))] if can_assess_maturity(current_user, None) else []
    form.department_id.choices = options(choices + [(d.id, d.name) for d in allowed])
    if request.method == "GET" and assessment is not None:
        form.assessors.data = "\n".join(a.name for a in assessment.assessors)
    return form


def _values(plan: Plan, form: AssessmentForm) -> services.AssessmentValues:
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    require(can_assess_maturity(current_user, department.id if department else None))
    return services.AssessmentValues(
        department=department, assessed_on=form.assessed_on.data, assessors=services.assessor_names(form.assessors.data or ""),
        title=form.title.data or "", notes=form.notes.data or "")


@bp.route("/assessments/new", methods=["GET", "POST"])
def new(plan_id: int):
    plan = plan_or_404(plan_id)
    form = _assessment_form(plan, None)
    require(bool(form.department_id.choices))
    if request.method == "GET":
        form.assessed_on.data = plan_today(plan)
        form.department_id.data = request.args.get("department", type=int)
        form.assessors.data = current_user.name
    if form.validate_on_submit():
        with saving(form) as outcome:
            assessment = services.create_assessment(plan, _values(plan, form), today=plan_today(plan),
                                                    created_by=current_user)
        if outcome.saved:
            flash(_("Assessment recorded: now rate the building blocks."), "success")
            return redirect(url_for("maturity.levels", plan_id=plan.id, assessment_id=assessment.id))
    return render_template("maturity/form.html", plan=plan, assessment=None, form=form), form.http_status


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, assessment_id: int):
    plan = plan_or_404(plan_id)
    assessment = _assessment(plan, assessment_id)
    require(can_assess_maturity(current_user, assessment.department_id))
    form = _assessment_form(plan, assessment)
    if form.validate_on_submit():
        saved = {"assessors": "\n".join(a.name for a in assessment.assessors)}
        with saving(form, assessment, saved=saved) as outcome:
            services.update_assessment(assessment, plan, _values(plan, form), today=plan_today(plan))
            touch(assessment)
        if outcome.saved:
            flash(_("Assessment saved."), "success")
            return redirect(url_for("maturity.show", plan_id=plan.id, assessment_id=assessment.id))
    return render_template("maturity/form.html", plan=plan, assessment=assessment, form=form), form.http_status


@table_page(bp, "/assessments/<int:assessment_id>")
def show(plan_id: int, assessment_id: int):
    plan = plan_or_404(plan_id, waves=False)
    assessment = _assessment(plan, assessment_id)
    agreed, targets = {a.block: a for a in assessment.agreed}, services.targets(plan)
    ratings = {(r.assessor_id, r.block): r.level for a in assessment.assessors for r in a.ratings}
    if wants_csv():
        table = ratings_table(assessment, ratings, agreed, targets, level_label)
        return table_csv(table, BLOCKS, plan.name, services.scope_label(assessment), assessment.assessed_on.isoformat())
    return render_template("maturity/show.html", plan=plan, assessment=assessment, blocks=BLOCKS,
                           agreed=agreed, targets=targets, ratings=ratings,
                           spread=services.spread(assessment), level_label=level_label,
                           scope=services.scope_label(assessment))


@bp.route("/assessments/<int:assessment_id>/levels", methods=["GET", "POST"])
def levels(plan_id: int, assessment_id: int):
    """The ratings grid: each assessor's level per block, then the agreed level and its note."""
    plan = plan_or_404(plan_id, waves=False)
    assessment = _assessment(plan, assessment_id)
    require(can_assess_maturity(current_user, assessment.department_id))
    form = RatingsForm(obj=assessment if request.method == "GET" else None)
    values = services.grid_values(assessment)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in request.form if name.startswith(("rating-", "agreed-", "note-"))}
        if not form.validate_on_submit():
            status = 400
        elif form.opened_version != assessment.version:
            errors[""] = [_("Someone saved this assessment while you had it open: what you typed is shown again, "
                            "check it against theirs and save again.")]
            form.version.data = str(assessment.version)
            status = 409
        else:
            try:
                services.save_ratings(assessment, services.read_grid(request.form, assessment))
                touch(assessment)
            except ValidationFailed as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            else:
                flash(_("Levels saved."), "success")
                return redirect(url_for("maturity.show", plan_id=plan.id, assessment_id=assessment.id))
    return render_template("maturity/levels.html", plan=plan, assessment=assessment, form=form, values=values,
                           errors=errors, blocks=BLOCKS, levels=LEVELS, targets=services.targets(plan),
                           rating_name=services.rating_name, agreed_name=services.agreed_name,
                           note_name=services.note_name, level_label=level_label,
                           scope=services.scope_label(assessment)), status


@bp.post("/assessments/<int:assessment_id>/delete")
def delete(plan_id: int, assessment_id: int):
    plan = plan_or_404(plan_id, waves=False)
    assessment = _assessment(plan, assessment_id)
    require(can_assess_maturity(current_user, assessment.department_id))
    services.delete_assessment(assessment)
    flash(_("Assessment deleted."), "success")
    return redirect(url_for("maturity.index", plan_id=plan.id))


@bp.route("/targets", methods=["GET", "POST"])
@allow(can_set_maturity_targets)
def targets(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    form = TargetsForm()
    for info in BLOCKS:
        getattr(form, f"target_{info.block.value}").choices = level_choices(_("— no target —"))
    version = services.targets_version(plan)
    status = 200
    if request.method == "GET":
        current = services.targets(plan)
        for info in BLOCKS:
            level = current.get(info.block)
            getattr(form, f"target_{info.block.value}").data = "" if level is None else str(level)
        form.version.data = version
    elif form.validate_on_submit():
        if form.version.data != version:
            form.form_errors.append(_("Someone changed the targets while you had them open: check them and save again."))
            form.version.data = version
            status = 409
        else:
            levels: dict[Block, int | None] = {}
            for info in BLOCKS:
                text = getattr(form, f"target_{info.block.value}").data
                levels[info.block] = int(text) if text else None
            services.set_targets(plan, levels)
            flash(_("Maturity targets saved."), "success")
            return redirect(url_for("maturity.index", plan_id=plan.id))
    else:
        status = 400
    return render_template("maturity/targets.html", plan=plan, form=form, blocks=BLOCKS,
                           info=BLOCK_INFO), status
