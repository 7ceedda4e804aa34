"""Giving and taking back dots.

Dots are written with single ``INSERT ... SELECT ... WHERE <voting is open> ON CONFLICT DO
NOTHING`` statements that take the lowest free slot of the ticket (see :mod:`app.voting.models`):
a concurrent request that took the same slot makes ours insert nothing, and we try the next
slot; when none is free the ticket has no dots left. Closing the vote and revoking a ticket
fence off dot writers (:func:`app.voting.base.fence_dot_writers`), so the totals stored at close
contain every accepted dot and no dot is accepted after them.

Both ways of giving a dot read the same :class:`~app.voting.rules.DotContext`
(:func:`read_dot_context`, one statement) and let the one pure function
:func:`app.voting.rules.decide_dot` decide: :func:`quick_dot` (the common case, two statements,
no objects) and :func:`cast_dot` (everything, merges included). ``tests/voting/test_dot_paths.py``
compares the two on random states.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from app.core.models import utcnow
from app.events.models import EventStatus
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, Stand, released
from app.voting.base import VotingError, locked_settings
from app.voting.models import MAX_DOTS, Dot, DotScope, Ticket, VotingSettings, VotingState
from app.voting.rules import (
    DotContext, check_idea, check_open, check_ticket, decide_dot, parse_idea_id,
)


@dataclass
class DotResult:
    """After a dot was given or taken back: the idea, the voter's dots on it and what is left
    (in the dot's scope: the event, or the stand with scope "stand")."""

    idea_id: int
    mine: int
    remaining: int
    scope_id: int


# -- the one read ------------------------------------------------------------------------------------

#: Everything a dot needs to know, in one query and one row: the ticket (and its event), the voting
#: settings, the idea, whether other ideas were merged into it, and the ticket's dots so far as bit
#: masks (bit n set: slot n taken; the unique slots make SUM the same as a bitwise OR; n <= MAX_DOTS).
_DOT_CONTEXT = sa.text(
    "SELECT ticket.code, ticket.event_id, ticket.revoked_at, ticket.channel, event.status AS event_status, "
    "voting_settings.state, voting_settings.dots_per_ticket, voting_settings.max_per_idea, "
    "voting_settings.scope, voting_settings.online_enabled, voting_settings.online_opens_at, "
    "voting_settings.online_closes_at, idea.id AS idea_id, idea.status AS idea_status, idea.merged_into_id, "
    "idea.moderation AS idea_moderation, idea.withdrawn_at AS idea_withdrawn_at, "
    "idea.stand_id, stand.event_id AS idea_event_id, "
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
).bindparams(sa.bindparam("ticket_id", type_=sa.Integer()), sa.bindparam("idea_id", type_=sa.Integer())
             ).columns(revoked_at=sa.DateTime(), online_opens_at=sa.DateTime(), online_closes_at=sa.DateTime(),
                       idea_withdrawn_at=sa.DateTime(), online_enabled=sa.Boolean(), has_sources=sa.Boolean())


def _bits(mask: object) -> tuple[int, ...]:
    """The slot numbers set in a mask of :data:`_DOT_CONTEXT` (NULL: none)."""
    value = int(mask or 0)
    return tuple(n for n in range(1, MAX_DOTS + 1) if value >> n & 1)


class DotRead(NamedTuple):
    """:func:`read_dot_context`: the context the rules decide on, and who is asking."""

    context: DotContext
    code: str                   #: the ticket's code (the quick path's proof of the session's ticket)
    event_status: str
    revoked_at: datetime | None


def read_dot_context(ticket_id: int, idea_id: int | None, *, follow_merges: bool) -> DotRead | None:
    """The one read of a dot's context: one statement for an idea without merges.

    :param idea_id: as parsed (:func:`app.voting.rules.parse_idea_id`); None: no idea was named.
    :param follow_merges: for an idea merged into another or with ideas merged into it, read the
        survivor and the ticket's dots on its whole group (more statements); without it such a
        context is returned as read, marked ``merged``.
    :return: None if there is no such ticket.
    """
    row = db.session.execute(_DOT_CONTEXT, {"ticket_id": ticket_id, "idea_id": idea_id}).first()
    if row is None:
        return None
    stand_scope = row.scope == DotScope.STAND.value
    own_released = row.idea_id is None or released(row.idea_moderation, row.idea_withdrawn_at)
    context = DotContext(
        event_id=row.event_id, revoked=row.revoked_at is not None, channel=row.channel, state=row.state,
        dots_per_ticket=row.dots_per_ticket or 0, max_per_idea=row.max_per_idea, scope=row.scope,
        online_enabled=bool(row.online_enabled), online_opens_at=row.online_opens_at,
        online_closes_at=row.online_closes_at, idea_given=idea_id is not None, idea_found=row.idea_id is not None,
        own_status=row.idea_status, own_released=own_released, target_id=row.idea_id,
        target_status=row.idea_status, target_released=own_released,
        target_event_id=row.idea_event_id, target_stand_id=row.stand_id,
        used=_bits(row.stand_slots if stand_scope else row.event_slots), on_target=_bits(row.idea_slots),
        merged=row.merged_into_id is not None or bool(row.has_sources))
    if context.merged and follow_merges:
        context = _with_merge_group(context, db.session.get(Idea, row.idea_id), ticket_id)
    return DotRead(context, row.code, row.event_status, row.revoked_at)


def _with_merge_group(context: DotContext, idea: Idea, ticket_id: int) -> DotContext:
    """``context`` for the survivor of ``idea``'s merges, with the ticket's dots on its group."""
    root = merge_groups.root_of(idea)
    group = merge_groups.group_members(root.id)
    scope_id = root.stand_id if context.scope == DotScope.STAND.value else 0
    table = Dot.__table__
    # All of the ticket's dots (at most N per scope) in one query, with whether each is on the
    # survivor's merge group: dots given to ideas before they were merged into it count towards its maximum.
    dots = db.session.execute(
        sa.select(table.c.slot, table.c.scope_id, table.c.idea_id, table.c.idea_slot,
                  table.c.idea_id.in_(sa.select(group.c.id)).label("in_group"))
        .where(table.c.ticket_id == ticket_id)).all()
    return replace(context, target_id=root.id, target_status=root.status,
                   target_released=root.is_released, target_event_id=root.stand.event_id,
                   target_stand_id=root.stand_id, used=tuple(d.slot for d in dots if d.scope_id == scope_id),
                   on_target=tuple(d.idea_slot for d in dots if d.idea_id == root.id),
                   earlier=sum(1 for d in dots if d.in_group and d.idea_id != root.id))


# -- the write -----------------------------------------------------------------------------------------

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


def _store(ticket_id: int, context: DotContext, placement) -> bool:
    """Store the dot ``decide_dot`` placed; False if nothing was stored (slot taken, voting closed or
    ticket revoked since the read)."""
    return db.session.execute(_DOT_INSERT, {
        "ticket_id": ticket_id, "event_id": context.event_id, "idea_id": placement.idea_id,
        "stand_id": placement.stand_id, "channel": context.channel, "scope_id": placement.scope_id,
        "slot": placement.slot, "idea_slot": placement.idea_slot, "created_at": utcnow(),
    }).scalar() is not None


def _result(placement) -> DotResult:
    return DotResult(placement.idea_id, placement.mine, placement.remaining, placement.scope_id)


#: What the quick path answers itself; for every other refusal the full path explains.
_QUICK_REFUSALS = ("no_dots_left", "idea_limit")


def quick_dot(event_id: int, ticket_id: int, code: str, raw_idea_id: object) -> DotResult | None:
    """The common case of :func:`cast_dot` in two statements, without loading any object.

    The ticket the session names (id and code, at ``event_id``, not a draft) gives a dot to an
    idea that neither was merged into another nor has others merged into it: one query reads
    the context, :func:`~app.voting.rules.decide_dot` decides as for :func:`cast_dot`, one
    ``INSERT`` stores the dot. When the ticket has no dot left (or the idea has the most it may
    get) it raises the same :class:`VotingError` as :func:`cast_dot`. Anything else (another error
    to explain, a merge, a slot a concurrent request took) returns None without having written
    anything, and the caller takes the full path.

    :raises VotingError: ``no_dots_left``, ``idea_limit``.
    """
    idea_id = parse_idea_id(raw_idea_id)
    if idea_id is None:
        return None
    read = read_dot_context(ticket_id, idea_id, follow_merges=False)
    if (read is None or read.code != code or read.context.event_id != event_id
            or read.event_status == EventStatus.DRAFT.value or read.context.merged):
        return None
    try:
        placement = decide_dot(read.context, utcnow())
    except VotingError as exc:
        if exc.code in _QUICK_REFUSALS:
            raise
        return None
    if not _store(ticket_id, read.context, placement):
        return None
    return _result(placement)


def cast_dot(ticket: Ticket, idea_id: object) -> DotResult:
    """Give one dot of ``ticket`` to an idea (to its survivor if it was merged).

    :return: the idea that received the dot, with the voter's count on it and the dots left.
    :raises VotingError: ``ticket_revoked``, ``not_open``, ``closed``, ``unknown_idea``, ``hidden_idea``,
        ``no_dots_left``, ``idea_limit``.
    """
    parsed = parse_idea_id(idea_id)
    for _attempt in range(2 * MAX_DOTS + 5):
        read = read_dot_context(ticket.id, parsed, follow_merges=True)
        if read is None:  # the ticket is gone (an erased event): nothing is open for it
            check_open(state=None, channel=ticket.channel, online_enabled=False, online_opens_at=None,
                       online_closes_at=None, now=utcnow())
        if read.revoked_at is not None and ticket.revoked_at is None:  # without marking the ticket changed
            set_committed_value(ticket, "revoked_at", read.revoked_at)
        context = replace(read.context, revoked=ticket.revoked_at is not None or read.context.revoked)
        placement = decide_dot(context, utcnow())
        if _store(ticket.id, context, placement):
            return _result(placement)
        # A concurrent request took the slot (read again and take the next), voting just closed,
        # or the ticket was revoked (the next read says so).
    raise VotingError(_l("Too many requests at once; please try again."), "busy")  # pragma: no cover


# -- taking back -------------------------------------------------------------------------------------


def _check_open(settings: VotingSettings | None, ticket: Ticket) -> VotingSettings:
    """The rules of :mod:`app.voting.rules` for a ticket and the settings row."""
    check_ticket(ticket)
    check_open(state=settings.state if settings is not None else None, channel=ticket.channel,
               online_enabled=bool(settings and settings.online_enabled),
               online_opens_at=settings.online_opens_at if settings is not None else None,
               online_closes_at=settings.online_closes_at if settings is not None else None, now=utcnow())
    return settings


def _votable_idea(ticket: Ticket, raw_idea_id: object) -> Idea:
    """The idea a dot for ``raw_idea_id`` goes to: the idea, or the survivor it was merged into.

    :raises VotingError: as :func:`app.voting.rules.check_idea`.
    """
    idea_id = parse_idea_id(raw_idea_id)
    row = None if idea_id is None else db.session.execute(
        sa.select(Idea, Stand.event_id).join(Stand, Stand.id == Idea.stand_id).where(Idea.id == idea_id)
        .options(sa.orm.lazyload(Idea.tags))).first()
    idea, event_id = row if row is not None else (None, None)
    root = idea
    if idea is not None and idea.merged_into_id is not None:
        root = merge_groups.root_of(idea)
        event_id = root.stand.event_id
    check_idea(given=idea_id is not None, found=idea is not None, event_matches=event_id == ticket.event_id,
               own_status=idea.status if idea is not None else None,
               survivor_status=root.status if root is not None else None,
               released=idea is None or (idea.is_released and root.is_released))
    return root


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


def remove_dot(ticket: Ticket, idea_id: object) -> DotResult:
    """Take one of the ticket's dots back from an idea (or from the ideas merged into it).

    :raises VotingError: ``ticket_revoked``, ``not_open``, ``closed``, ``unknown_idea``, ``no_dot``.
    """
    settings = _check_open(locked_settings(ticket.event_id), ticket)
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
    _check_open(locked_settings(ticket.event_id), ticket)
    ids = [dot_id for dot_id, _ in removed_dots(ticket)]
    if not ids:
        return 0
    return db.session.execute(
        sa.delete(Dot).where(Dot.id.in_(ids), _open_clause(ticket.event_id))).rowcount


def removed_dots(ticket: Ticket) -> list[tuple[int, int]]:
    """(dot id, survivor id) of the ticket's dots on ideas that were hidden or left the event by a merge."""
    roots = merge_groups.groups()
    root = sa.orm.aliased(Idea)
    return [tuple(r) for r in db.session.execute(
        sa.select(Dot.id, roots.c.root_id).join(roots, roots.c.idea_id == Dot.idea_id)
        .join(root, root.id == roots.c.root_id).join(Stand, Stand.id == root.stand_id)
        .where(Dot.ticket_id == ticket.id,
               sa.or_(sa.not_(root.is_visible), Stand.event_id != ticket.event_id))).all()]
