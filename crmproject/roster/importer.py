"""Importing the employee roster from xlsx or csv: new people are added, known ones updated, moves dated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.i18n import lazy_gettext as _l
from crmproject.roster import services
from crmproject.roster.models import Employee, user_id_key, username_key
from crmproject.spreadsheets import (
    CellError, FieldSpec, ImportIssue, ReadLimits, infer_day_first, open_workbook, parse_bool, parse_date, parse_text,
    read_table, refused_as,
)

ROSTER_FIELDS = (
    FieldSpec("name", _l("Name"), ("Full name", "Employee", "Employee name", "Person"), required=True),
    FieldSpec("email", _l("E-mail"), ("Email", "Mail", "E-mail address", "Email address")),
    FieldSpec("department", _l("Department"), ("Dept", "Department code", "Unit", "Business unit", "Team"), required=True),
    FieldSpec("crm_username", _l("CRM user name"), ("CRM user", "User name", "Username", "Login", "CRM login")),
    FieldSpec("crm_user_id", _l("CRM user id"), (
        "CRM user ID", "Salesforce user id", "Salesforce id", "SFDC user id", "User ID", "UserId", "CRM id",
        "Dynamics user id", "System user id", "Zoho user id", "HubSpot user id", "SuiteCRM user id")),
    FieldSpec("job_role", _l("Job role"), ("Role", "Job title", "Title", "Position")),
    FieldSpec("start_date", _l("Start date"), ("Started", "Hired", "Joined", "Hire date"), kind="date"),
    FieldSpec("moved_on", _l("In department since"), ("Since", "Effective date", "Moved on", "Department since"), kind="date"),
    FieldSpec("active", _l("Active"), ("Status", "Employed", "Is active"), kind="bool"),
)
INACTIVE_WORDS = {"inactive", "left", "terminated", "former", "leaver"}
ACTIVE_WORDS = {"active", "employed", "current"}


class ImportRefused(Exception):
    pass


# The longest text each field's column holds (roster.models.Employee): longer is an error on its cell.
MAX_LENGTHS = {"name": 200, "email": 254, "crm_username": 200, "crm_user_id": 100, "job_role": 200}


@dataclass
class RosterRow:
    row: int
    name: str
    department: Department
    email: str | None
    crm_username: str | None
    crm_user_id: str | None
    job_role: str
    start_date: date | None
    moved_on: date | None
    active: bool


@dataclass
class RosterImport:
    filename: str
    sheet: str
    rows_read: int = 0
    rows: list[RosterRow] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)

    def summary(self, created: int = 0, updated: int = 0, moved: int = 0) -> dict:
        return {
            "file": self.filename, "sheet": self.sheet, "rows_read": self.rows_read, "rows_valid": len(self.rows),
            "employees_created": created, "employees_updated": updated, "department_changes": moved,
            "errors": [{"sheet": i.sheet, "row": i.row, "column": i.column_letter, "header": i.header, "message": i.message}
                       for i in self.issues],
        }


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


# Complexity 22 of one row's checks read top to bottom, a field at a time; split, they would hand a dozen values on.
def analyse(data: bytes, filename: str, *, limits: ReadLimits | None = None, encoding: str | None = None) -> RosterImport:  # noqa: C901
    """Check every row of the roster (read within `limits`, the configured ones by default; a CSV file in
    `encoding` when given); nothing is written."""
    from crmproject.uploads import read_limits

    with refused_as(ImportRefused):  # damaged, or over the read limits: the message says which
        workbook = open_workbook(data, filename, limits=limits or read_limits(), encoding=encoding)
        table = next((t for t in (read_table(s, ROSTER_FIELDS) for s in workbook.visible_sheets)
                      if t is not None and not t.header.missing), None)
    if table is None:
        raise ImportRefused(_("No sheet has a header row naming at least a name and a department in its first 30 rows."))
    result = RosterImport(filename=filename, sheet=table.sheet, rows_read=len(table.rows))
    departments = {}
    for d in db.session.scalars(select(Department)):
        departments[_key(d.name)] = d
        departments[_key(d.code)] = d
    day_first = infer_day_first(
        r.values.get(k) for r in table.rows for k in ("start_date", "moved_on") if isinstance(r.values.get(k), str)
    )
    check = _RowCheck(departments, epoch_1904=workbook.epoch_1904, day_first=day_first)
    for row in table.rows:
        problems = len(result.issues)

        def issue(key: str, text: str, row=row) -> None:
            result.issues.append(table.issue(row, key, text))

        checked = check(row, issue)
        if len(result.issues) == problems:
            result.rows.append(checked)
    return result


@dataclass
class _RowCheck:
    """One row's values read and checked, against the departments and the rows above it (an e-mail address, a
    CRM user name or id on two rows is a problem); each problem is told to `issue` at its column."""

    departments: dict[str, Department]
    epoch_1904: bool
    day_first: bool | None
    seen_emails: dict[str, int] = field(default_factory=dict)
    seen_users: dict[str, int] = field(default_factory=dict)
    seen_ids: dict[str, int] = field(default_factory=dict)

    def __call__(self, row, issue) -> RosterRow:
        name = (parse_text(row.values.get("name")) or "").strip()
        if not name:
            issue("name", _("The row has no name."))
        dept_text = (parse_text(row.values.get("department")) or "").strip()
        department = self.departments.get(_key(dept_text)) if dept_text else None
        if department is None:
            issue("department", _("There is no department named %(name)s.", name=dept_text) if dept_text else _("The row has no department."))
        email, user, user_id = self._identities(row, issue)
        job_role = (parse_text(row.values.get("job_role")) or "").strip()
        for key, text in (("name", name), ("email", email), ("crm_username", user), ("crm_user_id", user_id),
                          ("job_role", job_role)):
            if text and len(text) > MAX_LENGTHS[key]:
                issue(key, _("The text is %(n)s characters long; at most %(max)s fit here.", n=len(text),
                             max=MAX_LENGTHS[key]))
        dates = {}
        for key in ("start_date", "moved_on"):
            try:
                dates[key] = parse_date(row.values.get(key), epoch_1904=self.epoch_1904, day_first=self.day_first)
            except CellError as exc:
                issue(key, exc.message)
        return RosterRow(
            row=row.number, name=name, department=department, email=email, crm_username=user,  # type: ignore[arg-type]
            crm_user_id=user_id, job_role=job_role, start_date=dates.get("start_date"),
            moved_on=dates.get("moved_on"), active=self._active(row, issue),
        )

    def _identities(self, row, issue) -> tuple[str | None, str | None, str | None]:
        """The e-mail address, CRM user name and CRM user id, each on one row only."""
        email = (parse_text(row.values.get("email")) or "").strip().lower() or None
        if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
            issue("email", _("'%(value)s' is not an e-mail address.", value=email))
        elif email and email in self.seen_emails:
            issue("email", _("The e-mail %(email)s is already on row %(row)s.", email=email, row=self.seen_emails[email]))
        elif email:
            self.seen_emails[email] = row.number
        user = (parse_text(row.values.get("crm_username")) or "").strip() or None
        if user and username_key(user) in self.seen_users:
            issue("crm_username", _("The CRM user name %(user)s is already on row %(row)s.", user=user,
                                    row=self.seen_users[username_key(user)]))
        elif user:
            self.seen_users[username_key(user)] = row.number
        user_id = "".join((parse_text(row.values.get("crm_user_id")) or "").split()) or None
        if user_id and user_id_key(user_id) in self.seen_ids:
            issue("crm_user_id", _("The CRM user id %(id)s is already on row %(row)s.", id=user_id,
                                   row=self.seen_ids[user_id_key(user_id)]))
        elif user_id:
            self.seen_ids[user_id_key(user_id)] = row.number
        return email, user, user_id

    @staticmethod
    def _active(row, issue) -> bool:
        raw_active = row.values.get("active")
        if raw_active is None:
            return True
        text = _key(str(raw_active))
        if text in INACTIVE_WORDS or text in ACTIVE_WORDS:
            return text in ACTIVE_WORDS
        try:
            return bool(parse_bool(raw_active))
        except CellError as exc:
            issue("active", exc.message)
            return True


@dataclass(frozen=True)
class Saved:
    created: int
    updated: int
    moved: int
    moved_employee_ids: frozenset[int]  # whose usage must be counted again in their new department

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.created, self.updated, self.moved


def save(result: RosterImport, *, today: date) -> Saved:
    """Create or update every row (matched by e-mail, then CRM user name, then CRM user id); flushes, does not
    commit."""
    by_email = {e.email: e for e in db.session.scalars(select(Employee).where(Employee.email.is_not(None)))}
    by_user = {e.crm_username_key: e for e in db.session.scalars(select(Employee).where(Employee.crm_username_key.is_not(None)))}
    by_id = {e.crm_user_id_key: e for e in db.session.scalars(select(Employee).where(Employee.crm_user_id_key.is_not(None)))}
    created = updated = moved = 0
    moved_ids: set[int] = set()
    for r in result.rows:
        employee = ((by_email.get(r.email) if r.email else None)
                    or (by_user.get(username_key(r.crm_username)) if r.crm_username else None)
                    or (by_id.get(user_id_key(r.crm_user_id)) if r.crm_user_id else None))
        if employee is None:
            employee = services.create_employee(
                name=r.name, department=r.department, email=r.email, crm_username=r.crm_username, job_role=r.job_role,
                start_date=r.start_date, active=r.active, since=r.moved_on or r.start_date, crm_user_id=r.crm_user_id,
            )
            created += 1
        else:
            services.update_employee(employee, name=r.name, email=r.email or employee.email,
                                     crm_username=r.crm_username or employee.crm_username, job_role=r.job_role or employee.job_role,
                                     active=r.active, start_date=r.start_date or employee.start_date,
                                     crm_user_id=r.crm_user_id or employee.crm_user_id)
            if employee.department_id != r.department.id:
                services.move(employee, r.department, on=r.moved_on or today)
                moved += 1
                moved_ids.add(employee.id)
            updated += 1
        if employee.email:
            by_email[employee.email] = employee
        if employee.crm_username_key:
            by_user[employee.crm_username_key] = employee
        if employee.crm_user_id_key:
            by_id[employee.crm_user_id_key] = employee
    return Saved(created, updated, moved, frozenset(moved_ids))
