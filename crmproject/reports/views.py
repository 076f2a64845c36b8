"""Status report pages: who has reported, write and submit, amend, a department's history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from crmproject.auth.models import Role
from crmproject.auth.permissions import can_comment_on_report, can_read_report, can_write_report, require
from crmproject.comments import targets as comment_targets
from crmproject.dates import date_shown
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed, saving
from crmproject.extensions import db
from crmproject.i18n import _, lazy_gettext
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Kpi
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.reports import bp, services
from crmproject.reports.excel import reports_workbook
from crmproject.reports.forms import ReportForm, kpi_field_name, report_form
from crmproject.reports.models import ReportKpiValue, ReportStatus, StatusReport
from crmproject.reports.tables import matrix_table


def _report(plan: Plan, report_id: int) -> StatusReport:
    report = db.session.get(StatusReport, report_id, options=[selectinload(StatusReport.values).selectinload(ReportKpiValue.kpi)])
    if report is None or report.plan_id != plan.id:
        abort(404)
    require(can_read_report(current_user, report))
    return report


def _department(department_id: int | None) -> Department:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        abort(404)
    return department


@table_page(bp, "/reports")
def index(plan_id: int):
    plan = plan_or_404(plan_id)
    today = services.plan_today(plan)
    matrix = services.reporting_matrix(plan, today=today)
    if wants_csv():
        return table_csv(matrix_table(matrix), matrix.departments, plan.name, _("status reports"))
    own = current_user.department_id if current_user.role == Role.DEPARTMENT_HEAD else None
    return render_template("reports/index.html", plan=plan, matrix=matrix, today=today, own_department_id=own,
                           grace_days=services.GRACE_DAYS, current=services.period_for(plan, today),
                           # translated once, not in each of the matrix's cells
                           labels={state: str(state.label) for state in (*services.Submission, *Rag)})


def _content(form: ReportForm, kpis: list[Kpi]) -> services.ReportContent:
    rag = form.overall_rag.data
    return services.ReportContent(
        overall_rag=Rag(rag) if rag in Rag._value2member_map_ else None, achievements=form.achievements.data or "",
        blockers=form.blockers.data or "", next_steps=form.next_steps.data or "", help_needed=form.help_needed.data or "",
        values={kpi.id: form[kpi_field_name(kpi)].data for kpi in kpis},
    )


def _also_what_submitting_lacks(form: ReportForm, kpis: list[Kpi]) -> None:
    """A submission the form refused (a value that is not a number) also names everything else the report lacks
    to be submitted, so it is put right in one round, not found one refusal after another."""
    for name, message in services.submission_problems(_content(form, kpis), kpis).items():
        field = form._fields.get(name)
        if field is not None and not field.errors:
            field.errors = [*field.errors, message]
    form._errors = None  # WTForms keeps the form's errors once read: read them again with these


def _saved_values(report: StatusReport | None, kpis: list[Kpi]) -> dict[str, Decimal | None]:
    """The report's KPI values as saved, by field name (they are not attributes of the report)."""
    saved = {v.kpi_id: v.value for v in report.values} if report is not None else {}
    return {kpi_field_name(kpi): saved.get(kpi.id) for kpi in kpis}


