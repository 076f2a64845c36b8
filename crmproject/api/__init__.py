"""The REST API under /api/v1 (flask-smorest): marshmallow schemas validate each request and describe it in the
OpenAPI 3 document served at /api/v1/openapi.json, with a ReDoc page at /api/v1/docs (the vendored bundle).

Requests authenticate with a personal token (`Authorization: Bearer crmp_...`), never a session cookie, so
CSRF does not apply. GET needs the token's `read` scope, writes `write`, the usage ingest `ingest`; beyond
that every resource applies the rules of the matching page (crmproject.auth.permissions). Errors are JSON
problems (RFC 9457). Requests are rate limited per token, and per client address without a valid one.
"""

from __future__ import annotations

from flask_smorest import Api, Blueprint

API_PREFIX = "/api/v1"
# What the documentation page tells its readers (the people who connect a script or a CRM), in their terms
DESCRIPTION = """The crmproject REST API: read the rollout plan, its phases, waves, departments, team, change tasks,
KPIs and their values, status reports, training and adoption; write change tasks, KPI values and status reports;
push the CRM's usage events in batches.

**Access.** Make a personal token on your account's page *API tokens* and send it with every request:
`Authorization: Bearer crmp_...`. A token reads (`read`), writes (`write`) or pushes usage events (`ingest`), as
its scopes allow, and never sees more than its owner sees in the application: a department head's token reads
their own department's drafts, not another's.

**Writes.** A change task is updated with the version it was read at (`If-Match`), so a change made meanwhile
is never overwritten. A batch of usage events pushed again counts once.

**Errors** are JSON problems (RFC 9457) naming the field that is wrong. Requests are rate limited per token;
an answer 429 says when to try again.
"""


class CrmApi(Api):
    def _register_error_handlers(self):
        """None app-wide: the pages keep their own error pages; the API blueprint answers problems itself."""


api = CrmApi()
bp = Blueprint("api", __name__, url_prefix=API_PREFIX,
               description="Every resource needs a personal token: `Authorization: Bearer <token>`.")


def init_app(app) -> None:
    """Register the API, its OpenAPI document and ReDoc page, and the token pages; exempt it from CSRF (a
    request carries its token, never a cookie) and rate limit it per token."""
    import crmproject.api.auth
    import crmproject.api.resources  # noqa: F401
    from crmproject.api.views import tokens_bp
    from crmproject.extensions import csrf

    app.config.setdefault("API_TITLE", "crmproject")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_REDOC_PATH", "docs")
    app.config.setdefault("OPENAPI_REDOC_URL", "/static/vendor/redoc/redoc.standalone.js")
    api.init_app(app, spec_kwargs={"info": {"description": DESCRIPTION}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                   "description": "A personal token (Account > API tokens)."})
    api.spec.options["security"] = [{"bearer": []}]
    csrf.exempt(bp)
    api.register_blueprint(bp)

    from flask import request
    from werkzeug.exceptions import HTTPException, NotFound

    from crmproject.api.problems import from_http

    pages_handler = app.error_handler_spec[None][None].get(HTTPException)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        """A 404 under /api/v1 is a problem, even one the router gives before any rule matched (an id too long
        for the database: werkzeug then names no endpoint); elsewhere the app's own page."""
        if request.path.startswith(API_PREFIX + "/"):
            return from_http(exc)
        return pages_handler(exc) if pages_handler is not None else exc

    @app.after_request
    def docs_page_policy(response):
        """ReDoc's search runs in a worker it makes from a blob: allowed on its page only (the app's own policy,
        set after this, keeps every other header)."""
        if request.endpoint == "api-docs.openapi_redoc":
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
                "worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'")
        return response
    app.register_blueprint(tokens_bp)
