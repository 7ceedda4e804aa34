"""Demo ideas for the three stands of the Esslingen citizens' workshop (called by ``app.demo``)."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from app.events.models import Event, Process
from app.extensions import db

#: Per stand position: (text with inline tags, said by).
DEMO_IDEAS = {
    1: [
        ("Die Homepage muss auf dem Handy gut lesbar sein #mobil", ""),
        ("Suchfunktion, die auch Tippfehler versteht #suche", "Tisch 1"),
        ("Leichte Sprache für die wichtigsten Seiten #barrierefreiheit", ""),
        ("Veranstaltungskalender der Stadt mit Filter nach Stadtteil #kalender", ""),
    ],
    2: [
        ("Termine beim Bürgeramt online buchen #Bürgerportal #termine", ""),
        ("Ein Bürgerkonto für alle Dienste, mit nur einer Anmeldung #Bürgerportal", "Gruppe Jugendgemeinderat"),
        ("Online-Terminbuchung für das Bürgeramt #termine", ""),
        ("Status meines Antrags jederzeit einsehen #transparenz", ""),
    ],
    3: [
        ("Anwohnerparkausweis komplett digital beantragen #parken", ""),
        ("Formulare ohne Ausdrucken und Unterschreiben einreichen #formulare", "Tisch 3"),
        ("Sperrmüll online anmelden #abfall", ""),
        ("Datenschutz bei allen Online-Diensten klar erklären #datenschutz", ""),
    ],
}


def ensure_demo_ideas(process: Process) -> None:
    """Add the demo ideas to the workshop's stands that have none (skipped without the idea tables)."""
    from app.ideas import services
    from app.ideas.models import Idea, Stand

    if not sa.inspect(db.session.connection()).has_table("idea"):
        return  # the database is older than the ideas feature
    db.session.flush()
    stands = db.session.execute(
        sa.select(Stand).join(Event, Event.id == Stand.event_id).where(Event.process_id == process.id)
        .order_by(Stand.position)
    ).scalars().all()
    for stand in stands:
        if stand.position not in DEMO_IDEAS:
            continue
        if db.session.execute(sa.select(Idea.id).where(Idea.stand_id == stand.id).limit(1)).first():
            continue
        moderator = stand.moderators[0] if stand.moderators else None
        for text, said_by in DEMO_IDEAS[stand.position]:
            client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ideenmarkt-demo:{stand.id}:{text}"))
            services.record_idea(stand, text, said_by=said_by, client_id=client_id, user=moderator)
        services.wall_link(stand.event)
