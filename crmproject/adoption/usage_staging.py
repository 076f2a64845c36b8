"""Rows of a usage export, read, checked and matched into a staging table; then moved into usage_events.

What the row loop guarantees: every row is checked (a file with a problem
stages nothing more and is refused with its first problems listed by row and
column); events of user names the roster does not know are staged without an
employee and counted; failed sign-ins (a login whose status or action says it
failed) are counted, not staged; a report's footer below a gap ends the
table; the header repeated (exports pasted one below another) is passed over.

How it stays fast for a million rows: the loop's lookups are local names and
what repeats (user names, actions, hours) is cached; rows go to the staging
table in batches (COPY on PostgreSQL, multi-row INSERTs on SQLite), and move
into usage_events in one sorted INSERT ... SELECT (ON CONFLICT DO NOTHING on
SQLite; on PostgreSQL the events not there yet, one per key, with the imports
publishing one at a time), with no foreign keys to check per row.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from crmproject.adoption.models import UsageEvent
from crmproject.adoption.usage_accounts import ExclusionRule
from crmproject.adoption.usage_exports import ExportColumns, export_columns
from crmproject.adoption.usage_read import Layout, Refused
from crmproject.adoption.usage_roster import Person, id_key
from crmproject.adoption.usage_time import MINUTE_SECOND, NAIVE_ISO, BadTime, Clock, as_date, column_day_first
from crmproject.db import rows_matched
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.roster.models import username_key
from crmproject.spreadsheets import ReadLimits, column_letter, is_blank, normalise_header
from crmproject.spreadsheets.limits import too_many_rows
from crmproject.spreadsheets.values import display

_LOGIN = re.compile(r"\b(?:log(?:ged)?[\s_-]?(?:in|on)|sign(?:ed)?[\s_-]?(?:in|on)|user access)", re.IGNORECASE)
_FAILURE = re.compile(r"fail|invalid|denied|locked|blocked|error|refused", re.IGNORECASE)
# Salesforce event logs write LOGIN_NO_ERROR for a sign-in that worked.
_SUCCESS_WORDS = frozenset({"success", "succeeded", "successful", "ok", "yes", "true", "1", "passed", "login_no_error"})

BATCH_ROWS = 20_000
MAX_LISTED_PROBLEMS = 10
READ_SHARE = 80  # percent of the bar for reading and checking rows; the rest is saving and recomputing
_CACHE_LIMIT = 50_000  # distinct objects remembered; user names are always remembered (they are counted)
_STAGING_COLUMNS = "username_key, employee_id, department_id, occurred_at, day, action, object, is_login"
_REBUILT_INDEXES = frozenset({"ix_usage_events_employee_day"})
_PUBLISH_LOCK = 0x43524D5553414745  # PostgreSQL advisory lock held while an import publishes its events ("CRMUSAGE")
_SQLITE_ROWS_PER_INSERT = 2_000  # 16,000 parameters per statement: far fewer round trips than executemany


@dataclass
class Problems:
    """Row problems, the first few kept in full."""

    count: int = 0
    rows: set[int] = field(default_factory=set)
    listed: list[str] = field(default_factory=list)

    def add(self, row: int, column: int | None, header: str, problem: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            if column is None:
                self.listed.append(_("Row %(row)s: %(problem)s", row=row, problem=problem))
            else:
                self.listed.append(_("Row %(row)s, column %(column)s (%(header)s): %(problem)s",
                                     row=row, column=column_letter(column), header=header, problem=problem))


@dataclass
class StageStats:
    rows: int = 0  # rows staged (events, before duplicates are dropped)
    failed_logins: int = 0
    unknown: Counter = field(default_factory=Counter)
    spellings: dict[str, str] = field(default_factory=dict)
    excluded: Counter = field(default_factory=Counter)  # events of service accounts, by the account as written
    held: int = 0  # of those, staged unmatched (kept out by the accounts rule, which may change)
    api_only: list[str] = field(default_factory=list)  # accounts not in the roster that only called the API
    problems: Problems = field(default_factory=Problems)
    footer_row: int | None = None  # where notes below the table begin
    export_label: object = ""  # what kind of export the table was read as


@dataclass(frozen=True)
class StageSettings:
    """How the rows are read: the file's name (for messages), the import's zone and date order, the database,
    and the excluded accounts rule."""

    filename: str
    zone: ZoneInfo
    day_first: bool | None
    postgresql: bool
    limits: ReadLimits
    report: Callable[..., None]  # (percent, rows staged): progress while reading
    rule: ExclusionRule


def _clock(layout: Layout, columns: ExportColumns, settings: StageSettings) -> Clock:
    """The clock that reads this table's times: the date order given, else the one its dates prove."""
    day_first = settings.day_first
    date_source_column = columns.date if columns.combined else columns.time
    if day_first is None and date_source_column is not None:
        head = layout.head[layout.header.row:]
        first_date = next((r[date_source_column] for r in head
                           if date_source_column < len(r) and not is_blank(r[date_source_column])), None)
        if isinstance(first_date, str):
            try:
                datetime.fromisoformat(first_date.strip())
            except ValueError:
                day_first = column_day_first(layout.source.rows(track=False), date_source_column)
    source = layout.source
    return Clock(settings.zone, postgresql=settings.postgresql, day_first=day_first,
                 epoch_1904=lambda: source.epoch_1904, compact_utc=columns.compact_utc)


