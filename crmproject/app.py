"""The application factory."""

from __future__ import annotations

import functools
import hashlib
import io
from typing import Any

from flask import Flask, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from crmproject import collation, paths  # noqa: F401 - collation: SQLite's text functions on each connection
from crmproject.config import load_config
from crmproject.dates import browser_date_format, date_shown, localised, moment_shown, month_shown
from crmproject.errors import register_error_handlers
from crmproject.extensions import csrf, db, limiter, login_manager, migrate
from crmproject.i18n import (HTML_LANG, LANGUAGES, TRANSLATIONS_DIR, _, babel, current_locale, format_number, is_rtl, isolate,
                             lazy_gettext, ngettext, select_locale)

MIGRATIONS_DIR = str(paths.PACKAGE_DIR / "migrations")

# Endpoints reachable without logging in: the login page, static files and plotly.js.
PUBLIC_ENDPOINTS = {"auth.login", "auth.language", "static", "vendor_plotly", "health", "favicon",
                    "pulse.answer", "pulse.thanks",  # a readiness pulse answered through a personal link
                    # a notification e-mail's signed link that stops its kind
                    "notifications.unsubscribe", "notifications.unsubscribe_confirm",
                    "api-docs.openapi_json", "api-docs.openapi_redoc"}  # the API's description and its page
# Endpoints whose answers are the same for everyone (the app's own files), so browsers may keep them.
CACHEABLE_ENDPOINTS = {"static", "vendor_plotly", "favicon"}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        "crmproject",
        instance_relative_config=True,
        template_folder=str(paths.templates_dir()),
        static_folder=str(paths.static_dir()),
    )
    load_config(app, test_config)
    import crmproject.models  # noqa: F401  (every table, for the ORM and the migrations)
    app.url_map.converters["int"] = DatabaseIntConverter

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to see this page.")
    login_manager.session_protection = "strong"
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS_DIR))
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    _register_blueprints(app)
    register_error_handlers(app)
    _register_template_helpers(app)
    _require_login_everywhere(app)
    _register_vendor_routes(app)
    from crmproject.audit.views import init_app as audit_hooks

    audit_hooks(app)  # after the login wall's hook: the request's user is known by then
    from crmproject.comments.views import init_app as comment_threads

    comment_threads(app)
    from crmproject import jobs

    jobs.init_app(app)
    from crmproject import api, transactions

    api.init_app(app)
    from crmproject import notifications

    notifications.init_app(app)
    transactions.init_app(app)  # last: it runs first after a view (crmproject.transactions)
    return app


