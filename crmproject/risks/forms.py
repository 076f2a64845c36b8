from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, DateField, IdSelectField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.risks.models import RiskStatus
from crmproject.risks.services import IMPACT_MEANINGS, LIKELIHOOD_MEANINGS


def _level(value: str | int | None) -> int | None:
    return int(value) if value is not None and value not in ("", "None") else None


def _levels(meanings) -> list:
    return options([("", _l("— choose —"))] + [(n, f"{n} · {meanings[n]}") for n in sorted(meanings)])


class RiskForm(VersionedForm):
    """A risk's record; the meaning of each likelihood and impact level is in its choices."""

    title = StringField(_l("Risk"), validators=[DataRequired(), Length(max=300)],
                        description=_l("What could go wrong, in a few words."))
    department_id = IdSelectField(_l("Department"),
                                  description=_l("The whole plan, or one department: a department's own risk is "
                                                 "also kept by its head. The plan's figures raise only the "
                                                 "catalogue's plan-wide risks."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    likelihood = SelectField(_l("Likelihood"), coerce=_level, validators=[InputRequired()], choices=_levels(LIKELIHOOD_MEANINGS),
                             description=_l("How likely it is to happen in this rollout, 1 to 5."))
    impact = SelectField(_l("Impact"), coerce=_level, validators=[InputRequired()], choices=_levels(IMPACT_MEANINGS),
                         description=_l("How badly it would hurt the rollout if it happened, 1 to 5."))
    owner_id = IdSelectField(_l("Owner"), description=_l("Who watches the risk and sees the mitigations done."))
    status = SelectField(_l("Status"), choices=options(RiskStatus.choices()), default=RiskStatus.OPEN.value)
    review_date = DateField(_l("Next review"), validators=[Optional()])
    mitigations = TextAreaField(_l("Typical mitigations"), validators=[Optional(), Length(max=20_000)],
                                description=_l("What keeps the risk low; the change tasks that carry them out are "
                                               "linked on the risk's page."))
    closed_note = TextAreaField(_l("Closing note"), validators=[Optional(), Length(max=20_000)],
                                description=_l("Needed to close the risk: what was done, or why it no longer threatens "
                                               "the rollout."))
    submit = SubmitField(_l("Save risk"))


class CloseForm(AppForm):
    note = TextAreaField(_l("Closing note"), validators=[DataRequired(), Length(max=20_000)],
                         description=_l("What was done, or why the risk no longer threatens the rollout."))
    submit = SubmitField(_l("Close the risk"))


class ReviewForm(AppForm):
    status = SelectField(_l("Status"), choices=options([(s.value, s.label) for s in RiskStatus if not s.is_closed]),
                         default=RiskStatus.OPEN.value)
    next_review = DateField(_l("Next review"), validators=[InputRequired()])
    submit = SubmitField(_l("Record the review"))


class LinkTaskForm(AppForm):
    task_id = IdSelectField(_l("Change task"), validators=[InputRequired()],
                            description=_l("A change task that carries out one of the risk's mitigations."))
    submit = SubmitField(_l("Link the task"))
