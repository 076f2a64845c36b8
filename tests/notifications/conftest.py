"""A real SMTP server on the loopback interface (aiosmtpd), and the app configured to send through it."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from crmproject.notifications import mail


@dataclass
class Received:
    """What the server received: the envelope's recipients and the parsed message."""

    messages: list = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for recipients, message in self.messages if address in recipients]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """The app sends through a real SMTP server started here; yields what it receives."""
    received = Received()
    controller = Controller(received, hostname="127.0.0.1", port=_free_port())
    controller.start()
    received.port = controller.port
    saved = {k: app.config.get(k) for k in ("SMTP_URL", "BASE_URL", "MAIL_BACKEND")}
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{controller.port}", BASE_URL="https://crm.example.com",
                      MAIL_FROM="Northwind CRM <crm@example.com>")
    mail.init_app(app)
    try:
        yield received
    finally:
        controller.stop()
        app.config.update(SMTP_URL=saved["SMTP_URL"] or "", BASE_URL=saved["BASE_URL"] or "")
        app.config.pop("MAIL_BACKEND", None)
        mail.init_app(app)
