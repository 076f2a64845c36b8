"""The administrator's audit trail page (filters, pages, export), and the hooks that record requests' events."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import Flask, Response, render_template, request
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.http import parse_options_header

from crmproject.audit import bp, services
from crmproject.audit.actor import remember_request_actor
from crmproject.audit.excel import audit_workbook
from crmproject.audit.models import AuditAction
from crmproject.auth.permissions import allow, can_read_audit_trail, can_see_history
from crmproject.auth.services import list_users
from crmproject.dates import date_shown, moment_shown
from crmproject.exports import download, download_name, spreadsheet_routes
from crmproject.i18n import _
from crmproject.paging import page_arg

FILTER_KEYS = ("who", "type", "object", "action", "from", "to", "q")


def _id(value: str | None) -> int | None:
    """A database id from text, or None for anything else (letters, '²', 30 digits)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _day(name: str, problems: list[str]) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]) if len(value) == 10 else date.fromisoformat(value)
    except ValueError:
        problems.append(_("The date %(value)s was not understood: give it as YYYY-MM-DD.", value=value[:40]))
        return None


def _filter(problems: list[str]) -> services.AuditFilter:
    who = request.args.get("who", "")
    action = request.args.get("action", "")
    object_type = request.args.get("type", "")
    flt = services.AuditFilter(
        user_id=_id(who), system=who == "system",
        object_type=object_type[:64] or None, object_id=_id(request.args.get("object")),
        action=AuditAction(action) if action in AuditAction._value2member_map_ else None,
        start=_day("from", problems), end=_day("to", problems), search=request.args.get("q", "")[:200],
    )
    if flt.start and flt.end and flt.end < flt.start:
        problems.append(_("The end of the period is before its start: nothing can match."))
    return flt


def _filter_args() -> dict[str, str]:
    """The filter part of the query string, to carry into links (nothing else reaches url_for)."""
    return {k: request.args[k][:200] for k in FILTER_KEYS if request.args.get(k)}


@bp.get("/admin/audit")
@allow(can_read_audit_trail)
def index() -> str:
    problems: list[str] = []
    flt = _filter(problems)
    page = page_arg()
    entries, total = services.find_entries(flt, page=page)
    return render_template(
        "audit/index.html", entries=services.show(entries, current_user), total=total, page=page,
        per_page=services.PER_PAGE,
        flt=flt, args=_filter_args(), problems=problems, users=list_users(), types=services.audited_types(),
        actions=list(AuditAction), retention_days=services.retention_days(), export_limit=services.EXPORT_LIMIT,
    )


@spreadsheet_routes(bp, "/admin/audit", endpoint="export")
@allow(can_read_audit_trail)
def export():
    """The filtered trail as xlsx or CSV, newest first (at most EXPORT_LIMIT entries)."""
    flt = _filter([])
    entries, _total = services.find_entries(flt, per_page=services.EXPORT_LIMIT)
    return download(audit_workbook(services.show(entries, current_user)), download_name(_("audit trail")))


# --- what every request may record ---------------------------------------------------------------------


def _history(obj):
    """An object's history for its page (the `audit/_history.html` macro): a page of entries, or None when the
    reader may not see it or the trail does not record such objects."""
    key = services.object_key(obj) if obj is not None else None
    if key is None or not can_see_history(current_user, obj):
        return None
    page = page_arg("history_page")
    entries, total = services.history(*key, page=page)
    return {"entries": services.show(entries, current_user), "total": total, "page": page,
            "per_page": services.HISTORY_PER_PAGE, "object_type": key[0], "object_id": key[1]}


def _record_refusals_and_downloads(response: Response) -> Response:
    """A 403 is a refusal; an attachment (xlsx, CSV...) is an export. Each is recorded once, here, whichever
    view answered."""
    if response.status_code == 403:
        services.record_event_at_once(AuditAction.REFUSED)
    elif response.status_code == 200 and (disposition := response.headers.get("Content-Disposition", "")):
        kind, options = parse_options_header(disposition)
        if kind == "attachment":
            services.record_event_at_once(AuditAction.EXPORT, details={"file": (options.get("filename") or "")[:300]})
    return response


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?)?")


def whole_dates(text: str) -> Markup:
    """A recorded value, escaped, each ISO date (and time) in it as the reader writes dates, kept on one line (a
    browser would break 2026-11-30 after a hyphen in a narrow column)."""
    text = "" if text is None else str(text)
    parts, last = [], 0
    for found in _ISO_DATE.finditer(text):
        parts += [escape(text[last:found.start()]), Markup('<span class="nowrap">%s</span>') % _shown(found.group(0))]
        last = found.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _shown(iso: str) -> str:
    try:
        if len(iso) == 10:
            return date_shown(date.fromisoformat(iso))
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment_shown(moment, " UTC" if moment.tzinfo is not None else "")


def init_app(app: Flask) -> None:
    app.before_request(remember_request_actor)
    app.after_request(_record_refusals_and_downloads)
    app.jinja_env.globals["audit_history"] = _history
    app.add_template_filter(whole_dates, "whole_dates")
