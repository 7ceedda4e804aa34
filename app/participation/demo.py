"""The online phases of the demo's 2019 citizens' workshop (issue 18), for ``flask demo load``.

Told through the real services, step by step at frozen moments (``app.demo`` passes its clock):

* on 25 February 2019 staff set the workshop's online phases (before: 4 to 31 March, residents
  submit ideas to the stands' themes; after: from the publication of the results on 5 April to
  30 April, residents read, support and comment), pre-moderation and the netiquette;
* in March invented residents sign up, confirm their address through the double opt-in (the link
  of the confirmation mail) and submit ideas to the three stands; the stands' moderators approve
  them the next morning, and refuse an advertisement with a reason from the netiquette;
* on the evening of 1 April a moderator takes an online idea into the room's list and another
  merges an online idea into the room idea it repeats (with its provenance);
* in April more residents sign up; they support ideas of the room and online and comment them,
  one comment is answered, and the moderators approve the comments; the commenters follow the
  ideas they commented, so the strategy's measures mail them when they take those ideas in.

A fixed seed of its own keeps the rest of the story's random choices as they were. The residents'
addresses are at example.org; their mails count as sent like the rest of the demo's
(``app.demo``), which also loads it with the rate limits exempt (:func:`app.core.ratelimit.exempt`).
"""
from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.models import OutboxMail
from app.events.models import Event
from app.extensions import db
from app.ideas.models import Idea, IdeaChannel, Stand
from app.participation import comments, follows, moderation, reports, services, supports
from app.participation.models import ModerationMode, Participant, PhaseKind

SEED = 18

BEFORE_OPENS = datetime(2019, 3, 4, 9, 0)
BEFORE_CLOSES = datetime(2019, 3, 31, 23, 59)
AFTER_OPENS = datetime(2019, 4, 5, 10, 0)  # with the publication of the results
AFTER_CLOSES = datetime(2019, 4, 30, 23, 59)

NETIQUETTE = [
    "Respektvoll bleiben: keine Beleidigungen, keine Diskriminierung.",
    "Keine Werbung für Firmen, Produkte oder Parteien.",
    "Keine persönlichen Daten anderer Menschen.",
    "Beim Thema des Marktstands bleiben.",
]
ADVERTISING = NETIQUETTE[1]

#: Invented residents (first name, family name, name shown in public?); none of the applicants'.
RESIDENTS = [
    ("Karin", "Neumann", True), ("Thomas", "Huber", False), ("Selin", "Demir", True), ("Michael", "Krause", True),
    ("Petra", "Lehmann", False), ("Stefan", "Kaiser", True), ("Emine", "Arslan", False), ("Andreas", "Fuchs", True),
    ("Birgit", "Seitz", True), ("Florian", "Haas", False), ("Nadine", "Brandt", True), ("Georgios", "Ziegler", True),
    ("Heike", "Kühn", False), ("Kevin", "Schwarz", True), ("Leonie", "Müller", True), ("Markus", "Schmidt", False),
    ("Irina", "Lorenz", True), ("Ralf", "Engel", False), ("Svenja", "Roth", True), ("Yusuf", "Aydın", True),
    ("Doris", "Graf", False), ("Benedikt", "Sauer", True), ("Christiane", "Pohl", True), ("Ömer", "Çelik", False),
    ("Franziska", "Berger", True), ("Werner", "Ott", False),
]
#: How many of them sign up in March (to submit ideas); the others in April (to support and comment).
BEFORE_RESIDENTS = 12

