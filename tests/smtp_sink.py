"""A real SMTP server on loopback that keeps every message it accepts (aiosmtpd), for the e-mail tests.

Nothing about e-mail is tested against a fake: the application talks SMTP to this server exactly as to a
real one. ``SmtpSink.config()`` gives the app settings, ``SmtpSink.env()`` the same for a worker process.
"""

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.sink.arrived:
            self.sink.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
            self.sink.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start with ``start()``, stop with ``stop()``; ``refuse(address)`` answers 550 for that recipient."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.messages: list[Received] = []
        self.refused: set[str] = set()
        self.arrived = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    def config(self) -> dict:
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "MAIL_TIMEOUT_SECONDS": 5}

    def env(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.config().items()}

    def to(self, address: str) -> list[Received]:
        with self.arrived:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages once at least ``count`` have arrived; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the SMTP sink received {len(self.messages)} message(s), expected {count}"
                    )
                self.arrived.wait(left)
            return list(self.messages)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()
