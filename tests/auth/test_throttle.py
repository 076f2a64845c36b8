"""Repeated failed logins slow down, then lock, an account; per client address too; an administrator unlocks."""

from datetime import timedelta

from sqlalchemy import select, update

from crmproject.auth.models import LoginThrottle, Role
from crmproject.auth.throttle import account_key
from crmproject.extensions import db

PASSWORD = "correct-horse-1"


def _try(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def _age_failures(email: str, by: timedelta) -> None:
    row = db.session.get(LoginThrottle, account_key(email), populate_existing=True)
    db.session.execute(update(LoginThrottle).where(LoginThrottle.account_key == account_key(email))
                       .values(last_failure_at=row.last_failure_at - by))
    db.session.commit()


def test_after_five_failures_the_account_must_wait_and_the_right_password_is_not_even_checked(client, make_user):
    user = make_user(Role.EXECUTIVE)
    for _ in range(5):
        response = _try(client, user.email, "wrong-guess")
        assert response.status_code == 200 and "The e-mail or password is wrong" in response.get_data(as_text=True)
    refused = _try(client, user.email, PASSWORD)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Too many failed logins for this account. Try again in 30 seconds" in html
    assert refused.headers["Retry-After"] == "30"
    assert client.get("/plans/").status_code == 302  # not logged in

    _age_failures(user.email, timedelta(seconds=31))
    assert _try(client, user.email, PASSWORD).status_code == 302
    assert db.session.get(LoginThrottle, account_key(user.email), populate_existing=True) is None  # a success forgets


def test_the_wait_doubles_with_each_further_failure(client, make_user):
    user = make_user(Role.EXECUTIVE)
    waits = []
    for _ in range(9):
        response = _try(client, user.email, "wrong-guess")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            _age_failures(user.email, timedelta(hours=1) if not waits else timedelta(seconds=waits[-1]))
            response = _try(client, user.email, "wrong-guess")
        assert response.status_code == 200
    assert waits == [30, 60, 120, 240]


def test_twenty_failures_lock_the_account_until_an_administrator_unlocks_it(client, app, make_user, login):
    user = make_user(Role.EXECUTIVE)
    admin = make_user(Role.ADMIN)
    for _ in range(20):
        assert _try(client, user.email, "wrong-guess").status_code in (200, 429)
        _age_failures(user.email, timedelta(minutes=16))  # as if the attacker waited out each delay
    refused = _try(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert "This account is locked after 20 failed logins. An administrator can unlock it" in refused.get_data(as_text=True)

    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert "Locked" in admin_client.get("/admin/users").get_data(as_text=True)
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Locked after 20 failed logins" in page
    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert _try(client, user.email, PASSWORD).status_code == 302


def test_an_unknown_address_is_throttled_like_a_real_account(client):
    for _ in range(5):
        assert _try(client, "nobody@example.com", "wrong-guess").status_code == 200
    assert _try(client, "nobody@example.com", "wrong-guess").status_code == 429
    # the row holds a keyed hash of the address, never the address (nor a password typed into its box)
    assert db.session.scalar(select(LoginThrottle.failures).where(LoginThrottle.account_key == account_key("nobody@example.com"))) == 5
    assert "nobody" not in " ".join(db.session.scalars(select(LoginThrottle.account_key)))


def test_failed_logins_from_one_address_are_limited_across_accounts(client, app, make_user):
    user = make_user(Role.EXECUTIVE)
    app.config["LOGIN_ADDRESS_LIMITS"] = "4 per 10 minutes"
    try:
        for n in range(4):
            assert _try(client, f"user{n}@example.com", "wrong-guess").status_code == 200
        refused = _try(client, user.email, PASSWORD)
        assert refused.status_code == 429
        assert "Too many failed logins from your network address. Try again in 10 minutes" in refused.get_data(as_text=True)
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
        assert client.get("/plans/").status_code == 302
    finally:
        app.config["LOGIN_ADDRESS_LIMITS"] = "30 per 10 minutes;300 per day"


def test_successful_logins_do_not_count_against_the_address(client, app, make_user):
    user = make_user(Role.EXECUTIVE)
    app.config["LOGIN_ADDRESS_LIMITS"] = "2 per 10 minutes"
    try:
        for _ in range(4):
            assert _try(client, user.email, PASSWORD).status_code == 302
            client.post("/logout")
    finally:
        app.config["LOGIN_ADDRESS_LIMITS"] = "30 per 10 minutes;300 per day"


def test_behind_a_trusted_proxy_each_client_address_is_counted_on_its_own(app):
    from crmproject import create_app

    proxied = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI",
                                                          "WTF_CSRF_ENABLED", "PASSWORD_HASH_METHOD")},
                          "TRUSTED_PROXIES": 1, "LOGIN_ADDRESS_LIMITS": "2 per 10 minutes"})
    client = proxied.test_client()

    def attempt(address: str, n: int) -> int:
        return client.post("/login", data={"email": f"user{n}@example.com", "password": "wrong-guess"},
                           headers={"X-Forwarded-For": address}).status_code

    try:
        assert [attempt("198.51.100.7", n) for n in range(3)] == [200, 200, 429]
        assert attempt("203.0.113.9", 9) == 200  # another client behind the same proxy is not blocked
        # one IPv6 subscriber (a /64) counts as one address, however many of its addresses it uses
        assert [attempt(f"2001:db8:1:2::{n + 1:x}", 20 + n) for n in range(3)] == [200, 200, 429]
        assert attempt("2001:db8:1:3::1", 30) == 200
    finally:
        with proxied.app_context():
            db.engine.dispose()  # this second app's connections are closed, not left to the garbage collector


