"""Participation processes and their events (workshops)."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
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
    #: A summary in Leichte Sprache (Markdown), shown on the process page (BITV 2.0 § 4).
    easy_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
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
    #: A summary in Leichte Sprache (Markdown), shown on the event page (BITV 2.0 § 4).
    easy_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
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
    #: Delete the personal data of applicants who never got a seat as soon as the waiting
    #: list has expired (the event has started), instead of after the retention period.
    purge_unselected_early: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Lottery setting: at most one seat per household (applications with the same
    #: ``Application.household_key``); the lottery keeps it exactly (app/lottery/algorithm.py).
    lottery_one_per_household: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Only invitees of the register draw apply (app/invitations, with their personal code): the public
    #: application form is closed. False with invitations drawn: mixed, the open call stays open and
    #: its applicants are marked as such (not invited) in the staff list and the export.
    invitation_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT.value, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    process: Mapped[Process] = relationship(back_populates="events")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="event", order_by="Criterion.position", cascade="all, delete-orphan"
    )

    @property
    def retention_ends_at(self) -> datetime | None:
        """When the applicants' personal data is due for deletion (None: no date yet)."""
        end = self.ends_at or self.starts_at
        if end is None:
            return None
        return end + timedelta(days=self.retention_days)


class Criterion(db.Model):
    """What an event asks applicants for the lottery's quotas (age band, gender, district, ...)."""

    __tablename__ = "criterion"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: The question shown to applicants, e.g. "Altersgruppe".
    label: Mapped[str] = mapped_column(String(200))
    #: Stable short name, used as the feature name in lottery files (e.g. "age").
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="criteria")
    options: Mapped[list[CriterionOption]] = relationship(
        back_populates="criterion", order_by="CriterionOption.position", cascade="all, delete-orphan",
        lazy="selectin",
    )


class CriterionOption(db.Model):
    """One answer to a criterion, with the seats it must get (min) and may get (max)."""

    __tablename__ = "criterion_option"
    __table_args__ = (
        UniqueConstraint("criterion_id", "value"),
        CheckConstraint("min_seats >= 0", name="min_not_negative"),
        CheckConstraint("max_seats IS NULL OR max_seats >= min_seats", name="max_not_below_min"),
        CheckConstraint(
            "population_share IS NULL OR (population_share >= 0 AND population_share <= 1)",
            name="share_is_fraction",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    #: Stable short name, used as the value in lottery files (e.g. "18-29").
    value: Mapped[str] = mapped_column(String(60))
    min_seats: Mapped[int] = mapped_column(default=0)
    #: None: no upper limit (up to all seats).
    max_seats: Mapped[int | None]
    #: Share of the city's population with this answer (0..1), for the representativeness report.
    population_share: Mapped[float | None]
    position: Mapped[int] = mapped_column(default=0)

    criterion: Mapped[Criterion] = relationship(back_populates="options")


class ApplicationStatus(str, enum.Enum):
    """unconfirmed → applied → selected / waitlisted / not selected → confirmed / declined / withdrawn."""

    UNCONFIRMED = "unconfirmed"
    APPLIED = "applied"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    NOT_SELECTED = "not_selected"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus)
APPLICATION_SOURCES = ("online", "phone", "paper")


class Application(db.Model):
    """A resident's request for a seat at an event. No account: a secret link manages it."""

    __tablename__ = "application"
    __table_args__ = (
        # One application per event and email (emails are stored trimmed and lower-cased).
        UniqueConstraint("event_id", "email"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in APPLICATION_STATUSES) + ")", name="known_status"
        ),
        CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in APPLICATION_SOURCES) + ")", name="known_source"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: Personal data: removed when the retention period ends (None afterwards).
    name: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    #: Personal data, trimmed and lower-cased; None once erased.
    email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    #: Personal data: a phone number an invitee gave instead of (or besides) an email (app/invitations);
    #: None once erased.
    phone: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.UNCONFIRMED.value, index=True)
    #: Language of the applicant's mails ("de" or "en").
    language: Mapped[str] = mapped_column(String(5), default="de")
    #: SHA-256 of the secret manage-link token (the token itself is only in the applicant's mails).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    #: online, or entered by staff from a phone call or a paper form.
    source: Mapped[str] = mapped_column(String(10), default="online")
    consent_at: Mapped[datetime | None]
    #: Staff member who recorded consent for a phone or paper application.
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    #: When name, email and answers were erased (retention ended, or the applicant asked);
    #: the row stays for the counts and the lottery audit.
    anonymised_at: Mapped[datetime | None]
    #: Opted in (explicitly, on the form) to mails about what becomes of the event's ideas.
    notify_measures: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When the last reminder mail went out (someone applied again with this email).
    reminded_at: Mapped[datetime | None]
    #: Who lives together: applications with the same key are one household for the lottery's
    #: "at most one seat per household" (set by the register invitations, app/invitations: the
    #: household's pseudonym). None: their own household. Never leaves the server (the audit
    #: records only the groups of pseudonyms).
    household_key: Mapped[str | None] = mapped_column(String(64), index=True)

    event: Mapped[Event] = relationship()
    answers: Mapped[list[ApplicationAnswer]] = relationship(
        back_populates="application", cascade="all, delete-orphan", lazy="selectin"
    )


class ApplicationAnswer(db.Model):
    """An applicant's answer to one criterion of the event."""

    __tablename__ = "application_answer"
    __table_args__ = (UniqueConstraint("application_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("criterion_option.id", ondelete="CASCADE"), index=True)

    application: Mapped[Application] = relationship(back_populates="answers")
    criterion: Mapped[Criterion] = relationship()
    option: Mapped[CriterionOption] = relationship()
