"""The link in every e-mail that stops one kind of notification for its recipient: a token signed with the app's
secret key (itsdangerous), carrying the user's id and the kind. It does not expire: a stop link in an old e-mail
still stops. Whoever holds it may only turn that one kind off for that one user, which is what it is for."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from crmproject.notifications.kinds import Kind

SALT = "crmproject.notifications.unsubscribe"
MAX_TOKEN_LENGTH = 200


class BadToken(Exception):
    """A link that is not one of ours (forged, altered, cut short)."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user_id: int, kind: Kind) -> str:
    return _serializer().dumps({"u": user_id, "k": kind.value})


def read_token(token: object) -> tuple[int, Kind]:
    """The user id and kind a token carries; BadToken when this app did not sign it for stopping a kind."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadToken
    try:
        payload = _serializer().loads(token)
    except BadData as exc:
        raise BadToken from exc
    user_id = payload.get("u") if isinstance(payload, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise BadToken
    try:
        return user_id, Kind(payload.get("k"))
    except ValueError as exc:
        raise BadToken from exc
