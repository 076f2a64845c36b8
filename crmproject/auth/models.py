"""Users of crmproject and their roles."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.departments.models import Department


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Role(LabelledEnum):
    ADMIN = "admin", _l("Administrator")
    PROJECT_MANAGER = "project_manager", _l("Project manager")
    DEPARTMENT_HEAD = "department_head", _l("Department head")
    EXECUTIVE = "executive", _l("Executive (steering committee)")


class User(UserMixin, Versioned, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    # A department head is bound to one department; other roles may name theirs.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # the interface's language this user chose (crmproject.i18n.LANGUAGES); None: the browser's, else the instance's
    language: Mapped[str | None] = mapped_column(String(16))
    # the calendar dates are shown in (crmproject.dates.CALENDARS: gregorian, persian); None: the language's
    # default (the Solar Hijri calendar in Persian). Dates are stored as ISO dates whatever it is.
    calendar: Mapped[str | None] = mapped_column(String(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the session and remember-me cookies carry instead of the user's id: a random token that logout,
    # "log out everywhere", a password change and deactivation replace, so every earlier cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)

    department: Mapped[Department | None] = relationship(back_populates="members", foreign_keys=[department_id])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id: the session token, never the user's id or anything of the password."""
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class LoginThrottle(Base):
    """Failed logins for one e-mail address (whether or not an account has it, so the throttle tells nothing
    about which accounts exist), under a keyed hash of the address: fixed in length, and what people type into
    the e-mail box (a password, by mistake) is never stored. A success or an administrator's unlock removes
    the row; rows quiet for a day are purged."""

    __tablename__ = "login_throttles"

    account_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    # the latest attempt, counted as a failure when it began (a success then removes the row)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
