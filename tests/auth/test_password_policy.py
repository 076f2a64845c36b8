"""Passwords follow OWASP ASVS 2.1: long enough, not common or guessable, not the user's name or e-mail."""

import pytest
from sqlalchemy import select

from crmproject.auth import services
from crmproject.auth.models import Role, User
from crmproject.errors import ValidationFailed
from crmproject.extensions import db


@pytest.mark.parametrize(("password", "why"), [
    ("password1234", "one of the most common passwords"),
    ("12345678", "at least 12 characters"),
    ("password", "at least 12 characters"),
    ("aaaaaaaaaaaa", "repeated characters"),
    ("zxcvbnm,./123", "keyboard patterns"),
    ("abcdefghijklmnop", "sequences"),
    ("x" * 129, "at most 128 characters"),
    ("ann.lindqvist-2026", "your name or e-mail address"),
    ("Lindqvist-rules!", "your name or e-mail address"),
])
def test_weak_passwords_are_refused_and_the_reason_is_given(app, password, why):
    with pytest.raises(ValidationFailed) as refused:
        services.create_user(email="ann.lindqvist@example.com", name="Ann Lindqvist", password=password,
                             role=Role.EXECUTIVE)
    assert why in refused.value.errors["password"][0]
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("password", ["correct-horse-battery", "amber-lantern-42", "Grüne Äpfel im Herbst", "ключ-🙂-密码-رمز-2026",
                                      "planning annual budget review",  # "ann" inside other words is no name
                                      "the north wind blows over a quiet harbour while seven gulls argue about "
                                      "bread crumbs near the old lighthouse at dawn today!!",  # 124 characters
                                      "y" * 3 + "-long-passphrase-of-sixty-four-characters-is-fine-to-use-" + "z" * 4])
def test_long_unguessable_passwords_of_any_characters_are_accepted(app, password):
    user = services.create_user(email="ann@example.com", name="Ann Lindqvist", password=password, role=Role.EXECUTIVE)
    assert len(password) <= services.MAX_PASSWORD_LENGTH
    db.session.commit()
    assert services.authenticate("ann@example.com", password) is user


def test_the_admin_form_says_why_a_password_is_refused(client, make_user, login):
    login(make_user(Role.ADMIN))
    response = client.post("/admin/users/new", data={
        "name": "Hanna Head", "email": "hanna@example.com", "role": "executive", "department_id": "",
        "password": "password1234",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This password is too easy to guess: it is one of the most common passwords" in html
    assert db.session.scalar(select(User).where(User.email == "hanna@example.com")) is None


def test_a_user_cannot_change_to_a_weak_password(client, make_user, login):
    user = make_user(Role.EXECUTIVE)
    login(user)
    response = client.post("/account/password", data={
        "current_password": "correct-horse-1", "password": "password1234", "confirm": "password1234",
    })
    assert response.status_code == 200
    assert "too easy to guess" in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.authenticate(user.email, "correct-horse-1") is user


def test_the_cli_refuses_a_weak_password(runner):
    result = runner("users", "create", "--email", "h@example.com", "--name", "H", "--role", "executive",
                    "--password", "password1234")
    assert result.exit_code != 0
    assert "too easy to guess" in result.output


def test_a_password_of_up_to_128_characters_is_judged_not_refused_with_an_error(client, make_user, login):
    user = make_user(Role.EXECUTIVE)
    login(user)
    long_one = ("the north wind blows over a quiet harbour while seven gulls argue about bread crumbs near the "
                "old lighthouse at dawn, 128 chars!")[:128]
    assert len(long_one) == 128
    response = client.post("/account/password", data={"current_password": "correct-horse-1", "password": long_one,
                                                      "confirm": long_one})
    assert response.status_code == 302
    client.post("/logout")
    assert login(user, password=long_one).get("/plans/").status_code == 200
