"""Factories of the results: a process with three events, merged and hidden ideas, and all three kinds of
dots (``results_fixture``); an event of many ideas written in bulk (:func:`build_bulk_event`).

Hand-computed expectations are in :data:`EXPECTED` and the docstring of :func:`build_results_fixture`.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.extensions import db as _db

#: Personal data seeded into the fixture; none of it may appear on a public page.
PERSONAL = {
    "names": ["Hannelore Quistorp", "Jörg Wendelin-Oberholz", "Zeynep Achterberg", "Walk-in Ortrud Pfeiffle"],
    "emails": ["hannelore.quistorp@example.org", "joerg.wendelin@example.org", "zeynep.achterberg@example.org"],
    "said_by": ["Sagte Frau Griselda Hornbostel", "Herr Balduin Schwerdtfeger"],
}


def build_results_fixture() -> SimpleNamespace:
    """Inside an app context: build and commit the fixture; returns the ids.

    Process "Esslingen 4.0" (groups: Einwohner, Jugendrat)
      Event A (published, Einwohner): stands S1 "Bürgerportal", S2 "Homepage"
      Event B (published, Jugendrat): stand S3 "Bürgerportal"
      Event C (held, Einwohner, NOT published): stand S4 "Bürgerportal"

    Ideas (tags) and dots (room / online / board):
      i1 S1 #portal #online  room 3, online 1, board 5   survivor of i2
      i2 S1 merged → i1      room 2, board 1
      i3 S1 hidden #portal   room 4
      i4 S2 #homepage        room 1, online 2
      i5 S2                  no dots
      i8 S1 merged → i6      room 2   (merged across events)
      i6 S3 #portal          room 1, board 2           survivor of i7 and i8
      i7 S3 merged → i6      online 3
      i9 S4 #portal          room 5   (unpublished event)

    Totals: i1 = 5/6/1 (room/board/online) = 12; i6 = 3/2/3 = 8; i4 = 1/0/2 = 3; i5 = 0;
    hidden i3 = 4; unpublished i9 = 5.
    """
    from app.events.models import (
        Application, ApplicationAnswer, Criterion, CriterionOption, Event, Process,
    )
    from app.ideas.models import Idea, IdeaTag, Stand, Tag
    from app.lottery.models import LotteryDraw, LotteryEntry
    from app.voting.models import BoardCount, Dot, Ticket

    session = _db.session
    process = Process(title="Esslingen 4.0", stakeholder_groups="Einwohner\nJugendrat")
    session.add(process)
    session.flush()

    def event(title, status, group, day):
        ev = Event(process_id=process.id, title=title, status=status, stakeholder_group=group, seats=15,
                   starts_at=datetime(2019, 4, day, 17), ends_at=datetime(2019, 4, day, 20))
        session.add(ev)
        session.flush()
        return ev

    ev_a = event("Bürgerwerkstatt Altstadt", "published", "Einwohner", 1)
    ev_b = event("Jugendrat-Werkstatt", "published", "Jugendrat", 8)
    ev_c = event("Nachtreffen Einwohner", "held", "Einwohner", 15)

    def stand(ev, title, position=0):
        st = Stand(event_id=ev.id, title=title, position=position)
        session.add(st)
        session.flush()
        return st

    s1, s2 = stand(ev_a, "Bürgerportal", 0), stand(ev_a, "Homepage", 1)
    s3, s4 = stand(ev_b, "Bürgerportal"), stand(ev_c, "Bürgerportal")

    tags = {}
    for key, label in (("portal", "Bürgerportal"), ("online", "Online-Dienste"), ("homepage", "Homepage")):
        tags[key] = Tag(process_id=process.id, key=key, label=label)
        session.add(tags[key])
    session.flush()

    ideas = {}

    def idea(name, st, text, status="new", tag_keys=(), said_by="", minute=0):
        row = Idea(stand_id=st.id, text=text, status=status, said_by=said_by, client_id=secrets.token_hex(16),
                   created_at=datetime(2019, 4, 1, 18, minute))
        session.add(row)
        session.flush()
        for key in tag_keys:
            session.add(IdeaTag(idea_id=row.id, tag_id=tags[key].id))
        ideas[name] = row
        return row

    idea("i1", s1, "Termine beim Bürgeramt online buchen", tag_keys=("portal", "online"),
         said_by=PERSONAL["said_by"][0], minute=1)
    idea("i2", s1, "Online-Terminvergabe fürs Bürgeramt", status="merged", tag_keys=("portal",), minute=2)
    idea("i3", s1, "Beleidigender Beitrag", status="hidden", tag_keys=("portal",), minute=3)
    idea("i4", s2, "Barrierefreie Startseite mit Leichter Sprache", tag_keys=("homepage",),
         said_by=PERSONAL["said_by"][1], minute=4)
    idea("i5", s2, "Veranstaltungskalender für Vereine", minute=5)
    idea("i6", s3, "Schülerausweis digital im Bürgerportal", tag_keys=("portal",), minute=6)
    idea("i7", s3, "Digitaler Schülerausweis", status="merged", minute=7)
    idea("i8", s1, "Ausweis fürs Handy", status="merged", minute=8)
    idea("i9", s4, "Unveröffentlichte Idee zum Portal", tag_keys=("portal",), minute=9)
    ideas["i2"].merged_into_id = ideas["i1"].id
    ideas["i7"].merged_into_id = ideas["i6"].id
    ideas["i8"].merged_into_id = ideas["i6"].id
    session.flush()

    # Applications of event A, with a criterion and a lottery draw.
    criterion = Criterion(event_id=ev_a.id, label="Altersgruppe", key="age", position=0)
    session.add(criterion)
    session.flush()
    young = CriterionOption(criterion_id=criterion.id, label="18–29", value="18-29", position=0,
                            population_share=0.2)
    older = CriterionOption(criterion_id=criterion.id, label="30 und älter", value="30+", position=1,
                            population_share=0.8)
    session.add_all([young, older])
    session.flush()
    draw = LotteryDraw(event_id=ev_a.id, attempt=1, state="drawn", seats=15, table_size=10,
                       number_source_kind="server", number_source="csprng", algorithm="test",
                       algorithm_version="1", applicants_sha256="0" * 64, table_sha256="0" * 64,
                       commitment="0" * 64, record_json="{}", number=1)
    session.add(draw)
    session.flush()
    names, emails = PERSONAL["names"], PERSONAL["emails"]
    applicants = [
        # (status, option, seat given by the draw?, name, email)
        ("confirmed", young, True, names[0], emails[0]),
        ("confirmed", older, True, names[1], emails[1]),
        ("declined", young, True, names[2], emails[2]),
        ("withdrawn", older, True, "Anna Beispiel", "anna@example.org"),
        ("waitlisted", young, False, "Bert Beispiel", "bert@example.org"),
        ("not_selected", older, False, "Clara Beispiel", "clara@example.org"),
        ("unconfirmed", young, False, "Dora Beispiel", "dora@example.org"),
    ]
    apps = []
    for n, (status, option, seated, name, email) in enumerate(applicants):
        application = Application(event_id=ev_a.id, name=name, email=email, status=status,
                                  token_hash=secrets.token_hex(32))
        session.add(application)
        session.flush()
        session.add(ApplicationAnswer(application_id=application.id, criterion_id=criterion.id,
                                      option_id=option.id))
        if status != "unconfirmed":
            session.add(LotteryEntry(draw_id=draw.id, application_id=application.id, pseudonym=f"A-{n:05d}",
                                     rank=None if seated else n,
                                     seat_since=datetime(2019, 3, 20) if seated else None))
        apps.append(application)
    session.flush()

    def ticket(ev, kind="participant", channel="room", application=None, checked_in=False, holder=None):
        row = Ticket(event_id=ev.id, code=secrets.token_hex(4).upper(), kind=kind, channel=channel,
                     application_id=application.id if application else None, holder_name=holder,
                     receipt_salt=secrets.token_hex(16),
                     checked_in_at=datetime(2019, 4, 1, 17) if checked_in else None)
        session.add(row)
        session.flush()
        return row

    t1 = ticket(ev_a, application=apps[0], checked_in=True)
    ticket(ev_a, application=apps[1])
    walk_in = ticket(ev_a, kind="walk_in", checked_in=True, holder=names[3])
    online_a = ticket(ev_a, kind="online", channel="online")
    room_b = ticket(ev_b, kind="walk_in", checked_in=True, holder="Gast B")
    online_b = ticket(ev_b, kind="online", channel="online")
    room_c = ticket(ev_c, kind="walk_in", checked_in=True, holder="Gast C")

    slots: dict[int, int] = defaultdict(int)
    idea_slots: dict[tuple[int, int], int] = defaultdict(int)
    rows = []

    def dots(tk, name, n):
        target = ideas[name]
        for _ in range(n):
            slots[tk.id] += 1
            idea_slots[(tk.id, target.id)] += 1
            rows.append({"ticket_id": tk.id, "event_id": tk.event_id, "idea_id": target.id,
                         "stand_id": target.stand_id, "channel": tk.channel, "scope_id": 0,
                         "slot": slots[tk.id], "idea_slot": idea_slots[(tk.id, target.id)]})

    dots(t1, "i1", 3)
    dots(t1, "i2", 2)
    dots(t1, "i3", 4)
    dots(walk_in, "i4", 1)
    dots(walk_in, "i8", 2)
    dots(online_a, "i1", 1)
    dots(online_a, "i4", 2)
    dots(room_b, "i6", 1)
    dots(online_b, "i7", 3)
    dots(room_c, "i9", 5)
    session.execute(sa.insert(Dot), rows)
    for name, count, ev in (("i1", 5, ev_a), ("i2", 1, ev_a), ("i6", 2, ev_b)):
        session.add(BoardCount(event_id=ev.id, idea_id=ideas[name].id, count=count))
    session.commit()
    return SimpleNamespace(
        process_id=process.id, event_a=ev_a.id, event_b=ev_b.id, event_c=ev_c.id,
        s1=s1.id, s2=s2.id, s3=s3.id, s4=s4.id, young=young.id, older=older.id,
        tags={k: t.id for k, t in tags.items()}, ideas={k: v.id for k, v in ideas.items()},
    )


@pytest.fixture
def results_fixture(app) -> SimpleNamespace:
    """The committed fixture of :func:`build_results_fixture` (ids)."""
    with app.app_context():
        return build_results_fixture()


def build_bulk_event(n_ideas: int, *, status: str = "published", stands: int = 4, tags: int = 6,
                     dots_per_ticket: int = 20, tickets: int | None = None, process_id: int | None = None) -> SimpleNamespace:
    """Inside an app context: an event with ``n_ideas`` ideas, tags, merges, hidden ideas, room/online
    dots and board counts, written with bulk inserts (fast for 10,000 ideas); committed."""
    from app.events.models import Event, Process
    from app.ideas.models import Idea, IdeaTag, Stand, Tag
    from app.voting.models import BoardCount, Dot, Ticket

    session = _db.session
    if process_id is None:
        process = Process(title="Massentest", stakeholder_groups="Einwohner")
        session.add(process)
        session.flush()
        process_id = process.id
    event = Event(process_id=process_id, title=f"Werkstatt mit {n_ideas} Ideen", status=status,
                  stakeholder_group="Einwohner", seats=0)
    session.add(event)
    session.flush()
    session.execute(sa.insert(Stand), [{"event_id": event.id, "title": f"Stand {s + 1}", "position": s}
                                       for s in range(stands)])
    stand_ids = session.execute(sa.select(Stand.id).where(Stand.event_id == event.id).order_by(Stand.id)).scalars().all()
    existing = session.execute(sa.select(Tag.id).where(Tag.process_id == process_id).order_by(Tag.id)).scalars().all()
    if not existing:
        session.execute(sa.insert(Tag), [{"process_id": process_id, "key": f"t{t}", "label": f"Thema {t}"}
                                         for t in range(tags)])
    tag_ids = session.execute(sa.select(Tag.id).where(Tag.process_id == process_id).order_by(Tag.id)).scalars().all()
    session.execute(sa.insert(Idea), [
        {"stand_id": stand_ids[n % len(stand_ids)], "text": f"Idee Nummer {n}", "status": "new",
         "client_id": f"{event.id}-{n}", "said_by": "Herr Balduin Schwerdtfeger"} for n in range(n_ideas)])
    idea_ids = session.execute(
        sa.select(Idea.id).join(Stand, Stand.id == Idea.stand_id).where(Stand.event_id == event.id)
        .order_by(Idea.id)).scalars().all()
    session.execute(sa.insert(IdeaTag), [{"idea_id": i, "tag_id": tag_ids[n % len(tag_ids)]}
                                         for n, i in enumerate(idea_ids)])
    # Every 10th idea is merged into its predecessor; every 25th (not merged) is hidden.
    changes = [{"id": idea_id, "status": "merged", "merged_into_id": idea_ids[n - 1]} if n % 10 == 9
               else {"id": idea_id, "status": "hidden", "merged_into_id": None}
               for n, idea_id in enumerate(idea_ids) if n % 10 == 9 or n % 25 == 24]
    if changes:
        session.execute(sa.update(Idea), changes)
    if tickets is None:
        tickets = max(1, n_ideas // 10)
    session.execute(sa.insert(Ticket), [
        {"event_id": event.id, "code": f"T{event.id}X{t}", "kind": "walk_in" if t % 2 else "online",
         "channel": "online" if t % 2 == 0 else "room", "receipt_salt": "00"} for t in range(tickets)])
    ticket_rows = session.execute(sa.select(Ticket.id, Ticket.channel).where(Ticket.event_id == event.id)
                                  .order_by(Ticket.id)).all()
    stand_of = {i: stand_ids[n % len(stand_ids)] for n, i in enumerate(idea_ids)}
    dots = []
    for t, (ticket_id, channel) in enumerate(ticket_rows):
        per_idea: dict[int, int] = defaultdict(int)
        for slot in range(1, dots_per_ticket + 1):
            idea_id = idea_ids[(t * 7 + slot * 13) % len(idea_ids)]
            per_idea[idea_id] += 1
            dots.append({"ticket_id": ticket_id, "event_id": event.id, "idea_id": idea_id,
                         "stand_id": stand_of[idea_id], "channel": channel, "scope_id": 0, "slot": slot,
                         "idea_slot": per_idea[idea_id]})
    if dots:
        session.execute(sa.insert(Dot), dots)
    session.execute(sa.insert(BoardCount), [{"event_id": event.id, "idea_id": i, "count": n % 7}
                                            for n, i in enumerate(idea_ids[::3])])
    session.commit()
    return SimpleNamespace(process_id=process_id, event_id=event.id, stand_ids=list(stand_ids), idea_ids=idea_ids)
