"""Results: read-only aggregations over applications, tickets, ideas and dots.

Everything here only reads. Every function runs a fixed number of SQL statements
(``GROUP BY`` in the database, never a loop over ORM objects), whatever the number
of ideas or dots; each docstring says how many.

How dots are counted (the same rules as :mod:`app.voting`):

* *room* and *online* dots are :class:`~app.voting.models.Dot` rows with that channel,
  *board* dots are the paper dots a moderator counted (:class:`~app.voting.models.BoardCount`);
  *total* is their sum.
* *supports* (issue 18) are an online participant's backing of an idea
  (:class:`~app.participation.models.Support`), not dots: counted beside the dots and never
  added into *total*; a participant counts once per merge group, for its survivor
  (:func:`app.ideas.merge_groups.supports_per_root`).
* A merged idea (``merged_into_id``) is not shown on its own: its dots (of any channel,
  given at any event) count for the surviving idea at the end of its merge chain.
* Hidden ideas vanish from public results. Staff scopes may include them (flagged by
  their status) and always see how many ideas are hidden or merged.
* Filters (event, stand, tag, stakeholder group) apply to the *surviving* idea: its
  stand, its event (and that event's stakeholder group), its tags (a merge adds the
  sources' tags to the survivor).

Public scopes only ever cover events whose results are published.

The functions other features build on (names are stable):

=============================  ===============================================================
:func:`check_publishable`      refuses ``publish`` while voting is open (signal ``event_action``)
:func:`prepared`               count the dots of a scope once for a page (temporary table)
:func:`make_scope`             validated filters → :class:`Scope` (raises :class:`ResultsError`)
:func:`event_scope`            the scope of one event (public or staff)
:func:`participation`          per event: applications, confirmed, selected, seats confirmed,
                               checked in, voters → {event_id: :class:`Participation`}
:func:`participation_by_option`  the same per criterion option of one event
:func:`idea_ranking`           ideas ranked by dots (room/board/online/total), paginated
:func:`idea_count`             how many ideas :func:`idea_ranking` would list
:func:`channel_totals`         ideas, dots and supports per channel (room / online)
:func:`dot_totals`             all dots of the scope per channel (:class:`DotTotals`)
:func:`stand_totals`           ideas and dots per stand (with hidden/merged counts)
:func:`tag_totals`             ideas and dots per tag, most dots first
:func:`top_tags`               the first ``limit`` of :func:`tag_totals`
:func:`group_comparison`       stakeholder groups × tags (or stand titles): shares of ideas/dots
:func:`filter_options`         the stands and tags the filters of a scope can offer
:func:`stakeholder_groups`     the stakeholder groups of a process's events
:func:`published_events`       the published events of a process
=============================  ===============================================================
"""
from __future__ import annotations

import dataclasses
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.domain import DomainError
from app.core.security import MAX_ID
from app.events.models import (
    Application, ApplicationAnswer, ApplicationStatus, Criterion, CriterionOption, Event, EventStatus, Process,
)
from app.extensions import db
from app.ideas import merge_groups as groups_of_ideas
from app.ideas.merge_groups import VISIBLE_STATUSES
from app.ideas.models import Idea, IdeaStatus, IdeaTag, Stand, Tag
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry
from app.voting.models import Channel, Dot, Ticket

#: Ideas shown in public results (not hidden, not merged into another).
#: Longest page of a ranking.
MAX_PAGE_SIZE = 500
#: Applications whose email is confirmed (or that staff entered) and that were not withdrawn before the draw.
VALID_APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus if s is not ApplicationStatus.UNCONFIRMED)
#: Statuses that mean "given a seat at some point" even without a lottery entry.
SEATED_STATUSES = (ApplicationStatus.SELECTED.value, ApplicationStatus.CONFIRMED.value,
                   ApplicationStatus.DECLINED.value)


class ResultsError(DomainError):
    """A filter does not fit the process; ``code`` is stable for tests, ``message`` translatable."""

    def __init__(self, message, code: str):
        super().__init__(code, message)


# ------------------------------------------------------------------ publishing


def refuse_publishing_while_voting(event: Event, action: str) -> None:
    """Receiver of the signal ``event_action``: :func:`check_publishable` for ``publish``."""
    if action == "publish":
        check_publishable(event)


def check_publishable(event: Event) -> None:
    """Refuse to publish an event's results while its voting is still open (one query).

    Checked on the ``publish`` action (:func:`refuse_publishing_while_voting`):
    publishing never closes the vote behind the admin's back.

    :raises EventError: ``voting_open``.
    """
    from app.events.services import EventError
    from app.voting.models import VotingSettings, VotingState

    state = db.session.execute(
        sa.select(VotingSettings.state).where(VotingSettings.event_id == event.id)).scalar_one_or_none()
    if state == VotingState.OPEN.value:
        raise EventError(_l("Voting is still open. Close the voting first, then publish the results."),
                         "voting_open")


# ------------------------------------------------------------------ scope


@dataclass(frozen=True)
class Scope:
    """What an aggregation covers. Build it with :func:`make_scope` or :func:`event_scope`.

    :ivar process_id: the process.
    :ivar event_ids: the events whose ideas count (already narrowed by the event and
        stakeholder-group filters; for public scopes only published events).
    :ivar stand_id: only ideas of this stand.
    :ivar tag_id: only ideas with this tag.
    :ivar public: public view: published events only, hidden ideas never listed.
    :ivar include_hidden: staff only: list hidden ideas too (flagged by their status).
    """

    process_id: int
    event_ids: tuple[int, ...]
    stand_id: int | None = None
    tag_id: int | None = None
    stakeholder_group: str | None = None
    public: bool = True
    include_hidden: bool = False
    #: Set by :func:`prepared`: a temporary table with the dots of the listed ideas.
    ranked_table: str | None = None

    @property
    def listed_statuses(self) -> tuple[str, ...]:
        """Statuses of surviving ideas that are listed and counted."""
        if self.include_hidden and not self.public:
            return (*VISIBLE_STATUSES, IdeaStatus.HIDDEN.value)
        return VISIBLE_STATUSES


