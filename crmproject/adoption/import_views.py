"""Uploading a CRM usage export: the upload form, and a page whose progress bar follows the import."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crmproject.adoption import bp, jobs
from crmproject.adoption.forms import ExcludedAccountsForm, UsageUploadForm
from crmproject.adoption.models import UsageImport
from crmproject.adoption.tables import IMPORTS
from crmproject.adoption.usage_accounts import exclusion_settings, save_exclusions
from crmproject.auth.permissions import admins_only
from crmproject.errors import saving
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.spreadsheets.encoding import encoding_options, offered_encoding

COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Tehran", "Asia/Shanghai", "America/New_York")


def _zones() -> list[str]:
    planned = [z for (z,) in db.session.execute(select(Plan.timezone).distinct()) if z]
    return list(dict.fromkeys([*planned, *COMMON_ZONES]))


def _recent_imports() -> list[UsageImport]:
    return list(db.session.scalars(select(UsageImport).order_by(UsageImport.id.desc()).limit(20)))


@table_page(bp, "/adoption/imports", methods=("GET", "POST"))
@admins_only
def imports():
    if wants_csv():
        return table_csv(IMPORTS, _recent_imports(), _("usage imports"))
    form = UsageUploadForm()
    form.timezone.choices = options((z, z) for z in _zones())
    encoding = offered_encoding(request.form.get("encoding"))
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        if not data:
            form.file.errors.append(_("The file is empty."))
        else:
            import_id = jobs.start_import_job(current_app._get_current_object(), data, upload.filename or "usage",
                                              timezone=form.timezone.data, user_id=current_user.id, encoding=encoding)
            return redirect(url_for("adoption.import_progress", import_id=import_id))
    return _imports_page(form)


def _imports_page(form: UsageUploadForm, excluded_form: ExcludedAccountsForm | None = None, status: int = 200):
    if excluded_form is None:
        settings = exclusion_settings()
        excluded_form = ExcludedAccountsForm(formdata=None, obj=settings)
    history = _recent_imports()
    return render_template("adoption/imports.html", form=form, history=history, encodings=encoding_options(),
                           encoding=offered_encoding(request.form.get("encoding")), excluded_form=excluded_form), status


@bp.post("/adoption/imports/excluded-accounts")
@admins_only
def excluded_accounts():
    settings = exclusion_settings()
    form = ExcludedAccountsForm(obj=settings)
    if form.validate_on_submit():
        with saving(form, settings) as outcome:
            changed = save_exclusions(settings, patterns_text=form.patterns.data or "",
                                      vendor_markers=bool(form.vendor_markers.data))
        if outcome.saved:
            flash(_("Excluded accounts saved; %(n)s events already imported were counted again.", n=changed))
            return redirect(url_for("adoption.imports"))
    db.session.rollback()  # a refused form keeps nothing, not even the defaults made to fill it
    upload = UsageUploadForm(formdata=None)
    upload.timezone.choices = options((z, z) for z in _zones())
    return _imports_page(upload, form, form.http_status)


@bp.get("/adoption/imports/<int:import_id>")
@admins_only
def import_progress(import_id: int):
    record = db.get_or_404(UsageImport, import_id)
    unknown = json.loads(record.unknown_usernames or "{}")
    excluded = json.loads(record.excluded_accounts or "{}")
    return render_template("adoption/import.html", record=record,
                           unknown=sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0])),
                           excluded=sorted(excluded.items(), key=lambda kv: (-kv[1], kv[0])))


@bp.get("/adoption/imports/<int:import_id>/status")
@admins_only
def import_status(import_id: int):
    status = jobs.job_status(import_id)
    if status is None:
        abort(404)
    return status


