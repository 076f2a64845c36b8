"""Who and what a training file names: people by e-mail, CRM user name or name; courses by code or name (or as the
user mapped them); the ones to create when the options say so."""

from __future__ import annotations

from sqlalchemy import select

from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.roster.models import Employee, username_key
from crmproject.training.import_result import ImportRefused, NewCourse, NewEmployee
from crmproject.training.import_values import text_key
from crmproject.training.models import Course


class RowError(Exception):
    """A row (or header cell) that cannot be read; `key` is the field whose column is at fault."""

    def __init__(self, key: str | None, text: str) -> None:
        super().__init__(text)
        self.key = key
        self.text = text


class People:
    """Finds the employee of a row by e-mail, CRM user name or name; collects the people to create."""

    def __init__(self, create: bool, new: dict[str, NewEmployee]) -> None:
        self.create = create
        self.new = new
        self.by_email: dict[str, int] = {}
        self.by_user: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        self.new_users: dict[str, str] = {}
        rows = db.session.execute(select(Employee.id, Employee.email, Employee.crm_username_key, Employee.name))
        for employee_id, email, user_key, name in rows:
            if email:
                self.by_email[email.casefold()] = employee_id
            if user_key:
                self.by_user[user_key] = employee_id
            self.by_name.setdefault(text_key(name), []).append(employee_id)

    def apart(self, new: dict[str, NewEmployee]) -> People:
        """The same people, collecting the ones to create in `new` (a sheet only counted, not imported)."""
        other = object.__new__(People)
        other.__dict__.update(self.__dict__)
        other.new, other.new_users = new, {}
        return other

    def resolve(self, email: str | None, user: str | None, name: str | None) -> int | str:
        """An employee id or the key of a person to create; RowError when no one (or several) fit."""
        email = email.strip() if email and email.strip() else None
        user = user.strip() if user and user.strip() else None
        name = " ".join(name.split()) if name and name.strip() else None
        if name and "@" in name and email is None:
            email, name = name, None
        if email and (found := self.by_email.get(email.casefold())) is not None:
            return found
        if user and (found := self.by_user.get(username_key(user))) is not None:
            return found
        # a name column may hold CRM user names too
        if name and not email and not user and (found := self.by_user.get(username_key(name))) is not None:
            return found
        if name:
            same = self.by_name.get(text_key(name), [])
            if len(same) == 1:
                return same[0]
            if len(same) > 1:
                raise RowError("employee", _("Several people are called %(name)s: add an Email or CRM user column.", name=name))
        if email is None and user is None and name is None:
            raise RowError("employee", _("The row names no person."))
        if not self.create:
            if email:
                raise RowError("email", _("No employee has the e-mail %(email)s.", email=email))
            if user:
                raise RowError("user", _("No employee has the CRM user name %(user)s.", user=user))
            raise RowError("employee", _("No employee is called %(name)s.", name=name))
        return self._to_create(email, user, name)

    def _to_create(self, email: str | None, user: str | None, name: str | None) -> str:
        if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254):
            raise RowError("email", _("%(email)s is not an e-mail address.", email=email))
        if user is not None and len(user) > 200:
            raise RowError("user", _("The CRM user name can have at most %(n)s characters.", n=200))
        key = f"e:{email.casefold()}" if email else f"u:{username_key(user)}" if user else f"n:{text_key(name or '')}"
        if user is not None:
            # the CRM user name of a new person is unique too
            owner = self.new_users.setdefault(username_key(user), key)
            if owner != key:
                raise RowError("user", _("%(user)s is the CRM user name of another new person in this file.", user=user))
        if key not in self.new:
            self.new[key] = NewEmployee(name=(name or user or email or "")[:200], email=email.lower() if email else None,
                                        crm_username=user)
        return key


class Courses:
    """Finds a course by code or name; collects the courses to create."""

    def __init__(self, create: bool, new: dict[str, NewCourse], course_map: dict[str, str] | None = None) -> None:
        self.create = create
        self.new = new
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        for course_id, code, name in db.session.execute(select(Course.id, Course.code, Course.name)):
            self.by_code[text_key(code)] = course_id
            self.by_name.setdefault(text_key(name), []).append(course_id)
        self.mapped: dict[str, int] = {}
        for text, code in (course_map or {}).items():
            found = self.find(code)
            if found is None:
                raise ImportRefused(_("--course %(text)s=%(code)s: no course has the code or name %(code)s.", text=text, code=code))
            self.mapped[text_key(text)] = found

    def apart(self, new: dict[str, NewCourse]) -> Courses:
        """The same courses, collecting the ones to create in `new` (a sheet only counted, not imported)."""
        other = object.__new__(Courses)
        other.__dict__.update(self.__dict__)
        other.new = new
        return other

    def known(self, text: str) -> int | None:
        """The course a header names, by the user's mapping, its code or its name; None for no existing course."""
        return self.mapped.get(text_key(text)) if text_key(text) in self.mapped else self.find(text)

    def find(self, text: str) -> int | None:
        key = text_key(text)
        if (found := self.by_code.get(key)) is not None:
            return found
        same = self.by_name.get(key, [])
        return same[0] if len(same) == 1 else None

    def resolve(self, code: str, name: str | None, *, column_key: str = "course") -> int | str:
        code = " ".join(code.split())
        if (found := self.known(code)) is not None:
            return found
        if name and (found := self.find(name)) is not None:
            return found
        if len(self.by_name.get(text_key(code), [])) > 1:
            raise RowError(column_key, _("Several courses are called %(name)s: use the course code.", name=code))
        if not self.create:
            raise RowError(column_key, _("No course has the code or name %(course)s (--create-courses creates it, or "
                                         "--course \"%(course)s=CODE\" maps it to an existing course).", course=code))
        if len(code) > 50:
            raise RowError(column_key, _("A course code can have at most %(n)s characters.", n=50))
        key = text_key(code)
        self.new.setdefault(key, NewCourse(code=code, name=(name or code)[:200]))
        return key
