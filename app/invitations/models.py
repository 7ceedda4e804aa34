"""The residents' register extract of an event, its households, and the invitation draw (issue 17).

Two-stage citizens' lottery: the registration office hands over an extract of the residents'
register (:class:`RegisterExtract`, one row per resident: :class:`RegisterPerson`, grouped into
:class:`RegisterHousehold` by normalised address); stage 1 (:class:`InvitationDraw`) draws who
gets a letter (:class:`Invitation`, with a personal code); those who answer become
:class:`~app.events.models.Application` rows of the event, among whom the seat lottery
(stage 2, app/lottery) draws.

Personal columns carry ``info={"personal": True}``. Register data is used for this event only:
every person's row is deleted when the event's retention ends, and the non-answering invitees'
sooner (the answer window plus ``INVITATIONS_UNANSWERED_KEEP_DAYS``); see
:func:`app.invitations.services.purge_register`. What stays is pseudonymous: each person's
pseudonym and stratum in the draw's audit record, so the draw stays verifiable.
"""
from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.core.personal import PERSONAL, SECRET
from app.extensions import db



class ExtractState(str, enum.Enum):
    """uploaded (file held, mapping and preview) → importing (job) → imported; → purged (rows deleted)."""

    UPLOADED = "uploaded"
    IMPORTING = "importing"
    IMPORTED = "imported"
    PURGED = "purged"


EXTRACT_STATES = tuple(s.value for s in ExtractState)


class RegisterExtract(db.Model):
    """One file of the registration office for an event: its hash, the column mapping, the import.

    The uploaded file is held in :class:`RegisterUpload` only until the import ran (or was
    cancelled); the rows are then :class:`RegisterPerson` rows. An event has at most one
    extract that is not purged (the draw uses it).
    """

    __tablename__ = "register_extract"
    __table_args__ = (
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in EXTRACT_STATES) + ")", name="known_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ExtractState.UPLOADED.value)
    #: The uploaded file's name as the browser sent it (may name a place or a person: personal).
    filename: Mapped[str] = mapped_column(String(255), default="", info=PERSONAL)
    #: SHA-256 of the uploaded bytes: which file was imported, after the file is gone.
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(default=0)
    #: ``csv`` or ``xlsx``.
    file_format: Mapped[str] = mapped_column(String(10), default="csv")
    #: How the CSV was read: encoding (utf-8, utf-8-sig, cp1252, latin-1) and separator.
    encoding: Mapped[str | None] = mapped_column(String(20))
    delimiter: Mapped[str | None] = mapped_column(String(4))
    #: JSON: field name (given_name, family_name, ...) → column header of the file.
    mapping_json: Mapped[str] = mapped_column(Text, default="{}")
    #: Rows imported, rows skipped for errors, households formed.
    row_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    household_count: Mapped[int] = mapped_column(default=0)
    #: JSON: the first row errors of the import ({"row": n, "code": ..., "field": ...}), no personal data.
    errors_json: Mapped[str | None] = mapped_column(Text)
    #: The background job that imports it (app/jobs).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime | None]
    #: When the register rows are due for deletion at the latest (the event's retention end,
    #: fixed at import when the event has dates; None: follows the event).
    retain_until: Mapped[datetime | None]
    #: When the person rows were deleted (the row stays with its counts and hash).
    purged_at: Mapped[datetime | None]

    event = relationship("Event")
    upload: Mapped[RegisterUpload | None] = relationship(back_populates="extract", cascade="all, delete-orphan",
                                                         uselist=False)

    @property
    def mapping(self) -> dict[str, str]:
        return json.loads(self.mapping_json or "{}")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return json.loads(self.errors_json) if self.errors_json else []


