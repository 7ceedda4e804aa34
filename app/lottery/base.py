"""What every part of the lottery shares: the pool of an event, its draws and their entries, the lock.

The other modules of the package import from here (and from the pure core: ``algorithm``,
``audit``, ``explain``), never the other way round, so the split of the services adds no import
cycle. The life of a draw is told in the package's docstring (app/lottery/__init__.py).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping, Sequence

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.events.models import Application, ApplicationStatus, Event
from app.extensions import db
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry


# ------------------------------------------------------------------ the pool


def event_quotas(event: Event) -> dict[str, dict[str, tuple[int, int]]]:
    """The event's criteria as lottery quotas: key → value → (min, max); no maximum = all seats."""
    return {c.key: {o.value: (o.min_seats, event.seats if o.max_seats is None else o.max_seats)
                    for o in c.options}
            for c in event.criteria}


def answers_of(application: Application) -> dict[str, str]:
    """The application's answers: criterion key → option value."""
    return {a.criterion.key: a.option.value for a in application.answers}


def event_households(event: Event, pseudonyms: Mapping[int, str], applications: Sequence[Application]
                     ) -> dict[str, str | None] | None:
    """The household rule of an event for the lottery: pseudonym -> household key, or None
    if the event does not keep at most one seat per household."""
    if not event.lottery_one_per_household:
        return None
    return {pseudonyms[app.id]: app.household_key for app in applications}


def time_limit() -> float | None:
    """``LOTTERY_TIME_LIMIT`` in seconds (None: no limit)."""
    return float(current_app.config.get("LOTTERY_TIME_LIMIT") or 0) or None


def pool_applications(event: Event) -> list[Application]:
    """The applications that take part: confirmed by mail or entered by staff (status ``applied``)."""
    return list(db.session.execute(
        sa.select(Application)
        .where(Application.event_id == event.id, Application.status == ApplicationStatus.APPLIED.value)
        .options(selectinload(Application.answers))
        .order_by(Application.id)
    ).scalars())


def labels_of(event: Event) -> dict[str, tuple[str, dict[str, str]]]:
    """criterion key → (label, option value → label)."""
    return {c.key: (c.label, {o.value: o.label for o in c.options}) for c in event.criteria}


def pool_hash(event: Event, *extra: Any) -> str:
    """SHA-256 of what a lottery computation depends on: the applicants and their answers, the
    quotas, the seats (and ``extra``): the key of its job, so the same pool is computed once."""
    applications = pool_applications(event)
    payload = {"applicants": [[app.id, sorted(answers_of(app).items())] for app in applications],
               "quotas": {k: {v: list(b) for v, b in sorted(o.items())} for k, o in sorted(event_quotas(event).items())},
               "seats": event.seats, "extra": [str(e) for e in extra]}
    if event.lottery_one_per_household:  # the household rule changes the probabilities
        payload["households"] = [[app.id, app.household_key] for app in applications]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# ------------------------------------------------------------------ draws and entries


def current_draw(event: Event) -> LotteryDraw | None:
    """The event's draw that is not superseded (committed or drawn), if any."""
    return db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id,
                                     LotteryDraw.state != DrawState.SUPERSEDED.value)
    ).scalar_one_or_none()


def draws_of(event: Event) -> list[LotteryDraw]:
    """All draws of the event, the first first (superseded ones included)."""
    return list(db.session.execute(
        sa.select(LotteryDraw).where(LotteryDraw.event_id == event.id).order_by(LotteryDraw.attempt)
    ).scalars())


def entries_of(draw: LotteryDraw) -> list[LotteryEntry]:
    """The draw's entries with their applications, in the order they were frozen."""
    return list(db.session.execute(
        sa.select(LotteryEntry).where(LotteryEntry.draw_id == draw.id)
        .options(selectinload(LotteryEntry.application))
        .order_by(LotteryEntry.id)
    ).scalars())


def active_entry(application: Application) -> LotteryEntry | None:
    """The application's entry in the event's drawn lottery, if any."""
    return db.session.execute(
        sa.select(LotteryEntry).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryEntry.application_id == application.id, LotteryDraw.state == DrawState.DRAWN.value)
    ).scalar_one_or_none()


# ------------------------------------------------------------------ locking


def lock_draw(draw: LotteryDraw) -> LotteryDraw:
    """Serialise seat changes of one draw and read its state afresh.

    PostgreSQL: ``SELECT ... FOR UPDATE`` on the draw row. SQLite: the
    ``UPDATE`` takes the database's write lock before anything is read, so a
    second writer waits and then sees the first one's seats.
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(LotteryDraw.id).where(LotteryDraw.id == draw.id).with_for_update())
    db.session.execute(
        sa.update(LotteryDraw).where(LotteryDraw.id == draw.id)
        .values(lock_counter=LotteryDraw.lock_counter + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return db.session.get(LotteryDraw, draw.id)
