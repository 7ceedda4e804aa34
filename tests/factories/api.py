"""A small process with every kind of public and non-public data, seeded with personal data.

Used by the API tests (the fixture ``api_world``) and the export/report tests: a published event with a
drawn lottery, stands, tagged ideas (one merged, one hidden), room dots, board
counts and online dots; a draft and an unpublished event whose ideas must never
be served. The ``SECRETS`` must never appear in a public response.
"""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db

#: Personal data seeded into the world: names, emails, said-by texts, walk-in badge names.
SECRETS = ["Zoë Geheimnisträgerin", "geheim.zoe@example.org", "Hannelore Sagtwas", "Jürgen Türsteher",
           "Ömer Privatmann", "oemer.privat@example.org"]


def build_world() -> SimpleNamespace:
    """Inside a request context: create and commit the world; returns its ids."""
    from app.core.models import utcnow
    from app.events.application_services import hash_token
    from app.events.models import (Application, ApplicationAnswer, ApplicationStatus, Criterion, CriterionOption,
                                   Event, Process)
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from app.lottery.commitment import publish_commitment
    from app.lottery.draw import perform_draw
    from app.lottery.seats import entries_in_order, respond_to_seat
    from app.voting.board import set_board_count
    from app.voting.dots import cast_dot
    from app.voting.models import Dot, Ticket
    from app.voting.state import close_voting, open_voting, update_settings
    from app.voting.tickets import issue_ticket, issue_tickets_for_event, issue_walk_in

    now = utcnow()
    process = Process(title="Esslingen 4.0 – Bürgerbeteiligung", description="Die **Digitalisierungsstrategie**.",
                      stakeholder_groups="Einwohnerinnen und Einwohner\nWirtschaft")
    db.session.add(process)
    db.session.flush()

    # The published event, with a lottery among five applicants for two seats.
    event = Event(process_id=process.id, title="Bürgerwerkstatt Öffnungszeiten", seats=2, status="closed",
                  place="Altes Rathaus", stakeholder_group="Einwohnerinnen und Einwohner",
                  starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=10, hours=-3),
                  applications_open_at=now - timedelta(days=40), applications_close_at=now - timedelta(days=20))
    db.session.add(event)
    db.session.flush()
    criterion = Criterion(event=event, label="Geschlecht", key="gender", position=0)
    for index, value in enumerate(("f", "m")):
        criterion.options.append(CriterionOption(value=value, label=value.upper(), min_seats=0, max_seats=2,
                                                 position=index, population_share=0.5))
    db.session.add(criterion)
    db.session.flush()
    names = [("Zoë Geheimnisträgerin", "geheim.zoe@example.org"), ("Ömer Privatmann", "oemer.privat@example.org"),
             ("Anna Drei", "anna.drei@example.org"), ("Bert Vier", "bert.vier@example.org"),
             ("Carla Fünf", "carla.fuenf@example.org")]
    for n, (name, email) in enumerate(names):
        application = Application(event_id=event.id, name=name, email=email, status="applied",
                                  token_hash=hash_token(f"world-token-{event.id}-{n}-abcdefghijklmnop"),
                                  source="online", consent_at=now, confirmed_at=now)
        option = criterion.options[n % 2]
        application.answers.append(ApplicationAnswer(criterion_id=criterion.id, option_id=option.id))
        db.session.add(application)
    db.session.flush()
    draw = publish_commitment(event, None, "server", table_size=20)
    perform_draw(draw, None, None, now + timedelta(days=5))
    for entry in entries_in_order(draw):
        if entry.holds_seat:
            respond_to_seat(entry, True)

    stands = []
    for position, title in enumerate(("Bürgerportal", "Öffnungszeiten & Service")):
        stand = Stand(event_id=event.id, title=title, position=position)
        db.session.add(stand)
        stands.append(stand)
    db.session.flush()
    portal, service = stands
    top, _ = ideas.record_idea(portal, "Anträge online stellen – ohne Ausdruck #Bürgerportal #Digital",
                               said_by="Hannelore Sagtwas")
    duplicate, _ = ideas.record_idea(portal, "Formulare digital einreichen #Digital")
    longer, _ = ideas.record_idea(service, "Samstags geöffnet für Berufstätige #Öffnungszeiten",
                                  said_by="Ömer Privatmann")
    hidden, _ = ideas.record_idea(service, "VERSTECKTE IDEE mit Beleidigung")
    ideas.hide_idea(hidden, "Beleidigend", user=None)

    update_settings(event, dots_per_ticket=5, max_per_idea=None, scope="event", walk_ins_allowed=True,
                    online_enabled=True)
    open_voting(event)
    walk_in = issue_walk_in(event, "Jürgen Türsteher")
    issue_tickets_for_event(event)  # confirmed seats usually have theirs already
    cast_dot(walk_in, top.id)
    cast_dot(walk_in, top.id)
    cast_dot(walk_in, duplicate.id)
    cast_dot(walk_in, longer.id)
    online = issue_ticket(event, kind="online", channel="online")
    cast_dot(online, longer.id)
    set_board_count(top, 4)
    set_board_count(longer, 7)
    ideas.merge_ideas(top, [duplicate], user=None)
    close_voting(event)
    event.status = "published"

    # Not public: a draft event, and a held event whose results are not published.
    draft = Event(process_id=process.id, title="Entwurf Geheimveranstaltung", seats=0, status="draft")
    held = Event(process_id=process.id, title="Jugendrat Werkstatt", seats=0, status="held",
                 starts_at=now - timedelta(days=3))
    db.session.add_all([draft, held])
    db.session.flush()
    for hidden_event, text in ((draft, "ENTWURFSIDEE"), (held, "UNVEROEFFENTLICHTE IDEE")):
        stand = Stand(event_id=hidden_event.id, title="Stand", position=0)
        db.session.add(stand)
        db.session.flush()
        ideas.record_idea(stand, text, said_by="Hannelore Sagtwas")
    db.session.commit()
    room_dots = db.session.execute(sa.select(sa.func.count(Dot.id)).where(Dot.event_id == event.id,
                                                                          Dot.channel == "room")).scalar_one()
    assert room_dots == 4
    assert db.session.execute(sa.select(sa.func.count(Ticket.id)).where(Ticket.event_id == event.id)).scalar_one()
    return SimpleNamespace(
        process_id=process.id, event_id=event.id, draft_id=draft.id, held_id=held.id,
        stand_ids=[portal.id, service.id], top_id=top.id, duplicate_id=duplicate.id, longer_id=longer.id,
        hidden_id=hidden.id, commitment=draw.commitment,
        applicant_status={a.id: a.status for a in db.session.execute(
            sa.select(Application).where(Application.event_id == event.id)).scalars()},
        confirmed=ApplicationStatus.CONFIRMED.value)


@pytest.fixture
def api_world(app, smtp):
    """The world of :func:`build_world`, committed; returns its ids."""
    with app.test_request_context():
        return build_world()
