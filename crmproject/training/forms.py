"""Forms of the training pages; the views fill every choice list from the services."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crmproject.forms import AppForm, DateField, DecimalField, IdSelectField, IntegerField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.training.models import Course, Enrolment, EnrolmentStatus


class CourseForm(VersionedForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=50)], description=_l("Short and unique, for example SFA-101."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    crm_module_id = IdSelectField(_l("CRM module"))
    audience = StringField(_l("Audience"), validators=[Optional(), Length(max=200)],
                           description=_l("Who should take it, for example: sales representatives."))
    mandatory = BooleanField(_l("Mandatory"), description=_l("Mandatory courses are measured against a target of 100% completion."))
    length_hours = DecimalField(_l("Length (hours)"), column=Course.length_hours, validators=[Optional(), NumberRange(min=0.1, max=1000)])
    validity_months = IntegerField(_l("Valid for (months)"), validators=[Optional(), NumberRange(min=1, max=120)],
                                   description=_l("A certification to renew: a completion stops counting this many months "
                                                  "after it. Empty: it never expires."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save course"))


class SessionForm(VersionedForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    trainer = StringField(_l("Trainer"), validators=[Optional(), Length(max=200)])
    location = StringField(_l("Place or link"), validators=[Optional(), Length(max=300)], description=_l("A room, or the link of an online session."))
    capacity = IntegerField(_l("Seats"), validators=[Optional(), NumberRange(min=1, max=100_000)], description=_l("Empty: no limit."))
    submit = SubmitField(_l("Save session"))


class EnrolDepartmentForm(AppForm):
    department_id = IdSelectField(_l("Department"), validators=[InputRequired()])
    session_id = IdSelectField(_l("Session"))
    submit = SubmitField(_l("Enrol the department"))


class EnrolEmployeeForm(AppForm):
    employee = StringField(_l("Person"), validators=[DataRequired(), Length(max=254)],
                           description=_l("E-mail, CRM user name or full name."))
    session_id = IdSelectField(_l("Session"))
    submit = SubmitField(_l("Enrol"))


class EnrolmentForm(VersionedForm):
    status = SelectField(_l("Status"), choices=options(EnrolmentStatus.choices()))
    completed_on = DateField(_l("Completed on"), validators=[Optional()], description=_l("For a completed course; empty means today."))
    score = DecimalField(_l("Score"), column=Enrolment.score, validators=[Optional(), NumberRange(min=0, max=100)], description=_l("0 to 100."))
    session_id = IdSelectField(_l("Session"))
    submit = SubmitField(_l("Save"))
