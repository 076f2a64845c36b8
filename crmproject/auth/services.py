"""Users: creation, roles, deactivation and authentication."""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy.orm import selectinload
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from crmproject.collation import collated
from crmproject.auth.models import Role, User, new_session_token
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.auth import throttle
from crmproject.errors import DomainError, ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _, ngettext

# OWASP ASVS 4.0 section 2.1: at least 12 characters, at least 64 allowed (128 here), no composition rules,
# refused when common, breached or guessable (zxcvbn: its lists of passwords from real breaches, words,
# names and keyboard patterns), or when it holds the user's name or e-mail address.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_SCORE = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable", about 10^10 guesses
# Compared against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _hash(password: str) -> str:
    # The test suite asks for a cheaper method; production uses werkzeug's default (scrypt).
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def user_for_session(session_token: str) -> User | None:
    """The active user whose current session token this is; None once it was replaced (logout, "log out
    everywhere", a password change, deactivation) or the account is deactivated."""
    if not session_token or len(session_token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


def end_sessions(user: User) -> None:
    """Replace the user's session token: every session and "keep me logged in" cookie issued so far stops working.

    Written past the version of the user's row (crmproject.db.Versioned), as the login's own stamp is: signing in
    or out is not an edit, and must not make an administrator's open form of the user stale."""
    _stamp(user, session_token=new_session_token())


def _stamp(user: User, **values: object) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(**values))


def list_users() -> list[User]:
    """Every user, active first, with their department (one query more, however many departments)."""
    return list(db.session.scalars(select(User).options(selectinload(User.department))
                                   .order_by(User.active.desc(), collated(User.name))))


def list_active_users() -> list[User]:
    """Everyone who can be given work: the active users by name."""
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(collated(User.name))))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used, in words for the user; None when it may."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("The password may have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)
    email = normalise_email(email)
    local = email.partition("@")[0]
    personal = _personal_words(local, name)
    folded = password.casefold()
    if len(local) >= 4 and local in folded or set(_WORD.findall(folded)) & personal:
        return _("The password must not contain your name or e-mail address.")
    result = zxcvbn(password, user_inputs=sorted(personal), max_length=MAX_PASSWORD_LENGTH)
    if result["score"] < MIN_PASSWORD_SCORE:
        return _("This password is too easy to guess: %(reason)s Try three or four unrelated words.",
                 reason=_guessable_reason(result["feedback"]["warning"]))
    return None


# A word of a password, a name or an e-mail address: a run of letters (so "Ann" is in "ann.lee-2026" and
# "Lee!rules", but not in "planning annual budget").
_WORD = re.compile(r"[^\W\d_]+")


def _personal_words(local: str, name: str) -> set[str]:
    """The words (three letters or more) of a user's name and of their e-mail address before the @."""
    return {word for word in (*_WORD.findall(local), *_WORD.findall((name or "").casefold())) if len(word) >= 3}


def _guessable_reason(warning: str) -> str:
    """zxcvbn's warning (English, fixed wording) as one of our translatable sentences."""
    warning = warning.casefold()
    if "common" in warning or "similar" in warning:
        return _("it is one of the most common passwords, or close to one.")
    if "keyboard" in warning or "rows of keys" in warning:
        return _("keyboard patterns such as qwerty are guessed first.")
    if "repeat" in warning:
        return _("repeated characters or words are guessed first.")
    if "sequence" in warning:
        return _("sequences such as abc or 1234 are guessed first.")
    if "year" in warning or "date" in warning:
        return _("years and dates are guessed first.")
    if "word" in warning or "name" in warning:
        return _("single words and names are guessed first.")
    return _("it follows a pattern that is guessed early.")


def _check_password(password: str, *, email: str, name: str) -> None:
    if (problem := password_problem(password, email=email, name=name)) is not None:
        raise ValidationFailed(problem, field="password")


def _check_role_department(role: Role, department: Department | None) -> None:
    if role == Role.DEPARTMENT_HEAD and department is None:
        raise ValidationFailed(_("A department head must be bound to a department."), field="department_id")


def create_user(
    *, email: str, name: str, password: str, role: Role, department: Department | None = None
) -> User:
    """Add a user with a hashed password. Raises ValidationFailed on a taken e-mail or a weak password."""
    email = normalise_email(email)
    errors: dict[str, str] = {}
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        errors["email"] = _("Enter a valid e-mail address.")
    elif get_user_by_email(email) is not None:
        errors["email"] = _("A user with the e-mail %(email)s already exists.", email=email)
    if not (name or "").strip():
        errors["name"] = _("Enter the user's name.")
    if errors:
        raise ValidationFailed(errors)
    _check_password(password, email=email, name=name)
    _check_role_department(role, department)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=_hash(password),
        role=role,
        department=department,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _active_admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    ) or 0