class _Users:
    """Who a row's user is: (key, person or None, kept out, as written), cached per cell value.

    By user name where the row has one (with the user id as the fallback to
    find the person); by user id ("id:" keys) where the name is empty.
    """

    def __init__(self, people: dict[str, Person], rule: ExclusionRule) -> None:
        self.people = people
        self.rule = rule
        self.by_name: dict[object, tuple[str, Person | None, bool, str] | None] = {}
        self.by_id: dict[object, tuple[str, Person | None, bool, str] | None] = {}

    def named(self, raw: object) -> tuple[str, Person | None, bool, str] | None:
        spelled = raw.strip() if type(raw) is str else display(raw)  # type: ignore[arg-type]
        key = username_key(spelled)[:200]
        user = (key, self.people.get(key), self.rule.names(spelled), spelled) if key else None
        self.by_name[raw] = user
        return user

    def identified(self, raw: object) -> tuple[str, Person | None, bool, str] | None:
        text = "".join((raw if type(raw) is str else display(raw)).split())  # type: ignore[arg-type]
        key = id_key(text)[:200] if text else ""
        user = (key, self.people.get(key), self.rule.names(text), _("user id %(id)s", id=text)) if text else None
        self.by_id[raw] = user
        return user


# One function on purpose (complexity 49): the import's hot path, a million rows through one loop whose lookups
# are local names; split into calls, every row would pay them.
def stage_rows(layout: Layout, people: dict[str, Person], staging: Staging, settings: StageSettings) -> StageStats:  # noqa: C901
    """Read, check and match every row into the staging table; nothing reaches usage_events here.

    This loop is the import's hot path (a million rows): its lookups are
    local names, and what repeats (user names, actions, hours) is cached.
    What only some exports have (a user id, a second time or object column,
    a user type) is read in a branch of its own, so other files pay nothing.

    Long on purpose: one function, because a call per row (or a lookup of
    a name outside it) costs a million calls per file, on the path that
    benchmarks/usage_import.py holds to its goal.
    """
    columns = export_columns(layout)
    header = layout.header
    user_column, id_column, time_column, date_column = columns.user, columns.user_id, columns.time, columns.date
    action_column, status_column, type_column = columns.action, columns.status, columns.user_type
    object_column = columns.objects[0] if columns.objects else None
    more_objects = columns.objects[1:]
    fallback_column = columns.time_fallback
    combined, every_row_a_login, width = columns.combined, columns.every_row_a_login, columns.width
    user_header = columns.header(user_column if user_column is not None else id_column)
    time_header, date_header = columns.header(time_column), columns.header(date_column)
    extras = id_column is not None or fallback_column is not None or bool(more_objects) or type_column is not None
    head = layout.head[header.row:]
    source = layout.source
    clock = _clock(layout, columns, settings)
    read_time = clock.read
    text_hours = clock.text_hours
    local_hours = clock.local_hours
    naive_iso = NAIVE_ISO.fullmatch
    minute_second = MINUTE_SECOND
    whole_second = clock.whole_second
    repeated_header = normalise_header(time_header)
    rule = settings.rule

    stats = StageStats(export_label=columns.label)
    problems = stats.problems
    known = _Users(people, rule)
    users, ids = known.by_name, known.by_id
    actions: dict[object, tuple[str, bool, bool, bool, bool]] = {}
    statuses: dict[object, bool] = {}
    user_types: dict[object, bool] = {}
    objects: dict[object, str] = {"": "", None: ""}
    unknown = stats.unknown
    spellings = stats.spellings
    excluded = stats.excluded
    api_users: set[str] = set()  # unknown accounts seen calling the API, and those seen doing anything else
    other_users: set[str] = set()
    batch: list[tuple] = []
    append = batch.append
    write = staging.write
    report = settings.report

    max_rows = settings.limits.max_rows
    where = (_("Sheet %(sheet)s of %(file)s", sheet=source.sheet, file=settings.filename) if source.sheet
             else settings.filename)
    number = header.row
    after_blank = False
    footer_row: int | None = None
    rows: Iterable[list] = chain(head, layout.rest)
    try:
        for number, cells in enumerate(rows, start=header.row + 1):  # noqa: B007 - number is read after the loop
            if number > max_rows:
                raise too_many_rows(settings.filename, settings.limits, where)
            if len(cells) < width:
                cells = list(cells) + [None] * width
            raw_user = cells[user_column] if user_column is not None else None
            raw_time = cells[time_column]
            raw_action = cells[action_column] if action_column is not None else None
            raw_object = cells[object_column] if object_column is not None else None
            from_id = False
            service = False
            if extras:
                if fallback_column is not None and is_blank(raw_time):
                    raw_time = cells[fallback_column]
                if more_objects and is_blank(raw_object):
                    raw_object = next((cells[c] for c in more_objects if not is_blank(cells[c])), None)
                if id_column is not None and is_blank(raw_user) and not is_blank(cells[id_column]):
                    raw_user, from_id = cells[id_column], True
                if type_column is not None:
                    raw_type = cells[type_column]
                    service = user_types.get(raw_type)  # type: ignore[assignment]
                    if service is None:
                        service = user_types[raw_type] = not is_blank(raw_type) and rule.user_type(display(raw_type))
            if combined:
                raw_date = cells[date_column]  # type: ignore[index]
                if is_blank(raw_date) != is_blank(raw_time):
                    if is_blank(raw_date):
                        problems.add(number, date_column, date_header, _("the date is empty"))
                    else:
                        problems.add(number, time_column, time_header, _("the time is empty"))
                    continue
                if not is_blank(raw_date):
                    try:
                        raw_time = clock.combine(raw_date, raw_time)
                    except BadTime as exc:
                        problems.add(number, time_column, time_header, exc.problem)
                        continue
            if not raw_user or not raw_time:  # noqa: SIM102 - one test, then the other, spares reindenting the block
                if is_blank(raw_user) or is_blank(raw_time):
                    filled = sum(not is_blank(value) for value in cells)
                    if not filled:
                        after_blank = True
                        continue
                    if footer_row is not None or (after_blank and filled == 1):
                        # Below a gap, rows of one cell: a report's footer ("Confidential Information",
                        # "Generated By ..."), as Salesforce report exports end. Not events; the message
                        # says where they begin. Should an event follow, they were not a footer after all.
                        footer_row = footer_row or number
                        continue
                    if is_blank(raw_user):
                        problems.add(number, user_column if user_column is not None else id_column, user_header,
                                     _("the user name and the user id are empty") if id_column is not None
                                     and user_column is not None else _("the user name is empty"))
                    if is_blank(raw_time):
                        problems.add(number, time_column, time_header, _("the date and time is empty"))
                    continue
            if footer_row is not None:
                problems.add(footer_row, None, "", _("a note between the events, with no user name or no time"))
                footer_row = None
            after_blank = False
            if from_id:
                user = ids[raw_user] if raw_user in ids else known.identified(raw_user)
            else:
                user = users[raw_user] if raw_user in users else known.named(raw_user)
            if user is None:
                problems.add(number, user_column, user_header, _("the user name is empty"))
                continue
            if (type(raw_time) is str and (match := naive_iso(raw_time)) is not None
                    and (text_hour := text_hours.get(match[1])) is not None):
                occurred_at = text_hour[0] + raw_time[13:] + whole_second
                day_text = text_hour[1]
                day = text_hour[2]
            elif (type(raw_time) is datetime and raw_time.tzinfo is None and not raw_time.microsecond
                    and (hour := local_hours.get(raw_time.toordinal() * 24 + raw_time.hour)) is not None
                    and hour[0] is not None):
                occurred_at = hour[0] + minute_second[raw_time.minute * 60 + raw_time.second] + whole_second
                day_text = hour[1]
                day = hour[2]
            else:
                try:
                    occurred_at, day_text, day = read_time(raw_time)
                except BadTime as exc:
                    if type(raw_time) is str and normalise_header(raw_time) == repeated_header:
                        continue  # the header again, as when exports are pasted one below another
                    problems.add(number, time_column, time_header, exc.problem)
                    continue
            action = actions.get(raw_action)
            if action is None:
                action = actions[raw_action] = _action(raw_action, every_row_a_login, rule)
            key, person, kept_out, spelled = user
            if person is None and id_column is not None and not from_id and not is_blank(cells[id_column]):
                # a user name the roster does not know, beside a user id it may know
                raw_id = cells[id_column]
                by_id = ids[raw_id] if raw_id in ids else known.identified(raw_id)
                if by_id is not None:
                    person, kept_out = by_id[1], kept_out or by_id[2]
            if service or action[3]:  # the vendor's own marks, in this row only: nothing to keep
                excluded[spelled] += 1
                continue
            if kept_out:  # by the accounts rule: stored unmatched, so undoing the rule counts them again
                excluded[spelled] += 1
                stats.held += 1
                person = None
            if action[1]:  # a login: did it succeed?
                failed = action[2]
                if status_column is not None and not failed:
                    raw_status = cells[status_column]
                    succeeded = statuses.get(raw_status)
                    if succeeded is None:
                        succeeded = statuses[raw_status] = _succeeded(raw_status)
                    failed = not succeeded
                if failed:
                    stats.failed_logins += 1
                    continue
            object_text = objects.get(raw_object)
            if object_text is None:
                object_text = (raw_object.strip() if type(raw_object) is str else display(raw_object))[:200]
                if len(objects) < _CACHE_LIMIT:
                    objects[raw_object] = object_text
            if person is None:
                if not kept_out:
                    unknown[key] += 1
                    spellings.setdefault(key, spelled)
                    if action[4]:
                        api_users.add(key)
                    elif not action[1] or every_row_a_login:  # in a sign-in history, a person's own sign-in
                        other_users.add(key)
                append((key, None, None, occurred_at, day_text, action[0], object_text, action[1]))
            else:
                append((key, person.employee_id,
                        person.department_id if not person.stays else person.department_on(day),
                        occurred_at, day_text, action[0], object_text, action[1]))
            if len(batch) >= BATCH_ROWS:
                if not problems.count:  # a file with problems is refused: keep checking, stop staging
                    write(batch)
                    stats.rows += len(batch)
                batch.clear()
                report(int(READ_SHARE * source.fraction(number)), stats.rows)
    except (csv.Error, UnicodeDecodeError) as exc:
        refused = source.read_error(exc, number)
        if refused is None:
            raise
        raise refused from None
    if batch and not problems.count:
        write(batch)
        stats.rows += len(batch)
    stats.footer_row = footer_row
    if api_users and any(not action[4] and (not action[1] or every_row_a_login) for action in actions.values()):
        # only where the file shows other kinds of use than API calls and sign-ins (in a sign-in history, other
        # kinds of sign-in): in an export of API events alone (the RestApi log) a person on the mobile app looks
        # the same as an integration
        _keep_out_api_only(stats, api_users - other_users)
    return stats


