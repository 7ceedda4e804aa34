"""The demo's paper dots: the dashboard and the public results of the demo show a ranking."""
from __future__ import annotations

import sqlalchemy as sa

from app.events.models import Event
from app.ideas.models import Idea, Stand
from app.voting.models import BoardCount, BoardCountLog


def test_demo_ideas_carry_board_counts_once(db, client):
    from app.demo import load_demo

    load_demo()
    workshop = db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
    ideas = db.session.execute(
        sa.select(Idea.id).join(Stand).where(Stand.event_id == workshop.id)).scalars().all()
    counts = dict(db.session.execute(sa.select(BoardCount.idea_id, BoardCount.count)).all())
    assert ideas and set(counts) == set(ideas)
    assert all(1 <= n <= 9 for n in counts.values())
    logged = db.session.execute(sa.select(sa.func.count(BoardCountLog.id))).scalar()

    load_demo()  # idempotent: no new counts, no new log rows
    assert dict(db.session.execute(sa.select(BoardCount.idea_id, BoardCount.count)).all()) == counts
    assert db.session.execute(sa.select(sa.func.count(BoardCountLog.id))).scalar() == logged

    # The demo publishes the workshop: its public results rank the ideas by these dots.
    page = client.get(f"/events/{workshop.id}/results", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert str(sum(counts.values())) in page.get_data(as_text=True)
