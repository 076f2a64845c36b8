"""Uploading a CRM usage export: the upload form, and a page whose progress bar follows the import."""

from __future__ import annotations

import json

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crmproject.adoption import bp, jobs
from crmproject.adoption.forms import UsageUploadForm
from crmproject.adoption.models import UsageImport
from crmproject.auth.permissions import admins_only
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.spreadsheets.encoding import encoding_options, offered_encoding

COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "Europe/Moscow", "Asia/Tehran", "Asia/Shanghai", "America/New_York")


def _zones() -> list[str]:
    planned = [z for (z,) in db.session.execute(select(Plan.timezone).distinct()) if z]
    return list(dict.fromkeys([*planned, *COMMON_ZONES]))


@bp.route("/adoption/imports", methods=["GET", "POST"])
@admins_only
def imports():
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
    history = db.session.scalars(select(UsageImport).order_by(UsageImport.id.desc()).limit(20)).all()
    return render_template("adoption/imports.html", form=form, history=history, encodings=encoding_options(),
                           encoding=encoding)


@bp.get("/adoption/imports/<int:import_id>")
@admins_only
def import_progress(import_id: int):
    record = db.get_or_404(UsageImport, import_id)
    unknown = json.loads(record.unknown_usernames or "{}")
    return render_template("adoption/import.html", record=record, unknown=sorted(unknown.items(), key=lambda kv: -kv[1]))


@bp.get("/adoption/imports/<int:import_id>/status")
@admins_only
def import_status(import_id: int):
    status = jobs.job_status(import_id)
    if status is None:
        abort(404)
    return status


