"""Personal answer links: a token signed with the app's secret key (itsdangerous), carrying the invitation's id.

The database keeps only the token's SHA-256 hash, the moment it was signed, its expiry and whether it was
used. A link is checked three ways: its signature (a forged or altered token fails), its hash against the
invitation's (a link replaced by a newer one fails), and the invitation's expiry and answer (checked by the
services). The signing moment is kept so the list of links can draw a link again; without the secret key
the table gives nobody a working link.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

SALT = "crmproject.pulse.answer"
# The signature's own limit, a second line behind the invitation's expiry: no survey runs this long.
MAX_AGE_SECONDS = 400 * 24 * 3600
MAX_TOKEN_LENGTH = 300


class _IssuedSigner(TimestampSigner):
    """Signs with a given moment instead of now, so a link is drawn the same each time it is listed."""

    def __init__(self, *args, issued: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued = issued

    def get_timestamp(self) -> int:
        return self.issued if self.issued is not None else super().get_timestamp()


def _serializer(issued: int | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_IssuedSigner,
                                  signer_kwargs={"issued": issued})


def now_issued() -> int:
    return int(time.time())


def make_token(invitation_id: int, issued: int) -> str:
    """The link's token for an invitation signed at `issued` (seconds since the epoch)."""
    return _serializer(issued).dumps({"i": invitation_id})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


class BadToken(Exception):
    """A link that is not one of ours (forged, altered, cut short) or too old for any survey."""


def read_token(token: object) -> int:
    """The invitation id a token carries; BadToken when it was not signed by this app for an answer."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadToken
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as exc:
        raise BadToken from exc
    except BadData as exc:
        raise BadToken from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int) or isinstance(payload.get("i"), bool):
        raise BadToken
    return payload["i"]
