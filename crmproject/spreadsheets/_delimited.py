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
from .limits import ReadLimits, number, too_many_cells, too_many_columns, too_many_rows

DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 64 * 1024
# C0 control characters no text file holds (tab, line breaks, form feed and DOS end-of-file aside).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)\r?\n")


def decode(data: bytes, filename: str = "") -> tuple[str, str]:
    """The text and the name of its encoding, as crmproject.spreadsheets.encoding detects it.

    Raises SpreadsheetError naming the line where the file stops being valid
    text in that encoding (the detector reads the first part of a large file).
    """
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SpreadsheetError(_(
            "%(file)s is not valid %(encoding)s text at line %(line)s. Save it again as UTF-8 "
            "(in Excel: CSV UTF-8) and upload the new copy.",
            file=filename or _("The file"), encoding=describe(encoding), line=number(line))) from None


def looks_binary(text: str) -> bool:
    """True when the decoded text holds control characters no text file has."""
    return _BINARY_CHARACTERS.search(text[:_SAMPLE_CHARS]) is not None


def split_separator_line(text: str) -> tuple[str | None, str]:
    """Excel's optional first line `sep=;`: the delimiter it names and the text after it."""
    match = _EXCEL_SEPARATOR_LINE.match(text)
    if match and match.group(1) in DELIMITERS:
        return match.group(1), text[match.end() :]
    return None, text


def detect_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that csv.Sniffer finds in the first lines; else the commonest in line one."""
    sample = text[:_SAMPLE_CHARS]
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


def may_have_long_lines(binary: IO[bytes], longest: int) -> bool:
    """False when no line of the file can be `longest` bytes long, found at memory speed without splitting lines.

    Every aligned window of `longest // 2` bytes holding a line break means no
    line reaches `longest` bytes (such a line would cover a whole window), so
    it cannot hold `longest` delimiters either. Reads `binary` to its end.
    """
    half = max(1, longest // 2)
    block_size = half * max(1, (1 << 20) // half)
    while block := binary.read(block_size):
        for start in range(0, len(block) - half + 1, half):
            if block.find(b"\n", start, start + half) == -1:
                return True
    return False


def guarded_lines(lines: Iterable[str], delimiter: str, limits: ReadLimits, filename: str) -> Iterator[str]:
    """The physical lines of a CSV, refusing one with more delimiters than columns allowed before csv splits it.

    Delimiters inside quotes are counted too, so this errs on the safe side;
    a line shorter than the column limit cannot exceed it and costs one len().
    """
    most = limits.max_columns
    for number_, line in enumerate(lines, start=1):
        if len(line) > most and line.count(delimiter) >= most:
            raise too_many_columns(filename, limits, row=number_)
        yield line


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

    Stops with LimitExceeded past `limits` (rows, columns, cells).
    """
    limits = limits or ReadLimits()
    set_field_limit(limits)
    lines = guarded_lines(io.StringIO(text, newline=""), delimiter, limits, filename)
    reader = csv.reader(lines, delimiter=delimiter)
    cells = 0
    for number_, record in enumerate(reader, start=1):
        if number_ > limits.max_rows:
            raise too_many_rows(filename, limits)
        if len(record) > limits.max_columns:  # a record that a quoted line break spread over several lines
            raise too_many_columns(filename, limits, row=number_)
        cells += len(record)
        if cells > limits.max_cells:
            raise too_many_cells(filename, limits)
        yield Row(number_, [value if value != "" else None for value in record])
