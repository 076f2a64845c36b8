from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crmproject.forms import AppForm, CheckboxListField, DateField, IntegerField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.plans.models import PhaseStatus, ReportingPeriod, WaveKind


class PlanForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    vision = TextAreaField(_l("Vision"), description=_l("Where the organisation wants to be with its customers in 3-5 years."))
    horizon_years = IntegerField(_l("Horizon (years)"), validators=[InputRequired(), NumberRange(min=1, max=10)], default=3)
    start_date = DateField(_l("Start"), validators=[InputRequired()])
    end_date = DateField(_l("End"), validators=[InputRequired()])
    reporting_period = SelectField(_l("Department status reports"), choices=options(ReportingPeriod.choices()),
                                   default=ReportingPeriod.MONTHLY.value)
    submit = SubmitField(_l("Save plan"))


class PlanFromTemplateForm(AppForm):
    template = SelectField(_l("Template"), validators=[DataRequired()])
    name = StringField(_l("Plan name"), validators=[Optional(), Length(max=200)], description=_l("Leave empty to use the template's name."))
    start_date = DateField(_l("Start date"), validators=[InputRequired()],
                           description=_l("Every phase and go-live is shifted to start from this date."))
    submit = SubmitField(_l("Create plan"))


class PhaseForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    goal = TextAreaField(_l("Goal"), description=_l("Quantified where possible: what this phase must achieve."))
    start_date = DateField(_l("Start"), validators=[InputRequired()])
    end_date = DateField(_l("End"), validators=[InputRequired()])
    status = SelectField(_l("Status"), choices=options(PhaseStatus.choices()), default=PhaseStatus.PLANNED.value)
    exit_criteria = TextAreaField(_l("Exit criteria"), description=_l("What the steering committee checks at the phase gate."))
    submit = SubmitField(_l("Save phase"))


class WaveForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options(WaveKind.choices()), default=WaveKind.WAVE.value)
    go_live_date = DateField(_l("Go-live"), validators=[InputRequired()])
    department_ids = CheckboxListField(_l("Departments"))
    module_ids = CheckboxListField(_l("CRM modules"))
    notes = TextAreaField(_l("Notes"))
    submit = SubmitField(_l("Save wave"))


class ModuleForm(AppForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"))
    submit = SubmitField(_l("Add module"))
