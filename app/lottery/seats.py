"""Seats, the waiting list and replacements: confirm or decline (also on an applicant's behalf),
lapse at the deadline, refill from the waiting list; what the pages show of a draw's seats.

The waiting list and the replacements are described in the package's docstring
(app/lottery/__init__.py). Every operation here that changes seats locks the draw first
(:func:`app.lottery.base.lock_draw`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.audit.services import log_action
from app.core.models import utcnow
from app.events import application_status
from app.events.models import Application, ApplicationStatus, Event, EventStatus
from app.extensions import db
from app.lottery.algorithm import find_replacement
from app.lottery.audit import record_answers
from app.lottery.base import active_entry, entries_of, labels_of, lock_draw
from app.lottery.errors import LotteryError
from app.lottery.explain import apply_labels
from app.lottery.mails import queue_mail
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry, LotteryReplacement


#: How staff heard the answer of a resident they confirm or decline for (phone and paper applicants
#: often have no email and cannot use the seat link).
ON_BEHALF_CHANNELS = {
    "phone": _l("by phone"),
    "paper": _l("on paper"),
    "in_person": _l("in person"),
}


# ------------------------------------------------------------------ free seats and the waiting list


@dataclass
class FillResult:
    """What :func:`fill_vacancies` did: who was admitted, and why a seat stays free."""

    admitted: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    free: int = 0
    blocked: LotteryError | None = None


def _release(entry: LotteryEntry, reason: str, now: datetime, channel: str | None = None) -> None:
    entry.released_at, entry.release_reason = now, reason
    entry.release_channel = channel or {"expired": "deadline", "withdrawn": "withdrawal"}.get(reason, "link")


def _release_withdrawn(entries: list[LotteryEntry], now: datetime) -> None:
    """Seats whose application was withdrawn or deleted (by the applicant or staff) become free."""
    for entry in entries:
        if entry.holds_seat and (entry.application is None
                                 or entry.application.status == ApplicationStatus.WITHDRAWN.value):
            _release(entry, "withdrawn", now)


def _available(entry: LotteryEntry) -> bool:
    return entry.application is not None and entry.application.status == ApplicationStatus.WAITLISTED.value


def replacement_deadline(event: Event, now: datetime) -> datetime:
    """A replacement's own deadline: ``LOTTERY_REPLACEMENT_REPLY_HOURS`` from now, not after the event starts."""
    deadline = now + timedelta(hours=int(current_app.config["LOTTERY_REPLACEMENT_REPLY_HOURS"]))
    if event.starts_at and now < event.starts_at < deadline:
        deadline = event.starts_at
    return deadline


