"""Zip packages (.xlsx, .xlsm, .xlsb, .ods) checked before python-calamine or ElementTree touch them.

python-calamine trusts what a package says: it inflates a part as far as the
data goes, and it stores a worksheet as a dense rectangle from its first to
its last cell, so two cells at A1 and XFD1048576 make it ask for 550 GB and
abort the process. Before it opens a package, `PackageGuard` checks:

  - each part's declared unpacked size, their total, and the compression
    ratio of parts over 1 MB, against ReadLimits;
  - each part's real unpacked size, by inflating the raw data in bounded
    chunks (never trusting the header), stopping past what it declares; a
    part that declares XML entities (a DOCTYPE) is refused;
  - for a worksheet, before python-calamine loads it, the rectangle it spans
    (rows, columns and cells), read from the cell and row positions in its
    XML (or binary records for .xlsb). Well-formed sheets take a fast path:
    one pattern finds only positions beyond the sheet's own <dimension>;
    anything unusual in how positions are written takes an exact, slower one.
"""

from __future__ import annotations

import io
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from crmproject.i18n import _

from ._errors import SpreadsheetError
from .cells import column_index, column_letter
from .limits import (
    LimitExceeded, ReadLimits, megabytes, number, too_many_cells, too_many_columns, too_many_rows,
)

CHUNK = 1024 * 1024
RATIO_EXEMPT = 1024 * 1024  # small parts compress far better than data does; only bigger ones are held to the ratio
MAX_XML_PART = 16 * 1024 * 1024  # parts parsed whole with ElementTree (relationships, workbook, manifest)
_LOCAL_HEADER = struct.Struct("<4s22xHH")
PREFETCH_FROM = 8 * 1024 * 1024  # parts larger than this are inflated a few chunks ahead, in a helper thread
_CARRY = 96  # bytes of one chunk scanned again with the next, so a position split between them is seen whole


def damaged(name: str) -> SpreadsheetError:
    return SpreadsheetError(_(
        "%(file)s is damaged or incomplete and cannot be read. "
        "Open it in Excel or LibreOffice, save it again and upload the new copy.",
        file=name,
    ))


@dataclass
class Extent:
    """The rectangle a sheet spans, as 1-based last row and last column (0 when the sheet is empty)."""

    rows: int = 0
    columns: int = 0

    def add(self, row: int, column: int) -> None:
        if row > self.rows:
            self.rows = row
        if column > self.columns:
            self.columns = column


