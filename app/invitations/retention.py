"""When register data goes (issue 17, data protection): found for the privacy purge by this
feature's privacy provider (app/invitations/privacy.py ``purge``).

- Every register row of an extract (persons, households, a file still held) when the event's
  retention ends (``retain_until``, else :func:`app.privacy.services.retention_ends_at`); the
  extract row stays with its counts and file hash, the draw's audit record with its pseudonyms.
- The register rows of invitees who did not answer when the draw's answer deadline plus
  ``INVITATIONS_UNANSWERED_KEEP_DAYS`` has passed (their invitation keeps pseudonym and stratum).
- A file uploaded but never imported, after a day.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.events.models import Event
from app.extensions import db
from app.invitations.models import (
    ExtractState,
    Invitation,
    InvitationDraw,
    InvitationDrawState,
    InvitationState,
    RegisterExtract,
    RegisterHousehold,
    RegisterPerson,
    RegisterUpload,
)
from app.privacy.services import PurgeReport, retention_ends_at

#: An uploaded extract that was never imported is dropped after this long.
ABANDONED_UPLOAD = timedelta(days=1)


def extract_retention_end(extract: RegisterExtract, event: Event) -> datetime | None:
    """When all register data of ``extract`` is due for deletion (None: the event has no date yet)."""
    ends = retention_ends_at(event)
    if extract.retain_until is not None and (ends is None or extract.retain_until < ends):
        return extract.retain_until
    return ends


def unanswered_deletion_at(draw: InvitationDraw) -> datetime | None:
    """When the register data of ``draw``'s invitees who did not answer is due for deletion."""
    if draw.answer_deadline is None:
        return None
    return draw.answer_deadline + timedelta(days=int(current_app.config["INVITATIONS_UNANSWERED_KEEP_DAYS"]))


def purge_register(report: PurgeReport) -> Callable[[], None] | None:
    """Find the register data whose time is over and note it in the report; return the function
    that removes it (the privacy provider's ``purge``, app/invitations/privacy.py), or None."""
    now, dry = report.now, report.dry_run
    extract_lines: list[str] = []
    extracts: list[RegisterExtract] = []
    for extract, event in db.session.execute(
        sa.select(RegisterExtract, Event).join(Event, Event.id == RegisterExtract.event_id)
        .where(RegisterExtract.state != ExtractState.PURGED.value).order_by(RegisterExtract.id)
    ).all():
        ends = extract_retention_end(extract, event)
        abandoned = extract.state == ExtractState.UPLOADED.value and extract.uploaded_at + ABANDONED_UPLOAD <= now
        if not (abandoned or (ends is not None and ends <= now)):
            continue
        persons = _count(sa.select(sa.func.count()).select_from(RegisterPerson)
                         .where(RegisterPerson.extract_id == extract.id))
        extract_lines.append((_("register extract %(id)d: would delete its %(num)d residents") if dry
                              else _("register extract %(id)d: delete its %(num)d residents"))
                             % {"id": extract.id, "num": persons})
        extracts.append(extract)
    report.add_part("register_extracts", len(extract_lines), extract_lines)

    unanswered: list[int] = []
    draw_lines: list[str] = []
    for draw in db.session.execute(
        sa.select(InvitationDraw).where(InvitationDraw.state == InvitationDrawState.DRAWN.value,
                                        InvitationDraw.answer_deadline.is_not(None)).order_by(InvitationDraw.id)
    ).scalars():
        due = unanswered_deletion_at(draw)
        if due is None or due > now:
            continue
        person_ids = list(db.session.execute(
            sa.select(Invitation.person_id).where(Invitation.draw_id == draw.id, Invitation.person_id.is_not(None),
                                                  Invitation.state != InvitationState.ANSWERED.value)
        ).scalars())
        if not person_ids:
            continue
        unanswered += person_ids
        draw_lines.append((ngettext("invitation draw %(id)d: would delete the register data of %(num)d invitee "
                                    "who did not answer",
                                    "invitation draw %(id)d: would delete the register data of %(num)d invitees "
                                    "who did not answer", len(person_ids), id=draw.id) if dry
                           else ngettext("invitation draw %(id)d: delete the register data of %(num)d invitee "
                                         "who did not answer",
                                         "invitation draw %(id)d: delete the register data of %(num)d invitees "
                                         "who did not answer", len(person_ids), id=draw.id)))
    report.add_part("register_unanswered_invitees", len(unanswered), draw_lines)
    if not (extracts or unanswered):
        return None

    def remove() -> None:
        for extract in extracts:
            delete_register_rows(extract, now)
        if unanswered:
            db.session.execute(sa.update(Invitation).where(Invitation.person_id.in_(unanswered))
                               .values(person_id=None))
            db.session.execute(sa.delete(RegisterPerson).where(RegisterPerson.id.in_(unanswered)))
        db.session.flush()
    return remove


def delete_register_rows(extract: RegisterExtract, now: datetime) -> None:
    """Delete every person, household and held file of ``extract``; the extract row stays (counts, hash)."""
    person_ids = sa.select(RegisterPerson.id).where(RegisterPerson.extract_id == extract.id)
    db.session.execute(sa.update(Invitation).where(Invitation.person_id.in_(person_ids)).values(person_id=None))
    db.session.execute(sa.delete(RegisterPerson).where(RegisterPerson.extract_id == extract.id))
    db.session.execute(sa.delete(RegisterHousehold).where(RegisterHousehold.extract_id == extract.id))
    db.session.execute(sa.delete(RegisterUpload).where(RegisterUpload.extract_id == extract.id))
    db.session.expire(extract, ["upload"])
    extract.state = ExtractState.PURGED.value
    extract.purged_at = now
    extract.filename = ""
    db.session.flush()


def _count(query) -> int:
    return int(db.session.execute(query).scalar_one())
