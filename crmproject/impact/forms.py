"""The impact grid's form: its boxes are read by the services (crmproject.impact.services.read_grid); the form
carries the CSRF token and the grid's version."""

from __future__ import annotations

from wtforms import SubmitField

from crmproject.forms import VersionedForm
from crmproject.i18n import lazy_gettext as _l


class GridForm(VersionedForm):
    submit = SubmitField(_l("Save the ratings"))
