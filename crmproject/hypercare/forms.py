from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, DateTimeField, DecimalField, IdSelectField, IntegerField, VersionedForm, options
from crmproject.hypercare.models import HypercarePolicy, HypercareTarget, IssueCategory, IssueSeverity
from crmproject.i18n import lazy_gettext as _l


class IssueForm(VersionedForm):
    """An issue's record; its times are in the plan's time zone."""

    department_id = IdSelectField(_l("Department"), validators=[InputRequired()])
    title = StringField(_l("Issue"), validators=[DataRequired(), Length(max=300)],
                        description=_l("What does not work, in the reporter's words."))
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=20_000)])
    severity = SelectField(_l("Severity"), choices=options(IssueSeverity.choices()), default=IssueSeverity.MEDIUM.value)
    category = SelectField(_l("Category"), choices=options(IssueCategory.choices()), default=IssueCategory.DEFECT.value)
    reported_by = StringField(_l("Reported by"), validators=[Optional(), Length(max=200)],
                              description=_l("The person who raised it; they need no account."))
    reported_at = DateTimeField(_l("Reported"), validators=[InputRequired()])
    handler_id = IdSelectField(_l("Handled by"))
    first_response_at = DateTimeField(_l("First response"), validators=[Optional()])
    resolved_at = DateTimeField(_l("Resolved"), validators=[Optional()])
    resolution = TextAreaField(_l("Resolution"), validators=[Optional(), Length(max=20_000)])
    submit = SubmitField(_l("Save issue"))


class ResolveForm(AppForm):
    resolution = TextAreaField(_l("Resolution"), validators=[DataRequired(), Length(max=20_000)],
                               description=_l("What was done, so the next person with this problem finds it."))
    submit = SubmitField(_l("Resolve"))


_HOURS = HypercareTarget.response_hours


class PolicyForm(VersionedForm):
    weeks = IntegerField(_l("Hypercare weeks after each go-live"), validators=[InputRequired()],
                         description=_l("The planned period of intensive support; a department leaves it only when "
                                        "the exit criteria are met too."))
    resolution_attainment = DecimalField(_l("Resolved within target, at least (%)"), validators=[InputRequired()],
                                         column=HypercarePolicy.resolution_attainment)
    max_weekly_new = IntegerField(_l("New issues in the last seven days, at most"), validators=[InputRequired()])
    critical_response = DecimalField(_l("Critical: first response within (hours)"), validators=[InputRequired()], column=_HOURS)
    critical_resolution = DecimalField(_l("Critical: resolved within (hours)"), validators=[InputRequired()], column=_HOURS)
    high_response = DecimalField(_l("High: first response within (hours)"), validators=[InputRequired()], column=_HOURS)
    high_resolution = DecimalField(_l("High: resolved within (hours)"), validators=[InputRequired()], column=_HOURS)
    medium_response = DecimalField(_l("Medium: first response within (hours)"), validators=[InputRequired()], column=_HOURS)
    medium_resolution = DecimalField(_l("Medium: resolved within (hours)"), validators=[InputRequired()], column=_HOURS)
    low_response = DecimalField(_l("Low: first response within (hours)"), validators=[InputRequired()], column=_HOURS)
    low_resolution = DecimalField(_l("Low: resolved within (hours)"), validators=[InputRequired()], column=_HOURS)
    submit = SubmitField(_l("Save hypercare policy"))
