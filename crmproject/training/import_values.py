"""The value of a training cell: a status word or mark, a date (completed that day), a score (completed with it),
or a day offset from the course start (the OULAD data set's dates)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from crmproject.i18n import _
from crmproject.spreadsheets import CellError, CellValue, is_blank, parse_date, parse_percent, parse_text
from crmproject.training.models import EnrolmentStatus


def text_key(text: str) -> str:
    """A name compared as people mean it: case and spacing aside."""
    return " ".join(text.split()).casefold()


# The words of a status cell, compared without case or extra spaces.
STATUS_WORDS: dict[EnrolmentStatus, tuple[str, ...]] = {
    EnrolmentStatus.COMPLETED: ("completed", "complete", "done", "passed", "pass", "distinction", "finished", "trained",
                                "certified", "attended", "yes", "y", "x", "✓", "✔", "☑", "✅", "true"),
    EnrolmentStatus.IN_PROGRESS: ("in progress", "in-progress", "started", "ongoing", "in training", "attending", "partial",
                                  "partly done", "failed", "fail", "incomplete", "retake"),
    EnrolmentStatus.NOT_STARTED: ("not started", "not yet started", "to do", "todo", "enrolled", "registered", "booked",
                                  "scheduled", "planned", "pending", "invited", "open", "no", "n", "false", "☐", "✗", "✘"),
    # left after the start: counted apart from those who have yet to start
    EnrolmentStatus.WITHDRAWN: ("withdrawn", "withdrew", "withdrawal", "dropped", "dropped out", "drop out", "dropout",
                                "drop-out", "unregistered", "deregistered", "unenrolled", "un-enrolled", "left", "quit",
                                "отчислен", "отчислена", "отчислены", "выбыл", "выбыла", "отказался", "отказалась",
                                "退出", "已退出", "退课", "已退课", "退学", "中途退出",
                                "انصراف", "انصراف داده", "منصرف شد", "ترک دوره"),
    EnrolmentStatus.WAIVED: ("waived", "waiver", "exempt", "exempted", "excused", "rpl", "prior learning"),
    # a dash in a training matrix conventionally marks a course the person does not need
    EnrolmentStatus.NOT_APPLICABLE: ("n/a", "na", "n.a.", "not applicable", "not required", "not needed", "-", "–", "—"),
}
_STATUS_BY_WORD = {word: status for status, words in STATUS_WORDS.items() for word in words}
_BOOL_WORDS = {"1": EnrolmentStatus.COMPLETED, "0": EnrolmentStatus.NOT_STARTED}
_OFFSET = re.compile(r"^[+-]?\d{1,4}$")
MAX_OFFSET = 10_000  # a whole number below this in a date column is a day offset; above, an Excel serial date


def read_result(value: CellValue, *, epoch_1904: bool = False, day_first: bool | None = None,
                ) -> tuple[EnrolmentStatus, date | None, Decimal | None]:
    """A status cell: a word or mark, a date (completed that day) or a score (completed with it).

    Raises CellError for anything else. 1 and 0 are yes and no, not scores.
    """
    if isinstance(value, bool):
        return (EnrolmentStatus.COMPLETED if value else EnrolmentStatus.NOT_STARTED), None, None
    if isinstance(value, (date, datetime)):
        return EnrolmentStatus.COMPLETED, parse_date(value), None
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return _BOOL_WORDS[str(int(value))], None, None
        return EnrolmentStatus.COMPLETED, None, score(value)
    text = parse_text(value) or ""
    word = text_key(text)
    if word in _STATUS_BY_WORD:
        return _STATUS_BY_WORD[word], None, None
    if word in _BOOL_WORDS:
        return _BOOL_WORDS[word], None, None
    if word.endswith("%") or re.fullmatch(r"[+-]?\d+(?:[.,]\d+)?", word):
        return EnrolmentStatus.COMPLETED, None, score(text)
    try:
        return EnrolmentStatus.COMPLETED, parse_date(text, epoch_1904=epoch_1904, day_first=day_first), None
    except CellError as exc:
        if exc.kind == "ambiguous_date":
            raise
    raise CellError("not_a_number", _(
        "'%(value)s' is not a status (completed, in progress, not started, withdrawn, waived, n/a), a date or a score",
        value=text))


def score(value: CellValue) -> Decimal:
    """A score from 0 to 100 (a fraction such as 0.92 or text such as "92%" or "72,5" too)."""
    found = parse_percent(value, decimal_comma=isinstance(value, str) and "," in value and "." not in value)
    if found is None or not Decimal(0) <= found <= Decimal(100):
        raise CellError("not_a_percent", _("A score runs from 0 to 100, not %(value)s.", value=parse_text(value)))
    return found.quantize(Decimal("0.01"))


def day_offset(value: CellValue) -> int | None:
    """A day offset from the course start, or None when the value is not a small whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) < MAX_OFFSET:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_OFFSET:
        return int(value)
    if isinstance(value, str) and _OFFSET.fullmatch(value.strip()):
        return int(value.strip())
    return None


def looks_like_results(values: Iterable[CellValue], *, epoch_1904: bool = False) -> tuple[bool, str | None]:
    """Whether a column's values read as training results (at least half of the filled ones), and the first
    value that does not: a column of job roles or notes is no course."""
    read = failed = 0
    example: str | None = None
    for value in values:
        if is_blank(value):
            continue
        try:
            read_result(value, epoch_1904=epoch_1904)
            read += 1
        except CellError as exc:
            if exc.kind == "ambiguous_date":
                read += 1  # a date all the same
                continue
            failed += 1
            example = example or parse_text(value)
    return read > 0 and read >= failed, example
