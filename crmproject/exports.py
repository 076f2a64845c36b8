"""Sending a written workbook to the browser, and every table page's table as CSV.

A page that shows a table of data is registered with `table_page` (its address, and the same address ending in
.csv); its view loads the rows as it always does and, when the CSV was asked for, returns
`table_csv(table, rows, name...)` instead of the page: the same rows (the same filters from the query string,
the same rights: the view has already applied them), the columns of a `Table` defined beside the feature's
services (headers in the reader's language, values as the page means them: dates ISO, numbers plain). The
downloads are recorded in the audit trail as exports, as every attachment is (crmproject.audit.views)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request
from openpyxl import Workbook

from crmproject.i18n import current_locale
from crmproject.spreadsheets import workbook_bytes
from crmproject.spreadsheets.csv_copy import csv_download, csv_table

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
    response = Response(content, content_type=mimetype)
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


# --- table pages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a table page: its header (a lazy translation, so it is the reader's language) and its value
    for one row of the page (text, a number, a date, a labelled enum, or None for an empty cell)."""
    header: Any
    value: Callable[[Any], object]


class Table:
    """The columns of a table a page shows, in the page's order: what its CSV download holds."""

    def __init__(self, *columns: Column) -> None:
        self.columns = columns

    def header(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    def rows(self, items: Iterable[Any]) -> Iterable[list[object]]:
        for item in items:
            yield [c.value(item) for c in self.columns]


def table_page(blueprint: Blueprint, rule: str, endpoint: str | None = None,
               methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Register a page showing a table at `rule`, and its CSV at the same address ending in .csv (a trailing
    slash dropped: /plans/1/gates/ and /plans/1/gates.csv) under the endpoint `<endpoint>_csv`. The view is the
    same function, with the same rights; it returns `table_csv(...)` when `wants_csv()`. `methods` are the page's
    (a page with a form posts to itself); the CSV is only read."""
    def register(view: Callable) -> Callable:
        name = endpoint or view.__name__
        blueprint.add_url_rule(rule, name, view, methods=list(methods))

        def add_csv_rule(state) -> None:  # on the app: a blueprint would put a slash between its prefix and ".csv"
            path = ((state.url_prefix or "").rstrip("/") + "/" + rule.strip("/")).rstrip("/")
            state.app.add_url_rule(f"{path}.csv", f"{state.name_prefix}.{state.name}.{name}_csv".lstrip("."), view,
                                   methods=["GET"])

        blueprint.record(add_csv_rule)
        return view
    return register


def wants_csv() -> bool:
    """Whether the request asked for a table page's CSV rather than the page."""
    return request.path.endswith(".csv")


def table_csv(table: Table, items: Iterable[Any], *name_parts: str) -> Response:
    """The rows a page shows, as the CSV download of its table (UTF-8 with a byte order mark, the separator and
    decimal sign of the reader's language, text never a formula)."""
    content = csv_table(table.header(), table.rows(items), language=current_locale())
    response = Response(content, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition(download_name(*name_parts, suffix="csv"))
    response.headers["Cache-Control"] = "no-store"
    return response
