"""What python-calamine does not tell about an .xlsx, read from its XML parts.

python-calamine 0.9 returns error cells (#REF!, #DIV/0!) as empty strings, and
says nothing about the date system or hidden rows and columns. These come from
the package parts themselves: the small workbook part through defusedxml's
ElementTree (which refuses entity declarations), the worksheet parts through
byte patterns, so a 100,000-row sheet costs one decompression and a few
C-speed scans, not a Python-level parse. Every part is read through a
PackageGuard, within the limits it checks.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from defusedxml import ElementTree

from .cells import column_index

if TYPE_CHECKING:
    from ._package import PackageGuard


@dataclass(frozen=True)
class WorkbookPart:
    """Facts from the workbook part: date system and where each sheet's XML lives."""

    epoch_1904: bool
    sheet_parts: dict[str, str]
    hidden_sheets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SheetMarkup:
    """Facts from a worksheet part: rows 1-based, columns 0-based."""

    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()
    error_cells: dict[int, dict[int, str]] = field(default_factory=dict)


def _local(tag: str) -> str:
    """A tag or attribute name without its namespace: Strict and Transitional OOXML differ only there."""
    return tag.rsplit("}", 1)[-1]


def _relationships(package: PackageGuard, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, zip member) of the relationships of `part`."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if not package.has(rels_name):
        return {}
    targets = {}
    for rel in ElementTree.fromstring(package.read(rels_name)):
        target = rel.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        targets[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return targets


def workbook_part_name(package: PackageGuard) -> str | None:
    """The zip member holding the workbook (xl/workbook.xml, or .bin for .xlsb), if this is a spreadsheet package."""
    for rel_type, member in _relationships(package, "").values():
        if rel_type.endswith("/officeDocument") and package.has(member):
            return member
    return None


def read_workbook_part(package: PackageGuard, part: str) -> WorkbookPart:
    """Date system and sheet part names from the workbook part of an .xlsx/.xlsm."""
    root = ElementTree.fromstring(package.read(part))
    relationships = _relationships(package, part)
    epoch_1904 = False
    sheet_parts = {}
    hidden = set()
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "workbookPr":
            epoch_1904 = element.get("date1904", "").lower() in ("1", "true")
        elif tag == "sheet":
            rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), "")
            if rel_id in relationships:
                sheet_parts[element.get("name", "")] = relationships[rel_id][1]
            if element.get("state", "visible") != "visible":
                hidden.add(element.get("name", ""))
    return WorkbookPart(epoch_1904=epoch_1904, sheet_parts=sheet_parts, hidden_sheets=frozenset(hidden))


_QUOTED = rb"""["']([^"']*)["']"""
_HIDDEN = rb"""\bhidden=["'](?:1|true)["']"""
# Attributes up to the end of a tag, which a quoted value may hold (">" does not end the tag there).
_IN_TAG = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_HIDDEN_ROW = re.compile(rb"<(?:\w+:)?row\b" + _IN_TAG + _HIDDEN + _IN_TAG + rb">")
_HIDDEN_COLUMN = re.compile(rb"<(?:\w+:)?col\b" + _IN_TAG + _HIDDEN + _IN_TAG + rb">")
_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\b(""" + _IN_TAG + rb"""\bt=["']e["']""" + _IN_TAG + rb""")(?<!/)>(.*?)</(?:\w+:)?c>""",
                         re.DOTALL)
_ROW_NUMBER = re.compile(rb"\br=" + _QUOTED)
_COLUMN_SPAN = re.compile(rb"\b(min|max)=" + _QUOTED)
_CELL_REF = re.compile(rb"""\br=["']([A-Za-z]{1,3})(\d+)["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)<")


def scan_sheet(xml: bytes) -> SheetMarkup:
    """Hidden rows, hidden columns and error cells of one worksheet part."""
    # Plain substring tests first: they run at memory speed, the patterns only where they can match.
    hidden = b"hidden=" in xml
    errors = b't="e"' in xml or b"t='e'" in xml
    return SheetMarkup(
        hidden_rows=frozenset(_hidden_rows(xml) if hidden else ()),
        hidden_columns=frozenset(_hidden_columns(xml) if hidden else ()),
        error_cells=_error_cells(xml) if errors else {},
    )


def _hidden_rows(xml: bytes) -> set[int]:
    rows: set[int] = set()
    for match in _HIDDEN_ROW.finditer(xml):
        number = _ROW_NUMBER.search(match.group())
        if number:
            rows.add(int(number.group(1)))
    return rows


def _hidden_columns(xml: bytes) -> set[int]:
    columns: set[int] = set()
    for match in _HIDDEN_COLUMN.finditer(xml):
        span = {key: int(value) for key, value in _COLUMN_SPAN.findall(match.group())}
        if b"min" in span:
            columns.update(range(span[b"min"] - 1, span.get(b"max", span[b"min"])))
    return columns


def _error_cells(xml: bytes) -> dict[int, dict[int, str]]:
    """Row number -> column index -> error code, for cells of type "e" that carry a cached value."""
    errors: dict[int, dict[int, str]] = {}
    for attributes, content in _ERROR_CELL.findall(xml):
        ref = _CELL_REF.search(attributes)
        value = _CELL_VALUE.search(content)
        if ref and value:
            row = int(ref.group(2))
            errors.setdefault(row, {})[column_index(ref.group(1).decode())] = value.group(1).decode()
    return errors
