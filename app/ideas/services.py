"""Rules for stands and ideas: capture, tags, edit, hide, merge and un-merge.

Services flush; the request commits. Every change of an idea also notes a row
for the live change feed (:mod:`app.ideas.live`), written in the same transaction.
"""
from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from app.audit.services import diff, log_action
from app.core.domain import DomainError
from app.accounts.models import User, UserRole
from app.core import signals
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Event
from app.extensions import db
from app.ideas import live
from app.ideas.display import idea_number
from app.ideas.models import Idea, IdeaChannel, IdeaLog, IdeaStatus, IdeaTag, Moderation, Stand, Tag, WallLink
from app.ideas.text import split_tags, tag_key, tag_label

#: Longest idea text, in characters.
MAX_IDEA_LENGTH = 1000
MAX_SAID_BY_LENGTH = 200
MAX_REASON_LENGTH = 500
MAX_TAGS_PER_IDEA = 12
MAX_STAND_TITLE = 200
MAX_STAND_DESCRIPTION = 1000

_CLIENT_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class IdeaError(DomainError):
    """A rule of the ideas feature was broken; ``code`` is stable for tests."""

    def __init__(self, message, code: str):
        super().__init__(code, message)


TOO_MANY_TAGS = lazy_ngettext("An idea can have at most %(num)d tag.", "An idea can have at most %(num)d tags.",
                              MAX_TAGS_PER_IDEA)


def _too_long(length: int):
    return lazy_ngettext("An idea can have at most %(max)s character; this one has %(n)s. "
                         "Please shorten it or split it into two ideas.",
                         "An idea can have at most %(max)s characters; this one has %(n)s. "
                         "Please shorten it or split it into two ideas.",
                         MAX_IDEA_LENGTH, max=format_decimal(MAX_IDEA_LENGTH), n=format_decimal(length))


# -- permissions ------------------------------------------------------------------------


def can_moderate(user: User | None, stand: Stand) -> bool:
    """Admins moderate every stand; moderators only the stands assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("moderator") and any(m.id == user.id for m in stand.moderators)


def stands_for(user: User) -> list[Stand]:
    """The stands a staff member works at (admins: all), by event and position."""
    query = select(Stand).join(Event).order_by(Event.starts_at.desc(), Event.id, Stand.position, Stand.id)
    if not user.has_role("admin"):
        query = query.where(Stand.moderators.any(User.id == user.id))
    return list(db.session.execute(query).scalars())


def works_at_event(user: User | None, event_id: int) -> bool:
    """Whether ``user`` may open the staff pages of one event (door, board, voting totals):
    admins work at every event, moderators at the events where they moderate a stand."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("moderator") and event_id in event_ids_worked_at(user)


def event_ids_worked_at(user: User) -> set[int]:
    """The events where ``user`` moderates a stand (one query; admins are not special here)."""
    return set(db.session.execute(
        select(Stand.event_id).where(Stand.moderators.any(User.id == user.id)).distinct()).scalars())


def moderator_candidates() -> list[User]:
    """Active staff with the moderator role, who can be assigned to stands."""
    return list(db.session.execute(
        select(User).join(UserRole).where(UserRole.role == "moderator", User.active.is_(True))
        .order_by(User.name)
    ).scalars())


# -- stands and wall links --------------------------------------------------------------


def save_stand(event: Event, stand: Stand | None, *, title: str, description: str = "",
               position: int = 0, moderator_ids: Iterable[int] = ()) -> Stand:
    """Create (``stand=None``) or update a stand of ``event`` and set its moderators.

    :raises IdeaError: ``title_required``, ``unknown_moderator``.
    """
    title = clean_text(title)[:MAX_STAND_TITLE]
    if not title:
        raise IdeaError(_l("Please give the stand a title."), "title_required")
    wanted = set(moderator_ids)
    allowed = {u.id: u for u in moderator_candidates()}
    if wanted - set(allowed):
        raise IdeaError(_l("Only active staff with the moderator role can moderate a stand."),
                        "unknown_moderator")
    action = "stand.create" if stand is None else "stand.edit"
    before = _stand_snapshot(stand) if stand is not None else None
    if stand is None:
        stand = Stand(event=event)
        db.session.add(stand)
    stand.title = title
    stand.description = clean_text(description, multiline=True)[:MAX_STAND_DESCRIPTION]
    stand.position = position
    stand.moderators = [allowed[i] for i in sorted(wanted, key=lambda i: allowed[i].name)]
    db.session.flush()
    after = _stand_snapshot(stand)
    log_action(action, stand, event_id=event.id, **(diff(before, after) if before else {"after": after}))
    return stand


