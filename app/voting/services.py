"""Tickets, check-in and dot voting: the rules.

Services flush; the request commits. Dots are written with single ``INSERT ...
SELECT ... WHERE <voting is open> ON CONFLICT DO NOTHING`` statements that take
the lowest free slot of the ticket (see :mod:`app.voting.models`): a concurrent
request that took the same slot makes ours insert nothing, and we try the next
slot; when none is free the ticket has no dots left. Closing the vote fences off
dot writers (see :func:`_fence_dot_writers`), so the totals stored at close contain
every accepted dot and no dot is accepted after them.

A ticket of an application is valid only while the application holds its seat as
confirmed: giving the seat back (decline, withdraw, erase, a superseded draw, removal
by staff) sends the signal ``seat_released``, whose receiver :func:`on_seat_released` calls
:func:`revoke_ticket_for_application`, which sets ``Ticket.revoked_at``
in the same transaction; :func:`check_ticket` is the one place that refuses such a
ticket (``ticket_revoked``). The dot ``INSERT`` repeats the check in its ``WHERE``, and
the revoke fences off dot writers like the close does, so no dot is stored once the
revoke has committed.
"""
from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.audit.services import diff, log_action, snapshot
from app.core.domain import DomainError
from app.accounts.models import User
from app.core.mail import Attachment, queue_templated_mail
from app.core.models import utcnow
from app.core.text import clean_text
from app.core.urls import absolute_url
from app.events.calendar import event_attachments
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.merge_groups import VISIBLE_STATUSES
from app.ideas.models import Idea, IdeaStatus, Stand
from app.voting.codes import format_code, new_code, normalise_code, qr_png, qr_svg
from app.voting.models import (
    MAX_DOTS, BoardCount, BoardCountLog, Channel, Dot, DotScope, Receipt, TallySnapshot, Ticket,
    VotingSettings, VotingState, idea_cap,
)

MAX_BOARD_COUNT = 100_000
MAX_NAME_LENGTH = 200
RECEIPT_VERSION = "ideenmarkt-receipt-v1"


class VotingError(DomainError):
    """A rule of voting was broken; ``code`` is stable for tests, ``message`` translatable."""

    def __init__(self, message, code: str):
        super().__init__(code, message)


# -- dialect helpers ------------------------------------------------------------------------


def _insert(table):
    """``INSERT`` with ``ON CONFLICT`` support for the database in use."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


# -- settings and state ---------------------------------------------------------------------


def settings_for(event: Event) -> VotingSettings:
    """The event's voting settings; an unsaved default if none were stored yet."""
    settings = db.session.execute(
        sa.select(VotingSettings).where(VotingSettings.event_id == event.id)).scalar_one_or_none()
    return settings or VotingSettings(event_id=event.id, dots_per_ticket=5, max_per_idea=None,
                                      scope=DotScope.EVENT.value, state=VotingState.NOT_OPEN.value,
                                      walk_ins_allowed=False, online_enabled=False)


def ensure_settings(event: Event) -> VotingSettings:
    """The stored settings row of ``event``, created if missing (safe against a concurrent create)."""
    db.session.execute(_insert(VotingSettings.__table__).values(
        event_id=event.id, dots_per_ticket=5, scope=DotScope.EVENT.value, state=VotingState.NOT_OPEN.value,
        walk_ins_allowed=False, online_enabled=False, updated_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["event_id"]))
    return db.session.execute(
        sa.select(VotingSettings).where(VotingSettings.event_id == event.id)
        .execution_options(populate_existing=True)).scalar_one()


def _locked_settings(event_id: int, *, exclusive: bool = False) -> VotingSettings | None:
    """The settings row; with ``exclusive`` locked on PostgreSQL (open and close)."""
    stmt = sa.select(VotingSettings).where(VotingSettings.event_id == event_id)
    if exclusive and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()


