"""Factories of the measures tests: a process with two events, stands, ideas and applicants
(``measures_world``, as a :class:`MeasuresWorld`), and measures linked to ideas (``make_measure``)."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask, current_app

from app.events.models import Application, Event, Process
from app.extensions import db as _db
from app.ideas import services as ideas
from app.ideas.models import Idea, Stand
from app.measures.models import Measure
from tests.factories import Rows, attached


@dataclass
class MeasuresWorld:
    """What ``make_world`` builds: ids, and the rows themselves (:class:`Rows`)."""
    app: Flask
    process_id: int
    event_ids: list[int]
    stand_ids: list[int]
    idea_ids: list[int]
    application_ids: list[int]
    process = Rows(Process, "process_id")
    events = Rows(Event, "event_ids")
    stands = Rows(Stand, "stand_ids")
    ideas = Rows(Idea, "idea_ids")
    applications = Rows(Application, "application_ids")


def make_world(*, applicants: list[dict] | None = None) -> MeasuresWorld:
    """Inside an app context: build and commit a process "Esslingen 4.0" with a citizens' and a
    youth workshop, two stands each and ideas (one with a "said by" name), and applications.

    ``applicants``: dicts with ``event`` (0 or 1), ``email``, ``status``, ``notify``, ``language``.
    """

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
    return MeasuresWorld(current_app._get_current_object(), process.id, [e.id for e in events], stands,
                         idea_ids, app_ids)


@pytest.fixture
def measures_world(app) -> Callable:
    """``measures_world(applicants=[...])`` → the committed :class:`MeasuresWorld`."""

    def factory(**kwargs) -> MeasuresWorld:
        with app.test_request_context():
            return make_world(**kwargs)

    return factory


@pytest.fixture
def make_measure(app) -> Callable:
    """``make_measure(process_id, title=..., idea_ids=[...], **fields)`` → the committed Measure
    (:func:`attached`)."""
    from app.measures.lifecycle import create_measure
    from app.measures.links import link_ideas

    def factory(process_id: int, title: str = "Online-Terminvergabe", idea_ids=(), **fields) -> Measure:
        with app.test_request_context():
            measure = create_measure(_db.session.get(Process, process_id), title=title,
                                     chapter=fields.pop("chapter", "Bürgerportal"), **fields)
            if idea_ids:
                link_ideas(measure, _db.session.execute(
                    sa.select(Idea).where(Idea.id.in_(idea_ids))).scalars().all())
            _db.session.commit()
            measure_id = measure.id
        return attached(app, Measure, measure_id)

    return factory
