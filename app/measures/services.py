"""Rules for strategy measures: create and edit, the status flow with its history,
linking ideas, public reasons for ideas not taken, and the data of the public page.

Services flush; the request commits. A status change queues the notification mails
(:mod:`app.measures.notify`) in the same transaction.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import diff, log_action, snapshot
from app.core.domain import DomainError
from app.core.formatting import format_day
from app.core.labels import register_labels
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.display import idea_number
from app.ideas.models import Idea, IdeaLog, IdeaStatus, IdeaTag, Stand, Tag
from app.measures.models import (
    MEASURE_STATUSES, IdeaNotTaken, Measure, MeasureIdea, MeasureStatus, MeasureStatusChange,
)

MAX_TITLE = 300
MAX_CHAPTER = 200
MAX_OFFICE = 200
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 2_000
MAX_REASON = 1_000
#: Most ideas linked in one request.
MAX_LINK_BATCH = 200

STATUS_LABELS = register_labels("measure.status", {
    MeasureStatus.PROPOSED.value: _l("proposed"),
    MeasureStatus.ADOPTED.value: _l("adopted by the council"),
    MeasureStatus.IN_PROGRESS.value: _l("in progress"),
    MeasureStatus.DONE.value: _l("done"),
    MeasureStatus.REJECTED.value: _l("rejected"),
})

#: Which status may follow which. "done" can be reopened, "rejected" proposed again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    MeasureStatus.PROPOSED.value: (MeasureStatus.ADOPTED.value, MeasureStatus.REJECTED.value),
    MeasureStatus.ADOPTED.value: (MeasureStatus.IN_PROGRESS.value, MeasureStatus.DONE.value,
                                  MeasureStatus.REJECTED.value),
    MeasureStatus.IN_PROGRESS.value: (MeasureStatus.DONE.value, MeasureStatus.REJECTED.value),
    MeasureStatus.DONE.value: (MeasureStatus.IN_PROGRESS.value,),
    MeasureStatus.REJECTED.value: (MeasureStatus.PROPOSED.value,),
}


class MeasureError(DomainError):
    """A rule of the measures feature was broken; ``code`` is stable for tests."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(code, message, field)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def next_statuses(measure: Measure) -> tuple[str, ...]:
    return TRANSITIONS.get(measure.status, ())


def today() -> date:
    return utcnow().date()


# -- measures -----------------------------------------------------------------------------------


def _clean(value: object, maximum: int, *, multiline: bool = False, required_message=None,
           too_long_message=None, code: str = "", field_name: str | None = None) -> str:
    text = clean_text(value if isinstance(value, str) else "", multiline=multiline)
    if required_message is not None and not text:
        raise MeasureError(required_message, f"{code}_required", field_name)
    if len(text) > maximum:
        raise MeasureError(too_long_message or lazy_ngettext("This text can have at most %(num)d character.",
                                                               "This text can have at most %(num)d characters.", maximum),
                           f"{code}_too_long", field_name)
    return text


def clean_title(value: object) -> str:
    return _clean(value, MAX_TITLE, required_message=_l("Please give the measure a title."),
                  too_long_message=lazy_ngettext("The title can have at most %(num)d character.",
                                                "The title can have at most %(num)d characters.", MAX_TITLE),
                  code="title", field_name="title")


def clean_progress(value: object) -> int:
    try:
        progress = int(value) if value is not None and value != "" else 0
    except (TypeError, ValueError):
        raise MeasureError(_l("The progress must be a whole number from 0 to 100."), "progress_invalid",
                           "progress") from None
    if not 0 <= progress <= 100:
        raise MeasureError(_l("The progress must be a whole number from 0 to 100."), "progress_invalid", "progress")
    return progress


def _check_title_free(process_id: int, title: str, measure_id: int | None = None) -> None:
    query = sa.select(Measure.id).where(Measure.process_id == process_id,
                                        sa.func.lower(Measure.title) == title.lower())
    if measure_id is not None:
        query = query.where(Measure.id != measure_id)
    if db.session.execute(query.limit(1)).first():
        raise MeasureError(_l("This process already has a measure with this title."), "title_taken", "title")