#: The online ideas per stand position: (text with inline tags, resident, day in March).
ONLINE_IDEAS = {
    1: [
        ("Die häufigsten Anliegen gleich auf der Startseite: Müllabfuhr, Ausweis, Kita, Parken", 0, 4),
        ("Öffnungszeiten aller Ämter auf einer Seite, mit Feiertagen und Schließtagen", 2, 7),
        ("Die Homepage auch in anderen Sprachen, zum Beispiel Englisch, Türkisch und Griechisch "
         "#barrierefreiheit", 6, 11),
        ("Baustellen und Straßensperrungen auf einem Stadtplan zeigen", 3, 19),
        # refused by the moderator with a reason from the netiquette
        ("Günstige Webseiten vom Profi: Wir bauen auch Ihre Homepage, schnell und preiswert. Rufen Sie uns an!",
         11, 14),
    ],
    2: [
        # merged at the workshop into the room idea it repeats
        ("Termine beim Bürgeramt auch für Samstag online buchen können #termine", 1, 5),
        ("Anträge zwischenspeichern und später weiter ausfüllen #formulare", 4, 8),
        ("Ein digitales Postfach für alle Bescheide der Stadt, statt Briefen", 7, 13),
        ("Anmelden mit der Online-Ausweisfunktion des Personalausweises, ohne neues Passwort #datenschutz", 9, 21),
    ],
    3: [
        # taken into the room's list at the workshop
        ("Schäden an Straßen, Gehwegen und Laternen mit Foto und Ort online melden", 5, 6),
        ("Den Kita-Platz online suchen und anmelden, mit einer gemeinsamen Warteliste für alle Kitas", 8, 12),
        ("Anwohnerparkausweis auch online verlängern, mit Erinnerung per E-Mail #parken", 10, 18),
        ("Hundesteuer online an- und abmelden, ohne Gang ins Rathaus", 3, 25),
        ("Gebühren und Bescheide online bezahlen, per Lastschrift oder mit Karte", 0, 27),
    ],
}
TAKEN_INTO_ROOM = "Schäden an Straßen"
MERGED = ("Termine beim Bürgeramt auch für Samstag", "Termine beim Bürgeramt online buchen")

#: Comments in April: (start of the idea's text, resident, day, text); each on or after the day its
#: author signed up (see :meth:`OnlineStory.signed_up_on`).
COMMENTS = [
    ("Die Homepage muss auf dem Handy", 14, 8,
     "Unbedingt! Ich schaue fast nur noch auf dem Handy nach, wann die Müllabfuhr kommt."),
    ("Leichte Sprache", 16, 10, "Das hilft auch allen, die gerade Deutsch lernen."),
    ("Anträge zwischenspeichern", 12, 9,
     "Genau das fehlt mir: Beim Wohngeldantrag musste ich dreimal von vorne anfangen."),
    ("Schäden an Straßen", 19, 13,
     "Wichtig wäre eine Rückmeldung, wann der Schaden behoben ist, sonst meldet man alles dreimal."),
    ("Datenschutz bei allen Online-Diensten", 21, 15, "Bitte kurz und verständlich, nicht nur als langer Rechtstext."),
    ("Ein digitales Postfach", 24, 17, "Aber bitte weiterhin Briefe für alle, die kein Internet haben."),
]
#: The one reply, to the first comment: (resident, day, text).
REPLY = (20, 20, "Eine Erinnerung an den Abfuhrtermin per E-Mail wäre dafür auch praktisch.")

Clock = Callable[[datetime], AbstractContextManager]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ı", "i")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _starting(ideas: list[Idea], prefix: str) -> Idea:
    return next(idea for idea in ideas if idea.text.startswith(prefix))


