"""The notifications page, a user's choices of how to be told, and the public page an e-mail's stop link opens."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crmproject.auth.models import User
from crmproject.errors import saving
from crmproject import transactions
from crmproject.extensions import csrf, db, limiter
from crmproject.i18n import _
from crmproject.notifications import bp, services, tokens
from crmproject.notifications.forms import PreferencesForm
from crmproject.notifications.kinds import Channel, Kind, message
from crmproject.paging import page_arg


@bp.get("/notifications")
def index():
    page = page_arg()
    rows, total = services.page_of(current_user, page=page)
    return render_template("notifications/index.html", rows=rows, total=total, page=page, per_page=services.PER_PAGE,
                           message=message, unread=services.unread_count(current_user))


@bp.get("/notifications/<int:notification_id>")
def open_(notification_id: int):
    """Open what a notification is about; it is read from then on."""
    notification = services.own_notification(current_user, notification_id) or abort(404)
    services.mark_read(notification)
    transactions.keep()  # a GET that writes: opening it is reading it
    return redirect(notification.link or url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
def read(notification_id: int):
    notification = services.own_notification(current_user, notification_id) or abort(404)
    services.mark_read(notification)
    return redirect(url_for("notifications.index", page=page_arg() if "page" in request.args else None))


@bp.post("/notifications/read-all")
def read_all():
    marked = services.mark_all_read(current_user)
    if marked:
        flash(_("Every notification is marked read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
def preferences():
    """Each user chooses per kind: e-mail, in the application, both or none."""
    user = current_user._get_current_object()
    if request.method == "GET":
        form = PreferencesForm(data={kind.value: channel.value for kind, channel in services.preferences(user).items()})
    else:
        form = PreferencesForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.set_preferences(user, form.choices())
        if outcome.saved:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, smtp=_smtp())


def _smtp() -> bool:
    from crmproject.notifications.mail import smtp_configured

    return smtp_configured()


def _token_user(token: str) -> tuple[User, Kind]:
    try:
        user_id, kind = tokens.read_token(token)
    except tokens.BadToken:
        abort(404)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user, kind


@bp.get("/notifications/stop/<token>")
def unsubscribe(token: str):
    """An e-mail's stop link: a page that asks to confirm (a GET never changes anything: mail scanners open links)."""
    user, kind = _token_user(token)
    return render_template("notifications/unsubscribe.html", user=user, kind=kind, token=token, done=False)


@bp.post("/notifications/stop/<token>")
@csrf.exempt  # the signed token in the address is the proof: nobody else can make it (and mail programs post
# RFC 8058's one-click "List-Unsubscribe=One-Click" with no form of ours)
@limiter.limit(lambda: "60 per 10 minutes")
def unsubscribe_confirm(token: str):
    """Stop this kind for this user, by e-mail and in the application (the settings page turns it back on)."""
    user, kind = _token_user(token)
    services.set_preference(user, kind, Channel.NONE)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "", 204
    return render_template("notifications/unsubscribe.html", user=user, kind=kind, token=token, done=True)