def update_user(
    user: User, *, acting_user: User, name: str, role: Role, department: Department | None, active: bool
) -> User:
    """Change a user's name, role, department or active flag.

    The last active administrator cannot be demoted or deactivated, and
    nobody can deactivate or demote themselves (so nobody locks themselves out).
    """
    if not (name or "").strip():
        raise ValidationFailed(_("Enter the user's name."), field="name")
    losing_admin = user.role == Role.ADMIN and user.active and (role != Role.ADMIN or not active)
    if losing_admin and _active_admin_count() <= 1:
        raise ValidationFailed(_("This is the last active administrator; make another user an administrator first."), field="role")
    if user.id == acting_user.id and (not active or role != user.role):
        raise ValidationFailed(_("You cannot change your own role or deactivate yourself."), field="role")
    _check_role_department(role, department)
    deactivated = user.active and not active
    user.name = name.strip()
    user.role = role
    user.department = department
    user.active = active
    if deactivated:
        end_sessions(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """A new password; every session and "keep me logged in" cookie of the user ends."""
    _check_password(password, email=user.email, name=user.name)
    user.password_hash = _hash(password)
    end_sessions(user)


def verify_password(user: User, password: str, *, now: datetime | None = None) -> bool:
    """Whether `password` is the user's, for a page that asks for it again (changing one's own password).

    Counted like a login (a borrowed session cannot guess faster than the login page): raises LoginThrottled
    while the account must wait; the caller commits the attempt, right or wrong."""
    now = now or utcnow()
    email = normalise_email(user.email)
    if (state := throttle.claim_attempt(email, now)) is not None:
        raise LoginThrottled(state, now)
    if not check_password_hash(user.password_hash, password or ""):
        return False
    throttle.forget(email)
    return True


class LoginThrottled(DomainError):
    """Too many failed logins for this e-mail address: the password was not even checked."""

    def __init__(self, state: throttle.Throttled, now: datetime) -> None:
        self.state = state
        self.now = now
        self.seconds_left = state.seconds_left(now)
        super().__init__(f"login throttled for {self.seconds_left} s")

    @property
    def message(self) -> str:
        until = self.state.until.strftime("%H:%M UTC" if self.state.until.date() == self.now.date() else "%Y-%m-%d %H:%M UTC")
        if self.state.locked:
            return _("This account is locked after %(n)s failed logins. An administrator can unlock it; "
                     "otherwise try again after %(until)s.", n=self.state.failures, until=until)
        return _("Too many failed logins for this account. Try again in %(wait)s (at %(until)s).",
                 wait=duration_text(self.seconds_left), until=until)


def duration_text(seconds: int) -> str:
    """A wait in words, rounded up: "45 seconds", "3 minutes", "2 hours"."""
    if seconds < 60:
        return ngettext("%(n)s second", "%(n)s seconds", seconds)
    if seconds < 3600:
        return ngettext("%(n)s minute", "%(n)s minutes", -(-seconds // 60))
    return ngettext("%(n)s hour", "%(n)s hours", -(-seconds // 3600))


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """Return the active user with these credentials, or None (the failure is counted).

    Raises LoginThrottled, without checking the password, while the address has
    failed too often (crmproject/auth/throttle.py).
    """
    now = now or utcnow()
    email = normalise_email(email)
    if (state := throttle.claim_attempt(email, now)) is not None:
        raise LoginThrottled(state, now)
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
    if user is None or not check_password_hash(user.password_hash, password or "") or not user.active:
        return None  # counted as a failure when it was claimed
    throttle.forget(email)
    _stamp(user, last_login_at=now)
    return user


def unlock(user: User) -> None:
    """An administrator lets the account try to log in again at once."""
    throttle.forget(normalise_email(user.email))


def login_throttles(users: list[User], *, now: datetime | None = None) -> dict[int, throttle.Throttled]:
    """The users among these whose logins are throttled now, by id."""
    states = throttle.throttled_accounts([normalise_email(u.email) for u in users], now or utcnow())
    return {u.id: states[normalise_email(u.email)] for u in users if normalise_email(u.email) in states}


def set_language(user: User, language: str) -> None:
    """The user's own interface language (one of crmproject.i18n.LANGUAGES)."""
    from crmproject.i18n import LANGUAGES

    if language not in LANGUAGES:
        raise ValidationFailed(_("There is no interface in that language."), field="language")
    user.language = language
    db.session.flush()


def set_calendar(user: User, calendar: str | None) -> None:
    """The calendar the user reads dates in (one of crmproject.dates.CALENDARS), or None for their language's
    default (Solar Hijri in Persian, Gregorian otherwise)."""
    from crmproject.dates import CALENDARS

    if calendar is not None and calendar not in CALENDARS:
        raise ValidationFailed(_("There is no such calendar."), field="calendar")
    user.calendar = calendar
    db.session.flush()
