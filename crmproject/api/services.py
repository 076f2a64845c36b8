"""Personal API tokens: made (the secret shown once), checked on every API request, revoked."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from crmproject.api.models import ApiToken, TokenScope
from crmproject.auth.models import User
from crmproject.db import utcnow
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _

TOKEN_MARK = "crmp_"  # what every token starts with, so a secret scanner (or a person) recognises one
PREFIX_LENGTH = 12  # the mark and 7 characters of the secret: shown in lists, enough to tell tokens apart
MAX_DAYS = 366
DEFAULT_DAYS = 90
MAX_TOKEN_LENGTH = 200  # what is looked up at all (a token is 48 characters)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token: shown once, never stored


def create_token(user: User, *, scopes: Iterable[TokenScope], days: int = DEFAULT_DAYS, name: str = "",
                 now: datetime | None = None) -> IssuedToken:
    """A new token of `user` with `scopes`, valid for `days`: its secret is 32 random bytes, only its hash kept."""
    scope_set = sorted({TokenScope(s) for s in scopes}, key=lambda s: list(TokenScope).index(s))
    if not scope_set:
        raise ValidationFailed(_("Choose at least one scope."), field="scopes")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(_("A token is valid for 1 to %(max)s days.", max=MAX_DAYS), field="days")
    if not user.active:
        raise ValidationFailed(_("%(user)s is deactivated: a token cannot be made for them.", user=user.email),
                               field="user")
    secret = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:100], prefix=secret[:PREFIX_LENGTH], token_hash=token_hash(secret),
                     scopes=" ".join(s.value for s in scope_set),
                     expires_at=(now or utcnow()) + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return IssuedToken(token, secret)


def authenticate(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token whose secret this is (not revoked, not expired, its user active), else None."""
    if not secret.startswith(TOKEN_MARK) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    now = now or utcnow()
    if token is None or not token.is_live(now) or not token.user.active:
        return None
    return token


def touch(token: ApiToken, *, now: datetime | None = None) -> None:
    """Record the token's use, at most once a minute (so reads do not write on every request)."""
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now


def revoke(token: ApiToken, *, by: User | None, now: datetime | None = None) -> bool:
    """Revoke the token; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    token.revoked_by_id = by.id if by is not None else None
    db.session.flush()
    return True


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def find_by_prefix(prefix: str) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix.strip()[:PREFIX_LENGTH])))