def _stand_snapshot(stand: Stand) -> dict:
    return {"title": stand.title, "description": stand.description, "position": stand.position,
            "moderator_ids": sorted(u.id for u in stand.moderators)}


def wall_link(event: Event, *, renew: bool = False) -> WallLink:
    """The event's wall link, made on first use; ``renew`` replaces the token (revokes the old link)."""
    link = db.session.execute(select(WallLink).where(WallLink.event_id == event.id)).scalar_one_or_none()
    if link is None:
        link = WallLink(event=event, token=secrets.token_urlsafe(24))
        db.session.add(link)
    elif renew:
        link.token = secrets.token_urlsafe(24)
        link.created_at = utcnow()
        log_action("wall_link.renew", event)
    db.session.flush()
    return link


def event_by_wall_token(token: str) -> Event | None:
    if not token or len(token) > 64:
        return None
    link = db.session.execute(select(WallLink).where(WallLink.token == token)).scalar_one_or_none()
    return link.event if link else None


# -- input checks -----------------------------------------------------------------------


def parse_idea_input(raw: object) -> tuple[str, list[str]]:
    """Clean what a moderator typed and split off inline ``#tags``.

    :raises IdeaError: ``text_invalid``, ``text_required``, ``text_too_long``, ``too_many_tags``.
    """
    if not isinstance(raw, str):
        raise IdeaError(_l("The idea must be text."), "text_invalid")
    if len(raw) > 4 * MAX_IDEA_LENGTH:
        raise IdeaError(_too_long(len(raw)), "text_too_long")
    text, labels = split_tags(clean_text(raw))
    if not text:
        raise IdeaError(_l("Please enter the idea's text."), "text_required")
    if len(text) > MAX_IDEA_LENGTH:
        raise IdeaError(_too_long(len(text)), "text_too_long")
    if len(labels) > MAX_TAGS_PER_IDEA:
        raise IdeaError(TOO_MANY_TAGS, "too_many_tags")
    return text, labels


