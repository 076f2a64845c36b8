"""CRM usage exports: importing their events, and the daily adoption figures computed from them.

An export is any table with one row per event: at least a user name and a
time, optionally an action (login, create, update...) and an object (Account,
Opportunity...). Headers are recognised by name, as Salesforce's LoginHistory,
Dynamics 365's audit log or a hand-made CSV call them, in the first 30 rows
(a report's title block above is passed over, and one-cell notes below a gap,
such as a report's footer, end the table); a date and a time of day in two
columns are read together.

    record = import_usage(Path("LoginHistory.csv"), timezone="Europe/Moscow")

This module is the public face; the work is done by:
  - usage_read: the file's tables (CSV streamed, workbook sheets) and their header;
  - usage_time: times read into UTC and the local day (the import's time zone);
  - usage_roster: employees by CRM user name, with their department on each day;
  - usage_staging: the row loop, checking and matching rows into a staging table;
  - usage_import: the import record, its progress, all or nothing;
  - usage_recompute: the daily adoption snapshots, and events counted again after the roster changed.
"""

from __future__ import annotations

from crmproject.adoption.usage_import import (
    ProgressCallback, create_usage_import, default_timezone, import_usage, resolve_timezone, run_usage_import,
    try_usage_import, usage_import_summary,
)
from crmproject.adoption.usage_read import USAGE_FIELDS, UsageFormat, UsageImportFailed
from crmproject.adoption.usage_recompute import (
    SnapshotUpdate, adoption_rate, daily_adoption_rate, events_per_active_user, recompute_snapshots,
    refresh_after_roster_change, rematch_unknown_events,
)

__all__ = [
    "USAGE_FIELDS", "ProgressCallback", "SnapshotUpdate", "UsageFormat", "UsageImportFailed", "adoption_rate",
    "create_usage_import", "daily_adoption_rate", "default_timezone", "events_per_active_user", "import_usage",
    "recompute_snapshots", "refresh_after_roster_change", "rematch_unknown_events", "resolve_timezone",
    "run_usage_import", "try_usage_import", "usage_import_summary",
]
