"""The token pages: a user makes a token (shown once), lists and revokes their own; an administrator any."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from crmproject.api.models import ApiToken, TokenScope
from crmproject.api.services import create_token
from crmproject.auth.models import Role
from crmproject.extensions import db


def _secret(html: str) -> str | None:
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    return found.group(1) if found else None


def _session(app, response) -> str:
    """Every cookie the response sets, the session's decoded (it is signed, not encrypted: anyone can read it)."""
    cookies = response.headers.getlist("Set-Cookie")
    serializer = app.session_interface.get_signing_serializer(app)
    decoded = [json.dumps(serializer.loads(c.split("=", 1)[1].split(";", 1)[0]))
               for c in cookies if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=") and "=;" not in c]
    return "\n".join(cookies + decoded)


def test_a_token_is_shown_once_and_opens_the_api(app, client, login, make_user, make_plan):
    make_plan()
    login(make_user(Role.EXECUTIVE))
    response = client.post("/account/tokens", data={"name": "Reporting script", "scopes": ["read"], "days": "30"})
    # shown in the answer to the POST itself, never kept by a cache, never carried in the (readable) session cookie
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = _secret(page)
    assert secret and secret.startswith("crmp_") and "Reporting script" in page
    assert secret not in _session(app, response)
    again = client.get("/account/tokens")
    assert _secret(again.get_data(as_text=True)) is None and secret not in again.get_data(as_text=True)  # shown once
    assert secret not in _session(app, again)
    token = db.session.scalar(select(ApiToken))
    assert token.scopes == "read" and secret not in (token.token_hash, token.prefix)
    assert token.prefix in again.get_data(as_text=True)
    api = client.application.test_client()  # no session: the token alone
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_a_token_needs_a_scope_and_a_sensible_expiry(app, client, login, make_user):
    login(make_user())
    for data in ({"scopes": [], "days": "30"}, {"scopes": ["read"], "days": "0"}, {"scopes": ["read"], "days": "400"},
                 {"scopes": ["everything"], "days": "30"}):
        response = client.post("/account/tokens", data=data)
        assert response.status_code == 200 and "has-error" in response.get_data(as_text=True), data
        if data["days"] == "0":  # typed, and out of range: not "required"
            page = response.get_data(as_text=True)
            assert "between 1 and 366" in page and "This field is required." not in page
    assert db.session.scalar(select(ApiToken)) is None


def test_owner_and_administrator_revoke(app, client, login, make_user):
    owner, other, admin = make_user(Role.EXECUTIVE), make_user(Role.PROJECT_MANAGER), make_user(Role.ADMIN)
    first = create_token(owner, scopes=[TokenScope.READ])
    second = create_token(owner, scopes=[TokenScope.READ])
    db.session.commit()
    first_id, second_id = first.token.id, second.token.id
    # someone else cannot revoke it from their own page
    login(other)
    assert client.post(f"/account/tokens/{first_id}/revoke").status_code == 404
    client.post("/logout")
    login(owner)
    assert client.post(f"/account/tokens/{first_id}/revoke").status_code == 302
    client.post("/logout")
    login(admin)
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert owner.email in listing and f'action="/admin/tokens/{second_id}/revoke"' in listing
    assert f'action="/admin/tokens/{first_id}/revoke"' not in listing  # already revoked
    assert client.post(f"/admin/tokens/{second_id}/revoke").status_code == 302
    tokens = {t.id: t for t in db.session.scalars(select(ApiToken))}
    db.session.expire_all()
    assert tokens[first_id].revoked_by_id == owner.id and tokens[second_id].revoked_by_id == admin.id
    api = client.application.test_client()
    for issued in (first, second):
        assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {issued.secret}"}).status_code == 401
