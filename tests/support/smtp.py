"""A real SMTP server on loopback that collects every message it receives.

Usage::

    from tests.support.smtp import SMTPCatcher, find_links

    with SMTPCatcher() as smtp:             # 127.0.0.1, free port
        app.config.update(MAIL_SERVER=smtp.host, MAIL_PORT=smtp.port)
        ...                                 # code under test sends mail
        [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
        confirm_url = find_links(mail)[0]

        smtp.stop()                         # "SMTP server down": connections refused
        smtp.start()                        # up again on the same port

Messages are parsed with ``email.policy.default`` into
:class:`email.message.EmailMessage`; envelope sender and recipients (which
include Bcc) are kept in :attr:`SMTPCatcher.envelopes`. No AUTH, no TLS.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.servers import free_port

__all__ = ["SMTPCatcher", "ReceivedMail", "find_links"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedMail:
    """One SMTP transaction: envelope plus parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class _CollectingHandler:
    def __init__(self, catcher: SMTPCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self._catcher._add(
            ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                message=message,
            )
        )
        return "250 Message accepted for delivery"


class SMTPCatcher:
    """SMTP server (aiosmtpd) collecting messages; restartable on the same port."""

    def __init__(self, *, port: int | None = None) -> None:
        self.host = HOST
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._received: list[ReceivedMail] = []
        self._controller: Controller | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> SMTPCatcher:
        """Listen on :attr:`host`:\\ :attr:`port`; returns once it accepts connections."""
        if self._controller is not None:
            return self
        controller = Controller(
            _CollectingHandler(self),
            hostname=self.host,
            port=self.port,
            ready_timeout=10.0,
            enable_SMTPUTF8=True,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (clients now get "connection refused"). Idempotent."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def restart(self) -> SMTPCatcher:
        """Stop and start again on the same port; collected messages are kept."""
        self.stop()
        return self.start()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SMTPCatcher:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- collected mail ------------------------------------------------------

    def _add(self, mail: ReceivedMail) -> None:
        with self._lock:
            self._received.append(mail)

    @property
    def messages(self) -> list[EmailMessage]:
        """Snapshot of all messages received so far, oldest first."""
        with self._lock:
            return [mail.message for mail in self._received]

    @property
    def envelopes(self) -> list[ReceivedMail]:
        """Snapshot of all transactions (sender, recipients, message)."""
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def wait_for(
        self,
        predicate: Callable[[EmailMessage], bool] = lambda m: True,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[EmailMessage]:
        """Wait until at least ``count`` received messages satisfy ``predicate``.

        :return: all matching messages (``count`` or more), oldest first.
        :raises AssertionError: at the deadline, listing what did arrive.
        """
        deadline = time.monotonic() + timeout
        while True:
            matching = [m for m in self.messages if predicate(m)]
            if len(matching) >= count:
                return matching
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} matching message(s) within {timeout:.1f}s, "
                    f"got {len(matching)}; received:\n{self._describe()}"
                )
            time.sleep(0.02)

    def _describe(self) -> str:
        lines = [
            f"  - from {mail.mail_from!r} to {list(mail.rcpt_tos)!r}: "
            f"Subject {mail.message['Subject']!r}"
            for mail in self.envelopes
        ]
        return "\n".join(lines) or "  (nothing)"


_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")


def find_links(message: EmailMessage) -> list[str]:
    """http(s) URLs in the text/plain and text/html parts, in order, unique.

    HTML entities (``&amp;``) are decoded; trailing sentence punctuation is
    dropped.
    """
    links: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        subtype = part.get_content_subtype()
        if subtype not in ("plain", "html"):
            continue
        text = part.get_content()
        for match in _URL.finditer(text):
            url = match.group(0)
            if subtype == "html":
                url = html.unescape(url)
            url = url.rstrip(".,;:!?")
            if url not in links:
                links.append(url)
    return links
