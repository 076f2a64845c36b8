from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from crmproject.forms import IdSelectField, IntegerField, VersionedForm
from crmproject.i18n import lazy_gettext as _l


class DepartmentForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)], description=_l("A short code, for example SALES."))
    headcount = IntegerField(_l("Headcount"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)], default=0)
    licensed_seats = IntegerField(
        _l("Licensed CRM seats"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)], default=0
    )
    head_id = IdSelectField(_l("Department head"), description=_l("A user with the role department head."))
    submit = SubmitField(_l("Save"))


class DepartmentNumbersForm(VersionedForm):
    """What a department head may change about their own department."""

    headcount = IntegerField(_l("Headcount"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    licensed_seats = IntegerField(_l("Licensed CRM seats"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])
    submit = SubmitField(_l("Save"))
