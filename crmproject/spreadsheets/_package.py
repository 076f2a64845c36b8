"""Zip packages (.xlsx, .xlsm, .xlsb, .ods) checked before python-calamine or ElementTree touch them.

python-calamine trusts what a package says: it inflates a part as far as the
data goes, it stores a worksheet as a dense rectangle from its first to its
last cell (two cells at A1 and XFD1048576 make it ask for 550 GB and abort
the process), it keeps every shared string and copies one into every cell
that shows it, and it reserves room for as many shared strings as the part
announces. Before it opens a package, `PackageGuard` checks:

  - each part's declared unpacked size, their total, and the compression
    ratio of parts over 1 MB, against ReadLimits (the message names the
    sheet the part holds, where it holds one);
  - each part's real unpacked size, by inflating the raw data in bounded
    chunks (never trusting the header), stopping past what it declares; a
    part that declares XML entities (a DOCTYPE) is refused;
  - the shared strings: how many (at most max_cells), how many announced,
    and how long the longest is;
  - for a worksheet, before python-calamine loads it, the rectangle it spans
    (rows, columns and cells) and its cell records (crmproject.spreadsheets
    ._sheet_xml for .xlsx, ._xlsb for .xlsb), and what python-calamine
    builds from it: the sheet data of every sheet loaded, with the shared
    text it copies into their cells, stays within max_sheet_data_bytes.
"""

from __future__ import annotations

import io
import posixpath
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

from crmproject.i18n import _

from ._errors import SpreadsheetError
from ._sheet_xml import Malformed, SharedStrings, copied_text_bytes, measure_shared_strings, measure_sheet
from ._xlsb import measure_binary_sheet, measure_binary_strings
from .cells import Extent, column_letter
from .limits import (
    LimitExceeded, ReadLimits, megabytes, number, too_many_cells, too_many_columns, too_many_rows, too_many_texts,
    too_much_sheet_data,
)

CHUNK = 1024 * 1024
RATIO_EXEMPT = 1024 * 1024  # small parts compress far better than data does; only bigger ones are held to the ratio
MAX_XML_PART = 16 * 1024 * 1024  # parts parsed whole with ElementTree (relationships, workbook, manifest)
_LOCAL_HEADER = struct.Struct("<4s22xHH")
PREFETCH_FROM = 8 * 1024 * 1024  # parts larger than this are inflated a few chunks ahead, in a helper thread

__all__ = ["Extent", "PackageGuard", "check_extent", "damaged", "describe_extent"]


def damaged(name: str) -> SpreadsheetError:
    return SpreadsheetError(_(
        "%(file)s is damaged or incomplete and cannot be read. "
        "Open it in Excel or LibreOffice, save it again and upload the new copy.",
        file=name,
    ))


def is_shared_strings(name: str) -> bool:
    """A part python-calamine may read as an .xlsx's shared strings (it finds them by name or relationship)."""
    return "sharedstrings" in posixpath.basename(name).lower()


