"""Demo data: the participation process "Esslingen 4.0" of 2019.

``load_demo()`` is idempotent: it creates the data only when the process is not
there yet. Demo passwords are random per installation, kept in
``instance/demo-logins.txt`` (readable by the owner only) and printed by
``flask demo load``.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import user_by_email
from app.events.models import Criterion, CriterionOption, Event, EventStatus, Process
from app.extensions import db
from app.ideas.demo import ensure_demo_ideas
from app.voting.demo import ensure_demo_board_counts
from app.ideas.models import Stand
from app.measures.demo import ensure_demo_measures

PROCESS_TITLE = "Esslingen 4.0"
BERLIN = ZoneInfo("Europe/Berlin")

PROCESS_DESCRIPTION = """\
Mit der Digitalisierungsstrategie **„Esslingen 4.0“** will die Stadtverwaltung die Effizienz
der Verwaltung und die Zufriedenheit ihrer Kundinnen und Kunden steigern. Nach einer internen
Projektphase beteiligt die Stadt Bürgerschaft, Wirtschaft und Wissenschaft an der
Strategieentwicklung. Die Ergebnisse der Workshops fließen direkt in die Strategie ein, die der
Gemeinderat öffentlich verabschiedet.
"""

CITIZEN_WORKSHOP_DESCRIPTION = """\
Alle Einwohnerinnen und Einwohner können sich für einen Platz im Bürger-Workshop bewerben;
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

#: The further workshops with other stakeholder groups (dates are illustrative).
FURTHER_WORKSHOPS = [
    ("Workshop mit der Wirtschaft", "Unternehmen", datetime(2019, 3, 19, 17, 0)),
    ("Workshop mit der City-Initiative", "City-Initiative", datetime(2019, 3, 26, 18, 0)),
    ("Workshop mit der Hochschule Esslingen", "Hochschule", datetime(2019, 4, 8, 14, 0)),
    ("Workshop mit dem Jugendgemeinderat", "Jugendgemeinderat", datetime(2019, 4, 10, 17, 30)),
]

STAKEHOLDER_GROUPS = ["Bürgerinnen und Bürger", "Unternehmen", "City-Initiative", "Hochschule", "Jugendgemeinderat"]

CONSENT_TEXT = (
    "Ich willige ein, dass die Stadt Esslingen meinen Namen, meine E-Mail-Adresse und meine "
    "Angaben zur Auslosung verwendet. Die Daten werden 90 Tage nach dem Workshop gelöscht."
)


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
    from app.accounts.models import User

    return (db.session.execute(select(Process.id).limit(1)).first() is None
            and db.session.execute(select(User.id).limit(1)).first() is None)


def known_logins() -> list[tuple[str, str, list[str]]]:
    """The demo logins recorded in the instance folder, for accounts that still exist."""
    passwords = _read_logins()
    return [(email, passwords[email], roles) for email, _, roles in demo_accounts()
            if email in passwords and user_by_email(email) is not None]


def _ensure_workshop_criteria(process: Process) -> None:
    """Give the citizens' workshop its lottery quotas, unless it has criteria already."""
    workshop = next((e for e in process.events if e.seats == 15), None)
    if workshop is None or workshop.criteria:
        return
    for position, (key, label, options) in enumerate(WORKSHOP_CRITERIA, start=1):
        criterion = Criterion(event=workshop, key=key, label=label, position=position)
        for opt_position, (value, opt_label, minimum, maximum, share) in enumerate(options, start=1):
            criterion.options.append(CriterionOption(
                value=value, label=opt_label, min_seats=minimum, max_seats=maximum,
                population_share=share, position=opt_position))
        db.session.add(criterion)


def load_demo() -> DemoResult:
    """Create the demo process, events, stands and staff if they are missing."""
    existing = db.session.execute(select(Process).where(Process.title == PROCESS_TITLE)).scalar_one_or_none()
    passwords = _read_logins()
    created = existing is None

    users = {}
    for email, name, roles in demo_accounts():
        user = user_by_email(email)
        if user is None:
            passwords[email] = passwords.get(email) or secrets.token_urlsafe(12)
            user = accounts.create_user(email, name, passwords[email], roles)
        users[email] = user

    if created:
        process = Process(title=PROCESS_TITLE, description=PROCESS_DESCRIPTION,
                          stakeholder_groups="\n".join(STAKEHOLDER_GROUPS))
        db.session.add(process)
        workshop = Event(
            process=process,
            title="Bürger-Workshop zur Digitalisierungsstrategie „Esslingen 4.0“",
            description=CITIZEN_WORKSHOP_DESCRIPTION,
            place="Altes Rathaus, Bürgersaal, Rathausplatz 1, 73728 Esslingen am Neckar",
            starts_at=_utc(datetime(2019, 4, 1, 18, 0)),
            ends_at=_utc(datetime(2019, 4, 1, 21, 0)),
            seats=15,
            applications_open_at=_utc(datetime(2019, 3, 1, 8, 0)),
            applications_close_at=_utc(datetime(2019, 3, 22, 23, 59)),
            stakeholder_group="Bürgerinnen und Bürger",
            consent_text=CONSENT_TEXT,
            retention_days=90,
            status=EventStatus.HELD.value,
        )
        db.session.add(workshop)
        for position, (title, description, slug) in enumerate(STANDS, start=1):
            stand = Stand(event=workshop, title=title, description=description, position=position)
            stand.moderators.append(users[f"moderation.{slug}@esslingen.example"])
            db.session.add(stand)
        for title, group, starts in FURTHER_WORKSHOPS:
            db.session.add(Event(
                process=process, title=title, description="", place="Altes Rathaus, Esslingen",
                starts_at=_utc(starts), ends_at=_utc(starts.replace(hour=starts.hour + 3)),
                seats=0, stakeholder_group=group, consent_text=CONSENT_TEXT,
                status=EventStatus.HELD.value,
            ))
    _ensure_workshop_criteria(process if created else existing)
    ensure_demo_ideas(process if created else existing)
    ensure_demo_board_counts(process if created else existing)
    ensure_demo_measures(process if created else existing)
    db.session.commit()
    _write_logins(passwords)
    logins = [(email, passwords.get(email, "(unknown: set before)"), roles)
              for email, _, roles in demo_accounts()]
    return DemoResult(created=created, logins=logins)