def _fence_dot_writers() -> None:
    """PostgreSQL: wait for every transaction that is writing dots, and hold new ones until commit.

    ``SHARE`` mode conflicts with the ``ROW EXCLUSIVE`` lock each dot ``INSERT``/``DELETE``
    takes until its transaction ends, so the totals read after this contain every dot
    accepted before the close; a dot statement that waited re-reads the (now closed)
    state in its ``WHERE <voting is open>`` and inserts nothing. (SQLite: the closing
    transaction is the only writer anyway.) Closing is rare and quick, so briefly
    holding votes of other events is fine.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE dot IN SHARE MODE"))


def _has_dots(event: Event) -> bool:
    return db.session.execute(sa.select(Dot.id).where(Dot.event_id == event.id).limit(1)).first() is not None


def update_settings(event: Event, *, dots_per_ticket: int, max_per_idea: int | None, scope: str,
                    walk_ins_allowed: bool, online_enabled: bool = False,
                    online_opens_at: datetime | None = None, online_closes_at: datetime | None = None,
                    user: User | None = None) -> VotingSettings:
    """Change the rules. The dot limits are fixed once voting is open or any dot was given.

    :raises VotingError: ``bad_settings``, ``settings_locked``.
    """
    if not isinstance(dots_per_ticket, int) or not 1 <= dots_per_ticket <= MAX_DOTS:
        raise VotingError(_l("Dots per participant must be between 1 and %(max)d.", max=MAX_DOTS), "bad_settings")
    if max_per_idea is not None and (not isinstance(max_per_idea, int) or not 1 <= max_per_idea <= dots_per_ticket):
        raise VotingError(_l("The maximum per idea must be between 1 and the dots per participant."),
                          "bad_settings")
    if scope not in (DotScope.EVENT.value, DotScope.STAND.value):
        raise VotingError(_l("Unknown scope of the dots."), "bad_settings")
    if online_enabled and online_opens_at and online_closes_at and online_closes_at <= online_opens_at:
        raise VotingError(_l("Online voting must end after it starts."), "bad_settings")
    settings = ensure_settings(event)
    limits_change = (settings.dots_per_ticket, settings.max_per_idea, settings.scope) != (
        dots_per_ticket, max_per_idea, scope)
    if limits_change and (settings.state == VotingState.OPEN.value or _has_dots(event)):
        raise VotingError(_l("The dot limits cannot change while voting is open or after dots were given."),
                          "settings_locked")
    before = snapshot(settings, exclude=("updated_by_id",))
    settings.dots_per_ticket = dots_per_ticket
    settings.max_per_idea = max_per_idea
    settings.scope = scope
    settings.walk_ins_allowed = bool(walk_ins_allowed)
    settings.online_enabled = bool(online_enabled)
    settings.online_opens_at = online_opens_at
    settings.online_closes_at = online_closes_at
    settings.updated_by_id = user.id if user is not None else None
    settings.updated_at = utcnow()
    db.session.flush()
    log_action("voting.settings", settings, **diff(before, settings))
    return settings


def open_voting(event: Event, user: User | None = None) -> VotingSettings:
    """Open (or re-open) voting; a re-open withdraws the totals and receipts published at close.

    :raises VotingError: ``already_open``.
    """
    ensure_settings(event)
    settings = _locked_settings(event.id, exclusive=True)
    assert settings is not None
    if settings.state == VotingState.OPEN.value:
        raise VotingError(_l("Voting is already open."), "already_open")
    db.session.execute(sa.delete(TallySnapshot).where(TallySnapshot.event_id == event.id))
    db.session.execute(sa.delete(Receipt).where(Receipt.event_id == event.id))
    before = settings.state
    settings.state = VotingState.OPEN.value
    settings.opened_at = utcnow()
    settings.closed_at = None
    settings.updated_by_id = user.id if user is not None else None
    db.session.flush()
    log_action("voting.open", settings, before={"state": before}, after={"state": settings.state})
    return settings


def close_voting(event: Event, user: User | None = None) -> VotingSettings:
    """Close voting and publish: store the totals per idea and channel and every voter's receipt.

    The exclusive lock (PostgreSQL) waits for votes in flight; on SQLite the
    closing transaction is the only writer. Either way the snapshot holds every
    accepted dot and no dot is accepted after it.

    :raises VotingError: ``not_open``.
    """
    settings = _locked_settings(event.id, exclusive=True)
    if settings is None or settings.state != VotingState.OPEN.value:
        raise VotingError(_l("Voting is not open."), "not_open")
    _fence_dot_writers()
    settings.state = VotingState.CLOSED.value
    settings.closed_at = utcnow()
    settings.updated_by_id = user.id if user is not None else None
    db.session.flush()
    db.session.execute(sa.delete(TallySnapshot).where(TallySnapshot.event_id == event.id))
    db.session.execute(sa.delete(Receipt).where(Receipt.event_id == event.id))
    db.session.execute(sa.insert(TallySnapshot).from_select(
        ["event_id", "idea_id", "channel", "dots"],
        sa.select(Dot.event_id, Dot.idea_id, Dot.channel, sa.func.count(Dot.id))
        .where(Dot.event_id == event.id).group_by(Dot.event_id, Dot.idea_id, Dot.channel)))
    rows = [{"event_id": event.id, "digest": digest, "dots": n} for digest, n in _receipts_from_dots(event.id)]
    if rows:
        db.session.execute(sa.insert(Receipt), rows)
    db.session.flush()
    log_action("voting.close", settings, before={"state": VotingState.OPEN.value},
               after={"state": settings.state, "receipts": len(rows)})
    return settings


def voting_state(event: Event) -> str:
    return settings_for(event).state


# -- tickets ------------------------------------------------------------------------------------


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
        stmt = _insert(table).values(
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


#: Why a ticket was revoked (``Ticket.revoke_reason``).
REVOKE_REASONS = ("declined", "withdrawn", "erased", "superseded", "removed")


def revoke_ticket_for_application(application: Application, reason: str) -> Ticket | None:
    """A seat was taken back from ``application`` (the signal ``seat_released``): its ticket stops working.

    Call it in the transaction that changes the application (it flushes, the caller
    commits). Dots the ticket gave before stay counted: the vote happened while the
    person held the seat. Idempotent; without a ticket it does nothing.

    On PostgreSQL it first waits for dot writers in flight and holds new ones until the
    commit (:func:`_fence_dot_writers`), so a dot is either stored before the revoke or
    refused by the ``WHERE`` of the dot ``INSERT``; on SQLite the revoking transaction
    holds the write lock, with the same effect.

    :return: the (revoked) ticket, or None.
    """
    if reason not in REVOKE_REASONS:
        raise ValueError(f"unknown revoke reason {reason!r}")
    ticket = ticket_of(application)
    if ticket is None or ticket.revoked_at is not None:
        return ticket
    _fence_dot_writers()
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


def attended_applications(event: Event) -> set[int]:
    """Receiver of ``attendance``: the applications whose ticket was checked in at ``event`` (one query)."""
    return set(db.session.execute(
        sa.select(Ticket.application_id).where(Ticket.event_id == event.id, Ticket.checked_in_at.is_not(None),
                                               Ticket.application_id.is_not(None))).scalars())


TICKET_REVOKED = _l("This ticket is no longer valid: the seat was declined or given back.")


def check_ticket(ticket: Ticket) -> Ticket:
    """The rule in one place: a revoked ticket opens no ballot, checks nobody in and gives no dot.

    Walk-in tickets (no application) are never revoked.

    :raises VotingError: ``ticket_revoked``.
    """
    if ticket.revoked_at is not None:
        raise VotingError(TICKET_REVOKED, "ticket_revoked")
    return ticket


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


def ticket_url(ticket: Ticket) -> str:
    """The URL in the QR code: opens the voting page with this ticket (then drops the code from the URL)."""
    return absolute_url("voting.ticket_link", event_id=ticket.event_id, code=ticket.code)


def ticket_qr(ticket: Ticket, label: str = "") -> str:
    return qr_svg(ticket_url(ticket), label)


def ticket_qr_filename(ticket: Ticket) -> str:
    return f"ticket-{format_code(ticket.code)}.png"


def send_ticket_mail(ticket: Ticket) -> None:
    """Queue the ticket mail in the participant's language: code, link, date and place, the QR
    code as a PNG attachment (mail clients strip inline SVG) and the event's calendar file."""
    application = ticket.application
    if application is None or not application.email:
        return
    context = {"ticket": ticket, "event": ticket.event, "application": application,
               "code": format_code(ticket.code), "url": ticket_url(ticket),
               "vote_url": absolute_url("voting.vote", event_id=ticket.event_id),
               "qr_filename": ticket_qr_filename(ticket)}
    qr = Attachment(context["qr_filename"], "image/png", qr_png(context["url"]))
    queue_templated_mail(application.email, application.language,
                         _l("Your ticket: %(title)s", title=ticket.event.title), "voting/mail/ticket", context,
                         localised=lambda: {"qr": ticket_qr(ticket, _("QR code of your ticket"))},
                         attachments=[qr, *event_attachments(ticket.event)])


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