def fill_vacancies(draw: LotteryDraw, now: datetime | None = None, user=None,
                   _locked: bool = False) -> FillResult:
    """Give every free seat to the first waiting applicant whose admission keeps every quota satisfied.

    Call with the draw locked (the public services here do); each admission is
    recorded as a replacement, mailed with its own deadline, and verifiable
    with the audit file.

    :return: a :class:`FillResult`; ``blocked`` holds the ``no_replacement``
        error naming the blocking quota if a seat stays free.
    """
    now = now or utcnow()
    result = FillResult()
    if draw.state != DrawState.DRAWN.value:
        return result
    record = draw.record
    answers = record_answers(record)
    entries = entries_of(draw)
    _release_withdrawn(entries, now)
    while True:
        seated = [e for e in entries if e.holds_seat]
        result.free = draw.seats - len(seated)
        if result.free <= 0:
            break
        candidates = sorted((e for e in entries if e.rank is not None and e.seat_since is None and _available(e)),
                            key=lambda e: e.rank)
        if not candidates:
            result.blocked = LotteryError("no_replacement", _l("Nobody is left on the waiting list."))
            break
        try:
            chosen = find_replacement([e.pseudonym for e in seated], [e.pseudonym for e in candidates], answers,
                                      record_quotas(record), draw.seats, record.get("households"))
        except LotteryError as exc:
            if exc.code != "no_replacement":
                raise
            result.blocked = apply_labels(exc, labels_of(draw.event))
            break
        released = [e for e in entries if e.seat_since is not None and e.released_at is not None
                    and not e.audit_recorded]
        skipped = [e for e in entries if e.rank is not None and e.seat_since is None and not e.audit_recorded
                   and not _available(e)]
        for entry in released + skipped:
            entry.audit_recorded = True
        for entry in skipped:
            # The evidence of the skip in the audit (its time is the replacement's).
            entry.release_reason = entry.release_reason or "withdrawn"
            entry.release_channel = entry.release_channel or "withdrawal"
        position = len(draw.replacements) + 1
        replacement = LotteryReplacement(
            draw_id=draw.id, position=position,
            declined_json=json.dumps(sorted(e.pseudonym for e in released)),
            skipped_json=json.dumps(sorted(e.pseudonym for e in skipped)),
            admitted=chosen, created_at=now, created_by_id=getattr(user, "id", None),
            reason="; ".join(f"{e.pseudonym}: {e.release_reason}" for e in sorted(released, key=lambda e: e.pseudonym)),
        )
        draw.replacements.append(replacement)
        admitted = next(e for e in entries if e.pseudonym == chosen)
        admitted.seat_since, admitted.confirm_deadline = now, replacement_deadline(draw.event, now)
        application_status.move(admitted.application, "admit")
        db.session.flush()
        log_action("lottery.replacement", replacement, event_id=draw.event_id, after={
            "position": position, "admitted": chosen, "released": replacement.declined,
            "skipped": replacement.skipped})
        result.admitted.append(chosen)
        if admitted.application.email:
            queue_mail(admitted.application, "admitted", entry=admitted)
    return result


def record_quotas(record: dict[str, Any]) -> dict[str, dict[str, tuple[int, int]]]:
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for row in record["quotas"]:
        quotas.setdefault(row["feature"], {})[row["value"]] = (row["min"], row["max"])
    return quotas


# ------------------------------------------------------------------ the applicant's answer


def respond_to_seat(entry: LotteryEntry, accept: bool, now: datetime | None = None, channel: str = "link") -> str:
    """The applicant confirms or declines their seat.

    Idempotent: confirming a confirmed seat, or declining a declined one,
    changes nothing. A decline frees the seat for the waiting list at once.
    ``channel`` says how the answer came (``link``: the applicant's own; staff
    pass the channel of :data:`ON_BEHALF_CHANNELS`); it is published with the decline.

    :return: ``confirmed``, ``declined``, ``unchanged``, or ``expired`` (the
        deadline had passed: the seat lapsed and went to the waiting list).
    :raises LotteryError: ``wrong_state`` (draw superseded or the event is
        over), ``not_seated`` (no seat to confirm or decline).
    """
    now = now or utcnow()
    draw = lock_draw(entry.draw)
    entry = db.session.get(LotteryEntry, entry.id)
    if draw.state != DrawState.DRAWN.value or draw.event.status != EventStatus.DRAWN.value:
        raise LotteryError("wrong_state", _l("Seats of this event can no longer be confirmed or declined."))
    application = entry.application
    if application is None:
        raise LotteryError("not_seated", _l("You do not hold a seat for this event."))
    status = application.status
    if accept and status == ApplicationStatus.CONFIRMED.value:
        return "unchanged"
    if not accept and status == ApplicationStatus.DECLINED.value and entry.seat_since is not None:
        return "unchanged"
    if not entry.holds_seat or status not in (ApplicationStatus.SELECTED.value, ApplicationStatus.CONFIRMED.value):
        raise LotteryError("not_seated", _l("You do not hold a seat for this event."))
    if status == ApplicationStatus.SELECTED.value and entry.confirm_deadline and now > entry.confirm_deadline:
        _expire(entry, now)
        fill_vacancies(draw, now=now)
        return "expired"
    if accept:
        # seat_confirmed: the participant gets the ticket for check-in and voting (mailed through the outbox).
        application_status.move(application, "confirm_seat")
        return "confirmed"
    # seat_released: a confirmed participant's ticket stops working before the seat goes to the waiting list.
    application_status.move(application, "decline_seat")
    _release(entry, "declined", now, channel)
    db.session.flush()
    fill_vacancies(draw, now=now)
    return "declined"