def published_events(process_id: int) -> list[Event]:
    """The process's events with published results, by start (one query)."""
    return list(db.session.execute(
        sa.select(Event).where(Event.process_id == process_id, Event.status == EventStatus.PUBLISHED.value)
        .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).scalars())


def _as_int(value: object) -> int | None:
    """A positive id from a form or URL value; None for empty; ResultsError for junk."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        number = int(value.strip())
    else:
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    if number < 1 or number > MAX_ID:  # beyond the integer column: PostgreSQL would refuse the query
        raise ResultsError(_l("This filter value is not valid."), "bad_filter")
    return number


def make_scope(process: Process | int, *, event_ids: Iterable[object] | None = None, stand_id: object = None,
               tag_id: object = None, stakeholder_group: object = None, public: bool = True,
               include_hidden: bool = False) -> Scope:
    """Check the filters against the process and return the scope (two or three small queries).

    :param process: the process (or its id).
    :param event_ids: only these events (ids or digit strings); empty/None: all events in view.
    :param stand_id: only this stand (must be a stand of an event in view).
    :param tag_id: only this tag (must be a tag of the process).
    :param stakeholder_group: only events for this stakeholder group (exact text).
    :param public: public view: published events only, hidden ideas never listed.
    :param include_hidden: staff views may list hidden ideas too (ignored when ``public``).
    :raises ResultsError: ``bad_filter``, ``unknown_event``, ``unknown_stand``, ``unknown_tag``,
        ``unknown_group``.
    """
    process_id = process if isinstance(process, int) else process.id
    events_stmt = sa.select(Event.id, Event.stakeholder_group).where(Event.process_id == process_id)
    if public:
        events_stmt = events_stmt.where(Event.status == EventStatus.PUBLISHED.value)
    events = db.session.execute(events_stmt.order_by(Event.starts_at.is_(None), Event.starts_at, Event.id)).all()
    chosen = [e for e in (_as_int(v) for v in (event_ids or ())) if e is not None]
    known = {row.id for row in events}
    if any(e not in known for e in chosen):
        raise ResultsError(_l("This event is not part of the results."), "unknown_event")
    group = None
    if stakeholder_group not in (None, ""):
        if not isinstance(stakeholder_group, str) or len(stakeholder_group) > 120:
            raise ResultsError(_l("This filter value is not valid."), "bad_filter")
        group = stakeholder_group
        if group not in {row.stakeholder_group for row in events}:
            raise ResultsError(_l("No event of this process is for this stakeholder group."), "unknown_group")
    ids = tuple(row.id for row in events
                if (not chosen or row.id in chosen) and (group is None or row.stakeholder_group == group))
    stand = _as_int(stand_id)
    if stand is not None:
        stand_event = db.session.execute(sa.select(Stand.event_id).where(Stand.id == stand)).scalar_one_or_none()
        if stand_event is None or stand_event not in ids:
            raise ResultsError(_l("This stand is not part of the results."), "unknown_stand")
    tag = _as_int(tag_id)
    if tag is not None:
        tag_process = db.session.execute(sa.select(Tag.process_id).where(Tag.id == tag)).scalar_one_or_none()
        if tag_process != process_id:
            raise ResultsError(_l("This tag is not part of the results."), "unknown_tag")
    return Scope(process_id=process_id, event_ids=ids, stand_id=stand, tag_id=tag, stakeholder_group=group,
                 public=public, include_hidden=include_hidden and not public)


def event_scope(event: Event, *, public: bool = True, include_hidden: bool = False) -> Scope:
    """The scope of one event (no query). A public scope of an unpublished event covers nothing."""
    covered = (event.id,) if not public or event.status == EventStatus.PUBLISHED.value else ()
    return Scope(process_id=event.process_id, event_ids=covered, public=public,
                 include_hidden=include_hidden and not public)


# ------------------------------------------------------------------ building blocks (SQL)


def _listed_roots(scope: Scope):
    """``SELECT`` of the surviving ideas the scope lists: id, stand, event, status, creation time."""
    stmt = (sa.select(Idea.id.label("root_id"), Idea.stand_id.label("stand_id"),
                      Stand.event_id.label("event_id"), Idea.status.label("status"),
                      Idea.created_at.label("created_at"), Idea.channel.label("channel"))
            .join(Stand, Stand.id == Idea.stand_id)
            .where(Stand.event_id.in_(scope.event_ids), Idea.merged_into_id.is_(None),
                   Idea.status.in_(scope.listed_statuses), Idea.is_released))
    if scope.stand_id is not None:
        stmt = stmt.where(Idea.stand_id == scope.stand_id)
    if scope.tag_id is not None:
        stmt = stmt.where(sa.exists().where(IdeaTag.idea_id == Idea.id, IdeaTag.tag_id == scope.tag_id))
    return stmt


def _merge_groups(scope: Scope, name: str = "merge_group"):
    """The merge groups whose survivor is at one of the scope's events (members from any event)."""
    return groups_of_ideas.groups(scope.event_ids, name=name)


