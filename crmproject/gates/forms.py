from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, CheckboxListField, DateField, DecimalField, IdSelectField, VersionedForm, options
from crmproject.gates.models import CriterionKind, GateCriterion, GateOutcome
from crmproject.i18n import lazy_gettext as _l
from crmproject.maturity.blocks import Block

CONDITION_ROWS = 3


class GateForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: Pilot proven, wave 2 may go live."))
    target = SelectField(_l("Judges"), description=_l("The end of a phase, or a wave's go-live."))
    notes = TextAreaField(_l("Notes"), validators=[Optional()])
    submit = SubmitField(_l("Save gate"))


class CriterionForm(VersionedForm):
    kind = SelectField(_l("Criterion"), choices=options(CriterionKind.choices()))
    threshold = DecimalField(_l("Threshold"), column=GateCriterion.threshold, validators=[Optional()],
                             description=_l("A percentage, or for critical tasks the most that may be overdue. "
                                            "Empty: the kind's default."))
    blocking = BooleanField(_l("Blocking: not met means no-go"), default=True)
    building_blocks = CheckboxListField(_l("Building blocks"), coerce=str, choices=options(Block.choices()),
                                        validators=[Optional()],
                                        description=_l("For a maturity criterion: the blocks judged. None ticked: "
                                                       "every block the plan has a target for."))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save criterion"))


class DecisionForm(AppForm):
    """What the steering committee decided; up to three conditions, each followed as a change task."""

    outcome = SelectField(_l("Decision"), choices=options(GateOutcome.choices()))
    decided_on = DateField(_l("Decided on"), validators=[InputRequired()])
    decided_by = StringField(_l("Decided by"), validators=[DataRequired(), Length(max=300)],
                             description=_l("The steering committee and who was present."))
    reasoning = TextAreaField(_l("Reasoning"), validators=[Optional(), Length(max=5000)],
                              description=_l("Required when the decision differs from the recommendation."))
    condition_1_text = StringField(_l("Condition 1"), validators=[Optional(), Length(max=300)])
    condition_1_owner_id = IdSelectField(_l("Owner"))
    condition_1_due = DateField(_l("Due"), validators=[Optional()])
    condition_2_text = StringField(_l("Condition 2"), validators=[Optional(), Length(max=300)])
    condition_2_owner_id = IdSelectField(_l("Owner"))
    condition_2_due = DateField(_l("Due"), validators=[Optional()])
    condition_3_text = StringField(_l("Condition 3"), validators=[Optional(), Length(max=300)])
    condition_3_owner_id = IdSelectField(_l("Owner"))
    condition_3_due = DateField(_l("Due"), validators=[Optional()])
    submit = SubmitField(_l("Record decision"))

    def condition_rows(self) -> list[tuple]:
        return [(getattr(self, f"condition_{n}_text"), getattr(self, f"condition_{n}_owner_id"),
                 getattr(self, f"condition_{n}_due")) for n in range(1, CONDITION_ROWS + 1)]