def test_attempts_at_the_same_moment_get_no_more_password_checks_than_the_policy_allows(app, make_user):
    from concurrent.futures import ThreadPoolExecutor

    email = make_user(Role.EXECUTIVE).email

    def attempt(_n: int) -> int:
        return app.test_client().post("/login", data={"email": email, "password": "wrong-guess"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = sorted(pool.map(attempt, range(12)))
    assert answers == [200] * 5 + [429] * 7  # five checked and said wrong, the rest refused unchecked
    assert db.session.scalar(select(LoginThrottle.failures)) == 5


def test_wrong_current_passwords_on_the_password_page_count_as_failed_logins(client, make_user, login):
    user = make_user(Role.EXECUTIVE)
    login(user)
    for _ in range(5):
        wrong = client.post("/account/password", data={"current_password": "guess-guess", "password": "granite-orchard-51",
                                                       "confirm": "granite-orchard-51"})
        assert wrong.status_code == 200 and "The current password is wrong." in wrong.get_data(as_text=True)
    refused = client.post("/account/password", data={"current_password": PASSWORD, "password": "granite-orchard-51",
                                                      "confirm": "granite-orchard-51"})
    assert refused.status_code == 429
    assert "Too many failed logins for this account" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) <= 30
    # a refused new password is no guess of the current one
    weak = client.post("/account/password", data={"current_password": "guess-guess", "password": "password1234",
                                                   "confirm": "password1234"})
    assert weak.status_code == 200 and "too easy to guess" in weak.get_data(as_text=True)
    assert db.session.scalar(select(LoginThrottle.failures)) == 5


def test_the_password_page_is_limited_per_address_too_with_a_page_that_says_to_wait(client, app, make_user, login):
    login(make_user(Role.EXECUTIVE))
    app.config["LOGIN_ADDRESS_LIMITS"] = "2 per 10 minutes"
    try:
        data = {"current_password": "guess-guess", "password": "granite-orchard-51", "confirm": "granite-orchard-51"}
        assert [client.post("/account/password", data=data).status_code for _ in range(2)] == [200, 200]
        refused = client.post("/account/password", data=data)
        assert refused.status_code == 429
        assert "Too many attempts from your network address" in refused.get_data(as_text=True)
        assert 590 <= int(refused.headers["Retry-After"]) <= 600
    finally:
        app.config["LOGIN_ADDRESS_LIMITS"] = "30 per 10 minutes;300 per day"


def test_an_address_that_grows_when_lowercased_is_throttled_not_a_500(client):
    email = "İ" * 120 + "@example.com"  # 132 characters; lowercased, each İ becomes two (264 > 254)
    answers = [client.post("/login", data={"email": email, "password": "wrong-guess"}).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
