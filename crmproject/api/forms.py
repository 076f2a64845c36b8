from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from crmproject.api.models import TokenScope
from crmproject.api.services import DEFAULT_DAYS, MAX_DAYS
from crmproject.forms import AppForm, CheckboxListField, IntegerField, options
from crmproject.i18n import lazy_gettext as _l


class TokenForm(AppForm):
    name = StringField(_l("What it is for"), validators=[Length(max=100)],
                       description=_l("For example: the CRM's nightly usage push."))
    scopes = CheckboxListField(_l("Scopes"), coerce=str, choices=options(TokenScope.choices()),
                               validators=[DataRequired(_l("Choose at least one scope."))])
    days = IntegerField(_l("Valid for (days)"), default=DEFAULT_DAYS,
                        validators=[InputRequired(), NumberRange(min=1, max=MAX_DAYS)])  # 0 is typed: out of range
    submit = SubmitField(_l("Create token"))
