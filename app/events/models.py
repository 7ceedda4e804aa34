"""Participation processes and their events (workshops)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import utcnow
from app.extensions import db


class EventStatus(str, enum.Enum):
    """draft → open → closed → drawn → held → published, by explicit admin actions."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    DRAWN = "drawn"
    HELD = "held"
    PUBLISHED = "published"


EVENT_STATUSES = tuple(s.value for s in EventStatus)


class Process(db.Model):
    """A participation process such as "Esslingen 4.0"; groups events and measures."""

    __tablename__ = "process"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered safely.
    description: Mapped[str] = mapped_column(Text, default="")
    #: The stakeholder groups offered for this process's events, one per line.
    stakeholder_groups: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    events: Mapped[list[Event]] = relationship(
        back_populates="process", order_by="Event.starts_at", cascade="all, delete-orphan"
    )

    @property
    def stakeholder_group_list(self) -> list[str]:
        return [line.strip() for line in self.stakeholder_groups.splitlines() if line.strip()]


class Event(db.Model):
    """One workshop of a process. Times are stored as naive UTC."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in EVENT_STATUSES) + ")", name="known_status"
        ),
        CheckConstraint("seats >= 0", name="seats_not_negative"),
        CheckConstraint("retention_days >= 0", name="retention_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: Markdown, rendered safely (no raw HTML survives).
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    seats: Mapped[int] = mapped_column(default=0)
    applications_open_at: Mapped[datetime | None]
    applications_close_at: Mapped[datetime | None]
    #: Who the workshop is for: residents, businesses, university, youth council, ...
    stakeholder_group: Mapped[str] = mapped_column(String(120), default="")
    #: Shown next to the consent checkbox of the application form.
    consent_text: Mapped[str] = mapped_column(Text, default="")
    #: Days after the event that applicants' personal data is kept.
    retention_days: Mapped[int] = mapped_column(default=90)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    process: Mapped[Process] = relationship(back_populates="events")