class DatabaseIntConverter(IntegerConverter):
    """<int:id> up to the largest 64-bit id: a longer number is a 404, not an overflow in the database driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _import_views() -> None:
    """The views modules attach their routes to the blueprints. They are imported here, not in
    the packages' __init__, so importing a feature's models or services never pulls in views."""
    import crmproject.adoption.import_views
    import crmproject.adoption.views
    import crmproject.audit.views
    import crmproject.auth.views
    import crmproject.baselines.views
    import crmproject.business_case.views
    import crmproject.comments.views
    import crmproject.dashboard.views
    import crmproject.department_page.views
    import crmproject.departments.views
    import crmproject.gates.views
    import crmproject.home.views
    import crmproject.hypercare.views
    import crmproject.impact.views
    import crmproject.kpis.views
    import crmproject.maturity.views
    import crmproject.notifications.views
    import crmproject.plans.views
    import crmproject.pulse.views
    import crmproject.reports.views
    import crmproject.risks.views
    import crmproject.steering.views
    import crmproject.tasks.import_views
    import crmproject.tasks.views
    import crmproject.timeline.views
    import crmproject.teams.views
    import crmproject.training.views  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    _import_views()
    from crmproject.adoption import bp as adoption_bp
    from crmproject.audit import bp as audit_bp
    from crmproject.auth import bp as auth_bp
    from crmproject.baselines import bp as baselines_bp
    from crmproject.business_case import bp as business_case_bp
    from crmproject.comments import bp as comments_bp
    from crmproject.dashboard import bp as dashboard_bp
    from crmproject.department_page import bp as department_page_bp
    from crmproject.departments import bp as departments_bp
    from crmproject.gates import bp as gates_bp
    from crmproject.home import bp as home_bp
    from crmproject.hypercare import bp as hypercare_bp
    from crmproject.impact import bp as impact_bp
    from crmproject.kpis import bp as kpis_bp
    from crmproject.maturity import bp as maturity_bp
    from crmproject.notifications import bp as notifications_bp
    from crmproject.plans import bp as plans_bp
    from crmproject.pulse import bp as pulse_bp
    from crmproject.reports import bp as reports_bp
    from crmproject.risks import bp as risks_bp
    from crmproject.steering import bp as steering_bp
    from crmproject.tasks import bp as tasks_bp
    from crmproject.tasks import my_bp as my_tasks_bp
    from crmproject.teams import bp as teams_bp
    from crmproject.timeline import bp as timeline_bp
    from crmproject.training import bp as training_bp

    for bp in (auth_bp, departments_bp, department_page_bp, home_bp, plans_bp, teams_bp, tasks_bp, my_tasks_bp, kpis_bp, reports_bp, training_bp,
               adoption_bp, dashboard_bp, gates_bp, steering_bp, baselines_bp, hypercare_bp, impact_bp,
               business_case_bp, timeline_bp, maturity_bp, risks_bp, pulse_bp, audit_bp, notifications_bp, comments_bp):
        app.register_blueprint(bp)


def url_stem(endpoint: str, last: str, **values) -> str:
    """The address of `endpoint` without its last argument, which ends it (`/plans/1/tasks/`): for a table of
    hundreds of links that differ only in an id, written as stem + id instead of a url_for per row."""
    url = url_for(endpoint, **{**values, last: 0})
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint}'s address does not end in its {last}: {url}")
    return url[:-1]


def _register_template_helpers(app: Flask) -> None:
    from crmproject.auth.permissions import TemplatePermissions
    from crmproject.charts import figure_json

    app.jinja_env.globals.update(_=_, ngettext=ngettext, can=TemplatePermissions(), figure_json=figure_json,
                                 url_stem=url_stem, current_locale=current_locale,
                                 browser_date_format=browser_date_format)

    @app.context_processor
    def endpoints():
        # lets shared templates link to optional pages only where they exist
        return {"url_endpoints": app.view_functions}

    @app.context_processor
    def language():
        lang = current_locale()
        return {"page_lang": HTML_LANG.get(lang, lang), "page_dir": "rtl" if is_rtl() else "ltr", "language": lang,
                "languages": LANGUAGES}
    app.jinja_env.policies["json.dumps_kwargs"] = {"sort_keys": False}

    @app.template_filter("date")
    def format_date(value) -> str:
        """A date as the reader writes it (crmproject.dates: ISO in English, the language's short date, or the
        Solar Hijri date), never broken across lines, kept in its direction on a right-to-left page."""
        if not value:
            return ""
        return isolate(localised(value, shown=True) if isinstance(value, str) else date_shown(value))

    @app.template_filter("month")
    def format_month(value) -> str:
        """A month (2026-12 in English, 12.2026 in Russian)."""
        return isolate(month_shown(value)) if value else ""

    app.add_template_filter(format_number, "number")

    @app.template_filter("compact_number")
    def compact_number(value) -> str:
        """A large amount in a headline: 1.07 M, 355 k, 950."""
        if value is None:
            return ""
        number = float(value)
        for threshold, size, unit in ((1e9, 1e9, _("%(n)s bn")), (1e6, 1e6, _("%(n)s M")), (1e4, 1e3, _("%(n)s k"))):
            if abs(number) >= threshold:
                scaled = number / size
                digits = 2 if abs(scaled) < 10 else (1 if abs(scaled) < 100 else 0)
                return unit % {"n": format_number(scaled, digits)}
        return format_number(number, 0)

    @app.template_filter("plain_number")
    def plain_number(value) -> str:
        """A number as it can be typed back into a form: no grouping, no trailing zeros (1200, 2.5)."""
        if value is None or value == "":
            return ""
        text = format(value.normalize() if hasattr(value, "normalize") else value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text

    @app.template_filter("datetime")
    def format_datetime(value) -> str:
        """A moment in UTC (2026-12-07 14:05 UTC in English), its date as the reader writes it."""
        return isolate(moment_shown(value, " UTC")) if value else ""


def _require_login_everywhere(app: Flask) -> None:
    """Every page needs a login: the default is closed, the few public endpoints are listed."""

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None or request.blueprint == "api":
            return None  # the API authenticates its requests by token (crmproject.api.auth)
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.after_request
    def security_headers(response):
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            # Pages and downloads hold the organisation's data (and report drafts): no browser or proxy keeps them.
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-eval'; object-src 'none'; frame-ancestors 'none'",
        )
        return response


@functools.cache
def _plotly_js() -> tuple[bytes, str, float]:
    path = paths.plotly_js_path()
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32], path.stat().st_mtime


def _register_vendor_routes(app: Flask) -> None:
    @app.get("/vendor/plotly.min.js")
    def vendor_plotly():
        """plotly.js from the wheel or the plotly package: never a CDN. Served from memory (read once a
        process): a browser that leaves the page halfway through its 4 MB leaves no open file behind."""
        data, etag, modified = _plotly_js()
        return send_file(io.BytesIO(data), mimetype="text/javascript", max_age=86400, etag=etag,
                         last_modified=modified, conditional=True)

    @app.get("/favicon.ico")
    def favicon():
        return send_file(paths.static_dir() / "favicon.svg", mimetype="image/svg+xml", max_age=86400)

    @app.get("/healthz")
    def health():
        return {"status": "ok"}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Per SQLite connection: enforce foreign keys (only done when asked); write-ahead log, so readers never
    wait for a writer; synchronous=NORMAL, SQLite's advice for WAL: a commit no longer waits for the disk
    (a power cut may lose the last commits, never corrupts), a second saved on a million-row usage import;
    recursive triggers, so a row REPLACE removes also fires the delete triggers that keep adoption_weeks."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.close()



