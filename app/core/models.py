"""Tables the core needs: shared rate-limit counters and the mail outbox."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.personal import PERSONAL
from app.extensions import db


#: A fixed "now" while the demo replays its past (see :func:`frozen_now`).
_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    """Now, as naive UTC (how the database stores times)."""
    frozen = _frozen_now.get()
    if frozen is not None:
        return frozen
    return datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def frozen_now(moment: datetime) -> Iterator[None]:
    """Within the block, :func:`utcnow` (and every column default using it) returns ``moment``.

    For replaying a past story through the real services (``app.demo``); never in a request.
    """
    token = _frozen_now.set(moment)
    try:
        yield
    finally:
        _frozen_now.reset(token)


class RateLimitCounter(db.Model):
    """One fixed-window counter of the rate limiter (used when Redis is not configured)."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True, info=PERSONAL)
    count: Mapped[int] = mapped_column(default=0)
    #: Unix time at which this window ends and the count starts again.
    expires_at: Mapped[float]


class OutboxMail(db.Model):
    """A mail waiting to be sent, or sent. Mail is never sent inside a request's transaction:
    the request stores it here, and the outbox delivers it (retrying while SMTP is down)."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), info=PERSONAL)
    subject: Mapped[str] = mapped_column(String(300), info=PERSONAL)
    body_text: Mapped[str] = mapped_column(Text, info=PERSONAL)
    body_html: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    #: The ``Content-Language`` header (``en, de``) when the mail shows content in another language
    #: than its text (a title in the subject): the subject and the plain text cannot mark a part.
    languages: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None while unsent.
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Earliest time of the next delivery attempt (back-off after failures).
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="mail", cascade="all, delete-orphan", passive_deletes=True,
        order_by="OutboxAttachment.id")


class OutboxAttachment(db.Model):
    """A file sent with an outbox mail (the event's calendar file, a ticket's QR code).

    Stored with the mail when it is queued, so a retry days later sends the same bytes."""

    __tablename__ = "outbox_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(ForeignKey("outbox_mail.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary, info=PERSONAL)

    mail: Mapped[OutboxMail] = relationship(back_populates="attachments")
