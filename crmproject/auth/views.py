"""Login, logout and the administrators' user pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from crmproject.auth import bp, services
from crmproject.auth.forms import LoginForm, OwnPasswordForm, PasswordForm, UserCreateForm, UserEditForm
from crmproject.auth.models import Role, User
from crmproject.auth.permissions import admins_only
from crmproject.departments.models import Department
from crmproject.departments.services import list_departments
from crmproject.errors import saving
from crmproject.extensions import db, login_manager
from crmproject.forms import options
from crmproject.i18n import _


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("The e-mail or password is wrong, or the account is deactivated."))
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


def _department_choices():
    return options([("", _("— none —"))] + [(d.id, d.name) for d in list_departments()])


def _department(department_id: int | None) -> Department | None:
    return db.session.get(Department, department_id) if department_id else None


@bp.get("/admin/users")
@admins_only
def users():
    return render_template("auth/users.html", users=services.list_users())


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
        with saving(form) as outcome:
            services.update_user(
                user, acting_user=current_user, name=form.name.data, role=Role(form.role.data),
                department=_department(form.department_id.data), active=form.active.data,
            )
        if outcome.saved:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, password_form=password_form)


@bp.post("/admin/users/<int:user_id>/password")
@admins_only
def user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        services.set_password(user, password_form.password.data)
        db.session.commit()
        flash(_("The password of %(email)s was changed.", email=user.email), "success")
        return redirect(url_for("auth.users"))
    form = UserEditForm(obj=user)
    form.role.data = user.role.value
    form.department_id.choices = _department_choices()
    return render_template("auth/user_form.html", form=form, user=user, password_form=password_form)


@bp.route("/account/password", methods=["GET", "POST"])
def own_password():
    """Every user may change their own password."""
    form = OwnPasswordForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.change_own_password(current_user, current=form.current_password.data, new=form.password.data)
        if outcome.saved:
            login_user(current_user._get_current_object())  # this session continues; every other one ends
            flash(_("Your password was changed. Other sessions have been logged out."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)
