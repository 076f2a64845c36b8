"""Which CRM export a table is, recognised by its header, and which columns give each part of an event.

The standard exports read (README.md, "Usage exports read", says how to get each):
  - Salesforce Event Monitoring event log files (EventLogFile CSV: Login, Logout, LightningPageView,
    LightningInteraction, API, RestApi, Report, URI, ApexExecution... any event type with a user and a time):
    TIMESTAMP_DERIVED (ISO 8601, UTC) is the time, TIMESTAMP (20231218054831.655, GMT) where it is empty;
    USER_NAME is the user, USER_ID_DERIVED / USER_ID where it is empty; EVENT_TYPE is the action; the object is
    the first filled of ENTITY_NAME, PAGE_ENTITY_TYPE, ENTITY_TYPE, URI, PAGE_URL, ENTRY_POINT;
  - Salesforce login history (Setup > Login History download, or the LoginHistory object): every row a sign-in;
  - Dynamics 365 / Dataverse audit summary: Changed Date, Changed By, Event, Entity (Record);
  - HubSpot account login history: every row a sign-in; "HubSpot tools login" is HubSpot's own process;
  - Zoho CRM audit log: time, user name, action, module, record name;
  - SuiteCRM tracker table: user_id, module_name, item_summary, action, date_modified;
and any other table with a user (name or id) and a time column.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmproject.adoption.usage_read import USAGE_FIELDS, Layout
from crmproject.adoption.usage_time import is_time_of_day
from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets import is_blank, normalise_header

# Headers whose presence tells the export apart (normalised), the first set that is all there wins.
_KINDS: tuple[tuple[str, object, tuple[frozenset[str], ...]], ...] = (
    ("salesforce_event_log", _l("a Salesforce event log file (EventLogFile)"), (
        frozenset({"event type", "timestamp derived"}), frozenset({"event type", "timestamp", "user id"}))),
    ("salesforce_login_history", _l("a Salesforce login history"), (
        frozenset({"login time", "username", "login type"}), frozenset({"logintime", "userid", "logintype"}),
        frozenset({"logintime", "userid", "status"}))),
    ("dynamics_audit", _l("a Dynamics 365 audit summary"), (frozenset({"changed date", "changed by"}),)),
    ("hubspot_login_history", _l("a HubSpot login history"), (
        frozenset({"login at", "user agent"}), frozenset({"login timestamp", "user agent"}))),
    ("zoho_audit_log", _l("a Zoho CRM audit log"), (
        frozenset({"user name", "action", "module", "record name"}), frozenset({"done by", "action", "module"}))),
    ("suitecrm_tracker", _l("a SuiteCRM tracker export"), (
        frozenset({"user id", "module name", "action", "date modified"}),)),
)
# A LoginHistory-like export: every row is a login, whatever its LoginType says.
_LOGIN_TIME_HEADERS = frozenset({"logintime", "login time", "login date", "login datetime", "login date time",
                                 "login at", "login timestamp"})
# Salesforce's TIMESTAMP (20231218054831.655) is in GMT; elsewhere such a time is read in the import's zone.
_COMPACT_UTC_KINDS = frozenset({"salesforce_event_log"})


@dataclass(frozen=True)
class ExportColumns:
    """Where each part of an event is in the table, and how its times and logins are read."""

    kind: str  # one of _KINDS' keys, or "generic"
    label: object  # what the import's message calls the export (None for a table of no known CRM)
    user: int | None  # the user name
    user_id: int | None  # the user id: used where the user name is empty
    time: int  # the time, or the date (holding the times) when there is no time column
    time_fallback: int | None  # read where the time column is empty (Salesforce's TIMESTAMP)
    date: int | None
    action: int | None
    objects: tuple[int, ...]  # the first filled one is the object
    status: int | None
    user_type: int | None
    combined: bool  # a date column and a time-of-day column read together
    every_row_a_login: bool
    compact_utc: bool
    headers: dict[int, str]

    @property
    def width(self) -> int:
        used = (self.user, self.user_id, self.time, self.time_fallback, self.date, self.action, self.status,
                self.user_type, *self.objects)
        return 1 + max(c for c in used if c is not None)

    def header(self, column: int | None) -> str:
        return self.headers.get(column, "") if column is not None else ""


def _kind(names: set[str]) -> tuple[str, object]:
    for key, label, header_sets in _KINDS:
        if any(required <= names for required in header_sets):
            return key, label
    return "generic", None


def _ranked(layout: Layout, key: str) -> list[int]:
    """The columns of field `key`, best first: the one chosen, then the others by how well their header names it."""
    header = layout.header
    best = header.column(key)
    if best is None:
        return []
    spec = next(spec for spec in USAGE_FIELDS if spec.key == key)
    names = spec.header_names()

    def rank(column: int) -> int:
        name = normalise_header(header.headers.get(column, ""))
        return names.index(name) if name in names else len(names)

    others = sorted((c for c, k in header.duplicates.items() if k == key), key=lambda c: (rank(c), c))
    return [best, *others]


def export_columns(layout: Layout) -> ExportColumns:
    """The columns of the table found (it has a user or user id column, and a time or date column)."""
    header = layout.header
    names = {normalise_header(text) for text in header.headers.values()}
    kind, label = _kind(names)
    time_columns = _ranked(layout, "time")
    time_column = time_columns[0] if time_columns else None
    date_column = header.column("date")
    head = layout.head[header.row:]  # the rows read with the header, below it
    # A date column and a time-of-day column are read together; a lone date column holds the times.
    combined = False
    if time_column is not None and date_column is not None:
        first = next((r[time_column] for r in head if time_column < len(r) and not is_blank(r[time_column])), None)
        combined = is_time_of_day(first)
    elif time_column is None:
        time_column = date_column
    assert time_column is not None
    # Salesforce's TIMESTAMP where TIMESTAMP_DERIVED is empty; no other export has two time columns that agree.
    fallback = next((c for c in time_columns[1:] if normalise_header(header.headers.get(c, "")) == "timestamp"),
                    None) if kind == "salesforce_event_log" else None
    time_names = {normalise_header(layout.header_text("time")), normalise_header(layout.header_text("date"))}
    return ExportColumns(
        kind=kind, label=label, user=header.column("user"), user_id=header.column("user_id"), time=time_column,
        time_fallback=fallback, date=date_column, action=header.column("action"),
        objects=tuple(_ranked(layout, "object")), status=header.column("status"),
        user_type=header.column("user_type"), combined=combined,
        every_row_a_login=bool(time_names & _LOGIN_TIME_HEADERS) or kind == "hubspot_login_history",
        compact_utc=kind in _COMPACT_UTC_KINDS, headers=dict(header.headers),
    )
