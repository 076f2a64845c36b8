"""Users: creation, roles, deactivation and authentication."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from crmproject.auth.models import Role, User, new_session_token
from crmproject.db import utcnow
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _

MIN_PASSWORD_LENGTH = 8
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
    """Replace the user's session token: every session and "keep me logged in" cookie issued so far stops working."""
    user.session_token = new_session_token()
    db.session.flush()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))


def list_active_users() -> list[User]:
    """Everyone who can be given work: the active users by name."""
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="password"
        )


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
    _check_password(password)
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
    user.name = name.strip()
    user.role = role
    user.department = department
    user.active = active
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = _hash(password)
    db.session.flush()


def change_own_password(user: User, *, current: str, new: str) -> None:
    """A user changes their own password: the current one must be given (a borrowed session is not enough)."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed(_("The current password is wrong."), field="current_password")
    set_password(user, new)


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """Return the active user with these credentials, or None."""
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = now or utcnow()
    db.session.flush()
    return user
