"""Login, logout and the administrators' user pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import math
import time
from datetime import date

from flask import Response, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_limiter import RequestLimit
from flask_login import current_user, login_required, login_user, logout_user

from crmproject.audit.models import AuditAction
from crmproject.audit.services import failed_login_label, record_event
from crmproject.auth import bp, services
from crmproject.auth.forms import CalendarForm, LoginForm, OwnPasswordForm, PasswordForm, UserCreateForm, UserEditForm
from crmproject.auth.models import Role, User
from crmproject.auth.permissions import admins_only
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import saving
from crmproject.extensions import db, limiter, login_manager
from crmproject.forms import options
from crmproject.dates import GREGORIAN, PERSIAN, date_shown, force_calendar
from crmproject.i18n import LANGUAGES, SESSION_KEY, _


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    return services.user_for_session(session_token)


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")


def _address_limits() -> str:
    return current_app.config["LOGIN_ADDRESS_LIMITS"]


def _throttled(page: str, seconds: int) -> Response:
    """A page refused with 429 Too Many Requests, saying in Retry-After when to try again."""
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _continue_session(user: User) -> None:
    """Log this browser in again with the user's new session token, keeping its "keep me logged in"."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remember)


def _record_failed_login(email: str | None, reason: str, *, user: User | None = None) -> None:
    """A failed login in the audit trail: the e-mail address tried (never the password), the account it names."""
    label = failed_login_label(email)
    account = user
    if account is None and label == (email or "").strip():
        account = services.get_user_by_email(email or "")  # (never empty here: the label is the address)
    record_event(AuditAction.LOGIN_FAILED, user=account, label=label, details={"reason": reason})


