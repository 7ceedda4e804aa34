"""Demo data: the participation process "Esslingen 4.0" of 2019, told through the real services.

The story is replayed step by step with "now" frozen at each step (``core.models.frozen_now``)
and a fixed random seed, so it looks the same on every machine and every date:

* the citizens' workshop of 1 April 2019: applications online and by phone, confirmed by mail;
  the lottery of its 15 seats with its published commitment, the public number and the audit;
  seats confirmed (one declined, filled from the waiting list), tickets, check-in, ideas at the
  three market stands, dots from the participants' phones, results published on 5 April 2019;
  its online phases before and after (``app.participation.demo``): residents' ideas in March,
  one taken into the room and one merged into a room idea, supports and comments in April;
* the further workshops with business, the city initiative, the university and the youth council,
  with their ideas and paper dots, so that the stakeholder groups can be compared;
* the measures of the written strategy (``app.measures.demo``);
* an event open for applications from the day the demo is loaded, with criteria and quotas and a
  pool of applicants, so a newcomer can apply, confirm by mail (the dev outbox) and see the lottery
  preview; a citizens' council by invitation only, drawn from a generated register extract of
  20,000 residents with letters and answers (``app.invitations.demo``); and an event in preparation
  (draft) whose criteria staff can still edit.

``load_demo()`` is idempotent: it creates the data only when the process is not there yet.
The demo's invented people have addresses at example.org; their mails count as sent, so the
outbox holds only what a newcomer causes. The demo password is random per installation (one for
all demo logins, hashed once), kept in ``instance/demo-logins.txt`` (readable by the owner only)
and printed by ``flask demo load``.
"""
from __future__ import annotations

import random
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User, user_by_email
from app.core import ratelimit
from app.core.models import OutboxMail, frozen_now, utcnow
from app.events import application_services as applications
from app.events import services as events
from app.events.models import Application, ApplicationStatus, Event, Process
from app.extensions import db
from app.ideas import services as ideas
from app.ideas.demo import DEMO_IDEAS, FURTHER_IDEAS
from app.ideas.models import Idea, Stand
from app.invitations import demo as invitation_demo
from app.lottery.commitment import publish_commitment
from app.lottery.draw import perform_draw
from app.lottery.seats import entries_in_order, respond_to_seat
from app.measures.demo import ensure_demo_measures
from app.participation.demo import OnlineStory
from app.voting.board import set_board_count
from app.voting.checkin import check_in, tickets_for_badges
from app.voting.dots import cast_dot
from app.voting.state import close_voting, open_voting, update_settings

PROCESS_TITLE = "Esslingen 4.0"
BERLIN = ZoneInfo("Europe/Berlin")

PROCESS_DESCRIPTION = """\
Mit der Digitalisierungsstrategie **„Esslingen 4.0“** will die Stadtverwaltung die Effizienz
der Verwaltung und die Zufriedenheit ihrer Kundinnen und Kunden steigern. Nach einer internen
Projektphase beteiligt die Stadt Bürgerschaft, Wirtschaft und Wissenschaft an der
Strategieentwicklung. Die Ergebnisse der Veranstaltungen fließen direkt in die Strategie ein, die der
Gemeinderat öffentlich verabschiedet.
"""

CITIZEN_WORKSHOP_DESCRIPTION = """\
Alle Einwohnerinnen und Einwohner können sich für einen Platz bei dieser Veranstaltung bewerben;
**15 Plätze** werden per Los vergeben.

Nach einem Vortrag zum Stand der Strategieentwicklung bringen sich die Teilnehmenden an drei
Marktständen ein:

- Relaunch der Homepage
- Einrichtung eines Bürgerportals
- Digitale Verwaltungsleistungen

Die Moderatorinnen und Moderatoren der Stadtverwaltung halten die Ideen fest und tragen sie
anschließend im Plenum vor.
"""

STANDS = [
    ("Relaunch der Homepage", "Was soll die neue Homepage der Stadt können?", "homepage"),
    ("Bürgerportal", "Welche Anliegen wollen Sie online erledigen?", "buergerportal"),
    ("Digitale Verwaltungsleistungen", "Welche Leistungen sollen digital werden?", "verwaltung"),
]

