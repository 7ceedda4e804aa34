"""Factories of online participation (issue 18): participants, online ideas, a process's
moderation settings. They write the rows directly (the sign-up and submit services are tested
on their own)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask

from app.events.models import Event, Process
from app.extensions import db as _db
from app.ideas.models import Idea, Stand
from app.participation.models import Participant
from tests.factories import Rows, attached


@dataclass
class OnlineProcess:
    """What ``online_process`` makes: ids, and the rows themselves (:class:`Rows`)."""
    app: Flask
    process_id: int
    event_id: int
    stand_ids: list[int]
    process = Rows(Process, "process_id")
    event = Rows(Event, "event_id")
    stands = Rows(Stand, "stand_ids")


@dataclass
class AfterPhaseProcess(OnlineProcess):
    """What ``after_phase_process`` makes: an :class:`OnlineProcess` with online ideas and a
    participant with a link token."""
    idea_ids: list[int]
    participant_id: int
    token: str
    ideas = Rows(Idea, "idea_ids")
    participant = Rows(Participant, "participant_id")


@pytest.fixture
def create_participant(app) -> Callable:
    """``create_participant(process_id, display_name=..., show_name_publicly=False, confirmed=True,
    blocked=False)`` → the committed Participant (:func:`attached`; its token is not kept)."""
    from app.core.models import utcnow

    counter = iter(range(1, 100_000))

    def factory(process_id: int, *, display_name: str = "", show_name_publicly: bool = False,
                confirmed: bool = True, blocked: bool = False, email: str | None = None) -> Participant:
        n = next(counter)
        with app.app_context():
            now = utcnow()
            participant = Participant(
                process_id=process_id, display_name=display_name, show_name_publicly=show_name_publicly,
                email=email or f"participant{n}@example.org",
                token_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(), consent_at=now,
                confirmed_at=now if confirmed else None, blocked_at=now if blocked else None)
            _db.session.add(participant)
            _db.session.commit()
            participant_id = participant.id
        return attached(app, Participant, participant_id)

    return factory


@pytest.fixture
def create_online_idea(app, create_participant) -> Callable:
    """``create_online_idea(stand_id, text, participant_id=None, pending=False, withdrawn=False)``
    → the committed online Idea (:func:`attached`; a participant of the stand's process is made if
    none is given)."""
    from app.core.models import utcnow
    from app.ideas.models import IdeaChannel, Moderation

    def factory(stand_id: int, text: str, *, participant_id: int | None = None, pending: bool = False,
                withdrawn: bool = False) -> Idea:
        with app.app_context():
            stand = _db.session.get(Stand, stand_id)
            process_id = stand.event.process_id
        participant_id = participant_id or create_participant(process_id).id
        with app.app_context():
            idea = Idea(stand_id=stand_id, text=text, client_id=str(uuid.uuid4()),
                        channel=IdeaChannel.ONLINE.value, participant_id=participant_id,
                        moderation=Moderation.PENDING.value if pending else Moderation.VISIBLE.value,
                        withdrawn_at=utcnow() if withdrawn else None)
            _db.session.add(idea)
            _db.session.commit()
            idea_id = idea.id
        return attached(app, Idea, idea_id)

    return factory


@pytest.fixture
def online_settings(app) -> Callable:
    """``online_settings(process_id, moderation="pre", netiquette=[...])`` → saves the process's
    moderation settings."""
    from app.participation.models import OnlineSettings

    def factory(process_id: int, *, moderation: str = "pre", netiquette=("Kein Beleidigen", "Keine Werbung")) -> None:
        with app.app_context():
            settings = OnlineSettings(process_id=process_id, moderation=moderation)
            settings.netiquette_reasons = list(netiquette)
            _db.session.add(settings)
            _db.session.commit()

    return factory


@pytest.fixture
def online_process(app, create_event, online_settings) -> Callable:
    """``online_process(moderation="pre", before_open=True, after_open=False)`` → an
    :class:`OnlineProcess`: a process, its public event (in 30 days) with two stands, its phases and
    its moderation settings."""

    def factory(moderation: str = "pre", before_open: bool = True, after_open: bool = False,
                title: str = "Mobilität 2030") -> OnlineProcess:
        from app.core.models import utcnow
        from app.participation.models import OnlinePhase

        now = utcnow()
        with app.app_context():
            process = Process(title=title)
            _db.session.add(process)
            _db.session.commit()
            process_id = process.id
        event_id = create_event(process_id=process_id, status="open", title="Zukunftswerkstatt Mobilität",
                                starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=4),
                                consent_text="Ich bin einverstanden, dass meine Angaben für die Beteiligung "
                                             "verarbeitet werden.").id
        with app.app_context():
            event = _db.session.get(Event, event_id)
            stands = [Stand(event=event, title="Radwege", position=0), Stand(event=event, title="Busse", position=1)]
            _db.session.add_all(stands)
            _db.session.add(OnlinePhase(event_id=event_id, kind="before", enabled=before_open,
                                        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=29)))
            _db.session.add(OnlinePhase(event_id=event_id, kind="after", enabled=after_open,
                                        opens_at=now + timedelta(days=31) if not after_open else now - timedelta(hours=1),
                                        closes_at=now + timedelta(days=60)))
            _db.session.commit()
            stand_ids = [s.id for s in stands]
        online_settings(process_id, moderation=moderation, netiquette=("Keine Beleidigungen", "Beim Thema bleiben"))
        return OnlineProcess(app, process_id, event_id, stand_ids)

    return factory


@pytest.fixture
def after_phase_process(app, online_process, create_online_idea, participant_link) -> Callable:
    """``after_phase_process((stand index, text), ..., **participant_link's options)`` → an
    :class:`AfterPhaseProcess`: ``online_process``'s process under post-moderation whose "after" phase
    is open, with those online ideas (``idea_ids``, ``ideas``), and a participant with a link
    (``participant_id``, ``participant``, ``token``: supports, follows, comments and reports start there)."""

    def factory(*ideas: tuple[int, str], **participant) -> AfterPhaseProcess:
        base = online_process(moderation="post", before_open=False, after_open=True)
        idea_ids = [create_online_idea(base.stand_ids[stand], text).id for stand, text in ideas]
        person, token = participant_link(base.process_id, **participant)
        return AfterPhaseProcess(app, base.process_id, base.event_id, base.stand_ids, idea_ids, person.id, token)

    return factory


@pytest.fixture
def participant_link(app, create_participant) -> Callable:
    """``participant_link(process_id, **create_participant's options)`` → ``(participant, token)``: a
    committed Participant (:func:`attached`) with a random link token (only its hash stored, as the
    sign-up does)."""
    from app.core.tokens import hash_token, new_token

    def factory(process_id: int, **kwargs) -> tuple[Participant, str]:
        kwargs.setdefault("display_name", "Rad-Fan")
        participant_id = create_participant(process_id, **kwargs).id
        token = new_token()
        with app.app_context():
            _db.session.get(Participant, participant_id).token_hash = hash_token(token)
            _db.session.commit()
        return attached(app, Participant, participant_id), token

    return factory