class OnlineStory:
    """The online side of the 2019 citizens' workshop; ``at(local time)`` freezes "now" for a step."""

    def __init__(self, event: Event, stands: list[Stand], at: Clock, to_utc: Callable[[datetime], datetime]):
        self.event = event
        self.process = event.process
        self.stands = stands
        self.at = at
        self.to_utc = to_utc
        self.rng = random.Random(SEED)
        self.participants: dict[int, Participant] = {}
        self.online: list[Idea] = []

    def moderator(self, stand: Stand) -> User:
        return stand.moderators[0]

    def settings(self, staff_user: User) -> None:
        """Staff set the phases, pre-moderation and the netiquette (25 February 2019)."""
        with self.at(datetime(2019, 2, 25, 10, 30)):
            to_utc = self.to_utc
            services.save_online_settings(self.event, {
                PhaseKind.BEFORE.value: services.PhaseData(True, to_utc(BEFORE_OPENS), to_utc(BEFORE_CLOSES)),
                PhaseKind.AFTER.value: services.PhaseData(True, to_utc(AFTER_OPENS), to_utc(AFTER_CLOSES)),
            }, ModerationMode.PRE.value, "\n".join(NETIQUETTE))

    @staticmethod
    def signed_up_on(n: int) -> datetime:
        """When resident ``n`` of the April ones signs up (the March ones sign up with their first idea)."""
        return datetime(2019, 4, 5 + n - BEFORE_RESIDENTS, 19, 20)

    def sign_up(self, n: int, when: datetime) -> Participant:
        """Resident ``n`` signs up and confirms through the link of the confirmation mail."""
        first, family, public = RESIDENTS[n]
        email = f"{_ascii(first)}.{_ascii(family)}@example.org"
        with self.at(when):
            participant = services.sign_up(self.process, services.SignupData(
                display_name=f"{first} {family[0]}.", show_name_publicly=public, email=email, consent=True))
        body = db.session.execute(
            sa.select(OutboxMail.body_text).where(OutboxMail.recipient == email)
            .order_by(OutboxMail.id.desc()).limit(1)).scalar_one()
        token, signature = re.search(r"/participation/([^/\s]+)/confirm/([^/\s]+)", body).groups()
        with self.at(when + timedelta(minutes=7)):
            services.confirm(token, signature)
        return participant

    def before_workshop(self) -> None:
        """March: residents sign up and submit ideas; the moderators approve them the next
        morning and refuse the advertisement with a reason from the netiquette."""
        submitted: list[tuple[int, datetime, Idea]] = []
        signed: dict[int, Participant] = {}
        for position, texts in ONLINE_IDEAS.items():
            stand = self.stands[position - 1]
            for text, n, day in texts:
                when = datetime(2019, 3, day, 18 + n % 4, 10 + n * 3)
                if n not in signed:
                    signed[n] = self.sign_up(n, when)
                with self.at(when + timedelta(minutes=12)):
                    idea = services.submit_idea(signed[n], stand.id, text)
                submitted.append((day, when, idea))
        self.participants = signed
        for day, _when, idea in sorted(submitted, key=lambda s: (s[1], s[2].id)):
            moderator = self.moderator(idea.stand)
            with self.at(datetime(2019, 3, day + 1, 9, 15)):
                if idea.text.startswith("Günstige Webseiten"):
                    reports.hide_idea(idea, ADVERTISING, user=moderator)
                else:
                    moderation.approve(idea, user=moderator)
            self.online.append(idea)

    def at_the_workshop(self, room_ideas: list[Idea]) -> list[Idea]:
        """1 April 2019: an online idea is taken into the room's list, another merged into the
        room idea it repeats. :return: the online ideas taken into the room (dots may go to them)."""
        taken = _starting(self.online, TAKEN_INTO_ROOM)
        with self.at(datetime(2019, 4, 1, 18, 35)):
            moderation.take_into_room(taken, user=self.moderator(taken.stand))
        source, target = _starting(self.online, MERGED[0]), _starting(room_ideas, MERGED[1])
        with self.at(datetime(2019, 4, 1, 19, 10)):
            moderation.merge_into_room_idea(source, target.id, user=self.moderator(target.stand))
        return [taken]

    def after_workshop(self) -> None:
        """April: more residents sign up; supports of room and online ideas, comments with one
        reply, approved by the moderators."""
        for n in range(BEFORE_RESIDENTS, len(RESIDENTS)):
            self.participants[n] = self.sign_up(n, self.signed_up_on(n))
        workshop_ideas = db.session.execute(
            sa.select(Idea).join(Stand, Stand.id == Idea.stand_id)
            .where(Stand.event_id == self.event.id, Idea.is_visible).order_by(Idea.id)).scalars().all()
        # Some ideas draw more support than others.
        weights = [3 if idea.channel == IdeaChannel.ROOM.value and idea.text.startswith(("Termine", "Die Homepage"))
                   else 2 if idea.taken_into_room_at is not None else 1 for idea in workshop_ideas]
        for n, participant in sorted(self.participants.items()):
            day = self.signed_up_on(n) if n >= BEFORE_RESIDENTS else datetime(2019, 4, 5 + n, 19, 20)
            chosen: list[Idea] = []
            for _ in range(self.rng.randint(1, 4)):
                idea = self.rng.choices(workshop_ideas, weights)[0]
                if idea not in chosen:
                    chosen.append(idea)
            for k, idea in enumerate(chosen):
                with self.at(day + timedelta(minutes=50 + 3 * k)):
                    supports.support(participant, idea)
        written = []
        for prefix, n, day, text in COMMENTS:
            idea = _starting(workshop_ideas, prefix)
            with self.at(datetime(2019, 4, day, 21, 0)):
                written.append(comments.write_comment(self.participants[n], idea, text))
                # Who comments an idea wants to hear what becomes of it: the strategy's measures
                # (app.measures.demo, later in the story) mail them when they take it in.
                follows.follow(self.participants[n], idea)
            with self.at(datetime(2019, 4, day + 1, 9, 30)):
                comments.approve(written[-1], user=self.moderator(idea.stand))
        n, day, text = REPLY
        parent = written[0]
        with self.at(datetime(2019, 4, day, 18, 45)):
            reply = comments.write_comment(self.participants[n], parent.idea, text, parent_id=parent.id)
            follows.follow(self.participants[n], parent.idea)
        with self.at(datetime(2019, 4, day + 1, 9, 30)):
            comments.approve(reply, user=self.moderator(parent.idea.stand))