def _ranked_select(scope: Scope, groups=None):
    """``SELECT`` of the listed surviving ideas with their dots per channel and total.

    :param groups: a table ``(idea_id, root_id)`` filled from :func:`_merge_groups`, or None for the CTE.
    """
    roots = _listed_roots(scope).subquery("roots")
    groups = _merge_groups(scope) if groups is None else groups
    dots = groups_of_ideas.dots_per_root(groups)
    backing = groups_of_ideas.supports_per_root(groups)
    room = sa.func.coalesce(dots.c.room, 0)
    online = sa.func.coalesce(dots.c.online, 0)
    board = sa.func.coalesce(dots.c.board, 0)
    return (sa.select(roots.c.root_id, roots.c.stand_id, roots.c.event_id, roots.c.status,
                      room.label("room"), board.label("board"), online.label("online"),
                      (room + board + online).label("total"), roots.c.created_at,
                      sa.func.coalesce(backing.c.supports, 0).label("supports"), roots.c.channel)
            .select_from(roots).outerjoin(dots, dots.c.root_id == roots.c.root_id)
            .outerjoin(backing, backing.c.root_id == roots.c.root_id))


#: ``total`` is the dots only: supports (issue 18) are counted beside them, never added in.
_RANKED_COLUMNS = (("root_id", sa.Integer), ("stand_id", sa.Integer), ("event_id", sa.Integer),
                   ("status", sa.String(20)), ("room", sa.Integer), ("board", sa.Integer),
                   ("online", sa.Integer), ("total", sa.Integer), ("created_at", sa.DateTime),
                   ("supports", sa.Integer), ("channel", sa.String(10)))


def _ranked(scope: Scope):
    """The listed surviving ideas with their dots: the temporary table of :func:`prepared`,
    or a subquery that counts the dots again."""
    if scope.ranked_table is not None:
        return sa.table(scope.ranked_table, *(sa.column(name, kind) for name, kind in _RANKED_COLUMNS))
    return _ranked_select(scope).subquery("ranked")


def _set_locally(connection, **settings: str) -> None:
    """PostgreSQL: ``SET LOCAL`` several settings in one statement (until the transaction ends)."""
    connection.execute(sa.select(*(sa.func.set_config(name, value, True) for name, value in settings.items())))


@contextmanager
def prepared(scope: Scope) -> Iterator[Scope]:
    """Count the dots of the scope's ideas once, for a page that aggregates them several times.

    The dots per listed idea (the expensive part: merge groups joined to every dot) go into a
    temporary table of this database connection, created, filled and dropped inside the
    request's transaction (so it can never be stale). Inside the ``with`` block the returned
    scope makes every function here read that table instead of counting again::

        with services.prepared(scope) as scope:
            stands, tags = services.stand_totals(scope), services.tag_totals(scope)

    A fixed number of statements (two temporary tables created, filled, analysed on
    PostgreSQL and dropped; on PostgreSQL also settings for the planner, local to the
    transaction). Do not use the returned scope after the block.
    """
    if not scope.event_ids or scope.ranked_table is not None:
        yield scope
        return
    name = f"results_ranked_{secrets.token_hex(6)}"
    table = sa.Table(name, sa.MetaData(), *(sa.Column(n, kind) for n, kind in _RANKED_COLUMNS),
                     prefixes=["TEMPORARY"])
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        # For the rest of this (read-only) transaction: no JIT (the recursive merge CTE is estimated
        # at millions of rows, which made PostgreSQL JIT-compile the count: ~0.9 s of compiling for
        # a ~0.2 s query); and the temporary tables' ANALYZE below needs row counts and rough
        # distinct counts, not fine histograms: a sample of 3,000 rows instead of 30,000
        # (~14 → ~3 ms for 20,000 ideas).
        _set_locally(connection, jit="off", default_statistics_target="10")
    groups = sa.Table(f"{name}_groups", sa.MetaData(), sa.Column("idea_id", sa.Integer, primary_key=True),
                      sa.Column("root_id", sa.Integer), prefixes=["TEMPORARY"])
    groups.create(connection)
    table.create(connection)
    try:
        cte = _merge_groups(scope)
        connection.execute(sa.insert(groups).from_select(["idea_id", "root_id"], sa.select(cte.c.idea_id, cte.c.root_id)))
        if postgresql:
            # True row counts instead of the recursive CTE's guess: one event's dots are then
            # read by index lookups, not by a pass over every dot of the database.
            connection.execute(sa.text(f"ANALYZE {groups.name}"))
            # Counting every dot of a process: PostgreSQL hashes all of them (join and grouping),
            # while a merge over the covering index (idea_id, channel), already in order, counts
            # them as they stream by (500,000 dots: ~117 → ~76 ms). Nested loops (a small scope)
            # stay allowed; the planner's defaults come back right after this statement.
            _set_locally(connection, enable_hashjoin="off", enable_hashagg="off")
        connection.execute(sa.insert(table).from_select([n for n, _ in _RANKED_COLUMNS],
                                                        _ranked_select(scope, groups)))
        if postgresql:
            _set_locally(connection, enable_hashjoin="on", enable_hashagg="on")
            # Statistics for the ranked ideas too, which every later query of the page joins: without
            # them PostgreSQL guesses a few dozen rows and probes indexes once per idea.
            connection.execute(sa.text(f"ANALYZE {table.name}"))
        yield dataclasses.replace(scope, ranked_table=name)
    finally:
        table.drop(connection)
        groups.drop(connection)


# ------------------------------------------------------------------ participation