def check_in(event: Event, raw_code: object, *, user: User | None = None) -> tuple[Ticket, bool]:
    """Check a participant in; checking in twice changes nothing.

    :return: the ticket and whether this call checked it in (False: already checked in).
    :raises VotingError: as :func:`find_ticket`.
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


# -- ideas and merges (the rules: app/ideas/merge_groups.py) ----------------------------------------


def _parse_idea_id(idea_id: object) -> int | None:
    """``idea_id`` from a form or JSON as a database id, or None."""
    if isinstance(idea_id, str) and idea_id.strip().isdigit() and len(idea_id.strip()) < 12:
        idea_id = int(idea_id.strip())
    if not isinstance(idea_id, int) or isinstance(idea_id, bool) or not 0 < idea_id < 2**31:
        return None
    return idea_id


def _votable_idea(ticket: Ticket, idea_id: object) -> Idea:
    """The idea a dot for ``idea_id`` goes to: the idea, or the survivor it was merged into."""
    idea_id = _parse_idea_id(idea_id)
    if idea_id is None:
        raise VotingError(_l("Please choose an idea."), "unknown_idea")
    row = db.session.execute(
        sa.select(Idea, Stand.event_id).join(Stand, Stand.id == Idea.stand_id).where(Idea.id == idea_id)
        .options(sa.orm.lazyload(Idea.tags))).first()
    if row is None:
        raise VotingError(_l("This idea does not exist."), "unknown_idea")
    idea, event_id = row
    root = idea
    if idea.merged_into_id is not None:
        root = merge_groups.root_of(idea)
        event_id = root.stand.event_id
    if event_id != ticket.event_id:
        raise VotingError(_l("This idea does not belong to this event."), "unknown_idea")
    if idea.status == IdeaStatus.HIDDEN.value or not root.is_visible:
        raise VotingError(_l("This idea was removed by the moderators and cannot receive dots."), "hidden_idea")
    return root


def _check_open(settings: VotingSettings | None, ticket: Ticket, now: datetime | None = None) -> VotingSettings:
    check_ticket(ticket)
    if settings is None or settings.state == VotingState.NOT_OPEN.value:
        raise VotingError(_l("Voting has not started yet."), "not_open")
    if settings.state == VotingState.CLOSED.value:
        raise VotingError(_l("Voting is closed. Your dots were counted as they are."), "closed")
    if ticket.channel == Channel.ONLINE.value:
        now = now or utcnow()
        if not settings.online_enabled or (settings.online_opens_at and now < settings.online_opens_at) or (
                settings.online_closes_at and now >= settings.online_closes_at):
            raise VotingError(_l("Online voting is not open."), "closed")
    return settings


def _fresh_settings(ticket: Ticket) -> VotingSettings | None:
    """After a write that changed nothing: the settings and the ticket's revocation read afresh (one query)."""
    row = db.session.execute(
        sa.select(VotingSettings, Ticket.revoked_at).join(Ticket, Ticket.event_id == VotingSettings.event_id)
        .where(VotingSettings.event_id == ticket.event_id, Ticket.id == ticket.id)
        .execution_options(populate_existing=True)).first()
    if row is None:
        return None
    if row.revoked_at is not None:  # without marking the ticket changed
        set_committed_value(ticket, "revoked_at", row.revoked_at)
    return row[0]