def _check_date(on: date | None, measure: Measure | None) -> date:
    on = on or today()
    if on > today():
        raise MeasureError(_l("The date of a status change cannot be in the future."), "date_in_future", "changed_on")
    if measure is not None and measure.status_date and on < measure.status_date:
        raise MeasureError(
            _l("The date cannot be before the date of the current status (%(date)s).",
               date=format_day(measure.status_date, "long")), "date_before_current", "changed_on")
    return on


def create_measure(process: Process, *, title: object, description: object = "", chapter: object = "",
                   office: object = "", progress: object = 0, status: str = MeasureStatus.PROPOSED.value,
                   on: date | None = None, comment: object = "", user: User | None = None) -> Measure:
    """Create a measure of ``process`` with its first history row.

    :raises MeasureError: ``title_required``, ``title_too_long``, ``title_taken``, ``status_unknown``,
        ``progress_invalid``, ``date_in_future``, ``*_too_long``.
    """
    title = clean_title(title)
    if status not in MEASURE_STATUSES:
        raise MeasureError(_l("Unknown status."), "status_unknown", "status")
    fields = _clean_fields(description, chapter, office)
    progress_value = clean_progress(progress)
    if status == MeasureStatus.DONE.value:
        progress_value = 100
    comment_text = _clean(comment, MAX_COMMENT, multiline=True, code="comment", field_name="comment")
    on = _check_date(on, None)
    _check_title_free(process.id, title)
    measure = Measure(process_id=process.id, title=title, status=status, status_date=on, progress=progress_value,
                      **fields)
    db.session.add(measure)
    db.session.flush()
    db.session.add(MeasureStatusChange(measure_id=measure.id, from_status=None, to_status=status, changed_on=on,
                                       comment=comment_text, user_id=user.id if user else None))
    db.session.flush()
    log_action("measure.create", measure, after=snapshot(measure))
    return measure


def _clean_fields(description: object, chapter: object, office: object) -> dict[str, str]:
    return {
        "description": _clean(description, MAX_DESCRIPTION, multiline=True, code="description",
                              field_name="description"),
        "chapter": _clean(chapter, MAX_CHAPTER, code="chapter", field_name="chapter"),
        "office": _clean(office, MAX_OFFICE, code="office", field_name="office"),
    }


def update_measure(measure: Measure, *, title: object, description: object = "", chapter: object = "",
                   office: object = "", progress: object = 0) -> Measure:
    """Change the texts and the progress of a measure (its status changes through :func:`change_status`).

    :raises MeasureError: as :func:`create_measure`.
    """
    title = clean_title(title)
    fields = _clean_fields(description, chapter, office)
    progress_value = clean_progress(progress)
    _check_title_free(measure.process_id, title, measure.id)
    before = snapshot(measure, ("title", "description", "chapter", "office", "progress"))
    measure.title = title
    for name, value in fields.items():
        setattr(measure, name, value)
    measure.progress = progress_value
    measure.updated_at = utcnow()
    db.session.flush()
    changes = diff(before, measure)
    if changes["after"]:
        log_action("measure.edit", measure, **changes)
    return measure


