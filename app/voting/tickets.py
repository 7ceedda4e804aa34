"""Tickets: issued for a confirmed seat (the signal ``seat_confirmed``) or at the door, revoked
when the seat is given back (``seat_released``), found by their code.

A ticket of an application is valid only while the application holds its seat as
confirmed: giving the seat back (decline, withdraw, erase, a superseded draw, removal
by staff) sends the signal ``seat_released``, whose receiver :func:`on_seat_released` calls
:func:`revoke_ticket_for_application`, which sets ``Ticket.revoked_at``
in the same transaction; :func:`app.voting.rules.check_ticket` is the one place that refuses
such a ticket (``ticket_revoked``). The dot ``INSERT`` repeats the check in its ``WHERE``, and
the revoke fences off dot writers like the close does, so no dot is stored once the
revoke has committed.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.accounts.models import User
from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Application, ApplicationStatus, Event
from app.extensions import db
from app.voting.base import VotingError, fence_dot_writers, insert_on_conflict, settings_for
from app.voting.codes import new_code, normalise_code
from app.voting.models import Channel, Ticket
from app.voting.rules import check_ticket
from app.voting.ticket_mail import send_ticket_mail

MAX_NAME_LENGTH = 200

#: Why a ticket was revoked (``Ticket.revoke_reason``).
REVOKE_REASONS = ("declined", "withdrawn", "erased", "superseded", "removed")


def issue_ticket(event: Event, *, application: Application | None = None, kind: str = "participant",
                 channel: str = Channel.ROOM.value, holder_name: str | None = None,
                 user: User | None = None) -> Ticket:
    """A new ticket with a fresh random code that is unique within the event.

    For an application that already has a ticket (also one issued concurrently), that ticket.
    """
    return _issue(event, application=application, kind=kind, channel=channel, holder_name=holder_name,
                  user=user)[0]


def _issue(event: Event, *, application: Application | None, kind: str = "participant",
           channel: str = Channel.ROOM.value, holder_name: str | None = None,
           user: User | None = None) -> tuple[Ticket, bool]:
    table = Ticket.__table__
    for _attempt in range(20):
        stmt = insert_on_conflict(table).values(
            event_id=event.id, code=new_code(), application_id=application.id if application else None,
            kind=kind, channel=channel, holder_name=holder_name, receipt_salt=secrets.token_hex(16),
            issued_at=utcnow(), issued_by_id=user.id if user is not None else None,
        ).on_conflict_do_nothing().returning(table.c.id)
        ticket_id = db.session.execute(stmt).scalar()
        if ticket_id is not None:
            return db.session.get(Ticket, ticket_id), True
        if application is not None:
            existing = ticket_of(application)
            if existing is not None:
                return existing, False
    raise VotingError(_l("No free ticket code was found; please try again."), "no_code")  # pragma: no cover


def ticket_of(application: Application) -> Ticket | None:
    return db.session.execute(sa.select(Ticket).where(Ticket.application_id == application.id)).scalar_one_or_none()


def issue_ticket_for_application(application: Application, *, user: User | None = None,
                                 send_mail: bool = True) -> Ticket:
    """The ticket of a participant who confirmed a seat (the signal ``seat_confirmed``, :func:`on_seat_confirmed`).

    Idempotent: a second call returns the existing ticket and sends no second mail.
    Call it in the same transaction that sets ``status = "confirmed"`` (it flushes,
    the caller commits); the ticket mail goes to the outbox in that transaction.

    :raises VotingError: ``not_confirmed`` if the application is not confirmed.
    """
    if application.status != ApplicationStatus.CONFIRMED.value:
        raise VotingError(_l("Only confirmed participants get a ticket."), "not_confirmed")
    existing = ticket_of(application)
    if existing is not None and existing.revoked_at is not None:
        _reinstate(existing, user=user)
        if send_mail and application.email:
            send_ticket_mail(existing)
        return existing
    if existing is not None:
        return existing
    ticket, created = _issue(application.event, application=application, user=user)
    if created and send_mail and application.email:
        send_ticket_mail(ticket)
    return ticket


def issue_tickets_for_event(event: Event, *, user: User | None = None) -> int:
    """Tickets (and their mails) for every confirmed application of ``event`` without a valid one.

    :return: how many tickets were issued (a revoked ticket given a new code counts as issued).
    """
    applications = db.session.execute(
        sa.select(Application, Ticket).outerjoin(Ticket, Ticket.application_id == Application.id)
        .where(Application.event_id == event.id, Application.status == ApplicationStatus.CONFIRMED.value,
               sa.or_(Ticket.id.is_(None), Ticket.revoked_at.is_not(None))).order_by(Application.id)).all()
    issued = 0
    for application, revoked in applications:
        if revoked is not None:
            _reinstate(revoked, user=user)
            _ticket, created = revoked, True
        else:
            _ticket, created = _issue(event, application=application, user=user)
        if created:
            send_ticket_mail(_ticket)
            issued += 1
    log_action("voting.tickets_issue", event, after={"issued": issued})
    return issued


def _reinstate(ticket: Ticket, *, user: User | None = None) -> None:
    """A revoked ticket whose application holds a confirmed seat again (a new draw after a
    superseded one): the same row with a fresh code, so the old code (and any browser that
    entered it) stays invalid, and the dots it gave earlier still count against its N."""
    table = Ticket.__table__
    for _attempt in range(20):
        code = new_code()
        clash = db.session.execute(sa.select(table.c.id).where(
            table.c.event_id == ticket.event_id, table.c.code == code)).first()
        if clash is None:
            break
    else:  # pragma: no cover
        raise VotingError(_l("No free ticket code was found; please try again."), "no_code")
    before = {"revoked_at": ticket.revoked_at, "revoke_reason": ticket.revoke_reason}
    ticket.code = code
    ticket.revoked_at = None
    ticket.revoke_reason = None
    ticket.issued_at = utcnow()
    ticket.issued_by_id = user.id if user is not None else None
    db.session.flush()
    log_action("voting.ticket_reissue", ticket, before=before, after={"revoked_at": None})


def revoke_ticket_for_application(application: Application, reason: str) -> Ticket | None:
    """A seat was taken back from ``application`` (the signal ``seat_released``): its ticket stops working.

    Call it in the transaction that changes the application (it flushes, the caller
    commits). Dots the ticket gave before stay counted: the vote happened while the
    person held the seat. Idempotent; without a ticket it does nothing.

    On PostgreSQL it first waits for dot writers in flight and holds new ones until the
    commit (:func:`app.voting.base.fence_dot_writers`), so a dot is either stored before the
    revoke or refused by the ``WHERE`` of the dot ``INSERT``; on SQLite the revoking
    transaction holds the write lock, with the same effect.

    :return: the (revoked) ticket, or None.
    """
    if reason not in REVOKE_REASONS:
        raise ValueError(f"unknown revoke reason {reason!r}")
    ticket = ticket_of(application)
    if ticket is None or ticket.revoked_at is not None:
        return ticket
    fence_dot_writers()
    ticket.revoked_at = utcnow()
    ticket.revoke_reason = reason
    db.session.flush()
    log_action("voting.ticket_revoke", ticket, before={"revoked_at": None},
               after={"revoked_at": ticket.revoked_at, "reason": reason})
    return ticket


def on_seat_confirmed(application: Application, **_kwargs) -> None:
    """Receiver of ``seat_confirmed``: the participant's ticket (mailed through the outbox)."""
    issue_ticket_for_application(application)


