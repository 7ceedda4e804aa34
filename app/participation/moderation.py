"""Moderation of online ideas at a stand (issue 18): the stand's online queue, approving (under
pre-moderation), hiding with a public reason from the process's netiquette and showing again,
taking an online idea into the room's list, merging it into a room idea, blocking a
participant's link.

Hiding, showing again and merging are the ideas feature's own rules (:mod:`app.ideas.services`:
``hide_idea``, ``unhide_idea``, ``merge_ideas``, with the idea's history and provenance); this
module adds what is particular to online ideas. Services flush; the request commits. Every
change is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import log_action
from app.core.labels import register_labels
from app.core.models import utcnow
from app.extensions import db
from app.ideas import live
from app.ideas import services as ideas
from app.ideas.display import idea_number
from app.ideas.models import Idea, IdeaChannel, IdeaLog, IdeaStatus, Moderation, Stand
from app.ideas.services import IdeaError
from app.participation.models import OnlineSettings, Participant


#: How the moderation state of an idea reads (the audit log, the queue).
MODERATION_LABELS = register_labels("idea.moderation", {
    Moderation.VISIBLE.value: _l("released"),
    Moderation.PENDING.value: _l("waiting for approval"),
})
CHANNEL_LABELS = register_labels("idea.channel", {
    IdeaChannel.ROOM.value: _l("Room"),
    IdeaChannel.ONLINE.value: _l("Online"),
})


def settings_of(process_id: int) -> OnlineSettings | None:
    """The process's moderation settings (None until staff saved them)."""
    return db.session.execute(
        select(OnlineSettings).where(OnlineSettings.process_id == process_id)).scalar_one_or_none()


def netiquette_reasons(process_id: int) -> list[str]:
    """The public reasons a moderator can give for hiding an online idea of the process."""
    settings = settings_of(process_id)
    return settings.netiquette_reasons if settings is not None else []


@dataclass
class Queue:
    """A stand's online ideas for its moderators, in the order they are worked on."""

    pending: list[Idea] = field(default_factory=list)
    shown: list[Idea] = field(default_factory=list)
    hidden: list[Idea] = field(default_factory=list)
    merged: list[Idea] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.pending) + len(self.shown) + len(self.hidden) + len(self.merged)


def queue(stand: Stand) -> Queue:
    """The stand's online ideas (not withdrawn): waiting for approval (oldest first), shown,
    hidden and merged (newest first). Two queries."""
    rows = db.session.execute(
        select(Idea).where(Idea.stand_id == stand.id, Idea.channel == IdeaChannel.ONLINE.value,
                           Idea.withdrawn_at.is_(None))
        .order_by(Idea.id.desc()).options(selectinload(Idea.participant))
    ).scalars()
    result = Queue()
    for idea in rows:
        if idea.moderation == Moderation.PENDING.value:
            result.pending.append(idea)
        elif idea.status == IdeaStatus.HIDDEN.value:
            result.hidden.append(idea)
        elif idea.status == IdeaStatus.MERGED.value:
            result.merged.append(idea)
        else:
            result.shown.append(idea)
    result.pending.reverse()
    return result


def pending_counts(stand_ids: list[int]) -> dict[int, int]:
    """Per stand: how many online ideas wait for approval (for the link on the capture page)."""
    counts = {sid: 0 for sid in stand_ids}
    if not stand_ids:
        return counts
    for stand_id, n in db.session.execute(
        select(Idea.stand_id, func.count(Idea.id))
        .where(Idea.stand_id.in_(stand_ids), Idea.channel == IdeaChannel.ONLINE.value,
               Idea.moderation == Moderation.PENDING.value, Idea.withdrawn_at.is_(None))
        .group_by(Idea.stand_id)
    ):
        counts[stand_id] = n
    return counts


def _check_online(idea: Idea) -> None:
    if idea.channel != IdeaChannel.ONLINE.value:
        raise IdeaError(_l("Idea %(id)s was not submitted online.", id=idea_number(idea.id)), "not_online")
    if idea.withdrawn_at is not None:
        raise IdeaError(_l("Idea %(id)s has been withdrawn by its author.", id=idea_number(idea.id)),
                        "withdrawn")


def _log(idea: Idea, action: str, user: User | None) -> None:
    db.session.add(IdeaLog(idea_id=idea.id, action=action, user_id=user.id if user else None))


def approve(idea: Idea, *, user: User | None) -> Idea:
    """Release an online idea waiting for pre-moderation: it is shown and counted from now on.

    :raises IdeaError: ``not_online``, ``withdrawn``, ``not_pending``.
    """
    _check_online(idea)
    if idea.moderation != Moderation.PENDING.value:
        raise IdeaError(_l("Idea %(id)s is not waiting for approval.", id=idea_number(idea.id)), "not_pending")
    idea.moderation = Moderation.VISIBLE.value
    idea.updated_at = utcnow()
    db.session.flush()
    _log(idea, "approve", user)
    log_action("idea.approve", idea, event_id=idea.stand.event_id,
               before={"moderation": Moderation.PENDING.value}, after={"moderation": idea.moderation})
    live.note_change(idea, "create")
    return idea


