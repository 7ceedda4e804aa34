"""What every part of voting shares: its error, the settings rows and the database helpers.

The other modules of the package import from here (and from :mod:`app.voting.rules`), never
the other way round, so the split of the services adds no import cycle.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.core.domain import DomainError
from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.voting.models import DotScope, VotingSettings, VotingState


class VotingError(DomainError):
    """A rule of voting was broken; ``code`` is stable for tests, ``message`` translatable."""

    def __init__(self, message, code: str):
        super().__init__(code, message)


def insert_on_conflict(table):
    """``INSERT`` with ``ON CONFLICT`` support for the database in use."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def settings_for(event: Event) -> VotingSettings:
    """The event's voting settings; an unsaved default if none were stored yet."""
    settings = db.session.execute(
        sa.select(VotingSettings).where(VotingSettings.event_id == event.id)).scalar_one_or_none()
    return settings or VotingSettings(event_id=event.id, dots_per_ticket=5, max_per_idea=None,
                                      scope=DotScope.EVENT.value, state=VotingState.NOT_OPEN.value,
                                      walk_ins_allowed=False, online_enabled=False)


def ensure_settings(event: Event) -> VotingSettings:
    """The stored settings row of ``event``, created if missing (safe against a concurrent create)."""
    db.session.execute(insert_on_conflict(VotingSettings.__table__).values(
        event_id=event.id, dots_per_ticket=5, scope=DotScope.EVENT.value, state=VotingState.NOT_OPEN.value,
        walk_ins_allowed=False, online_enabled=False, updated_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["event_id"]))
    return db.session.execute(
        sa.select(VotingSettings).where(VotingSettings.event_id == event.id)
        .execution_options(populate_existing=True)).scalar_one()


def locked_settings(event_id: int, *, exclusive: bool = False) -> VotingSettings | None:
    """The settings row read afresh; with ``exclusive`` locked on PostgreSQL (open and close)."""
    stmt = sa.select(VotingSettings).where(VotingSettings.event_id == event_id)
    if exclusive and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()


def fence_dot_writers() -> None:
    """PostgreSQL: wait for every transaction that is writing dots, and hold new ones until commit.

    ``SHARE`` mode conflicts with the ``ROW EXCLUSIVE`` lock each dot ``INSERT``/``DELETE``
    takes until its transaction ends, so the totals read after this contain every dot
    accepted before the close; a dot statement that waited re-reads the (now closed)
    state in its ``WHERE <voting is open>`` and inserts nothing. (SQLite: the closing
    transaction is the only writer anyway.) Closing is rare and quick, so briefly
    holding votes of other events is fine.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("LOCK TABLE dot IN SHARE MODE"))
