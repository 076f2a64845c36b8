"""What .ods and legacy .xls sheets make python-calamine build, read before it opens the file.

python-calamine holds each sheet as a dense rectangle from its first to its
last cell, reads every sheet of an .ods or .xls when it opens the file, and
copies a repeated or shared text into every cell that shows it. A 5 KB .xls
with one cell moved to row 65,536 and column IV costs it 1 GB; an .ods row of
"number-columns-repeated" 16,384 repeated a million times, more than any
machine has; an .xls DIMENSIONS record claiming four billion rows makes it
reserve that many cells at once and abort. These scans find each sheet's
rectangle and the text python-calamine copies, cheaply, so the file is
refused first (see PackageGuard for .xlsx and .xlsb).
"""

from __future__ import annotations

import html
import re
import struct
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._errors import SpreadsheetError
from ._package import damaged
from ._sheet_xml import MAX_TAG, Malformed, tag_patterns
from .cells import Extent


@dataclass
class BookMeasure:
    """Every sheet's rectangle, and the text python-calamine copies into cells (repeated or shared), in bytes."""

    extents: list[Extent] = field(default_factory=list)
    copied: int = 0
    declared_cells: int = 0  # the most cells a sheet's DIMENSIONS record makes python-calamine reserve (.xls)
    data_bytes: int = 0  # the stream python-calamine reads whole (.xls)


# --- .ods -----------------------------------------------------------------------------------------

_ODS_SKIPPED, _ODS_TAG = tag_patterns(
    b"table|table-row|table-cell|covered-table-cell", b"table|table-row|table-cell|covered-table-cell")