def respond_on_behalf(application: Application, accept: bool, channel: str, user=None,
                      now: datetime | None = None) -> str:
    """Staff confirm or decline a seat for the applicant, who answered by ``channel``.

    The same life cycle as :func:`respond_to_seat` (a decline draws the
    replacement at once), plus an audit entry naming the channel.

    :return: like :func:`respond_to_seat`.
    :raises LotteryError: ``bad_channel``, ``not_seated`` (no seat in the current
        draw), and the errors of :func:`respond_to_seat`.
    """
    if channel not in ON_BEHALF_CHANNELS:
        raise LotteryError("bad_channel", _l("Choose how the applicant gave the answer."))
    entry = active_entry(application)
    if entry is None:
        raise LotteryError("not_seated", _l("This application holds no seat in the current draw."))
    status_before = application.status
    try:
        outcome = respond_to_seat(entry, accept, now=now, channel=channel)
    except LotteryError as exc:
        if exc.code == "not_seated":  # the resident's wording ("You do not hold …") does not fit staff
            raise LotteryError("not_seated", _l("This application holds no seat in the current draw.")) from exc
        raise
    log_action("lottery.seat_on_behalf", application, event_id=entry.draw.event_id,
               before={"status": status_before},
               after={"pseudonym": entry.pseudonym, "answer": "confirm" if accept else "decline",
                      "channel": channel, "outcome": outcome, "status": application.status})
    return outcome


# ------------------------------------------------------------------ deadlines


def _expire(entry: LotteryEntry, now: datetime) -> None:
    application_status.move(entry.application, "expire")
    _release(entry, "expired", now)
    db.session.flush()
    if entry.application.email:
        queue_mail(entry.application, "expired", entry=entry)


def process_draw(draw: LotteryDraw, now: datetime | None = None, user=None) -> FillResult:
    """Let unconfirmed seats past their deadline lapse, then fill every free seat (admin button, cron)."""
    now = now or utcnow()
    draw = lock_draw(draw)
    if draw.state != DrawState.DRAWN.value or draw.event.status != EventStatus.DRAWN.value:
        return FillResult()
    expired = []
    for entry in entries_of(draw):
        if (entry.holds_seat and entry.application is not None
                and entry.application.status == ApplicationStatus.SELECTED.value
                and entry.confirm_deadline is not None and entry.confirm_deadline < now):
            _expire(entry, now)
            expired.append(entry.pseudonym)
    if expired:
        log_action("lottery.expire", draw, after={"expired": expired})
    result = fill_vacancies(draw, now=now, user=user)
    result.expired = expired
    return result


def expire_all_due(now: datetime | None = None) -> list[tuple[LotteryDraw, FillResult]]:
    """:func:`process_draw` for every drawn lottery of an event not yet held (``flask lottery expire``).

    The caller commits; the command commits after each draw.
    """
    ids = db.session.execute(
        sa.select(LotteryDraw.id).join(Event, Event.id == LotteryDraw.event_id)
        .where(LotteryDraw.state == DrawState.DRAWN.value, Event.status == EventStatus.DRAWN.value)
        .order_by(LotteryDraw.id)
    ).scalars().all()
    return [(db.session.get(LotteryDraw, draw_id), process_draw(db.session.get(LotteryDraw, draw_id), now=now))
            for draw_id in ids]


# ------------------------------------------------------------------ what the pages show


