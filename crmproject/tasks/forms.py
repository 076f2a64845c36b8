from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from crmproject.forms import AppForm, CheckboxListField, DateField, IdSelectField, IntegerField, VersionedForm, options
from crmproject.i18n import lazy_gettext as _l
from crmproject.tasks.import_phases import PHASE_DATES
from crmproject.tasks.models import CommunicationChannel, CommunicationStatus, TaskPriority, TaskStatus


class TaskForm(VersionedForm):
    """A task's fields; a refused stale save also lists the task's history since the page was opened."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    category_id = IdSelectField(_l("Category"), validators=[InputRequired()])
    owner_id = IdSelectField(_l("Owner"), description=_l("One person owns each task; leave it empty only until you know who."))
    phase_id = IdSelectField(_l("Phase"))
    department_id = IdSelectField(_l("Department"), description=_l("Leave empty for work that concerns the whole plan."))
    start_date = DateField(_l("Start"), validators=[Optional()])
    due_date = DateField(_l("Due"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options(TaskStatus.choices()), default=TaskStatus.NOT_STARTED.value)
    priority = SelectField(_l("Priority"), choices=options(TaskPriority.choices()), default=TaskPriority.MEDIUM.value)
    depends_on = CheckboxListField(_l("Depends on"), description=_l("Tasks that must finish first."))
    submit = SubmitField(_l("Save task"))


class BulkStatusForm(AppForm):
    status = SelectField(_l("Set status of the ticked tasks to"), choices=options(TaskStatus.choices()))
    submit = SubmitField(_l("Apply"))


class CommunicationForm(VersionedForm):
    audience = StringField(_l("Audience"), validators=[DataRequired(), Length(max=200)],
                           description=_l("Who hears it, e.g. all Sales staff, department heads, customers."))
    channel = SelectField(_l("Channel"), choices=options(CommunicationChannel.choices()))
    message = TextAreaField(_l("Message"), validators=[DataRequired()])
    planned_date = DateField(_l("Date"), validators=[InputRequired()])
    owner_id = IdSelectField(_l("Owner"))
    department_id = IdSelectField(_l("Department"))
    status = SelectField(_l("Status"), choices=options(CommunicationStatus.choices()))
    submit = SubmitField(_l("Save"))


class CategoryForm(AppForm):
    name = StringField(_l("New category"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Add category"))




PHASE_DATE_CHOICES = list(PHASE_DATES.items())


class ImportUploadForm(AppForm):
    file = FileField(_l("Task plan (xlsx, xls, ods or csv)"), validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Upload and preview"))


class ImportOptionsForm(AppForm):
    """The fixed options of the import preview; the column mapping and owner choices are per file."""

    sheet = SelectField(_l("Sheet"))
    date_order = SelectField(_l("Text dates like 05/03/2026 are"), choices=options([
        ("auto", _l("decided from the file (ambiguous ones are reported)")), ("day-first", _l("day/month/year")),
        ("month-first", _l("month/day/year")),
    ]))
    category_id = IdSelectField(_l("Category of rows without one"))
    create_phases = BooleanField(_l("Make top-level groups, sections and Phase / Workstream values that match no phase into new phases"))
    phase_dates = SelectField(_l("Date new phases"), choices=options(PHASE_DATE_CHOICES), validate_choice=False)
    skip_invalid = BooleanField(_l("Import the valid rows and skip the rows listed with errors"))


class MoveForm(AppForm):
    """A card moved to another column of the board (dragged, or with its "Move to" menu)."""

    status = SelectField(_l("Move to"), choices=options(TaskStatus.choices()))
    version = IntegerField(_l("Version"), validators=[InputRequired()])
    submit = SubmitField(_l("Move"))


class DatesForm(AppForm):
    """A task's bar dragged on the timeline: its new start and due date."""

    start = DateField(_l("Start"), validators=[InputRequired()])
    due = DateField(_l("Due"), validators=[InputRequired()])
    version = IntegerField(_l("Version"), validators=[InputRequired()])
    submit = SubmitField(_l("Reschedule"))
