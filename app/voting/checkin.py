"""Check-in at the door, the attendance counts and the badge list; the ``attendance`` receiver."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts.models import User
from app.audit.services import log_action
from app.core.models import utcnow
from app.events.models import Application, ApplicationStatus, Event
from app.extensions import db
from app.voting.models import Channel, Ticket
from app.voting.rules import check_ticket
from app.voting.tickets import find_ticket


def check_in(event: Event, raw_code: object, *, user: User | None = None) -> tuple[Ticket, bool]:
    """Check a participant in; checking in twice changes nothing.

    :return: the ticket and whether this call checked it in (False: already checked in).
    :raises VotingError: as :func:`app.voting.tickets.find_ticket`.
    """
    ticket = find_ticket(event, raw_code)
    table = Ticket.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == ticket.id, table.c.checked_in_at.is_(None),
                               table.c.revoked_at.is_(None))
        .values(checked_in_at=utcnow(), checked_in_by_id=user.id if user is not None else None))
    db.session.refresh(ticket)
    check_ticket(ticket)  # revoked between the lookup and the update
    newly = result.rowcount == 1
    if newly:
        log_action("voting.check_in", ticket, after={"checked_in_at": ticket.checked_in_at})
    return ticket, newly


def attended_applications(event: Event) -> set[int]:
    """Receiver of ``attendance``: the applications whose ticket was checked in at ``event`` (one query)."""
    return set(db.session.execute(
        sa.select(Ticket.application_id).where(Ticket.event_id == event.id, Ticket.checked_in_at.is_not(None),
                                               Ticket.application_id.is_not(None))).scalars())


@dataclass
class Attendance:
    confirmed: int
    tickets: int
    checked_in: int
    walk_ins: int
    revoked: int = 0


def attendance(event: Event) -> Attendance:
    """Confirmed participants, valid tickets, and how many of those are checked in (one query each).

    Revoked tickets count only in ``revoked`` (the results still count a revoked ticket that
    was checked in as attended: the person was there).
    """
    confirmed = db.session.execute(
        sa.select(sa.func.count(Application.id)).where(
            Application.event_id == event.id, Application.status == ApplicationStatus.CONFIRMED.value)
    ).scalar_one()
    row = db.session.execute(
        sa.select(sa.func.count(Ticket.id).filter(Ticket.revoked_at.is_(None)),
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None), Ticket.revoked_at.is_(None)),
                  sa.func.count(Ticket.id).filter(Ticket.kind == "walk_in", Ticket.revoked_at.is_(None)),
                  sa.func.count(Ticket.id).filter(Ticket.revoked_at.is_not(None)))
        .where(Ticket.event_id == event.id, Ticket.channel == Channel.ROOM.value)).one()
    return Attendance(confirmed=confirmed, tickets=row[0], checked_in=row[1], walk_ins=row[2], revoked=row[3])


def tickets_for_badges(event: Event) -> list[Ticket]:
    return list(db.session.execute(
        sa.select(Ticket).outerjoin(Application, Application.id == Ticket.application_id)
        .where(Ticket.event_id == event.id, Ticket.channel == Channel.ROOM.value)
        .order_by(Ticket.revoked_at.is_not(None), sa.func.coalesce(Application.name, Ticket.holder_name, ""),
                  Ticket.id)).scalars())
