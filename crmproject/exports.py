"""Sending a written workbook to the browser."""

from __future__ import annotations

import re
from datetime import date

from flask import Response
from openpyxl import Workbook

from crmproject.spreadsheets import workbook_bytes

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download_name(*parts: str, suffix: str = "xlsx", today: date | None = None) -> str:
    """A portable file name: words joined by dashes, ASCII only, dated."""
    words = "-".join(p for p in (re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-").lower() for part in parts) if p)
    return f"{words or 'export'}-{(today or date.today()).isoformat()}.{suffix}"


def xlsx_response(workbook: Workbook | bytes, filename: str) -> Response:
    """A download of the workbook (or of a workbook already saved to bytes, as a background job keeps it)."""
    data = workbook if isinstance(workbook, bytes) else workbook_bytes(workbook)
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