def _keep_out_api_only(stats: StageStats, keys: set[str]) -> None:
    """Unknown accounts that did nothing in the file but call the API (and sign in) are integration users: their
    events, already staged unmatched, move from the unknown users to the accounts kept out."""
    for key in sorted(keys, key=lambda k: -stats.unknown[k]):
        count = stats.unknown.pop(key)
        spelled = stats.spellings[key]
        stats.excluded[spelled] += count
        stats.held += count
        stats.api_only.append(spelled)


def _action(raw: object, every_row_a_login: bool, rule: ExclusionRule) -> tuple[str, bool, bool, bool, bool]:
    """(action text, is it a login, did the login fail, is it the vendor's own process, is it an API call)."""
    action = "" if raw is None else (raw.strip() if isinstance(raw, str) else display(raw))  # type: ignore[arg-type]
    is_login = every_row_a_login or _LOGIN.search(action) is not None
    failed = is_login and _FAILURE.search(action) is not None
    return action[:100], is_login, failed, rule.action(action), rule.api_call(action)


def _succeeded(raw: object) -> bool:
    if is_blank(raw):  # type: ignore[arg-type]
        return True
    status = display(raw).strip().casefold()  # type: ignore[arg-type]
    return status in _SUCCESS_WORDS or status.startswith("success")


