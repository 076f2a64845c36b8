from __future__ import annotations

from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional

from crmproject.forms import AppForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.kpis.attainment import Rag

LONG_TEXT = 10_000


class ReportForm(AppForm):
    """The report's text; the KPI values are fields named kpi-<id>, one per KPI due."""

    overall_rag = SelectField(_l("Overall status"), choices=options([("", _l("— choose —"))] + Rag.choices()))
    achievements = TextAreaField(_l("Achievements"), validators=[Optional(), Length(max=LONG_TEXT)])
    blockers = TextAreaField(_l("Blockers"), validators=[Optional(), Length(max=LONG_TEXT)])
    next_steps = TextAreaField(_l("Next steps"), validators=[Optional(), Length(max=LONG_TEXT)])
    help_needed = TextAreaField(_l("Help needed from leadership"), validators=[Optional(), Length(max=LONG_TEXT)])
