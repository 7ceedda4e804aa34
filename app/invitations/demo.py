"""The demo's citizens' council drawn from the residents' register (issue 17), for ``flask demo load``.

A register extract of 20,000 residents (``INVITATIONS_DEMO_RESIDENTS``; fewer in the tests) is
generated with a fixed seed (Esslingen's districts with plausible sizes, an adult age structure, households of one to four people at one address) and
imported through the bulk import (:func:`app.invitations.services.run_import`, as the job does);
the invitation draw (stage 1) is planned by district and age band, committed and drawn with a fixed
public value; about 8 % of the invitees answer (fewer of the young, more of the old), online with
an email or on the paper reply form with a phone number, entered by staff. The event is
invitation-only and open, its window running from the day the demo is loaded, so the invitations
page, the letters, the reminders and the stages of representativeness show the feature.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from app.events import services as events
from app.events.models import Event
from app.extensions import db
from app.invitations import answering, services, stage1
from app.invitations.models import Invitation

TITLE = "Bürgerrat „Digitale Stadt Esslingen“"
DESCRIPTION = ("Ein Bürgerrat aus zufällig ausgewählten Einwohnerinnen und Einwohnern berät den Gemeinderat zur "
               "digitalen Stadt. Die Stadt hat **{letters} Personen** aus dem Melderegister angeschrieben; unter allen, "
               "die antworten, werden **20 Plätze** per Los vergeben. Teilnahme nur mit Einladung.")
#: Letters per resident of the register (400 of 20,000).
LETTERS_SHARE = 50
SEED = 17
#: District → weight (roughly the districts' share of Esslingen's population).
DISTRICTS = {
    "Innenstadt": 9, "Oberesslingen": 11, "Pliensauvorstadt": 6, "Mettingen": 6, "Weil": 4, "Brühl": 3,
    "Berkheim": 8, "Zell": 6, "Sirnau": 3, "Wäldenbronn": 6, "Hegensberg": 3, "Liebersbronn": 3,
    "Sulzgries": 3, "Rüdern": 2, "Krummenacker": 2, "St. Bernhardt": 3, "Kennenburg": 1, "Serach": 3,
}
STREETS = ("Hauptstraße", "Bahnhofstraße", "Mühlbergstraße", "Plochinger Straße", "Neckarstraße", "Kirchstraße",
           "Schulstraße", "Gartenstraße", "Lindenstraße", "Bergstraße", "Wiesenstraße", "Im Weiler")
GIVEN = {"w": ("Anna", "Sophie", "Marie", "Fatma", "Elif", "Maria", "Ursula", "Laura", "Lena", "Helga", "Aylin",
               "Katharina", "Monika", "Sabine", "Mia", "Emilia", "Natalia", "Ingrid"),
         "m": ("Jürgen", "Lukas", "Mehmet", "Jonas", "Paul", "Thomas", "Michael", "Ali", "Felix", "Leon", "Klaus",
               "Stefan", "Dimitrios", "Noah", "Peter", "Hans", "Giuseppe", "Ben")}
FAMILY = ("Müller", "Schmidt", "Yılmaz", "Weber", "Wagner", "Becker", "Schäfer", "Kaya", "Koch", "Richter", "Bauer",
          "Fischer", "Hoffmann", "Schneider", "Wolf", "Papadopoulos", "Rossi", "Nowak", "Braun", "Krause")
#: Age band → (weight in the adult population, answer rate): fewer of the young answer.
AGE_BANDS = {(16, 29): (18, 0.045), (30, 44): (23, 0.07), (45, 64): (33, 0.09), (65, 95): (26, 0.11)}
CRITERIA = [
    ("stadtteil", "Stadtteil", list(DISTRICTS)),
    ("alter", "Altersgruppe", ["16–29", "30–44", "45–64", "65 und älter"]),
    ("geschlecht", "Geschlecht", ["weiblich", "männlich", "divers"]),
    ("bildung", "Höchster Schulabschluss", ["Kein Abschluss", "Haupt- oder Realschule", "Abitur oder höher"]),
]
HEADER = "Vorname;Familienname;Titel;Straße;Hausnummer;PLZ;Ort;Geburtsdatum;Geschlecht;Stadtteil"


def register_file(today: date, rows: int, seed: int = SEED) -> bytes:
    """The generated register extract (CSV as the registration office's software exports it)."""
    rng = random.Random(seed)
    districts, weights = list(DISTRICTS), list(DISTRICTS.values())
    bands, band_weights = list(AGE_BANDS), [w for w, _rate in AGE_BANDS.values()]
    lines = [HEADER]
    house = 0
    while len(lines) <= rows:
        house += 1
        district = rng.choices(districts, weights)[0]
        street, number = STREETS[house % len(STREETS)], f"{house // len(STREETS) + 1}{'a' if house % 9 == 0 else ''}"
        postcode = f"737{28 + districts.index(district) % 7:02d}"
        family = rng.choice(FAMILY)
        for _member in range(min(rng.choices((1, 2, 3, 4), (41, 34, 13, 12))[0], rows + 1 - len(lines))):
            low, high = rng.choices(bands, band_weights)[0]
            born = today - timedelta(days=rng.randrange(low * 365 + 1, high * 365 + 364))
            gender = rng.choices("wmd", (51, 48.9, 0.1))[0]
            given = rng.choice(GIVEN["w" if gender == "w" else "m" if gender == "m" else rng.choice("wm")])
            lines.append(";".join([given, family, "Dr." if rng.random() < 0.02 else "", street, number, postcode,
                                   "Esslingen am Neckar", born.isoformat(), gender, district]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _slug(label: str) -> str:
    """An option's short name: lower case, ASCII letters, digits and "-"."""
    text = label.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss").replace("–", "-")
    return "-".join("".join(c if c.isascii() and c.isalnum() or c == "-" else " " for c in text).split())[:60]


def _band_of(age: int | None) -> tuple[int, int] | None:
    return next((band for band in AGE_BANDS if age is not None and band[0] <= age <= band[1]), None)


def citizens_council(process, today: date, staff_user, consent_text: str) -> Event:
    """The invitation-only council of the demo: register imported, invitations drawn, answers in."""
    rng = random.Random(SEED)
    residents = int(current_app.config["INVITATIONS_DEMO_RESIDENTS"])
    letters = max(40, residents // LETTERS_SHARE)
    starts = datetime.combine(today + timedelta(days=49), time(9, 0))
    event = events.create_event(process, events.EventData(
        title=TITLE, description=DESCRIPTION.format(letters=letters), place="Altes Rathaus, Bürgersaal, Rathausplatz 1, 73728 Esslingen am Neckar",
        starts_at=starts - timedelta(hours=1), ends_at=starts + timedelta(hours=7), seats=20,
        applications_open_at=datetime.combine(today, time(0, 0)),
        applications_close_at=datetime.combine(today + timedelta(days=35), time(22, 0)),
        stakeholder_group="Bürgerinnen und Bürger", consent_text=consent_text, retention_days=90,
        lottery_one_per_household=True, invitation_only=True))
    for key, label, options in CRITERIA:
        events.save_criterion(event, label, key, [events.OptionData(label=o, value=_slug(o)) for o in options])
    events.change_status(event, "open")
    extract = services.upload_extract(event, staff_user, "melderegister-auszug.csv", register_file(today, residents))
    services.preview(extract, extract.mapping)
    services.start_import(extract)
    services.run_import(extract)  # the bulk import, as the job runs it
    draw = stage1.save_plan(event, letters=letters, by_district=True, age_bands="16-29, 30-44, 45-64, 65+",
                            response_rate_percent=8, group_settings={}, one_per_household=True,
                            answer_deadline=datetime.combine(today + timedelta(days=28), time(0, 0)))
    stage1.commit(draw, staff_user, "public", "Die ersten drei Ziffern der Ziehung der Glücksspirale am Samstag "
                                              "nach der Veröffentlichung dieser Festlegung.")
    stage1.perform(draw, staff_user, "4 0 7")
    db.session.flush()
    education = next(c for c in event.criteria if c.key == "bildung")
    invitations = db.session.execute(sa.select(Invitation).where(Invitation.draw_id == draw.id)
                                     .order_by(Invitation.stratum, Invitation.id)).scalars().all()
    on = answering.reference_date(event)
    answers = 0
    for n, invitation in enumerate(invitations):
        person = invitation.person
        band = _band_of(stage1.age_on(person.birth_date, person.birth_year, on))
        if band is None or rng.random() >= AGE_BANDS[band][1]:
            continue
        answers += 1
        on_paper = answers % 3 == 0  # every third answer on the paper reply form, entered by staff
        answering.answer(
            invitation, email=None if on_paper else f"eingeladen.{n}@example.org",
            phone=f"0711 39{n:05d}" if on_paper else None,
            answers={education.id: rng.choices(education.options, (4, 45, 51))[0].id}, consent=True, language="de",
            source="paper" if on_paper else "online", staff_user=staff_user if on_paper else None)
    db.session.flush()
    return event