def hide(idea: Idea, reason: object, *, user: User | None) -> Idea:
    """Hide an online idea with a public reason from the process's netiquette; an idea still
    waiting for approval is refused this way (it is never shown, the reason is).

    :raises IdeaError: ``not_online``, ``withdrawn``, ``no_netiquette``, ``reason_required``,
        ``reason_unknown``; those of :func:`app.ideas.services.hide_idea`.
    """
    _check_online(idea)
    reasons = netiquette_reasons(idea.stand.event.process_id)
    if not reasons:
        raise IdeaError(_l("The process has no netiquette yet, so there is no reason to choose. An admin "
                           "sets the netiquette in the process's online participation settings."),
                        "no_netiquette")
    if not isinstance(reason, str) or not reason.strip():
        raise IdeaError(_l("Please choose the rule of the netiquette the idea breaks."), "reason_required")
    if reason.strip() not in reasons:
        raise IdeaError(_l("Please choose one of the netiquette's rules."), "reason_unknown")
    if idea.moderation == Moderation.PENDING.value:
        idea.moderation = Moderation.VISIBLE.value  # decided: hidden, with its reason
        log_action("idea.approve", idea, event_id=idea.stand.event_id,
                   before={"moderation": Moderation.PENDING.value}, after={"moderation": idea.moderation})
    return ideas.hide_idea(idea, reason.strip(), user=user)


def unhide(idea: Idea, *, user: User | None) -> Idea:
    """:raises IdeaError: ``not_online``, ``withdrawn``, ``not_hidden``."""
    _check_online(idea)
    return ideas.unhide_idea(idea, user=user)


def take_into_room(idea: Idea, *, user: User | None) -> Idea:
    """Mark a shown online idea as brought into the room's list (the stand works on it there).

    :raises IdeaError: ``not_online``, ``withdrawn``, ``not_visible``, ``already_taken``.
    """
    _check_online(idea)
    if not idea.is_visible:
        raise IdeaError(_l("Only a shown idea can be taken into the room's list."), "not_visible")
    if idea.taken_into_room_at is not None:
        raise IdeaError(_l("Idea %(id)s is already in the room's list.", id=idea_number(idea.id)), "already_taken")
    idea.taken_into_room_at = utcnow()
    db.session.flush()
    _log(idea, "take_into_room", user)
    log_action("idea.take_into_room", idea, event_id=idea.stand.event_id,
               before={"taken_into_room_at": None}, after={"taken_into_room_at": idea.taken_into_room_at})
    live.note_change(idea, "edit")
    return idea


def merge_into_room_idea(idea: Idea, target_id: object, *, user: User | None) -> Idea:
    """Merge the online ``idea`` into the room idea number ``target_id`` of the same event (the
    rules and provenance of :func:`app.ideas.services.merge_ideas`); the user must moderate the
    room idea's stand too.

    :raises IdeaError: ``not_online``, ``withdrawn``, ``not_found``, ``not_room``, ``forbidden``;
        those of :func:`app.ideas.services.merge_ideas`.
    """
    _check_online(idea)
    target = db.session.get(Idea, target_id) if isinstance(target_id, int) else None
    if target is None or target.stand.event_id != idea.stand.event_id:
        raise IdeaError(_l("There is no idea %(id)s at this event.", id=idea_number(target_id)), "not_found")
    if target.channel != IdeaChannel.ROOM.value:
        raise IdeaError(_l("Idea %(id)s is not an idea of the room. An online idea is merged into an idea "
                           "recorded at a stand.", id=idea_number(target.id)), "not_room")
    if not ideas.can_moderate(user, target.stand):
        raise IdeaError(_l("Idea %(id)s is at a stand you do not moderate; ask its moderators or an admin to "
                           "merge it.", id=idea_number(target.id)), "forbidden")
    ideas.merge_ideas(target, [idea], user=user)
    return target


def participant_of(idea: Idea) -> Participant:
    """:raises IdeaError: ``no_participant`` (the participant erased their data)."""
    _check_online(idea)
    if idea.participant is None:
        raise IdeaError(_l("The author of this idea has erased their participation."), "no_participant")
    return idea.participant


def block(idea: Idea, *, user: User | None) -> Participant:
    """Block the participation link of the idea's author: it can no longer contribute.

    :raises IdeaError: see :func:`participant_of`; ``already_blocked``.
    """
    participant = participant_of(idea)
    if participant.blocked_at is not None:
        raise IdeaError(_l("This participation link is already blocked."), "already_blocked")
    participant.blocked_at = utcnow()
    participant.blocked_by_id = user.id if user else None
    db.session.flush()
    log_action("participant.block", participant, event_id=idea.stand.event_id,
               process_id=participant.process_id,
               before={"blocked_at": None}, after={"blocked_at": participant.blocked_at, "idea_id": idea.id})
    return participant


def unblock(idea: Idea, *, user: User | None) -> Participant:
    """:raises IdeaError: see :func:`participant_of`; ``not_blocked``."""
    participant = participant_of(idea)
    if participant.blocked_at is None:
        raise IdeaError(_l("This participation link is not blocked."), "not_blocked")
    before = participant.blocked_at
    participant.blocked_at = None
    participant.blocked_by_id = None
    db.session.flush()
    log_action("participant.unblock", participant, event_id=idea.stand.event_id,
               process_id=participant.process_id,
               before={"blocked_at": before}, after={"blocked_at": None, "idea_id": idea.id})
    return participant
