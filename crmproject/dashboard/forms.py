from __future__ import annotations

from wtforms import SubmitField
from wtforms.validators import InputRequired, NumberRange

from crmproject.adoption.models import AdoptionRules
from crmproject.forms import DecimalField, IntegerField, Parsed, VersionedForm
from crmproject.i18n import lazy_gettext as _l


class ShapeRulesForm(VersionedForm):
    """The thresholds that tell adoption shapes apart (crmproject/adoption/shapes.py states the rules)."""

    min_weeks = IntegerField(_l("Weeks of figures before a verdict"), validators=[Parsed(), InputRequired(), NumberRange(min=1, max=104)],
                             description=_l("Until then a department is 'too early to tell'."))
    effect_level = DecimalField(_l("Adoption that shows an effect (%)"), column=AdoptionRules.effect_level,
                                validators=[Parsed(), InputRequired(), NumberRange(min=0.1, max=100)],
                                description=_l("A department whose adoption never reached it shows 'no effect'."))
    fade_points = DecimalField(_l("Drop from the peak that counts as fading (points)"), column=AdoptionRules.fade_points,
                               validators=[Parsed(), InputRequired(), NumberRange(min=0.1, max=100)])
    fade_weeks = IntegerField(_l("Weeks the drop must last"), validators=[Parsed(), InputRequired(), NumberRange(min=1, max=52)],
                              description=_l("A shorter dip is not fading."))
    submit = SubmitField(_l("Save the rules"))