@dataclass(frozen=True)
class Participation:
    """How many people took part in one event, step by step (the participation funnel).

    :ivar applications: every application (email confirmed or not).
    :ivar valid: applications with a confirmed email (or entered by staff).
    :ivar selected: applicants given a seat, by the draw or later as a replacement.
    :ivar seat_confirmed: applicants who confirmed their seat.
    :ivar checked_in: room tickets checked in at the door (walk-ins included).
    :ivar walk_ins: of those, tickets issued at the door.
    :ivar room_voters: room tickets with at least one dot.
    :ivar online_voters: online tickets with at least one dot.
    """

    event_id: int
    seats: int = 0
    applications: int = 0
    valid: int = 0
    selected: int = 0
    seat_confirmed: int = 0
    checked_in: int = 0
    walk_ins: int = 0
    room_voters: int = 0
    online_voters: int = 0

    @property
    def voters(self) -> int:
        return self.room_voters + self.online_voters


def _seat_given():
    """Outer-join target and condition: the applicant's entry in the event's current draw."""
    entry = sa.orm.aliased(LotteryEntry, name="seat_entry")
    draw = sa.orm.aliased(LotteryDraw, name="seat_draw")
    seated = sa.or_(Application.status.in_(SEATED_STATUSES), entry.seat_since.is_not(None))
    return entry, draw, seated


def participation(event_ids: Sequence[int]) -> dict[int, Participation]:
    """The participation funnel of each event (four queries, whatever the number of events).

    :return: ``{event_id: Participation}`` for every id given (zeros where nothing happened).
    """
    ids = list(event_ids)
    if not ids:
        return {}
    values: dict[int, dict[str, int]] = {i: {} for i in ids}
    for event_id, seats in db.session.execute(sa.select(Event.id, Event.seats).where(Event.id.in_(ids))):
        values[event_id]["seats"] = seats
    entry, draw, seated = _seat_given()
    rows = db.session.execute(
        sa.select(Application.event_id, sa.func.count(Application.id),
                  sa.func.count(Application.id).filter(Application.status.in_(VALID_APPLICATION_STATUSES)),
                  sa.func.count(Application.id).filter(seated),
                  sa.func.count(Application.id).filter(Application.status == ApplicationStatus.CONFIRMED.value))
        .outerjoin(draw, sa.and_(draw.event_id == Application.event_id,
                                 draw.state != DrawState.SUPERSEDED.value))
        .outerjoin(entry, sa.and_(entry.draw_id == draw.id, entry.application_id == Application.id))
        .where(Application.event_id.in_(ids)).group_by(Application.event_id))
    for event_id, total, valid, selected, confirmed in rows:
        values[event_id].update(applications=total, valid=valid, selected=selected, seat_confirmed=confirmed)
    rows = db.session.execute(
        sa.select(Ticket.event_id,
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None)),
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None), Ticket.kind == "walk_in"))
        .where(Ticket.event_id.in_(ids), Ticket.channel == Channel.ROOM.value).group_by(Ticket.event_id))
    for event_id, checked_in, walk_ins in rows:
        values[event_id].update(checked_in=checked_in, walk_ins=walk_ins)
    # Tickets with a dot (EXISTS probes the dot's ticket index; no pass over all dots).
    rows = db.session.execute(
        sa.select(Ticket.event_id, Ticket.channel, sa.func.count(Ticket.id))
        .where(Ticket.event_id.in_(ids), sa.exists().where(Dot.ticket_id == Ticket.id))
        .group_by(Ticket.event_id, Ticket.channel))
    for event_id, channel, voters in rows:
        values[event_id][f"{channel}_voters"] = voters
    return {i: Participation(event_id=i, **v) for i, v in values.items()}


@dataclass(frozen=True)
class OptionParticipation:
    """The participation funnel of one criterion option (e.g. age band 18–29) of an event."""

    criterion_id: int
    criterion_label: str
    option_id: int
    option_label: str
    #: Share of the population with this answer (0..1), if the event recorded it.
    population_share: float | None
    valid: int = 0
    selected: int = 0
    seat_confirmed: int = 0
    checked_in: int = 0


def participation_by_option(event_id: int) -> list[OptionParticipation]:
    """Per criterion option of the event: valid applications, selected, seats confirmed,
    checked in (two queries), in the order of the criteria and options."""
    entry, draw, seated = _seat_given()
    counts = {row[0]: row[1:] for row in db.session.execute(
        sa.select(ApplicationAnswer.option_id,
                  sa.func.count(Application.id),
                  sa.func.count(Application.id).filter(seated),
                  sa.func.count(Application.id).filter(Application.status == ApplicationStatus.CONFIRMED.value),
                  sa.func.count(Ticket.id).filter(Ticket.checked_in_at.is_not(None)))
        .join(Application, Application.id == ApplicationAnswer.application_id)
        .outerjoin(draw, sa.and_(draw.event_id == Application.event_id,
                                 draw.state != DrawState.SUPERSEDED.value))
        .outerjoin(entry, sa.and_(entry.draw_id == draw.id, entry.application_id == Application.id))
        .outerjoin(Ticket, Ticket.application_id == Application.id)
        .where(Application.event_id == event_id, Application.status.in_(VALID_APPLICATION_STATUSES))
        .group_by(ApplicationAnswer.option_id))}
    options = db.session.execute(
        sa.select(Criterion.id, Criterion.label, CriterionOption.id, CriterionOption.label,
                  CriterionOption.population_share)
        .join(CriterionOption, CriterionOption.criterion_id == Criterion.id)
        .where(Criterion.event_id == event_id)
        .order_by(Criterion.position, Criterion.id, CriterionOption.position, CriterionOption.id))
    result = []
    for criterion_id, criterion_label, option_id, option_label, share in options:
        valid, selected, confirmed, checked_in = counts.get(option_id, (0, 0, 0, 0))
        result.append(OptionParticipation(criterion_id, criterion_label, option_id, option_label, share,
                                          valid, selected, confirmed, checked_in))
    return result