def _open_clause(event_id: int):
    return sa.exists().where(VotingSettings.event_id == event_id, VotingSettings.state == VotingState.OPEN.value)


def _lowest_free(used: Iterable[int], limit: int) -> int | None:
    taken = set(used)
    return next((n for n in range(1, limit + 1) if n not in taken), None)


_DOT_COLUMNS = ("ticket_id", "event_id", "idea_id", "stand_id", "channel", "scope_id", "slot", "idea_slot",
                "created_at")

#: ``INSERT INTO dot ... SELECT :values WHERE <the event's voting is open> AND <the ticket is not
#: revoked> ON CONFLICT DO NOTHING RETURNING id``. Plain SQL that both databases understand: SQLAlchemy
#: cannot cache the compiled form of an ``ON CONFLICT`` construct, and compiling it anew for every dot
#: cost more than the rest of the request.
_DOT_INSERT = sa.text(
    f"INSERT INTO dot ({', '.join(_DOT_COLUMNS)}) "
    f"SELECT {', '.join(':' + name for name in _DOT_COLUMNS)} "
    "WHERE EXISTS (SELECT 1 FROM voting_settings WHERE voting_settings.event_id = :event_id "
    f"AND voting_settings.state = '{VotingState.OPEN.value}') "
    # The ticket is not revoked (see revoke_ticket_for_application): same statement, no extra query.
    "AND EXISTS (SELECT 1 FROM ticket WHERE ticket.id = :ticket_id AND ticket.revoked_at IS NULL) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(*[sa.bindparam(name, type_=Dot.__table__.c[name].type) for name in _DOT_COLUMNS])


def _insert_dot(**values) -> bool:
    """Store one dot; False if nothing was stored (slot taken, voting closed or ticket revoked)."""
    return db.session.execute(_DOT_INSERT, {**values, "created_at": utcnow()}).scalar() is not None


#: Everything a dot needs to know, in one query and one row: the ticket (and its event), the voting
#: settings, the idea, whether other ideas were merged into it, and the ticket's dots so far as bit
#: masks (bit n set: slot n taken; the unique slots make SUM the same as a bitwise OR; n <= MAX_DOTS).
_DOT_CONTEXT = sa.text(
    "SELECT ticket.code, ticket.event_id, ticket.revoked_at, ticket.channel, event.status AS event_status, "
    "voting_settings.state, voting_settings.dots_per_ticket, voting_settings.max_per_idea, "
    "voting_settings.scope, idea.status AS idea_status, idea.merged_into_id, idea.stand_id, "
    "stand.event_id AS idea_event_id, "
    "EXISTS (SELECT 1 FROM idea AS source WHERE source.merged_into_id = :idea_id) AS has_sources, "
    "mine.event_slots, mine.stand_slots, mine.idea_slots "
    "FROM ticket JOIN event ON event.id = ticket.event_id "
    "LEFT OUTER JOIN voting_settings ON voting_settings.event_id = ticket.event_id "
    "LEFT OUTER JOIN idea ON idea.id = :idea_id "
    "LEFT OUTER JOIN stand ON stand.id = idea.stand_id "
    "CROSS JOIN (SELECT "
    "SUM(CASE WHEN dot.scope_id = 0 THEN CAST(1 AS BIGINT) << dot.slot ELSE 0 END) AS event_slots, "
    "SUM(CASE WHEN dot.scope_id = (SELECT target.stand_id FROM idea AS target WHERE target.id = :idea_id) "
    "THEN CAST(1 AS BIGINT) << dot.slot ELSE 0 END) AS stand_slots, "
    "SUM(CASE WHEN dot.idea_id = :idea_id THEN CAST(1 AS BIGINT) << dot.idea_slot ELSE 0 END) AS idea_slots "
    "FROM dot WHERE dot.ticket_id = :ticket_id) AS mine "
    "WHERE ticket.id = :ticket_id"
).bindparams(sa.bindparam("ticket_id", type_=sa.Integer()), sa.bindparam("idea_id", type_=sa.Integer()))


def _bits(mask: object) -> list[int]:
    """The slot numbers set in a mask of :data:`_DOT_CONTEXT` (NULL: none)."""
    value = int(mask or 0)
    return [n for n in range(1, MAX_DOTS + 1) if value >> n & 1]


def _no_dots_left(scope: str) -> VotingError:
    if scope == DotScope.STAND.value:
        return VotingError(_l("You have no dots left at this stand."), "no_dots_left")
    return VotingError(_l("You have no dots left."), "no_dots_left")


def _idea_limit(idea_cap: int) -> VotingError:
    return VotingError(_l("This idea already has the most dots you may give one idea (%(max)d).", max=idea_cap),
                       "idea_limit")


@dataclass
class DotResult:
    """After a dot was given or taken back: the idea, the voter's dots on it and what is left
    (in the dot's scope: the event, or the stand with scope "stand")."""

    idea_id: int
    mine: int
    remaining: int
    scope_id: int


def quick_dot(event_id: int, ticket_id: int, code: str, raw_idea_id: object) -> DotResult | None:
    """The common case of :func:`cast_dot` in two statements, without loading any object.

    A ticket of a room vote that is open gives a dot to an idea that neither was merged into
    another nor has others merged into it: one query reads everything, one ``INSERT`` stores
    the dot (the database's unique slots enforce the limits as in :func:`cast_dot`).
    When the ticket has no dot left (or the idea has the most it may get) it raises the same
    :class:`VotingError` as :func:`cast_dot`. Anything else (another error to explain, a merge,
    online voting, a slot a concurrent request took) returns None without having written
    anything, and the caller takes the full path.

    :raises VotingError: ``no_dots_left``, ``idea_limit``.
    """
    idea_id = _parse_idea_id(raw_idea_id)
    if idea_id is None:
        return None
    first = db.session.execute(_DOT_CONTEXT, {"ticket_id": ticket_id, "idea_id": idea_id}).first()
    if (first is None or first.code != code or first.event_id != event_id or first.revoked_at is not None
            or first.channel != Channel.ROOM.value or first.event_status == EventStatus.DRAFT.value
            or first.state != VotingState.OPEN.value or first.idea_status not in VISIBLE_STATUSES
            or first.merged_into_id is not None or first.idea_event_id != event_id or first.has_sources):
        return None
    # The idea has no merged sources, so only its own dots count towards its maximum.
    if first.scope == DotScope.STAND.value:
        scope_id, used = first.stand_id, _bits(first.stand_slots)
    else:
        scope_id, used = 0, _bits(first.event_slots)
    on_idea = _bits(first.idea_slots)
    cap = idea_cap(first.dots_per_ticket, first.max_per_idea)
    slot = _lowest_free(used, first.dots_per_ticket)
    if slot is None:
        raise _no_dots_left(first.scope)
    idea_slot = _lowest_free(on_idea, cap)
    if idea_slot is None:
        raise _idea_limit(cap)
    if not _insert_dot(ticket_id=ticket_id, event_id=event_id, idea_id=idea_id, stand_id=first.stand_id,
                       channel=first.channel, scope_id=scope_id, slot=slot, idea_slot=idea_slot):
        return None
    return DotResult(idea_id, len(on_idea) + 1, first.dots_per_ticket - len(used) - 1, scope_id)


def cast_dot(ticket: Ticket, idea_id: object) -> DotResult:
    """Give one dot of ``ticket`` to an idea (to its survivor if it was merged).

    :return: the idea that received the dot, with the voter's count on it and the dots left.
    :raises VotingError: ``ticket_revoked``, ``not_open``, ``closed``, ``unknown_idea``, ``hidden_idea``,
        ``no_dots_left``, ``idea_limit``.
    """
    settings = _check_open(_locked_settings(ticket.event_id), ticket)
    idea = _votable_idea(ticket, idea_id)
    scope_id = idea.stand_id if settings.scope == DotScope.STAND.value else 0
    table = Dot.__table__
    group = merge_groups.group_members(idea.id)
    # All of the ticket's dots (at most N per scope) in one query, with whether each is on this
    # idea's merge group: dots given to ideas before they were merged into it count towards its maximum.
    mine_stmt = sa.select(table.c.slot, table.c.scope_id, table.c.idea_id, table.c.idea_slot,
                          table.c.idea_id.in_(sa.select(group.c.id)).label("in_group")
                          ).where(table.c.ticket_id == ticket.id)
    for _attempt in range(settings.dots_per_ticket + settings.idea_cap + 5):
        dots = db.session.execute(mine_stmt).all()
        used = [d.slot for d in dots if d.scope_id == scope_id]
        on_idea = [d.idea_slot for d in dots if d.idea_id == idea.id]
        earlier = sum(1 for d in dots if d.in_group and d.idea_id != idea.id)
        slot = _lowest_free(used, settings.dots_per_ticket)
        if slot is None:
            raise _no_dots_left(settings.scope)
        idea_slot = _lowest_free(on_idea, settings.idea_cap - earlier)
        if idea_slot is None:
            raise _idea_limit(settings.idea_cap)
        if _insert_dot(ticket_id=ticket.id, event_id=ticket.event_id, idea_id=idea.id, stand_id=idea.stand_id,
                       channel=ticket.channel, scope_id=scope_id, slot=slot, idea_slot=idea_slot):
            return DotResult(idea.id, earlier + len(on_idea) + 1, settings.dots_per_ticket - len(used) - 1, scope_id)
        # A concurrent request took the slot (try the next), voting just closed, or the ticket was revoked.
        _check_open(_fresh_settings(ticket), ticket)
    raise VotingError(_l("Too many requests at once; please try again."), "busy")  # pragma: no cover


def remove_dot(ticket: Ticket, idea_id: object) -> DotResult:
    """Take one of the ticket's dots back from an idea (or from the ideas merged into it).

    :raises VotingError: ``ticket_revoked``, ``not_open``, ``closed``, ``unknown_idea``, ``no_dot``.
    """
    settings = _check_open(_locked_settings(ticket.event_id), ticket)
    try:
        idea = _votable_idea(ticket, idea_id)
    except VotingError as exc:
        if exc.code != "hidden_idea":
            raise
        idea = merge_groups.root_of(db.session.get(Idea, int(idea_id)))
    group = merge_groups.group_ids(idea.id)
    table = Dot.__table__
    for _attempt in range(settings.dots_per_ticket + 5):
        # The newest dot, preferring those on the survivor itself.
        dot_id = db.session.execute(
            sa.select(table.c.id).where(table.c.ticket_id == ticket.id, table.c.idea_id.in_(group))
            .order_by((table.c.idea_id == idea.id).desc(), table.c.id.desc()).limit(1)).scalar()
        if dot_id is None:
            raise VotingError(_l("You have no dot on this idea."), "no_dot")
        deleted = db.session.execute(
            sa.delete(table).where(table.c.id == dot_id, _open_clause(ticket.event_id),
                                   sa.exists().where(Ticket.id == ticket.id, Ticket.revoked_at.is_(None)))).rowcount
        if deleted:
            scope_id = idea.stand_id if settings.scope == DotScope.STAND.value else 0
            mine, used = db.session.execute(sa.select(
                sa.func.count(table.c.id).filter(table.c.idea_id.in_(group)),
                sa.func.count(table.c.id).filter(table.c.scope_id == scope_id),
            ).where(table.c.ticket_id == ticket.id)).one()
            return DotResult(idea.id, mine, settings.dots_per_ticket - used, scope_id)
        _check_open(_fresh_settings(ticket), ticket)
    raise VotingError(_l("Too many requests at once; please try again."), "busy")  # pragma: no cover


def release_removed_dots(ticket: Ticket) -> int:
    """Give back the ticket's dots on ideas the moderators hid (or that left the event by a merge).

    :return: how many dots came back.
    """
    _check_open(_locked_settings(ticket.event_id), ticket)
    ids = [dot_id for dot_id, _ in _removed_dots(ticket)]
    if not ids:
        return 0
    return db.session.execute(
        sa.delete(Dot).where(Dot.id.in_(ids), _open_clause(ticket.event_id))).rowcount


def _removed_dots(ticket: Ticket) -> list[tuple[int, int]]:
    roots = merge_groups.groups()
    root = sa.orm.aliased(Idea)
    return [tuple(r) for r in db.session.execute(
        sa.select(Dot.id, roots.c.root_id).join(roots, roots.c.idea_id == Dot.idea_id)
        .join(root, root.id == roots.c.root_id).join(Stand, Stand.id == root.stand_id)
        .where(Dot.ticket_id == ticket.id,
               sa.or_(sa.not_(root.is_visible), Stand.event_id != ticket.event_id))).all()]


# -- the ballot -----------------------------------------------------------------------------------


@dataclass
class StandBallot:
    stand: Stand
    ideas: list[Idea]
    remaining: int | None = None  # with scope "stand"


@dataclass
class Ballot:
    """What a voter sees: the stands and ideas, their own dots, and what is left."""

    settings: VotingSettings
    stands: list[StandBallot]
    mine: dict[int, int]
    used: int
    remaining: int
    removed: int
    receipt: str
    by_stand: dict[int, int] = field(default_factory=dict)

    @property
    def per_stand(self) -> bool:
        return self.settings.scope == DotScope.STAND.value


def event_ideas(event: Event) -> list[tuple[Stand, list[Idea]]]:
    """The event's stands in order, each with its visible (votable) ideas; two queries."""
    stands = list(db.session.execute(
        sa.select(Stand).where(Stand.event_id == event.id).order_by(Stand.position, Stand.id)).scalars())
    ideas = db.session.execute(
        sa.select(Idea).where(Idea.stand_id.in_([s.id for s in stands]), Idea.is_visible)
        .order_by(Idea.created_at, Idea.id)).scalars().all() if stands else []
    by_stand: dict[int, list[Idea]] = defaultdict(list)
    for idea in ideas:
        by_stand[idea.stand_id].append(idea)
    return [(stand, by_stand[stand.id]) for stand in stands]


def my_dots(ticket: Ticket) -> dict[int, int]:
    """The ticket's dots per surviving idea (dots on merged ideas count for their survivor)."""
    roots = merge_groups.groups()
    return dict(db.session.execute(
        sa.select(roots.c.root_id, sa.func.count(Dot.id)).join(roots, roots.c.idea_id == Dot.idea_id)
        .where(Dot.ticket_id == ticket.id).group_by(roots.c.root_id)).all())


def ballot(ticket: Ticket) -> Ballot:
    settings = settings_for(ticket.event)
    stands = event_ideas(ticket.event)
    mine = my_dots(ticket)
    used_by_scope = dict(db.session.execute(
        sa.select(Dot.scope_id, sa.func.count(Dot.id)).where(Dot.ticket_id == ticket.id).group_by(Dot.scope_id)
    ).all())
    removed = len(_removed_dots(ticket))
    used = sum(used_by_scope.values())
    stand_ballots = [StandBallot(stand, ideas) for stand, ideas in stands]
    if settings.scope == DotScope.STAND.value:
        for entry in stand_ballots:
            entry.remaining = settings.dots_per_ticket - used_by_scope.get(entry.stand.id, 0)
        remaining = sum(e.remaining or 0 for e in stand_ballots)
    else:
        remaining = settings.dots_per_ticket - used
    return Ballot(settings=settings, stands=stand_ballots, mine=mine, used=used, remaining=max(0, remaining),
                  removed=removed, receipt=receipt(ticket),
                  by_stand={e.stand.id: e.remaining for e in stand_ballots if e.remaining is not None})


# -- receipts ------------------------------------------------------------------------------------


def receipt_digest(event_id: int, salt: str, idea_ids: Iterable[int]) -> str:
    """SHA-256 over the event, the ticket's secret salt and the sorted ids of the ideas its dots are on."""
    payload = f"{RECEIPT_VERSION}:{event_id}:{salt}:" + ",".join(str(i) for i in sorted(idea_ids))
    return hashlib.sha256(payload.encode()).hexdigest()


def receipt(ticket: Ticket) -> str:
    ids = db.session.execute(sa.select(Dot.idea_id).where(Dot.ticket_id == ticket.id)).scalars().all()
    return receipt_digest(ticket.event_id, ticket.receipt_salt, ids)


def _receipts_from_dots(event_id: int) -> Iterator[tuple[str, int]]:
    """(digest, dots) for every ticket of the event with at least one dot, recomputed from the rows."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.receipt_salt, Dot.idea_id).join(Dot, Dot.ticket_id == Ticket.id)
        .where(Ticket.event_id == event_id).order_by(Ticket.id)).all()
    current, salt, ideas = None, "", []
    for ticket_id, ticket_salt, idea_id in rows:
        if ticket_id != current:
            if current is not None:
                yield receipt_digest(event_id, salt, ideas), len(ideas)
            current, salt, ideas = ticket_id, ticket_salt, []
        ideas.append(idea_id)
    if current is not None:
        yield receipt_digest(event_id, salt, ideas), len(ideas)


def published_receipts(event: Event) -> list[Receipt]:
    return list(db.session.execute(
        sa.select(Receipt).where(Receipt.event_id == event.id).order_by(Receipt.digest)).scalars())


# -- physical dots -------------------------------------------------------------------------------


def parse_count(raw: object) -> int:
    """A count of paper dots from a form field (digits only, 0..100000)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 6:
        value = int(raw.strip())
    else:
        raise VotingError(_l("Please enter the number of dots as a whole number (0 or more)."), "bad_count")
    if not 0 <= value <= MAX_BOARD_COUNT:
        raise VotingError(_l("Please enter a number between 0 and %(max)d.", max=MAX_BOARD_COUNT), "bad_count")
    return value


def set_board_count(idea: Idea, count: object, *, user: User | None = None) -> int:
    """Set the paper dots counted on the board for ``idea`` (replaces the earlier count; logged).

    :raises VotingError: ``bad_count``, ``hidden_idea``.
    """
    value = parse_count(count)
    if not idea.is_visible:
        raise VotingError(_l("Dots can only be counted for visible ideas."), "hidden_idea")
    now = utcnow()
    user_id = user.id if user is not None else None
    previous = db.session.execute(sa.select(BoardCount.count).where(BoardCount.idea_id == idea.id)).scalar()
    table = BoardCount.__table__
    stmt = _insert(table).values(event_id=idea.stand.event_id, idea_id=idea.id, count=value, updated_at=now,
                                 updated_by_id=user_id)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=["idea_id"],
        set_={"count": stmt.excluded.count, "updated_at": now, "updated_by_id": user_id}))
    db.session.add(BoardCountLog(event_id=idea.stand.event_id, idea_id=idea.id, count=value, user_id=user_id,
                                 created_at=now))
    db.session.flush()
    log_action("voting.board_count", idea, event_id=idea.stand.event_id, before={"count": previous},
               after={"count": value})
    return value


