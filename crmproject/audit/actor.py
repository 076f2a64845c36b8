"""Who is acting: the logged-in user in a request, else whoever a command line or a background job acts for.

A job acts for the user who queued it (crmproject.jobs passes them along); a command acts as the system unless
it names someone. Read without touching the database: it is asked while the session flushes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import inspect

from crmproject.audit.models import AuditSource


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    label: str = ""  # the user's e-mail address as it is now
    source: AuditSource = AuditSource.SYSTEM


_acting: ContextVar[Actor | None] = ContextVar("crmproject_audit_actor", default=None)
_REQUEST_KEY = "crmproject.audit_actor"  # in the request's environ: `g` may outlive a request (tests share one)


@contextmanager
def acting_as(user_id: int | None, *, label: str = "", source: AuditSource = AuditSource.JOB) -> Iterator[Actor]:
    """Record what happens inside as done by this user (None: the system), outside a request: a job, a command."""
    actor = Actor(user_id, label or _label_of(user_id), source)
    token = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(token)


def actor_of(user) -> Actor:
    """The actor for a User object, read from what is loaded (never a query: this runs inside flushes)."""
    state = inspect(user)
    user_id = state.identity[0] if state.identity else None
    return Actor(user_id, state.dict.get("email") or "", AuditSource.WEB if has_request_context() else AuditSource.SYSTEM)


def remember_request_actor() -> None:
    """Before a request's view: the logged-in user, while their row is fresh (a commit expires it)."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        request.environ.setdefault(_REQUEST_KEY, actor_of(user))


def current_actor() -> Actor:
    """Who the change being recorded now is done by."""
    acting = _acting.get()
    if has_request_context():
        user = g.get("_login_user")
        found = request.environ.get(_REQUEST_KEY)
        if found is not None and user is not None and getattr(user, "is_authenticated", False):
            return found
        if user is not None and getattr(user, "is_authenticated", False):
            return actor_of(user)
        return acting or Actor(source=AuditSource.WEB)
    if acting is not None:
        return acting
    import click

    return Actor(source=AuditSource.CLI if click.get_current_context(silent=True) is not None else AuditSource.SYSTEM)


def request_facts() -> tuple[str, str]:
    """The client's address and the request ("POST /plans/1/edit"), or blanks outside a request."""
    if not has_request_context():
        return "", ""
    return (request.remote_addr or "")[:64], f"{request.method} {request.path}"[:500]


def _label_of(user_id: int | None) -> str:
    if user_id is None:
        return ""
    from crmproject.auth.models import User
    from crmproject.extensions import db

    user = db.session.get(User, user_id)
    return user.email if user is not None else ""
