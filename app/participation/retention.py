"""When online participants' personal data goes (issue 18, data protection): found for the
privacy purge (``flask privacy purge``) by this feature's privacy provider
(app/participation/privacy.py ``purge``).

- A participant who never confirmed the address: deleted after ``PRIVACY_UNCONFIRMED_DAYS`` (7),
  as an unconfirmed application is (they cannot have contributed).
- Everyone else of a process once the process's retention is over (:func:`retention_ends_at`:
  the latest of its events' retention ends and of the closing of their online phases plus the
  event's "keep personal data for" days): name and address erased, the link voided, the follows
  deleted (nobody is left to mail), the mails to the address deleted. The row stays
  (``anonymised_at``) with the supports, so the results keep adding up; ideas and comments stay,
  without a name, as after an erasure by the participant.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.core import tokens
from app.core.privacy import mails_to
from app.events.models import Application, Event, Process
from app.extensions import db
from app.participation.models import Follow, OnlinePhase, Participant
from app.privacy.services import PurgeReport
from app.privacy.services import retention_ends_at as event_retention_ends_at


def retention_ends_at(process: Process) -> datetime | None:
    """When the participants' personal data of ``process`` is due for deletion: the latest of its
    events' retention ends and of each enabled online phase's closing plus its event's retention
    days. None while any of these has no date yet (or the process has no event)."""
    events = db.session.execute(sa.select(Event).where(Event.process_id == process.id)).scalars().all()
    if not events:
        return None
    ends: list[datetime] = []
    for event in events:
        end = event_retention_ends_at(event)
        if end is None:
            return None
        ends.append(end)
        for phase in db.session.execute(sa.select(OnlinePhase).where(OnlinePhase.event_id == event.id,
                                                                     OnlinePhase.enabled.is_(True))).scalars():
            if phase.closes_at is None:
                return None
            ends.append(phase.closes_at + timedelta(days=event.retention_days))
    return max(ends)


def purge_participants(report: PurgeReport) -> Callable[[], None] | None:
    """Find the participants' data whose time is over and note it in the report; return the
    function that removes it, or None."""
    now, dry = report.now, report.dry_run
    cutoff = now - timedelta(days=int(current_app.config["PRIVACY_UNCONFIRMED_DAYS"]))
    unconfirmed = db.session.execute(
        sa.select(Participant).where(Participant.confirmed_at.is_(None), Participant.anonymised_at.is_(None),
                                     Participant.created_at < cutoff).order_by(Participant.id)).scalars().all()
    over: list[Participant] = []
    for process in db.session.execute(
            sa.select(Process).where(sa.exists().where(Participant.process_id == Process.id,
                                                       Participant.anonymised_at.is_(None)))
            .order_by(Process.id)).scalars():
        ends = retention_ends_at(process)
        if ends is not None and ends <= now:
            over += db.session.execute(
                sa.select(Participant).where(Participant.process_id == process.id,
                                             Participant.anonymised_at.is_(None),
                                             Participant.confirmed_at.is_not(None)).order_by(Participant.id)
            ).scalars().all()
    leaving = [*unconfirmed, *over]
    mails = [m for m in _mails_of(leaving) if m.id not in report.mails]  # not those the applicants' part takes
    report.add_part("participants_deleted", len(unconfirmed), [
        (_("participant %(id)d: would delete (email never confirmed)") if dry
         else _("participant %(id)d: delete (email never confirmed)")) % {"id": p.id} for p in unconfirmed])
    report.add_part("participants_anonymised", len(over), [
        (_("participant %(id)d: would erase name and email (retention period over)") if dry
         else _("participant %(id)d: erase name and email (retention period over)")) % {"id": p.id} for p in over])
    report.add_part("participant_mails", len(mails), [
        (_("outbox mail %(id)d: would delete") if dry else _("outbox mail %(id)d: delete")) % {"id": m.id}
        for m in mails])
    if not (leaving or mails):
        return None

    def remove() -> None:
        for mail in mails:
            db.session.delete(mail)
        for participant in unconfirmed:
            db.session.delete(participant)
        for participant in over:
            anonymise(participant, now)
        db.session.flush()
    return remove


def anonymise(participant: Participant, now: datetime) -> None:
    """Erase the participant's name and address and void their link; their follows go."""
    db.session.execute(sa.delete(Follow).where(Follow.participant_id == participant.id))
    participant.display_name = ""
    participant.show_name_publicly = False
    participant.email = None
    participant.token_hash = tokens.hash_token(tokens.new_token())  # nobody knows it: every link is void
    participant.anonymised_at = now


def _mails_of(leaving: list[Participant]):
    """The outbox mails to the leaving participants' addresses, except unsent ones to an address
    that a live application or another live participation still uses."""
    emails = {p.email for p in leaving if p.email}
    if not emails:
        return []
    ids = [p.id for p in leaving]
    still_used = set(db.session.execute(sa.select(Application.email).where(
        Application.email.in_(emails), Application.anonymised_at.is_(None))).scalars())
    still_used |= set(db.session.execute(sa.select(Participant.email).where(
        Participant.email.in_(emails), Participant.id.not_in(ids), Participant.anonymised_at.is_(None))).scalars())
    return mails_to(emails, still_used)
