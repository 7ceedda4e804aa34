"""Tickets, check-in and dot voting: the tables.

Integrity lives in the database. A ticket's dots are rows of :class:`Dot`; each
row takes one numbered *slot* of the ticket (``UNIQUE (ticket_id, scope_id, slot)``
with ``slot`` in 1..N) and one numbered *idea slot* of the idea
(``UNIQUE (ticket_id, idea_id, idea_slot)`` with ``idea_slot`` in 1..max per idea).
The service picks the lowest free slots; two concurrent requests that pick the
same slot cannot both be stored, so no ticket ever holds more than N dots (or more
than the maximum on one idea), whatever the number of workers. Totals are
``COUNT(*) ... GROUP BY``, never a counter changed in Python.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.events.models import Application, Event
from app.extensions import db


class VotingState(str, enum.Enum):
    """not_open → open → closed (an admin may open a closed vote again)."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


VOTING_STATES = tuple(s.value for s in VotingState)


class DotScope(str, enum.Enum):
    #: N dots for the whole event.
    EVENT = "event"
    #: N dots at every stand.
    STAND = "stand"


DOT_SCOPES = tuple(s.value for s in DotScope)


class Channel(str, enum.Enum):
    """Where a dot was given; results show each channel separately and together."""

    #: With a ticket at the event (phone or the room's devices).
    ROOM = "room"
    #: Paper dots on the physical board, counted by a moderator (:class:`BoardCount`).
    BOARD = "board"
    #: Residents with a confirmed application, online after the event (optional per event).
    ONLINE = "online"


TICKET_CHANNELS = (Channel.ROOM.value, Channel.ONLINE.value)
TICKET_KINDS = ("participant", "walk_in", "online")

#: Hard upper bound for any slot number (the settings form allows less).
MAX_DOTS = 50


def idea_cap(dots_per_ticket: int, max_per_idea: int | None) -> int:
    """Dots one ticket may give one idea: the maximum per idea, at most the ticket's dots."""
    return min(max_per_idea or dots_per_ticket, dots_per_ticket)


class VotingSettings(db.Model):
    """Dot-voting rules and state of one event (created on first use)."""

    __tablename__ = "voting_settings"
    __table_args__ = (
        CheckConstraint(f"dots_per_ticket >= 1 AND dots_per_ticket <= {MAX_DOTS}", name="dots_in_range"),
        CheckConstraint("max_per_idea IS NULL OR max_per_idea >= 1", name="max_per_idea_positive"),
        CheckConstraint("scope IN (" + ", ".join(f"'{s}'" for s in DOT_SCOPES) + ")", name="known_scope"),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in VOTING_STATES) + ")", name="known_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    dots_per_ticket: Mapped[int] = mapped_column(default=5)
    #: None: no limit per idea other than the ticket's dots.
    max_per_idea: Mapped[int | None]
    #: "event": N dots for the whole event; "stand": N dots at each stand.
    scope: Mapped[str] = mapped_column(String(10), default=DotScope.EVENT.value)
    state: Mapped[str] = mapped_column(String(10), default=VotingState.NOT_OPEN.value)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: Staff may issue tickets at the door to people without a confirmed application.
    walk_ins_allowed: Mapped[bool] = mapped_column(default=False)
    #: Residents with a confirmed application may vote online between these times (channel "online").
    online_enabled: Mapped[bool] = mapped_column(default=False)
    online_opens_at: Mapped[datetime | None]
    online_closes_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()

    @property
    def idea_cap(self) -> int:
        """Dots one ticket may give one idea (the ticket's dots when there is no maximum)."""
        return idea_cap(self.dots_per_ticket, self.max_per_idea)


