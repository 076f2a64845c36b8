import json
from datetime import date

import pytest

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.roster import services
from crmproject.roster.models import Employee


def test_a_move_keeps_the_history_and_answers_which_department_on_a_day(make_department):
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="CS")
    ann = services.create_employee(name="Ann", department=sales, crm_username=" A.Smith ", since=date(2026, 1, 1))
    services.move(ann, service, on=date(2026, 5, 1))
    db.session.commit()
    assert ann.crm_username_key == "a.smith"
    assert services.department_on(ann, date(2026, 4, 30)) == sales.id
    assert services.department_on(ann, date(2026, 5, 1)) == service.id
    assert services.department_on(ann, date(2025, 12, 31)) is None
    with pytest.raises(ValidationFailed, match="after the last one"):
        services.move(ann, sales, on=date(2026, 4, 1))


def test_crm_user_names_are_unique_ignoring_case_and_spaces(make_department):
    sales = make_department()
    services.create_employee(name="Ann", department=sales, crm_username="asmith")
    with pytest.raises(ValidationFailed) as exc:
        services.create_employee(name="Andy", department=sales, crm_username="A Smith")
    assert "already has the CRM user name" in exc.value.errors["crm_username"][0]


def test_roster_import_adds_updates_and_dates_moves(runner, make_department, tmp_path):
    make_department(name="Sales", code="SALES")
    make_department(name="Customer Service", code="CS")
    path = tmp_path / "roster.csv"
    path.write_text("Staff list\n\nFull name;Email;Dept;Username;Job title;Hired;Status\n"
                    "Ann Lee;ann@example.com;sales;alee;Account manager;03/02/2025;active\n"
                    "Bob Roy;bob@example.com;Customer Service;broy;Agent;15/01/2024;left\n", encoding="cp1252")
    result = runner("import", "roster", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["employees_created"] == 2
    bob = db.session.scalar(db.select(Employee).where(Employee.email == "bob@example.com"))
    assert (bob.active, bob.start_date, bob.department.code) == (False, date(2024, 1, 15), "CS")
    path.write_text("Name,Email,Department,In department since\nAnn Lee,ann@example.com,CS,2026-06-01\n", encoding="utf-8")
    result = runner("import", "roster", str(path), "--json")
    assert json.loads(result.output)["department_changes"] == 1
    ann = db.session.scalar(db.select(Employee).where(Employee.email == "ann@example.com"))
    assert [(h.department.code, h.valid_from, h.valid_to) for h in ann.department_history] == [
        ("SALES", date(2025, 2, 3), date(2026, 5, 31)), ("CS", date(2026, 6, 1), None)]


def test_roster_import_reports_rows_and_saves_nothing(runner, make_department, tmp_path):
    make_department(name="Sales", code="SALES")
    path = tmp_path / "roster.csv"
    path.write_text("Name,Email,Department,Username,Start date\n"
                    "Ann,ann@example.com,Sales,alee,2025-02-03\n"
                    "Bob,not-an-email,Sales,broy,2025-02-03\n"
                    "Cy,cy@example.com,Atlantis,ALee,someday\n", encoding="utf-8")
    result = runner("import", "roster", str(path), "--json")
    assert result.exit_code != 0
    errors = json.loads(result.output[: result.output.rindex("}") + 1])["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(3, "B"), (4, "C"), (4, "D"), (4, "E")}
    assert db.session.scalar(db.select(db.func.count()).select_from(Employee)) == 0


def test_roster_import_refuses_text_longer_than_its_column_naming_the_cell(runner, make_department, tmp_path):
    """A CRM user id (or name, user name, e-mail, job role) too long to store is an error on its cell, not a crash
    of the database on PostgreSQL; nothing is saved."""
    make_department(name="Sales", code="SALES")
    path = tmp_path / "roster.csv"
    path.write_text("Name,Email,Department,CRM user ID,Username,Job title\n"
                    f"Ann,ann@example.com,Sales,{'A' * 101},alee,Rep\n"
                    f"Bob,bob@example.com,Sales,0055j00000BQ7J2,{'b' * 201},{'R' * 201}\n", encoding="utf-8")
    result = runner("import", "roster", str(path), "--json")
    assert result.exit_code != 0
    errors = json.loads(result.output[: result.output.rindex("}") + 1])["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "D"), (3, "E"), (3, "F")}
    assert "100" in next(e["message"] for e in errors if e["column"] == "D")
    assert db.session.scalar(db.select(db.func.count()).select_from(Employee)) == 0


def _active_users(department_id: int, day: date) -> int | None:
    from crmproject.adoption.models import AdoptionSnapshot

    snapshot = db.session.scalar(db.select(AdoptionSnapshot).where(
        AdoptionSnapshot.department_id == department_id, AdoptionSnapshot.day == day))
    return None if snapshot is None else snapshot.active_users


def test_a_roster_import_recounts_usage_imported_before_it(runner, make_department, tmp_path):
    """A move dated in the past moves the usage of those days; a new user name claims its unknown events."""
    from crmproject.adoption.usage import import_usage

    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="CS")
    services.create_employee(name="Ann Lee", department=sales, email="ann@example.com", crm_username="alee",
                             since=date(2026, 1, 1))
    db.session.commit()
    usage = ("User Name,Timestamp,Action\n"
             "alee,2026-03-02 09:00,Login\nalee,2026-03-20 09:00,Login\nbroy,2026-03-20 10:00,Login\n")
    record = import_usage(usage.encode(), "usage.csv", timezone="UTC")
    assert record.unknown_events == 1
    assert (_active_users(sales.id, date(2026, 3, 20)), _active_users(service.id, date(2026, 3, 20))) == (1, None)

    path = tmp_path / "roster.csv"
    path.write_text("Name,Email,Department,Username,In department since\n"
                    "Ann Lee,ann@example.com,Service,alee,2026-03-10\n"
                    "Bob Roy,bob@example.com,Service,broy,2026-01-01\n", encoding="utf-8")
    result = runner("import", "roster", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["usage_events_recounted"] == 2  # Ann's day after her move, Bob's login
    # before the move Ann counts in Sales; after it she and Bob count in Service, and Sales no longer has her
    assert _active_users(sales.id, date(2026, 3, 2)) == 1
    assert _active_users(sales.id, date(2026, 3, 20)) == 0
    assert _active_users(service.id, date(2026, 3, 20)) == 2
