from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crmproject.errors import ValidationFailed
from crmproject.forms import VersionedForm, options, shown
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Kpi
from crmproject.kpis.services import parse_value

LONG_TEXT = 10_000


class KpiValueField(StringField):
    """A KPI value as people type it ('85', '85,5', '1 200'); empty is allowed in a draft."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = None
        if text.strip():
            try:
                self.data = parse_value(text, field=self.name)
            except ValidationFailed as exc:
                raise ValueError(" ".join(m for messages in exc.errors.values() for m in messages)) from None

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return shown(self, self.data) if isinstance(self.data, Decimal) else ""


class ReportForm(VersionedForm):
    """The report's text; `report_form` adds a field kpi-<id> for each KPI due."""

    overall_rag = SelectField(_l("Overall status"), choices=options([("", _l("— choose —"))] + Rag.choices()))
    achievements = TextAreaField(_l("Achievements"), validators=[Optional(), Length(max=LONG_TEXT)])
    blockers = TextAreaField(_l("Blockers"), validators=[Optional(), Length(max=LONG_TEXT)])
    next_steps = TextAreaField(_l("Next steps"), validators=[Optional(), Length(max=LONG_TEXT)])
    help_needed = TextAreaField(_l("Help needed from leadership"), validators=[Optional(), Length(max=LONG_TEXT)])


def kpi_field_name(kpi: Kpi) -> str:
    return f"kpi-{kpi.id}"


def report_form(kpis: Sequence[Kpi], **kwargs) -> ReportForm:
    """The report form with a value field for each KPI due in the period."""

    class DueReportForm(ReportForm):
        pass

    for kpi in kpis:
        label = f"{kpi.name} ({kpi.unit})" if kpi.unit else kpi.name
        setattr(DueReportForm, kpi_field_name(kpi), KpiValueField(label, render_kw={"inputmode": "decimal"}))
    return DueReportForm(**kwargs)
