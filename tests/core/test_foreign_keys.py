"""The database enforces foreign keys on SQLite too (PostgreSQL always does)."""
from __future__ import annotations

import sqlalchemy as sa

from app.events import application_services
from app.events.models import Application
from app.extensions import db as _db
from app.voting.models import Ticket
from app.voting.tickets import ticket_of
from tests.factories.voting import make_voting_event


def test_sqlite_connections_enforce_foreign_keys(app, db):
    if _db.engine.dialect.name == "sqlite":
        assert _db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_a_removed_applications_ticket_is_not_inherited_by_the_next_applicant(app, db):
    """Removing an application keeps its (revoked) ticket without the link. Without enforced
    foreign keys SQLite kept the link and gave the next application the same id, so the new
    applicant 'had' the old ticket."""
    ev = make_voting_event(tickets=2)
    ticket = _db.session.get(Ticket, ev.ticket_ids[-1])
    removed = _db.session.get(Application, ticket.application_id)
    application_services.remove(removed)
    _db.session.commit()
    _db.session.expire_all()
    kept = _db.session.get(Ticket, ticket.id)
    assert kept.application_id is None and kept.revoked_at is not None
    newcomer = Application(event_id=ev.event_id, name="Neu", email="neu@example.org", status="confirmed",
                           token_hash="n" * 64, language="de")
    _db.session.add(newcomer)
    _db.session.commit()
    assert ticket_of(newcomer) is None
