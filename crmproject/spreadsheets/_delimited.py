"""Delimited text (CSV, semicolon- or tab-separated): encoding and delimiter detection."""

from __future__ import annotations

import codecs
import csv
from collections import Counter
import io
import re
from collections.abc import Iterator

from .cells import Row

DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 control characters no text file holds (tab, line breaks, form feed and DOS end-of-file aside).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")
_EXCEL_SEPARATOR_LINE = re.compile(r"sep=(.)\r?\n")


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: a BOM wins, then UTF-16 without BOM, UTF-8, cp1252, latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    utf16 = _utf16_without_bom(data)
    for encoding in ((utf16,) if utf16 else ()) + ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    # latin-1 maps every byte, so it never fails; the binary check catches files that are not text at all.
    return data.decode("latin-1"), "latin-1"


def _utf16_without_bom(data: bytes) -> str | None:
    """utf-16-le/-be when most bytes at odd/even positions are NUL, as in mostly-ASCII UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    half = len(sample) // 2
    if sample[1::2].count(0) > 0.9 * half and sample[0::2].count(0) == 0:
        return "utf-16-le"
    if sample[0::2].count(0) > 0.9 * half and sample[1::2].count(0) == 0:
        return "utf-16-be"
    return None


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


def iter_records(text: str, delimiter: str) -> Iterator[Row]:
    """Records as rows numbered from 1, the way Excel shows the file (a quoted line break stays in its cell)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, record in enumerate(reader, start=1):
        yield Row(number, [value if value != "" else None for value in record])