#: The further workshops with other stakeholder groups (dates are illustrative): title, group, start, stand.
FURTHER_WORKSHOPS = [
    ("Workshop mit der Wirtschaft", "Unternehmen", datetime(2019, 3, 19, 17, 0),
     "Digitale Dienste für Unternehmen"),
    ("Workshop mit der City-Initiative", "City-Initiative", datetime(2019, 3, 26, 18, 0),
     "Digitale Innenstadt"),
    ("Workshop mit der Hochschule Esslingen", "Hochschule", datetime(2019, 4, 8, 14, 0),
     "Forschung und offene Daten"),
    ("Workshop mit dem Jugendgemeinderat", "Jugendgemeinderat", datetime(2019, 4, 10, 17, 30),
     "Digitale Stadt für junge Menschen"),
]

STAKEHOLDER_GROUPS = ["Bürgerinnen und Bürger", "Unternehmen", "City-Initiative", "Hochschule", "Jugendgemeinderat"]

CONSENT_TEXT = (
    "Ich willige ein, dass die Stadt Esslingen meinen Namen, meine E-Mail-Adresse und meine "
    "Angaben zur Auslosung verwendet. Die Daten werden 90 Tage nach der Veranstaltung gelöscht."
)

#: Quotas of the open event (12 seats) and of the draft event (12 seats).
OPEN_EVENT_CRITERIA = [
    ("alter", "Altersgruppe", [
        ("16-29", "16 bis 29 Jahre", 2, 4, 20), ("30-44", "30 bis 44 Jahre", 2, 4, 24),
        ("45-64", "45 bis 64 Jahre", 3, 5, 33), ("65-plus", "65 Jahre und älter", 2, 4, 23)]),
    ("geschlecht", "Geschlecht", [
        ("weiblich", "weiblich", 5, 7, 51), ("maennlich", "männlich", 5, 7, 49), ("divers", "divers", 0, 2, None)]),
]
DRAFT_EVENT_CRITERIA = [
    ("wohnform", "Wie wohnen Sie?", [
        ("allein", "allein", 3, 8, None), ("mit-anderen", "mit anderen zusammen", 3, 8, None)]),
    ("internet", "Wie oft nutzen Sie das Internet?", [
        ("taeglich", "täglich", 2, 6, None), ("manchmal", "manchmal", 2, 6, None), ("nie", "nie", 2, 6, None)]),
]


CITIZEN_WORKSHOP_TITLE = "Bürger-Workshop zur Digitalisierungsstrategie „Esslingen 4.0“"
OPEN_EVENT_TITLE = "Bürgerveranstaltung „Esslingen 4.0“: Was ist aus den Ideen geworden?"
DRAFT_EVENT_TITLE = "Bürgerveranstaltung „Esslingen 4.0“: das neue Bürgerportal ausprobieren"
PLACE = "Altes Rathaus, Bürgersaal, Rathausplatz 1, 73728 Esslingen am Neckar"
#: The fixed seed of every random choice of the story (answers, dots), so it is the same everywhere.
SEED = 2019
#: The number drawn in public (three ten-sided dice) for the 2019 lottery.
PUBLIC_NUMBER = 427
NUMBER_SOURCE = ("Vier zehnseitige Würfel, geworfen in der öffentlichen Sitzung des Verwaltungsausschusses "
                 "am 25. März 2019.")

#: Invented applicants (first names, family names) of the 2019 workshop and of the open event.
FIRST_NAMES = ["Lena", "Jonas", "Aylin", "Matthias", "Sabine", "Mehmet", "Hannah", "Peter", "Ursula", "Luca",
               "Fatma", "Klaus", "Sophie", "Dimitrios", "Brigitte", "Tim", "Marie", "Wolfgang", "Elif", "Jan",
               "Renate", "Noah", "Ingrid", "Anna", "Tobias", "Gisela", "Murat", "Julia", "Helmut", "Mia"]
FAMILY_NAMES = ["Schäfer", "Maier", "Yılmaz", "Bauer", "Wagner", "Kaya", "Fischer", "Hofmann", "Papadopoulos",
                "Schneider", "Weber", "Becker", "Koch", "Richter", "Wolf", "Braun", "Zimmermann", "Krüger",
                "Hartmann", "Lange", "Schmid", "Öztürk", "Keller", "Vogel", "Frank"]
