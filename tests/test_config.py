import pytest

from crmproject import create_app
from crmproject.errors import ConfigError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("CRMPROJECT_SECRET_KEY", "CRMPROJECT_DATABASE_URL", "CRMPROJECT_MAX_UPLOAD_MB"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_refuses_to_start_without_a_secret_key_outside_debug_and_demo(clean_env):
    with pytest.raises(ConfigError, match="CRMPROJECT_SECRET_KEY is not set"):
        create_app()


def test_demo_mode_makes_and_keeps_a_key_in_the_instance_folder(clean_env):
    first = create_app({"DEMO": True})
    second = create_app({"DEMO": True})
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_configuration_from_the_environment(clean_env):
    clean_env.setenv("CRMPROJECT_SECRET_KEY", "from-env")
    clean_env.setenv("CRMPROJECT_DATABASE_URL", "postgresql://crm:pw@db.internal/crm")
    clean_env.setenv("CRMPROJECT_MAX_UPLOAD_MB", "5")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    # psycopg 3 is the driver for PostgreSQL
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://crm:pw@db.internal/crm"
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024


def test_default_database_is_sqlite_in_the_instance_folder(clean_env):
    clean_env.setenv("CRMPROJECT_SECRET_KEY", "x")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/crmproject.db"


def test_bad_upload_limit_is_a_clear_error(clean_env):
    clean_env.setenv("CRMPROJECT_SECRET_KEY", "x")
    clean_env.setenv("CRMPROJECT_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ConfigError, match="MAX_UPLOAD_MB must be a whole number"):
        create_app()


def test_login_throttle_and_rate_limit_settings_from_the_environment(clean_env):
    clean_env.setenv("CRMPROJECT_SECRET_KEY", "x")
    clean_env.setenv("CRMPROJECT_LOGIN_LOCK_FAILURES", "12")
    clean_env.setenv("CRMPROJECT_RATELIMIT_STORAGE_URI", "memory://")
    app = create_app()
    assert app.config["LOGIN_LOCK_FAILURES"] == 12
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    clean_env.setenv("CRMPROJECT_TRUSTED_PROXIES", "one")
    with pytest.raises(ConfigError, match="CRMPROJECT_TRUSTED_PROXIES must be a whole number"):
        create_app()