class Staging:
    """A temporary table on the import's own connection: rows land here, then move over in one statement.

    On SQLite it lives in the temp database, so staging takes no lock on the
    main one (progress can still be committed by another connection); the
    move into usage_events is sorted on the unique key, which keeps that
    index's inserts in order. PostgreSQL receives the rows through COPY.
    """

    def __init__(self, connection, *, postgresql: bool) -> None:
        self.postgresql = postgresql
        self._copy_context: Any = None  # psycopg's COPY, while one is open (the DBAPI is not typed)
        self._copy: Any = None
        self._restore: list[str] = []
        self._statements: dict[int, str] = {}
        self._cursor = connection.connection.driver_connection.cursor()
        if postgresql:
            self._cursor.execute(
                "CREATE TEMPORARY TABLE usage_staging (username_key varchar(200), employee_id integer, "
                "department_id integer, occurred_at timestamptz, day date, action varchar(100), "
                "object varchar(200), is_login boolean) ON COMMIT DROP"
            )
        else:
            # A bigger page cache (64 MB) keeps the indexes of usage_events in memory while a million rows
            # go in (128 MB measured no faster); a long wait for the write lock lets two imports queue.
            for pragma, value in (("cache_size", "-65536"), ("busy_timeout", "60000")):
                previous = self._cursor.execute(f"PRAGMA {pragma}").fetchone()[0]
                self._cursor.execute(f"PRAGMA {pragma} = {value}")
                self._restore.append(f"PRAGMA {pragma} = {int(previous)}")
            self._cursor.execute("DROP TABLE IF EXISTS temp.usage_staging")
            self._cursor.execute(f"CREATE TEMPORARY TABLE usage_staging ({_STAGING_COLUMNS})")

    def write(self, rows: list[tuple]) -> None:
        if self.postgresql:
            if self._copy is None:
                self._copy_context = self._cursor.copy(f"COPY usage_staging ({_STAGING_COLUMNS}) FROM STDIN")
                self._copy = self._copy_context.__enter__()
            write_row = self._copy.write_row
            for row in rows:
                write_row(row)
            return
        step = _SQLITE_ROWS_PER_INSERT
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            statement = self._statements.get(len(part))
            if statement is None:
                statement = self._statements[len(part)] = (
                    "INSERT INTO temp.usage_staging VALUES " + ",".join(["(?,?,?,?,?,?,?,?)"] * len(part)))
            self._cursor.execute(statement, list(chain.from_iterable(part)))

    def _finish_copy(self, *, failed: bool = False) -> None:
        context, self._copy_context, self._copy = self._copy_context, None, None
        if context is None:
            return
        if not failed:
            context.__exit__(None, None, None)
            return
        with contextlib.suppress(Exception):  # the transaction is rolled back anyway
            context.__exit__(Refused, Refused(""), None)

    def publish(self, import_id: int, staged: int) -> tuple[int, date, date]:
        """Move the staged rows into usage_events, skipping those already there: (added, first day, last day).

        On SQLite, when the import is at least as big as the table, the
        index whose inserts land at random places (employee and day) is
        dropped and built again afterwards, inside the transaction: building
        an index from sorted keys is several times cheaper than a million
        random inserts (measured). Other connections never see the table
        without them; on PostgreSQL this would lock readers out, so it is not done.
        """
        self._finish_copy()
        first, last = db.session.execute(text("SELECT min(day), max(day) FROM usage_staging")).one()
        connection = db.session.connection()
        rebuilt = []
        if not self.postgresql:
            existing = db.session.scalar(select(func.max(UsageEvent.id))) or 0  # the rowid: no scan
            if staged >= existing:
                rebuilt = [index for index in UsageEvent.__table__.indexes if index.name in _REBUILT_INDEXES]
                for index in rebuilt:
                    index.drop(bind=connection)
        if self.postgresql:
            # Imports publish one at a time, so that the events already there are all committed when this one
            # looks: then a plain INSERT of those missing (one per key) does what ON CONFLICT DO NOTHING would,
            # at two thirds of its cost (it inserts each row speculatively).
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK})
            statement = (
                f"INSERT INTO usage_events ({_STAGING_COLUMNS}, import_id) "
                f"SELECT DISTINCT ON (username_key, occurred_at, action, object) {_STAGING_COLUMNS}, :import_id "
                "FROM usage_staging s WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE "
                "e.username_key = s.username_key AND e.occurred_at = s.occurred_at AND e.action = s.action "
                "AND e.object = s.object) ORDER BY username_key, occurred_at, action, object"
            )
        else:
            statement = (
                f"INSERT INTO usage_events ({_STAGING_COLUMNS}, import_id) "
                f"SELECT {_STAGING_COLUMNS}, :import_id FROM usage_staging WHERE true "
                "ORDER BY username_key, occurred_at ON CONFLICT DO NOTHING"
            )
        result = db.session.execute(text(statement), {"import_id": import_id})
        for index in rebuilt:
            index.create(bind=connection)
        return rows_matched(result), as_date(first), as_date(last)

    def drop(self) -> None:
        """Drop the staging table and restore the connection's settings, inside the transaction; once (the import
        drops it as soon as its rows are published, before adoption is recomputed, and again on the way out)."""
        if self._cursor is None:
            return
        try:
            if self.postgresql:
                self._finish_copy(failed=True)  # ON COMMIT DROP; a rollback drops it too
            else:
                self._cursor.execute("DROP TABLE IF EXISTS temp.usage_staging")
                for statement in self._restore:
                    self._cursor.execute(statement)
        finally:
            self._cursor.close()
            self._cursor = None

