"""Importing a usage export: the import record, its progress, and the import itself (all or nothing).

What an import guarantees:
  - all or nothing: every row is read and checked before anything is kept;
    any problem (an unreadable time, no user column...) leaves no event and
    marks the import FAILED with a message naming rows and columns;
  - nothing counted twice: events are unique on (user, time, action,
    object), so importing the same file again, or overlapping files, adds
    only what is new;
  - every user accounted for: events of user names the roster does not know
    are kept (and matched once it does) and listed with their counts;
  - failed sign-ins are not use: they are counted in the message, not stored.

The file is read by usage_read, its rows staged by usage_staging, and
adoption recomputed for the days touched by usage_recompute.
"""

from __future__ import annotations

import gc
import json
import time as clock_time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError

from crmproject.adoption.models import ImportState, UsageEvent, UsageImport
from crmproject.adoption.usage_accounts import current_rule
from crmproject.adoption.usage_read import (
    DelimitedSource, Layout, Refused, Source, UsageFormat, UsageImportFailed, find_layout, open_source,
)
from crmproject.adoption.usage_recompute import recompute_span, rematch_unknown_events
from crmproject.adoption.usage_roster import Person, load_roster
from crmproject.adoption.usage_staging import READ_SHARE, Problems, StageSettings, StageStats, Staging, stage_rows
from crmproject.auth.models import User
from crmproject.db import rows_matched
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.spreadsheets import ReadLimits, SpreadsheetError
from crmproject.spreadsheets.encoding import describe

ProgressCallback = Callable[[int], None]

_PROGRESS_INTERVAL = 0.3  # seconds between progress writes