# ------------------------------------------------------------------ ideas and dots


@dataclass(frozen=True)
class TagRef:
    id: int
    label: str


@dataclass(frozen=True)
class RankedIdea:
    """A surviving idea with its dots. No personal data (``said_by`` is never included).

    :ivar rank: 1 for the idea with the most dots; ideas with equal totals share a rank.
    :ivar merged: how many other ideas were merged into this one.
    """

    rank: int
    id: int
    text: str
    status: str
    stand_id: int
    stand_title: str
    event_id: int
    event_title: str
    room: int
    board: int
    online: int
    total: int
    merged: int = 0
    tags: tuple[TagRef, ...] = ()
    #: Online supports of its merge group (issue 18), one per participant; not dots, not in ``total``.
    supports: int = 0
    #: room | online: where the idea was recorded (issue 18).
    channel: str = "room"


def idea_ranking(scope: Scope, *, limit: int | None = 50, offset: int = 0) -> list[RankedIdea]:
    """The scope's surviving ideas, most dots first (ties: older idea first), with tags.

    Three queries whatever the number of ideas: the page of ranked ideas (ranks are
    computed over the whole scope), their tags, and how many ideas were merged into each.

    :param limit: page size (at most :data:`MAX_PAGE_SIZE`); None: all ideas (exports).
    :param offset: ideas to skip.
    """
    if not scope.event_ids:
        return []
    ranked = _ranked(scope)
    # Rank and cut the page on the ranked ideas alone; only the page's ideas are joined to their
    # texts, stands and events.
    order = (ranked.c.total.desc(), ranked.c.created_at, ranked.c.root_id)
    page = (sa.select(sa.func.rank().over(order_by=ranked.c.total.desc()).label("rank"), *ranked.c)
            .order_by(*order))
    if limit is not None:
        page = page.limit(max(1, min(int(limit), MAX_PAGE_SIZE))).offset(max(0, int(offset)))
    elif offset:
        page = page.offset(max(0, int(offset)))
    page = page.subquery("page")
    stmt = (sa.select(page.c.rank, Idea.id, Idea.text, page.c.status, page.c.stand_id, Stand.title,
                      page.c.event_id, Event.title, page.c.room, page.c.board, page.c.online, page.c.total,
                      page.c.supports, page.c.channel)
            .select_from(page).join(Idea, Idea.id == page.c.root_id)
            .join(Stand, Stand.id == page.c.stand_id).join(Event, Event.id == page.c.event_id)
            .order_by(page.c.total.desc(), page.c.created_at, page.c.root_id))
    rows = db.session.execute(stmt).all()
    if not rows:
        return []
    if limit is None:
        idea_filter = Idea.id.in_(sa.select(_listed_roots(scope).subquery().c.root_id))
    else:
        idea_filter = Idea.id.in_([row[1] for row in rows])
    tags: dict[int, list[TagRef]] = defaultdict(list)
    for idea_id, tag_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .join(Idea, Idea.id == IdeaTag.idea_id).where(idea_filter).order_by(Tag.label, Tag.id)):
        tags[idea_id].append(TagRef(tag_id, label))
    source = sa.orm.aliased(Idea, name="source")
    merged = dict(db.session.execute(
        sa.select(Idea.id, sa.func.count(source.id)).join(source, source.merged_into_id == Idea.id)
        .where(idea_filter).group_by(Idea.id)).all())
    return [RankedIdea(rank=r[0], id=r[1], text=r[2], status=r[3], stand_id=r[4], stand_title=r[5],
                       event_id=r[6], event_title=r[7], room=int(r[8]), board=int(r[9]), online=int(r[10]),
                       total=int(r[11]), merged=merged.get(r[1], 0), tags=tuple(tags.get(r[1], ())),
                       supports=int(r[12] or 0), channel=r[13])
            for r in rows]


def idea_count(scope: Scope) -> int:
    """How many ideas :func:`idea_ranking` lists for the scope (one query)."""
    if not scope.event_ids:
        return 0
    roots = _listed_roots(scope).subquery()
    return db.session.execute(sa.select(sa.func.count()).select_from(roots)).scalar_one()


@dataclass(frozen=True)
class ChannelTotal:
    """The listed ideas of one channel (``room``: recorded at a stand; ``online``: submitted by a
    participant, issue 18) with their dots and their online supports (never added together)."""

    channel: str
    ideas: int = 0
    dots: int = 0
    supports: int = 0


def channel_totals(scope: Scope) -> dict[str, ChannelTotal]:
    """Per channel of the surviving ideas :func:`idea_ranking` lists: how many, their dots and
    their supports (``room`` and ``online`` always present); one query."""
    found = {channel: ChannelTotal(channel) for channel in ("room", "online")}
    if not scope.event_ids:
        return found
    ranked = _ranked(scope)
    for channel, ideas, dots, backing in db.session.execute(
            sa.select(ranked.c.channel, sa.func.count(), sa.func.sum(ranked.c.total), sa.func.sum(ranked.c.supports))
            .group_by(ranked.c.channel)):
        found[channel] = ChannelTotal(channel, int(ideas), int(dots or 0), int(backing or 0))
    return found


