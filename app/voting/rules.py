"""The rules of a dot, as pure functions: no database, no request, no clock of their own.

Both ways of giving a dot (:func:`app.voting.dots.quick_dot`, the common case in two
statements, and :func:`app.voting.dots.cast_dot`, the full path) read a :class:`DotContext`
and let :func:`decide_dot` answer, so a rule added here applies to both. Taking a dot back,
releasing dots on removed ideas, check-in and the ballot use :func:`check_ticket`,
:func:`check_open` and :func:`check_idea` from here as well.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.ideas.models import VISIBLE_STATUSES, IdeaStatus
from app.voting.base import VotingError
from app.voting.models import Channel, DotScope, VotingState, idea_cap

TICKET_REVOKED = _l("This ticket is no longer valid: the seat was declined or given back.")


def check_ticket(ticket):
    """The rule in one place: a revoked ticket opens no ballot, checks nobody in and gives no dot.

    Walk-in tickets (no application) are never revoked.

    :param ticket: anything with ``revoked_at`` (a :class:`~app.voting.models.Ticket`).
    :raises VotingError: ``ticket_revoked``.
    """
    if ticket.revoked_at is not None:
        raise VotingError(TICKET_REVOKED, "ticket_revoked")
    return ticket


def check_open(*, state: str | None, channel: str, online_enabled: bool, online_opens_at: datetime | None,
               online_closes_at: datetime | None, now: datetime) -> None:
    """Whether a ticket of ``channel`` may vote now (``state`` None: no settings stored yet).

    :raises VotingError: ``not_open``, ``closed``.
    """
    if state is None or state == VotingState.NOT_OPEN.value:
        raise VotingError(_l("Voting has not started yet."), "not_open")
    if state == VotingState.CLOSED.value:
        raise VotingError(_l("Voting is closed. Your dots were counted as they are."), "closed")
    if channel == Channel.ONLINE.value:
        if not online_enabled or (online_opens_at and now < online_opens_at) or (
                online_closes_at and now >= online_closes_at):
            raise VotingError(_l("Online voting is not open."), "closed")


def parse_idea_id(idea_id: object) -> int | None:
    """``idea_id`` from a form or JSON as a database id, or None."""
    if isinstance(idea_id, str) and idea_id.strip().isdigit() and len(idea_id.strip()) < 12:
        idea_id = int(idea_id.strip())
    if not isinstance(idea_id, int) or isinstance(idea_id, bool) or not 0 < idea_id < 2**31:
        return None
    return idea_id


def check_idea(*, given: bool, found: bool, event_matches: bool, own_status: str | None,
               survivor_status: str | None, released: bool = True) -> None:
    """Whether an idea can receive (or give back) a dot of a ticket.

    :param given: the request named an idea (:func:`parse_idea_id` was not None).
    :param event_matches: the survivor of the idea's merges belongs to the ticket's event.
    :param own_status: of the idea named; ``survivor_status``: of the idea its merges end in.
    :param released: both are released (:attr:`app.ideas.models.Idea.is_released`): an online idea
        waiting for moderation or withdrawn is not public, so it "does not exist" for a voter.
    :raises VotingError: ``unknown_idea``, ``hidden_idea``.
    """
    if not given:
        raise VotingError(_l("Please choose an idea."), "unknown_idea")
    if not found or not released:
        raise VotingError(_l("This idea does not exist."), "unknown_idea")
    if not event_matches:
        raise VotingError(_l("This idea does not belong to this event."), "unknown_idea")
    if own_status == IdeaStatus.HIDDEN.value or survivor_status not in VISIBLE_STATUSES:
        raise VotingError(_l("This idea was removed by the moderators and cannot receive dots."), "hidden_idea")


def lowest_free(used: Iterable[int], limit: int) -> int | None:
    """The lowest slot 1..``limit`` not in ``used``, or None."""
    taken = set(used)
    return next((n for n in range(1, limit + 1) if n not in taken), None)


def no_dots_left(scope: str) -> VotingError:
    if scope == DotScope.STAND.value:
        return VotingError(_l("You have no dots left at this stand."), "no_dots_left")
    return VotingError(_l("You have no dots left."), "no_dots_left")


def idea_limit(cap: int) -> VotingError:
    return VotingError(_l("This idea already has the most dots you may give one idea (%(max)d).", max=cap),
                       "idea_limit")


@dataclass(frozen=True)
class DotContext:
    """Everything the rules need to decide one dot, as read in one go (:func:`app.voting.dots.read_dot_context`).

    The idea fields describe the survivor the dot goes to (the idea itself when not merged);
    the slots are the ticket's dots so far.
    """

    event_id: int                      #: the ticket's event
    revoked: bool
    channel: str
    state: str | None                  #: None: no settings stored for the event
    dots_per_ticket: int
    max_per_idea: int | None
    scope: str
    online_enabled: bool
    online_opens_at: datetime | None
    online_closes_at: datetime | None
    idea_given: bool                   #: the request named a well-formed idea id
    idea_found: bool
    own_status: str | None             #: of the idea named
    own_released: bool                 #: of the idea named (Idea.is_released)
    target_id: int | None              #: the survivor: the idea that gets the dot
    target_status: str | None
    target_released: bool
    target_event_id: int | None
    target_stand_id: int | None
    used: tuple[int, ...] = ()         #: the ticket's slots in the dot's scope (event, or the survivor's stand)
    on_target: tuple[int, ...] = ()    #: the ticket's per-idea slots on the survivor itself
    earlier: int = 0                   #: the ticket's dots on ideas merged into the survivor
    merged: bool = False               #: the idea named is merged into another or has ideas merged into it


@dataclass(frozen=True)
class DotPlacement:
    """Where a dot goes: the survivor, the slots it takes, and what the voter has after it."""

    idea_id: int
    stand_id: int
    scope_id: int
    slot: int
    idea_slot: int
    mine: int        #: the voter's dots on the survivor's group after this one
    remaining: int   #: the voter's dots left in the scope after this one


def decide_dot(ctx: DotContext, now: datetime) -> DotPlacement:
    """The one decision whether (and where) a dot is given; the order of the checks is the
    order in which a voter is told what is wrong.

    :raises VotingError: ``ticket_revoked``, ``not_open``, ``closed``, ``unknown_idea``,
        ``hidden_idea``, ``no_dots_left``, ``idea_limit``.
    """
    if ctx.revoked:
        raise VotingError(TICKET_REVOKED, "ticket_revoked")
    check_open(state=ctx.state, channel=ctx.channel, online_enabled=ctx.online_enabled,
               online_opens_at=ctx.online_opens_at, online_closes_at=ctx.online_closes_at, now=now)
    check_idea(given=ctx.idea_given, found=ctx.idea_found, event_matches=ctx.target_event_id == ctx.event_id,
               own_status=ctx.own_status, survivor_status=ctx.target_status,
               released=ctx.own_released and ctx.target_released)
    slot = lowest_free(ctx.used, ctx.dots_per_ticket)
    if slot is None:
        raise no_dots_left(ctx.scope)
    cap = idea_cap(ctx.dots_per_ticket, ctx.max_per_idea)
    # Dots given to ideas before they were merged into the survivor count towards its maximum.
    idea_slot = lowest_free(ctx.on_target, cap - ctx.earlier)
    if idea_slot is None:
        raise idea_limit(cap)
    scope_id = ctx.target_stand_id if ctx.scope == DotScope.STAND.value else 0
    return DotPlacement(idea_id=ctx.target_id, stand_id=ctx.target_stand_id, scope_id=scope_id, slot=slot,
                        idea_slot=idea_slot, mine=ctx.earlier + len(ctx.on_target) + 1,
                        remaining=ctx.dots_per_ticket - len(ctx.used) - 1)