class RegisterUpload(db.Model):
    """The uploaded bytes of an extract between upload and import (deleted by the import or on cancel)."""

    __tablename__ = "register_upload"

    extract_id: Mapped[int] = mapped_column(ForeignKey("register_extract.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, info=PERSONAL)

    extract: Mapped[RegisterExtract] = relationship(back_populates="upload")


class RegisterHousehold(db.Model):
    """The residents of one address (same normalised street, house number and postcode) in an extract."""

    __tablename__ = "register_household"
    __table_args__ = (UniqueConstraint("extract_id", "key"), UniqueConstraint("extract_id", "pseudonym"))

    id: Mapped[int] = mapped_column(primary_key=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("register_extract.id", ondelete="CASCADE"), index=True)
    #: Normalised "street|number|postcode" (``strasse`` for Str./Straße, lower case, single spaces,
    #: number suffix joined: "12 a" → "12a"): an address, so personal.
    key: Mapped[str] = mapped_column(String(300), info=PERSONAL)
    #: Random, public (in the draw's audit record), e.g. "H-7F3K2Q".
    pseudonym: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(default=0)


class RegisterPerson(db.Model):
    """One resident of a register extract. Every column but the pseudonym is personal."""

    __tablename__ = "register_person"
    __table_args__ = (UniqueConstraint("extract_id", "pseudonym"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    extract_id: Mapped[int] = mapped_column(ForeignKey("register_extract.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("register_household.id", ondelete="SET NULL"),
                                                     index=True)
    #: Random, public (in the draw's audit record), e.g. "R-7F3K2Q9A"; stays in the audit after deletion.
    pseudonym: Mapped[str] = mapped_column(String(16))
    #: Line of the file (1 = first data row), for error messages.
    row_number: Mapped[int] = mapped_column(default=0)
    given_name: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    family_name: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    #: Academic title ("Dr.").
    title: Mapped[str] = mapped_column(String(60), default="", info=PERSONAL)
    street: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    house_number: Mapped[str] = mapped_column(String(30), default="", info=PERSONAL)
    postcode: Mapped[str] = mapped_column(String(10), default="", info=PERSONAL)
    town: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    birth_year: Mapped[int | None] = mapped_column(info=PERSONAL)
    birth_date: Mapped[date | None] = mapped_column(info=PERSONAL)
    #: As the register has it (where the law allows it in the extract), e.g. "w", "m", "d".
    gender: Mapped[str] = mapped_column(String(20), default="", info=PERSONAL)
    district: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)

    household: Mapped[RegisterHousehold | None] = relationship()


class InvitationDrawState(str, enum.Enum):
    """planned → committed → drawn; committed or drawn may become superseded (with a reason)."""

    PLANNED = "planned"
    COMMITTED = "committed"
    DRAWN = "drawn"
    SUPERSEDED = "superseded"


INVITATION_DRAW_STATES = tuple(s.value for s in InvitationDrawState)


class InvitationDraw(db.Model):
    """Stage 1: who of the register gets a letter. Verifiable like the seat lottery.

    The plan (``plan_json``: letters, strata district × age band, proportional or oversampled
    with response rates, one per household) and the hash of the pseudonymised register
    (``register_sha256``) make the ``commitment`` published before the number is known; the
    public number (or server randomness) after it seeds the draw; ``record_json`` is the audit
    record (pseudonyms only) that ``flask lottery verify`` checks.
    """

    __tablename__ = "invitation_draw"
    __table_args__ = (
        UniqueConstraint("event_id", "attempt"),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in INVITATION_DRAW_STATES) + ")",
                        name="known_state"),
        CheckConstraint("letters >= 0", name="letters_not_negative"),
        Index("uq_invitation_draw_one_active_per_event", "event_id", unique=True,
              sqlite_where=sa.text("state != 'superseded'"), postgresql_where=sa.text("state != 'superseded'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    extract_id: Mapped[int | None] = mapped_column(ForeignKey("register_extract.id", ondelete="SET NULL"),
                                                   index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(20), default=InvitationDrawState.PLANNED.value)
    #: How many letters in total.
    letters: Mapped[int] = mapped_column(default=0)
    #: JSON: the stratum plan (see app/invitations/draw.py).
    plan_json: Mapped[str] = mapped_column(Text, default="{}")
    #: "public" (a number drawn in public, entered by an admin) or "server" (CSPRNG).
    number_source_kind: Mapped[str] = mapped_column(String(10), default="server")
    #: How the public value will be obtained, as committed.
    number_source: Mapped[str] = mapped_column(String(600), default="")
    algorithm_version: Mapped[str] = mapped_column(String(20), default="1")
    register_sha256: Mapped[str | None] = mapped_column(String(64))
    plan_sha256: Mapped[str | None] = mapped_column(String(64))
    commitment: Mapped[str | None] = mapped_column(String(64))
    #: The public value (or the server's random hex) that seeded the draw, once drawn.
    public_value: Mapped[str | None] = mapped_column(String(200))
    #: The audit record (JSON): pseudonymised register, plan, hashes; after the draw also the result.
    record_json: Mapped[str | None] = mapped_column(Text)
    #: Naive UTC: invitees answer until then (the letters say so).
    answer_deadline: Mapped[datetime | None]
    #: JSON: the city's letter (sender, sender_line, subject, body with placeholders, signature);
    #: None: the default letter (app/invitations/letters.py).
    letter_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_at: Mapped[datetime | None]
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None]
    supersede_reason: Mapped[str | None] = mapped_column(Text)

    event = relationship("Event")
    extract: Mapped[RegisterExtract | None] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(back_populates="draw", cascade="all, delete-orphan",
                                                         order_by="Invitation.pseudonym")

    @property
    def plan(self) -> dict[str, Any]:
        return json.loads(self.plan_json or "{}")

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.record_json) if self.record_json else {}

    @property
    def is_active(self) -> bool:
        return self.state != InvitationDrawState.SUPERSEDED.value


class InvitationState(str, enum.Enum):
    """invited → reminded → answered (answered may follow either)."""

    INVITED = "invited"
    REMINDED = "reminded"
    ANSWERED = "answered"


INVITATION_STATES = tuple(s.value for s in InvitationState)


class Invitation(db.Model):
    """A letter to one drawn resident, with a personal code; answered, it becomes an Application.

    Only a keyed hash of the code is stored (``code_hash``, HMAC-SHA256, for the lookup); the code
    itself is derived again for the letters and reminders from ``code_nonce`` and the server's
    key (:func:`app.invitations.codes.invitation_code`), so the database alone reveals no code.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("draw_id", "pseudonym"),
        CheckConstraint("state IN (" + ", ".join(f"'{s}'" for s in INVITATION_STATES) + ")", name="known_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("invitation_draw.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: None once the register row is deleted (the pseudonym and stratum stay).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("register_person.id", ondelete="SET NULL"), index=True)
    #: The register person's pseudonym (as in the audit record).
    pseudonym: Mapped[str] = mapped_column(String(16))
    #: The stratum the person was drawn in, e.g. "Mitte|30-44".
    stratum: Mapped[str] = mapped_column(String(200), default="")
    #: HMAC-SHA256 (hex) of the normalised code; unique across all events.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, info=SECRET)
    #: Random per invitation: with the server's key it gives the code back (letters, reminders).
    code_nonce: Mapped[str] = mapped_column(String(32), info=SECRET)
    state: Mapped[str] = mapped_column(String(20), default=InvitationState.INVITED.value, index=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    #: The application the answer created (stage 2).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"),
                                                       unique=True)

    draw: Mapped[InvitationDraw] = relationship(back_populates="invitations")
    person: Mapped[RegisterPerson | None] = relationship()
    application = relationship("Application")


class ReminderRun(db.Model):
    """One reminder run of a draw (the history; the invitations' ``reminded_at`` holds the last one each):
    when, by whom, for whom (not answered by a date, again or not), how many, and the answer deadline it
    set, if it set a new one (``previous_deadline`` the one before)."""

    __tablename__ = "invitation_reminder_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("invitation_draw.id", ondelete="CASCADE"), index=True)
    #: The run's moment: the ``reminded_at`` of its invitations.
    at: Mapped[datetime] = mapped_column(default=utcnow)
    not_answered_by: Mapped[date]
    again: Mapped[bool] = mapped_column(default=False)
    count: Mapped[int] = mapped_column(default=0)
    previous_deadline: Mapped[datetime | None]
    new_deadline: Mapped[datetime | None]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
