"""Duplicate suggestions come from a per-process corpus of an event's ideas, refreshed
incrementally; it must never offer an idea that is gone or no longer the event's."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db as _db
from app.ideas import similar
from app.ideas.models import Idea


def _delete_idea(idea_id: int) -> None:
    for table in _db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "idea" and table.name != "idea":
                column = fk.parent
                if column.nullable:
                    _db.session.execute(sa.update(table).where(column == idea_id).values({column.name: None}))
                else:
                    _db.session.execute(sa.delete(table).where(column == idea_id))
    _db.session.execute(sa.delete(Idea).where(Idea.id == idea_id))
    _db.session.commit()


def test_a_deleted_idea_is_not_offered_after_the_corpus_was_built(app, create_stand, record):
    stand = create_stand()
    stand_id, event_id = stand.id, stand.event_id
    gone = record(stand_id, "Termine im Bürgeramt online buchen").id
    first = record(stand_id, "Bürgeramt-Termine online buchen können").id
    with app.app_context():
        offered = {idea_id for idea_id, _ in similar.suggest(event_id, "Termine im Bürgeramt online buchen")}
        assert {first, gone} <= offered
        _delete_idea(gone)
    record(stand_id, "Kostenloses WLAN in der Innenstadt")  # as many ideas as before (SQLite may reuse the id)
    with app.app_context():
        offered = {idea_id for idea_id, _ in similar.suggest(event_id, "Termine im Bürgeramt online buchen")}
        assert gone not in offered and first in offered
        now = dict(_db.session.execute(sa.select(Idea.id, Idea.text)).all())
        assert offered <= set(now) and all("Bürgeramt" in now[i] for i in offered), (offered, now)
        assert {i: text for i, (_, text) in similar.corpus(event_id).entries.items()} == {
            i: similar.normalise_for_matching(t) for i, t in now.items()}


def test_pending_or_withdrawn_online_ideas_are_never_offered(app, create_stand, record):
    """Idea.is_visible decides, on the first build and on every incremental refresh."""
    from app.core.models import utcnow

    stand = create_stand()
    stand_id, event_id = stand.id, stand.event_id
    shown = record(stand_id, "Termine im Bürgeramt online buchen").id
    later = record(stand_id, "Bürgeramt-Termine online buchen können").id
    query = "Termine im Bürgeramt online buchen"
    with app.app_context():
        assert {shown, later} <= {i for i, _ in similar.suggest(event_id, query)}
        idea = _db.session.get(Idea, later)
        idea.channel, idea.moderation = "online", "pending"
        _db.session.commit()
        assert later not in {i for i, _ in similar.suggest(event_id, query)}
        idea.moderation = "visible"
        _db.session.commit()
        assert later in {i for i, _ in similar.suggest(event_id, query)}
        idea.withdrawn_at = utcnow()
        _db.session.commit()
        assert later not in {i for i, _ in similar.suggest(event_id, query)}
        assert shown in {i for i, _ in similar.suggest(event_id, query)}
    with app.app_context():
        similar._CORPORA.clear()
        assert later not in {i for i, _ in similar.suggest(event_id, query)}