def change_status(measure: Measure, status: str, *, on: date | None = None, comment: object = "",
                  progress: object = None, user: User | None = None, notify: bool = True) -> MeasureStatusChange:
    """Move ``measure`` to ``status``: writes a history row (date, public comment), updates the
    measure, and queues a mail to every participant who opted in and whose event's ideas the
    measure took up.

    :param on: the day of the change (default today); not in the future, not before the current status.
    :param progress: a new progress figure, or None to keep it ("done" sets 100).
    :raises MeasureError: ``status_unknown``, ``status_same``, ``transition_not_allowed``,
        ``date_in_future``, ``date_before_current``, ``comment_too_long``, ``progress_invalid``.
    """
    if status not in MEASURE_STATUSES:
        raise MeasureError(_l("Unknown status."), "status_unknown", "status")
    if status == measure.status:
        raise MeasureError(_l("The measure already has the status “%(status)s”.", status=status_label(status)),
                           "status_same", "status")
    if status not in next_statuses(measure):
        raise MeasureError(
            _l("A measure cannot go from “%(old)s” to “%(new)s”.", old=status_label(measure.status),
               new=status_label(status)), "transition_not_allowed", "status")
    comment_text = _clean(comment, MAX_COMMENT, multiline=True, code="comment", field_name="comment")
    on = _check_date(on, measure)
    new_progress = clean_progress(progress) if progress is not None and progress != "" else measure.progress
    if status == MeasureStatus.DONE.value:
        new_progress = 100
    # Atomic guard: two admins changing the status at once cannot both pass the check above.
    changed = db.session.execute(
        sa.update(Measure).where(Measure.id == measure.id, Measure.status == measure.status)
        .values(status=status, status_date=on, progress=new_progress, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise MeasureError(_l("The measure was changed meanwhile. Please reload the page."), "conflict")
    change = MeasureStatusChange(measure_id=measure.id, from_status=measure.status, to_status=status,
                                 changed_on=on, comment=comment_text, user_id=user.id if user else None)
    db.session.add(change)
    db.session.flush()
    db.session.refresh(measure)
    log_action("measure.status", measure, before={"status": change.from_status},
               after={"status": status, "date": on, "comment": comment_text, "progress": new_progress})
    if notify:
        from app.measures import notify as notify_module

        notify_module.queue_status_mails(measure, change)
    return change


def measures_of(process_id: int) -> list[Measure]:
    """The measures of a process, by chapter and title."""
    return list(db.session.execute(
        sa.select(Measure).where(Measure.process_id == process_id)
        .order_by(Measure.chapter, Measure.title, Measure.id)
    ).scalars())


def measure_count(process_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(Measure.id)).where(Measure.process_id == process_id)).scalar_one()


def link_counts(measure_ids: Sequence[int]) -> dict[int, int]:
    if not measure_ids:
        return {}
    return dict(db.session.execute(
        sa.select(MeasureIdea.measure_id, sa.func.count(MeasureIdea.id))
        .where(MeasureIdea.measure_id.in_(measure_ids)).group_by(MeasureIdea.measure_id)
    ).all())


# -- ideas and their measures -----------------------------------------------------------------


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


def _root_cte():
    return merge_groups.groups(name="measure_idea_root")


def sync_idea_status(idea_ids: Sequence[int]) -> None:
    """Keep "adopted" exactly on the visible ideas that a measure holds, directly or through
    an idea merged into them; other visible ideas are "new". Hidden and merged ideas keep
    their status (they show nothing publicly)."""
    if not idea_ids:
        return
    roots = _root_cte()
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
    reason_text = _clean(reason, MAX_REASON, multiline=True,
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
    roots = _root_cte()
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


# -- the public page ------------------------------------------------------------------------------


@dataclass
class PublicIdea:
    id: int
    text: str
    stand: str
    event: str
    event_id: int
    tags: list[str]
    dots: int = 0
    measures: list[tuple[int, str]] = field(default_factory=list)
    reason: str = ""


@dataclass
class PublicMeasure:
    measure: Measure
    history: list[MeasureStatusChange]
    ideas: list[PublicIdea] = field(default_factory=list)


@dataclass
class Outcome:
    measures: list[PublicMeasure]
    chapters: list[tuple[str, list[PublicMeasure]]]
    #: Ideas taken into measures, by event title and stand.
    taken: list[PublicIdea]
    not_taken: list[PublicIdea]


def _published_events(process_id: int) -> sa.Select:
    """Events whose results are published: only their ideas are public (as in the results and the API)."""
    return sa.select(Event.id).where(Event.process_id == process_id, Event.status == EventStatus.PUBLISHED.value)


def dot_totals(event_ids: Sequence[int], idea_ids: Sequence[int]) -> dict[int, int]:
    """Total dots (room, board, online; merged ideas counted for their survivor) of the given
    surviving ideas, counted as everywhere (:func:`app.ideas.merge_groups.dots_per_root`). One query."""
    if not event_ids or not idea_ids:
        return {}
    dots = merge_groups.dots_per_root(merge_groups.groups(event_ids))
    return {root_id: int(total or 0) for root_id, total in db.session.execute(
        sa.select(dots.c.root_id, dots.c.room + dots.c.online + dots.c.board).where(dots.c.root_id.in_(idea_ids))
    ).all()}


def outcome(process: Process) -> Outcome:
    """Everything the public page "what became of the ideas" shows, in a fixed number of queries.

    Only public data: measure texts and history comments, idea texts, stands, events, tags and
    dots. Ideas merged into another count for the survivor; hidden ideas are never shown, and
    ideas only once their event's results are published (as in the results and the API).
    """
    measures = list(db.session.execute(
        sa.select(Measure).where(Measure.process_id == process.id)
        .order_by(Measure.chapter, Measure.title, Measure.id).options(selectinload(Measure.history))
    ).scalars())
    roots = _root_cte()
    links = db.session.execute(
        sa.select(MeasureIdea.measure_id, roots.c.root_id)
        .join(roots, roots.c.idea_id == MeasureIdea.idea_id)
        .join(Measure, Measure.id == MeasureIdea.measure_id)
        .where(Measure.process_id == process.id)
    ).all()
    reasons = dict(db.session.execute(
        sa.select(IdeaNotTaken.idea_id, IdeaNotTaken.reason)
        .join(Idea, Idea.id == IdeaNotTaken.idea_id).join(Stand, Stand.id == Idea.stand_id)
        .where(Stand.event_id.in_(_published_events(process.id)))
    ).all())
    linked_roots = {root_id for _, root_id in links}
    wanted = linked_roots | set(reasons)
    ideas: dict[int, PublicIdea] = {}
    if wanted:
        rows = db.session.execute(
            sa.select(Idea.id, Idea.text, Stand.title, Event.title, Event.id)
            .join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
            .where(Idea.id.in_(wanted), Idea.is_visible,
                   Event.process_id == process.id, Event.status == EventStatus.PUBLISHED.value)
            .order_by(Event.starts_at, Event.id, Stand.position, Idea.id)
        ).all()
        for idea_id, text, stand_title, event_title, event_id in rows:
            ideas[idea_id] = PublicIdea(id=idea_id, text=text, stand=stand_title, event=event_title,
                                        event_id=event_id, tags=[])
        for idea_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .where(IdeaTag.idea_id.in_(list(ideas))).order_by(Tag.label)
        ).all() if ideas else ():
            ideas[idea_id].tags.append(label)
        event_ids = sorted({i.event_id for i in ideas.values()})
        totals = dot_totals(event_ids, list(ideas))
        for idea in ideas.values():
            idea.dots = totals.get(idea.id, 0)
    by_measure: dict[int, list[int]] = {}
    titles = {m.id: m.title for m in measures}
    for measure_id, root_id in links:
        if root_id in ideas and root_id not in by_measure.setdefault(measure_id, []):
            by_measure[measure_id].append(root_id)
            ideas[root_id].measures.append((measure_id, titles[measure_id]))
    public = []
    for measure in measures:
        entry = PublicMeasure(measure=measure, history=list(measure.history))
        entry.ideas = sorted((ideas[i] for i in by_measure.get(measure.id, [])), key=lambda i: (-i.dots, i.id))
        public.append(entry)
    chapters: dict[str, list[PublicMeasure]] = {}
    for entry in public:
        chapters.setdefault(entry.measure.chapter, []).append(entry)
    taken = [i for i in ideas.values() if i.measures]
    for idea in taken:
        idea.measures.sort(key=lambda m: m[1])
    not_taken = []
    for idea_id, reason in reasons.items():
        idea = ideas.get(idea_id)
        if idea is not None and not idea.measures:
            idea.reason = reason
            not_taken.append(idea)
    order = {idea_id: n for n, idea_id in enumerate(ideas)}
    not_taken.sort(key=lambda i: order[i.id])
    return Outcome(measures=public, chapters=list(chapters.items()), taken=taken, not_taken=not_taken)


def process_measures(process_id: int) -> list[dict]:
    """The measures of a process as plain data (for the API and the exports): texts, status,
    progress, history and the ids of the visible ideas taken into each (merged ideas count
    for their survivor)."""
    process = db.session.get(Process, process_id)
    if process is None:
        return []
    data = outcome(process)
    return [{
        "id": entry.measure.id,
        "title": entry.measure.title,
        "description": entry.measure.description,
        "chapter": entry.measure.chapter,
        "office": entry.measure.office,
        "status": entry.measure.status,
        "status_date": entry.measure.status_date.isoformat(),
        "progress": entry.measure.progress,
        "history": [{"from_status": h.from_status, "to_status": h.to_status, "date": h.changed_on.isoformat(),
                     "comment": h.comment} for h in entry.history],
        "idea_ids": [i.id for i in entry.ideas],
    } for entry in data.measures]
