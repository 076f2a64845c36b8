"""Binary parts of an .xlsb read record by record before python-calamine reads them.

A record is an id (1 or 2 bytes), a payload size (1 to 4 bytes, 7 bits each,
so up to 256 MB) and the payload. python-calamine reads each record whole
into memory, so a header can make it ask for 256 MB. Here a payload is never
buffered: only its first bytes are kept, the rest is skipped by counting,
across chunks, and a record over MAX_RECORD is refused (Malformed): no
program writes one that large (a cell of 32,767 characters takes 64 KB).

`measure_binary_sheet` finds a worksheet's rectangle (python-calamine places
a cell at the row of the last BrtRowHdr and the column its record gives),
its cells, and the shared text python-calamine copies into its cells;
`measure_binary_strings` counts and measures the shared strings.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ._sheet_xml import Malformed, SharedStrings, SheetMeasure
from .cells import Extent
from .limits import ReadLimits

MAX_RECORD = 1024 * 1024
_KEPT = 12  # bytes of a payload kept: what the records read here need
_ROW = 0x0000  # BrtRowHdr: the row index (u32) first
_CELLS = frozenset(range(1, 14)) | {62}  # BrtCellBlank ... BrtFmlaError, BrtCellRString: the column (u32) first
_SHARED_STRING_CELL = 0x0007  # BrtCellIsst: column, style, then the string's index (u32)
_SST_ITEM = 0x0013  # BrtSSTItem: one shared string


def records(chunks: Iterable[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """(record id, payload size, the payload's first bytes) of every record, in order.

    Raises Malformed for a record over MAX_RECORD, before any of its payload is read.
    """
    pending = b""
    skip = 0
    for chunk in chunks:
        if skip:
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            chunk, skip = chunk[skip:], 0
        data = pending + chunk
        position, end = 0, len(data)
        while position < end:
            header = _header(data, position)
            if header is None:
                break
            record, size, start = header
            if size > MAX_RECORD:
                raise Malformed(f"a record of {size} bytes")
            kept = min(size, _KEPT)
            if start + kept > end:
                break  # the kept bytes come with the next chunk: wait for them (at most 18 bytes wait)
            yield record, size, data[start:start + kept]
            if start + size > end:
                skip = start + size - end
                position = end
                break
            position = start + size
        pending = data[position:]


def _header(data: bytes, position: int) -> tuple[int, int, int] | None:
    """(record id, payload size, payload start) at `position`, None when the header is not all there yet."""
    values = []
    for length in (2, 4):  # an id takes at most 2 bytes, a size at most 4, 7 bits each
        value = shift = 0
        for _index in range(length):
            if position >= len(data):
                return None
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        values.append(value)
    return values[0], values[1], position


@dataclass
class BinarySheet(SheetMeasure):
    """A worksheet's measure, with the shared text python-calamine copies into its cells."""

    copied: int = 0


def measure_binary_sheet(chunks: Iterable[bytes], limits: ReadLimits, strings: SharedStrings | None) -> BinarySheet:
    """Rectangle, cells and copied shared text of an .xlsb worksheet part; stops once over a limit."""
    measure = BinarySheet(Extent())
    extent = measure.extent
    lengths = strings.lengths if strings is not None else None
    row = 0
    for record, size, payload in records(chunks):
        if record == _ROW and size >= 4:
            row = int.from_bytes(payload[:4], "little")
        elif record in _CELLS and size >= 4:
            extent.add(row + 1, int.from_bytes(payload[:4], "little") + 1)
            measure.cells += 1
            if record == _SHARED_STRING_CELL and size >= 12:
                measure.string_cells += 1
                index = int.from_bytes(payload[8:12], "little")
                if lengths is None or index >= len(lengths):
                    raise Malformed("a cell showing a shared string there is not")  # python-calamine panics on it
                measure.copied += lengths[index]
            if measure.cells > limits.max_cells or extent.rows > limits.max_rows or extent.columns > limits.max_columns:
                break
    return measure


def measure_binary_strings(chunks: Iterable[bytes], limits: ReadLimits) -> SharedStrings:
    """The shared strings of xl/sharedStrings.bin; a string's UTF-8 bytes are at most 3/2 of its UTF-16 record."""
    lengths = array("I")
    found = SharedStrings(lengths=lengths)
    for record, size, _payload in records(chunks):
        if record == _SST_ITEM:
            length = size * 3 // 2
            lengths.append(length)
            found.longest = max(found.longest, length)
            found.count += 1
            if found.count > limits.max_cells:
                break
    return found
