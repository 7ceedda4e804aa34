"""Online participation (issue 18): participants without an account, the online phases of an
event and the moderation settings of a process.

Online ideas are ordinary :class:`app.ideas.models.Idea` rows with ``channel = "online"`` and a
``participant_id``; their moderation state lives on the idea (``moderation``: pending until a
moderator approves under pre-moderation; hiding uses the idea's ``hidden`` status with a public
``hidden_reason`` from the netiquette; ``withdrawn_at`` when the participant takes it back).
"""
from __future__ import annotations

import enum
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.events.models import Event, Process
from app.extensions import db


class PhaseKind(str, enum.Enum):
    #: Before the workshop: residents submit ideas to the stands' themes.
    BEFORE = "before"
    #: After the workshop: residents read, support and comment the workshop's ideas.
    AFTER = "after"


PHASE_KINDS = tuple(k.value for k in PhaseKind)


class ModerationMode(str, enum.Enum):
    #: Online contributions are visible after a moderator approved them.
    PRE = "pre"
    #: Visible at once; a moderator can hide them (with a reason from the netiquette).
    POST = "post"


MODERATION_MODES = tuple(m.value for m in ModerationMode)


class OnlinePhase(db.Model):
    """An online phase of an event (one row per event and kind); times are naive UTC."""

    __tablename__ = "online_phase"
    __table_args__ = (
        UniqueConstraint("event_id", "kind"),
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in PHASE_KINDS) + ")", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        """Enabled and ``now`` within [opens_at, closes_at) (an unset end is open-ended)."""
        now = now or utcnow()
        if not self.enabled:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return not (self.closes_at is not None and now >= self.closes_at)


class OnlineSettings(db.Model):
    """A process's moderation mode and netiquette (the public reasons a contribution is hidden)."""

    __tablename__ = "online_settings"
    __table_args__ = (
        CheckConstraint("moderation IN (" + ", ".join(f"'{m}'" for m in MODERATION_MODES) + ")",
                        name="known_moderation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), unique=True)
    moderation: Mapped[str] = mapped_column(String(10), default=ModerationMode.PRE.value)
    #: JSON list of strings: the netiquette's rules, each a public reason for hiding.
    netiquette: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    process: Mapped[Process] = relationship()

    @property
    def netiquette_reasons(self) -> list[str]:
        try:
            reasons = json.loads(self.netiquette or "[]")
        except ValueError:
            return []
        return [r for r in reasons if isinstance(r, str) and r.strip()] if isinstance(reasons, list) else []

    @netiquette_reasons.setter
    def netiquette_reasons(self, reasons: list[str]) -> None:
        self.netiquette = json.dumps([r.strip() for r in reasons if r.strip()], ensure_ascii=False)


class Participant(db.Model):
    """A resident taking part online in one process, without an account.

    Signs up with an e-mail address and consent, confirms the address (double opt-in) and then
    uses a private participation link; only the SHA-256 of its token is stored
    (``app.events.application_tokens.hash_token``).
    """

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("process_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    #: Shown with the participant's contributions if ``show_name_publicly``, else "anonymous".
    display_name: Mapped[str] = mapped_column(String(80), default="", info=PERSONAL)
    show_name_publicly: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Normalised (trimmed, lower-case) address; one participant per address and process. None
    #: once the retention purge erased it (``anonymised_at``).
    email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    consent_at: Mapped[datetime | None]
    #: The language the participant signed up in (every mail to them is in it).
    language: Mapped[str] = mapped_column(String(10), default="de", server_default="de")
    #: Set by the double opt-in; until then the link cannot be used.
    confirmed_at: Mapped[datetime | None]
    #: Set by a moderator: the link can no longer contribute.
    blocked_at: Mapped[datetime | None]
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Set by the retention purge (app/participation/retention.py): name, address and link erased;
    #: the row stays so that the participant's supports keep counting.
    anonymised_at: Mapped[datetime | None]

    process: Mapped[Process] = relationship()

    @property
    def is_active(self) -> bool:
        """Confirmed and not blocked: may contribute."""
        return self.confirmed_at is not None and self.blocked_at is None and self.anonymised_at is None

    @property
    def public_name(self) -> str | None:
        """The name shown in public, or None for "anonymous"."""
        return self.display_name if self.show_name_publicly and self.display_name else None


class Support(db.Model):
    """A confirmed participant's backing of an idea (issue 18; not a dot: the results count them
    separately). One per idea and participant (the unique constraint keeps it under concurrency);
    given while the idea's event's "after" phase is open (app/participation/supports.py)."""

    __tablename__ = "support"
    # (idea_id, participant_id): the results and lists count distinct participants per merge group
    # from the index alone (no visit of the table per support); it also serves lookups by idea.
    __table_args__ = (UniqueConstraint("participant_id", "idea_id"),
                      Index("ix_support_idea_id_participant_id", "idea_id", "participant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(db.Model):
    """A confirmed participant follows an idea of their process (issue 18): they get one mail when
    it is merged into another idea, taken into a measure, or a measure holding it changes status
    (app/participation/follows.py). One per participant and idea (the unique constraint keeps it
    under concurrency). Personal data of the participant: exported and erased with their
    participation (app/participation/privacy.py)."""

    __tablename__ = "follow"
    __table_args__ = (UniqueConstraint("participant_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who follows the idea (personal: what a resident takes an interest in).
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), info=PERSONAL)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship()
    idea = relationship("Idea")


class CommentModeration(str, enum.Enum):
    VISIBLE = "visible"
    PENDING = "pending"


class Comment(db.Model):
    """A confirmed participant's comment on an idea of the public list (issue 18), with one level
    of replies (``parent_id`` is a top-level comment of the same idea). Moderated like online
    ideas (app/participation/comments.py): under pre-moderation ``moderation`` is pending until a
    moderator approves; hidden with a public ``hidden_reason`` from the netiquette; withdrawn by
    its author. An erased participant's comments stay, without a name (``participant_id`` NULL)."""

    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint("moderation IN ('visible', 'pending')", name="known_moderation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"),
                                                       index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    moderation: Mapped[str] = mapped_column(String(10), default=CommentModeration.VISIBLE.value)
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    participant: Mapped[Participant | None] = relationship()
    idea = relationship("Idea")

    @property
    def is_visible(self) -> bool:
        """Shown with its text: released, not hidden, not withdrawn."""
        return (self.moderation == CommentModeration.VISIBLE.value and self.hidden_at is None
                and self.withdrawn_at is None)


class Report(db.Model):
    """Someone reports an idea or a comment as against the netiquette (issue 18): ``reason`` is a
    rule of the process's netiquette, ``details`` an optional note for the moderators. Reported
    by a participant (``participant_id``; one report per participant and item, kept by the unique
    constraints under concurrency) or by anyone without a link (NULL; limited per address).
    A moderator of the item's stand resolves the open reports (``resolved_at``)."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("participant_id", "idea_id"),
        UniqueConstraint("participant_id", "comment_id"),
        CheckConstraint("(idea_id IS NULL) <> (comment_id IS NULL)", name="one_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500))
    details: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
