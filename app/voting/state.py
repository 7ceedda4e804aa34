"""Voting settings and the vote's state: change the rules, open, close (and publish at close)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.audit.services import diff, log_action, snapshot
from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.voting.base import VotingError, ensure_settings, fence_dot_writers, locked_settings, settings_for
from app.voting.models import MAX_DOTS, Dot, DotScope, Receipt, TallySnapshot, VotingSettings, VotingState
from app.voting.receipts import receipts_from_dots


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
    settings = locked_settings(event.id, exclusive=True)
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
    settings = locked_settings(event.id, exclusive=True)
    if settings is None or settings.state != VotingState.OPEN.value:
        raise VotingError(_l("Voting is not open."), "not_open")
    fence_dot_writers()
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
    rows = [{"event_id": event.id, "digest": digest, "dots": n} for digest, n in receipts_from_dots(event.id)]
    if rows:
        db.session.execute(sa.insert(Receipt), rows)
    db.session.flush()
    log_action("voting.close", settings, before={"state": VotingState.OPEN.value},
               after={"state": settings.state, "receipts": len(rows)})
    return settings


def voting_state(event: Event) -> str:
    return settings_for(event).state
