"""The CRMs' standard usage exports (tests/fixtures/crm_exports, built from each vendor's documented columns):
every event counted, matched by user name or by CRM user id, service accounts kept out."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmproject.adoption.models import AdoptionSnapshot, UsageEvent
from crmproject.adoption.usage import import_usage, usage_import_summary
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.roster import services
from crmproject.roster.models import user_id_key

EXPORTS = Path(__file__).parent.parent / "fixtures" / "crm_exports"


@pytest.fixture
def sales(make_department):
    return make_department(name="Sales", code="SALES", licensed_seats=4)


@pytest.fixture
def service(make_department):
    return make_department(name="Service", code="SERVICE", licensed_seats=2)


def _person(name, department, *, username=None, user_id=None):
    return services.create_employee(name=name, department=department, crm_username=username, crm_user_id=user_id,
                                    since=date(2023, 1, 1))


def _events(*, matched: bool = False):
    """The events stored, oldest first; `matched`: only those given to a person (events of service accounts are
    stored unmatched, so that a change of the rule can count them)."""
    query = select(UsageEvent.username_key, UsageEvent.occurred_at, UsageEvent.action, UsageEvent.object,
                   UsageEvent.is_login, UsageEvent.employee_id).order_by(UsageEvent.occurred_at)
    if matched:
        query = query.where(UsageEvent.employee_id.is_not(None))
    return db.session.execute(query).all()


def _utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_salesforce_ids_of_15_and_18_characters_are_one_user():
    assert user_id_key("0055j00000AT6I1AAL") == user_id_key("0055j00000AT6I1") == "0055j00000AT6I1"
    assert user_id_key("0055j00000at6i1") != user_id_key("0055j00000AT6I1")  # 15-character ids keep their case
    assert user_id_key("{7F3A2C1E-5B6D-4E8F-9A0B-1C2D3E4F5A6B}") == "7f3a2c1e-5b6d-4e8f-9a0b-1c2d3e4f5a6b"


def test_event_log_file_login_with_empty_user_names_matched_by_user_id(sales, service):
    anna = _person("Anna", sales, user_id="0055j00000AT6I1AAL")  # the 18-character form; the file has both
    boris = _person("Boris", service, user_id="0055j00000BQ7J2")  # the 15-character form
    db.session.commit()
    record = import_usage(EXPORTS / "salesforce_elf_login.csv", timezone="Europe/Moscow")
    # 5 rows: 3 sign-ins counted, 1 failed (LOGIN_ERROR_INVALID_PASSWORD), 1 of integration@ kept out of adoption
    # (stored unmatched, so that undoing the rule counts it)
    assert (record.rows_read, record.events_added, record.unknown_events, record.excluded_events) == (5, 4, 0, 1)
    assert json.loads(record.excluded_accounts) == {"integration@crm.example.com": 1}
    assert "Salesforce event log file" in record.message and "1 failed sign-ins" in record.message
    assert [(e.occurred_at, e.action, e.object, e.is_login, e.employee_id) for e in _events(matched=True)] == [
        (_utc(2023, 12, 18, 5, 48, 31, 655000), "Login", "/index.jsp", True, anna.id),
        # TIMESTAMP_DERIVED empty: TIMESTAMP 20231218071122.004, in GMT
        (_utc(2023, 12, 18, 7, 11, 22, 4000), "Login", "/services/oauth2/token", True, boris.id),
        (_utc(2023, 12, 18, 20, 5, 30, 777000), "Login", "/index.jsp", True, boris.id),
    ]
    # 20:05 UTC is 23:05 in Moscow: still the 18th; both people were active and logged in that day
    snapshots = {s.department_id: s for s in db.session.scalars(
        select(AdoptionSnapshot).where(AdoptionSnapshot.day == date(2023, 12, 18)))}
    assert (snapshots[sales.id].active_users, snapshots[sales.id].logins) == (1, 1)
    assert (snapshots[service.id].active_users, snapshots[service.id].logins) == (1, 2)


def test_lightning_page_views_with_empty_user_names_every_event_counted(sales, service):
    anna = _person("Anna", sales, user_id="0055j00000AT6I1")
    boris = _person("Boris", service, user_id="0055j00000BQ7J2AAL")
    db.session.commit()
    record = import_usage(EXPORTS / "salesforce_elf_lightningpageview.csv", timezone="UTC")
    assert (record.rows_read, record.events_added, record.unknown_events) == (4, 4, 0)
    assert [(e.action, e.object, e.is_login, e.employee_id) for e in _events()] == [
        ("LightningPageView", "Opportunity", False, anna.id),
        ("LightningPageView", "/lightning/o/Case/home", False, anna.id),  # no PAGE_ENTITY_TYPE: the page URL
        ("LightningPageView", "Case", False, boris.id),
        ("LightningPageView", "/lightning/page/home", False, boris.id),
    ]
    assert _events()[-1].occurred_at == _utc(2023, 12, 18, 20, 10, 10, 500000)  # from TIMESTAMP


def test_unknown_user_ids_are_listed_and_matched_once_the_roster_has_them(sales, service):
    record = import_usage(EXPORTS / "salesforce_elf_lightningpageview.csv", timezone="UTC")
    summary = usage_import_summary(record)
    assert summary["unknown_users"] == {"user id 0055j00000AT6I1": 2, "user id 0055j00000BQ7J2": 2}
    anna = _person("Anna", sales, user_id="0055j00000AT6I1")
    db.session.flush()
    from crmproject.adoption.usage import refresh_after_roster_change

    assert refresh_after_roster_change() == 2
    assert [e.employee_id for e in _events()].count(anna.id) == 2


def test_salesforce_login_history_object_export_by_user_id(sales, service):
    anna = _person("Anna", sales, user_id="0055j00000AT6I1")
    db.session.commit()
    record = import_usage(EXPORTS / "salesforce_loginhistory_api.csv", timezone="UTC")
    assert "Salesforce login history" in record.message
    assert (record.rows_read, record.events_added, record.unknown_events) == (3, 2, 1)
    assert [(e.action, e.is_login, e.employee_id) for e in _events()] == [
        ("Application", True, anna.id), ("Remote Access 2.0", True, None)]


def test_dynamics_audit_summary_keeps_system_and_application_users_out(sales, service):
    anna = _person("Anna", sales, username="Anna K")
    boris = _person("Boris", service, username="Boris P")
    db.session.commit()
    record = import_usage(EXPORTS / "dynamics_audit_summary.csv", timezone="UTC")
    assert "Dynamics 365 audit summary" in record.message
    assert (record.rows_read, record.events_added, record.excluded_events) == (6, 6, 2)
    assert json.loads(record.excluded_accounts) == {"SYSTEM": 1, "# Power Automate Flow": 1}
    assert [(e.action, e.object, e.is_login, e.employee_id) for e in _events(matched=True)] == [
        ("User Access via Web", "User", True, anna.id), ("Update", "Opportunity", False, anna.id),
        ("Create", "Phone Call", False, anna.id), ("Update", "Case", False, boris.id)]


def test_hubspot_login_history_every_row_a_sign_in_but_hubspot_tools(sales, service):
    anna = _person("Anna", sales, username="anna.k@example.com")
    _person("Boris", service, username="boris.p@example.com")
    db.session.commit()
    record = import_usage(EXPORTS / "hubspot_login_history.csv", timezone="UTC")
    assert "HubSpot login history" in record.message
    # a failed sign-in (Login Succeeded false) and a HubSpot tools login (HubSpot's own process) are not use
    assert (record.rows_read, record.events_added, record.excluded_events) == (4, 2, 1)
    assert "1 failed sign-ins" in record.message
    assert [(e.action, e.is_login) for e in _events()][0] == ("Password login", True)
    assert _events()[0].employee_id == anna.id


def test_zoho_audit_log_keeps_zoho_crm_system_actions_out(sales, service):
    anna = _person("Anna", sales, username="anna.k@example.com")
    db.session.commit()
    record = import_usage(EXPORTS / "zoho_audit_log.csv", timezone="UTC")
    assert "Zoho CRM audit log" in record.message
    assert (record.rows_read, record.events_added, record.unknown_events, record.excluded_events) == (4, 4, 1, 1)
    assert [(e.action, e.object, e.employee_id) for e in _events(matched=True)][:2] == [
        ("Updated", "Deals", anna.id), ("Added", "Calls", anna.id)]


def test_suitecrm_tracker_matched_by_user_guid_whatever_its_case(sales, service):
    anna = _person("Anna", sales, user_id="7f3a2c1e-5b6d-4e8f-9a0b-1c2d3e4f5a6b")
    db.session.commit()
    record = import_usage(EXPORTS / "suitecrm_tracker.csv", timezone="UTC")
    assert "SuiteCRM tracker" in record.message
    assert (record.rows_read, record.events_added, record.unknown_events) == (3, 3, 1)
    assert [(e.action, e.object, e.employee_id) for e in _events()][:2] == [
        ("detailview", "Opportunities", anna.id), ("save", "Opportunities", anna.id)]


def test_a_user_type_of_automated_process_is_kept_out_and_the_rule_can_be_changed(sales):
    from crmproject.adoption.usage_accounts import exclusion_settings, save_exclusions

    anna = _person("Anna", sales, username="anna.k")
    _person("Ops bot", sales, username="ops.bot")
    db.session.commit()
    export = ("EVENT_TYPE,TIMESTAMP,USER_ID,USER_NAME,USER_TYPE,URI,TIMESTAMP_DERIVED\n"
              "URI,20231218090000.000,0055j00000DD1A1,autoproc@00d5j00000dgayg,AutomatedProcess,/006/e,\n"
              "URI,20231218091000.000,0055j00000AT6I1,anna.k,Standard,/006/e,\n"
              "URI,20231218092000.000,0055j00000EE2B2,ops.bot,Standard,/001/e,\n")
    record = import_usage(export.encode(), "URI.csv", timezone="UTC")
    assert (record.events_added, record.excluded_events) == (2, 1)
    day = date(2023, 12, 18)

    def active() -> int:
        return db.session.scalar(select(AdoptionSnapshot.active_users).where(
            AdoptionSnapshot.department_id == sales.id, AdoptionSnapshot.day == day))

    assert active() == 2
    # the administrator names ops.bot: its events already imported stop counting, and adoption is recomputed
    settings = exclusion_settings()
    assert save_exclusions(settings, patterns_text=settings.patterns + "\nops.*", vendor_markers=True) == 1
    assert active() == 1
    assert db.session.scalar(select(func.count()).select_from(UsageEvent).where(
        UsageEvent.employee_id == anna.id)) == 1
    # and taking the pattern away counts them again
    assert save_exclusions(settings, patterns_text="integration@*", vendor_markers=True) == 1
    assert active() == 2


def test_a_pattern_that_keeps_everyone_out_is_refused(app):
    from crmproject.adoption.usage_accounts import exclusion_settings, save_exclusions
    from crmproject.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="Line 2, '\\*', would keep every account out"):
        save_exclusions(exclusion_settings(), patterns_text="svc-*\n*\n", vendor_markers=True)


def test_the_excluded_accounts_form_on_the_imports_page(client, login, make_user, sales):
    from crmproject.adoption.usage_accounts import current_rule

    _person("Anna", sales, username="anna.k")
    db.session.commit()
    login(make_user(role=Role.ADMIN))
    page = client.get("/adoption/imports")
    assert page.status_code == 200 and b'id="excluded-accounts"' in page.data and b"integration@*" in page.data
    response = client.post("/adoption/imports/excluded-accounts",
                           data={"patterns": "svc-*\nrobot.*", "vendor_markers": "", "version": "1"})
    assert response.status_code == 302
    rule = current_rule()
    assert rule.patterns == ("svc-*", "robot.*") and not rule.vendor_markers
    refused = client.post("/adoption/imports/excluded-accounts", data={"patterns": "*", "version": "2"})
    assert refused.status_code == 200 and b"would keep every account out" in refused.data
    assert current_rule().patterns == ("svc-*", "robot.*")  # nothing half-saved
    record = import_usage(b"user,time\nrobot.sync,2026-03-02 03:00:00\nanna.k,2026-03-02 09:00:00\n", "u.csv",
                          timezone="UTC")
    shown = client.get(f"/adoption/imports/{record.id}").data
    assert b'id="excluded-accounts"' in shown and b"robot.sync" in shown


def test_events_kept_out_at_import_count_once_the_rule_lets_them_in(sales):
    from crmproject.adoption.usage_accounts import exclusion_settings, save_exclusions

    _person("Anna", sales, username="anna.k")
    _person("Sync robot", sales, username="robot.sync")
    db.session.commit()
    settings = exclusion_settings()
    save_exclusions(settings, patterns_text="robot.*", vendor_markers=True)
    db.session.commit()
    record = import_usage(b"user,time\nrobot.sync,2026-03-02 03:00:00\nanna.k,2026-03-02 09:00:00\n", "u.csv",
                          timezone="UTC")
    assert (record.rows_read, record.excluded_events, record.unknown_events) == (2, 1, 0)

    def active() -> int:
        return db.session.scalar(select(AdoptionSnapshot.active_users).where(
            AdoptionSnapshot.department_id == sales.id, AdoptionSnapshot.day == date(2026, 3, 2)))

    assert active() == 1
    # the administrator learns robot.sync is a person after all: the event imported before now counts
    assert save_exclusions(settings, patterns_text="", vendor_markers=True) == 1
    assert active() == 2


def test_dry_run_prints_what_the_import_would_do_and_keeps_nothing(runner, sales, service):
    from crmproject.adoption.models import UsageImport

    _person("Anna", sales, user_id="0055j00000AT6I1AAL")
    _person("Boris", service, user_id="0055j00000BQ7J2")
    db.session.commit()
    result = runner("import", "usage", str(EXPORTS / "salesforce_elf_login.csv"), "--timezone", "Europe/Moscow",
                    "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["dry_run"] is True and summary["id"] is None
    assert (summary["rows_read"], summary["events_added"], summary["excluded_events"]) == (5, 4, 1)
    assert summary["departments_updated"] == ["Sales", "Service"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(UsageImport)) == 0
    assert db.session.scalar(select(func.count()).select_from(AdoptionSnapshot)) == 0

    text = runner("import", "usage", str(EXPORTS / "salesforce_elf_login.csv"), "--timezone", "Europe/Moscow",
                  "--dry-run")
    assert text.exit_code == 0 and "4 events added" in text.output and "Dry run: nothing was saved." in text.output
    # the real import afterwards adds the same events: the dry run left nothing that would count as a duplicate
    saved = json.loads(runner("import", "usage", str(EXPORTS / "salesforce_elf_login.csv"), "--timezone",
                              "Europe/Moscow", "--json").output)
    assert (saved["events_added"], saved["duplicates"]) == (4, 0)


_API_LOG = ("EVENT_TYPE,TIMESTAMP,REQUEST_ID,ORGANIZATION_ID,USER_ID,USER_TYPE,URI,TIMESTAMP_DERIVED,USER_ID_DERIVED\n"
            "{rows}")


def _api_row(event_type, minute, user_id, uri="/services/data/v59.0/sobjects/Account"):
    return (f"{event_type},2023121809{minute:02d}00.000,4u6Ly{minute},00D5j00000DgAYG,{user_id[:15]},Standard,{uri},"
            f"2023-12-18T09:{minute:02d}:00.000Z,{user_id}\n")


def test_an_account_not_in_the_roster_that_only_calls_the_api_is_an_integration_user(sales):
    from crmproject.adoption.usage_accounts import exclusion_settings, save_exclusions

    _person("Anna", sales, user_id="0055j00000AT6I1AAL")
    db.session.commit()
    rows = (_api_row("LightningPageView", 1, "0055j00000AT6I1AAL", "/lightning/r/Opportunity/006/view")
            + _api_row("RestApi", 2, "0055j00000AT6I1AAL")  # Anna on the mobile app: she is in the roster
            + "".join(_api_row(kind, minute, "0055j00000IN7G1AAL")  # the integration: sign-in and API calls only
                      for kind, minute in (("Login", 3), ("RestApi", 4), ("BulkApi", 5), ("RestApi", 6)))
            + _api_row("URI", 7, "0055j00000NE9W1AAL", "/006/e")  # a person the roster lacks
            + _api_row("RestApi", 8, "0055j00000NE9W1AAL"))
    record = import_usage(_API_LOG.format(rows=rows).encode(), "EventLogFile.csv", timezone="UTC")
    assert json.loads(record.excluded_accounts) == {"user id 0055j00000IN7G1": 4}
    assert json.loads(record.unknown_usernames) == {"user id 0055j00000NE9W1": 2}
    assert (record.rows_read, record.excluded_events, record.unknown_events) == (8, 4, 2)
    assert "only called the CRM's API" in record.message and "0055j00000IN7G1" in record.message
    assert len(_events(matched=True)) == 2

    # with the vendors' markers switched off, the same account is listed among the unknown users
    save_exclusions(exclusion_settings(), patterns_text="", vendor_markers=False)
    db.session.commit()
    rows_later = rows.replace("20231218", "20231219").replace("2023-12-18", "2023-12-19")
    again = import_usage(_API_LOG.format(rows=rows_later).encode(), "EventLogFile.csv", timezone="UTC")
    assert again.excluded_events == 0
    assert json.loads(again.unknown_usernames) == {"user id 0055j00000IN7G1": 4, "user id 0055j00000NE9W1": 2}


def test_in_an_export_of_api_calls_alone_nobody_is_taken_for_an_integration(sales):
    _person("Anna", sales, user_id="0055j00000AT6I1AAL")
    db.session.commit()
    rows = _api_row("RestApi", 1, "0055j00000AT6I1AAL") + _api_row("RestApi", 2, "0055j00000NE9W1AAL")
    record = import_usage(_API_LOG.format(rows=rows).encode(), "RestApi.csv", timezone="UTC")
    assert (record.excluded_events, record.unknown_events) == (0, 1)


def test_in_a_sign_in_history_only_an_account_signing_in_by_the_api_alone_is_an_integration(sales):
    history = ('"UserId","LoginTime","LoginType","Status"\n'
               '"0055j00000AA1A1AAL","2023-12-18T08:00:00.000+0000","Application","Success"\n'
               '"0055j00000AA1A1AAL","2023-12-18T09:00:00.000+0000","Other Apex API","Success"\n'  # Data Loader
               '"0055j00000IN7G1AAL","2023-12-18T09:30:00.000+0000","Other Apex API","Success"\n'
               '"0055j00000IN7G1AAL","2023-12-18T10:30:00.000+0000","Other Apex API","Success"\n')
    record = import_usage(history.encode(), "LoginHistory.csv", timezone="UTC")
    assert json.loads(record.excluded_accounts) == {"user id 0055j00000IN7G1AAL": 2}
    assert json.loads(record.unknown_usernames) == {"user id 0055j00000AA1A1AAL": 2}  # a person: kept, listed


def test_an_event_log_of_sign_ins_and_api_calls_alone_takes_nobody_for_an_integration(sales):
    rows = _api_row("Login", 1, "0055j00000NE9W1AAL") + _api_row("RestApi", 2, "0055j00000NE9W1AAL")
    record = import_usage(_API_LOG.format(rows=rows).encode(), "Login-and-RestApi.csv", timezone="UTC")
    assert (record.excluded_events, record.unknown_events) == (0, 2)
