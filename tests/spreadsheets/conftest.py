"""Hostile spreadsheets, built here (never stored): zip bombs, lying headers, entity declarations, far cells.

Each builder returns the bytes of a file that is valid enough for python-calamine
to try it, so a test shows the reader refuses it before python-calamine does the damage.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable

import pytest

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
KINDS = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class HostileFiles:
    """Builders of files meant to exhaust a reader; the sizes are the caller's, so tests stay fast."""

    @staticmethod
    def xlsx(sheet: bytes | Iterable[bytes], *, sheet_name: str = "Plan", compresslevel: int = 9) -> bytes:
        """A minimal .xlsx whose only worksheet part is `sheet` (written in pieces when it is an iterable)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as package:
            package.writestr("[Content_Types].xml", (
                f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{PACKAGE}/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{KINDS}.sheet.main+xml"/>'
                f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{KINDS}.worksheet+xml"/></Types>'))
            package.writestr("_rels/.rels", (
                f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
            package.writestr("xl/workbook.xml", (
                f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
            package.writestr("xl/_rels/workbook.xml.rels", (
                f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
            with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                for piece in [sheet] if isinstance(sheet, bytes) else sheet:
                    part.write(piece)
        return buffer.getvalue()

    @staticmethod
    def sheet_xml(rows: list[list[str]], *, dimension: str | None = None, prolog: str = "") -> bytes:
        """Worksheet XML of inline-string cells, rows from 1, each cell with its reference."""
        from crmproject.spreadsheets import column_letter

        body = "".join(
            f'<row r="{number}">' + "".join(
                f'<c r="{column_letter(index)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
                for index, value in enumerate(cells)) + "</row>"
            for number, cells in enumerate(rows, start=1))
        head = f'<dimension ref="{dimension}"/>' if dimension else ""
        return f'{prolog}<worksheet xmlns="{MAIN}">{head}<sheetData>{body}</sheetData></worksheet>'.encode()

    def zip_bomb(self, unpacked_bytes: int) -> bytes:
        """A task plan whose sheet XML repeats one row until it is `unpacked_bytes` long: it packs a few hundred times."""
        row = b'<row><c t="inlineStr"><is><t>Kickoff</t></is></c><c t="inlineStr"><is><t>Ann</t></is></c></row>'
        head = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Task</t></is></c>'
                f'<c r="B1" t="inlineStr"><is><t>Owner</t></is></c></row>').encode()
        block = row * (1024 * 1024 // len(row))

        tail = b"</sheetData></worksheet>"

        def pieces():
            yield head
            written = len(head) + len(tail)
            while written + len(block) <= unpacked_bytes:
                yield block
                written += len(block)
            yield row * ((unpacked_bytes - written) // len(row))
            yield tail

        return self.xlsx(pieces())

    def lying_header(self, declared: int = 1000) -> bytes:
        """A valid task plan whose sheet part says it unpacks to `declared` bytes, though it holds far more."""
        rows = [["Task", "Owner"]] + [[f"Task {n}", "Ann"] for n in range(2000)]
        data = bytearray(self.xlsx(self.sheet_xml(rows)))
        name = b"xl/worksheets/sheet1.xml"
        central = _central_entry(data, name)
        struct.pack_into("<I", data, central + 24, declared)  # uncompressed size in the central directory
        local = struct.unpack_from("<I", data, central + 42)[0]
        struct.pack_into("<I", data, local + 22, declared)  # and in the local header
        return bytes(data)

    def entities(self) -> bytes:
        """A task plan whose sheet XML declares an entity and uses it in a cell (the start of a billion laughs)."""
        prolog = '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">]>'
        return self.xlsx(self.sheet_xml([["Task", "Owner"], ["&lol;", "Ann"]], prolog=prolog))

    def far_cell(self, reference: str = "XFD1048576") -> bytes:
        """A 1 KB task plan with a second cell at `reference`: python-calamine would store the rectangle between."""
        sheet = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Task</t></is></c>'
                 f'<c r="B1" t="inlineStr"><is><t>Owner</t></is></c></row>'
                 f'<row r="{reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{reference}"><v>1</v></c></row>'
                 '</sheetData></worksheet>')
        return self.xlsx(sheet.encode())

    @staticmethod
    def wide_csv(columns: int, *, rows: int = 3) -> bytes:
        """A task plan CSV whose lines have `columns` fields."""
        line = "Task,Owner" + ",x" * (columns - 2) + "\n"
        return (line * rows).encode()

    @staticmethod
    def long_csv(rows: int) -> bytes:
        return ("Task,Owner,Start,Due\n" + "Kickoff,Ann,2026-02-01,2026-02-10\n" * rows).encode()


def _central_entry(data: bytearray, name: bytes) -> int:
    """Where the central directory entry of the part called `name` starts."""
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + name_length] == name:
            return position
        position += 4
    raise AssertionError(f"no central directory entry for {name!r}")


@pytest.fixture
def hostile() -> HostileFiles:
    return HostileFiles()
