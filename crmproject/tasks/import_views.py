"""The task import wizard: upload, confirm the mapping and owners, preview, import."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.permissions import allow, can_import_tasks
from crmproject.auth.services import list_active_users
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.plans.lookup import plan_or_404
from crmproject.spreadsheets import detect_encoding
from crmproject.spreadsheets.encoding import describe, encoding_options, offered_encoding
from crmproject.tasks import bp, importer, services
from crmproject.tasks.forms import ImportOptionsForm, ImportUploadForm
from crmproject.tasks.import_phases import PHASE_DATES
from crmproject.tasks.models import TaskStatus
from crmproject import uploads

PURPOSE = "tasks"
PREVIEW_ROWS = 300



@bp.route("/tasks/import", methods=["GET", "POST"])
@allow(can_import_tasks)
def import_upload(plan_id: int):
    plan = plan_or_404(plan_id)
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        filename = upload.filename or "upload"
        try:
            importer.load_workbook(data, filename, check=True)
        except importer.ImportRefused as exc:
            form.file.errors.append(str(exc))
        else:
            token = uploads.store(data, filename=filename, user_id=current_user.id, purpose=PURPOSE)
            return redirect(url_for("tasks.import_preview", plan_id=plan.id, token=token))
    return render_template("tasks/import_upload.html", plan=plan, form=form)


def _options(form: ImportOptionsForm) -> importer.ImportOptions:
    """The choices of the preview form: fixed options plus the per-column mapping and per-owner choices."""
    columns = None
    if "mapping" in request.form:
        columns = {}
        for key, value in request.form.items():
            if key.startswith("map-") and key[4:].isdigit() and value:
                columns[int(key[4:])] = value
    owner_choices: dict[str, int | None] = {}
    status_choices: dict[str, str] = {}
    statuses = {s.value for s in TaskStatus}
    for key, value in request.form.items():
        if key.startswith("owner-key-"):
            choice = request.form.get("owner-" + key[len("owner-key-"):], "")
            owner_choices[value] = int(choice) if choice.isascii() and choice.isdigit() and len(choice) < 19 else None
        elif key.startswith("status-key-"):
            choice = request.form.get("status-" + key[len("status-key-"):], "")
            status_choices[value] = choice if choice in statuses else ""
    return importer.ImportOptions(
        sheet=form.sheet.data or None, columns=columns, create_phases=bool(form.create_phases.data),
        phase_dates=form.phase_dates.data if form.phase_dates.data in PHASE_DATES else "auto", status_choices=status_choices,
        default_category_id=form.category_id.data,
        day_first={"auto": None, "day-first": True, "month-first": False}.get(form.date_order.data),
        owner_choices=owner_choices,
    )


@bp.route("/tasks/import/<token>", methods=["GET", "POST"])
@allow(can_import_tasks)
def import_preview(plan_id: int, token: str):
    plan = plan_or_404(plan_id)
    upload = uploads.load(token, user_id=current_user.id, purpose=PURPOSE)
    if upload is None:
        flash(_("That upload has expired or is not yours; upload the file again."), "error")
        return redirect(url_for("tasks.import_upload", plan_id=plan.id))
    encoding = offered_encoding(request.form.get("encoding"))
    try:
        workbook = importer.load_workbook(upload.data, upload.filename, encoding=encoding)
    except importer.ImportRefused as exc:
        if encoding is None:
            # Kept before the limits were what they are now, or changed since: never a 500, and never kept.
            uploads.discard(token)
            flash(str(exc), "error")
            return redirect(url_for("tasks.import_upload", plan_id=plan.id))
        workbook, refused = None, str(exc)  # not text in the encoding chosen: keep it, so another can be
    categories = services.ensure_categories()
    form = ImportOptionsForm(formdata=request.form if request.method == "POST" else None)
    sheets = workbook.visible_sheets if workbook is not None else ()
    form.sheet.choices = options([("", _("the one with the most task rows"))] + [(s.name, s.name) for s in sheets])
    form.category_id.choices = options((c.id, c.label) for c in categories)
    if request.method == "GET":
        form.category_id.data = next((c.id for c in categories if c.key == "process_redesign"), categories[0].id)
        form.date_order.data = "auto"
        form.phase_dates.data = "auto"
    if request.method == "POST" and not form.validate():
        abort(400)
    options_ = _options(form) if request.method == "POST" else importer.ImportOptions(default_category_id=form.category_id.data)
    text_encoding = _text_encoding(upload.data, workbook, encoding)
    try:
        if workbook is None:
            raise importer.ImportRefused(refused)
        preview = importer.analyse(workbook, plan, options_)
    except importer.ImportRefused as exc:
        return render_template("tasks/import_preview.html", plan=plan, form=form, token=token, upload=upload,
                               refused=str(exc), preview=None, users=[], fields=importer.TASK_FIELDS,
                               text_encoding=text_encoding)
    if request.method == "POST" and request.form.get("action") == "import":
        if preview.issues and not form.skip_invalid.data:
            flash(_("Nothing was imported: fix the rows listed below in the file, or tick the box to skip them."), "error")
        elif not preview.importable:
            flash(_("There is no valid task to import."), "error")
        else:
            category = db.session.get_one(services.TaskCategory, form.category_id.data)
            created = importer.save(preview, plan, actor=current_user, default_category=category)
            uploads.discard(token)
            flash(_("%(n)s tasks imported from %(file)s.", n=len(created), file=upload.filename), "success")
            return redirect(url_for("tasks.index", plan_id=plan.id, sort="outline"))
    return render_template(
        "tasks/import_preview.html", plan=plan, form=form, token=token, upload=upload, refused=None, preview=preview,
        users=list_active_users(), fields=importer.TASK_FIELDS, preview_rows=PREVIEW_ROWS, text_encoding=text_encoding,
        statuses=list(TaskStatus),
    )


def _text_encoding(data: bytes, workbook, chosen: str | None) -> dict | None:
    """For a CSV file: the encoding detected, the one chosen and those offered; None for a workbook."""
    if workbook is not None and workbook.format != "csv":
        return None
    return {"detected": describe(detect_encoding(data)), "chosen": chosen, "options": encoding_options()}
