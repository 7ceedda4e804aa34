"""Supports (issue 18): a confirmed online participant backs an idea. Not a dot: supports are
counted on their own (app/ideas/merge_groups.py ``supports_per_root``) and shown beside the dots.

Rules (one home):

* only a confirmed, unblocked participant of the idea's process;
* only an idea the public list shows (app/participation/lists.py) that is visible
  (``Idea.is_visible``: released, not hidden, not merged, not withdrawn);
* only while the "after" phase of the idea's event is open: after the workshop residents read
  and support its ideas until a date (the issue). In the "before" phase there is nothing to
  support yet (the workshop has not taken place), so no support is given then;
* one support per idea and participant: the unique constraint keeps it when two requests come
  at once (the second one finds the row and changes nothing). A support of an idea merged into
  another counts for the survivor, and a participant counts once per merge group: supporting the
  survivor when one of its members is already supported adds nothing, withdrawing takes back
  the supports of the whole group.

Giving and withdrawing is rate-limited per link (``PARTICIPATION_SUPPORT_RATE_LIMIT``). Supports
are not written to the audit log one by one (every resident's click would flood it; the
supports themselves are the record, with their time); the abuse-related actions (blocking a
link, hiding) are logged where they happen.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, lazyload

from app.core.security import MAX_ID
from app.events.models import Event
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea, Stand
from app.participation import lists
from app.participation.models import Participant, PhaseKind, Support
from app.participation.services import ParticipationError, charge_link, check_active, insert_once, phase_open


@cache
def _find_idea_statement() -> sa.Select:
    """Built once (a support POST runs it; building it cost more than running it): parameters
    ``idea_id``, ``process_id``."""
    return (sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
            .where(Idea.id == sa.bindparam("idea_id"), lists.public_where(sa.bindparam("process_id")))
            # The rules read its stand and event (joined already); its tags only if a page shows them.
            .options(contains_eager(Idea.stand).contains_eager(Stand.event), lazyload(Idea.tags)))


def find_idea(participant: Participant, idea_id: object) -> Idea:
    """The idea ``idea_id`` of the participant's process as the public sees it.

    :raises ParticipationError: ``idea_invalid`` (unknown, of another process, or not public).
    """
    try:
        number = int(idea_id) if idea_id not in (None, "") else 0
    except (TypeError, ValueError, OverflowError):
        number = 0
    idea = None
    if 0 < number <= MAX_ID:
        idea = db.session.execute(_find_idea_statement(),
                                  {"idea_id": number, "process_id": participant.process_id}).scalar_one_or_none()
    if idea is None:
        raise ParticipationError(_l("This idea does not exist in this process."), "idea_invalid")
    return idea


def check_supportable(participant: Participant, idea: Idea) -> None:
    """:raises ParticipationError: ``unconfirmed``, ``blocked``, ``idea_invalid``, ``not_supportable``, ``closed``."""
    check_active(participant)
    if idea.stand.event.process_id != participant.process_id:
        raise ParticipationError(_l("This idea does not exist in this process."), "idea_invalid")
    if not idea.is_visible:
        raise ParticipationError(
            _l("This idea cannot be supported: it is hidden, merged into another idea or not yet approved."),
            "not_supportable")
    if not phase_open(idea.stand.event_id, PhaseKind.AFTER.value):
        raise ParticipationError(
            _l("Ideas of this event can only be supported while the online phase after the workshop is open."),
            "closed")


def _charge(participant: Participant) -> None:
    charge_link(participant, "PARTICIPATION_SUPPORT_RATE_LIMIT", "participation-support",
                _l("You have given or withdrawn many supports in a short time. Please try again later (%(wait)s)."))


@cache
def _own_in_group_statement(first: bool) -> sa.Select:
    """Built once: the participant's supports of the idea's merge group (``participant_id``,
    ``idea_id``); ``first``: one of them."""
    members = merge_groups.group_members(sa.bindparam("idea_id"))
    statement = sa.select(Support).where(Support.participant_id == sa.bindparam("participant_id"),
                                         Support.idea_id.in_(sa.select(members.c.id)))
    return statement.limit(1) if first else statement


def _own_in_group(participant: Participant, idea: Idea, *, first: bool = False) -> list[Support]:
    return list(db.session.execute(_own_in_group_statement(first),
                                   {"participant_id": participant.id, "idea_id": idea.id}).scalars())


def supports(participant: Participant, idea: Idea) -> bool:
    """Whether the participant supports the idea (or an idea merged into it)."""
    return bool(_own_in_group(participant, idea, first=True))


def support(participant: Participant, idea: Idea) -> bool:
    """The participant supports the idea. Flushes; the caller commits.

    :return: True if a support was added, False if the participant already supported it.
    :raises ParticipationError: see :func:`check_supportable`, ``rate_limited``.
    """
    check_supportable(participant, idea)
    if supports(participant, idea):
        return False
    _charge(participant)
    return insert_once(Support(participant_id=participant.id, idea_id=idea.id))


def withdraw_support(participant: Participant, idea: Idea) -> bool:
    """The participant takes back their support of the idea (and of every idea merged into it).

    :return: True if a support was removed, False if there was none.
    :raises ParticipationError: see :func:`check_supportable`, ``rate_limited``.
    """
    check_supportable(participant, idea)
    own = _own_in_group(participant, idea)
    if not own:
        return False
    _charge(participant)
    for row in own:
        db.session.delete(row)
    db.session.flush()
    return True


def counts(ideas: Sequence[Idea]) -> dict[int, int]:
    """Supports per idea of ``ideas`` that is not merged (its group's supports; 0 if none)."""
    root_ids = [idea.id for idea in ideas if idea.merged_into_id is None]
    if not root_ids:
        return {}
    # Only the page's groups: the count reads the supports of these ideas, not of the whole database.
    members = merge_groups.groups(root_ids=root_ids)
    per_root = merge_groups.supports_per_root(members)
    found = dict(db.session.execute(sa.select(per_root.c.root_id, per_root.c.supports)
                                    .where(per_root.c.root_id.in_(root_ids))).all())
    return {idea_id: int(found.get(idea_id, 0)) for idea_id in root_ids}


def supported_ids(participant: Participant, ideas: Sequence[Idea]) -> set[int]:
    """The ideas of ``ideas`` the participant supports (directly or through a merged member)."""
    root_ids = [idea.id for idea in ideas if idea.merged_into_id is None]
    if not root_ids:
        return set()
    members = merge_groups.groups(root_ids=root_ids)
    return set(db.session.execute(
        sa.select(members.c.root_id).join(Support, Support.idea_id == members.c.idea_id)
        .where(Support.participant_id == participant.id, members.c.root_id.in_(root_ids))).scalars())


def supportable_ids(participant: Participant, ideas: Sequence[Idea]) -> set[int]:
    """The ideas of ``ideas`` the participant may support or withdraw now (no error raised)."""
    if not participant.is_active:
        return set()
    open_events: dict[int, bool] = {}
    result = set()
    for idea in ideas:
        event_id = idea.stand.event_id
        if event_id not in open_events:
            open_events[event_id] = phase_open(event_id, PhaseKind.AFTER.value)
        if idea.is_visible and open_events[event_id]:
            result.add(idea.id)
    return result


def own_supported(participant: Participant) -> list[Idea]:
    """The ideas the participant supports (as stored: an idea since merged stays in the list), newest support first."""
    return db.session.execute(
        sa.select(Idea).join(Support, Support.idea_id == Idea.id).where(Support.participant_id == participant.id)
        .order_by(Support.created_at.desc(), Support.id.desc())).scalars().all()
