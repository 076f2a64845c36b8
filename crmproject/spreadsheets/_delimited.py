"""Delimited text (CSV, semicolon- or tab-separated): decoding, delimiter detection, records within limits."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO

from crmproject.i18n import _

from ._errors import SpreadsheetError
from .cells import Row
from .encoding import describe, detect_encoding
from .limits import LimitExceeded, ReadLimits, number, too_many_cells, too_many_columns, too_many_rows

DELIMITERS = ",;\t|"
SAMPLE_CHARS = 64 * 1024
# C0 control characters no text file holds (tab, line breaks, form feed and DOS end-of-file aside).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)\r?\n")


def decode(data: bytes, filename: str = "", encoding: str | None = None) -> tuple[str, str]:
    """The text and the name of its encoding: the one given, or as crmproject.spreadsheets.encoding detects it.

    Raises SpreadsheetError naming the line where the file stops being valid
    text in that encoding (the detector reads the first part of a large file).
    """
    encoding = encoding or detect_encoding(data)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise not_valid_text(data, exc, encoding, filename) from None


def not_valid_text(data: bytes, exc: UnicodeDecodeError, encoding: str, filename: str) -> SpreadsheetError:
    """The message for bytes `data` that stop being valid text in `encoding` where `exc` says: it names the line."""
    line = data.count(b"\n", 0, exc.start) + 1
    return SpreadsheetError(_(
        "%(file)s is not valid %(encoding)s text at line %(line)s. Choose its encoding, or save it again as UTF-8 "
        "(in Excel: CSV UTF-8) and upload the new copy.",
        file=filename or _("The file"), encoding=describe(encoding), line=number(line)))


_FOREIGN_MAGIC = ((b"%PDF-", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"))


def check_foreign(head: bytes, filename: str) -> None:
    """Refuse a file whose first bytes show it is a PDF or an image."""
    for magic, kind in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise SpreadsheetError(_("%(file)s is not a spreadsheet: it is a %(kind)s file.", file=filename, kind=kind))


def check_text(sample: str, filename: str) -> None:
    """Refuse decoded text that is no table: nothing in it, control characters no text has, a web page or XML."""
    if not sample.strip(" \t\r\n\ufeff\x00"):
        raise SpreadsheetError(_("%(file)s is empty.", file=filename))
    if looks_binary(sample):
        raise SpreadsheetError(_("%(file)s is not a spreadsheet.", file=filename))
    if sample.lstrip(" \t\r\n\ufeff").startswith("<"):
        raise SpreadsheetError(_(
            "%(file)s is a web page or XML file, not a spreadsheet. "
            "Open it in Excel or LibreOffice and save it as .xlsx or .csv.", file=filename))


def looks_binary(text: str) -> bool:
    """True when the decoded text holds control characters no text file has."""
    return _BINARY_CHARACTERS.search(text[:SAMPLE_CHARS]) is not None


def split_separator_line(text: str) -> tuple[str | None, str]:
    """Excel's optional first line `sep=;`: the delimiter it names and the text after it."""
    match = _EXCEL_SEPARATOR_LINE.match(text)
    if match and match.group(1) in DELIMITERS:
        return match.group(1), text[match.end() :]
    return None, text


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that csv.Sniffer finds in the first lines; else the commonest in line one."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > len(sample):
        # A cut record misleads the sniffer; keep whole lines.
        sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # Title lines above the table confuse the sniffer: take the delimiter that splits
        # the most lines into the same number of fields.
        lines = [line for line in sample.splitlines() if line.strip()]
        best, best_score = ",", (0, 0)
        for delimiter in DELIMITERS:
            counts = Counter(line.count(delimiter) for line in lines if line.count(delimiter))
            if counts:
                fields, lines_agreeing = counts.most_common(1)[0]
                if (lines_agreeing, fields) > best_score:
                    best, best_score = delimiter, (lines_agreeing, fields)
        return best


def needs_record_guard(binary: IO[bytes], longest: int) -> bool:
    """Whether a record of the file could hold more than `longest` delimiters, found at memory speed.

    A record spreads over several lines only through quoted line breaks, so
    a file without a quotation mark has records no longer than its lines;
    and every aligned window of `longest // 2` bytes holding a line break
    means no line reaches `longest` bytes (such a line would cover a whole
    window). Reads `binary` to its end.
    """
    half = max(1, longest // 2)
    block_size = half * max(1, (1 << 20) // half)
    while block := binary.read(block_size):
        if b'"' in block:
            return True
        for start in range(0, len(block) - half + 1, half):
            if block.find(b"\n", start, start + half) == -1:
                return True
    return False


def bounded_records(lines: Iterable[str], delimiter: str, limits: ReadLimits, filename: str,
                    where: str | None = None, first_row: int = 1) -> Iterator[list[str]]:
    """csv records of `lines`, each refused while it is read once it holds too many delimiters or characters.

    A record is counted across all the lines csv reads for it (a quoted line
    break spreads one over many short lines), before csv builds its list of
    fields; delimiters inside quotes count too, which errs on the safe side.
    LimitExceeded names the limit and the record's row (the first record's is `first_row`).
    """
    most_delimiters, most_characters = limits.max_columns, limits.max_record_chars
    state = [0, 0, first_row]  # delimiters and characters read for the record under way, and its row

    def feed() -> Iterator[str]:
        for line in lines:
            state[0] += line.count(delimiter)
            state[1] += len(line)
            if state[0] >= most_delimiters:
                raise too_many_columns(filename, limits, where, row=state[2])
            if state[1] > most_characters:
                raise LimitExceeded(_(
                    "%(where)s has a record of more than %(limit)s characters in row %(row)s (look for a quotation "
                    "mark that is never closed); the limit is %(limit)s characters for one record.",
                    where=where or filename, limit=number(most_characters), row=number(state[2])))
            yield line

    for record in csv.reader(feed(), delimiter=delimiter):
        state[0] = state[1] = 0
        state[2] += 1
        yield record


def field_size_error(exc: csv.Error, filename: str, row: int, limits: ReadLimits) -> SpreadsheetError | None:
    """The message for csv's "field larger than field limit", None for other csv errors."""
    if "field limit" not in str(exc):
        return None
    return SpreadsheetError(_(
        "%(file)s is not valid CSV after row %(row)s: look for a quotation mark that is never closed. It makes "
        "what follows one cell, longer than %(limit)s characters; the limit is %(limit)s characters.",
        file=filename, limit=number(limits.max_cell_chars), row=number(row)))


def set_field_limit(limits: ReadLimits) -> None:
    """csv's field size limit is one setting for the process; every reader sets the configured one."""
    if csv.field_size_limit() != limits.max_cell_chars:
        csv.field_size_limit(limits.max_cell_chars)


def iter_records(text: str, delimiter: str, limits: ReadLimits | None = None, filename: str = "") -> Iterator[Row]:
    """Records as rows numbered from 1, the way Excel shows the file (a quoted line break stays in its cell).

    Stops with LimitExceeded past `limits` (rows, columns, cells, characters of a record) while reading.
    """
    limits = limits or ReadLimits()
    set_field_limit(limits)
    cells = 0
    records = bounded_records(io.StringIO(text, newline=""), delimiter, limits, filename)
    for number_, record in enumerate(records, start=1):
        if number_ > limits.max_rows:
            raise too_many_rows(filename, limits)
        cells += len(record)
        if cells > limits.max_cells:
            raise too_many_cells(filename, limits)
        yield Row(number_, [value if value != "" else None for value in record])