class Ticket(db.Model):
    """A participant's ticket for one event: a short code for check-in and voting."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        CheckConstraint("channel IN (" + ", ".join(f"'{c}'" for c in TICKET_CHANNELS) + ")", name="known_channel"),
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in TICKET_KINDS) + ")", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: 8 characters of :data:`app.voting.codes.ALPHABET`, stored upper case without the dash.
    code: Mapped[str] = mapped_column(String(16), info=SECRET)
    #: The confirmed application this ticket was issued for; None for walk-ins. One ticket per application.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), unique=True)
    #: participant (confirmed application), walk_in (issued at the door), online.
    kind: Mapped[str] = mapped_column(String(12), default="participant")
    #: room or online: the channel of this ticket's dots.
    channel: Mapped[str] = mapped_column(String(10), default=Channel.ROOM.value)
    #: Name on the badge of a walk-in (personal data; participants' names come from the application).
    holder_name: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    #: Secret random salt of the voter's receipt (hex); never shown to anyone else.
    receipt_salt: Mapped[str] = mapped_column(String(64), info=SECRET)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Set when the application gave its seat back (declined, withdrawn, erased, draw superseded,
    #: removed by staff): the code no longer works. Dots given before stay counted.
    revoked_at: Mapped[datetime | None]
    #: Why: declined, withdrawn, erased, superseded or removed (see ``revoke_ticket_for_application``).
    revoke_reason: Mapped[str | None] = mapped_column(String(20))

    event: Mapped[Event] = relationship()
    application: Mapped[Application | None] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_name(self) -> str:
        if self.application is not None and self.application.name:
            return self.application.name
        return self.holder_name or ""


class Dot(db.Model):
    """One dot of a ticket on an idea. Removing a dot deletes its row."""

    __tablename__ = "dot"
    __table_args__ = (
        # At most N dots per ticket (per stand with scope "stand": scope_id is the stand, else 0).
        UniqueConstraint("ticket_id", "scope_id", "slot", name="uq_dot_ticket_slot"),
        # At most the maximum per idea.
        UniqueConstraint("ticket_id", "idea_id", "idea_slot", name="uq_dot_ticket_idea_slot"),
        CheckConstraint(f"slot >= 1 AND slot <= {MAX_DOTS}", name="slot_in_range"),
        CheckConstraint(f"idea_slot >= 1 AND idea_slot <= {MAX_DOTS}", name="idea_slot_in_range"),
        CheckConstraint("channel IN (" + ", ".join(f"'{c}'" for c in TICKET_CHANNELS) + ")", name="known_channel"),
        Index("ix_dot_event_id_idea_id", "event_id", "idea_id"),
        # Covers the results' count of dots per idea and channel (no table lookups for 500,000 dots).
        Index("ix_dot_idea_id_channel", "idea_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    #: Copied from the ticket, so totals per event need no join.
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    #: The idea the dot was given to (a merge later moves its total, not the row).
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"))
    #: The stand of that idea when the dot was given.
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id", ondelete="CASCADE"))
    #: room or online (copied from the ticket).
    channel: Mapped[str] = mapped_column(String(10), default=Channel.ROOM.value)
    #: 0 for scope "event"; the stand id for scope "stand" (slots are counted per scope).
    scope_id: Mapped[int] = mapped_column(default=0)
    #: Which of the ticket's N dots this is (1..N).
    slot: Mapped[int]
    #: Which of the ticket's dots on this idea this is (1..max per idea).
    idea_slot: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardCount(db.Model):
    """Paper dots on the physical board for one idea, as counted by a moderator (set, not added)."""

    __tablename__ = "board_count"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), unique=True)
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class BoardCountLog(db.Model):
    """Audit trail of board counts: every value a moderator entered, who and when."""

    __tablename__ = "board_count_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    count: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TallySnapshot(db.Model):
    """Totals per idea and channel stored when voting closed, for ``flask voting recount``.

    One row per idea a dot was given to (the idea itself, not its merge survivor), so
    later merges do not change the snapshot.
    """

    __tablename__ = "voting_tally"
    __table_args__ = (UniqueConstraint("event_id", "idea_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    dots: Mapped[int]


class Receipt(db.Model):
    """A published receipt: SHA-256 over a ticket's secret salt and its final dots.

    Deliberately without the ticket: the list shows that a vote is included, not whose it is.
    """

    __tablename__ = "voting_receipt"
    __table_args__ = (UniqueConstraint("event_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    #: How many dots the receipt covers (published with it, so the totals can be added up).
    dots: Mapped[int]
