"""Sessions end for real: every cookie issued before a logout, a "log out everywhere", a password change or a
deactivation is refused afterwards, and no cookie carries anything of the password."""

from flask.sessions import SecureCookieSessionInterface

from crmproject.auth import services
from crmproject.auth.models import Role
from crmproject.extensions import db

PASSWORD = "correct-horse-1"


def _log_in(app, user, *, remember: bool = False):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    assert client.get("/plans/").status_code == 200
    return client


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _client_with(app, cookies: dict[str, str]):
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_copied_session_and_remember_me_cookies_are_refused_after_logout(app, make_user):
    user = make_user(Role.EXECUTIVE)
    client = _log_in(app, user, remember=True)
    stolen = _cookies(client)
    assert {"session", "remember_token"} <= set(stolen)
    remember_only = {"remember_token": stolen["remember_token"]}
    assert _client_with(app, remember_only).get("/plans/").status_code == 200  # before: "keep me logged in" works

    assert client.post("/logout").status_code == 302

    assert _client_with(app, stolen).get("/plans/").status_code == 302
    assert _client_with(app, {"session": stolen["session"]}).get("/plans/").status_code == 302
    assert _client_with(app, remember_only).get("/plans/").status_code == 302
    assert _log_in(app, user).get("/plans/").status_code == 200  # logging in again works


def test_the_session_cookie_holds_a_random_token_not_the_id_or_the_password_hash(app, make_user):
    user = make_user(Role.EXECUTIVE)
    cookie = _cookies(_log_in(app, user))["session"]
    session = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    db.session.refresh(user)
    assert session["_user_id"] == user.session_token
    assert len(user.session_token) >= 40
    assert user.password_hash[-16:] not in cookie and user.password_hash[-16:] not in session["_user_id"]
    assert session["_user_id"] != str(user.id)


def test_log_out_everywhere_else_keeps_this_session(app, make_user):
    user = make_user(Role.EXECUTIVE)
    here, phone = _log_in(app, user), _log_in(app, user, remember=True)
    assert here.post("/account/sessions/end").status_code == 302
    assert here.get("/plans/").status_code == 200
    assert phone.get("/plans/").status_code == 302
    assert "Log out everywhere else" in here.get("/account/password").get_data(as_text=True)


def test_an_administrator_ends_every_session_of_a_user(app, make_user, login, client):
    user = make_user(Role.EXECUTIVE)
    theirs = _log_in(app, user, remember=True)
    login(make_user(Role.ADMIN))
    assert client.post(f"/admin/users/{user.id}/sessions/end").status_code == 302
    assert theirs.get("/plans/").status_code == 302
    assert client.get("/admin/users").status_code == 200  # the administrator is still logged in


def test_deactivation_and_a_new_password_end_the_sessions(app, make_user, login, client):
    user = make_user(Role.EXECUTIVE)
    admin = make_user(Role.ADMIN)
    theirs = _log_in(app, user, remember=True)
    login(admin)
    db.session.refresh(user)  # the form as opened now (the login moved the user's version)
    assert client.post(f"/admin/users/{user.id}", data={"name": user.name, "role": "executive", "department_id": "",
                                                        "version": str(user.version)}).status_code == 302
    db.session.expire_all()
    assert theirs.get("/plans/").status_code == 302
    # reactivated: the old cookies stay void
    services.update_user(user, acting_user=admin, name=user.name, role=user.role, department=None, active=True)
    db.session.commit()
    assert theirs.get("/plans/").status_code == 302

    theirs = _log_in(app, user, remember=True)
    assert client.post(f"/admin/users/{user.id}/password", data={
        "pw-password": "violet-harbour-77", "pw-confirm": "violet-harbour-77"}).status_code == 302
    assert theirs.get("/plans/").status_code == 302


def test_a_users_own_login_and_logout_do_not_make_an_administrators_open_form_stale(app, make_user, login, client):
    user = make_user(Role.EXECUTIVE)
    login(make_user(Role.ADMIN))
    opened = str(user.version)  # the administrator opens the user's form
    theirs = _log_in(app, user, remember=True)  # meanwhile the user logs in and out
    theirs.post("/logout")
    response = client.post(f"/admin/users/{user.id}", data={"name": user.name, "role": "project_manager",
                                                           "department_id": "", "active": "y", "version": opened})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert user.role == Role.PROJECT_MANAGER


def test_changing_the_password_keeps_this_browsers_keep_me_logged_in(app, make_user):
    user = make_user(Role.EXECUTIVE)
    client = _log_in(app, user, remember=True)
    assert client.post("/account/password", data={"current_password": PASSWORD, "password": "granite-orchard-51",
                                                  "confirm": "granite-orchard-51"}).status_code == 302
    remember_only = {"remember_token": _cookies(client)["remember_token"]}  # the browser restarted: no session
    assert _client_with(app, remember_only).get("/plans/").status_code == 200