@dataclass(frozen=True)
class DotTotals:
    """Dots of the listed ideas of a scope, per channel."""

    room: int = 0
    board: int = 0
    online: int = 0
    ideas: int = 0
    #: Online supports of the ideas (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def dot_totals(scope: Scope) -> DotTotals:
    """All dots on the scope's listed ideas (merged ideas included in their survivor), one query."""
    if not scope.event_ids:
        return DotTotals()
    ranked = _ranked(scope)
    row = db.session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(ranked.c.room), 0), sa.func.coalesce(sa.func.sum(ranked.c.board), 0),
        sa.func.coalesce(sa.func.sum(ranked.c.online), 0), sa.func.count(),
        sa.func.coalesce(sa.func.sum(ranked.c.supports), 0))).one()
    return DotTotals(room=int(row[0]), board=int(row[1]), online=int(row[2]), ideas=int(row[3]),
                     supports=int(row[4]))


@dataclass(frozen=True)
class StandTotal:
    """Ideas and dots of one stand.

    :ivar ideas: listed surviving ideas (see :attr:`Scope.listed_statuses`).
    :ivar hidden: hidden ideas (staff information; public pages do not show it).
    :ivar merged: ideas merged into another idea.
    """

    stand_id: int
    title: str
    event_id: int
    event_title: str
    ideas: int = 0
    hidden: int = 0
    merged: int = 0
    room: int = 0
    board: int = 0
    online: int = 0
    #: Online supports of its listed ideas (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def stand_totals(scope: Scope) -> list[StandTotal]:
    """Every stand of the scope's events (or the one stand filtered on), with idea counts and the
    dots of its listed ideas; in event and stand order. Three queries."""
    if not scope.event_ids:
        return []
    stands_stmt = (sa.select(Stand.id, Stand.title, Event.id, Event.title)
                   .join(Event, Event.id == Stand.event_id).where(Stand.event_id.in_(scope.event_ids))
                   .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id, Stand.position, Stand.id))
    if scope.stand_id is not None:
        stands_stmt = stands_stmt.where(Stand.id == scope.stand_id)
    stands = db.session.execute(stands_stmt).all()
    ranked = _ranked(scope)
    sums = {row[0]: row[1:] for row in db.session.execute(
        sa.select(ranked.c.stand_id, sa.func.count(), sa.func.sum(ranked.c.room), sa.func.sum(ranked.c.board),
                  sa.func.sum(ranked.c.online), sa.func.sum(ranked.c.supports)).group_by(ranked.c.stand_id))}
    status_stmt = (sa.select(Idea.stand_id, Idea.status, sa.func.count(Idea.id))
                   .join(Stand, Stand.id == Idea.stand_id)
                   .where(Stand.event_id.in_(scope.event_ids),
                          Idea.status.in_((IdeaStatus.HIDDEN.value, IdeaStatus.MERGED.value)))
                   .group_by(Idea.stand_id, Idea.status))
    if scope.tag_id is not None:
        status_stmt = status_stmt.where(
            sa.exists().where(IdeaTag.idea_id == Idea.id, IdeaTag.tag_id == scope.tag_id))
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    for stand_id, status, n in db.session.execute(status_stmt):
        statuses[stand_id][status] = n
    result = []
    for stand_id, title, event_id, event_title in stands:
        ideas, room, board, online, backing = sums.get(stand_id, (0, 0, 0, 0, 0))
        result.append(StandTotal(stand_id, title, event_id, event_title, ideas=int(ideas),
                                 hidden=statuses[stand_id].get(IdeaStatus.HIDDEN.value, 0),
                                 merged=statuses[stand_id].get(IdeaStatus.MERGED.value, 0),
                                 room=int(room or 0), board=int(board or 0), online=int(online or 0),
                                 supports=int(backing or 0)))
    return result


@dataclass(frozen=True)
class TagTotal:
    """Ideas with one tag and their dots."""

    tag_id: int
    label: str
    ideas: int
    room: int
    board: int
    online: int
    #: Online supports of the ideas with the tag (issue 18): beside the dots, not in ``total``.
    supports: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def tag_totals(scope: Scope, *, limit: int | None = None) -> list[TagTotal]:
    """Per tag of the scope's listed ideas: how many ideas and their dots; most dots first
    (ties: more ideas, then label). Tags no listed idea carries are left out. One query."""
    if not scope.event_ids:
        return []
    ranked = _ranked(scope)
    room, board, online = (sa.func.sum(ranked.c.room), sa.func.sum(ranked.c.board), sa.func.sum(ranked.c.online))
    stmt = (sa.select(Tag.id, Tag.label, sa.func.count(), room, board, online, sa.func.sum(ranked.c.supports))
            .select_from(ranked).join(IdeaTag, IdeaTag.idea_id == ranked.c.root_id)
            .join(Tag, Tag.id == IdeaTag.tag_id).group_by(Tag.id, Tag.label)
            .order_by((room + board + online).desc(), sa.func.count().desc(), Tag.label, Tag.id))
    if limit is not None:
        stmt = stmt.limit(max(1, int(limit)))
    return [TagTotal(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0), int(r[6] or 0))
            for r in db.session.execute(stmt)]


def top_tags(scope: Scope, limit: int = 10) -> list[TagTotal]:
    """The ``limit`` tags with the most dots (see :func:`tag_totals`)."""
    return tag_totals(scope, limit=limit)


@dataclass(frozen=True)
class FilterOptions:
    """What the stand and tag filters of a scope can offer."""

    #: ``(stand id, stand title, event title)`` in event and stand order.
    stands: list[tuple[int, str, str]]
    #: ``(tag id, label)`` of tags that listed ideas carry, by label.
    tags: list[tuple[int, str]]


