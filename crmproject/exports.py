"""Sending a written workbook to the browser."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, request
from openpyxl import Workbook

from crmproject.i18n import current_locale
from crmproject.spreadsheets import workbook_bytes
from crmproject.spreadsheets.csv_copy import csv_download

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(*parts: str, suffix: str = "xlsx", today: date | None = None) -> str:
    """A portable file name: words (letters and digits of any script: a Russian plan keeps its Russian name)
    joined by dashes, dated."""
    words = "-".join(p for p in (_WORD_GAPS.sub("-", unicodedata.normalize("NFC", part)).strip("-").lower()
                                 for part in parts) if p)
    return f"{words or 'export'}-{(today or date.today()).isoformat()}.{suffix}"


_WORD_GAPS = re.compile(r"[\W_]+")


def content_disposition(filename: str) -> str:
    """An attachment's header: the name in UTF-8 (RFC 6266's filename*, which every browser reads), and an ASCII
    one for the rest."""
    fallback = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9.-]+", "-", filename)).strip("-") or "export"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def spreadsheet_routes(blueprint: Blueprint, rule: str, endpoint: str | None = None) -> Callable:
    """Register a download view under `rule`.xlsx and `rule`.csv (endpoint and endpoint_csv): the view builds its
    workbook and returns `download(workbook, name)`, which sends what the address asked for."""
    def register(view: Callable) -> Callable:
        name = endpoint or view.__name__
        blueprint.add_url_rule(f"{rule}.xlsx", name, view, methods=["GET"])
        blueprint.add_url_rule(f"{rule}.csv", f"{name}_csv", view, methods=["GET"])
        return view
    return register


def download(workbook: Workbook | bytes, filename: str) -> Response:
    """The workbook as the request asked for it: .xlsx, or its tables as CSV (crmproject.spreadsheets.csv_copy)
    when the address ends in .csv."""
    if not request.path.endswith(".csv"):
        return xlsx_response(workbook, filename)
    data = workbook if isinstance(workbook, bytes) else workbook_bytes(workbook)
    content, name, mimetype = csv_download(data, filename, language=current_locale())
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(workbook: Workbook | bytes, filename: str) -> Response:
    """A download of the workbook (or of a workbook already saved to bytes, as a background job keeps it)."""
    data = workbook if isinstance(workbook, bytes) else workbook_bytes(workbook)
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response