class PackageGuard:
    """A zip package whose parts are checked against the limits before python-calamine reads them.

    The declared sizes are checked by `check_sizes` (called once the sheet
    names are known, so a message can name the sheet; any reading of a
    part's data calls it first); parts are verified as they are about to be
    read. `sheet_data` counts what python-calamine builds sheets from.
    """

    def __init__(self, source: Path | bytes, filename: str, limits: ReadLimits) -> None:
        self.source = source
        self.filename = filename
        self.limits = limits
        self._verified: set[str] = set()
        self._sizes_checked = False
        self.sheet_data = 0
        self.shared_strings: SharedStrings | None = None
        try:
            self.archive = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
            self._infos = self.archive.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise damaged(filename) from exc
        for info in self._infos:
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise damaged(filename)  # encrypted parts or compression no spreadsheet program writes

    def check_sizes(self, described: Mapping[str, str] | None = None) -> None:
        """Refuse the package if a part is declared too large or too tightly packed, or all of them too large.

        `described` says what a part holds in words users know ("its sheet
        Plan (part xl/worksheets/sheet1.xml)"), for the message.
        """
        if self._sizes_checked:
            return
        limits, total = self.limits, 0
        for info in self._infos:
            where = self._part(info.filename, described)
            if info.file_size > limits.max_part_bytes:
                raise LimitExceeded(_(
                    "%(file)s is too large once unpacked: %(part)s unpacks to %(size)s; the limit for one part is "
                    "%(limit)s.", file=self.filename, part=where, size=megabytes(info.file_size),
                    limit=megabytes(limits.max_part_bytes)))
            total += info.file_size
            if total > limits.max_unpacked_bytes:
                raise LimitExceeded(_(
                    "%(file)s unpacks to more than %(limit)s; the limit is %(limit)s.",
                    file=self.filename, limit=megabytes(limits.max_unpacked_bytes)))
            if info.file_size > RATIO_EXEMPT and info.file_size > limits.max_compression_ratio * max(1, info.compress_size):
                raise LimitExceeded(_(
                    "%(file)s is compressed %(ratio)s times (%(part)s unpacks from %(packed)s to %(size)s); "
                    "the limit is %(limit)s times. Files packed this tightly are built to exhaust memory.",
                    file=self.filename, ratio=number(info.file_size // max(1, info.compress_size)), part=where,
                    packed=megabytes(info.compress_size), size=megabytes(info.file_size),
                    limit=number(limits.max_compression_ratio)))
        self._sizes_checked = True

    @staticmethod
    def _part(name: str, described: Mapping[str, str] | None) -> str:
        return (described or {}).get(name) or _("its part %(part)s", part=name)

    def has(self, name: str) -> bool:
        return name in self.archive.NameToInfo

    def names(self) -> list[str]:
        return [info.filename for info in self._infos if not info.is_dir()]

    def size(self, name: str) -> int:
        return self.archive.getinfo(name).file_size

    def read(self, name: str, *, whole_part: bool = False) -> bytes:
        """A part, inflated within limits and returned whole.

        Parts parsed with ElementTree (relationships, the workbook part) must
        be under 16 MB and may be read before the sizes are checked;
        `whole_part` allows up to the part limit, for the byte-pattern scans
        of a worksheet.
        """
        info = self.archive.getinfo(name)
        if whole_part:
            self.check_sizes()
        if info.file_size > (self.limits.max_part_bytes if whole_part else MAX_XML_PART):
            raise LimitExceeded(_(
                "%(file)s is too large once unpacked: %(part)s unpacks to %(size)s; the limit for one part is "
                "%(limit)s.", file=self.filename, part=self._part(name, None), size=megabytes(info.file_size),
                limit=megabytes(self.limits.max_part_bytes if whole_part else MAX_XML_PART)))
        return b"".join(self._chunks(info))

    def chunks(self, name: str) -> Iterator[bytes]:
        """A part's bytes in chunks, inflated within its declared size."""
        self.check_sizes()
        return self._chunks(self.archive.getinfo(name))

    def verify(self, name: str, *, sheet: str | None = None, xlsx_sheet: bool = False, binary_sheet: bool = False) -> None:
        """Inflate one part within its declared size and refuse XML entities; for a worksheet, measure it.

        Raises LimitExceeded for a worksheet over the row, column or cell
        limits, or one that takes the sheet data read over its limit;
        SpreadsheetError for one python-calamine could read otherwise than
        it is measured.
        """
        self.check_sizes()
        if name in self._verified or name not in self.archive.NameToInfo:
            return
        info = self.archive.getinfo(name)
        where = _("Sheet %(sheet)s of %(file)s", sheet=sheet, file=self.filename) if sheet else self.filename
        try:
            if xlsx_sheet:
                measure = measure_sheet(lambda: self._chunks(info), self.limits)
                copied = self._copied(info, measure.string_cells)
            elif binary_sheet:
                measure = measure_binary_sheet(self._chunks(info), self.limits, self.shared_strings)
                copied = measure.copied
            else:
                for _chunk in self._chunks(info):
                    pass
                measure = None
        except Malformed as exc:
            raise damaged(self.filename) from exc
        if measure is not None:
            if measure.cells > self.limits.max_cells:
                raise too_many_cells(self.filename, self.limits, where)
            check_extent(measure.extent, self.filename, self.limits, where)
            self.add_sheet_data(info.file_size + copied)
        self._verified.add(name)

    def _copied(self, info: zipfile.ZipInfo, string_cells: int) -> int:
        """The shared text python-calamine copies into a sheet's cells: the bound, or counted cell by cell."""
        strings = self.shared_strings
        if strings is None or not string_cells:
            return 0
        bound = string_cells * strings.longest
        if self.sheet_data + info.file_size + bound <= self.limits.max_sheet_data_bytes or strings.lengths is None:
            return bound
        counted = copied_text_bytes(self._chunks(info), strings.lengths)
        return bound if counted is None else counted

    def add_sheet_data(self, size: int) -> None:
        """Count bytes python-calamine builds sheets from; refuse the file once they are over the limit."""
        self.sheet_data += size
        if self.sheet_data > self.limits.max_sheet_data_bytes:
            raise too_much_sheet_data(self.filename, self.limits)

    def verify_shared_strings(self, *, binary: bool = False) -> None:
        """Measure the shared strings python-calamine keeps when it opens an .xlsx (or .xlsb).

        Raises LimitExceeded for more strings than cells allowed (or more
        announced), and counts them as sheet data.
        """
        self.check_sizes()
        if binary:
            candidates = [name for name in ("xl/sharedStrings.bin",) if self.has(name)]
        else:
            candidates = [name for name in self.names() if is_shared_strings(name)]
        worst = SharedStrings()
        for name in candidates:
            info = self.archive.getinfo(name)
            try:
                chunks = self._chunks(info)
                found = measure_binary_strings(chunks, self.limits) if binary else measure_shared_strings(chunks, self.limits)
            except Malformed as exc:
                raise damaged(self.filename) from exc
            if max(found.count, found.declared) > self.limits.max_cells:
                raise too_many_texts(self.filename, self.limits, name)
            self.add_sheet_data(info.file_size)
            self._verified.add(name)
            worst = SharedStrings(count=max(worst.count, found.count), longest=max(worst.longest, found.longest),
                                  lengths=found.lengths if len(candidates) == 1 else None)
        self.shared_strings = worst if candidates else None

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

    def _inflate(self, info: zipfile.ZipInfo) -> Generator[bytes, None, None]:
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

    def _raw(self, info: zipfile.ZipInfo) -> Iterator[bytes | memoryview]:
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


def _prefetched(chunks: Generator[bytes, None, None], ahead: int = 4) -> Generator[bytes, None, None]:
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


def describe_extent(extent: Extent) -> str:
    """A rectangle as Excel names it: A1:D1000001."""
    if not extent.rows or not extent.columns:
        return "A1"
    return f"A1:{column_letter(extent.columns - 1)}{extent.rows}"
