from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from crmproject.adoption.models import AdoptionSnapshot
from crmproject.forms import AppForm, DateField, DecimalField, IntegerField, VersionedForm
from crmproject.i18n import lazy_gettext as _l

MANY = 10_000_000


class SnapshotForm(AppForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    active_users = IntegerField(_l("Active users"), validators=[InputRequired(), NumberRange(min=0, max=MANY)],
                                description=_l("People who used the CRM that day."))
    logins = IntegerField(_l("Logins"), default=0, validators=[Optional(), NumberRange(min=0, max=MANY)])
    records_created = IntegerField(_l("Records created"), validators=[Optional(), NumberRange(min=0, max=MANY)])
    required_fields_share = DecimalField(_l("Required fields filled (%)"), column=AdoptionSnapshot.required_fields_share,
                                         validators=[Optional(), NumberRange(min=0, max=100)])
    duplicate_share = DecimalField(_l("Duplicate records (%)"), column=AdoptionSnapshot.duplicate_share,
                                   validators=[Optional(), NumberRange(min=0, max=100)])
    submit = SubmitField(_l("Save figures"))


class UsageUploadForm(AppForm):
    file = FileField(_l("Usage export (csv or xlsx)"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("One row per event: at least a user name and a time; an action and an object where the CRM gives them."))
    timezone = SelectField(_l("Times without a zone are in"), description=_l("Times with an offset are converted to UTC whatever this says."))
    submit = SubmitField(_l("Import"))


class KeyActionsForm(VersionedForm):
    """A plan's mapping of usage events to key actions (crmproject/adoption/key_actions.py states the rules)."""

    rules_text = TextAreaField(
        _l("Key-action rules, one a line"),
        description=_l("An action pattern, then optionally | and an object pattern. Several patterns separated by "
                       "commas; * stands for any text; letter case is ignored. Lines starting with # are notes."),
        render_kw={"rows": 12, "spellcheck": "false"})
    submit = SubmitField(_l("Save the key actions"))
    restore = SubmitField(_l("Restore the defaults"))


class ExcludedAccountsForm(VersionedForm):
    """Which CRM accounts are service or integration accounts, kept out of adoption (adoption/usage_accounts.py)."""

    patterns = TextAreaField(
        _l("Accounts kept out, one pattern a line"),
        description=_l("Matched on the user name or the user id of each event; * stands for any text; letter case "
                       "and spaces are ignored. Lines starting with # are notes."),
        render_kw={"rows": 8, "spellcheck": "false"})
    vendor_markers = BooleanField(
        _l("Also what the CRM itself marks as automation"),
        description=_l("Salesforce's Automated Process user and integration users, Dynamics SYSTEM, INTEGRATION and "
                       "application users (# ...), Zoho CRM's own actions, HubSpot tools logins."))
    submit = SubmitField(_l("Save the excluded accounts"))
