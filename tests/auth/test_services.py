import pytest

from crmproject.auth import services
from crmproject.auth.models import Role
from crmproject.errors import ValidationFailed
from crmproject.extensions import db


def test_passwords_are_hashed_and_emails_normalised(app):
    user = services.create_user(email="  Ann@Example.COM ", name="Ann", password="amber-lantern-42", role=Role.EXECUTIVE)
    assert user.email == "ann@example.com"
    assert "amber-lantern-42" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")  # the tests' cheaper method; production uses scrypt
    assert services.authenticate("ANN@example.com", "amber-lantern-42") is user
    assert services.authenticate("ann@example.com", "wrong-password") is None
    assert services.authenticate("nobody@example.com", "amber-lantern-42") is None


def test_production_hashing_is_scrypt(app):
    app.config["PASSWORD_HASH_METHOD"] = None
    try:
        user = services.create_user(email="b@example.com", name="B", password="amber-lantern-42", role=Role.EXECUTIVE)
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert user.password_hash.startswith("scrypt:")


def test_duplicate_email_weak_password_and_headless_department_head(app, make_department):
    services.create_user(email="a@example.com", name="A", password="amber-lantern-42", role=Role.EXECUTIVE)
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(email="A@EXAMPLE.com", name="A2", password="amber-lantern-42", role=Role.EXECUTIVE)
    assert "already exists" in exc.value.errors["email"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(email="c@example.com", name="C", password="short", role=Role.EXECUTIVE)
    assert "at least 12" in exc.value.errors["password"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(email="d@example.com", name="D", password="amber-lantern-42", role=Role.DEPARTMENT_HEAD)
    assert "bound to a department" in exc.value.errors["department_id"][0]


def test_deactivated_users_cannot_log_in(app, make_user):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.EXECUTIVE)
    services.update_user(user, acting_user=admin, name=user.name, role=user.role, department=None, active=False)
    assert services.authenticate(user.email, "correct-horse-1") is None


def test_the_last_admin_cannot_be_demoted_and_nobody_demotes_themselves(app, make_user):
    admin = make_user(Role.ADMIN)
    pm = make_user(Role.PROJECT_MANAGER)
    with pytest.raises(ValidationFailed, match="last active administrator"):
        services.update_user(admin, acting_user=pm, name=admin.name, role=Role.EXECUTIVE, department=None, active=True)
    second = make_user(Role.ADMIN)
    with pytest.raises(ValidationFailed, match="your own role"):
        services.update_user(admin, acting_user=admin, name=admin.name, role=Role.EXECUTIVE, department=None, active=True)
    services.update_user(admin, acting_user=second, name=admin.name, role=Role.EXECUTIVE, department=None, active=True)
    db.session.flush()
    assert admin.role == Role.EXECUTIVE
