"""Flask extensions, bound to the app in create_app: created here, but for `db` (Flask-SQLAlchemy), which
crmproject.db creates beside the models' base and this module hands on."""

from typing import cast

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from werkzeug.local import LocalProxy

from crmproject.db import db
from crmproject.ratelimit import client_address

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Per client address (an IPv6 /64); the address is the one the nearest trusted proxy saw (TRUSTED_PROXIES).
limiter = Limiter(key_func=client_address)


def current_flask_app() -> Flask:
    """The application behind `current_app`, for work that outlives the request (a thread, a server)."""
    return cast("LocalProxy[Flask]", current_app)._get_current_object()
