"""Factories of the voting feature: an event with stands, ideas, confirmed participants and tickets
(``make_voting_event`` inside an app context, the fixture ``voting_event`` without one)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask, current_app

from app.events.models import Application, ApplicationStatus, Event, Process
from app.extensions import db as _db
from app.ideas.models import Idea, Stand
from app.voting.models import Ticket
from tests.factories import Rows


@dataclass
class VotingEvent:
    """``make_voting_event``'s world: its ids and codes, and its rows as attached objects
    (``event``, ``stands``, ``ideas``, ``tickets``, ``applications``: read in the app context of
    the reader, see :func:`tests.factories.attached`)."""
    app: Flask
    event_id: int
    process_id: int
    stand_ids: list[int]
    idea_ids: list[int]
    #: ticket codes, sorted; ``ticket_ids`` and ``tickets`` are in the same order
    codes: list[str]
    ticket_ids: list[int]
    application_ids: list[int]

    event = Rows(Event, "event_id")
    stands = Rows(Stand, "stand_ids")
    ideas = Rows(Idea, "idea_ids")
    tickets = Rows(Ticket, "ticket_ids")
    applications = Rows(Application, "application_ids")


def make_voting_event(*, stands: int = 2, ideas_per_stand: int = 3, tickets: int = 3, dots: int = 5,
                      max_per_idea: int | None = None, scope: str = "event", open_voting: bool = True,
                      walk_ins: bool = False, title: str = "Esslingen 4.0 Workshop",
                      process_id: int | None = None) -> VotingEvent:
    """Inside an app context: build and commit the event (its ids, codes and attached rows).

    Tickets belong to confirmed applications (as the lottery's confirm step leaves them);
    many tickets are inserted in bulk, their codes made by the real code generator.
    """
    from app.voting import state
    from app.voting.codes import new_code

    if process_id is None:
        process = Process(title="Esslingen 4.0")
        _db.session.add(process)
        _db.session.flush()
        process_id = process.id
    event = Event(process_id=process_id, title=title, seats=max(15, tickets), status="held")
    _db.session.add(event)
    _db.session.flush()
    stand_ids, idea_ids = [], []
    for s in range(stands):
        stand = Stand(event_id=event.id, title=f"Stand {s + 1}", position=s)
        _db.session.add(stand)
        _db.session.flush()
        stand_ids.append(stand.id)
        for i in range(ideas_per_stand):
            idea = Idea(stand_id=stand.id, text=f"Idee {s + 1}.{i + 1}", client_id=secrets.token_hex(16)[:36],
                        status="new")
            _db.session.add(idea)
            _db.session.flush()
            idea_ids.append(idea.id)
    applications = [
        {"event_id": event.id, "name": f"Teilnehmerin {n}", "email": f"p{n}.{event.id}@example.org",
         "status": ApplicationStatus.CONFIRMED.value, "token_hash": secrets.token_hex(32), "source": "online",
         "language": "de"} for n in range(tickets)]
    if applications:
        _db.session.execute(sa.insert(Application), applications)
    app_ids = _db.session.execute(
        sa.select(Application.id).where(Application.event_id == event.id).order_by(Application.id)).scalars().all()
    codes: set[str] = set()
    while len(codes) < len(app_ids):
        codes.add(new_code())
    code_list = sorted(codes)
    if app_ids:
        _db.session.execute(sa.insert(Ticket), [
            {"event_id": event.id, "code": code, "application_id": app_id, "kind": "participant",
             "channel": "room", "receipt_salt": secrets.token_hex(16)}
            for code, app_id in zip(code_list, app_ids)])
    state.update_settings(event, dots_per_ticket=dots, max_per_idea=max_per_idea, scope=scope,
                          walk_ins_allowed=walk_ins)
    if open_voting:
        state.open_voting(event)
    _db.session.commit()
    ticket_ids = _db.session.execute(
        sa.select(Ticket.id).where(Ticket.event_id == event.id).order_by(Ticket.code)).scalars().all()
    return VotingEvent(current_app._get_current_object(), event_id=event.id, process_id=process_id,
                       stand_ids=stand_ids, idea_ids=idea_ids, codes=code_list, ticket_ids=list(ticket_ids),
                       application_ids=list(app_ids))


@pytest.fixture
def voting_event(app) -> Callable:
    """``voting_event(stands=2, ideas_per_stand=3, tickets=3, dots=5, max_per_idea=None, scope="event",
    open_voting=True, walk_ins=False)`` → a committed :class:`VotingEvent`."""

    def factory(**kwargs) -> VotingEvent:
        with app.app_context():
            return make_voting_event(**kwargs)

    return factory
