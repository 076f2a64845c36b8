from __future__ import annotations

from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from crmproject.forms import AppForm
from crmproject.i18n import lazy_gettext as _l


class BaselineForm(AppForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: approved plan, after the pilot."))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save baseline"))
