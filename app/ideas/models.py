"""Market stands, their moderators, ideas, tags, the idea audit log and the live change feed."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.events.models import Event
from app.extensions import db
from app.participation.models import Participant


class Stand(db.Model):
    """A thematic market stand (Marktstand) of an event."""

    __tablename__ = "stand"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Display order within the event (ascending).
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship()
    moderators: Mapped[list[User]] = relationship(secondary="stand_moderator", order_by="User.name")


class StandModerator(db.Model):
    """Which staff member moderates which stand."""

    __tablename__ = "stand_moderator"
    __table_args__ = (UniqueConstraint("stand_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)


class IdeaStatus(str, enum.Enum):
    NEW = "new"
    #: Folded into another idea (``merged_into_id``); still readable as its source.
    MERGED = "merged"
    #: Hidden by a moderator (with a reason): gone from walls and public views.
    HIDDEN = "hidden"
    #: Taken into a strategy measure (set by the measures feature).
    ADOPTED = "adopted"


IDEA_STATUSES = tuple(s.value for s in IdeaStatus)
#: Shown on walls, ballots and public pages, counted in results (see app/ideas/merge_groups.py).
VISIBLE_STATUSES = (IdeaStatus.NEW.value, IdeaStatus.ADOPTED.value)


def released(moderation: str | None, withdrawn_at: datetime | None) -> bool:
    """:attr:`Idea.is_released` for column values read without the ORM (the quick dot path)."""
    return moderation != Moderation.PENDING.value and withdrawn_at is None


class IdeaChannel(str, enum.Enum):
    #: Recorded by a moderator at the stand.
    ROOM = "room"
    #: Submitted by a participant online (app/participation), ``participant_id`` set.
    ONLINE = "online"


IDEA_CHANNELS = tuple(c.value for c in IdeaChannel)


class Moderation(str, enum.Enum):
    """Moderation of online ideas; hiding uses ``status = hidden`` with a public reason."""

    #: Shown (every room idea; online ideas under post-moderation or once approved).
    VISIBLE = "visible"
    #: Waiting for a moderator's approval (pre-moderation): not shown, not counted.
    PENDING = "pending"


MODERATION_STATES = tuple(m.value for m in Moderation)


class Tag(db.Model):
    """A keyword of a process, shared by all its events."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("process_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    #: Case- and accent-folded form that identifies the tag (#Bürgerportal → "buergerportal").
    key: Mapped[str] = mapped_column(String(80))
    #: How the tag is shown: the spelling it was first typed with.
    label: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaTag(db.Model):
    __tablename__ = "idea_tag"
    __table_args__ = (UniqueConstraint("idea_id", "tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)


class Idea(db.Model):
    """A contribution recorded at a stand."""

    __tablename__ = "idea"
    __table_args__ = (
        # Offline retries send the same client id again: the database keeps one idea.
        UniqueConstraint("stand_id", "client_id"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in IDEA_STATUSES) + ")", name="known_status"
        ),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        CheckConstraint("channel IN (" + ", ".join(f"'{c}'" for c in IDEA_CHANNELS) + ")", name="known_channel"),
        CheckConstraint("moderation IN (" + ", ".join(f"'{m}'" for m in MODERATION_STATES) + ")",
                        name="known_moderation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    #: Optional: the participant or group who brought the idea up (personal data, never on walls).
    said_by: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    status: Mapped[str] = mapped_column(String(20), default=IdeaStatus.NEW.value, index=True)
    #: UUID made by the capturing browser (or the server for the plain form); makes create idempotent.
    client_id: Mapped[str] = mapped_column(String(36), info=SECRET)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    #: The surviving idea this one was merged into. Dots stay on this (original) idea;
    #: the total of a merged group is the sum over the survivor and all its sources.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: room | online (issue 18).
    channel: Mapped[str] = mapped_column(String(10), default=IdeaChannel.ROOM.value,
                                         server_default=IdeaChannel.ROOM.value, index=True)
    #: The online participant who submitted it (app/participation); None for room ideas.
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id", ondelete="SET NULL"),
                                                       index=True)
    #: visible | pending (pre-moderation); see :class:`Moderation`.
    moderation: Mapped[str] = mapped_column(String(10), default=Moderation.VISIBLE.value,
                                            server_default=Moderation.VISIBLE.value)
    #: Set when the participant withdrew the idea: no longer shown or counted.
    withdrawn_at: Mapped[datetime | None]
    #: Set when a moderator took an online idea into the room's list (app/participation/moderation.py).
    taken_into_room_at: Mapped[datetime | None]

    stand: Mapped[Stand] = relationship()
    created_by: Mapped[User | None] = relationship()
    participant: Mapped[Participant | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary="idea_tag", order_by="Tag.label", lazy="selectin")
    merged_into: Mapped[Idea | None] = relationship(remote_side="Idea.id", foreign_keys=[merged_into_id],
                                                    back_populates="sources")
    sources: Mapped[list[Idea]] = relationship(foreign_keys=[merged_into_id], back_populates="merged_into",
                                               order_by="Idea.created_at")

    @hybrid_property
    def is_visible(self) -> bool:
        """Shown on walls and public pages (not hidden, not folded into another idea, not waiting
        for moderation, not withdrawn); on the class (or an alias) the same rule as SQL."""
        return self.status in VISIBLE_STATUSES and self.is_released

    @is_visible.inplace.expression
    @classmethod
    def _is_visible_expression(cls):
        return sa.and_(cls.status.in_(VISIBLE_STATUSES), cls.is_released)

    @hybrid_property
    def is_released(self) -> bool:
        """Not waiting for moderation and not withdrawn by its participant (always true for room
        ideas); part of :attr:`is_visible`, and of the staff lists that also show hidden ideas."""
        return released(self.moderation, self.withdrawn_at)

    @is_released.inplace.expression
    @classmethod
    def _is_released_expression(cls):
        return sa.and_(cls.moderation != Moderation.PENDING.value, cls.withdrawn_at.is_(None))


class IdeaLog(db.Model):
    """Audit trail of an idea: who did what when (create, edit, hide, merge, ...)."""

    __tablename__ = "idea_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    #: create, edit, hide, unhide, merge (on the source), absorb (on the survivor), unmerge,
    #: release; link, unlink, not_taken, not_taken_cleared (measures). In words: ideas.display.
    action: Mapped[str] = mapped_column(String(20))
    #: For merge/absorb/unmerge: the idea on the other side.
    other_idea_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: JSON: previous text on edit, reason on hide, tag ids a merge added to the survivor.
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()


class IdeaChange(db.Model):
    """Change feed for the live walls: one row per change, in commit order per event.

    Written in the same transaction as the change, so every worker process sees
    it through the database; the autoincrement id is the SSE event id.
    """

    __tablename__ = "idea_change"
    __table_args__ = (Index("ix_idea_change_event_id_id", "event_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    stand_id: Mapped[int] = mapped_column(ForeignKey("stand.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"))
    #: create, edit, hide, unhide, merge, unmerge (informational; walls reload the idea).
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WallLink(db.Model):
    """The unguessable link under which an event's projector walls are shown without login."""

    __tablename__ = "wall_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    #: Random, URL-safe; replacing it revokes the old link.
    token: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
