"""A draw per event, its frozen applicant list (pseudonymous entries) and its replacements.

Nothing here holds personal data but the objections (:class:`LotteryObjection`): an
entry links a pseudonym to an application (``application_id``), and the audit record
(``record_json``) holds only pseudonyms and criteria answers, so it stays verifiable after
the applicants' personal data has been erased.
"""
from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.extensions import db


class DrawState(str, enum.Enum):
    """committed → drawn; either may become superseded (re-draw, with a reason)."""

    COMMITTED = "committed"
    DRAWN = "drawn"
    SUPERSEDED = "superseded"


DRAW_STATES = tuple(s.value for s in DrawState)
NUMBER_SOURCES = ("public", "server")
RELEASE_REASONS = ("declined", "expired", "withdrawn")
#: How a seat was given up or a waiting place lost: the applicant's own link, staff on the
#: applicant's behalf (phone, paper, in person), the deadline passing, the application withdrawn.
RELEASE_CHANNELS = ("link", "phone", "paper", "in_person", "deadline", "withdrawal")


class LotteryDraw(db.Model):
    """One lottery of an event: the published commitment, then the number and its result.

    At most one draw per event is not superseded (a partial unique index).
    """

    __tablename__ = "lottery_draw"
    __table_args__ = (
        UniqueConstraint("event_id", "attempt"),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in DRAW_STATES) + ")", name="known_state"),
        CheckConstraint("number_source_kind IN ('public', 'server')", name="known_number_source"),
        CheckConstraint("number IS NULL OR (number >= 1 AND number <= table_size)", name="number_in_table"),
        Index("uq_lottery_draw_one_active_per_event", "event_id", unique=True,
              sqlite_where=sa.text("state != 'superseded'"), postgresql_where=sa.text("state != 'superseded'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: 1 for the first draw of the event, 2 after the first re-draw, ...
    attempt: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(20), default=DrawState.COMMITTED.value)
    seats: Mapped[int]
    #: M: the number of panels in the table; the number drawn is 1..M.
    table_size: Mapped[int]
    #: "public" (drawn in public, entered by an admin) or "server" (CSPRNG).
    number_source_kind: Mapped[str] = mapped_column(String(10))
    #: How the number will be obtained, as committed (part of the commitment hash).
    number_source: Mapped[str] = mapped_column(String(600))
    algorithm: Mapped[str] = mapped_column(String(60))
    algorithm_version: Mapped[str] = mapped_column(String(20))
    applicants_sha256: Mapped[str] = mapped_column(String(64))
    table_sha256: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    #: The audit record fixed at commitment (JSON): applicants, quotas, probabilities, table, hashes.
    record_json: Mapped[str] = mapped_column(Text)
    number: Mapped[int | None]
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Naive UTC: selected applicants confirm or decline until then.
    confirm_deadline: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Why the draw was replaced by a new one (required, public).
    supersede_reason: Mapped[str | None] = mapped_column(Text)
    #: A re-draw of a drawn lottery asked for by one admin, waiting for a second admin's approval
    #: (``superseded_by_id`` is then the approving admin).
    redraw_requested_at: Mapped[datetime | None]
    redraw_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    redraw_request_reason: Mapped[str | None] = mapped_column(Text)
    #: A ``server+public`` draw: the server's 64 hex digits, drawn at the commitment (whose record holds
    #: their SHA-256) and secret until the draw writes them into the record.
    server_value: Mapped[str | None] = mapped_column(String(64), info=SECRET)
    #: Bumped by every change to seats or replacements: on SQLite this write takes the database lock.
    lock_counter: Mapped[int] = mapped_column(default=0)

    event = relationship("Event")
    entries: Mapped[list[LotteryEntry]] = relationship(
        back_populates="draw", cascade="all, delete-orphan", order_by="LotteryEntry.pseudonym")
    replacements: Mapped[list[LotteryReplacement]] = relationship(
        back_populates="draw", cascade="all, delete-orphan", order_by="LotteryReplacement.position")

    @property
    def record(self) -> dict[str, Any]:
        cached = self.__dict__.get("_record_cache")
        if cached is None or cached[0] is not self.record_json:
            cached = (self.record_json, json.loads(self.record_json))
            self.__dict__["_record_cache"] = cached
        return cached[1]

    @property
    def is_active(self) -> bool:
        return self.state != DrawState.SUPERSEDED.value


class LotteryEntry(db.Model):
    """One applicant of the frozen list of a draw, under a pseudonym, and what became of their seat."""

    __tablename__ = "lottery_entry"
    __table_args__ = (
        UniqueConstraint("draw_id", "pseudonym"),
        UniqueConstraint("draw_id", "application_id"),
        CheckConstraint("release_reason IS NULL OR release_reason IN ('declined', 'expired', 'withdrawn')",
                        name="known_release_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("lottery_draw.id", ondelete="CASCADE"), index=True)
    #: None once the application has been deleted; the pseudonym stays in the audit.
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"), index=True)
    #: Public, random, fixed at commitment (e.g. "A-7F3K2"); the same for an application across re-draws.
    pseudonym: Mapped[str] = mapped_column(String(16))
    #: Position on the waiting list (1 = first); None for those selected by the number.
    rank: Mapped[int | None]
    #: When this applicant was given a seat (by the draw or as a replacement); None: never.
    seat_since: Mapped[datetime | None]
    #: Naive UTC: confirm or decline until then.
    confirm_deadline: Mapped[datetime | None]
    #: When the seat was given up (declined, expired, withdrawn).
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str | None] = mapped_column(String(20))
    #: How the seat was given up (public, in the audit's evidence): :data:`RELEASE_CHANNELS`.
    release_channel: Mapped[str | None] = mapped_column(String(20))
    #: The release (or, for a waiting applicant, the withdrawal) is written into a replacement record.
    audit_recorded: Mapped[bool] = mapped_column(default=False)

    draw: Mapped[LotteryDraw] = relationship(back_populates="entries")
    application = relationship("Application")

    @property
    def holds_seat(self) -> bool:
        return self.seat_since is not None and self.released_at is None


class LotteryReplacement(db.Model):
    """A seat given to a waiting applicant after seats were given up, in order (the audit's replacements)."""

    __tablename__ = "lottery_replacement"
    __table_args__ = (UniqueConstraint("draw_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("lottery_draw.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    #: JSON list of the pseudonyms whose seats became free since the previous replacement.
    declined_json: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON list of waiting pseudonyms passed over because they withdrew meanwhile.
    skipped_json: Mapped[str] = mapped_column(Text, default="[]")
    admitted: Mapped[str] = mapped_column(String(16))
    #: Why the seats became free, as codes of ``LotteryEntry.release_reason`` per pseudonym:
    #: "A-7F3K2: declined; A-Q2M4N: expired" (shown translated, see :attr:`released_reasons`).
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The admin who processed it; None when an applicant's decline or the expiry command triggered it.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    draw: Mapped[LotteryDraw] = relationship(back_populates="replacements")

    @property
    def declined(self) -> list[str]:
        return json.loads(self.declined_json)

    @property
    def skipped(self) -> list[str]:
        return json.loads(self.skipped_json)

    @property
    def released_reasons(self) -> list[tuple[str, str]]:
        """``(pseudonym, release reason code)`` of each seat given up, in stored order."""
        pairs = []
        for part in self.reason.split(";") if self.reason else []:
            pseudonym, _, code = part.partition(":")
            pairs.append((pseudonym.strip(), code.strip()))
        return pairs

    def as_audit(self) -> dict[str, Any]:
        return {"declined": self.declined, "admitted": self.admitted, "skipped": self.skipped}


OBJECTION_STATES = ("open", "answered")


class LotteryObjection(db.Model):
    """An applicant's objection to what the record of a draw says about them, and the staff's answer.

    The texts are personal (the applicant's own words, and the answer to them): they live here, not in
    the audit log (which keeps only that an objection was made or answered, with its id), and go with
    the applicant's erasure and the retention purge (app/lottery/privacy.py).
    """

    __tablename__ = "lottery_objection"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in OBJECTION_STATES) + ")", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("lottery_draw.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("lottery_entry.id", ondelete="CASCADE"), index=True)
    #: What the applicant says is wrong (their own words).
    text: Mapped[str] = mapped_column(Text, info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: The staff's answer, mailed to the applicant and shown on their receipt page.
    answer: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    draw: Mapped[LotteryDraw] = relationship()
    entry: Mapped[LotteryEntry] = relationship()
    answered_by = relationship("User")
