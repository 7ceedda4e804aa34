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
from sqlalchemy import and_, func, select
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


#: Items per list and page of a stand's queue (each list is cut in SQL: a stand with thousands of
#: online ideas and comments still answers quickly, bench/online.py).
QUEUE_PER_PAGE = 50


@dataclass
class QueuePage:
    """Which page of a stand's queue is shown: the same page of every list (pending, shown, hidden,
    merged; the comments' too), with the pagination attributes ``core/macros.html``'s pager reads."""

    page: int = 1
    per_page: int = QUEUE_PER_PAGE
    #: the longest list's length (ideas and comments)
    largest: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.largest // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @classmethod
    def from_arg(cls, value: object) -> QueuePage:
        """The page of the URL argument ``page`` (anything else: the first)."""
        text = value if isinstance(value, str) else ""
        number = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 1
        return cls(page=max(1, number))


def page_of_sections(base, sections: dict, page: QueuePage, *, keep=None, options=()) -> tuple[dict, dict]:
    """One page of each section of a queue, cut in SQL, and every section's full count (one query).

    :param base: ``SELECT`` of the queue's rows (one entity with an ``id``).
    :param sections: name → (condition, order): the sections' rows are disjoint.
    :param keep: a row that must be on the page (the one whose form failed), put at the head of its
        section if its place is on another page.
    :return: (name → rows of the page, name → count).
    """
    entity = base.column_descriptions[0]["entity"]
    counts_row = db.session.execute(
        base.with_only_columns(*(func.count().filter(condition).label(name)
                                 for name, (condition, _order) in sections.items())).order_by(None)).one()
    counts = {name: int(counts_row._mapping[name] or 0) for name in sections}
    rows = {}
    for name, (condition, order) in sections.items():
        rows[name] = list(db.session.execute(
            base.where(condition).order_by(*order).limit(page.per_page)
            .offset((page.page - 1) * page.per_page).options(*options)).scalars())
    if keep is not None and not any(row.id == keep.id for found in rows.values() for row in found):
        for name, (condition, _order) in sections.items():
            if db.session.execute(base.with_only_columns(entity.id).where(entity.id == keep.id, condition)).first():
                rows[name].insert(0, keep)
                break
    page.largest = max(page.largest, *counts.values())
    return rows, counts


@dataclass
class Queue:
    """A page of a stand's online ideas for its moderators, in the order they are worked on."""

    pending: list[Idea] = field(default_factory=list)
    shown: list[Idea] = field(default_factory=list)
    hidden: list[Idea] = field(default_factory=list)
    merged: list[Idea] = field(default_factory=list)
    #: every list's full length (the page shows at most ``QUEUE_PER_PAGE`` of each)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def queue(stand: Stand, page: QueuePage | None = None, *, keep: Idea | None = None) -> Queue:
    """The stand's online ideas (not withdrawn): waiting for approval (oldest first), shown,
    hidden and merged (newest first); one page of each (``page``, the first by default) with
    their counts. A fixed number of queries, whatever the stand's size.

    :param keep: an idea to show even if its place is on another page (its form failed)."""
    page = page or QueuePage()
    pending = Idea.moderation == Moderation.PENDING.value
    released = Idea.moderation != Moderation.PENDING.value
    rows, counts = page_of_sections(
        select(Idea).where(Idea.stand_id == stand.id, Idea.channel == IdeaChannel.ONLINE.value,
                           Idea.withdrawn_at.is_(None)),
        {"pending": (pending, (Idea.id.asc(),)),
         "shown": (and_(released, Idea.status.not_in((IdeaStatus.HIDDEN.value, IdeaStatus.MERGED.value))),
                   (Idea.id.desc(),)),
         "hidden": (and_(released, Idea.status == IdeaStatus.HIDDEN.value), (Idea.id.desc(),)),
         "merged": (and_(released, Idea.status == IdeaStatus.MERGED.value), (Idea.id.desc(),))},
        page, keep=keep, options=(selectinload(Idea.participant),))
    return Queue(**rows, counts=counts)


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
