"""Factories for the measures tests: a process with two events, stands, ideas and applicants."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db as _db


def make_world(*, applicants: list[dict] | None = None) -> SimpleNamespace:
    """Inside an app context: build and commit a process "Esslingen 4.0" with a citizens' and a
    youth workshop, two stands each and ideas (one with a "said by" name), and applications.

    ``applicants``: dicts with ``event`` (0 or 1), ``email``, ``status``, ``notify``, ``language``.
    """
    from app.events.models import Application, Event, Process
    from app.ideas import services as ideas
    from app.ideas.models import Stand

    process = Process(title="Esslingen 4.0")
    _db.session.add(process)
    _db.session.flush()
    events = [Event(process_id=process.id, title=title, seats=15, status="published")
              for title in ("Bürger-Workshop", "Jugend-Workshop")]
    _db.session.add_all(events)
    _db.session.flush()
    stands, idea_ids = [], []
    texts = [["Termine online buchen #termine", "Bürgerkonto für alle Dienste"],
             ["WLAN in der Innenstadt", "Sperrmüll online anmelden"],
             ["Schul-App für Vertretungspläne", "Online-Termine im Bürgeramt"],
             ["Digitale Bücherei", "Parkausweis digital"]]
    for n, event in enumerate(events):
        for s in range(2):
            stand = Stand(event_id=event.id, title=f"Stand {n + 1}.{s + 1}", position=s)
            _db.session.add(stand)
            _db.session.flush()
            stands.append(stand.id)
            for text in texts[n * 2 + s]:
                idea, _ = ideas.record_idea(stand, text, said_by="Erika Geheim" if not idea_ids else "")
                idea_ids.append(idea.id)
    app_ids = []
    for person in applicants or []:
        application = Application(
            event_id=events[person.get("event", 0)].id, name=person.get("name", "Teilnehmerin"),
            email=person.get("email"), status=person.get("status", "confirmed"),
            token_hash=secrets.token_hex(32), source="online", language=person.get("language", "de"),
            notify_measures=person.get("notify", True))
        _db.session.add(application)
        _db.session.flush()
        app_ids.append(application.id)
    _db.session.commit()
    return SimpleNamespace(process_id=process.id, event_ids=[e.id for e in events], stand_ids=stands,
                           idea_ids=idea_ids, application_ids=app_ids)


@pytest.fixture
def world(app) -> Callable:
    """``world(applicants=[...])`` → SimpleNamespace of ids (committed)."""

    def factory(**kwargs) -> SimpleNamespace:
        with app.test_request_context():
            return make_world(**kwargs)

    return factory


@pytest.fixture
def make_measure(app) -> Callable:
    """``make_measure(process_id, title=..., idea_ids=[...], **fields)`` → measure id (committed)."""
    from app.events.models import Process
    from app.ideas.models import Idea
    from app.measures.lifecycle import create_measure
    from app.measures.links import link_ideas

    def factory(process_id: int, title: str = "Online-Terminvergabe", idea_ids=(), **fields) -> int:
        with app.test_request_context():
            measure = create_measure(_db.session.get(Process, process_id), title=title,
                                     chapter=fields.pop("chapter", "Bürgerportal"), **fields)
            if idea_ids:
                link_ideas(measure, _db.session.execute(
                    sa.select(Idea).where(Idea.id.in_(idea_ids))).scalars().all())
            _db.session.commit()
            return measure.id

    return factory
