"""Who calls the API: the bearer token, its scopes, its rate limit, and the API's problems."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from crmproject.api import bp
from crmproject.api.models import ApiToken, TokenScope
from crmproject.api.problems import from_http, from_validation, problem
from crmproject.api.services import authenticate, touch
from crmproject.errors import ValidationFailed
from crmproject.extensions import db, limiter
from crmproject.i18n import _
from crmproject.ratelimit import client_address
from crmproject.tasks.services import StaleTask

INGEST_ENDPOINTS = {"api.ingest_usage_events"}
UNAUTHENTICATED = {"api.not_found"}  # an unknown address under /api/v1 is a 404 to everyone
REQUEST_TOKEN = "crmproject.api_token"  # request.environ's key for the request's token (request_token)


def required_scope() -> TokenScope:
    if request.endpoint in INGEST_ENDPOINTS:
        return TokenScope.INGEST
    return TokenScope.READ if request.method in ("GET", "HEAD") else TokenScope.WRITE


def bearer_secret() -> str:
    """The token of the Authorization header, whatever the case of its scheme (RFC 7235: `bearer` is `Bearer`);
    "" when the header holds no bearer token."""
    scheme, _space, secret = request.headers.get("Authorization", "").strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def request_token() -> ApiToken | None:
    """The live token this request carries, else None: looked up once a request, as the rate limit asks first.
    Kept in the request's environ, not `g`, which may outlive a request (an app context pushed around several)."""
    if REQUEST_TOKEN not in request.environ:
        secret = bearer_secret()
        request.environ[REQUEST_TOKEN] = authenticate(secret) if secret else None
    return request.environ[REQUEST_TOKEN]


def rate_limit_key() -> str:
    """Per token for a token that opens the API (its id: the counter's key holds no secret); per client address
    for every other request, so made-up tokens, one new each time, are counted together and add no counters."""
    token = request_token()
    if token is not None:
        return f"api-token:{token.id}"
    return "api-anonymous:" + client_address()


# Once per process, not per app: Flask-Limiter keeps a blueprint's limits on the limiter itself, so a limit added in
# each create_app would count every request once more for each app made (tests make several).
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


def _challenge(detail: str):
    return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="crmproject"'})


@bp.before_request
def authenticate_token():
    if request.endpoint in UNAUTHENTICATED:
        return None
    if not bearer_secret():
        return _challenge(_("This API needs a personal token: send it as 'Authorization: Bearer <token>'."))
    token = request_token()
    if token is None:
        return _challenge(_("The token is unknown, expired or revoked."))
    g._login_user = token.user  # the token's user for this request: a session cookie never counts here
    g.api_token = token
    touch(token)
    db.session.commit()
    needed = required_scope()
    if needed not in token.scope_list:
        return problem(403, _("This request needs a token with the '%(scope)s' scope.", scope=needed.value))
    return None


@bp.errorhandler(HTTPException)
def http_problem(exc: HTTPException):
    if (exc.code or 500) >= 400:
        db.session.rollback()
    return from_http(exc)


@bp.errorhandler(StaleTask)
def stale(exc: StaleTask):
    db.session.rollback()
    return from_validation(exc, 409)


@bp.errorhandler(ValidationFailed)
def invalid(exc: ValidationFailed):
    db.session.rollback()
    return from_validation(exc)


@bp.errorhandler(IntegrityError)
@bp.errorhandler(StaleDataError)
def conflict(exc: Exception):
    db.session.rollback()
    return problem(409, _("Someone else changed this at the same moment; read it again and retry."))


@bp.errorhandler(Exception)
def unhandled(exc: Exception):
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return problem(500, _("An internal error; nothing was saved."))