_ODS_ATTRIBUTE = re.compile(rb"""\s*([^\s=/>"'<]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# A cell with any of these attributes holds a value (or a formula) in python-calamine, repeated as often as it says.
_VALUE_ATTRIBUTES = frozenset({b"value", b"string-value", b"date-value", b"time-value", b"boolean-value", b"formula",
                               b"value-type"})
_NUMBER = re.compile(rb"\+?[0-9]+")


def _ods_attributes(attributes: bytes) -> tuple[dict[bytes, int], bool]:
    """The repeat counts of a tag (by local name: number-rows-repeated ...) and whether it holds a value.

    A repeat count is read as python-calamine reads it (entities resolved, a
    leading + allowed); any other value, or attributes not plainly written,
    raise Malformed.
    """
    repeats: dict[bytes, int] = {}
    has_value = False
    position = 0
    while (match := _ODS_ATTRIBUTE.match(attributes, position)) is not None:
        position = match.end()
        local = match.group(1).rpartition(b":")[2]
        if local in _VALUE_ATTRIBUTES:
            has_value = True
        elif local.endswith(b"-repeated"):
            raw = match.group(2) if match.group(2) is not None else match.group(3)
            value = html.unescape(raw.decode("utf-8", "replace")).encode() if b"&" in raw else raw
            if not _NUMBER.fullmatch(value):
                raise Malformed("a repeat count python-calamine may read otherwise")
            repeats[local] = max(repeats.get(local, 0), int(value))  # two of them: the larger counts
    if attributes[position:].strip() not in (b"", b"/"):
        raise Malformed("attributes quick-xml may read another way")
    return repeats, has_value


def ods_measure(chunks: Iterable[bytes]) -> BookMeasure:
    """The extent of each table in content.xml (cells with a value or content only), and the text repeated.

    LibreOffice ends every sheet with empty cells repeated to column AMJ and
    row 1,048,576; python-calamine leaves those out, and so does this. A
    repeated cell or row with a value counts every repetition, and so does
    its text (bounded by the bytes from the cell's tag to the next tag).
    Raises Malformed for XML quick-xml could read otherwise.
    """
    measure = BookMeasure()
    current: Extent | None = None
    row = column = 0  # 0-based: the next row and column
    rows_repeated = 1
    copies = 0  # how many times the text since `text_from` is copied
    text_from = 0
    offset = 0  # where the text scanned starts in the part
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        position = 0
        while (match := _ODS_TAG.match(text, position)) is not None:
            position = match.end()
            closing, _prefix, name, attributes, declaration = match.groups()
            if declaration is not None or b"<" in attributes:
                raise Malformed("a declaration, or '<' inside a tag")
            if copies:  # the text of the cell before, up to this tag, copied as often as it repeats
                measure.copied += copies * (offset + position - text_from)
                copies = 0
            if closing:
                if name == b"table-row":
                    row += rows_repeated
                continue
            repeats, has_value = _ods_attributes(attributes)
            empty = attributes.endswith(b"/")
            if name == b"table":
                current = Extent()
                measure.extents.append(current)
                row = 0
                continue
            if current is None:
                continue
            if name == b"table-row":
                rows_repeated, column = repeats.get(b"number-rows-repeated", 1), 0
                if empty:
                    row += rows_repeated
                continue
            count = repeats.get(b"number-columns-repeated", 1)
            if has_value or not empty:
                current.add(row + rows_repeated, column + count)
                copies = count * rows_repeated
                text_from = offset + match.start(1) - 1
            column += count
        skipping = _ODS_SKIPPED.match(text, position)
        assert skipping is not None  # the pattern matches the empty text too
        skipped = skipping.end()
        offset += skipped
        carry = text[skipped:]
        if len(carry) > MAX_TAG:
            raise Malformed("a tag, comment or CDATA section longer than 64 KB")
    return measure


# --- .xls -----------------------------------------------------------------------------------------

_BOF = 0x0809
_EOF = 0x000A
_BOUNDSHEET = 0x0085
_SST = 0x00FC
_CONTINUE = 0x003C
_DIMENSIONS = 0x0200
_LABEL_SST = 0x00FD
# Records that place a cell: row (u16) then column (u16) first.
_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406})
_SPANS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column ... last column (u16) at the end
_RECORD = struct.Struct("<HH")


# Complexity 16 of one walk over the BIFF records, a branch for each kind python-calamine reads.
def xls_measure(data: bytes, filename: str, max_strings: int) -> BookMeasure:  # noqa: C901
    """Each worksheet's extent, read from its substream, and the shared text python-calamine copies into cells.

    python-calamine reads the workbook globals from the start of the
    Workbook stream up to their EOF, then each sheet from the offset its
    BOUNDSHEET8 record gives (not from where the records before it end),
    up to the sheet's EOF; so does this. A sheet's DIMENSIONS record makes
    python-calamine reserve room for that many cells: `declared_cells`.
    A shared-string table announcing more than `max_strings` strings is
    reported in `declared_cells` too; the caller refuses what is over the
    limits. Raises SpreadsheetError for a damaged file.
    """
    workbook = _workbook_stream(data, filename)
    measure = BookMeasure()
    measure.data_bytes = len(workbook)
    offsets: list[int] = []
    sst: list[bytes] = []
    previous = None
    for record, body in _records(workbook, 0):
        if record == _CONTINUE:
            if previous == _SST:
                sst.append(body)  # the shared-string table goes on
            continue
        previous = record
        if record == _BOUNDSHEET and len(body) >= 4:
            offsets.append(struct.unpack_from("<I", body)[0])
        elif record == _SST:
            sst = [body]
        elif record == _EOF:
            break
    lengths = _sst_lengths(sst, max_strings, measure)
    for offset in offsets:
        extent = Extent()
        measure.extents.append(extent)
        for record, body in _records(workbook, offset):
            if record == _EOF:
                break
            if len(body) < 4:
                continue
            if record in _CELLS:
                row, column = _RECORD.unpack_from(body)
                extent.add(row + 1, column + 1)
                if record == _LABEL_SST and len(body) >= 10:
                    index = struct.unpack_from("<I", body, 6)[0]
                    if index < len(lengths):
                        measure.copied += lengths[index]
            elif record in _SPANS and len(body) >= 6:
                row, first = _RECORD.unpack_from(body)
                last = struct.unpack_from("<H", body, len(body) - 2)[0]
                extent.add(row + 1, max(last, first + (len(body) - 6) // 6 - 1) + 1)
            elif record == _DIMENSIONS and len(body) in (10, 14):
                measure.declared_cells = max(measure.declared_cells, _reserved_cells(body))
    return measure


def _workbook_stream(data: bytes, filename: str) -> bytes:
    import olefile  # imported here, where a legacy .xls needs it

    try:
        with olefile.OleFileIO(data) as container:
            stream = next((name for name in ("Workbook", "Book", "workbook", "book") if container.exists(name)), None)
            if stream is None:
                raise damaged(filename)
            return container.openstream(stream).read()
    except (OSError, ValueError, struct.error) as exc:
        if isinstance(exc, SpreadsheetError):
            raise
        raise damaged(filename) from exc


def _records(stream: bytes, position: int) -> Iterable[tuple[int, bytes]]:
    """(record id, body) from `position` on, as python-calamine's record iterator walks them."""
    size = len(stream)
    unpack = _RECORD.unpack_from
    while position + 4 <= size:
        record, length = unpack(stream, position)
        body = position + 4
        if body + length > size:
            return  # python-calamine stops there with an error
        yield record, stream[body:body + length]
        position = body + length


def _reserved_cells(body: bytes) -> int:
    """The cells python-calamine reserves for a DIMENSIONS record: its arithmetic, wrapping as it does."""
    if len(body) == 10:
        first_row, last_row, first_column, last_column = struct.unpack_from("<HHHH", body)
    else:
        first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", body)
    if last_row < 1 or last_column < 1:
        return 1
    rows = (last_row - 1 - first_row + 1) % 2 ** 32
    columns = (last_column - 1 - first_column + 1) % 2 ** 32
    return rows * columns


def _sst_lengths(bodies: list[bytes], max_strings: int, measure: BookMeasure) -> array:
    """The most UTF-8 bytes each shared string can take (3 per character), from the SST and its CONTINUEs.

    A table announcing more than `max_strings` strings is noted in
    `measure.declared_cells` (the caller refuses it); one that ends early
    gives the lengths it has (python-calamine shows no text for the rest).
    """
    lengths = array("I")
    if not bodies or len(bodies[0]) < 8:
        return lengths
    announced = struct.unpack_from("<i", bodies[0], 4)[0]
    if announced > max_strings:
        measure.declared_cells = max(measure.declared_cells, announced)
        return lengths
    reader = _Continued(bodies, 8)
    try:
        for _string in range(max(0, announced)):
            characters, flags = struct.unpack("<HB", reader.take(3))
            runs = struct.unpack("<H", reader.take(2))[0] if flags & 0x8 else 0
            extra = struct.unpack("<i", reader.take(4))[0] if flags & 0x4 else 0
            reader.skip_characters(characters, bool(flags & 0x1))
            reader.skip(4 * runs + max(0, extra))
            lengths.append(3 * characters)
    except _Truncated:
        pass
    return lengths


class _Truncated(Exception):
    pass


class _Continued:
    """The body of a record and of its CONTINUE records, read in order as one (a string's characters restart
    with a flags byte at each CONTINUE)."""

    def __init__(self, bodies: list[bytes], position: int) -> None:
        self.bodies = bodies
        self.index = 0
        self.position = position

    def _next_body(self) -> bytes:
        self.index += 1
        self.position = 0
        if self.index >= len(self.bodies):
            raise _Truncated
        return self.bodies[self.index]

    def take(self, count: int) -> bytes:
        taken = b""
        body = self.bodies[self.index]
        while len(taken) < count:
            if self.position >= len(body):
                body = self._next_body()
            piece = body[self.position:self.position + count - len(taken)]
            self.position += len(piece)
            taken += piece
        return taken

    def skip(self, count: int) -> None:
        body = self.bodies[self.index]
        while count:
            if self.position >= len(body):
                body = self._next_body()
            step = min(count, len(body) - self.position)
            self.position += step
            count -= step

    def skip_characters(self, count: int, wide: bool) -> None:
        body = self.bodies[self.index]
        while count:
            if self.position >= len(body):
                body = self._next_body()
                if not body:
                    raise _Truncated
                wide = bool(body[0] & 0x1)
                self.position = 1
            step = min(count, (len(body) - self.position) // (2 if wide else 1))
            if step == 0:
                raise _Truncated
            self.position += step * (2 if wide else 1)
            count -= step