def on_seat_released(application: Application, *, reason: str, **_kwargs) -> None:
    """Receiver of ``seat_released``: the ticket of a seat given back stops working."""
    revoke_ticket_for_application(application, reason)


def issue_walk_in(event: Event, holder_name: object = "", *, user: User | None = None) -> Ticket:
    """A ticket at the door, if the admin allows walk-ins for this event.

    :raises VotingError: ``walk_ins_off``, ``bad_name``.
    """
    if not settings_for(event).walk_ins_allowed:
        raise VotingError(_l("Tickets at the door are not allowed for this event."), "walk_ins_off")
    name = clean_text(holder_name) if isinstance(holder_name, str) else ""
    if len(name) > MAX_NAME_LENGTH:
        raise VotingError(lazy_ngettext("The name is too long (at most %(num)d character).",
                                        "The name is too long (at most %(num)d characters).", MAX_NAME_LENGTH), "bad_name")
    ticket = issue_ticket(event, kind="walk_in", holder_name=name or None, user=user)
    ticket.checked_in_at = utcnow()
    ticket.checked_in_by_id = user.id if user is not None else None
    db.session.flush()
    log_action("voting.walk_in", ticket, after={"kind": ticket.kind, "with_name": bool(name)})
    return ticket


def find_ticket(event: Event, raw_code: object) -> Ticket:
    """The ticket of ``event`` with the typed or scanned code.

    Only the event's own tickets are looked at: a guess has the chances of one event's codes,
    not of every event's, and another event's code answers exactly like a wrong one (it names
    no other event).

    :raises VotingError: ``bad_code`` (cannot be a code), ``unknown_code``, ``ticket_revoked``.
    """
    code = normalise_code(raw_code)
    if code is None:
        raise VotingError(_l("A ticket code has 8 letters and digits, for example ABCD-EFGH."), "bad_code")
    ticket = db.session.execute(
        sa.select(Ticket).where(Ticket.event_id == event.id, Ticket.code == code)).scalar_one_or_none()
    if ticket is not None:
        return check_ticket(ticket)
    raise VotingError(_l("There is no ticket with this code for this event. Please check the code."),
                      "unknown_code")