def resolve_timezone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; UsageImportFailed with a clear message for an unknown one."""
    try:
        return ZoneInfo((name or "").strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageImportFailed(
            _("'%(zone)s' is not a time zone: use an IANA name such as Europe/Moscow, America/New_York or UTC.",
              zone=name)
        ) from None


def default_timezone() -> str:
    """The time zone of the newest plan (naive times in exports are read in it), else UTC."""
    from crmproject.plans.models import Plan

    zone = db.session.scalar(select(Plan.timezone).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(1))
    return zone or "UTC"


def create_usage_import(*, filename: str, timezone: str, imported_by_id: int | None = None) -> UsageImport:
    """A RUNNING import record (flushed, not committed): what a progress page polls."""
    resolve_timezone(timezone)
    record = UsageImport(
        filename=(filename or "usage")[:300], timezone=timezone.strip(), imported_by_id=imported_by_id,
        state=ImportState.RUNNING, progress=0, unknown_usernames="{}", message="",
    )
    db.session.add(record)
    db.session.flush()
    return record


def import_usage(
    source: Path | bytes,
    filename: str | None = None,
    *,
    fmt: UsageFormat = "auto",
    timezone: str,
    imported_by: User | None = None,
    progress: ProgressCallback | None = None,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
) -> UsageImport:
    """Import a usage export (CSV or a workbook) and recompute adoption for the days it touches.

    Commits: first the RUNNING import record, then the events, the adoption
    snapshots and the finished record in one transaction. Raises
    UsageImportFailed (after recording the import as FAILED with the
    reason) when the file cannot be imported; then no event is kept.
    `day_first` decides how 05/03/2026 reads; by default the file's own
    dates decide (13/03/2026 proves day-first), and a date that stays
    ambiguous is reported. `progress` is called with percents. The file is
    read within `limits` (by default the configured USAGE_IMPORT_* and
    SPREADSHEET_* ones); one over them fails with a message naming the limit.
    `encoding` is a CSV file's encoding when the user chose it (detected
    otherwise); the import's message says which was used.
    """
    name = filename or (source.name if isinstance(source, Path) else "usage")
    record = create_usage_import(
        filename=name, timezone=timezone, imported_by_id=imported_by.id if imported_by is not None else None
    )
    db.session.commit()
    return run_usage_import(record.id, source, fmt=fmt, progress=progress, day_first=day_first, limits=limits,
                            encoding=encoding)


def run_usage_import(
    import_id: int,
    source: Path | bytes,
    *,
    fmt: UsageFormat = "auto",
    progress: ProgressCallback | None = None,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
) -> UsageImport:
    """Carry out the import recorded as `import_id` (see import_usage); what the background job runs."""
    return _carry_out(import_id, source, fmt=fmt, progress=progress, day_first=day_first, limits=limits,
                      encoding=encoding)[0]


def try_usage_import(
    source: Path | bytes,
    filename: str | None = None,
    *,
    fmt: UsageFormat = "auto",
    timezone: str,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
) -> dict:
    """What import_usage would do (its summary, with "dry_run": true), keeping nothing: for --dry-run.

    The file is read, checked, saved and adoption recomputed in a transaction
    that is rolled back; the import record is removed again. Raises
    UsageImportFailed (without an import id) as import_usage does.
    """
    name = filename or (source.name if isinstance(source, Path) else "usage")
    import_id = create_usage_import(filename=name, timezone=timezone).id
    db.session.commit()
    try:
        summary = _carry_out(import_id, source, fmt=fmt, day_first=day_first, limits=limits, encoding=encoding,
                             dry_run=True)[1]
    except UsageImportFailed as exc:
        raise UsageImportFailed(exc.reason) from None
    finally:
        db.session.rollback()
        db.session.execute(delete(UsageImport).where(UsageImport.id == import_id))
        db.session.commit()
    assert summary is not None
    return summary | {"id": None, "dry_run": True}


def _carry_out(
    import_id: int,
    source: Path | bytes,
    *,
    fmt: UsageFormat = "auto",
    progress: ProgressCallback | None = None,
    day_first: bool | None = None,
    limits: ReadLimits | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
) -> tuple[UsageImport, dict | None]:
    if limits is None:
        from crmproject.uploads import read_limits

        limits = read_limits(usage=True)
    record = db.session.get(UsageImport, import_id)
    if record is None:
        raise UsageImportFailed(_("There is no usage import %(id)s.", id=import_id))
    filename, zone_name = record.filename, record.timezone
    reporter = ProgressReporter(import_id, progress)
    db.session.commit()  # no transaction may stay open: the import's own must start from a fresh snapshot
    try:
        zone = resolve_timezone(zone_name)
        importer = _Importer(import_id, source, filename, fmt, zone, reporter, day_first, limits, encoding,
                             dry_run=dry_run)
        outcome = importer.run()
    except _GivenUp as exc:
        db.session.rollback()
        raise UsageImportFailed(exc.reason, import_id) from None
    except (Refused, UsageImportFailed) as exc:
        _record_failure(import_id, exc.reason)
        raise UsageImportFailed(exc.reason, import_id) from None
    except SpreadsheetError as exc:
        _record_failure(import_id, exc.message)
        raise UsageImportFailed(exc.message, import_id) from None
    except Exception:
        _record_failure(import_id, _("The import stopped because of an internal error; nothing was saved. "
                                     "Tell an administrator."))
        raise
    reporter.report(100, force=True, write=False)
    return outcome, importer.summary


def usage_import_summary(record: UsageImport) -> dict:
    """What an import did, for --json and the status endpoint."""
    unknown = json.loads(record.unknown_usernames or "{}")
    departments: list[str] = []
    if record.state == ImportState.DONE and record.events_added:
        departments = list(db.session.scalars(
            select(Department.name).where(Department.id.in_(
                select(UsageEvent.department_id).where(UsageEvent.import_id == record.id).distinct()
            )).order_by(Department.name)
        ))
    days = (record.last_day - record.first_day).days + 1 if record.first_day and record.last_day else 0
    return {
        "id": record.id,
        "file": record.filename,
        "state": record.state.value,
        "state_label": str(record.state.label),
        "progress": record.progress,
        "message": record.message,
        "timezone": record.timezone,
        "rows_read": record.rows_read,
        "events_added": record.events_added,
        "duplicates": record.duplicates,
        "unknown_events": record.unknown_events,
        "unknown_users": dict(sorted(unknown.items(), key=lambda item: (-item[1], item[0]))),
        "excluded_events": record.excluded_events,
        "excluded_accounts": json.loads(record.excluded_accounts or "{}"),
        "first_day": record.first_day.isoformat() if record.first_day else None,
        "last_day": record.last_day.isoformat() if record.last_day else None,
        "days_covered": days,
        "departments_updated": departments,
    }



class ProgressReporter:
    """Tells the callback, and writes progress to the import record in short transactions of its own.

    The writes stop once the import holds SQLite's write lock (`writable`
    False): from then on only the callback hears about progress.
    """

    def __init__(self, import_id: int, callback: ProgressCallback | None) -> None:
        self.import_id = import_id
        self.callback = callback
        self.percent = -1
        self.written_at = 0.0
        self.writable = True

    def report(self, percent: int, rows_read: int | None = None, *, force: bool = False, write: bool = True) -> None:
        percent = max(0, min(100, percent))
        if percent == self.percent and not force:
            return
        if self.callback is not None:
            self.callback(percent)
        self.percent = percent
        now = clock_time.monotonic()
        if write and self.writable and (force or now - self.written_at >= _PROGRESS_INTERVAL):
            self.written_at = now
            values: dict[str, int] = {"progress": percent}
            if rows_read is not None:
                values["rows_read"] = rows_read
            try:
                with db.engine.begin() as connection:
                    connection.execute(update(UsageImport).where(UsageImport.id == self.import_id).values(**values))
            except OperationalError:
                # Progress is a courtesy: while another import holds SQLite's write lock it waits for the next try.
                current_app.logger.info("usage import %s: progress not recorded (database busy)", self.import_id)


class _GivenUp(Exception):
    """The import's record is no longer RUNNING: a reader gave it up (its worker looked dead). It saves nothing
    and leaves the record as the reader wrote it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# A PostgreSQL import that adds this many events refreshes the planner's statistics of the tables it grew at once,
