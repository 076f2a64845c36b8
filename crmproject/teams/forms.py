from __future__ import annotations

from wtforms import BooleanField, EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, DateField, IdSelectField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.teams.models import TeamRoleKind


class TeamRoleForm(VersionedForm):
    kind = SelectField(_l("Kind"), choices=options(TeamRoleKind.choices()))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)],
                        description=_l("For example: Module lead SFA, Steering committee: CFO."))
    crm_module_id = IdSelectField(_l("CRM module"), description=_l("For a module lead."))
    department_id = IdSelectField(_l("Department"), description=_l("For a key user: the department they represent."))
    required = BooleanField(_l("Required: flag the seat while it is vacant"), default=True)
    responsibilities = TextAreaField(_l("Responsibilities"))
    submit = SubmitField(_l("Save role"))


class AssignmentForm(VersionedForm):
    """Gives a seat to someone; it carries the version of the seat, which every assignment moves, and the holder
    it would hand over from. It names the next holder rather than edits the one now: nothing of a holder
    someone else assigned meanwhile is taken over (merges = False)."""

    merges = False

    user_id = IdSelectField(_l("User"), description=_l("Someone with an account here."))
    person_name = StringField(_l("Or an outside person's name"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)],
                               description=_l("For an outside person, e.g. the implementation partner."))
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    start_date = DateField(_l("From"), validators=[InputRequired()], description=_l("The current holder, if any, hands over the day before."))
    note = TextAreaField(_l("Note"), validators=[Optional()])
    submit = SubmitField(_l("Assign"))


class EndAssignmentForm(AppForm):
    end_date = DateField(_l("Last day in the role"), validators=[InputRequired()])
    submit = SubmitField(_l("End"))


class DeliverableForm(AppForm):
    name = StringField(_l("Deliverable or workstream"), validators=[DataRequired(), Length(max=200)])
    phase_id = IdSelectField(_l("Phase"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    submit = SubmitField(_l("Add deliverable"))