def _clean_said_by(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IdeaError(_l("\"Said by\" must be text."), "said_by_invalid")
    value = clean_text(value)
    if len(value) > MAX_SAID_BY_LENGTH:
        raise IdeaError(lazy_ngettext("\"Said by\" can have at most %(num)d character.",
                                      "\"Said by\" can have at most %(num)d characters.", MAX_SAID_BY_LENGTH),
                        "said_by_too_long")
    return value


def normalise_client_id(value: object) -> str:
    """A UUID in canonical form; a missing id gets a fresh one (plain form without JS).

    :raises IdeaError: ``invalid_client_id``.
    """
    if value is None or value == "":
        return str(uuid.uuid4())
    if not isinstance(value, str) or not _CLIENT_ID.match(value.strip()):
        raise IdeaError(_l("The idea's client id is not valid. Please reload the page."), "invalid_client_id")
    return str(uuid.UUID(value.strip()))


def parse_tag_list(raw: object) -> list[str]:
    """Tags typed into a tag field: separated by spaces or commas, ``#`` optional."""
    if not isinstance(raw, str):
        return []
    labels, seen = [], set()
    for part in re.split(r"[\s,;]+", clean_text(raw)):
        label = tag_label(part)
        key = tag_key(label)
        if key and key not in seen:
            seen.add(key)
            labels.append(label)
    if len(labels) > MAX_TAGS_PER_IDEA:
        raise IdeaError(TOO_MANY_TAGS, "too_many_tags")
    return labels


# -- tags -------------------------------------------------------------------------------


def tags_for(process_id: int, labels: Sequence[str]) -> list[Tag]:
    """The process's tags for ``labels`` (matched by folded key), created where missing."""
    by_key: dict[str, str] = {}
    for label in labels:
        key = tag_key(label)
        if key:
            by_key.setdefault(key, tag_label(label))
    if not by_key:
        return []
    existing = {t.key: t for t in db.session.execute(
        select(Tag).where(Tag.process_id == process_id, Tag.key.in_(by_key))).scalars()}
    result = []
    for key, label in by_key.items():
        tag = existing.get(key)
        if tag is None:
            tag = Tag(process_id=process_id, key=key, label=label)
            db.session.add(tag)
        result.append(tag)
    db.session.flush()
    return result


def process_tags(process_id: int) -> list[tuple[Tag, int]]:
    """The process's tags with how many visible ideas carry each, most used first."""
    count = func.count(Idea.id)
    rows = db.session.execute(
        select(Tag, count)
        .outerjoin(IdeaTag, IdeaTag.tag_id == Tag.id)
        .outerjoin(Idea, (Idea.id == IdeaTag.idea_id) & Idea.is_visible)
        .where(Tag.process_id == process_id)
        .group_by(Tag.id)
        .order_by(count.desc(), Tag.label)
    ).all()
    return [(tag, n) for tag, n in rows]


# -- ideas ------------------------------------------------------------------------------


def _visibility_changed(ideas: list[Idea]) -> None:
    """Ideas were shown again, merged or un-merged (flushed): the signal ``idea_visibility_changed``
    (the measures feature keeps "adopted" on the ideas a measure holds)."""
    signals.idea_visibility_changed.send(ideas)


def _log(idea: Idea, action: str, user: User | None, *, other: Idea | None = None, detail: dict | None = None) -> None:
    db.session.add(IdeaLog(idea_id=idea.id, action=action, user_id=user.id if user else None,
                           other_idea_id=other.id if other else None,
                           detail=json.dumps(detail, ensure_ascii=False) if detail else ""))


def _idea_snapshot(idea: Idea) -> dict:
    """What the audit log keeps of an idea (never "said by": personal data)."""
    return {"text": idea.text, "status": idea.status, "stand_id": idea.stand_id,
            "tags": sorted(t.label for t in idea.tags)}


def find_by_client_id(stand_id: int, client_id: str) -> Idea | None:
    return db.session.execute(
        select(Idea).where(Idea.stand_id == stand_id, Idea.client_id == client_id)
    ).scalar_one_or_none()


def record_idea(stand: Stand, raw_text: object, *, said_by: object = "", client_id: object = None,
                user: User | None = None, channel: str = IdeaChannel.ROOM.value,
                participant_id: int | None = None,
                moderation: str = Moderation.VISIBLE.value) -> tuple[Idea, bool]:
    """Record an idea at ``stand``; inline ``#tags`` become the idea's tags.

    A participant's online idea (app/participation/services.py) passes ``channel="online"``, its
    ``participant_id`` and ``moderation`` (pending under pre-moderation).

    Idempotent by ``client_id``: sending the same id again returns the idea
    already stored. (Two concurrent sends race on the unique constraint; the
    loser's commit fails and the caller retries, then finds the winner's idea.)

    :return: the idea and whether it was created now.
    :raises IdeaError: see :func:`parse_idea_input`; ``invalid_client_id``, ``said_by_too_long``.
    """
    client_id = normalise_client_id(client_id)
    existing = find_by_client_id(stand.id, client_id)
    if existing is not None:
        return existing, False
    text, labels = parse_idea_input(raw_text)
    idea = Idea(stand=stand, text=text, said_by=_clean_said_by(said_by), client_id=client_id,
                created_by=user, status=IdeaStatus.NEW.value, channel=channel, participant_id=participant_id,
                moderation=moderation)
    idea.tags = tags_for(stand.event.process_id, labels)
    db.session.add(idea)
    db.session.flush()
    _log(idea, "create", user)
    log_action("idea.create", idea, event_id=stand.event_id, after=_idea_snapshot(idea))
    live.note_change(idea, "create")
    return idea, True


def edit_idea(idea: Idea, raw_text: object, *, user: User | None, said_by: object = None,
              tags: Sequence[str] | None = None) -> Idea:
    """Change an idea's text (inline ``#tags`` are added) and optionally its said-by and tags.

    :param tags: the complete new tag list, or None to keep the current tags.
    :raises IdeaError: see :func:`parse_idea_input`.
    """
    text, labels = parse_idea_input(raw_text)
    before = _idea_snapshot(idea)
    said_by_before = idea.said_by
    previous = idea.text
    idea.text = text
    if said_by is not None:
        idea.said_by = _clean_said_by(said_by)
    process_id = idea.stand.event.process_id
    if tags is not None:
        wanted = tags_for(process_id, [*tags, *labels])
    else:
        wanted = list(idea.tags) + [t for t in tags_for(process_id, labels) if t not in idea.tags]
    if len(wanted) > MAX_TAGS_PER_IDEA:
        raise IdeaError(TOO_MANY_TAGS, "too_many_tags")
    idea.tags = wanted
    idea.updated_at = utcnow()
    db.session.flush()
    _log(idea, "edit", user, detail={"previous_text": previous} if previous != text else None)
    changes = diff(before, _idea_snapshot(idea))
    if idea.said_by != said_by_before:  # personal data: only that it changed
        changes["before"]["said_by_changed"], changes["after"]["said_by_changed"] = False, True
    log_action("idea.edit", idea, event_id=idea.stand.event_id, **changes)
    live.note_change(idea, "edit")
    return idea


def hide_idea(idea: Idea, reason: object, *, user: User | None) -> Idea:
    """Hide an idea from walls and public views; staff still see it with the reason.

    :raises IdeaError: ``reason_required``, ``cannot_hide``.
    """
    reason = clean_text(reason if isinstance(reason, str) else "")
    if not reason:
        raise IdeaError(_l("Please give a reason for hiding the idea."), "reason_required")
    if len(reason) > MAX_REASON_LENGTH:
        raise IdeaError(lazy_ngettext("The reason can have at most %(num)d character.",
                                      "The reason can have at most %(num)d characters.", MAX_REASON_LENGTH),
                        "reason_too_long")
    if not idea.is_visible:
        raise IdeaError(_l("Only a visible idea can be hidden."), "cannot_hide")
    before = {"status": idea.status, "hidden_reason": idea.hidden_reason}
    idea.status = IdeaStatus.HIDDEN.value
    idea.hidden_reason = reason
    idea.updated_at = utcnow()
    db.session.flush()
    log_action("idea.hide", idea, event_id=idea.stand.event_id, before=before,
               after={"status": idea.status, "hidden_reason": reason})
    _log(idea, "hide", user, detail={"reason": reason})
    live.note_change(idea, "hide")
    return idea


def unhide_idea(idea: Idea, *, user: User | None) -> Idea:
    """:raises IdeaError: ``not_hidden``."""
    if idea.status != IdeaStatus.HIDDEN.value:
        raise IdeaError(_l("This idea is not hidden."), "not_hidden")
    before = {"status": idea.status, "hidden_reason": idea.hidden_reason}
    idea.status = IdeaStatus.NEW.value
    idea.hidden_reason = ""
    idea.updated_at = utcnow()
    db.session.flush()
    log_action("idea.unhide", idea, event_id=idea.stand.event_id, before=before,
               after={"status": idea.status, "hidden_reason": ""})
    _log(idea, "unhide", user)
    _visibility_changed([idea])
    live.note_change(idea, "unhide")
    return idea


def event_id_of(idea: Idea) -> int:
    return idea.stand.event_id


def merge_ideas(target: Idea, sources: Sequence[Idea], *, user: User | None) -> Idea:
    """Merge duplicates into ``target``: the sources stay readable (status merged,
    ``merged_into_id``), their tags are added to the target, and each step is logged.

    Dots stay on the ideas they were cast for; the survivor's total is the sum over
    :func:`app.ideas.merge_groups.group_ids`.

    Merges stay within one event: an event's results are its own, and a merge across events would
    silently move dots and tags into another event's (perhaps published) results.

    :raises IdeaError: ``merge_nothing``, ``merge_self``, ``merge_not_visible``, ``merge_other_event``.
    """
    if not sources:
        raise IdeaError(_l("Choose at least one idea to merge."), "merge_nothing")
    if not target.is_visible:
        raise IdeaError(_l("Ideas can only be merged into a visible idea."), "merge_not_visible")
    event_id = event_id_of(target)
    for source in sources:
        if source.id == target.id:
            raise IdeaError(_l("An idea cannot be merged into itself."), "merge_self")
        if event_id_of(source) != event_id:
            raise IdeaError(_l("Idea %(id)s belongs to another event. Only ideas of the same event can be "
                               "merged.", id=idea_number(source.id)), "merge_other_event")
        if not source.is_visible:
            raise IdeaError(_l("Idea %(id)s is hidden or already merged.", id=idea_number(source.id)), "merge_not_visible")
    for source in sources:
        added = [t for t in source.tags if t not in target.tags]
        target.tags = list(target.tags) + added
        status_before = source.status
        source.status = IdeaStatus.MERGED.value
        source.merged_into = target
        source.updated_at = utcnow()
        db.session.flush()
        _log(source, "merge", user, other=target, detail={"added_tag_ids": [t.id for t in added]})
        log_action("idea.merge", source, event_id=source.stand.event_id,
                   before={"status": status_before, "merged_into_id": None},
                   after={"status": source.status, "merged_into_id": target.id,
                          "tags_added_to_target": [t.label for t in added]})
        _log(target, "absorb", user, other=source)
        live.note_change(source, "merge")
    target.updated_at = utcnow()
    db.session.flush()
    _visibility_changed([target, *sources])
    signals.ideas_merged.send(target, sources=list(sources))  # participation mails the sources' followers
    live.note_change(target, "merge")
    return target


def unmerge_idea(source: Idea, *, user: User | None) -> Idea:
    """Undo a merge: ``source`` becomes a visible idea again; tags that merges added to
    the survivor are removed unless a source still merged into it has them.

    :raises IdeaError: ``not_merged``.
    """
    target = source.merged_into
    if source.status != IdeaStatus.MERGED.value or target is None:
        raise IdeaError(_l("This idea is not merged into another one."), "not_merged")
    # Tags any merge brought into the survivor; they leave again unless a remaining source has them.
    details = db.session.execute(
        select(IdeaLog.detail).where(IdeaLog.other_idea_id == target.id, IdeaLog.action == "merge")
    ).scalars()
    added_ids = {tag_id for detail in details if detail for tag_id in json.loads(detail).get("added_tag_ids", [])}
    source.status = IdeaStatus.NEW.value
    source.merged_into = None
    source.updated_at = utcnow()
    db.session.flush()
    still_from_sources = {t.id for s in target.sources if s.id != source.id for t in s.tags}
    target.tags = [t for t in target.tags if t.id not in added_ids or t.id in still_from_sources]
    target.updated_at = utcnow()
    db.session.flush()
    _log(source, "unmerge", user, other=target)
    log_action("idea.unmerge", source, event_id=source.stand.event_id,
               before={"status": IdeaStatus.MERGED.value, "merged_into_id": target.id},
               after={"status": source.status, "merged_into_id": None})
    _log(target, "release", user, other=source)
    _visibility_changed([source, target])
    live.note_change(source, "unmerge")
    live.note_change(target, "unmerge")
    return source


def stand_counts(stand_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per stand: how many released ideas (:attr:`Idea.is_released`) in each status (one GROUP BY
    query); online ideas waiting for moderation or withdrawn are not counted."""
    counts: dict[int, dict[str, int]] = {sid: {} for sid in stand_ids}
    if not stand_ids:
        return counts
    for stand_id, status, n in db.session.execute(
        select(Idea.stand_id, Idea.status, func.count(Idea.id))
        .where(Idea.stand_id.in_(stand_ids), Idea.is_released).group_by(Idea.stand_id, Idea.status)
    ):
        counts[stand_id][status] = n
    return counts


def top_tags_by_stand(stand_ids: Sequence[int], limit: int = 5) -> dict[int, list[tuple[str, int]]]:
    """Per stand: its most used tags on visible ideas (label, count)."""
    result: dict[int, list[tuple[str, int]]] = {sid: [] for sid in stand_ids}
    if not stand_ids:
        return result
    count = func.count(IdeaTag.id)
    rows = db.session.execute(
        select(Idea.stand_id, Tag.label, count)
        .join(IdeaTag, IdeaTag.idea_id == Idea.id).join(Tag, Tag.id == IdeaTag.tag_id)
        .where(Idea.stand_id.in_(stand_ids), Idea.is_visible)
        .group_by(Idea.stand_id, Tag.id, Tag.label)
        .order_by(Idea.stand_id, count.desc(), Tag.label)
    ).all()
    for stand_id, label, n in rows:
        if len(result[stand_id]) < limit:
            result[stand_id].append((label, n))
    return result
