"""How a user wants each kind of notification told."""

from __future__ import annotations

from wtforms import SelectField, SubmitField

from crmproject.forms import AppForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.notifications.kinds import AUDIENCE, Channel, Kind


class PreferencesForm(AppForm):
    submit = SubmitField(_l("Save"))

    def kind_fields(self) -> list[SelectField]:
        return [self[kind.value] for kind in Kind]

    def choices(self) -> dict[Kind, Channel]:
        return {kind: Channel(self[kind.value].data) for kind in Kind}


for _kind in Kind:
    setattr(PreferencesForm, _kind.value, SelectField(_kind.label, choices=options(Channel.choices()),
                                                      description=AUDIENCE[_kind]))