# rather than when autovacuum next looks: with stale figures the people page and the recompute read a table of
# millions as if it held the rows of last week, and chose plans a hundred times slower.
ANALYZE_AFTER_EVENTS = 50_000
ANALYSED_TABLES = ("usage_events", "adoption_snapshots", "adoption_weeks", "key_action_weeks")


def _refresh_statistics() -> None:
    """ANALYZE the tables an import grows (PostgreSQL; its own short transaction, after the import's commit)."""
    for table in ANALYSED_TABLES:
        db.session.execute(text(f"ANALYZE {table}"))
    db.session.commit()


def _record_failure(import_id: int, reason: str) -> None:
    db.session.rollback()
    db.session.execute(
        update(UsageImport).where(UsageImport.id == import_id).values(
            state=ImportState.FAILED, message=reason, events_added=0, duplicates=0, unknown_events=0,
            unknown_usernames="{}", excluded_events=0, excluded_accounts="{}",
        )
    )
    db.session.commit()



class _Importer:
    """One import: the file read into staging, checked, then published and adoption recomputed."""

    def __init__(self, import_id: int, source: Path | bytes, filename: str, fmt: UsageFormat, zone: ZoneInfo,
                 reporter: ProgressReporter, day_first: bool | None, limits: ReadLimits,
                 encoding: str | None = None, *, dry_run: bool = False) -> None:
        self.import_id = import_id
        self.dry_run = dry_run  # do everything, keep the summary, roll it all back
        self.summary: dict | None = None
        self.source = source
        self.filename = filename
        self.fmt = fmt
        self.zone = zone
        self.reporter = reporter
        self.day_first = day_first
        self.limits = limits
        self.encoding = encoding
        self.postgresql = db.engine.dialect.name == "postgresql"

    def run(self) -> UsageImport:
        with _cyclic_gc_paused():
            return self._run()

    def _run(self) -> UsageImport:
        layout = find_layout(open_source(self.source, self.filename, self.fmt, self.limits, self.encoding),
                              self.filename)
        try:
            people = load_roster()
            rule = current_rule()
            db.session.commit()  # end the read: on SQLite the write transaction must start from a fresh snapshot
        except BaseException:
            layout.release()
            raise
        staging = Staging(db.session.connection(), postgresql=self.postgresql)
        try:
            try:
                settings = StageSettings(self.filename, self.zone, self.day_first, self.postgresql, self.limits,
                                         self.reporter.report, rule)
                stats = stage_rows(layout, people, staging, settings)
            finally:
                layout.release()  # before the database needs the memory
            record = self._save(stats, staging, people, layout)
        finally:
            # before the commit or the rollback: the connection must not go back to the pool with its staging table
            staging.drop()
        if self.dry_run:
            self.summary = usage_import_summary(record)
            db.session.rollback()
            return record
        db.session.commit()
        if self.postgresql and record.events_added >= ANALYZE_AFTER_EVENTS:
            _refresh_statistics()
        return record

    def _save(self, stats: StageStats, staging: Staging, people: dict[str, Person], layout: Layout) -> UsageImport:
        """Refuse a file with problems, else move the staged rows over and recompute adoption (flushed)."""
        if stats.problems.count:
            raise Refused(self._problems_text(stats.problems, layout))
        if stats.rows == 0 and not stats.failed_logins and not stats.excluded:
            raise Refused(_("%(file)s has a header but no events below it.", file=self.filename))
        rows_read = stats.rows + stats.failed_logins + sum(stats.excluded.values()) - stats.held
        self.reporter.report(READ_SHARE, rows_read, force=True)
        self.reporter.writable = self.postgresql  # SQLite: from here the import holds the write lock
        if stats.rows:
            added, first_day, last_day = staging.publish(self.import_id, stats.rows)
        else:
            added, first_day, last_day = 0, None, None
        staging.drop()  # before the recompute, whose queries must find no statement of ours still open
        self.reporter.report(READ_SHARE + 10, write=False)
        rematched, rematched_first, rematched_last = rematch_unknown_events()
        if added or rematched:
            recompute_span(first_day, last_day, rematched_first, rematched_last)
        # Claim the record before saving: a reader may have given the import up meanwhile (its heartbeat went
        # quiet), and told the user nothing was saved; then nothing is. On PostgreSQL the row stays locked to
        # the commit, so a reader giving it up now waits and finds it DONE.
        claimed = db.session.execute(update(UsageImport).where(
            UsageImport.id == self.import_id, UsageImport.state == ImportState.RUNNING).values(state=ImportState.RUNNING))
        if rows_matched(claimed) == 0:
            given_up = db.session.scalar(select(UsageImport.message).where(UsageImport.id == self.import_id))
            raise _GivenUp(given_up or _("The import was given up before it finished; nothing was saved."))
        record = db.session.get(UsageImport, self.import_id)
        assert record is not None
        record.state = ImportState.DONE
        record.progress = 100
        record.rows_read = rows_read
        record.events_added = added
        record.duplicates = stats.rows - added
        record.unknown_events = sum(stats.unknown.values())
        record.unknown_usernames = json.dumps(
            {stats.spellings[key]: count for key, count in stats.unknown.most_common()}, ensure_ascii=False)
        record.excluded_events = sum(stats.excluded.values())
        record.excluded_accounts = json.dumps(dict(stats.excluded.most_common()), ensure_ascii=False)
        record.first_day, record.last_day = first_day, last_day
        record.message = self._notes(stats, rematched, people, layout.source)
        db.session.flush()
        return record

    def _notes(self, stats: StageStats, rematched: int, people: dict[str, Person], source: Source) -> str:
        notes = [_("Read as %(kind)s.", kind=stats.export_label)] if stats.export_label else []
        if isinstance(source, DelimitedSource):
            # A wrong guess shows as garbled user names: the message says what the file was read as.
            notes.append(_("The file was read as %(encoding)s text (as chosen).", encoding=describe(source.encoding))
                         if self.encoding else
                         _("The file was read as %(encoding)s text (detected; choose another encoding if names "
                           "look garbled).", encoding=describe(source.encoding)))
        if stats.failed_logins:
            notes.append(_("%(n)s failed sign-ins were not counted as use.", n=stats.failed_logins))
        if stats.excluded:
            notes.append(_("%(n)s events of %(accounts)s service or integration accounts were kept out of adoption "
                           "(%(names)s).", n=sum(stats.excluded.values()), accounts=len(stats.excluded),
                           names=", ".join(name for name, _count in stats.excluded.most_common(5))
                           + (", ..." if len(stats.excluded) > 5 else "")))
            if stats.api_only:
                notes.append(_("%(accounts)s of them are not in the roster and only called the CRM's API in this "
                               "file (integration users): %(names)s. Give one to an employee in the roster if it "
                               "is a person.", accounts=len(stats.api_only),
                               names=", ".join(stats.api_only[:5]) + (", ..." if len(stats.api_only) > 5 else "")))
        if stats.unknown:
            notes.append(_("%(n)s events belong to %(users)s CRM users (user names or user ids) that no employee has: "
                           "they are kept, and count once the roster gives these names or ids to people.",
                           n=sum(stats.unknown.values()), users=len(stats.unknown)))
            if not people:
                notes.append(_("The roster has no CRM user names or ids yet: import the employees first."))
        if rematched:
            notes.append(_("%(n)s events imported earlier now matched employees.", n=rematched))
        if stats.footer_row is not None:
            notes.append(_("The table ends at row %(row)s: what follows (a note below it) was not read.",
                           row=stats.footer_row))
        return " ".join(notes)

    def _problems_text(self, problems: Problems, layout: Layout) -> str:
        if len(problems.rows) == 1:
            lines = [_("Nothing was imported: a row of %(file)s has a problem.", file=self.filename)]
        else:
            lines = [_("Nothing was imported: %(n)s rows of %(file)s have problems.", n=len(problems.rows),
                       file=self.filename)]
        if layout.source.sheet is not None:
            lines.append(_("Sheet %(sheet)s:", sheet=layout.source.sheet))
        lines.extend(problems.listed)
        if problems.count > len(problems.listed):
            lines.append(_("... and %(n)s more.", n=problems.count - len(problems.listed)))
        return "\n".join(lines)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a million rows allocate millions of tuples and lists, none in a
    cycle, and the collector's passes over them cost a sixth of the loop's time (measured). Reference counting
    still frees everything; the collector resumes afterwards (unless something else had paused it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