#: How many residents applied online for the 2019 workshop, and how many of them never confirmed.
APPLICANTS_2019 = 36
UNCONFIRMED_2019 = 3
#: Residents who have applied for the open event by the time the demo is loaded.
APPLICANTS_OPEN = 20

#: Quotas of the citizens' workshop (15 seats): (key, label, [(value, label, min, max, population share)]).
#: The shares are illustrative figures in the style of the census for Esslingen am Neckar.
WORKSHOP_CRITERIA = [
    ("alter", "Altersgruppe", [
        ("16-29", "16 bis 29 Jahre", 2, 5, 0.20),
        ("30-44", "30 bis 44 Jahre", 3, 5, 0.24),
        ("45-64", "45 bis 64 Jahre", 4, 6, 0.33),
        ("65-plus", "65 Jahre und älter", 3, 5, 0.23),
    ]),
    ("geschlecht", "Geschlecht", [
        ("weiblich", "weiblich", 6, 9, 0.51),
        ("maennlich", "männlich", 6, 9, 0.49),
        ("divers", "divers", 0, 2, None),
    ]),
    ("stadtteil", "Stadtteil", [
        ("innenstadt", "Innenstadt", 1, 5, 0.18),
        ("oberesslingen", "Oberesslingen und Zollberg", 1, 5, 0.20),
        ("mettingen", "Mettingen, Brühl, Weil und Pliensauvorstadt", 1, 5, 0.22),
        ("berkheim", "Berkheim, Zell und Sirnau", 1, 5, 0.20),
        ("weitere", "Weitere Stadtteile", 1, 5, 0.20),
    ]),
]


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, list[str]]] = field(default_factory=list)


def _utc(local: datetime) -> datetime:
    """Local Esslingen time to naive UTC, as the database stores it."""
    return local.replace(tzinfo=BERLIN).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def demo_accounts() -> list[tuple[str, str, list[str]]]:
    accounts_ = [("admin@esslingen.example", "Anna Admin", ["admin"]),
                 ("rat@esslingen.example", "Rainer Rat", ["council"])]
    for i, (_, _, slug) in enumerate(STANDS, start=1):
        accounts_.append((f"moderation.{slug}@esslingen.example", f"Moderation {i}", ["moderator"]))
    return accounts_


def _logins_file() -> Path:
    return Path(current_app.instance_path) / "demo-logins.txt"


def _read_logins() -> dict[str, str]:
    path = _logins_file()
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {email: password for email, password in pairs}


def _write_logins(logins: dict[str, str]) -> None:
    path = _logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("".join(f"{e}\t{p}\n" for e, p in logins.items()))


def database_is_empty() -> bool:
    """True when there is neither a process nor a staff account yet."""
    return (db.session.execute(select(Process.id).limit(1)).first() is None
            and db.session.execute(select(User.id).limit(1)).first() is None)


def known_logins() -> list[tuple[str, str, list[str]]]:
    """The demo logins recorded in the instance folder, for accounts that still exist."""
    passwords = _read_logins()
    return [(email, passwords[email], roles) for email, _, roles in demo_accounts()
            if email in passwords and user_by_email(email) is not None]


def load_demo() -> DemoResult:
    """Create the demo staff and, unless the process exists already, its whole story."""
    existing = db.session.execute(select(Process).where(Process.title == PROCESS_TITLE)).scalar_one_or_none()
    passwords = _read_logins()
    users = {}
    # One random password per installation for the demo logins (they are printed together),
    # hashed once: Argon2 takes about a second a hash, five took 3.9 s of the load (issue 24).
    # Real accounts keep their own password and full-strength hash.
    shared = next(iter(passwords.values()), None) or secrets.token_urlsafe(12)
    hashes: dict[str, str] = {}
    for email, name, roles in demo_accounts():
        user = user_by_email(email)
        if user is None:
            password = passwords[email] = passwords.get(email) or shared
            if password not in hashes:
                hashes[password] = accounts.hash_password(password)
            user = accounts.create_user(email, name, password, roles, password_hash=hashes[password])
        users[email] = user
    if existing is None:
        # The invented people's contributions are no client's requests: no rate limit counts them.
        with ratelimit.exempt():
            Story(users).tell()
    db.session.commit()
    _write_logins(passwords)
    logins = [(email, passwords.get(email, "(unknown: set before)"), roles)
              for email, _, roles in demo_accounts()]
    return DemoResult(created=existing is None, logins=logins)


