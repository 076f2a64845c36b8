"""How much of an upload the readers will unpack and read before they refuse it.

An upload is bounded in bytes (MAX_CONTENT_LENGTH), but not what it expands
to: a 7 MB .xlsx can hold 1.5 GB of sheet XML (a zip bomb), a 1 KB one can
name cells A1 and XFD1048576, which python-calamine would store as a dense
17-billion-cell range, and a 10 MB CSV can hold a line of a million columns.
Every reader checks these limits before it builds anything in proportion to
the file, and refuses with `LimitExceeded`, whose message names the limit.

The limits are plain numbers passed in by the caller (importers take them
from the app's configuration, see crmproject.config), so this package stays
free of Flask.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmproject.i18n import _

from ._errors import SpreadsheetError

MB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Limits on what one spreadsheet may unpack to and how much of it is read.

    `max_rows`, `max_columns` and `max_cells` bound every sheet read (for a
    workbook, the rectangle from A1 to its last used cell, which is what
    python-calamine holds in memory; `max_cells` also bounds the cell records
    of a sheet and the different texts a workbook shares between its cells);
    `max_cell_chars` bounds one CSV field (and twice it one CSV record).
    The package limits bound a zip package (.xlsx, .xlsm, .xlsb, .ods): the
    unpacked size of each part, of all parts together, and how many times
    larger than its compressed size a part may be (parts under 1 MB unpacked
    are not held to the ratio: small XML compresses very well).
    `max_sheet_data_bytes` bounds what python-calamine builds its sheets from,
    and so its memory: the sheets read (their XML or records), the shared
    strings, and the shared strings' text once more for every cell that shows
    one (python-calamine copies it into each). It uses about two bytes of
    memory per byte of that (benchmarks/hostile_uploads.py measures it).
    With `probe_memory_bytes` (0: off), open_workbook also has python-calamine
    read a workbook first in a forked child limited to that much more memory
    and `probe_seconds` (crmproject.spreadsheets._probe): a second line of
    defence, for the general importers.
    """

    max_rows: int = 250_000
    max_columns: int = 16_384
    max_cells: int = 2_500_000
    max_cell_chars: int = 131_072
    max_part_bytes: int = 64 * MB
    max_unpacked_bytes: int = 256 * MB
    max_compression_ratio: int = 100
    max_sheet_data_bytes: int = 64 * MB
    probe_memory_bytes: int = 0
    probe_seconds: float = 15.0

    @property
    def max_record_chars(self) -> int:
        """Characters of one CSV record: twice those of one field."""
        return 2 * self.max_cell_chars

    @classmethod
    def from_config(cls, config, *, usage: bool = False) -> ReadLimits:
        """The limits set in an app's configuration; `usage` for CRM usage exports, which are larger."""
        prefix = "USAGE_IMPORT_" if usage else "SPREADSHEET_"
        return cls(
            max_rows=int(config[prefix + "MAX_ROWS"]),
            max_columns=int(config["SPREADSHEET_MAX_COLUMNS"]),
            max_cells=int(config[prefix + "MAX_CELLS"]),
            max_cell_chars=int(config["SPREADSHEET_MAX_CELL_CHARS"]),
            max_part_bytes=int(config[prefix + "MAX_UNPACKED_PART_MB"]) * MB,
            max_unpacked_bytes=int(config[prefix + "MAX_UNPACKED_MB"]) * MB,
            max_compression_ratio=int(config["SPREADSHEET_MAX_COMPRESSION_RATIO"]),
            max_sheet_data_bytes=int(config[prefix + "MAX_SHEET_DATA_MB"]) * MB,
            probe_memory_bytes=0 if usage else int(config["SPREADSHEET_PROBE_MEMORY_MB"]) * MB,
            probe_seconds=float(config["SPREADSHEET_PROBE_SECONDS"]),
        )


USAGE_LIMITS = ReadLimits(max_rows=2_000_000, max_cells=10_000_000, max_part_bytes=512 * MB,
                          max_unpacked_bytes=1024 * MB, max_sheet_data_bytes=512 * MB)
"""The defaults for CRM usage exports: a million events of eight columns pass (the sheet XML of a million
events of four columns is about 170 MB)."""


class LimitExceeded(SpreadsheetError):
    """A file over one of the ReadLimits; the message names the limit."""


def number(value: int) -> str:
    """A count as people read it in messages: 16,384."""
    return f"{value:,}"


def megabytes(size: int) -> str:
    """A size in whole megabytes, gigabytes with one decimal from 1,024 MB up, kilobytes (at least 1) under 1 MB."""
    if size >= 1024 * MB:
        return _("%(n).1f GB", n=size / (1024 * MB))
    if size < MB:
        return _("%(n)s KB", n=number(max(1, round(size / 1024))))
    return _("%(n)s MB", n=number(round(size / MB)))


def too_many_rows(filename: str, limits: ReadLimits, where: str | None = None) -> LimitExceeded:
    return LimitExceeded(_(
        "%(where)s has more than %(limit)s rows; the limit is %(limit)s rows. "
        "Split the file, or import only the rows you need.",
        where=where or filename, limit=number(limits.max_rows)))


def too_many_columns(filename: str, limits: ReadLimits, where: str | None = None, row: int | None = None) -> LimitExceeded:
    if row is not None:
        return LimitExceeded(_(
            "%(where)s has more than %(limit)s columns in row %(row)s; the limit is %(limit)s columns.",
            where=where or filename, limit=number(limits.max_columns), row=number(row)))
    return LimitExceeded(_(
        "%(where)s has more than %(limit)s columns; the limit is %(limit)s columns.",
        where=where or filename, limit=number(limits.max_columns)))


def too_many_cells(filename: str, limits: ReadLimits, where: str | None = None) -> LimitExceeded:
    return LimitExceeded(_(
        "%(where)s has more than %(limit)s cells; the limit is %(limit)s cells. "
        "Delete what lies below and to the right of your table (in Excel: select those rows and columns and "
        "delete them, then save), or split the file.",
        where=where or filename, limit=number(limits.max_cells)))


def too_many_texts(filename: str, limits: ReadLimits, part: str) -> LimitExceeded:
    return LimitExceeded(_(
        "%(file)s holds more than %(limit)s different texts (its part %(part)s); the limit is %(limit)s, "
        "as for cells.", file=filename, limit=number(limits.max_cells), part=part))


def too_much_sheet_data(filename: str, limits: ReadLimits) -> LimitExceeded:
    return LimitExceeded(_(
        "%(file)s holds more than %(limit)s of sheet data once unpacked (the sheets read, their shared texts, "
        "and each shared text again for every cell that shows it); the limit is %(limit)s. "
        "Split the file, or delete the sheets and columns you do not import.",
        file=filename, limit=megabytes(limits.max_sheet_data_bytes)))
