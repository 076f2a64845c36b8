"""Sending a written workbook to the browser."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook

from crmproject.spreadsheets import workbook_bytes

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


def xlsx_response(workbook: Workbook | bytes, filename: str) -> Response:
    """A download of the workbook (or of a workbook already saved to bytes, as a background job keeps it)."""
    data = workbook if isinstance(workbook, bytes) else workbook_bytes(workbook)
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response
