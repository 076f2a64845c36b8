"""Costs and benefits of a plan: the overview, a budget line and its months, the value of the KPIs' improvement."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import allow, can_manage_budget, require
from crmproject.business_case import bp, services
from crmproject.business_case.charts import cost_benefit_figure
from crmproject.business_case.excel import business_case_workbook
from crmproject.business_case.forms import BudgetLineForm, CurrencyForm, GridForm
from crmproject.business_case.models import BudgetLine, CostCategory
from crmproject.db import touch
from crmproject.errors import ValidationFailed, saving
from crmproject.exports import download, download_name, spreadsheet_routes
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.kpis.services import list_kpis
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today


def _line(plan: Plan, line_id: int) -> BudgetLine:
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.plan_id != plan.id:
        abort(404)
    return line


def _currency_form(plan: Plan, formdata=...) -> CurrencyForm:
    form = CurrencyForm() if formdata is ... else CurrencyForm(formdata=formdata)
    form.currency.choices = options((code, code) for code in services.CURRENCIES)
    if formdata is None:
        form.currency.data = plan.currency
    return form


def _index(plan: Plan, currency_form: CurrencyForm, status: int = 200):
    case = services.business_case(plan, today=plan_today(plan))
    return render_template("business_case/index.html", plan=plan, case=case, currency_form=currency_form,
                           figure=cost_benefit_figure(case), current=services.month_start(case.today)), status


@bp.get("/")
def index(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    return _index(plan, _currency_form(plan, formdata=None))


@bp.post("/currency")
@allow(can_manage_budget)
def currency(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    form = _currency_form(plan)
    if form.validate_on_submit():
        services.set_currency(plan, form.currency.data)
        flash(_("Costs and benefits are in %(currency)s.", currency=plan.currency), "success")
        return redirect(url_for("business_case.index", plan_id=plan.id))
    return _index(plan, form, 400)


@spreadsheet_routes(bp, "/costs")
def export(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    case = services.business_case(plan, today=plan_today(plan))
    return download(business_case_workbook(plan.name, case), download_name(plan.name, _("costs and benefits")))


@bp.route("/lines/new", methods=["GET", "POST"])
@bp.route("/lines/<int:line_id>/edit", methods=["GET", "POST"])
@allow(can_manage_budget)
def line_form(plan_id: int, line_id: int | None = None):
    plan = plan_or_404(plan_id, waves=False)
    line = _line(plan, line_id) if line_id is not None else None
    form = BudgetLineForm(obj=line if request.method == "GET" else None)
    if form.validate_on_submit():
        with saving(form, line) as outcome:
            line = services.save_line(plan, line, name=form.name.data or "", category=CostCategory(form.category.data),
                                      notes=form.notes.data or "")
        if outcome.saved and line is not None:
            flash(_("Budget line %(name)s saved.", name=line.name), "success")
            return redirect(url_for("business_case.months", plan_id=plan.id, line_id=line.id))
    return render_template("business_case/line_form.html", plan=plan, line=line, form=form), form.http_status


@bp.post("/lines/<int:line_id>/delete")
@allow(can_manage_budget)
def line_delete(plan_id: int, line_id: int):
    plan = plan_or_404(plan_id, waves=False)
    line = _line(plan, line_id)
    name = line.name
    services.delete_line(line)
    flash(_("Budget line %(name)s deleted with its months.", name=name), "success")
    return redirect(url_for("business_case.index", plan_id=plan.id))


@bp.route("/lines/<int:line_id>", methods=["GET", "POST"])
def months(plan_id: int, line_id: int):
    """A budget line's planned and actual cost per month: everyone reads it, planners change it."""
    plan = plan_or_404(plan_id, waves=False)
    line = _line(plan, line_id)
    all_months = services.plan_months(plan)
    form = GridForm(obj=line if request.method == "GET" else None)
    values = {f"{part}-{services.month_key(m.month)}": getattr(m, part) for m in line.months
              for part in ("planned", "actual")}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        require(can_manage_budget(current_user))
        if form.validate_on_submit():
            amounts, read_errors = services.read_month_grid(request.form, all_months)
            values = {name: request.form.get(name, "") for name in request.form if name.startswith(("planned-", "actual-"))}
            if form.opened_version != line.version:
                errors[""] = [_("Someone saved this line's months while you had them open: what you typed is shown "
                                "again, check it against theirs and save again.")]
                form.version.data = str(line.version)
                status = 409
            elif read_errors:
                errors = {name: [message] for name, message in read_errors.items()}
                status = 400
            else:
                try:
                    services.save_months(line, plan, amounts, today=plan_today(plan))
                    touch(line)
                except ValidationFailed as exc:
                    db.session.rollback()
                    errors, status = exc.errors, 400
                else:
                    flash(_("Months of %(name)s saved.", name=line.name), "success")
                    return redirect(url_for("business_case.months", plan_id=plan.id, line_id=line.id))
        else:
            status = 400
    return render_template("business_case/months.html", plan=plan, line=line, form=form, months=all_months,
                           values=values, errors=errors, current=services.month_start(plan_today(plan)),
                           month_key=services.month_key), status


@bp.route("/benefits", methods=["GET", "POST"])
@allow(can_manage_budget)
def benefits(plan_id: int):
    """What one unit of each KPI's improvement is worth per month."""
    plan = plan_or_404(plan_id, waves=False)
    kpis = list_kpis(plan)
    kept = services.benefits_by_kpi(plan)
    form = GridForm()
    values: dict[str, object] = {f"value-{k.id}": kept[k.id].value_per_unit if k.id in kept else None for k in kpis}
    notes = {f"note-{k.id}": kept[k.id].note if k.id in kept else "" for k in kpis}
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        chosen: dict[int, tuple[Decimal | None, str]] = {}
        for kpi in kpis:
            amount, error = services.read_amount(request.form.get(f"value-{kpi.id}"), f"value-{kpi.id}")
            if error:
                errors[f"value-{kpi.id}"] = [error]
            note = request.form.get(f"note-{kpi.id}") or ""
            if len(note) > 2000:
                errors[f"note-{kpi.id}"] = [_("Keep the note under 2,000 characters.")]
            elif any(ord(c) < 32 and c not in "\t\r\n" for c in note):
                errors[f"note-{kpi.id}"] = [_("The note holds characters that are not text.")]
            chosen[kpi.id] = (amount, note)
        values = {f"value-{k.id}": request.form.get(f"value-{k.id}", "") for k in kpis}
        notes = {f"note-{k.id}": request.form.get(f"note-{k.id}", "") for k in kpis}
        if not errors:
            services.set_benefits(plan, chosen)
            flash(_("The value of the KPIs' improvement is saved."), "success")
            return redirect(url_for("business_case.index", plan_id=plan.id))
    status = 400 if errors or (request.method == "POST" and form.errors) else 200
    return render_template("business_case/benefits.html", plan=plan, kpis=kpis, form=form, values=values, notes=notes,
                           errors=errors), status