def board_counts(event: Event) -> dict[int, BoardCount]:
    return {b.idea_id: b for b in db.session.execute(
        sa.select(BoardCount).where(BoardCount.event_id == event.id)).scalars()}


# -- totals and recount ----------------------------------------------------------------------------


@dataclass
class IdeaTotal:
    idea: Idea
    room: int = 0
    board: int = 0
    online: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def totals(event: Event) -> list[IdeaTotal]:
    """Per visible idea of the event (merged ideas counted for their survivor): room, board, online,
    counted as the results count them (:func:`app.ideas.merge_groups.dots_per_root`).

    Sorted by total, most dots first. Three queries whatever the number of ideas.
    """
    entries = {idea.id: IdeaTotal(idea) for _, ideas in event_ideas(event) for idea in ideas}
    dots = merge_groups.dots_per_root(merge_groups.groups([event.id]))
    for root_id, room, board, online in db.session.execute(
            sa.select(dots.c.root_id, dots.c.room, dots.c.board, dots.c.online)).all():
        entry = entries.get(root_id)
        if entry is not None:
            entry.room, entry.board, entry.online = int(room or 0), int(board or 0), int(online or 0)
    return sorted(entries.values(), key=lambda e: (-e.total, e.idea.created_at, e.idea.id))


def channel_sums(event: Event) -> dict[str, int]:
    """All dots of the event per channel (including dots on ideas hidden later)."""
    sums = {"room": 0, "board": 0, "online": 0}
    for channel, n in db.session.execute(
            sa.select(Dot.channel, sa.func.count(Dot.id)).where(Dot.event_id == event.id).group_by(Dot.channel)):
        sums[channel] = n
    sums["board"] = int(db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(BoardCount.count), 0)).where(BoardCount.event_id == event.id)
    ).scalar_one())
    return sums


