"""Demo measures of the "Esslingen 4.0" strategy, linked to the demo ideas (called by ``app.demo``).

The measures and dates are illustrative.
"""
from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

from app.core.models import frozen_now
from app.events.models import Event, Process
from app.extensions import db
from app.ideas.models import Idea, Stand
from app.measures.lifecycle import change_status, create_measure, update_measure
from app.measures.links import link_ideas, set_not_taken
from app.measures.models import Measure

PROPOSED = date(2019, 5, 15)
ADOPTED = date(2019, 7, 22)
ADOPTED_COMMENT = "Vom Gemeinderat mit der Digitalisierungsstrategie „Esslingen 4.0“ öffentlich beschlossen."

#: (title, chapter, office, description, [(status, date, comment)], progress, idea texts)
DEMO_MEASURES = [
    ("Online-Terminvergabe für das Bürgerbüro", "Bürgerportal und Online-Dienste", "Bürgeramt",
     "Termine im Bürgerbüro rund um die Uhr online buchen, ändern und absagen.",
     [("adopted", ADOPTED, ADOPTED_COMMENT),
      ("in_progress", date(2019, 10, 1), "Die Ausschreibung ist abgeschlossen; der Testbetrieb beginnt.")],
     40, ["Termine beim Bürgeramt online buchen"]),  # the duplicate "Online-Terminbuchung …" is merged into it
    ("Servicekonto: ein Zugang für alle Online-Dienste", "Bürgerportal und Online-Dienste",
     "Amt für Digitalisierung und IT",
     "Ein Konto für alle Online-Dienste der Stadt, mit dem Servicekonto des Landes verbunden; "
     "der Stand jedes Antrags ist darin sichtbar.",
     [("adopted", ADOPTED, ADOPTED_COMMENT)], 10,
     ["Ein Bürgerkonto für alle Dienste", "Status meines Antrags jederzeit einsehen"]),
    ("Neue städtische Homepage: mobil, barrierefrei, mit guter Suche", "Relaunch der Homepage",
     "Presse- und Öffentlichkeitsarbeit",
     "Relaunch von esslingen.de: für das Handy gebaut, Leichte Sprache für die wichtigsten Seiten, "
     "eine fehlertolerante Suche.",
     [("adopted", ADOPTED, ADOPTED_COMMENT), ("in_progress", date(2019, 9, 2), ""),
      ("done", date(2020, 3, 16), "Die neue Homepage ist online.")], 100,
     ["Die Homepage muss auf dem Handy gut lesbar sein", "Suchfunktion, die auch Tippfehler versteht",
      "Leichte Sprache für die wichtigsten Seiten"]),
    ("Digitaler Anwohnerparkausweis", "Digitale Verwaltungsleistungen", "Ordnungsamt",
     "Den Anwohnerparkausweis online beantragen, bezahlen und verlängern.", [], 0,
     ["Anwohnerparkausweis komplett digital beantragen",
      "Anwohnerparkausweis auch online verlängern"]),  # an online idea (app.participation.demo)
    ("Formulare ohne Papier einreichen", "Digitale Verwaltungsleistungen", "Amt für Digitalisierung und IT",
     "Die häufigsten Anträge als Online-Formulare mit elektronischer Identifizierung statt Unterschrift.",
     [("adopted", ADOPTED, ADOPTED_COMMENT)], 0,
     ["Formulare ohne Ausdrucken und Unterschreiben einreichen"]),
]

NOT_TAKEN = [
    ("Sperrmüll online anmelden",
     "Sperrmüll meldet man beim Abfallwirtschaftsbetrieb des Landkreises an, der das schon online anbietet; "
     "die neue Homepage verlinkt darauf."),
]


def ensure_demo_measures(process: Process) -> None:
    """Add the demo measures when the process has none yet (skipped without the measure tables)."""
    if not sa.inspect(db.session.connection()).has_table("measure"):
        return  # the database is older than the measures feature
    db.session.flush()
    if db.session.execute(sa.select(Measure.id).where(Measure.process_id == process.id).limit(1)).first():
        return
    ideas = db.session.execute(
        sa.select(Idea).join(Stand, Stand.id == Idea.stand_id).join(Event, Event.id == Stand.event_id)
        .where(Event.process_id == process.id)
    ).scalars().all()

    def find(prefix: str):
        return [idea for idea in ideas if idea.text.startswith(prefix)]

    def on_the_day(day: date):
        """Each step at its own date (the demo replays the past), at ten in the morning UTC."""
        return frozen_now(datetime.combine(day, time(10, 0)))

    for title, chapter, office, description, steps, progress, idea_texts in DEMO_MEASURES:
        with on_the_day(PROPOSED):
            measure = create_measure(process, title=title, chapter=chapter, office=office,
                                     description=description, on=PROPOSED)
            linked = [idea for text in idea_texts for idea in find(text)]
            if linked:
                link_ideas(measure, linked)
        for status, on, comment in steps:
            with on_the_day(on):
                change_status(measure, status, on=on, comment=comment, notify=False)
        with on_the_day(steps[-1][1] if steps else PROPOSED):
            update_measure(measure, title=title, chapter=chapter, office=office, description=description,
                           progress=progress)
    with on_the_day(PROPOSED):
        for text, reason in NOT_TAKEN:
            for idea in find(text):
                set_not_taken(idea, reason)
