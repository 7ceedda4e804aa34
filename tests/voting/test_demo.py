"""The demo's dots: phones at the 2019 citizens' workshop, paper boards at the further workshops."""
from __future__ import annotations

import sqlalchemy as sa

from app.events.models import Event
from app.ideas.models import Idea, Stand
from app.voting.models import BoardCount, BoardCountLog, Dot


def test_demo_dots_are_counted_once_and_published(db, client):
    from app.demo import CITIZEN_WORKSHOP_TITLE, load_demo

    load_demo()
    workshop = db.session.execute(sa.select(Event).where(Event.title == CITIZEN_WORKSHOP_TITLE)).scalar_one()
    room = db.session.execute(sa.select(sa.func.count(Dot.id)).where(Dot.event_id == workshop.id)).scalar()
    further = db.session.execute(
        sa.select(Idea.id).join(Stand).join(Event).where(Event.seats == 0)).scalars().all()
    counts = dict(db.session.execute(sa.select(BoardCount.idea_id, BoardCount.count)).all())
    assert room > 0 and further and set(counts) == set(further)
    assert all(1 <= n <= 9 for n in counts.values())
    logged = db.session.execute(sa.select(sa.func.count(BoardCountLog.id))).scalar()

    load_demo()  # idempotent: no new dots, counts or log rows
    assert dict(db.session.execute(sa.select(BoardCount.idea_id, BoardCount.count)).all()) == counts
    assert db.session.execute(sa.select(sa.func.count(BoardCountLog.id))).scalar() == logged
    assert db.session.execute(sa.select(sa.func.count(Dot.id))).scalar() == room

    # The demo published the workshop: its public results rank the ideas by these dots.
    page = client.get(f"/events/{workshop.id}/results", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert str(room) in page.get_data(as_text=True)
