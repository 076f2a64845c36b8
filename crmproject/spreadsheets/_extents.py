"""The rectangles .ods and legacy .xls sheets span, read before python-calamine stores them.

python-calamine holds each sheet as a dense rectangle from its first to its
last cell, and reads every sheet of an .ods or .xls when it opens the file.
A 5 KB .xls with one cell moved to row 65,536 and column IV costs it 1 GB; an
.ods row of "number-columns-repeated" 16,384 repeated a million times, more
than any machine has. These scans find each sheet's last row and column
cheaply, so the file is refused first (see PackageGuard for .xlsx and .xlsb).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable

from ._errors import SpreadsheetError
from ._package import Extent, damaged

# --- .ods -----------------------------------------------------------------------------------------

_ODS_TAG = re.compile(
    rb"<(/?)(?:[\w.-]+:)?(table|table-row|table-cell|covered-table-cell)((?:\s[^>]*?)?)(/?)>"
)
_ROWS_REPEATED = re.compile(rb"""number-rows-repeated\s*=\s*["']([0-9]+)["']""")
_COLUMNS_REPEATED = re.compile(rb"""number-columns-repeated\s*=\s*["']([0-9]+)["']""")
_VALUE_TYPE = re.compile(rb"value-type\s*=")
_CARRY = 4096


def ods_extents(chunks: Iterable[bytes]) -> list[Extent]:
    """The extent of each table in content.xml, counting only cells with a value or content.

    LibreOffice ends every sheet with empty cells repeated to column AMJ and
    row 1,048,576; python-calamine leaves those out, and so does this. A
    repeated cell or row with a value counts every repetition.
    """
    extents: list[Extent] = []
    current: Extent | None = None
    row = column = 0  # 0-based: the next row and column
    repeat = 1
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        end = 0
        for match in _ODS_TAG.finditer(text):
            end = match.end()
            closing, name, attributes, self_closing = match.groups()
            if name == b"table":
                if not closing:
                    current = Extent()
                    extents.append(current)
                    row = 0
                continue
            if current is None:
                continue
            if name == b"table-row":
                if closing:
                    row += repeat
                    continue
                found = _ROWS_REPEATED.search(attributes)
                repeat, column = int(found.group(1)) if found else 1, 0
                if self_closing:
                    row += repeat
                continue
            if closing:
                continue
            found = _COLUMNS_REPEATED.search(attributes)
            count = int(found.group(1)) if found else 1
            if _VALUE_TYPE.search(attributes) or not self_closing:
                current.add(row + repeat, column + count)
            column += count
        carry = text[end:] if len(text) - end <= _CARRY else text[-_CARRY:]
    return extents


# --- .xls -----------------------------------------------------------------------------------------

_BOF = 0x0809
_WORKSHEET = 0x0010
# Records that place a cell: row (u16) then column (u16) first.
_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406})
_SPANS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column ... last column (u16) at the end
_RECORD = struct.Struct("<HH")


def xls_extents(data: bytes, filename: str) -> list[Extent]:
    """The extent of each worksheet of a legacy .xls, from the cell records of its Workbook stream."""
    import olefile  # imported here, where a legacy .xls needs it

    try:
        with olefile.OleFileIO(data) as container:
            stream = next((name for name in ("Workbook", "Book", "workbook", "book") if container.exists(name)), None)
            if stream is None:
                raise damaged(filename)
            workbook = container.openstream(stream).read()
    except (OSError, ValueError, struct.error) as exc:
        if isinstance(exc, SpreadsheetError):
            raise
        raise damaged(filename) from exc
    extents: list[Extent] = []
    current: Extent | None = None
    position, size = 0, len(workbook)
    unpack = _RECORD.unpack_from
    while position + 4 <= size:
        record, length = unpack(workbook, position)
        body = position + 4
        if record == _BOF and length >= 4:
            kind = unpack(workbook, body)[1]
            current = Extent() if kind == _WORKSHEET else None
            if current is not None:
                extents.append(current)
        elif current is not None and length >= 4:
            if record in _CELLS:
                row, column = unpack(workbook, body)
                current.add(row + 1, column + 1)
            elif record in _SPANS and length >= 6:
                row = unpack(workbook, body)[0]
                last = struct.unpack_from("<H", workbook, body + length - 2)[0]
                current.add(row + 1, last + 1)
        position = body + length
    return extents