def _address_throttled(limit: RequestLimit) -> Response:
    """Too many failed logins from this client address (Flask-Limiter): the login form, with when to try again."""
    wait = max(1, math.ceil(limit.window.reset_time - time.time()))
    form = LoginForm()
    form.form_errors.append(_("Too many failed logins from your network address. Try again in %(wait)s.",
                              wait=services.duration_text(wait)))
    return _throttled(render_template("auth/login.html", form=form), wait)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limits, methods=["POST"], on_breach=_address_throttled,
               deduct_when=lambda response: response.status_code != 302)  # only failed logins count
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.LoginThrottled as throttled:
            db.session.rollback()  # nothing was counted; end the transaction now, not at the request's teardown
            _record_failed_login(form.email.data, "throttled")
            db.session.commit()
            form.form_errors.append(throttled.message)
            return _throttled(render_template("auth/login.html", form=form), throttled.seconds_left)
        if user is None:
            _record_failed_login(form.email.data, "wrong")
        else:
            record_event(AuditAction.LOGIN, user=user)
        db.session.commit()  # the failure counted, or the login stamped; and recorded
        if user is None:
            form.form_errors.append(_("The e-mail or password is wrong, or the account is deactivated."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Logging out ends every session of the user: a copy of this session's or the remember-me cookie is void."""
    services.end_sessions(current_user)
    record_event(AuditAction.LOGOUT, user=current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/account/sessions/end")
def end_other_sessions():
    """Log out everywhere else: every other browser and device, this one stays logged in."""
    services.end_sessions(current_user)
    db.session.commit()
    _continue_session(current_user._get_current_object())  # this session carries the new token
    flash(_("You were logged out on every other browser and device."), "success")
    return redirect(url_for("auth.own_password"))


def _department_choices():
    return options([("", _("— none —"))] + [(d.id, d.name) for d in list_departments()])


def _department(department_id: int | None) -> Department | None:
    return db.session.get(Department, department_id) if department_id else None


@bp.get("/admin/users")
@admins_only
def users():
    listed = services.list_users()
    return render_template("auth/users.html", users=listed, throttles=services.login_throttles(listed))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admins_only
def user_new():
    form = UserCreateForm()
    form.department_id.choices = _department_choices()
    if form.validate_on_submit():
        with saving(form) as outcome:
            user = services.create_user(
                email=form.email.data, name=form.name.data, password=form.password.data,
                role=Role(form.role.data), department=_department(form.department_id.data),
            )
        if outcome.saved:
            flash(_("User %(email)s added.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admins_only
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
    form.department_id.choices = _department_choices()
    password_form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        with saving(form, user) as outcome:
            services.update_user(
                user, acting_user=current_user, name=form.name.data, role=Role(form.role.data),
                department=_department(form.department_id.data), active=form.active.data,
            )
        if outcome.saved:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return _user_page(user, form, password_form)


def _user_page(user: User, form, password_form):
    throttle = services.login_throttles([user]).get(user.id)
    page = render_template("auth/user_form.html", form=form, user=user, password_form=password_form, throttle=throttle)
    return page, form.http_status


@bp.post("/admin/users/<int:user_id>/unlock")
@admins_only
def user_unlock(user_id: int):
    user = db.get_or_404(User, user_id)
    services.unlock(user)
    db.session.commit()
    flash(_("%(email)s may log in again.", email=user.email), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/sessions/end")
@admins_only
def user_end_sessions(user_id: int):
    user = db.get_or_404(User, user_id)
    services.end_sessions(user)
    db.session.commit()
    if user.id == current_user.id:
        _continue_session(user)  # an administrator ending their own sessions stays logged in here
    flash(_("Every session of %(email)s has ended.", email=user.email), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password")
@admins_only
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        with saving(password_form) as outcome:
            services.set_password(user, password_form.password.data)
        if outcome.saved:
            if user.id == current_user.id:
                _continue_session(user)  # this session continues with the new token
            flash(_("The password of %(email)s was changed; every session of theirs has ended.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    form = UserEditForm(obj=user)
    form.role.data = user.role.value
    form.department_id.choices = _department_choices()
    return _user_page(user, form, password_form)


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_address_limits, methods=["POST"], deduct_when=lambda response: response.status_code != 302)
def own_password():
    """Every user may change their own password."""
    form = OwnPasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        # a new password the policy refuses is said first: it is no wrong guess of the current one
        if (problem := services.password_problem(form.password.data, email=user.email, name=user.name)) is not None:
            form.password.errors.append(problem)
            return _account_page(form)
        try:
            right = services.verify_password(user, form.current_password.data)
        except services.LoginThrottled as throttled:
            db.session.rollback()
            _record_failed_login(user.email, "throttled", user=user)
            db.session.commit()
            form.current_password.errors.append(throttled.message)
            return _throttled(_account_page(form), throttled.seconds_left)
        if not right:
            _record_failed_login(user.email, "current_password", user=user)
        db.session.commit()  # the attempt counts, right or wrong
        if not right:
            form.current_password.errors.append(_("The current password is wrong."))
            return _account_page(form)
        with saving(form) as outcome:
            services.set_password(user, form.password.data)
        if outcome.saved:
            _continue_session(user)  # this session continues; every other one ends
            flash(_("Your password was changed. Other sessions have been logged out."), "success")
            return redirect(url_for("home.index"))
    return _account_page(form)


def _calendar_form(form: CalendarForm | None = None) -> CalendarForm:
    """The calendar choice, each calendar shown with today's date in it."""
    form = form or CalendarForm(calendar=current_user.calendar or "")
    today = date.today()

    def example(calendar: str | None) -> str:
        with force_calendar(calendar):
            return date_shown(today)
    form.calendar.choices = options([
        ("", _("As my language has it: %(today)s", today=example(None))),
        (GREGORIAN, _("Gregorian: %(today)s", today=example(GREGORIAN))),
        (PERSIAN, _("Solar Hijri (Persian): %(today)s", today=example(PERSIAN))),
    ])
    return form


def _account_page(form: OwnPasswordForm, calendar_form: CalendarForm | None = None) -> str:
    return render_template("auth/password.html", form=form, calendar_form=_calendar_form(calendar_form))


@bp.post("/account/calendar")
def own_calendar():
    """Every user chooses the calendar they read dates in (their language's default, Gregorian or Solar Hijri)."""
    form = _calendar_form(CalendarForm())
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.set_calendar(current_user._get_current_object(), form.calendar.data or None)
        if outcome.saved:
            flash(_("Dates are now shown as %(today)s.", today=date.today()), "success")
            return redirect(url_for("auth.own_password"))
    return _account_page(OwnPasswordForm(formdata=None), form)


@bp.post("/language")
def language():
    """The footer's language switch: a user's own setting once logged in, the session's before (the login page)."""
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        flash(_("There is no interface in that language."), "error")
    elif current_user.is_authenticated:
        services.set_language(current_user._get_current_object(), chosen)
        db.session.commit()
    else:
        session[SESSION_KEY] = chosen
    target = request.form.get("next") or ""
    return redirect(_safe_next(target) if target else url_for("auth.login" if not current_user.is_authenticated
                                                              else "home.index"))