def filter_options(scope: Scope) -> FilterOptions:
    """The stands of the scope's events and the tags their listed ideas carry (two light queries;
    the stand and tag filters of ``scope`` itself are ignored)."""
    if not scope.event_ids:
        return FilterOptions([], [])
    stands = [tuple(r) for r in db.session.execute(
        sa.select(Stand.id, Stand.title, Event.title).join(Event, Event.id == Stand.event_id)
        .where(Stand.event_id.in_(scope.event_ids))
        .order_by(Event.starts_at.is_(None), Event.starts_at, Event.id, Stand.position, Stand.id))]
    tagged = (sa.select(IdeaTag.tag_id).join(Idea, Idea.id == IdeaTag.idea_id)
              .join(Stand, Stand.id == Idea.stand_id)
              .where(Stand.event_id.in_(scope.event_ids), Idea.merged_into_id.is_(None),
                     Idea.status.in_(scope.listed_statuses), Idea.is_released))
    tags = [tuple(r) for r in db.session.execute(
        sa.select(Tag.id, Tag.label).where(Tag.id.in_(tagged)).order_by(Tag.label, Tag.id))]
    return FilterOptions(stands, tags)  # type: ignore[arg-type]


# ------------------------------------------------------------------ stakeholder groups


@dataclass(frozen=True)
class GroupCell:
    """One theme (tag or stand title) in one stakeholder group."""

    ideas: int = 0
    dots: int = 0
    #: Share of the group's ideas / dots (0..1); ideas with several tags count for each.
    idea_share: float = 0.0
    dot_share: float = 0.0


@dataclass(frozen=True)
class GroupTotals:
    group: str
    events: int
    ideas: int
    dots: int


@dataclass
class GroupComparison:
    """Stakeholder groups × themes: which themes mattered to which group.

    :ivar dimension: ``"tag"`` or ``"stand"`` (stands of different events with the same title
        are one theme).
    :ivar groups: the groups in process order ("" for events without a group).
    :ivar themes: the themes, most dots over all groups first.
    :ivar cells: ``cells[theme][group]``.
    """

    dimension: str
    groups: list[GroupTotals]
    themes: list[str]
    cells: dict[str, dict[str, GroupCell]] = field(default_factory=dict)

    def cell(self, theme: str, group: str) -> GroupCell:
        return self.cells.get(theme, {}).get(group, GroupCell())


def group_comparison(scope: Scope, *, dimension: str = "tag") -> GroupComparison:
    """Compare the stakeholder groups of the scope's events by theme (three queries).

    A group's ideas are the listed ideas recorded at its events; its dots are the dots on
    them (merged ideas included). Shares are of the group's own totals, so a small group
    and a large one can be compared.

    :param dimension: ``"tag"`` (tags are shared by all events of a process) or ``"stand"``
        (stand titles).
    :raises ValueError: for another dimension.
    """
    if dimension not in ("tag", "stand"):
        raise ValueError(dimension)
    if not scope.event_ids:
        return GroupComparison(dimension, [], [])
    ranked = _ranked(scope)
    group_col = Event.stakeholder_group
    totals = db.session.execute(
        sa.select(group_col, sa.func.count(sa.distinct(ranked.c.event_id)), sa.func.count(),
                  sa.func.coalesce(sa.func.sum(ranked.c.total), 0))
        .select_from(ranked).join(Event, Event.id == ranked.c.event_id).group_by(group_col)).all()
    event_counts = dict(db.session.execute(
        sa.select(group_col, sa.func.count(Event.id)).where(Event.id.in_(scope.event_ids))
        .group_by(group_col)).all())
    if dimension == "tag":
        theme = Tag.label
        stmt = (sa.select(group_col, theme, sa.func.count(), sa.func.sum(ranked.c.total))
                .select_from(ranked).join(Event, Event.id == ranked.c.event_id)
                .join(IdeaTag, IdeaTag.idea_id == ranked.c.root_id).join(Tag, Tag.id == IdeaTag.tag_id))
    else:
        theme = Stand.title
        stmt = (sa.select(group_col, theme, sa.func.count(), sa.func.sum(ranked.c.total))
                .select_from(ranked).join(Event, Event.id == ranked.c.event_id)
                .join(Stand, Stand.id == ranked.c.stand_id))
    rows = db.session.execute(stmt.group_by(group_col, theme)).all()
    by_group = {g: (int(i), int(d)) for g, _, i, d in totals}
    order = {g: n for n, g in enumerate(_group_order(scope.process_id))}
    groups = sorted((GroupTotals(g, int(event_counts.get(g, 0)), i, d) for g, (i, d) in by_group.items()),
                    key=lambda t: (order.get(t.group, len(order)), t.group))
    cells: dict[str, dict[str, GroupCell]] = defaultdict(dict)
    theme_dots: dict[str, int] = defaultdict(int)
    for group, name, ideas, dots in rows:
        group_ideas, group_dots = by_group.get(group, (0, 0))
        dots = int(dots or 0)
        cells[name][group] = GroupCell(int(ideas), dots, int(ideas) / group_ideas if group_ideas else 0.0,
                                       dots / group_dots if group_dots else 0.0)
        theme_dots[name] += dots
    themes = sorted(cells, key=lambda name: (-theme_dots[name], name.casefold()))
    return GroupComparison(dimension, groups, themes, dict(cells))


