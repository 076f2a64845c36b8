from __future__ import annotations

from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crmproject.business_case.models import CostCategory
from crmproject.forms import AppForm, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l


class BudgetLineForm(VersionedForm):
    name = StringField(_l("Budget line"), validators=[DataRequired(), Length(max=200)],
                       description=_l("For example: CRM licences, partner configuration, trainers."))
    category = SelectField(_l("Category"), choices=options(CostCategory.choices()), default=CostCategory.OTHER.value)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save budget line"))


class GridForm(VersionedForm):
    """The month grid of a budget line, or the benefit values of the KPIs: the boxes are read by the services
    (crmproject.business_case.services.read_month_grid); the form carries the CSRF token and the version."""

    submit = SubmitField(_l("Save"))


class CurrencyForm(AppForm):
    currency = SelectField(_l("Currency"))
    submit = SubmitField(_l("Set currency"))
