from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crmproject.forms import AppForm, DateField, DecimalField, IdSelectField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis.models import VALUE, Direction, Frequency, GoalFamily, Kpi

BIG = 1e12


class KpiForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], description=_l("For example: Active users / licensed seats."))
    goal_family = SelectField(_l("Goal family"), choices=options(GoalFamily.choices()))
    description = TextAreaField(_l("How it is measured"), validators=[Optional()])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=30)], description=_l("%, EUR, days, cases ..."))
    direction = SelectField(_l("Direction"), choices=options(Direction.choices()))
    baseline_value = DecimalField(_l("Baseline"), column=VALUE, validators=[InputRequired(), NumberRange(min=-BIG, max=BIG)])
    baseline_date = DateField(_l("Baseline date"), validators=[InputRequired()])
    target_value = DecimalField(_l("Target"), column=VALUE, validators=[InputRequired(), NumberRange(min=-BIG, max=BIG)])
    target_date = DateField(_l("Target date"), validators=[InputRequired()])
    department_id = IdSelectField(_l("Scope"), description=_l("The whole plan (each department reports its value) or one department."))
    frequency = SelectField(_l("Measured"), choices=options(Frequency.choices()))
    owner_id = IdSelectField(_l("Owner"))
    red_threshold = DecimalField(_l("Red below (% of expected progress)"), column=Kpi.red_threshold, default=60,
                                 validators=[InputRequired(), NumberRange(min=0, max=100)])
    amber_threshold = DecimalField(_l("Amber below (% of expected progress)"), column=Kpi.amber_threshold, default=80,
                                   validators=[InputRequired(), NumberRange(min=0, max=100)])
    submit = SubmitField(_l("Save KPI"))


class MeasurementForm(AppForm):
    measured_on = DateField(_l("Date"), validators=[InputRequired()])
    value = StringField(_l("Value"), validators=[DataRequired(), Length(max=40)], render_kw={"inputmode": "decimal"})
    department_id = IdSelectField(_l("Department"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Add value"))


class TargetForm(VersionedForm):
    """An intermediate target; it carries the version of its KPI, whose definition it changes. It sets the
    target of the date typed rather than edits one shown: a target someone else saved for that date meanwhile
    is a conflict, never half taken over (merges = False)."""

    merges = False

    target_date = DateField(_l("By"), validators=[InputRequired()])
    value = DecimalField(_l("Value"), column=VALUE, validators=[InputRequired(), NumberRange(min=-BIG, max=BIG)])
    phase_id = IdSelectField(_l("Phase"))
    submit = SubmitField(_l("Add intermediate target"))
