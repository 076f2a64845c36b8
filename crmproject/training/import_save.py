"""Saving a clean training import: new courses and people first, then the enrolments, inserted and updated in
batches (no ORM flush per row), in the caller's transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from crmproject.db import utcnow
from crmproject.extensions import db
from crmproject.roster.models import Employee, username_key
from crmproject.training import services
from crmproject.training.import_result import NewEmployee, SaveCounts, TrainingImport
from crmproject.training.models import Enrolment, EnrolmentStatus

BATCH = 5_000


def save(result: TrainingImport) -> SaveCounts:
    """Write the records of a clean analysis (the caller commits): new courses and people first, then
    the enrolments, inserted and updated in batches. An existing enrolment of the same person and
    course takes the file's status, date and score."""
    if result.issues:
        raise ValueError("an import with errors is never saved")
    counts = SaveCounts()
    course_ids: dict[int | str, int] = {}
    for key, new in result.new_courses.items():
        course_ids[key] = services.create_course(services.CourseValues(code=new.code, name=new.name)).id
        counts.courses_created += 1
    employee_ids: dict[int | str, int] = {}
    if result.new_employees:
        _insert_employees(result.new_employees)
        employee_ids = _created_employee_ids(result.new_employees)
        counts.employees_created = len(result.new_employees)

    # a person or course to create is named by a text key until then; every one has an id now
    records = [(employee_ids[r.person] if isinstance(r.person, str) else r.person,
                course_ids[r.course] if isinstance(r.course, str) else r.course, r) for r in result.records]
    involved = sorted({course for _, course, _ in records})
    existing: dict[tuple[int, int], tuple[int, EnrolmentStatus, date | None, Decimal | None]] = {}
    for start in range(0, len(involved), 500):
        rows = db.session.execute(
            select(Enrolment.employee_id, Enrolment.course_id, Enrolment.id, Enrolment.status, Enrolment.completed_on, Enrolment.score)
            .where(Enrolment.course_id.in_(involved[start:start + 500])))
        for employee_id, course_id, enrolment_id, status, completed_on, score in rows:
            existing[(employee_id, course_id)] = (enrolment_id, status, completed_on, score)

    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    for employee_id, course_id, r in records:
        old = existing.get((employee_id, course_id))
        if old is None:
            inserts.append({"employee_id": employee_id, "course_id": course_id, "status": r.status,
                            "completed_on": r.completed_on, "score": r.score, "created_at": now, "updated_at": now})
        elif (old[1], old[2], old[3]) == (r.status, r.completed_on, r.score):
            counts.unchanged += 1
        else:
            updates.append({"b_id": old[0], "b_status": r.status, "b_completed_on": r.completed_on, "b_score": r.score,
                            "b_updated_at": now})
    table = Enrolment.__table__
    for start in range(0, len(inserts), BATCH):
        db.session.execute(insert(table), inserts[start:start + BATCH])
    statement = update(table).where(table.c.id == bindparam("b_id")).values(
        status=bindparam("b_status"), completed_on=bindparam("b_completed_on"), score=bindparam("b_score"),
        updated_at=bindparam("b_updated_at"))
    for start in range(0, len(updates), BATCH):
        db.session.execute(statement, updates[start:start + BATCH])
    counts.added, counts.changed = len(inserts), len(updates)
    return counts


def _insert_employees(new: dict[str, NewEmployee]) -> None:
    now = utcnow()
    rows = [{"name": e.name, "email": e.email, "crm_username": e.crm_username,
             "crm_username_key": username_key(e.crm_username) if e.crm_username else None, "job_role": "",
             "active": True, "created_at": now, "updated_at": now} for e in new.values()]
    table = Employee.__table__
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start:start + BATCH])


def _created_employee_ids(new: dict[str, NewEmployee]) -> dict[int | str, int]:
    """Key of each person just created -> their id (one SELECT over the people with those e-mails or user names)."""
    ids: dict[int | str, int] = {}
    by_email = {e.email: key for key, e in new.items() if e.email}
    by_user = {username_key(e.crm_username): key for key, e in new.items() if not e.email and e.crm_username}
    by_name = {e.name: key for key, e in new.items() if not e.email and not e.crm_username}
    rows = db.session.execute(select(Employee.id, Employee.email, Employee.crm_username_key, Employee.name, Employee.created_at)
                              .order_by(Employee.id.desc()))
    for employee_id, email, user_key, name, _created in rows:
        if email and email in by_email and by_email[email] not in ids:
            ids[by_email[email]] = employee_id
        elif user_key and user_key in by_user and by_user[user_key] not in ids:
            ids[by_user[user_key]] = employee_id
        elif not email and not user_key and name in by_name and by_name[name] not in ids:
            ids[by_name[name]] = employee_id  # newest first: the one just inserted
        if len(ids) == len(new):
            break
    return ids
