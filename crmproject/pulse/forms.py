from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, SubmitField, ValidationError
from wtforms.validators import InputRequired, Length, Optional

from crmproject.forms import AppForm, DateField, DecimalField, IdSelectField, IntegerField, VersionedForm, options
from crmproject.i18n import gettext
from crmproject.i18n import lazy_gettext as _l
from crmproject.pulse.models import ELEMENT_QUESTIONS, NPS_QUESTION, AdkarElement, PulseEnteredResult, SurveyKind


class SurveyForm(VersionedForm):
    department_id = IdSelectField(_l("Department"), validators=[InputRequired()])
    kind = SelectField(_l("When"), choices=options(SurveyKind.choices()), default=SurveyKind.BEFORE.value,
                       description=_l("Before go-live: is the department ready? After go-live: is the change holding, "
                                      "and would people recommend the CRM?"))
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()],
                          description=_l("The personal links stop working at the end of this day."))
    submit = SubmitField(_l("Save survey"))


class ScoreField(RadioField):
    """A score chosen from its range; anything else is named at the field (never 'Not a valid choice')."""

    def __init__(self, label=None, validators=None, *, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        kwargs.setdefault("choices", options((str(n), str(n)) for n in range(low, high + 1)))
        super().__init__(label, validators, coerce=lambda v: int(v) if v not in (None, "", "None") else None, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] not in ("", None):
            text = str(valuelist[0]).strip()
            if text.lstrip("-").isdigit() and len(text) < 6:
                self.data = int(text)
            else:
                raise ValueError(gettext("Choose a score from %(low)s to %(high)s.", low=self.low, high=self.high))

    def pre_validate(self, form) -> None:
        if self.data is not None and not self.low <= self.data <= self.high:
            raise ValidationError(gettext("Choose a score from %(low)s to %(high)s.", low=self.low, high=self.high))


class AnswerForm(AppForm):
    """The five ADKAR statements, 1 (not at all) to 5 (completely); after go-live the recommendation question."""

    awareness = ScoreField(ELEMENT_QUESTIONS[AdkarElement.AWARENESS], low=1, high=5)
    desire = ScoreField(ELEMENT_QUESTIONS[AdkarElement.DESIRE], low=1, high=5)
    knowledge = ScoreField(ELEMENT_QUESTIONS[AdkarElement.KNOWLEDGE], low=1, high=5)
    ability = ScoreField(ELEMENT_QUESTIONS[AdkarElement.ABILITY], low=1, high=5)
    reinforcement = ScoreField(ELEMENT_QUESTIONS[AdkarElement.REINFORCEMENT], low=1, high=5)
    nps = ScoreField(NPS_QUESTION, [Optional()], low=0, high=10)
    submit = SubmitField(_l("Send my answers"))


_MEAN = PulseEnteredResult.awareness


class EnteredForm(VersionedForm):
    """The department's results collected another way: how many answered of how many asked, the mean per element."""

    respondents = IntegerField(_l("People who answered"), validators=[InputRequired()])
    invited = IntegerField(_l("People asked"), validators=[InputRequired()],
                           description=_l("For the response rate: usually everyone in the department."))
    awareness = DecimalField(AdkarElement.AWARENESS.label, validators=[InputRequired()], column=_MEAN,
                             description=_l("The mean score, 1 to 5, such as 3.4."))
    desire = DecimalField(AdkarElement.DESIRE.label, validators=[InputRequired()], column=_MEAN)
    knowledge = DecimalField(AdkarElement.KNOWLEDGE.label, validators=[InputRequired()], column=_MEAN)
    ability = DecimalField(AdkarElement.ABILITY.label, validators=[InputRequired()], column=_MEAN)
    reinforcement = DecimalField(AdkarElement.REINFORCEMENT.label, validators=[InputRequired()], column=_MEAN)
    promoters = IntegerField(_l("Would recommend the CRM (9-10)"), validators=[Optional()],
                             description=_l("After go-live: how many of those who answered."))
    detractors = IntegerField(_l("Would not recommend it (0-6)"), validators=[Optional()])
    submit = SubmitField(_l("Save results"))
