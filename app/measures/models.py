"""Strategy measures of a process, their status history, the ideas taken into them,
public reasons for ideas not taken, and uploaded CSV imports waiting for confirmation."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.models import utcnow
from app.events.models import Process
from app.extensions import db
from app.ideas.models import Idea


class MeasureStatus(str, enum.Enum):
    """proposed → adopted (by the council) → in progress → done; rejected from any open state."""

    PROPOSED = "proposed"
    ADOPTED = "adopted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"


MEASURE_STATUSES = tuple(s.value for s in MeasureStatus)


class Measure(db.Model):
    """A measure of the written strategy of a process."""

    __tablename__ = "measure"
    __table_args__ = (
        UniqueConstraint("process_id", "title"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in MEASURE_STATUSES) + ")", name="known_status"
        ),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_is_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Chapter or field of action of the strategy ("Handlungsfeld"), used to group measures.
    chapter: Mapped[str] = mapped_column(String(200), default="")
    #: The responsible office of the city administration.
    office: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=MeasureStatus.PROPOSED.value)
    #: The date of the current status (from the latest history row).
    status_date: Mapped[date]
    #: How far the measure is, in percent (0–100).
    progress: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    process: Mapped[Process] = relationship()
    history: Mapped[list[MeasureStatusChange]] = relationship(
        back_populates="measure", order_by="MeasureStatusChange.id",
        cascade="all, delete-orphan",
    )


class MeasureStatusChange(db.Model):
    """One status change of a measure, with its date and a public comment."""

    __tablename__ = "measure_status_change"
    __table_args__ = (
        CheckConstraint(
            "to_status IN (" + ", ".join(f"'{s}'" for s in MEASURE_STATUSES) + ")", name="known_status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    #: None for the first row (the measure was created or imported).
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    #: The day the change happened (e.g. the council session), given by the admin.
    changed_on: Mapped[date]
    #: Shown on the public page and in the notification mail.
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship(back_populates="history")
    user: Mapped[User | None] = relationship()


class MeasureIdea(db.Model):
    """An idea taken into a measure (many to many)."""

    __tablename__ = "measure_idea"
    __table_args__ = (UniqueConstraint("measure_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    measure: Mapped[Measure] = relationship()
    idea: Mapped[Idea] = relationship()


class IdeaNotTaken(db.Model):
    """The public reason why an idea was deliberately not taken into the strategy."""

    __tablename__ = "idea_not_taken"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    idea: Mapped[Idea] = relationship()


class MeasureImport(db.Model):
    """A parsed CSV upload waiting for the admin's confirmation (deleted when imported).

    The preview shows these rows; the confirm step imports exactly them, so the file
    is never sent twice and cannot be altered between preview and import.
    """

    __tablename__ = "measure_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: JSON list of the valid rows: {"line", "title", "chapter", "status", "description", "office"}.
    rows: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
