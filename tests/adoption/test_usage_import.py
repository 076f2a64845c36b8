"""Importing CRM usage exports: headers of real CRMs, encodings, time zones, matching, all or nothing."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pytest
from flask.cli import ScriptInfo
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import func, inspect, select, text

from crmproject.adoption import jobs
from crmproject.adoption.cli import import_usage_command, register
from crmproject.adoption.models import AdoptionSnapshot, ImportState, SnapshotSource, UsageEvent, UsageImport
from crmproject.adoption.usage import UsageImportFailed, import_usage, recompute_snapshots
from crmproject.extensions import db
from crmproject.roster.models import Employee, EmployeeDepartment, username_key

MOSCOW = "Europe/Moscow"


@pytest.fixture
def org(make_department):
    """Sales (10 seats) and Service (5 seats); Anna in Sales, Boris in Service, Vera moved from Sales to Service
    on 2026-03-10, Gleb with no department history (only his current department)."""
    sales = make_department(name="Sales", code="SALES", licensed_seats=10)
    service = make_department(name="Service", code="SERVICE", licensed_seats=5)
    people = {
        "anna": _employee("Anna", "anna.k", sales, [(sales, date(2025, 1, 1), None)]),
        "boris": _employee("Boris", "Boris.P", service, [(service, date(2025, 1, 1), None)]),
        "vera": _employee("Vera", "vera", service, [(sales, date(2025, 1, 1), date(2026, 3, 9)),
                                                    (service, date(2026, 3, 10), None)]),
        "gleb": _employee("Gleb", "gleb", sales, []),
    }
    db.session.commit()
    return {"sales": sales, "service": service, **people}


def _employee(name, crm_username, department, stays):
    person = Employee(name=name, crm_username=crm_username, crm_username_key=username_key(crm_username),
                      department=department)
    for stay_department, valid_from, valid_to in stays:
        person.department_history.append(
            EmployeeDepartment(department=stay_department, valid_from=valid_from, valid_to=valid_to))
    db.session.add(person)
    return person


def _events() -> list[tuple]:
    return db.session.execute(
        select(UsageEvent.username_key, UsageEvent.occurred_at, UsageEvent.day, UsageEvent.action, UsageEvent.object,
               UsageEvent.is_login, UsageEvent.employee_id, UsageEvent.department_id)
        .order_by(UsageEvent.occurred_at, UsageEvent.username_key)
    ).all()


def _count_events() -> int:
    return db.session.scalar(select(func.count()).select_from(UsageEvent))


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _xlsx(rows, *, epoch_1904: bool = False) -> bytes:
    workbook = Workbook()
    if epoch_1904:
        workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = "Audit"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GENERIC_CSV = (
    "User Name,Timestamp,Action,Object\n"
    "anna.k,2026-03-02 09:15:00,Login,\n"
    "ANNA.K ,2026-03-02 09:20:00,Update,Opportunity\n"
    "boris.p,2026-03-02 10:00:00,Create,Case\n"
    "svc.integration,2026-03-02 03:00:00,API sync,Accounts\n"
    " SVC. integration,2026-03-03 03:00:00,API sync,Accounts\n"
    "nobody,2026-03-03 11:00:00,View,Lead\n"
)


def test_csv_export_is_matched_to_employees_and_their_department_that_day(org):
    record = import_usage(GENERIC_CSV.encode(), "usage.csv", timezone=MOSCOW)
    assert record.state == ImportState.DONE
    assert (record.rows_read, record.events_added, record.duplicates, record.unknown_events) == (6, 6, 0, 3)
    assert json.loads(record.unknown_usernames) == {"svc.integration": 2, "nobody": 1}
    assert (record.first_day, record.last_day) == (date(2026, 3, 2), date(2026, 3, 3))
    events = _events()
    first = events[1]  # anna's login: 09:15 in Moscow is 06:15 UTC
    assert first == ("anna.k", _utc(2026, 3, 2, 6, 15), date(2026, 3, 2), "Login", "", True,
                     org["anna"].id, org["sales"].id)
    unknown = [e for e in events if e.employee_id is None]
    assert {e.username_key for e in unknown} == {"svc.integration", "nobody"}
    assert all(e.department_id is None for e in unknown)
    snapshot = db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == org["sales"].id, AdoptionSnapshot.day == date(2026, 3, 2)))
    assert (snapshot.active_users, snapshot.logins, snapshot.events, snapshot.licensed_seats) == (1, 1, 2, 10)
    assert snapshot.source == SnapshotSource.USAGE
    assert "svc.integration" not in record.message and "3 events belong to 2 CRM users" in record.message


def test_the_indexes_of_usage_events_are_all_there_after_an_import(org):
    before = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("usage_events")}
    import_usage(GENERIC_CSV.encode(), "usage.csv", timezone=MOSCOW)  # into an empty table: indexes rebuilt on SQLite
    after = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("usage_events")}
    assert after == before
    assert after["ix_usage_events_employee_day"] == ["employee_id", "day"]


def test_a_large_import_on_postgresql_refreshes_the_planner_statistics(org, monkeypatch):
    """After a big import PostgreSQL knows the table grew (ANALYZE), rather than planning with last week's figures."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("ANALYZE after an import is PostgreSQL's (SQLite keeps no planner statistics of its own)")
    from crmproject.adoption import usage_import

    def analysed() -> int:
        db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return db.session.scalar(text(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'usage_events'")) or 0

    before = analysed()
    db.session.commit()
    monkeypatch.setattr(usage_import, "ANALYZE_AFTER_EVENTS", 7)  # this file adds 6 events: below, no ANALYZE
    import_usage(GENERIC_CSV.encode(), "usage.csv", timezone=MOSCOW)
    assert analysed() == before
    monkeypatch.setattr(usage_import, "ANALYZE_AFTER_EVENTS", 1)
    record = import_usage(GENERIC_CSV.replace("2026-03-0", "2026-04-0").encode(), "april.csv", timezone=MOSCOW)
    assert record.events_added == 6
    assert analysed() == before + 1


def test_xlsx_with_datetime_cells_gives_the_same_events_and_the_csv_then_adds_nothing(org):
    rows = [["User Name", "Timestamp", "Action", "Object"],
            ["anna.k", datetime(2026, 3, 2, 9, 15), "Login", None],
            ["ANNA.K ", datetime(2026, 3, 2, 9, 20), "Update", "Opportunity"],
            ["boris.p", datetime(2026, 3, 2, 10, 0), "Create", "Case"],
            ["svc.integration", datetime(2026, 3, 2, 3, 0), "API sync", "Accounts"],
            [" SVC. integration", datetime(2026, 3, 3, 3, 0), "API sync", "Accounts"],
            ["nobody", datetime(2026, 3, 3, 11, 0), "View", "Lead"]]
    record = import_usage(_xlsx(rows), "usage.xlsx", timezone=MOSCOW)
    assert (record.rows_read, record.events_added) == (6, 6)
    again = import_usage(GENERIC_CSV.encode(), "usage.csv", timezone=MOSCOW)
    assert (again.rows_read, again.events_added, again.duplicates) == (6, 0, 6)
    assert _count_events() == 6


def test_salesforce_login_history_every_row_is_a_login_and_failed_sign_ins_are_not_use(org):
    export = (
        "UserId,Username,LoginTime,LoginType,SourceIp,Status,Application\n"
        "0055g00000AbCdE,anna.k,2026-03-02T06:15:00.000Z,Application,10.0.0.1,Success,Browser\n"
        "0055g00000AbCdE,anna.k,2026-03-02T07:00:00.000Z,Application,10.0.0.1,Invalid Password,Browser\n"
        "0055g00000FgHiJ,boris.p,2026-03-02T21:30:00.000Z,Remote Access 2.0,10.0.0.2,Success,Salesforce for iOS\n"
        "0055g00000FgHiJ,boris.p,2026-03-02T22:30:00.000Z,Remote Access 2.0\n"  # a short row: no status, no failure
    )
    record = import_usage(export.encode(), "LoginHistory.csv", timezone=MOSCOW)
    assert (record.rows_read, record.events_added) == (4, 3)
    assert "1 failed sign-ins were not counted" in record.message
    events = _events()
    assert [(e.username_key, e.action, e.is_login) for e in events] == [
        ("anna.k", "Application", True), ("boris.p", "Remote Access 2.0", True),
        ("boris.p", "Remote Access 2.0", True)]
    # 21:30 UTC is already the next day in Moscow
    assert events[1].day == date(2026, 3, 3)


def test_dynamics_audit_export_with_us_dates_and_user_access_events(org):
    export = (
        "Changed Date,Changed By,Event,Entity,Changed Field,Old Value,New Value\n"
        "3/5/2026 2:22 PM,Anna.K,User Access via Web,,,,\n"
        "3/5/2026 2:40 PM,Anna.K,Update,Opportunity,Stage,Qualify,Develop\n"
        "3/13/2026 9:05 AM,Boris.P,Create,Case,,,\n"
    )
    record = import_usage(export.encode(), "AuditSummary.csv", timezone="UTC")
    assert record.events_added == 3
    events = _events()
    assert [(e.occurred_at, e.action, e.object, e.is_login) for e in events] == [
        (_utc(2026, 3, 5, 14, 22), "User Access via Web", "", True),
        (_utc(2026, 3, 5, 14, 40), "Update", "Opportunity", False),
        (_utc(2026, 3, 13, 9, 5), "Create", "Case", False),
    ]


def test_ambiguous_dates_are_refused_rather_than_guessed(org):
    export = "Changed Date,Changed By,Event\n3/5/2026 2:22 PM,anna.k,Update\n4/6/2026 10:00,anna.k,Update\n"
    with pytest.raises(UsageImportFailed) as failure:
        import_usage(export.encode(), "audit.csv", timezone="UTC")
    assert "Row 2, column A (Changed Date): '3/5/2026' could be 2026-05-03" in failure.value.reason
    assert _count_events() == 0


def test_a_report_export_with_a_title_above_and_a_footer_below(org):
    rows = [["Login History"], ["Logins in the last 7 days"], [],
            ["Username", "Login Time", "Login Type", "Status"],
            ["anna.k", datetime(2026, 3, 2, 9, 15), "Application", "Success"],
            ["boris.p", datetime(2026, 3, 2, 10, 0), "Application", "Success"],
            [], ["Confidential Information - Do Not Distribute"],
            ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."]]
    record = import_usage(_xlsx(rows), "report.xlsx", timezone="UTC")
    assert (record.rows_read, record.events_added) == (2, 2)
    assert "The table ends at row 8: what follows (a note below it) was not read." in record.message


def test_a_note_between_events_is_a_problem_not_a_footer(org):
    export = "user,time\nanna.k,2026-03-02 09:15:00\n\nchecked by Olga\nboris.p,2026-03-02 10:00:00\n"
    with pytest.raises(UsageImportFailed, match="Row 4: a note between the events"):
        import_usage(export.encode(), "notes.csv", timezone="UTC")


def test_a_date_and_a_time_of_day_in_two_columns(org):
    export = "Date;Time;User;Activity\n02.03.2026;09:15;anna.k;Login\n02.03.2026;23:59:30;anna.k;Logout\n"
    record = import_usage(export.encode(), "log.csv", timezone=MOSCOW)
    assert record.events_added == 2
    assert [(e.occurred_at, e.day, e.is_login) for e in _events()] == [
        (_utc(2026, 3, 2, 6, 15), date(2026, 3, 2), True), (_utc(2026, 3, 2, 20, 59, 30), date(2026, 3, 2), False)]


@pytest.mark.parametrize("encoding, delimiter", [("utf-16", "\t"), ("cp1252", ";"), ("utf-8-sig", ",")])
def test_encodings_are_detected(org, encoding, delimiter):
    org["anna"].crm_username = "Anna.Müller"
    org["anna"].crm_username_key = username_key("Anna.Müller")
    db.session.commit()
    text = delimiter.join(["Benutzer", "Zeitstempel", "Aktion"]) + "\r\n"  # unknown headers above the table are skipped
    text += delimiter.join(["User", "Time", "Action"]) + "\r\n"
    text += delimiter.join(["anna.müller", "2026-03-02 09:15:00", "Café visit"]) + "\r\n"
    record = import_usage(text.encode(encoding), "export.txt", timezone=MOSCOW)
    assert (record.events_added, record.unknown_events) == (1, 0)
    assert _events()[0][3] == "Café visit"


def test_offsets_are_converted_and_naive_times_are_in_the_plan_time_zone(org):
    export = (
        "user,timestamp\n"
        "anna.k,2026-03-01T23:30\n"       # naive: 23:30 in Moscow, day 1 March, 20:30 UTC
        "anna.k,2026-03-01T23:30Z\n"      # UTC: 02:30 on 2 March in Moscow
        "anna.k,2026-03-01 23:30:00+01:00\n"
        "anna.k,01.03.2026 23:45 UTC\n"
    )
    import_usage(export.encode(), "times.csv", timezone=MOSCOW)
    assert [(e.occurred_at, e.day) for e in _events()] == [
        (_utc(2026, 3, 1, 20, 30), date(2026, 3, 1)),
        (_utc(2026, 3, 1, 22, 30), date(2026, 3, 2)),
        (_utc(2026, 3, 1, 23, 30), date(2026, 3, 2)),
        (_utc(2026, 3, 1, 23, 45), date(2026, 3, 2)),
    ]


def test_daylight_saving_changes_are_followed(org):
    # Berlin goes from +01:00 to +02:00 at 02:00 on 29 March 2026
    export = "user,time\nanna.k,2026-03-29 01:30:00\nanna.k,2026-03-29 03:30:00\nanna.k,2026-03-29 01:45:00\n"
    import_usage(export.encode(), "dst.csv", timezone="Europe/Berlin")
    assert [e.occurred_at for e in _events()] == [_utc(2026, 3, 29, 0, 30), _utc(2026, 3, 29, 0, 45),
                                                  _utc(2026, 3, 29, 1, 30)]


def test_an_employee_who_moved_counts_in_the_old_department_before_and_the_new_one_after(org):
    export = ("user,time,action\n"
              "vera,2026-03-09 12:00:00,Update\n"
              "vera,2026-03-10 12:00:00,Update\n"
              "gleb,2026-03-10 12:00:00,Update\n")
    import_usage(export.encode(), "moves.csv", timezone=MOSCOW)
    by_day = {(e.username_key, e.day): e.department_id for e in _events()}
    assert by_day[("vera", date(2026, 3, 9))] == org["sales"].id
    assert by_day[("vera", date(2026, 3, 10))] == org["service"].id
    assert by_day[("gleb", date(2026, 3, 10))] == org["sales"].id  # no history: the employee's department
    snapshots = {(s.department_id, s.day): (s.active_users, s.weekly_active_users)
                 for s in db.session.scalars(select(AdoptionSnapshot))}
    assert snapshots[(org["sales"].id, date(2026, 3, 9))] == (1, 1)
    assert snapshots[(org["sales"].id, date(2026, 3, 10))] == (1, 2)  # Gleb that day; Vera still in the 7 days
    assert snapshots[(org["service"].id, date(2026, 3, 10))] == (1, 1)


def test_importing_twice_or_overlapping_files_counts_nothing_twice(org):
    first = "user,time,action\n" + "".join(f"anna.k,2026-03-{day:02d} 10:00:00,Update\n" for day in range(1, 11))
    second = "user,time,action\n" + "".join(f"anna.k,2026-03-{day:02d} 10:00:00,Update\n" for day in range(5, 16))
    import_usage(first.encode(), "a.csv", timezone=MOSCOW)
    snapshots_before = db.session.execute(select(AdoptionSnapshot.day, AdoptionSnapshot.monthly_active_users,
                                                 AdoptionSnapshot.events).order_by(AdoptionSnapshot.day)).all()
    again = import_usage(first.encode(), "a.csv", timezone=MOSCOW)
    assert (again.events_added, again.duplicates) == (0, 10)
    assert db.session.execute(select(AdoptionSnapshot.day, AdoptionSnapshot.monthly_active_users,
                                     AdoptionSnapshot.events).order_by(AdoptionSnapshot.day)).all() == snapshots_before
    overlap = import_usage(second.encode(), "b.csv", timezone=MOSCOW)
    assert (overlap.events_added, overlap.duplicates) == (5, 6)
    assert _count_events() == 15
    events = db.session.scalar(select(func.sum(AdoptionSnapshot.events)).where(
        AdoptionSnapshot.department_id == org["sales"].id))
    assert events == 15


def test_bad_timestamps_refuse_the_whole_file_naming_rows_and_columns(org):
    export = "Username,LoginTime,LoginType\nanna.k,2026-03-02 09:15:00,Application\n" \
             "anna.k,yesterday,Application\nboris.p,2026-02-30 10:00,Application\n,2026-03-02 10:00,Application\n"
    with pytest.raises(UsageImportFailed) as failure:
        import_usage(export.encode(), "LoginHistory.csv", timezone=MOSCOW)
    reason = failure.value.reason
    assert reason.startswith("Nothing was imported: 3 rows of LoginHistory.csv have problems.")
    assert "Row 3, column B (LoginTime): 'yesterday' is not a date and time" in reason
    assert "Row 4, column B (LoginTime): '2026-02-30 10:00' is not a date and time" in reason
    assert "Row 5, column A (Username): the user name is empty" in reason
    assert _count_events() == 0
    record = db.session.get(UsageImport, failure.value.import_id)
    db.session.refresh(record)
    assert record.state == ImportState.FAILED and record.message == reason and record.events_added == 0
    assert db.session.scalar(select(func.count()).select_from(AdoptionSnapshot)) == 0


def test_a_problem_after_rows_were_staged_still_saves_nothing(org, monkeypatch):
    from crmproject.adoption import usage_staging

    monkeypatch.setattr(usage_staging, "BATCH_ROWS", 2)
    export = "user,time\n" + "".join(f"anna.k,2026-03-0{day} 10:00:00\n" for day in range(1, 8)) + "anna.k,never\n"
    with pytest.raises(UsageImportFailed, match="Row 9, column B"):
        import_usage(export.encode(), "late.csv", timezone="UTC")
    assert _count_events() == 0
    good = import_usage(export.rsplit("anna.k,never", 1)[0].encode(), "good.csv", timezone="UTC")
    assert good.events_added == 7


def test_problems_are_listed_up_to_ten_then_counted(org):
    export = "user,time\n" + "".join(f"anna.k,not a time {n}\n" for n in range(25))
    with pytest.raises(UsageImportFailed) as failure:
        import_usage(export.encode(), "many.csv", timezone="UTC")
    lines = failure.value.reason.splitlines()
    assert lines[0] == "Nothing was imported: 25 rows of many.csv have problems."
    assert lines[1].startswith("Row 2, column B (time): 'not a time 0'")
    assert lines[-1] == "... and 15 more."


def test_a_header_repeated_below_is_skipped_and_blank_rows_are_ignored(org):
    export = "user,time\nanna.k,2026-03-02 09:15:00\n\nuser,time\nboris.p,2026-03-02 09:15:00\n,\n"
    record = import_usage(export.encode(), "pasted.csv", timezone="UTC")
    assert (record.rows_read, record.events_added) == (2, 2)


@pytest.mark.parametrize("content, expected", [
    (b"", "empty.csv is empty."),
    (b"\xef\xbb\xbf \r\n\r\n", "empty.csv is empty."),
    (b"user,time\n", "empty.csv has a header but no events below it."),
    (b"time,action\n2026-03-02 09:15:00,Login\n", "empty.csv has no user column"),
    (b"Username,Action\nanna.k,Login\n", "empty.csv has no time column"),
    (b"Name,Amount\nWidget,5\n", "empty.csv has no user column and no time column"),
    (b"%PDF-1.4 binary", "empty.csv is not a spreadsheet: it is a PDF file."),
    (b"<html><body>export</body></html>", "empty.csv is a web page or XML file"),
    # a quotation mark never closed swallows the rest of the file into one cell
    (b'user,time\n"anna.k,2026-03-02 09:15:00\n', "Row 2, column B (time): the date and time is empty"),
    (b"user,time\nanna.k,2026-03-02\x00 09:15\n", "empty.csv is not a spreadsheet."),
])
def test_bad_files_are_refused_with_a_message(org, content, expected):
    with pytest.raises(UsageImportFailed) as failure:
        import_usage(content, "empty.csv", timezone="UTC")
    assert expected in failure.value.reason
    assert _count_events() == 0


def test_a_file_not_in_the_encoding_chosen_is_refused_naming_its_line(org):
    content = b"user,time\nanna.k,2026-03-02 09:15\n" + "Zoë,2026-03-02 09:16\n".encode("cp1252")

    with pytest.raises(UsageImportFailed) as failure:
        import_usage(content, "usage.csv", timezone="UTC", encoding="utf-8")
    assert failure.value.reason.startswith("usage.csv is not valid UTF-8 text at line 3. Choose its encoding")
    assert _count_events() == 0


def test_unknown_time_zone_and_wrong_format_say_so(org):
    with pytest.raises(UsageImportFailed, match="'Mars/Olympus' is not a time zone"):
        import_usage(GENERIC_CSV.encode(), "usage.csv", timezone="Mars/Olympus")
    with pytest.raises(UsageImportFailed, match="is a workbook, not a CSV file"):
        import_usage(_xlsx([["user", "time"]]), "usage.xlsx", fmt="csv", timezone="UTC")
    with pytest.raises(UsageImportFailed, match="is not an Excel workbook"):
        import_usage(GENERIC_CSV.encode(), "usage.csv", fmt="xlsx", timezone="UTC")


def test_a_1904_workbook_reads_its_dates_and_serial_numbers(org):
    rows = [["User", "Time"], ["anna.k", datetime(2026, 3, 2, 9, 15)], ["boris.p", 44256.5]]
    record = import_usage(_xlsx(rows, epoch_1904=True), "mac.xlsx", timezone="UTC")
    assert record.events_added == 2
    # 44256.5 days after 1 January 1904 is noon on 2 March 2025 (in the 1900 system it would be 1 March 2021)
    assert [e.occurred_at for e in _events()] == [_utc(2025, 3, 2, 12), _utc(2026, 3, 2, 9, 15)]


def test_a_strict_open_xml_workbook_imports(org):
    data = _strict(_xlsx([["User", "Time", "Action"], ["anna.k", datetime(2026, 3, 2, 9, 15), "Login"]]))
    assert b"purl.oclc.org/ooxml/spreadsheetml/main" in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    record = import_usage(data, "strict.xlsx", timezone="UTC")
    assert record.events_added == 1
    assert _events()[0].occurred_at == _utc(2026, 3, 2, 9, 15)


def _strict(data: bytes) -> bytes:
    """The same workbook in Strict Open XML: only the namespaces differ from Transitional."""
    replacements = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
            b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    }
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            content = source.read(item)
            for old, new in replacements.items():
                content = content.replace(old, new)
            out.writestr(item, content)
    return target.getvalue()


@pytest.mark.parametrize("name, expected", [
    ("calamine_strict_iso_paths.xlsx", "has no user column and no time column"),
    ("calamine_date_1904.xlsx", "has no user column and no time column"),
])
def test_the_real_strict_and_1904_workbooks_stop_with_a_message_naming_the_problem(org, testdata, name, expected):
    with pytest.raises(UsageImportFailed) as failure:
        import_usage(testdata / name, timezone="UTC")
    assert failure.value.reason.startswith(name) and expected in failure.value.reason
    assert _count_events() == 0


def test_a_password_protected_workbook_is_refused_with_the_readers_message(org):
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "password_protected.xlsx"
    with pytest.raises(UsageImportFailed, match="password-protected"):
        import_usage(fixture, timezone="UTC")


def test_events_of_unknown_users_count_once_the_roster_knows_them(org):
    export = "user,time\nnew.hire,2026-03-02 09:15:00\nnew.hire,2026-03-03 09:15:00\n"
    first = import_usage(export.encode(), "usage.csv", timezone="UTC")
    assert first.unknown_events == 2
    _employee("New Hire", "New.Hire", org["service"], [(org["service"], date(2026, 3, 1), None)])
    db.session.commit()
    again = import_usage(export.encode(), "usage.csv", timezone="UTC")
    assert (again.events_added, again.unknown_events) == (0, 0)
    assert "2 events imported earlier now matched employees" in again.message
    assert {e.department_id for e in _events()} == {org["service"].id}
    assert db.session.scalar(select(AdoptionSnapshot.active_users).where(
        AdoptionSnapshot.department_id == org["service"].id, AdoptionSnapshot.day == date(2026, 3, 3))) == 1


def test_progress_is_reported_up_to_100(org):
    seen: list[int] = []
    import_usage(GENERIC_CSV.encode(), "usage.csv", timezone="UTC", progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 100


def test_recompute_keeps_hand_entered_days_without_usage(org):
    db.session.add(AdoptionSnapshot(department_id=org["sales"].id, day=date(2026, 3, 5), active_users=7,
                                    source=SnapshotSource.MANUAL))
    db.session.commit()
    import_usage(GENERIC_CSV.encode(), "usage.csv", timezone="UTC")
    recompute_snapshots(date(2026, 3, 1), date(2026, 3, 31))
    kept = db.session.scalar(select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == org["sales"].id, AdoptionSnapshot.day == date(2026, 3, 5)))
    assert (kept.source, kept.active_users) == (SnapshotSource.MANUAL, 7)


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def usage_cli(app):
    cli_runner = app.test_cli_runner()

    def invoke(*args: str):
        return cli_runner.invoke(import_usage_command, list(args), obj=ScriptInfo(create_app=lambda: app))

    return invoke


def test_cli_prints_a_json_summary(org, usage_cli, make_plan, tmp_path):
    make_plan().timezone = MOSCOW
    db.session.commit()
    path = tmp_path / "usage.csv"
    path.write_text(GENERIC_CSV, encoding="utf-8")
    result = usage_cli(str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["timezone"] == MOSCOW  # the plan's time zone
    assert (summary["rows_read"], summary["events_added"], summary["duplicates"]) == (6, 6, 0)
    assert summary["unknown_users"] == {"svc.integration": 2, "nobody": 1}
    assert (summary["first_day"], summary["last_day"], summary["days_covered"]) == ("2026-03-02", "2026-03-03", 2)
    assert summary["departments_updated"] == ["Sales", "Service"]
    text = usage_cli(str(path), "--timezone", MOSCOW)
    assert text.exit_code == 0
    assert "6 rows read, 0 events added, 6 already imported." in text.output


def test_cli_failure_exits_non_zero_with_the_reason(org, usage_cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("user,time\nanna.k,soon\n", encoding="utf-8")
    result = usage_cli(str(path), "--timezone", "UTC")
    assert result.exit_code == 1
    assert "Row 2, column B (time): 'soon' is not a date and time" in result.output
    assert "Traceback" not in result.output
    as_json = usage_cli(str(path), "--timezone", "UTC", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.output.split("\nError:")[0])["state"] == "failed"
    zone = usage_cli(str(path), "--timezone", "Nowhere/City")
    assert zone.exit_code == 1 and "'Nowhere/City' is not a time zone" in zone.output


def test_crmproject_import_usage_runs_the_command(org, runner, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text(GENERIC_CSV, encoding="utf-8")
    result = runner("import", "usage", str(path), "--format", "csv", "--timezone", MOSCOW, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["events_added"] == 6


def test_register_adds_usage_to_an_import_group():
    group = click.Group("import")
    register(group)
    assert group.commands["usage"] is import_usage_command


# --- the background job ---------------------------------------------------------------------------


def _wait(import_id: int) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = jobs.job_status(import_id)
        assert status is not None
        if status["state"] != "running":
            return status
        time.sleep(0.05)
    raise AssertionError(f"import {import_id} still running after 10 s")


def test_a_background_job_imports_and_reports_its_counts(org, app):
    import_id = jobs.start_import_job(app, GENERIC_CSV.encode(), "usage.csv", timezone=MOSCOW, user_id=None)
    status = _wait(import_id)
    assert status["state"] == "done" and status["progress"] == 100
    assert (status["rows_read"], status["events_added"], status["unknown_events"]) == (6, 6, 3)
    assert status["unknown_users"] == {"svc.integration": 2, "nobody": 1}
    assert not jobs.is_running(import_id)
    assert _count_events() == 6


def test_a_failing_background_job_says_why_and_keeps_nothing(org, app):
    import_id = jobs.start_import_job(app, b"user,time\nanna.k,later\n", "bad.csv", timezone="UTC", user_id=None)
    status = _wait(import_id)
    assert status["state"] == "failed"
    assert re.search(r"Row 2, column B \(time\): 'later' is not a date and time", status["message"])
    assert _count_events() == 0
    assert jobs.job_status(import_id + 1000) is None


def test_a_job_with_an_unknown_time_zone_is_recorded_as_failed_at_once(org, app):
    import_id = jobs.start_import_job(app, GENERIC_CSV.encode(), "usage.csv", timezone="Atlantis/Capital",
                                      user_id=None)
    status = jobs.job_status(import_id)
    assert status["state"] == "failed" and "'Atlantis/Capital' is not a time zone" in status["message"]
    assert _count_events() == 0


def test_an_import_left_running_by_a_stopped_server_is_reported_failed(org, app):
    record = UsageImport(filename="old.csv", timezone="UTC", state=ImportState.RUNNING, unknown_usernames="{}",
                         updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    db.session.add(record)
    db.session.commit()
    status = jobs.job_status(record.id)
    assert status["state"] == "failed" and "nothing was saved" in status["message"]


def test_a_path_is_read_from_disk(org, tmp_path):
    path: Path = tmp_path / "usage.csv"
    path.write_text(GENERIC_CSV, encoding="utf-8")
    assert import_usage(path, timezone="UTC").filename == "usage.csv"
