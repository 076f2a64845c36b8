"""Usage events pushed through the API, imported by the usage import itself.

A batch is written as a small CSV of the generic layout the import reads (user, user id, time in UTC, action,
object) and imported like an uploaded export: the same matching of CRM user names and ids to people, the same
service-account rules, the same uniqueness of events on (user, time, action, object). So a batch sent twice,
or overlapping another batch or a file, adds only what is new.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC

from crmproject.adoption.usage_import import import_usage, usage_import_summary
from crmproject.auth.models import User

HEADER = ("user", "user_id", "time", "action", "object")


def batch_csv(events: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for event in events:
        moment = event["time"].astimezone(UTC).replace(tzinfo=None)
        writer.writerow((event.get("user") or "", event.get("user_id") or "", moment.isoformat(sep=" ", timespec="seconds"),
                         event.get("action") or "", event.get("object") or ""))
    return out.getvalue().encode("utf-8")


def ingest_events(events: list[dict], *, imported_by: User | None) -> dict:
    """Import the events (commits, as the usage import does) and say what was added, known or not."""
    record = import_usage(batch_csv(events), "api-batch.csv", fmt="csv", timezone="UTC", imported_by=imported_by,
                          day_first=False, encoding="utf-8")
    summary = usage_import_summary(record)
    return {"import_id": record.id, **{key: summary[key] for key in (
        "rows_read", "events_added", "duplicates", "unknown_events", "unknown_users", "excluded_events", "message")}}