class PackageGuard:
    """A zip package whose declared sizes are within limits; parts are verified as they are about to be read."""

    def __init__(self, source: Path | bytes, filename: str, limits: ReadLimits) -> None:
        self.source = source
        self.filename = filename
        self.limits = limits
        self._verified: set[str] = set()
        try:
            self.archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise damaged(filename) from exc
        total = 0
        for info in infos:
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise damaged(filename)  # encrypted parts or compression no spreadsheet program writes
            if info.file_size > limits.max_part_bytes:
                raise self._part_too_big(info.filename, info.file_size)
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                raise LimitExceeded(_(
                    "%(file)s unpacks to more than %(limit)s; the limit is %(limit)s.",
                    file=filename, limit=megabytes(limits.max_unpacked_bytes)))
            if info.file_size > RATIO_EXEMPT and info.file_size > limits.max_compression_ratio * max(1, info.compress_size):
                raise LimitExceeded(_(
                    "%(file)s is compressed %(ratio)s times (its part %(part)s unpacks from %(packed)s to %(size)s); "
                    "the limit is %(limit)s times. Files packed this tightly are built to exhaust memory.",
                    file=filename, ratio=number(info.file_size // max(1, info.compress_size)), part=info.filename,
                    packed=megabytes(info.compress_size), size=megabytes(info.file_size),
                    limit=number(limits.max_compression_ratio)))

    def _part_too_big(self, part: str, size: int) -> LimitExceeded:
        return LimitExceeded(_(
            "%(file)s is too large once unpacked: its part %(part)s unpacks to %(size)s; the limit for one part is "
            "%(limit)s.", file=self.filename, part=part, size=megabytes(size),
            limit=megabytes(self.limits.max_part_bytes)))

    def has(self, name: str) -> bool:
        return name in self.archive.NameToInfo

    def names(self) -> list[str]:
        return [info.filename for info in self.archive.infolist() if not info.is_dir()]

    def read(self, name: str, *, whole_part: bool = False) -> bytes:
        """A part, inflated within limits and returned whole.

        Parts parsed with ElementTree (relationships, the workbook part) must
        be under 16 MB; `whole_part` allows up to the part limit, for the
        byte-pattern scans of a worksheet.
        """
        info = self.archive.getinfo(name)
        if info.file_size > (self.limits.max_part_bytes if whole_part else MAX_XML_PART):
            raise self._part_too_big(name, info.file_size)
        return b"".join(self._chunks(info))

    def chunks(self, name: str) -> Iterator[bytes]:
        """A part's bytes in chunks, inflated within its declared size."""
        return self._chunks(self.archive.getinfo(name))

    def verify(self, name: str, *, sheet: str | None = None, xlsx_sheet: bool = False, binary_sheet: bool = False) -> None:
        """Inflate one part within its declared size and refuse XML entities; for a worksheet, check its extent.

        Raises LimitExceeded for a worksheet over the row, column or cell limits.
        """
        if name in self._verified or name not in self.archive.NameToInfo:
            return
        info = self.archive.getinfo(name)
        if xlsx_sheet:
            extent = _xlsx_extent(lambda: self._chunks(info), self.limits)
        elif binary_sheet:
            extent = _xlsb_extent(self._chunks(info))
        else:
            for _chunk in self._chunks(info):
                pass
            extent = None
        if extent is not None:
            where = _("Sheet %(sheet)s of %(file)s", sheet=sheet, file=self.filename) if sheet else self.filename
            check_extent(extent, self.filename, self.limits, where)
        self._verified.add(name)

    def verify_parts(self, skip: Callable[[str], bool] = lambda name: False) -> None:
        """Verify every part not skipped (the ones python-calamine reads when it opens the package)."""
        for name in self.names():
            if not skip(name):
                self.verify(name)

    def verify_worksheets(self) -> None:
        """Verify every worksheet part of an .xlsx, when which part holds a sheet is not known."""
        for name in self.names():
            if "/worksheets/" in name and name.endswith(".xml"):
                self.verify(name, xlsx_sheet=True)

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's bytes in chunks of at most CHUNK, inflated from the raw data and never past its declared size.

        A large part is inflated in a helper thread (zlib lets go of the GIL
        while it works) a few chunks ahead of the caller's scan of them.
        """
        chunks = self._inflate(info)
        if info.file_size > PREFETCH_FROM:
            chunks = _prefetched(chunks)
        try:
            yield from chunks
        except zlib.error as exc:
            raise damaged(self.filename) from exc
        finally:
            chunks.close()

    def _inflate(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        raw = self._raw(info)
        expected, produced, first = info.file_size, 0, True
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        for block in raw:
            pending = block
            while pending:
                if inflater is None:
                    out, pending = bytes(pending[:CHUNK]), pending[CHUNK:]
                else:
                    out = inflater.decompress(pending, CHUNK)
                    pending = inflater.unconsumed_tail
                if not out:
                    break
                produced += len(out)
                if produced > expected:
                    raise damaged(self.filename)  # the header under-states the part: a lie, or damage
                if first:
                    _refuse_entities(out, info.filename, self.filename)
                    first = False
                yield out
        if inflater is not None:
            tail = inflater.flush()
            produced += len(tail)
            if tail:
                if produced > expected:
                    raise damaged(self.filename)
                yield tail
            if not inflater.eof and expected:
                raise damaged(self.filename)
        if produced != expected:
            raise damaged(self.filename)

    def _raw(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's compressed bytes, read from where its local header says they start."""
        if isinstance(self.source, Path):
            with self.source.open("rb") as handle:
                handle.seek(info.header_offset)
                offset = self._data_offset(handle.read(_LOCAL_HEADER.size))
                handle.seek(info.header_offset + offset)
                left = info.compress_size
                while left > 0:
                    block = handle.read(min(CHUNK, left))
                    if not block:
                        raise damaged(self.filename)
                    left -= len(block)
                    yield block
            return
        data = memoryview(self.source)
        offset = info.header_offset + self._data_offset(bytes(data[info.header_offset:info.header_offset + _LOCAL_HEADER.size]))
        end = offset + info.compress_size
        if end > len(data):
            raise damaged(self.filename)
        for start in range(offset, end, CHUNK):
            yield data[start:min(start + CHUNK, end)]

    def _data_offset(self, header: bytes) -> int:
        if len(header) < _LOCAL_HEADER.size:
            raise damaged(self.filename)
        signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if signature != b"PK\x03\x04":
            raise damaged(self.filename)
        return _LOCAL_HEADER.size + name_length + extra_length


_DONE = object()


def _prefetched(chunks: Iterator[bytes], ahead: int = 4) -> Iterator[bytes]:
    """The same chunks, produced by a helper thread at most `ahead` chunks before they are asked for."""
    ready: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def offer(item: object) -> bool:
        """Hand `item` over unless the reader has stopped; never blocks for good."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not offer(chunk):
                    return
            offer(_DONE)
        except BaseException as exc:  # handed over to the reader, who raises it
            offer(exc)
        finally:
            chunks.close()

    helper = threading.Thread(target=produce, name="inflate-part", daemon=True)
    helper.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        helper.join()


def check_extent(extent: Extent, filename: str, limits: ReadLimits, where: str) -> None:
    """Refuse a sheet whose rectangle is over the limits, before anything stores it."""
    if extent.rows > limits.max_rows:
        raise too_many_rows(filename, limits, where)
    if extent.columns > limits.max_columns:
        raise too_many_columns(filename, limits, where)
    if extent.rows * extent.columns > limits.max_cells:
        raise too_many_cells(filename, limits, where)


# --- XML entities ---------------------------------------------------------------------------------

_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")


def _refuse_entities(head: bytes, part: str, filename: str) -> None:
    """Refuse a part whose XML prolog has a DOCTYPE: entity declarations can expand to gigabytes."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:2] == b"\x00" or head[:1] == b"\x00":
        head = head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    root = _ROOT_ELEMENT.search(head)
    prolog = head[: root.start()] if root else head
    xml_without_root = root is None and len(head) >= CHUNK and head.lstrip()[:1] == b"<"
    # A prolog longer than a chunk is not written by any program; it could hide a DOCTYPE past what is looked at.
    if xml_without_root or b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise SpreadsheetError(_(
            "%(file)s is damaged or unsafe: its part %(part)s declares XML entities (a DOCTYPE), which no "
            "spreadsheet program writes. Open it in Excel or LibreOffice, save it again and upload the new copy.",
            file=filename, part=part))


# --- worksheet extent: .xlsx ----------------------------------------------------------------------

_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\s+ref\s*=\s*["'](?:[A-Za-z]+[0-9]+:)?([A-Za-z]+)([0-9]+)["']""")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData[\s>/]")
# A cell tag with a namespace prefix (<x:c ...>): rare, and read the exact way.
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
_CANONICAL_REF = re.compile(rb' r="([A-Za-z]+)([0-9]+)"')
# The exact way: every cell and row start tag, and its r attribute wherever it is.
_TAG = re.compile(rb"<(?:[\w.-]+:)?(c|row)((?:\s[^>]*?)?)(/?)>|</(?:[\w.-]+:)?row\s*>")
_R_ATTRIBUTE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_REF = re.compile(rb"([A-Za-z]*)([0-9]*)")


def _column_number(letters: bytes) -> int:
    return column_index(letters.decode("ascii").upper()) + 1 if letters else 0


class _Unusual(Exception):
    """A cell whose position the fast path cannot read: the part goes through the exact path."""


def _xlsx_extent(open_chunks: Callable[[], Iterator[bytes]], limits: ReadLimits) -> Extent:
    """The last row and column of the cells a worksheet part holds, read without parsing each cell in Python.

    python-calamine places a cell by its r attribute (A1), or after the cell
    before it when it has none. Fast path: one pattern, built from the
    sheet's <dimension>, skips every cell whose tag starts with an r inside
    the dimension (all of them, in a well-formed sheet) and stops at the
    others; those with a plain r beyond it are read exactly. A cell without
    an r first in its tag (or written unusually, or with a namespace prefix),
    or a dimension so large that its bounds alone would refuse the sheet,
    sends the part through the exact path: every cell and row tag in order.
    """
    try:
        matched, shape = _fast_extent(open_chunks())
    except _Unusual:
        rows = _rows_at_least(open_chunks(), limits)
        if rows > limits.max_rows:
            return Extent(rows, 1)  # refused without the exact path's Python-level look at every tag
        return _exact_extent(open_chunks(), limits)
    if shape is None or not _within(matched, limits):
        return matched  # no cells, or the positions read exactly are enough to refuse the sheet
    extent = Extent(max(matched.rows, shape.row_bound), max(matched.columns, shape.column_bound))
    if matched.rows >= 10 ** (shape.row_digits - 1):
        extent.rows = matched.rows  # every unmatched row has fewer digits than this one
    return extent if _within(extent, limits) else _exact_extent(open_chunks(), limits)


def _fast_extent(chunks: Iterator[bytes]) -> tuple[Extent, _FastShape | None]:
    matched = Extent()
    shape: _FastShape | None = None
    carry = b""
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)
        text = carry + chunk
        if shape is None:
            shape = _fast_shape(text)
        # The end of a chunk that another follows is scanned with that one (a tag may be cut there).
        stop = len(text) if following is None else max(0, len(text) - _CARRY)
        if _PREFIXED_CELL.search(text, 0, stop):
            raise _Unusual
        for match in shape.pattern.finditer(text, 0, stop):
            ref = _CANONICAL_REF.match(text, match.start() + 2)
            if ref is None:
                raise _Unusual
            matched.add(int(ref.group(2)), _column_number(ref.group(1)))
        carry = text[stop:]
        chunk = following
    return matched, shape


@dataclass(frozen=True)
class _FastShape:
    pattern: re.Pattern[bytes]
    row_digits: int  # cells whose row has at least this many digits are matched
    row_bound: int  # the row of every unmatched cell is at most this
    column_bound: int  # the column of every unmatched cell is at most this


def _fast_shape(head: bytes) -> _FastShape:
    """The pattern of a cell tag that is not simply inside the declared dimension (every cell, without one)."""
    data_start = _SHEET_DATA.search(head)
    match = _DIMENSION.search(head, 0, data_start.start() if data_start else len(head))
    letters, digits = (match.group(1).upper(), match.group(2).lstrip(b"0")) if match else (b"", b"")
    if not letters:
        inside, column_bound = b"(?!)", 0
    elif len(letters) == 1:
        inside, column_bound = b"[A-" + letters + b"]", _column_number(letters)
    else:
        # fewer letters than the dimension's last column: within it whatever they are
        inside = rb"[A-Z]{1,%d}+" % (len(letters) - 1)
        column_bound = sum(26 ** n for n in range(1, len(letters)))
    row_digits = max(1, len(digits))
    boring = inside + rb"[0-9]{1,%d}+" % (row_digits - 1) if row_digits > 1 else b"(?!)"
    pattern = re.compile(rb'<c(?! r="' + boring + rb'")[\s/>]')
    return _FastShape(pattern, row_digits, 10 ** (row_digits - 1) - 1, column_bound)


def _within(extent: Extent, limits: ReadLimits) -> bool:
    return (extent.rows <= limits.max_rows and extent.columns <= limits.max_columns
            and extent.rows * extent.columns <= limits.max_cells)


_WHITESPACE = bytes.maketrans(b"\t\r\n", b"   ")


def _rows_at_least(chunks: Iterator[bytes], limits: ReadLimits) -> int:
    """A number of rows the sheet has at least, counted at memory speed; stops once it is over the limit.

    Where no tag has a position attribute, each row end moves to the next row,
    so counting them is exact; a chunk with a position in it starts the count
    again from nothing, which keeps it a lower bound.
    """
    rows = most = 0
    for chunk in chunks:
        text = chunk.translate(_WHITESPACE)
        if b" r=" in text or b" r " in text:
            rows = 0
        else:
            rows += text.count(b"</row>")  # other spellings of the end tag go uncounted: still a lower bound
        most = max(most, rows)
        if most > limits.max_rows:
            break
    return most


def _exact_extent(chunks: Iterator[bytes], limits: ReadLimits) -> Extent:
    """Every cell and row tag in order, placed as python-calamine places them: by r, else after the one before.

    Stops as soon as the extent is over a limit: the caller refuses it then.
    """
    extent = Extent()
    row, column = 1, 1  # 1-based: the next row, the next column
    carry = b""
    for chunk in chunks:
        text = carry + chunk
        end = 0
        for match in _TAG.finditer(text):
            end = match.end()
            name = match.group(1)
            if name is None:  # </row>
                row, column = row + 1, 1
                continue
            attribute = _R_ATTRIBUTE.search(match.group(2))
            letters, digits = _REF.match(attribute.group(1)).groups() if attribute else (b"", b"")
            if name == b"row":
                if digits:
                    row = int(digits)
                column = 1
                if match.group(3):  # <row/> ends itself
                    row += 1
                continue
            if digits or letters:
                row = int(digits) if digits else row
                column = _column_number(letters) or column
            extent.add(row, column)
            column += 1
        if not _within(extent, limits):
            return extent
        carry = text[end:] if len(text) - end < CHUNK else text[-_CARRY:]
    return extent


def _chain_first(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield head
    yield from rest


# --- worksheet extent: .xlsb ----------------------------------------------------------------------

_XLSB_ROW = 0  # BrtRowHdr: the row index (u32) comes first
_XLSB_CELLS = frozenset(range(1, 14)) | {62}  # BrtCellBlank ... BrtFmlaError, BrtCellRString: the column (u32) first


def _xlsb_extent(chunks: Iterator[bytes]) -> Extent:
    """Rows and columns of an .xlsb worksheet from its binary records (a record: id, size, payload)."""
    extent = Extent()
    buffer = b""
    row = 0
    for chunk in chunks:
        buffer += chunk
        position = 0
        while True:
            header = _xlsb_header(buffer, position)
            if header is None:
                break
            record, size, start = header
            if start + size > len(buffer):
                break
            if record == _XLSB_ROW and size >= 4:
                row = int.from_bytes(buffer[start:start + 4], "little")
            elif record in _XLSB_CELLS and size >= 4:
                extent.add(row + 1, int.from_bytes(buffer[start:start + 4], "little") + 1)
            position = start + size
        buffer = buffer[position:]
    return extent


def _xlsb_header(data: bytes, position: int) -> tuple[int, int, int] | None:
    """(record id, payload size, payload start) at `position`, None when the header is not all there yet."""
    values = []
    for length in (2, 4):  # an id takes at most 2 bytes, a size at most 4, 7 bits each
        value = shift = 0
        for index in range(length):
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


def describe_extent(extent: Extent) -> str:
    """A rectangle as Excel names it: A1:D1000001."""
    if not extent.rows or not extent.columns:
        return "A1"
    return f"A1:{column_letter(extent.columns - 1)}{extent.rows}"
