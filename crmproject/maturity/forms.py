from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from crmproject.forms import AppForm, DateField, IdSelectField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.maturity.blocks import BLOCKS, LEVELS, level_label


class AssessmentForm(VersionedForm):
    """Who assessed what on which day; the levels are entered on the ratings grid."""

    department_id = IdSelectField(_l("Assessed"), description=_l("The whole organisation, or one department of the plan."))
    assessed_on = DateField(_l("Assessed on"), validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)],
                        description=_l("For example: Baseline assessment, or Before the wave 2 gate."))
    assessors = TextAreaField(_l("Assessors"), validators=[Optional(), Length(max=2000)],
                              description=_l("One per line; they need no account. Each rates every block, then "
                                             "together they agree on one level per block."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=20_000)],
                          description=_l("The evidence looked at, and who was interviewed."))
    submit = SubmitField(_l("Save assessment"))


class RatingsForm(VersionedForm):
    """The ratings grid: its boxes are read by the services (crmproject.maturity.services.read_grid); the form
    carries the CSRF token and the assessment's version."""

    submit = SubmitField(_l("Save levels"))


def level_choices(empty) -> list:
    """The levels 0-6 as "3 practising", after an empty choice (no target, not rated)."""
    return options([("", empty)] + [(str(n), level_label(n)) for n in LEVELS])


class TargetsForm(AppForm):
    """The plan's target level per block: one select per block (target_<block>), added below."""

    version = HiddenField()
    submit = SubmitField(_l("Save targets"))


for _info in BLOCKS:
    setattr(TargetsForm, f"target_{_info.block.value}", SelectField(_info.block.label, validators=[Optional()]))