@dataclass
class Recount:
    ok: bool
    lines: list[str]


def recount(event: Event) -> Recount:
    """Recompute the totals and receipts from the stored dots and compare with what was published."""
    settings = settings_for(event)
    lines = [f"event {event.id}: {event.title}", f"voting: {settings.state}"]
    fresh = {(i, c): n for i, c, n in db.session.execute(
        sa.select(Dot.idea_id, Dot.channel, sa.func.count(Dot.id)).where(Dot.event_id == event.id)
        .group_by(Dot.idea_id, Dot.channel)).all()}
    lines.append(f"dots stored: {sum(fresh.values())} on {len({i for i, _ in fresh})} ideas")
    if settings.state != VotingState.CLOSED.value:
        lines.append("MISMATCH: voting is not closed, so no totals are published to compare with")
        return Recount(False, lines)
    published = {(t.idea_id, t.channel): t.dots for t in db.session.execute(
        sa.select(TallySnapshot).where(TallySnapshot.event_id == event.id)).scalars()}
    lines.append(f"dots published: {sum(published.values())}")
    ok = True
    for key in sorted(set(fresh) | set(published)):
        if fresh.get(key, 0) != published.get(key, 0):
            ok = False
            lines.append(f"MISMATCH idea {key[0]} ({key[1]}): stored {fresh.get(key, 0)}, "
                         f"published {published.get(key, 0)}")
    stored_receipts = sorted((r.digest, r.dots) for r in published_receipts(event))
    recomputed = sorted(_receipts_from_dots(event.id))
    lines.append(f"receipts published: {len(stored_receipts)}, recomputed: {len(recomputed)}")
    if stored_receipts != recomputed:
        ok = False
        missing = set(recomputed) - set(stored_receipts)
        extra = set(stored_receipts) - set(recomputed)
        lines.append(f"MISMATCH receipts: {len(missing)} not published, {len(extra)} published but not in the dots")
    if sum(n for _, n in stored_receipts) != sum(published.values()):
        ok = False
        lines.append("MISMATCH: the dots of the receipts do not add up to the published totals")
    lines.append("OK: totals and receipts match the stored dots" if ok else "recount FAILED")
    return Recount(ok, lines)
