from __future__ import annotations

from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, CheckboxListField, DateField, IdSelectField, VersionedForm
from crmproject.i18n import lazy_gettext as _l


class MeetingForm(VersionedForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)], default=_l("Steering committee"))
    held_on = DateField(_l("Date"), validators=[InputRequired()])
    attendee_ids = CheckboxListField(_l("Attendees"), description=_l("The leadership group: sponsor, steering committee, "
                                                                    "project manager, executives."))
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=50_000)])
    submit = SubmitField(_l("Save meeting"))


class ActionForm(AppForm):
    text = StringField(_l("Action"), validators=[DataRequired(), Length(max=300)])
    owner_id = IdSelectField(_l("Owner"))
    due_date = DateField(_l("Due"), validators=[InputRequired()])
    submit = SubmitField(_l("Add action"))
