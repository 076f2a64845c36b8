"""Domain exceptions and the HTTP error pages (400/403/404/405/409/413/500, CSRF)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, flash, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from crmproject.i18n import _


class DomainError(Exception):
    """Base class for errors a service raises about the domain, not about code."""


class ValidationFailed(DomainError):
    """Input breaks a domain rule. `errors` maps a field name (or "" for the
    whole form) to the messages about it, so a view can show them in place."""

    def __init__(self, errors: Mapping[str, str | list[str]] | str, field: str = ""):
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors: dict[str, list[str]] = {
            name: [msgs] if isinstance(msgs, str) else list(msgs) for name, msgs in errors.items()
        }
        super().__init__("; ".join(f"{k or 'form'}: {' '.join(v)}" for k, v in self.errors.items()))


class NotFound(DomainError):
    """A named thing (template, plan, user) does not exist."""


class ConfigError(RuntimeError):
    """The application is not configured well enough to start."""


def apply_to_form(form, exc: ValidationFailed) -> None:
    """Show a service's validation errors next to the form's fields."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            form.form_errors = list(getattr(form, "form_errors", [])) + messages


def flash_refusal(exc: ValidationFailed) -> None:
    """A button's refused action (no form to show the errors beside): roll back and flash each message."""
    from flask import flash

    from crmproject.extensions import db

    db.session.rollback()
    for messages in exc.errors.values():
        for message in messages:
            flash(message, "error")


@dataclass(frozen=True)
class FieldChange:
    """A field of a refused save, as people read it (a 409's table): what is saved now, what the user entered,
    and what the user's page showed when it was opened (None when not known)."""

    name: str
    label: str
    saved: str
    yours: str
    opened: str | None = None


def three_way(opened: object, saved: object, yours: object, *, merges: bool = True) -> str:
    """What a save keeps of one field (or one RACI row) that someone else may have saved since the user
    opened it, from the three values compared: `opened` (None when not known), `saved` now, `yours`.

    "yours": nobody else changed it (saved is still as opened), or both made it the same;
    "theirs": someone else changed it and the user left it as opened: their value stays (when `merges`);
    "conflict": both changed it, differently, or it differs and what the user saw is not known.
    """
    if yours == saved or opened == saved:
        return "yours"
    if opened is not None and yours == opened and merges:
        return "theirs"
    return "conflict"


def flash_kept(labels: list[str]) -> None:
    """Tell the user that a save kept someone else's newer values of these fields (or rows) beside theirs."""
    if labels:
        flash(_("Someone else saved this while you had it open: their changes to %(fields)s are kept along with "
                "yours.", fields=", ".join(labels)), "info")


@dataclass
class Saving:
    """What `saving` did: `saved` once the transaction is committed."""

    saved: bool = False


@contextmanager
def saving(form, obj=None, *, saved: Mapping[str, object] | None = None) -> Iterator[Saving]:
    """The request's transaction around a form's save, the same in every view:

        with saving(form, department) as outcome:
            services.update_department(department, name=form.name.data, ...)
        if outcome.saved:
            flash(...)
            return redirect(...)
        return render_template(..., form=form), form.http_status

    A ValidationFailed from the services rolls everything back and shows
    its messages next to the form's fields (nothing half-saved); otherwise
    the changes are flushed, and the request's end commits them
    (crmproject.transactions: one place for every view).

    `obj` is the Versioned object the form edits (None when it creates one),
    and `form` a VersionedForm. When someone saved the object after the form
    was opened, each field is checked three ways (VersionedForm.reconcile):
    a field only the user changed is saved, a field only the other person
    changed keeps their value (the form's field takes it, so read the form
    inside the `with` block, never before it), and a field both changed
    differently is a conflict: nothing is saved, the form is shown again with
    the user's input, the conflicting fields' three values, the new version
    and a fresh snapshot (`form.http_status` is then 409). `saved` gives the
    saved values of fields that are not attributes of `obj` (a wave's
    departments). Every save moves the object's version by one.
    """
    from crmproject.db import touch
    from crmproject.extensions import db

    outcome = Saving()
    version = obj.version if obj is not None else None
    # checked before the services change `obj`: these are the values someone else saved
    conflicts = form.reconcile(obj, saved) if obj is not None and form.opened_version != version else []
    try:
        yield outcome
    except ValidationFailed as exc:
        db.session.rollback()
        apply_to_form(form, exc)
    else:
        if not conflicts:
            if obj is not None and obj.version == version:  # not moved yet by a flush of the services
                touch(obj)
            db.session.flush()  # two saves at once meet here (409); the request's end commits (transactions.py)
            outcome.saved = True
            flash_kept(getattr(form, "merged", []))
    if conflicts:
        db.session.rollback()
        form.refuse(conflicts, version)


ERROR_TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("You are not allowed to do this"),
    404: lambda: _("Not found"),
    405: lambda: _("Not allowed"),
    409: lambda: _("Conflict"),
    413: lambda: _("File too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
}

ERROR_TEXTS = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("Your role does not allow this page or action. Ask an administrator if you need access."),
    404: lambda: _("There is nothing at this address. It may have been deleted, or the link is wrong."),
    405: lambda: _("This address does not accept that kind of request."),
    409: lambda: _("Someone else changed this at the same time. Reload and try again."),
    413: lambda: _("The upload is larger than the limit of %(limit)s MB.", limit=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)),
    429: lambda: _("Too many attempts from your network address in a short time. Wait a while and try again."),
    500: lambda: _("The error has been logged. Please try again; if it keeps happening, tell an administrator."),
}


def _render_error(code: int, text: str | None = None):
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])()
    body = text or ERROR_TEXTS.get(code, ERROR_TEXTS[500])()
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": body}, code
    return render_template("errors/error.html", code=code, title=title, text=body), code


def _too_many_attempts():
    """A rate limit (Flask-Limiter) refused the request: the error page, and Retry-After saying when to try again."""
    import math
    import time

    from flask import make_response

    from crmproject.extensions import limiter

    response = make_response(_render_error(429))
    if (limit := limiter.current_limit) is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(limit.window.reset_time - time.time())))
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render_error(
            400, _("This page has expired (its security token is missing or too old). Go back, reload the page and try again.")
        )

    @app.errorhandler(StaleDataError)
    @app.errorhandler(IntegrityError)
    def conflict(exc: Exception):
        # two requests changed the same rows at the same moment; the loser's transaction is rolled back whole
        from crmproject.extensions import db

        db.session.rollback()
        app.logger.info("Conflicting write on %s %s: %s", request.method, request.path, exc)
        return _render_error(409)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        if exc.response is not None:
            return exc.response  # the page was made where it was refused (a rate limit's on_breach: the login form)
        if code == 429:
            return _too_many_attempts()
        if code in ERROR_TITLES:
            return _render_error(code)
        return exc

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        from crmproject.extensions import db

        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render_error(500)