def vacancies(draw: LotteryDraw) -> FillResult:
    """Read-only: how many seats are free now and, if nobody on the waiting list fits, which quota blocks.

    Seats of withdrawn applications count as free (they are refilled by :func:`process_draw`).
    """
    result = FillResult()
    if draw.state != DrawState.DRAWN.value:
        return result
    entries = entries_of(draw)
    seated = [e for e in entries if e.holds_seat and e.application is not None
              and e.application.status != ApplicationStatus.WITHDRAWN.value]
    result.free = draw.seats - len(seated)
    if result.free <= 0:
        return result
    candidates = sorted((e for e in entries if e.rank is not None and e.seat_since is None and _available(e)),
                        key=lambda e: e.rank)
    if not candidates:
        result.blocked = LotteryError("no_replacement", _l("Nobody is left on the waiting list."))
        return result
    record = draw.record
    try:
        find_replacement([e.pseudonym for e in seated], [e.pseudonym for e in candidates],
                         record_answers(record), record_quotas(record),
                         draw.seats, record.get("households"))
    except LotteryError as exc:
        if exc.code != "no_replacement":
            raise
        result.blocked = apply_labels(exc, labels_of(draw.event))
    return result


@dataclass(frozen=True)
class Release:
    """A seat given up or a waiting applicant passed over, as the public page lists it."""

    pseudonym: str
    held_seat: bool
    reason: str
    at: datetime
    channel: str | None


def releases_of(draw: LotteryDraw) -> list[Release]:
    """Every decline, lapse and withdrawal the record holds, in time order, replaced or not: a seat
    given up at its own time, a waiting applicant passed over at the time of the replacement that
    skipped them (the time the audit's evidence gives)."""
    skipped_at = {p: r.created_at for r in draw.replacements for p in r.skipped}
    found = [Release(e.pseudonym, e.seat_since is not None, e.release_reason, e.released_at or skipped_at[e.pseudonym],
                     e.release_channel)
             for e in draw.entries
             if e.release_reason and (e.released_at is not None or e.pseudonym in skipped_at)]
    return sorted(found, key=lambda r: (r.at, r.pseudonym))


def entries_in_order(draw: LotteryDraw) -> list[LotteryEntry]:
    """The draw's entries: seat holders (by when they got the seat), then the waiting list by rank."""
    return sorted(entries_of(draw), key=lambda e: (e.rank is not None, e.rank or 0, e.seat_since or utcnow(),
                                                e.pseudonym))


@dataclass
class Seat:
    """What the applicant's pages show about their place in the lottery."""

    entry: LotteryEntry
    status: str
    deadline: datetime | None
    rank: int | None
    can_respond: bool
    #: The event was marked held (or its results published): answers end for that reason, not the deadline.
    event_over: bool = False


def seat_of(entry: LotteryEntry | None, now: datetime | None = None) -> Seat | None:
    if entry is None or entry.application is None or entry.draw.state != DrawState.DRAWN.value:
        return None
    now = now or utcnow()
    status = entry.application.status
    can_respond = (entry.holds_seat and entry.draw.event.status == EventStatus.DRAWN.value and (
        status == ApplicationStatus.CONFIRMED.value
        or (status == ApplicationStatus.SELECTED.value and (entry.confirm_deadline is None
                                                            or now <= entry.confirm_deadline))))
    event_over = entry.draw.event.status in (EventStatus.HELD.value, EventStatus.PUBLISHED.value)
    return Seat(entry, status, entry.confirm_deadline, entry.rank if entry.seat_since is None else None, can_respond,
                event_over)


def has_receipt(application: Application) -> bool:
    """Whether the application is in the list of any draw (the receipt page then has something to show)."""
    return db.session.execute(
        sa.select(LotteryEntry.id).where(LotteryEntry.application_id == application.id).limit(1)
    ).first() is not None


def seat_of_application(application: Application) -> Seat | None:
    """For the applicant's manage page (a Jinja global): their seat in the current draw, if any."""
    return seat_of(active_entry(application))