# ------------------------------------------------------------------ the story


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ı", "i")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _criteria(event: Event, criteria, percent: float = 1) -> None:
    for key, label, options in criteria:
        events.save_criterion(event, label, key, [
            events.OptionData(label=o_label, value=value, min_seats=minimum, max_seats=maximum,
                              population_percent=None if share is None else round(share * percent, 1))
            for value, o_label, minimum, maximum, share in options])


def _confirm_by_mail(application: Application) -> None:
    """Do what the applicant does: open the confirmation link of the newest mail and confirm."""
    body = db.session.execute(
        sa.select(OutboxMail.body_text).where(OutboxMail.recipient == application.email)
        .order_by(OutboxMail.id.desc()).limit(1)).scalar_one()
    token, signature = re.search(r"/applications/([^/\s]+)/confirm/([^/\s]+)", body).groups()
    applications.confirm_application(token, signature)


class Story:
    """The demo, step by step; each step at its own frozen moment (local Esslingen time)."""

    def __init__(self, users: dict[str, User]):
        self.users = users
        self.admin = users["admin@esslingen.example"]
        self.rng = random.Random(SEED)
        self.decks: dict[int, dict[int, list[int]]] = {}
        self.people = iter(self.rng.sample([(f, n) for f in FIRST_NAMES for n in FAMILY_NAMES],
                                           APPLICANTS_2019 + APPLICANTS_OPEN + 5))

    def at(self, local: datetime):
        return frozen_now(_utc(local))

    def tell(self) -> None:
        with self.at(datetime(2019, 2, 18, 9, 0)):
            self.process = events.create_process(PROCESS_TITLE, PROCESS_DESCRIPTION, "\n".join(STAKEHOLDER_GROUPS))
        for title, group, starts, stand in FURTHER_WORKSHOPS:
            self.further_workshop(title, group, starts, stand)
        self.citizens_workshop()
        ensure_demo_measures(self.process)
        self.open_event()
        self.citizens_council()
        self.draft_event()
        # The invented people's mails (addresses at example.org) count as sent: the outbox
        # holds only what a newcomer causes.
        db.session.execute(sa.update(OutboxMail).where(OutboxMail.sent_at.is_(None))
                           .values(sent_at=OutboxMail.created_at))
        db.session.flush()

    # -------------------------------------------------------------- helpers

    def answers(self, event: Event) -> dict[int, int]:
        """Answers dealt from a shuffled deck per criterion in which each option appears as often
        as its population share says (once where none is given): the pools are varied, and always
        allow a panel that keeps the quotas."""
        decks = self.decks.setdefault(event.id, {})
        size = APPLICANTS_OPEN if event.title == OPEN_EVENT_TITLE else APPLICANTS_2019 + 2
        answers = {}
        for criterion in event.criteria:
            deck = decks.get(criterion.id)
            if not deck:
                deck = [o.id for o in criterion.options
                        for _ in range(max(1, round(size * (o.population_share or 0))))]
                self.rng.shuffle(deck)
                decks[criterion.id] = deck
            answers[criterion.id] = deck.pop()
        return answers

    def apply(self, event: Event, *, confirm: bool = True) -> Application:
        first, family = next(self.people)
        application = applications.submit_application(event, applications.ApplicationData(
            name=f"{first} {family}", email=f"{_ascii(first)}.{_ascii(family)}@example.org",
            answers=self.answers(event), consent=True, language="de",
            notify_measures=self.rng.random() < 0.5))
        if confirm:
            _confirm_by_mail(application)
        return application

    def record_ideas(self, stand: Stand, texts, moderator: User | None) -> list[Idea]:
        recorded = []
        for n, (text, said_by) in enumerate(texts):
            idea, _ = ideas.record_idea(stand, text, said_by=said_by, user=moderator,
                                        client_id=f"00000000-0000-4000-8000-{stand.id:06d}{n:06d}")
            recorded.append(idea)
        return recorded

    # -------------------------------------------------------------- events

    def further_workshop(self, title: str, group: str, starts: datetime, stand_title: str) -> None:
        with self.at(starts - timedelta(days=14)):
            event = events.create_event(self.process, events.EventData(
                title=title, place="Altes Rathaus, Esslingen", starts_at=_utc(starts),
                ends_at=_utc(starts + timedelta(hours=3)), seats=0, stakeholder_group=group,
                consent_text=CONSENT_TEXT))
            moderator = self.users[f"moderation.{STANDS[len(stand_title) % len(STANDS)][2]}@esslingen.example"]
            stand = ideas.save_stand(event, None, title=stand_title, position=1, moderator_ids=[moderator.id])
        with self.at(starts + timedelta(hours=1)):
            recorded = self.record_ideas(stand, FURTHER_IDEAS[group], moderator)
        with self.at(starts + timedelta(hours=2, minutes=45)):
            for idea in recorded:  # the paper dots counted on the pin board
                set_board_count(idea, self.rng.randint(1, 9), user=moderator)
        with self.at(starts + timedelta(days=1)):
            events.change_status(event, "mark_held")
        with self.at(datetime(2019, 4, 15, 10, 0)):
            events.change_status(event, "publish")

    def citizens_workshop(self) -> None:
        with self.at(datetime(2019, 2, 25, 10, 0)):
            event = events.create_event(self.process, events.EventData(
                title=CITIZEN_WORKSHOP_TITLE, description=CITIZEN_WORKSHOP_DESCRIPTION, place=PLACE,
                starts_at=_utc(datetime(2019, 4, 1, 18, 0)), ends_at=_utc(datetime(2019, 4, 1, 21, 0)), seats=15,
                applications_open_at=_utc(datetime(2019, 3, 1, 8, 0)),
                applications_close_at=_utc(datetime(2019, 3, 22, 23, 59)),
                stakeholder_group="Bürgerinnen und Bürger", consent_text=CONSENT_TEXT, retention_days=90))
            _criteria(event, WORKSHOP_CRITERIA, percent=100)
            stands = [ideas.save_stand(event, None, title=title, description=description, position=position,
                                       moderator_ids=[self.users[f"moderation.{slug}@esslingen.example"].id])
                      for position, (title, description, slug) in enumerate(STANDS, start=1)]
        online = OnlineStory(event, stands, self.at, _utc)
        online.settings(self.admin)
        with self.at(datetime(2019, 3, 1, 8, 0)):
            events.change_status(event, "open")

        # Three weeks of applications, one every ten hours or so; a few never confirm their email.
        moment = datetime(2019, 3, 1, 9, 30)
        for n in range(APPLICANTS_2019):
            with self.at(moment):
                application = self.apply(event, confirm=n % (APPLICANTS_2019 // UNCONFIRMED_2019) != 7)
            if n == 11:
                with self.at(moment + timedelta(days=2)):
                    applications.withdraw(application)
            moment += timedelta(hours=10, minutes=self.rng.randint(0, 50))
        online.before_workshop()  # March: residents' ideas to the stands' themes
        with self.at(datetime(2019, 3, 12, 11, 0)):  # by phone, one of them without an email address
            for with_email in (False, True):
                first, family = next(self.people)
                applications.add_by_staff(event, applications.ApplicationData(
                    name=f"{first} {family}", email=f"{_ascii(first)}.{_ascii(family)}@example.org" if with_email else "",
                    answers=self.answers(event), consent=True), self.admin, "phone")
        with self.at(datetime(2019, 3, 23, 8, 0)):
            events.change_status(event, "close")
        with self.at(datetime(2019, 3, 23, 10, 0)):
            draw = publish_commitment(event, self.admin, "public", NUMBER_SOURCE)
        with self.at(datetime(2019, 3, 25, 17, 30)):
            perform_draw(draw, self.admin, PUBLIC_NUMBER, _utc(datetime(2019, 3, 29, 12, 0)))

        # The selected confirm their seats; one declines and the first suitable person waiting gets the seat.
        declined = False
        for day in (26, 27, 28):
            with self.at(datetime(2019, 3, day, 19, 0)):
                for entry in entries_in_order(draw):
                    if entry.application is None or entry.application.status != ApplicationStatus.SELECTED.value:
                        continue
                    accept = declined or entry.application.email is None  # staff answered for the phone
                    respond_to_seat(entry, accept=accept)
                    declined = declined or not accept

        # The evening of 1 April 2019: check-in, the three market stands, dots from the phones.
        with self.at(datetime(2019, 4, 1, 17, 0)):
            update_settings(event, dots_per_ticket=5, max_per_idea=2, scope="event",
                            walk_ins_allowed=False, user=self.admin)
        tickets = sorted(tickets_for_badges(event), key=lambda t: t.id)
        for n, ticket in enumerate(tickets[:-1]):  # one participant fell ill
            with self.at(datetime(2019, 4, 1, 17, 35 + n)):
                check_in(event, ticket.code, user=self.admin)
        recorded = []
        for stand in stands:
            with self.at(datetime(2019, 4, 1, 18, 40 + 5 * stand.position)):
                recorded += self.record_ideas(stand, DEMO_IDEAS[stand.position], stand.moderators[0])
        taken_online = online.at_the_workshop(recorded)
        with self.at(datetime(2019, 4, 1, 20, 0)):
            duplicate = next(i for i in recorded if i.text.startswith("Online-Terminbuchung"))
            original = next(i for i in recorded if i.text.startswith("Termine beim Bürgeramt"))
            ideas.merge_ideas(original, [duplicate], user=stands[1].moderators[0])
            ideas.wall_link(event)
        with self.at(datetime(2019, 4, 1, 20, 15)):
            open_voting(event, user=self.admin)
        votable = [i for i in recorded + taken_online if i.is_visible]
        for n, ticket in enumerate(tickets[:-1]):
            with self.at(datetime(2019, 4, 1, 20, 16, n * 3)):
                given: dict[int, int] = {}
                while sum(given.values()) < 5:
                    idea = self.rng.choice(votable)
                    if given.get(idea.id, 0) < 2:
                        cast_dot(ticket, idea.id)
                        given[idea.id] = given.get(idea.id, 0) + 1
        with self.at(datetime(2019, 4, 1, 20, 40)):
            close_voting(event, user=self.admin)
        with self.at(datetime(2019, 4, 2, 9, 0)):
            events.change_status(event, "mark_held")
        with self.at(datetime(2019, 4, 5, 10, 0)):  # the day of the press release
            events.change_status(event, "publish")
        online.after_workshop()  # April: residents read, support and comment

    def open_event(self) -> None:
        """Open for applications from today: the window runs three weeks, the workshop follows a week later."""
        today = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(BERLIN).date()
        event = events.create_event(self.process, events.EventData(
            title=OPEN_EVENT_TITLE, place=PLACE,
            description=("Fünf Jahre nach dem Bürger-Workshop von 2019: Was ist aus Ihren Ideen geworden, und was "
                         "fehlt noch? **12 Plätze** werden per Los vergeben."),
            starts_at=_utc(datetime.combine(today + timedelta(days=28), time(18, 0))),
            ends_at=_utc(datetime.combine(today + timedelta(days=28), time(21, 0))), seats=12,
            applications_open_at=_utc(datetime.combine(today, time(0, 0))),
            applications_close_at=_utc(datetime.combine(today + timedelta(days=21), time(23, 59))),
            stakeholder_group="Bürgerinnen und Bürger", consent_text=CONSENT_TEXT, retention_days=90))
        _criteria(event, OPEN_EVENT_CRITERIA)
        events.change_status(event, "open")
        for n in range(APPLICANTS_OPEN):
            self.apply(event, confirm=n % 9 != 4)

    def citizens_council(self) -> None:
        """The invitation-only council drawn from a generated register of 20,000 residents (issue 17)."""
        today = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(BERLIN).date()
        invitation_demo.citizens_council(self.process, today, self.admin, CONSENT_TEXT)

    def draft_event(self) -> None:
        today = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(BERLIN).date()
        starts = datetime.combine(today + timedelta(days=70), time(15, 0))
        event = events.create_event(self.process, events.EventData(
            title=DRAFT_EVENT_TITLE, place="Stadtbücherei Esslingen, Heugasse 9, 73728 Esslingen am Neckar",
            description="In Vorbereitung: Termin, Fragen und Quoten sind noch nicht endgültig.",
            starts_at=_utc(starts), ends_at=_utc(starts + timedelta(hours=2, minutes=30)), seats=12,
            applications_open_at=_utc(datetime.combine(today + timedelta(days=21), time(8, 0))),
            applications_close_at=_utc(datetime.combine(today + timedelta(days=49), time(23, 59))),
            stakeholder_group="Bürgerinnen und Bürger", consent_text=CONSENT_TEXT, retention_days=90))
        _criteria(event, DRAFT_EVENT_CRITERIA)
