"""E-mail through the SMTP server of the configuration (Flask-Mailman's SMTP backend).

Flask-Mailman is Django's mail module ported to Flask: a long-proven API for multipart messages with extra headers
(List-Unsubscribe), STARTTLS or TLS, one connection for many messages and header-injection checks; it is
maintained, unlike Flask-Mail, which had no release for years (Flask-Mail 0.10 came only in 2024).

CRMPROJECT_SMTP_URL names the server: smtp://user:password@host:587?starttls=1, smtps://host:465 (TLS from the
start), smtp://localhost:25 (no login). The user name and password are URL-encoded (%40 for an @). Without it,
no e-mail is sent and notifications stay in the application. CRMPROJECT_MAIL_FROM is the sender
("crmproject <crm@example.com>"); CRMPROJECT_BASE_URL the address the e-mails' links start with
(https://crm.example.com).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app, has_request_context, render_template, request, url_for
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives, Mail

from crmproject.audit.services import type_label
from crmproject.dates import force_calendar
from crmproject.errors import ConfigError
from crmproject.i18n import LANGUAGES, is_rtl
from crmproject.notifications import tokens
from crmproject.notifications.kinds import Kind, message, subject

DEFAULT_BASE_URL = "http://localhost:5000"
mail = Mail()


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    use_ssl: bool
    use_tls: bool  # STARTTLS


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://[user[:password]@]host[:port][?starttls=1] or smtps://...; ConfigError naming what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("CRMPROJECT_SMTP_URL must look like smtp://user:password@host:587?starttls=1 or "
                          f"smtps://host:465, not {url!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"CRMPROJECT_SMTP_URL has a port that is not a number: {url!r}") from exc
    ssl = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
    if ssl and starttls:
        raise ConfigError("CRMPROJECT_SMTP_URL: smtps:// is TLS from the start; starttls=1 is for smtp://")
    return SmtpServer(host=parts.hostname, port=port or (465 if ssl else 25),
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None,
                      use_ssl=ssl, use_tls=starttls)


def init_app(app: Flask) -> None:
    url = app.config.get("SMTP_URL") or ""
    if url:
        server = parse_smtp_url(url)  # a wrong address stops the app at its start, not at the first e-mail
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER=server.host, MAIL_PORT=server.port,
                          MAIL_USERNAME=server.username, MAIL_PASSWORD=server.password, MAIL_USE_SSL=server.use_ssl,
                          MAIL_USE_TLS=server.use_tls, MAIL_TIMEOUT=int(app.config.get("SMTP_TIMEOUT_SECONDS") or 30),
                          MAIL_DEFAULT_SENDER=app.config.get("MAIL_FROM"))
    mail.init_app(app)


def smtp_configured() -> bool:
    return bool(current_app.config.get("SMTP_URL"))


def base_url() -> str:
    """Where the e-mails' links point: CRMPROJECT_BASE_URL, else the request's own address, else localhost."""
    configured = (current_app.config.get("BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE_URL


@contextmanager
def link_context() -> Iterator[None]:
    """A request context at the base address, so url_for(..., _external=True) gives the e-mails' absolute links
    (and relative ones the app's) from the command line and jobs as from a page."""
    with current_app.test_request_context("/", base_url=base_url()):
        yield


def absolute(link: str) -> str:
    """An address inside the app (as url_for gives it under link_context) made absolute."""
    if link.startswith(("http://", "https://")):
        return link
    root = request.host_url.rstrip("/") if has_request_context() else base_url()
    return root + link


@dataclass
class Item:
    """One notification as an e-mail shows it."""

    text: str
    link: str
    params: dict


def build_email(user, kind: Kind, notifications: Sequence) -> EmailMultiAlternatives:
    """One e-mail to `user` telling these notifications of one kind, in the user's language and calendar: text and
    HTML, absolute links, and the headers that let a mail program stop this kind in one click (RFC 8058)."""
    language = user.language if user.language in LANGUAGES else current_app.config.get("LOCALE", "en")
    stop = url_for("notifications.unsubscribe", token=tokens.make_token(user.id, kind), _external=True)
    with force_locale(language), force_calendar(user.calendar):
        items = [Item(message(kind, n.params), absolute(n.link), n.params) for n in notifications]
        context = {"user": user, "kind": kind, "items": items, "stop": stop, "settings": url_for(
            "notifications.preferences", _external=True), "rtl": is_rtl(), "lang": language.replace("_", "-"),
            "shape_label": _shape_label, "outcome_label": _outcome_label, "type_label": type_label}
        title = " ".join(subject(kind, [i.text for i in items]).split())  # a name typed with a line break: one line
        text = render_template("notifications/email/message.txt", **context)
        html = render_template("notifications/email/message.html", subject=title, **context)
    email = EmailMultiAlternatives(
        subject=title, body=text, from_email=current_app.config.get("MAIL_FROM"), to=[user.email],
        headers={"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated", "Content-Language": language.replace("_", "-")},
        connection=None)
    email.attach_alternative(html, "text/html")
    return email


def _shape_label(value: str) -> str:
    from crmproject.adoption.shapes import Shape

    return str(Shape(value).label)


def _outcome_label(value: str) -> str:
    from crmproject.gates.models import GateOutcome

    return str(GateOutcome(value).label)


def open_connection():
    """One SMTP connection for a run's e-mails (opened at the first, closed by the caller)."""
    return mail.get_connection(backend="smtp")