def _group_order(process_id: int) -> list[str]:
    """The process's stakeholder groups in the order the process lists them (one query)."""
    text = db.session.execute(
        sa.select(Process.stakeholder_groups).where(Process.id == process_id)).scalar_one_or_none() or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def stakeholder_groups(process_id: int, *, public: bool = True) -> list[str]:
    """The stakeholder groups of the process's events (published ones for the public), one query."""
    stmt = sa.select(sa.distinct(Event.stakeholder_group)).where(Event.process_id == process_id,
                                                                  Event.stakeholder_group != "")
    if public:
        stmt = stmt.where(Event.status == EventStatus.PUBLISHED.value)
    found = set(db.session.execute(stmt).scalars())
    order = {g: n for n, g in enumerate(_group_order(process_id))}
    return sorted(found, key=lambda g: (order.get(g, len(order)), g))


# ------------------------------------------------------------------ ideas one by one (open data, exports)


@dataclass(frozen=True)
class IdeaRecord:
    """One idea of a scope for the open-data API and the exports: a listed surviving idea, or an
    idea merged into one (``merged_into``: the surviving idea at the end of its chain).

    The dots of a merged idea count for its survivor, so a merged idea carries zeros and
    the sum over all records is the scope's total (nothing counted twice).
    """

    id: int
    text: str
    status: str
    stand_id: int
    stand_title: str
    event_id: int
    merged_into: int | None
    room: int
    board: int
    online: int
    total: int
    tags: tuple[TagRef, ...] = ()
    #: room | online (issue 18)
    channel: str = "room"
    #: Online supports of its merge group (a merged idea carries 0, as with the dots); not in ``total``.
    supports: int = 0


def _records_statement(scope: Scope):
    roots = _merge_groups(scope, name="record_group")
    ranked = _ranked(scope)
    survivor = Idea.merged_into_id.is_(None)

    def own(column):
        return sa.case((survivor, column), else_=0)

    return (sa.select(Idea.id, Idea.text, Idea.status, Idea.stand_id, Stand.title, Stand.event_id,
                      sa.case((survivor, None), else_=roots.c.root_id), own(ranked.c.room), own(ranked.c.board),
                      own(ranked.c.online), own(ranked.c.total), Idea.channel, own(ranked.c.supports))
            .select_from(Idea).join(Stand, Stand.id == Idea.stand_id)
            .join(roots, roots.c.idea_id == Idea.id).join(ranked, ranked.c.root_id == roots.c.root_id)
            .where(Stand.event_id.in_(scope.event_ids)))


def idea_records(scope: Scope, *, limit: int | None = 100, offset: int = 0) -> list[IdeaRecord]:
    """The scope's listed ideas and the ideas merged into them, by id (two queries).

    Only ideas recorded at the scope's events are listed; hidden ideas (and ideas merged into
    hidden ones) only in staff scopes with ``include_hidden``.

    :param limit: page size (at most :data:`MAX_PAGE_SIZE`); None: all (exports).
    """
    if not scope.event_ids:
        return []
    stmt = _records_statement(scope).order_by(Idea.id)
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_PAGE_SIZE)))
    if offset:
        stmt = stmt.offset(max(0, int(offset)))
    rows = db.session.execute(stmt).all()
    tags = _tags_of([row[0] for row in rows]) if limit is not None else _tags_of_scope(scope)
    return [IdeaRecord(id=r[0], text=r[1], status=r[2], stand_id=r[3], stand_title=r[4], event_id=r[5],
                       merged_into=r[6], room=int(r[7]), board=int(r[8]), online=int(r[9]), total=int(r[10]),
                       tags=tuple(tags.get(r[0], ())), channel=r[11], supports=int(r[12] or 0)) for r in rows]


def idea_record_count(scope: Scope) -> int:
    """How many records :func:`idea_records` lists for the scope (one query)."""
    if not scope.event_ids:
        return 0
    return db.session.execute(
        sa.select(sa.func.count()).select_from(_records_statement(scope).subquery())).scalar_one()


def _tags_of(idea_ids: Sequence[int]) -> dict[int, list[TagRef]]:
    tags: dict[int, list[TagRef]] = defaultdict(list)
    if idea_ids:
        for idea_id, tag_id, label in db.session.execute(
                sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
                .where(IdeaTag.idea_id.in_(idea_ids)).order_by(Tag.label, Tag.id)):
            tags[idea_id].append(TagRef(tag_id, label))
    return tags


def _tags_of_scope(scope: Scope) -> dict[int, list[TagRef]]:
    """Tags of every idea of the scope's events (one query, for exports of all ideas)."""
    tags: dict[int, list[TagRef]] = defaultdict(list)
    for idea_id, tag_id, label in db.session.execute(
            sa.select(IdeaTag.idea_id, Tag.id, Tag.label).join(Tag, Tag.id == IdeaTag.tag_id)
            .join(Idea, Idea.id == IdeaTag.idea_id).join(Stand, Stand.id == Idea.stand_id)
            .where(Stand.event_id.in_(scope.event_ids)).order_by(Tag.label, Tag.id)):
        tags[idea_id].append(TagRef(tag_id, label))
    return tags


def sum_of_stands(stands: Sequence[StandTotal]) -> DotTotals:
    """The totals of a scope from its :func:`stand_totals` (no query): what :func:`dot_totals`
    returns for a scope without a stand filter, for callers that have the stands anyway."""
    return DotTotals(room=sum(s.room for s in stands), board=sum(s.board for s in stands),
                     online=sum(s.online for s in stands), ideas=sum(s.ideas for s in stands),
                     supports=sum(s.supports for s in stands))
