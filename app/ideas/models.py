"""Market stands of an event and their moderators."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.events.models import Event
from app.extensions import db


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
