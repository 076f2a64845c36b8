"""Every request's transaction ends here, in one place, as Indico's do.

A request that writes (POST, PUT, PATCH, DELETE) and is answered without an error (a status below 400: a page,
a redirect, a download) is committed once its view has returned; every other request is rolled back, so an
error never half-saves and a GET never writes. Views do not commit: they call the services, then flash and
redirect (crmproject.errors.saving shows a form's errors and conflicts).

A commit that fails because another request changed the same rows at the same moment (StaleDataError,
IntegrityError) is answered as if the view had raised it (409: the page's conflict page, the API's problem), and
the messages the view flashed about a save that did not happen are dropped; so is any other failure of the
database at the commit (a lock, a lost connection), answered as the error it is (500), logged.

Two kinds of code commit on their own, and say why where they do: work handed to another process (a job must
find its record committed) and the audit trail's events recorded at once (a refusal, a download).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from crmproject.extensions import db

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def keep() -> None:
    """Commit what this request wrote where the rule would not: a refused login is counted and recorded although
    the answer is 429; a notification opened through its link (a GET) is read from then on."""
    g._keep_transaction = True


def end(response: Response) -> Response:
    """Commit the request's transaction, or roll it back (see the module's docstring)."""
    if g.get("_keep_transaction") or (request.method in WRITES and response.status_code < 400):
        try:
            db.session.commit()
        except (StaleDataError, SQLAlchemyError) as exc:  # a conflict (409), or the database failed (500)
            db.session.rollback()
            session.pop("_flashes", None)  # nothing was saved: no "saved" message may follow
            return current_app.make_response(current_app.handle_user_exception(exc))
    elif response.status_code >= 400:
        db.session.rollback()
    # a read answered: nothing is committed, and the session's end (Flask-SQLAlchemy's teardown) discards
    # whatever it wrote
    return response


def init_app(app: Flask) -> None:
    """Registered after every other after-request function, so it runs before them (Flask calls them in reverse):
    the audit trail's record of a download comes after the request's own commit, and the security headers are
    set on a conflict's answer too."""
    app.after_request(end)
