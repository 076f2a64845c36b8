"""Configuration: defaults, then CRMPROJECT_* environment variables, then test_config."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from crmproject.errors import ConfigError

ENV_PREFIX = "CRMPROJECT_"


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # uploads are bounded: 20 MB
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    LOCALE = "en"
    DEMO = False


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def load_config(app, test_config: dict[str, Any] | None) -> None:
    """Fill app.config; refuse to start without a secret key outside debug, demo and tests."""
    app.config.from_object(Defaults)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    database_url = _env("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'crmproject.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    if (secret := _env("SECRET_KEY")) is not None:
        app.config["SECRET_KEY"] = secret
    if (limit := _env("MAX_UPLOAD_MB")) is not None:
        try:
            app.config["MAX_CONTENT_LENGTH"] = int(limit) * 1024 * 1024
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}MAX_UPLOAD_MB must be a whole number of megabytes, not {limit!r}")
    if _env("SECURE_COOKIES") in ("1", "true", "yes"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    if test_config:
        app.config.update(test_config)
        if "SQLALCHEMY_DATABASE_URI" in test_config:
            app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(test_config["SQLALCHEMY_DATABASE_URI"])

    if not app.config.get("SECRET_KEY"):
        if app.debug or any(app.config.get(k) for k in ("DEMO", "TESTING", "ALLOW_INSTANCE_SECRET")):
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        else:
            raise ConfigError(
                f"{ENV_PREFIX}SECRET_KEY is not set. crmproject refuses to start without a secret key "
                "outside debug and demo mode, because sessions and CSRF tokens are signed with it. "
                f"Set it, for example: export {ENV_PREFIX}SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
            )


def normalise_database_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here (psycopg2 is not a dependency)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so debug/demo logins survive a restart."""
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
