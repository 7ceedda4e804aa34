"""Ideas and measures: linking ideas into measures (their status "adopted" follows the links
through merges), public reasons for ideas not taken, and the look-ups for lists, API and exports."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import log_action
from app.core import signals
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Event
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.display import idea_number
from app.ideas.models import Idea, IdeaLog, IdeaStatus, Stand
from app.measures.base import MAX_LINK_BATCH, MAX_REASON, MeasureError, clean
from app.measures.models import IdeaNotTaken, Measure, MeasureIdea


def _process_of_idea(idea: Idea) -> int:
    return idea.stand.event.process_id


def _log(idea: Idea, action: str, user: User | None, detail: dict) -> None:
    db.session.add(IdeaLog(idea_id=idea.id, action=action, user_id=user.id if user else None,
                           detail=json.dumps(detail, ensure_ascii=False)))


def _check_linkable(measure: Measure, idea: Idea) -> None:
    if _process_of_idea(idea) != measure.process_id:
        raise MeasureError(_l("Idea %(id)s belongs to another process.", id=idea_number(idea.id)), "other_process")
    if idea.status == IdeaStatus.MERGED.value and idea.merged_into_id:
        raise MeasureError(
            _l("Idea %(id)s was merged into idea %(target)s; link that one.", id=idea_number(idea.id),
               target=idea_number(idea.merged_into_id)), "idea_merged")
    if not idea.is_visible:
        raise MeasureError(_l("Idea %(id)s is hidden and cannot be taken into a measure.", id=idea_number(idea.id)),
                           "idea_hidden")


def link_ideas(measure: Measure, ideas: Iterable[Idea], *, user: User | None = None) -> list[Idea]:
    """Take ``ideas`` into ``measure``. Ideas already linked are skipped; a public reason
    for not taking an idea is removed (it is taken now). Ideas get the status "adopted".

    All-or-nothing: one idea that cannot be linked refuses the whole batch.

    :return: the ideas linked now.
    :raises MeasureError: ``other_process``, ``idea_merged``, ``idea_hidden``, ``too_many``.
    """
    ideas = list({i.id: i for i in ideas}.values())
    if len(ideas) > MAX_LINK_BATCH:
        raise MeasureError(lazy_ngettext("At most %(num)d idea can be linked at once.",
                                         "At most %(num)d ideas can be linked at once.", MAX_LINK_BATCH), "too_many")
    for idea in ideas:
        _check_linkable(measure, idea)
    existing = set(db.session.execute(
        sa.select(MeasureIdea.idea_id).where(MeasureIdea.measure_id == measure.id,
                                             MeasureIdea.idea_id.in_([i.id for i in ideas]))
    ).scalars()) if ideas else set()
    linked = []
    for idea in ideas:
        if idea.id in existing:
            continue
        # A SAVEPOINT per row: a parallel request linking the same pair loses only this row.
        try:
            with db.session.begin_nested():
                db.session.add(MeasureIdea(measure_id=measure.id, idea_id=idea.id,
                                           created_by_id=user.id if user else None))
                db.session.flush()
        except sa.exc.IntegrityError:
            continue
        db.session.execute(sa.delete(IdeaNotTaken).where(IdeaNotTaken.idea_id == idea.id))
        _log(idea, "link", user, {"measure_id": measure.id, "measure": measure.title})
        linked.append(idea)
    sync_idea_status([i.id for i in ideas])
    db.session.flush()
    if linked:
        log_action("measure.link_ideas", measure, after={"idea_ids": [i.id for i in linked]})
        signals.measure_ideas_linked.send(measure, ideas=linked)  # participation mails the ideas' followers
    return linked


def unlink_idea(measure: Measure, idea: Idea, *, user: User | None = None) -> bool:
    """Remove the link; the idea is "new" again when no measure holds it any more.

    :return: whether a link was removed.
    """
    removed = db.session.execute(
        sa.delete(MeasureIdea).where(MeasureIdea.measure_id == measure.id, MeasureIdea.idea_id == idea.id)
    ).rowcount
    if removed:
        _log(idea, "unlink", user, {"measure_id": measure.id, "measure": measure.title})
        sync_idea_status([idea.id])
        db.session.flush()
        log_action("measure.unlink_idea", measure, before={"idea_ids": [idea.id]})
    return bool(removed)


def root_cte():
    """The merge groups (idea, survivor) under the name the measures' statements use."""
    return merge_groups.groups(name="measure_idea_root")


def sync_idea_status(idea_ids: Sequence[int]) -> None:
    """Keep "adopted" exactly on the visible ideas that a measure holds, directly or through
    an idea merged into them; other visible ideas are "new". Hidden and merged ideas keep
    their status (they show nothing publicly)."""
    if not idea_ids:
        return
    roots = root_cte()
    linked_roots = set(db.session.execute(
        sa.select(roots.c.root_id).join(MeasureIdea, MeasureIdea.idea_id == roots.c.idea_id)
        .where(roots.c.root_id.in_(idea_ids))
    ).scalars())
    for status, ids in ((IdeaStatus.ADOPTED.value, [i for i in idea_ids if i in linked_roots]),
                        (IdeaStatus.NEW.value, [i for i in idea_ids if i not in linked_roots])):
        if ids:
            db.session.execute(
                sa.update(Idea).where(Idea.id.in_(ids), Idea.is_visible, Idea.status != status)
                .values(status=status).execution_options(synchronize_session="fetch"))


def after_idea_visibility_change(ideas: Sequence[Idea]) -> None:
    """Receiver of ``idea_visibility_changed``: ideas were shown again, merged or un-merged."""
    ids = {i.id for i in ideas}
    for idea in ideas:
        if idea.merged_into_id:
            ids.add(idea.merged_into_id)
    sync_idea_status(sorted(ids))


