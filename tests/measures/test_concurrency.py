"""Concurrency: parallel links of one idea make one link; parallel status changes make one change
(one history row, one set of mails), on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from app.core.models import OutboxMail
from app.extensions import db
from app.measures.base import MeasureError
from app.measures.lifecycle import change_status
from app.measures.links import link_ideas
from app.measures.models import Measure, MeasureIdea, MeasureStatusChange
from tests.support.threads import run_at_once


def test_parallel_links_of_one_idea_make_one_link(app, measures_world, make_measure):
    w = measures_world()
    measure_id = make_measure(w.process_id).id

    def link(_i: int) -> None:
        with app.app_context():
            link_ideas(db.session.get(Measure, measure_id), [w.ideas[0]])
            db.session.commit()
            db.session.remove()

    run_at_once(8, link)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(MeasureIdea)).scalar_one() == 1
        assert w.ideas[0].status == "adopted"


def test_parallel_status_changes_make_one_change(app, measures_world, make_measure):
    w = measures_world(applicants=[{"event": 0, "email": "ada@example.org"}])
    measure_id = make_measure(w.process_id, idea_ids=[w.idea_ids[0]]).id
    app.config["MAIL_SEND_AFTER_REQUEST"] = False
    outcomes: list[str] = []

    def change(i: int) -> None:
        with app.app_context():
            try:
                change_status(db.session.get(Measure, measure_id), ("adopted", "rejected")[i % 2],
                              comment=f"Versuch {i}")
                db.session.commit()
                outcomes.append("ok")
            except MeasureError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            except sa.exc.OperationalError:  # SQLite: the loser of the write lock gives up
                db.session.rollback()
                outcomes.append("locked")
            finally:
                db.session.remove()

    run_at_once(6, change)
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        history = db.session.execute(sa.select(MeasureStatusChange).where(
            MeasureStatusChange.measure_id == measure_id)).scalars().all()
        assert len(history) == 2
        assert db.session.get(Measure, measure_id).status == history[-1].to_status
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 1
