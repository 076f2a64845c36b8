from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from crmproject.auth.models import Role
from crmproject.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from crmproject.forms import AppForm, IdSelectField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l


PASSWORD_HELP = _l(
    "At least %(n)s characters, not a common password, and not your name or e-mail address. "
    "Three or four unrelated words make one that is strong and easy to remember.", n=MIN_PASSWORD_LENGTH,
)


class LoginForm(AppForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in"))
    submit = SubmitField(_l("Log in"))


class UserCreateForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=options(Role.choices()))
    department_id = IdSelectField(_l("Department"), description=_l("Required for a department head."))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             description=PASSWORD_HELP)
    submit = SubmitField(_l("Add user"))


class UserEditForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=options(Role.choices()))
    department_id = IdSelectField(_l("Department"), description=_l("Required for a department head."))
    active = BooleanField(_l("Active (may log in)"))
    submit = SubmitField(_l("Save"))


class PasswordForm(AppForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             description=PASSWORD_HELP)
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Set password"))


class OwnPasswordForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             description=PASSWORD_HELP)
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


class CalendarForm(AppForm):
    """The calendar a user reads dates in; the view fills the choices with today's date in each."""

    calendar = SelectField(_l("Calendar"), description=_l("Dates are stored the same whichever you read them in."))
    save_calendar = SubmitField(_l("Save"))
