"""Factories of the privacy tests: a world full of personal data (``privacy_world``): a drawn
lottery with seeded names and emails, a confirmed seat with a ticket and dots, a walk-in, an idea
"said by" someone, mails; plain helpers to dump the database and download the lottery's audit file.
The privacy and audit tests use it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app.events.models import Application, Event
from app.extensions import db as _db
from app.ideas.models import Idea
from tests.factories import Rows
from tests.factories.lottery import deadline_text, post

#: Seeded personal data; none of it may survive a purge anywhere in the database.
WALK_IN_NAME = "Kunigunde Walkinova"
SAID_BY = "Bartholomäus Sayerling"
UNCONFIRMED_NAME = "Ottokar Unbestaetigt"
UNCONFIRMED_EMAIL = "ottokar.unbestaetigt@purge.example"
FEEDBACK_NAME = "Friedlinde Feedbackerin"


def applicant_name(n: int) -> str:
    return f"Wilhelmina Quastenberg{n}"


def applicant_email(n: int) -> str:
    return f"wilhelmina.quastenberg{n}@purge.example"


@dataclass
class World:
    """The privacy world's ids, tokens and seeded data, and its rows as attached objects (``event``,
    ``other_event``, ``applications``, ``ideas``, ``unconfirmed``: read in the reader's app context,
    see :func:`tests.factories.attached`)."""
    app: Flask
    event_id: int
    other_event_id: int
    application_ids: list[int]
    tokens: list[str]
    #: index into application_ids of the applicant who confirmed a seat and voted
    voter: int
    idea_ids: list[int]
    unconfirmed_id: int
    unconfirmed_token: str
    ends_at: datetime
    secrets: list[str] = field(default_factory=list)

    @property
    def seeded(self) -> list[str]:
        """Every seeded name and email address."""
        people = [applicant_name(n) for n in range(len(self.application_ids))]
        people += [applicant_email(n) for n in range(len(self.application_ids))]
        return people + [WALK_IN_NAME, SAID_BY, UNCONFIRMED_NAME, UNCONFIRMED_EMAIL]

    event = Rows(Event, "event_id")
    #: the second event, open for sign-ups, where ``unconfirmed`` signed up
    other_event = Rows(Event, "other_event_id")
    applications = Rows(Application, "application_ids")
    ideas = Rows(Idea, "idea_ids")
    #: the sign-up not confirmed yet (an Application of ``other_event``)
    unconfirmed = Rows(Application, "unconfirmed_id")


@pytest.fixture
def privacy_world(app, admin, lottery_event, create_event) -> World:
    """Five applicants, two seats, drawn; applicant ``voter`` confirmed, checked in and voted.

    The app sends no mail after requests: the tests compare database dumps, and send explicitly."""
    from app.core.models import utcnow
    from app.events.application_services import hash_token
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from app.lottery.models import LotteryEntry
    from app.lottery.seats import respond_to_seat
    from app.voting.base import ensure_settings
    from app.voting.checkin import check_in
    from app.voting.dots import cast_dot
    from app.voting.state import close_voting, open_voting
    from app.voting.tickets import issue_walk_in, ticket_of

    app.config["MAIL_SEND_AFTER_REQUEST"] = False
    ev = lottery_event(seats=2, criteria={"gender": {"f": (0, 2), "m": (0, 2)}}, retention_days=30,
                       people=[{"gender": g} for g in ("f", "m", "f", "m", "f")])
    with app.app_context():
        for n, application in enumerate(ev.applications):
            application.name, application.email = applicant_name(n), applicant_email(n)
        _db.session.commit()
    assert post(admin, f"/manage/events/{ev.event_id}/lottery/commit",
                  {"number_source": "public", "description": "Drei Zehnerwürfel im Rat"}).status_code == 303
    assert post(admin, f"/manage/events/{ev.event_id}/lottery/draw",
                  {"number": "17", "deadline": deadline_text()}).status_code == 303

    with app.test_request_context():
        event = ev.event
        entries = _db.session.execute(
            sa.select(LotteryEntry).where(LotteryEntry.seat_since.is_not(None))
            .order_by(LotteryEntry.id)).scalars().all()
        voter_entry = entries[0]
        voter = ev.application_ids.index(voter_entry.application_id)
        assert respond_to_seat(voter_entry, True) == "confirmed"
        ticket = ticket_of(voter_entry.application)
        ensure_settings(event).walk_ins_allowed = True
        issue_walk_in(event, WALK_IN_NAME)
        stand = Stand(event_id=event.id, title="Mobilität")
        _db.session.add(stand)
        _db.session.flush()
        first, _ = ideas.record_idea(stand, "Mehr Radwege an der Neckarstraße", said_by=SAID_BY)
        second, _ = ideas.record_idea(stand, "Bänke am Marktplatz")
        check_in(event, ticket.code)
        open_voting(event)
        for idea_id in (first.id, first.id, second.id):
            cast_dot(ticket, idea_id)
        close_voting(event)
        idea_ids = [first.id, second.id]
        ends_at = event.ends_at
        secrets = [ticket.code, *ev.tokens]
        _db.session.commit()

    other_id = create_event(status="open", title="Zweite Werkstatt", seats=5,
                                applications_open_at=utcnow() - timedelta(days=20),
                                applications_close_at=utcnow() + timedelta(days=20),
                                starts_at=utcnow() + timedelta(days=40),
                                ends_at=utcnow() + timedelta(days=40, hours=2)).id
    with app.test_request_context():
        token = "privacy-unconfirmed-token-abcdefghijklmnopqrstuvwxyz0123"
        unconfirmed = Application(event_id=other_id, name=UNCONFIRMED_NAME, email=UNCONFIRMED_EMAIL,
                                  token_hash=hash_token(token), source="online", status="unconfirmed",
                                  created_at=utcnow() - timedelta(days=8), consent_at=utcnow())
        _db.session.add(unconfirmed)
        from app.core.mail import queue_mail

        queue_mail(UNCONFIRMED_EMAIL, "Bitte bestätigen", f"Hallo {UNCONFIRMED_NAME}, bitte bestätigen.")
        _db.session.commit()
        return World(app, ev.event_id, other_id, ev.application_ids, ev.tokens, voter, idea_ids, unconfirmed.id, token,
                     ends_at, [*secrets, token])


def dump_database(app) -> str:
    """Every row of every table, as text (to search for personal data)."""
    parts = []
    with app.app_context(), _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.append(f"{table.name}: {json.dumps([str(v) for v in row], ensure_ascii=False)}")
    return "\n".join(parts)


def audit_file(client, event_id: int, path):
    response = client.get(f"/events/{event_id}/lottery/audit.json")
    assert response.status_code == 200
    path.write_bytes(response.get_data())
    return response.get_data()