def _editor(plan: Plan, department: Department, period: services.Period, report: StatusReport | None):
    """Show and handle the report form: save a draft or submit, creating the report on first save."""
    require(can_write_report(current_user, department.id))
    kpis = services.kpis_due(plan, department, period)
    saved = _saved_values(report, kpis)
    form = report_form(kpis, obj=report if request.method == "GET" else None, data=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        submitting = request.form.get("action") == "submit"
        with saving(form, report, saved=saved) as outcome:
            content = _content(form, kpis)
            draft = report or services.start_report(plan, department, period, author=current_user)
            if submitting:
                services.submit(draft, content, author=current_user, due_kpis=kpis)
            else:
                services.save_draft(draft, content, author=current_user)
        if outcome.saved:
            flash(_("Report submitted.") if submitting else _("Draft saved."), "success")
            return redirect(url_for("reports.show", plan_id=plan.id, report_id=draft.id))
    elif form.is_submitted() and form.errors and request.form.get("action") == "submit":
        _also_what_submitting_lacks(form, kpis)
    return render_template("reports/form.html", plan=plan, department=department, period=period, report=report, form=form,
                           kpis=kpis, kpi_field_name=kpi_field_name), form.http_status


@spreadsheet_routes(bp, "/reports/period")
def export(plan_id: int):
    """The reports of one period (the latest revision each, drafts only where the user may read them)."""
    plan = plan_or_404(plan_id)
    day = request.args.get("period", type=date.fromisoformat) or date.today()
    period = services.period_for(plan, day)
    reports = services.period_reports(plan, period, include_drafts_of=lambda r: can_read_report(current_user, r))
    kpis = sorted({v.kpi for r in reports for v in r.values}, key=lambda k: k.name)
    return download(reports_workbook(reports, kpis), download_name(plan.name, _("status reports"), period.start.isoformat()))


@bp.route("/reports/write", methods=["GET", "POST"])
def write(plan_id: int):
    """This period's report of a department (a head's own by default); an existing one is opened instead."""
    plan = plan_or_404(plan_id)
    department_id = request.args.get("department", type=int) or current_user.department_id
    department = _department(department_id)
    require(can_write_report(current_user, department.id))
    if department.id not in {d.id for d in services.reporting_departments(plan)}:
        flash(_("%(name)s is not in any wave of this plan, so it does not report on it.", name=department.name), "error")
        return redirect(url_for("reports.index", plan_id=plan.id))
    day = request.args.get("period", type=date.fromisoformat) if request.args.get("period") else date.today()
    today = services.plan_today(plan)
    period = services.period_for(plan, min(day or today, today))  # no report for a period that has not begun
    existing = services.reports_of(plan, department, period)
    if existing and request.method == "GET":
        return redirect(url_for("reports.show", plan_id=plan.id, report_id=existing[0].id))
    # a draft someone began after this form was opened: the save is checked against it, not lost beside it
    draft = next((r for r in existing if r.status == ReportStatus.DRAFT), None)
    return _editor(plan, department, period, draft)


@bp.route("/reports/<int:report_id>", methods=["GET", "POST"])
def show(plan_id: int, report_id: int):
    plan = plan_or_404(plan_id)
    report = _report(plan, report_id)
    if report.status == ReportStatus.DRAFT and can_write_report(current_user, report.department_id):
        return _editor(plan, report.department, services.Period(report.period_start, report.period_end), report)
    if request.method == "POST":
        abort(403 if report.status == ReportStatus.DRAFT else 409)
    revisions = [r for r in services.reports_of_report(report) if can_read_report(current_user, r)]
    return render_template("reports/show.html", plan=plan, report=report, revisions=revisions,
                           may_amend=report.status == ReportStatus.SUBMITTED and can_write_report(current_user, report.department_id))


@bp.post("/reports/<int:report_id>/amend")
def amend(plan_id: int, report_id: int):
    plan = plan_or_404(plan_id)
    report = _report(plan, report_id)
    require(can_write_report(current_user, report.department_id))
    try:
        draft = services.amend(report, author=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(" ".join(m for msgs in exc.errors.values() for m in msgs), "error")
        return redirect(url_for("reports.show", plan_id=plan.id, report_id=report.id))
    flash(_("Amendment opened as revision %(n)s; the submitted report stays until you submit it.", n=draft.revision), "success")
    return redirect(url_for("reports.show", plan_id=plan.id, report_id=draft.id))


@bp.get("/reports/department/<int:department_id>")
def department_history(plan_id: int, department_id: int):
    plan = plan_or_404(plan_id)
    department = _department(department_id)
    reports = [r for r in services.history(plan, department) if can_read_report(current_user, r)]
    return render_template("reports/history.html", plan=plan, department=department, reports=reports)


def _report_label(report: StatusReport) -> str:
    return _("%(department)s: %(start)s to %(end)s", department=report.department.name,
             start=date_shown(report.period_start), end=date_shown(report.period_end))


# a status report takes comments (crmproject/comments): its page shows them, the draft's editor too
comment_targets.register(comment_targets.Target(
    type="status_reports", kind=lazy_gettext("Status report"), load=lambda report_id: db.session.get(StatusReport, report_id),
    plan_id=lambda report: report.plan_id, label=_report_label,
    url=lambda report: url_for("reports.show", plan_id=report.plan_id, report_id=report.id),
    can_see=can_read_report, can_comment=can_comment_on_report))