def set_not_taken(idea: Idea, reason: object, *, user: User | None = None) -> IdeaNotTaken:
    """Give the public reason why ``idea`` was deliberately not taken into a measure.

    :raises MeasureError: ``reason_required``, ``reason_too_long``, ``idea_linked``, ``idea_hidden``.
    """
    reason_text = clean(reason, MAX_REASON, multiline=True,
                         required_message=_l("Please give the reason why the idea is not taken."),
                         too_long_message=lazy_ngettext("The reason can have at most %(num)d character.",
                                                       "The reason can have at most %(num)d characters.", MAX_REASON),
                         code="reason", field_name="reason")
    if not idea.is_visible:
        raise MeasureError(_l("Idea %(id)s is hidden or merged; it needs no reason.", id=idea_number(idea.id)), "idea_hidden")
    if db.session.execute(sa.select(MeasureIdea.id).where(MeasureIdea.idea_id == idea.id).limit(1)).first():
        raise MeasureError(_l("Idea %(id)s is taken into a measure; remove that link first.", id=idea_number(idea.id)),
                           "idea_linked")
    entry = db.session.execute(sa.select(IdeaNotTaken).where(IdeaNotTaken.idea_id == idea.id)).scalar_one_or_none()
    if entry is None:
        entry = IdeaNotTaken(idea_id=idea.id, reason=reason_text)
        db.session.add(entry)
    entry.reason = reason_text
    entry.user_id = user.id if user else None
    entry.created_at = utcnow()
    _log(idea, "not_taken", user, {"reason": reason_text})
    db.session.flush()
    log_action("idea.not_taken", idea, event_id=idea.stand.event_id, process_id=_process_of_idea(idea),
               after={"reason": reason_text})
    return entry


def clear_not_taken(idea: Idea, *, user: User | None = None) -> bool:
    removed = db.session.execute(sa.delete(IdeaNotTaken).where(IdeaNotTaken.idea_id == idea.id)).rowcount
    if removed:
        _log(idea, "not_taken_cleared", user, {})
        db.session.flush()
        log_action("idea.not_taken_cleared", idea, event_id=idea.stand.event_id, process_id=_process_of_idea(idea))
    return bool(removed)


def not_taken_reasons(idea_ids: Sequence[int]) -> dict[int, str]:
    if not idea_ids:
        return {}
    return dict(db.session.execute(
        sa.select(IdeaNotTaken.idea_id, IdeaNotTaken.reason).where(IdeaNotTaken.idea_id.in_(idea_ids))).all())


def measures_by_idea(idea_ids: Sequence[int]) -> dict[int, list[Measure]]:
    """Per idea: the measures linked to it directly (for the staff lists)."""
    result: dict[int, list[Measure]] = {i: [] for i in idea_ids}
    if not idea_ids:
        return result
    for idea_id, measure in db.session.execute(
        sa.select(MeasureIdea.idea_id, Measure).join(Measure, Measure.id == MeasureIdea.measure_id)
        .where(MeasureIdea.idea_id.in_(idea_ids)).order_by(Measure.title)
    ).all():
        result[idea_id].append(measure)
    return result


def measure_ids_for_ideas(idea_ids: Sequence[int]) -> dict[int, list[int]]:
    """Per idea: the ids of the measures it went into, directly or through ideas merged into it.

    Two queries whatever the number of ideas; for the API and the exports.
    """
    ids = list(idea_ids)
    result: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return {}
    for idea_id, measure_id in db.session.execute(
        sa.select(MeasureIdea.idea_id, MeasureIdea.measure_id).where(MeasureIdea.idea_id.in_(ids))
    ).all():
        result[idea_id].add(measure_id)
    roots = root_cte()
    for root_id, measure_id in db.session.execute(
        sa.select(roots.c.root_id, MeasureIdea.measure_id).join(MeasureIdea, MeasureIdea.idea_id == roots.c.idea_id)
        .where(roots.c.root_id.in_(ids))
    ).all():
        result[root_id].add(measure_id)
    return {i: sorted(m) for i, m in result.items()}


def linked_ideas(measure: Measure) -> list[Idea]:
    """The ideas linked directly to ``measure`` (staff view: every status), by event and stand."""
    return list(db.session.execute(
        sa.select(Idea).join(MeasureIdea, MeasureIdea.idea_id == Idea.id).join(Stand, Stand.id == Idea.stand_id)
        .join(Event, Event.id == Stand.event_id)
        .where(MeasureIdea.measure_id == measure.id)
        .order_by(Event.starts_at, Stand.position, Idea.id)
        .options(selectinload(Idea.stand).selectinload(Stand.event))
    ).scalars())


def search_ideas(measure: Measure, query: str, *, event_id: int | None = None, limit: int = 50) -> list[Idea]:
    """Visible ideas of the measure's process not linked to it yet, whose text contains ``query``."""
    query = clean_text(query)[:200]
    stmt = (sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
            .where(Event.process_id == measure.process_id, Idea.is_visible,
                   ~sa.exists().where(MeasureIdea.measure_id == measure.id, MeasureIdea.idea_id == Idea.id))
            .order_by(Event.starts_at, Stand.position, Idea.id)
            .options(selectinload(Idea.stand).selectinload(Stand.event)).limit(limit))
    if query:
        escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.func.lower(Idea.text).like(f"%{escaped}%", escape="\\"))
    if event_id:
        stmt = stmt.where(Event.id == event_id)
    return list(db.session.execute(stmt).scalars())
