"""What every part of results shares: its error, the :class:`Scope` and the SQL building blocks
that count the dots of a scope's surviving ideas (once per page with :func:`prepared`).

The other modules of the package import from here, never the other way round, so the split of the
services adds no import cycle. How dots are counted is told in the package's docstring
(app/results/__init__.py).
"""
from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from app.core.domain import DomainError
from app.extensions import db
from app.ideas import merge_groups as groups_of_ideas
from app.ideas.merge_groups import VISIBLE_STATUSES
from app.ideas.models import Idea, IdeaStatus, IdeaTag, Stand


#: Longest page of a ranking.
MAX_PAGE_SIZE = 500


class ResultsError(DomainError):
    """A filter does not fit the process; ``code`` is stable for tests, ``message`` translatable."""

    def __init__(self, message, code: str):
        super().__init__(code, message)


@dataclass(frozen=True)
class Scope:
    """What an aggregation covers. Build it with :func:`~app.results.scope.make_scope` or
    :func:`~app.results.scope.event_scope`.

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


# ------------------------------------------------------------------ building blocks (SQL)


def listed_roots(scope: Scope):
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


def scope_merge_groups(scope: Scope, name: str = "merge_group"):
    """The merge groups whose survivor is at one of the scope's events (members from any event)."""
    return groups_of_ideas.groups(scope.event_ids, name=name)


def _ranked_select(scope: Scope, groups=None):
    """``SELECT`` of the listed surviving ideas with their dots per channel and total.

    :param groups: a table ``(idea_id, root_id)`` filled from :func:`scope_merge_groups`, or None for the CTE.
    """
    roots = listed_roots(scope).subquery("roots")
    groups = scope_merge_groups(scope) if groups is None else groups
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


def ranked_ideas(scope: Scope):
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

        with prepared(scope) as scope:
            stands, tags = stand_totals(scope), tag_totals(scope)  # of app.results.totals

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
        # work_mem: the supports of a whole process (200,000) are sorted by merge group for the count of
        # distinct participants; in memory rather than spilled to disk in 4 MB runs.
        _set_locally(connection, jit="off", default_statistics_target="10", work_mem="32MB")
    groups = sa.Table(f"{name}_groups", sa.MetaData(), sa.Column("idea_id", sa.Integer, primary_key=True),
                      sa.Column("root_id", sa.Integer), prefixes=["TEMPORARY"])
    groups.create(connection)
    table.create(connection)
    try:
        cte = scope_merge_groups(scope)
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
