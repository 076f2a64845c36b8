"""Steering committee meetings of a plan: the list, a meeting with its agenda, minutes and actions, its pack."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import User
from crmproject.auth.permissions import allow, can_run_meetings
from crmproject.auth.services import list_active_users
from crmproject.errors import saving
from crmproject.exports import download, download_name, spreadsheet_routes, table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.forms import options
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.lookup import plan_or_404
from crmproject.plans.services import plan_today
from crmproject.steering import bp, services
from crmproject.steering.excel import pack_workbook
from crmproject.steering.forms import ActionForm, MeetingForm
from crmproject.steering.models import SteeringMeeting
from crmproject.steering.tables import MEETINGS


def _meeting(plan: Plan, meeting_id: int) -> SteeringMeeting:
    meeting = db.session.get(SteeringMeeting, meeting_id)
    if meeting is None or meeting.plan_id != plan.id:
        abort(404)
    return meeting


def _to_meeting(plan: Plan, meeting: SteeringMeeting, message: str):
    flash(message, "success")
    return redirect(url_for("steering.show", plan_id=plan.id, meeting_id=meeting.id))


def _attendee_choices(form: MeetingForm, plan: Plan, meeting: SteeringMeeting | None) -> None:
    people = services.leadership_users(plan, today=plan_today(plan))
    # someone who attended and has since left the group stays listed on their meeting
    people += [u for u in (meeting.attendees if meeting else []) if u not in people]
    form.attendee_ids.choices = options((u.id, u.name) for u in people)


def _attendees(form: MeetingForm) -> list[User]:
    return [u for u in (db.session.get(User, i) for i in form.attendee_ids.data or []) if u is not None]


@table_page(bp, "/")
def index(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meetings = services.list_meetings(plan)
    if wants_csv():
        return table_csv(MEETINGS, meetings, plan.name, _("meetings"))
    return render_template("steering/index.html", plan=plan, meetings=meetings, today=plan_today(plan))


@bp.route("/new", methods=["GET", "POST"])
@allow(can_run_meetings)
def new(plan_id: int):
    plan = plan_or_404(plan_id)
    form = MeetingForm()
    _attendee_choices(form, plan, None)
    if request.method == "GET":
        form.held_on.data = plan_today(plan)
        form.attendee_ids.data = [int(value) for value, _label in [(c.value, c.label) for c in form.attendee_ids.choices]]
    if form.validate_on_submit():
        with saving(form) as outcome:
            meeting = services.plan_meeting(plan, held_on=form.held_on.data, title=form.title.data or "",
                                            attendees=_attendees(form), today=plan_today(plan))
        if outcome.saved:
            return _to_meeting(plan, meeting, _("Meeting planned; its agenda is built from today's figures."))
    return render_template("steering/form.html", plan=plan, meeting=None, form=form), form.http_status


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@allow(can_run_meetings)
def edit(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id)
    meeting = _meeting(plan, meeting_id)
    form = MeetingForm(obj=meeting if request.method == "GET" else None)
    _attendee_choices(form, plan, meeting)
    if request.method == "GET":
        form.attendee_ids.data = [u.id for u in meeting.attendees]
    if form.validate_on_submit():
        with saving(form, meeting, saved={"attendee_ids": [u.id for u in meeting.attendees]}) as outcome:
            services.update_meeting(meeting, plan, held_on=form.held_on.data, title=form.title.data or "",
                                    attendees=_attendees(form), minutes=form.minutes.data or "", today=plan_today(plan))
        if outcome.saved:
            return _to_meeting(plan, meeting, _("Meeting saved."))
    return render_template("steering/form.html", plan=plan, meeting=meeting, form=form), form.http_status


@bp.get("/<int:meeting_id>")
def show(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meeting = _meeting(plan, meeting_id)
    return _show(plan, meeting, _action_form(meeting, formdata=None))


def _action_form(meeting: SteeringMeeting, formdata=...) -> ActionForm:
    form = ActionForm() if formdata is ... else ActionForm(formdata=formdata)
    form.owner_id.choices = options([("", _("— none —"))] + [(u.id, u.name) for u in list_active_users()])
    return form


def _show(plan: Plan, meeting: SteeringMeeting, form: ActionForm, status: int = 200):
    return render_template("steering/show.html", plan=plan, meeting=meeting, form=form, sections=services.SECTIONS,
                           section_title=services.section_title, decisions=services.decisions_at(meeting)), status


@bp.post("/<int:meeting_id>/actions")
@allow(can_run_meetings)
def add_action(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meeting = _meeting(plan, meeting_id)
    form = _action_form(meeting)
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.add_action(meeting, plan, services.ActionValues(
                form.text.data or "", db.session.get(User, form.owner_id.data) if form.owner_id.data else None,
                form.due_date.data), actor=current_user)
        if outcome.saved:
            return _to_meeting(plan, meeting, _("Action added; it is followed as a change task."))
    return _show(plan, meeting, form, 400)


@bp.post("/<int:meeting_id>/agenda")
@allow(can_run_meetings)
def rebuild_agenda(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id)
    meeting = _meeting(plan, meeting_id)
    services.rebuild_agenda(meeting, plan, today=plan_today(plan))
    return _to_meeting(plan, meeting, _("Agenda rebuilt from today's figures."))


@bp.post("/<int:meeting_id>/delete")
@allow(can_run_meetings)
def delete(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meeting = _meeting(plan, meeting_id)
    services.delete_meeting(meeting)
    flash(_("Meeting deleted; its actions stay on the task list."), "success")
    return redirect(url_for("steering.index", plan_id=plan.id))


@bp.get("/<int:meeting_id>/pack")
def pack(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meeting = _meeting(plan, meeting_id)
    return render_template("steering/pack.html", plan=plan, meeting=meeting, sections=services.SECTIONS,
                           section_title=services.section_title, decisions=services.decisions_at(meeting))


@spreadsheet_routes(bp, "/<int:meeting_id>/pack")
def pack_xlsx(plan_id: int, meeting_id: int):
    plan = plan_or_404(plan_id, waves=False)
    meeting = _meeting(plan, meeting_id)
    workbook = pack_workbook(meeting, plan.name, services.decisions_at(meeting))
    return download(workbook, download_name(plan.name, meeting.title, meeting.held_on.isoformat()))
