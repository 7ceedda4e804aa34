"""Factories of the lottery: a closed event with applicants (``lottery_event``), a logged-in admin
(``admin``); plain helpers for its HTTP tests: the admin's deadline input, a form POST that runs the
outbox delivery after it, committing and drawing a lottery through the staff pages, the lottery page,
the Sortition Foundation files form, ``flask lottery verify`` through click's runner; a drawn event
whose first seated applicant confirmed and holds a ticket, voting open (``seated``)."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask

from app.events.models import Application, Event
from app.extensions import db as _db
from app.ideas.models import Idea
from app.voting.models import Ticket
from tests.factories import Rows

#: The admin's datetime-local input format (Berlin time).
BERLIN_FORMAT = "%Y-%m-%dT%H:%M"


def deadline_text(days: int = 7) -> str:
    """A deadline ``days`` ahead, as the admin's datetime-local input (Berlin time)."""
    return (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=days)).strftime(BERLIN_FORMAT)


def post(client, url, data=None):
    """POST a form and close the response, which runs the outbox delivery after it (as a server does)."""
    response = client.submit(url, data or {})
    response.close()
    return response


def commit(admin, event_id, kind="public", description="Drei Zehnerwürfel in der Ratssitzung"):
    """Publish the lottery's commitment through the staff page."""
    return post(admin, f"/manage/events/{event_id}/lottery/commit",
                {"number_source": kind, "description": description})


def draw(admin, event_id, number="17", deadline=None):
    """Draw the lottery through the staff page (``number`` None: the server draws)."""
    data = {"deadline": deadline or deadline_text()}
    if number is not None:
        data["number"] = number
    return post(admin, f"/manage/events/{event_id}/lottery/draw", data)


def statuses(app, ids) -> dict[int, str]:
    """``{application id: status}`` of the applications ``ids``."""
    with app.app_context():
        rows = _db.session.execute(sa.select(Application.id, Application.status)
                                   .where(Application.id.in_(ids))).all()
        return {i: s for i, s in rows}


def lottery_page(admin, event_id) -> str:
    """The lottery page after its preview form was sent (as jobs.js does on loading it)."""
    post(admin, f"/manage/events/{event_id}/lottery/preview")
    return admin.get(f"/manage/events/{event_id}/lottery").get_data(as_text=True)


def table_counts(app) -> tuple[int, int, int]:
    """How many draws, entries and replacements the database holds."""
    from app.lottery.models import LotteryDraw, LotteryEntry, LotteryReplacement

    with app.app_context():
        return tuple(_db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
                     for m in (LotteryDraw, LotteryEntry, LotteryReplacement))


def run_verify(path):
    """``flask lottery verify PATH`` through click's runner."""
    from app.lottery.cli import lottery_cli

    return CliRunner().invoke(lottery_cli, ["verify", str(path)], obj=None)


def upload(admin, event_id, action, **files):
    """POST Sortition Foundation files (``name=content``) to the lottery's files form."""
    data = {"action": action}
    for name, content in files.items():
        data[name] = (io.BytesIO(content.encode() if isinstance(content, str) else content), f"{name}.csv")
    return admin.post(f"/manage/events/{event_id}/lottery/files", data={**data, "csrf_token": admin.csrf_token()},
                      content_type="multipart/form-data")


@dataclass
class LotteryEvent:
    """``lottery_event``'s event: its ids, tokens and emails, and its rows as attached objects
    (``event``, ``applications``: read in the reader's app context, see :func:`tests.factories.attached`)."""
    app: Flask
    event_id: int
    #: application ids in the order of ``people``
    application_ids: list[int]
    #: raw manage tokens, same order
    tokens: list[str]
    emails: list[str] = field(default_factory=list)

    event = Rows(Event, "event_id")
    applications = Rows(Application, "application_ids")


@pytest.fixture
def lottery_event(app, create_event):
    """``lottery_event(seats=3, criteria={"gender": {"f": (1, 2), "m": (1, 2)}}, people=[{"gender": "f"}, ...])``
    → a closed event whose applications (status ``applied``, with email) take part in the lottery."""
    from app.core.models import utcnow
    from app.events.application_services import hash_token
    from app.events.models import ApplicationAnswer, Criterion, CriterionOption

    def factory(seats=3, criteria=None, people=None, count=None, status="closed", language="de",
                **fields) -> LotteryEvent:
        criteria = criteria or {}
        people = people if people is not None else [{} for _ in range(count if count is not None else 6)]
        now = utcnow()
        event_id = create_event(
            seats=seats, status=status, title="Bürgerwerkstatt", starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=30, hours=3), applications_open_at=now - timedelta(days=20),
            applications_close_at=now - timedelta(days=1), **fields).id
        ids, tokens, emails = [], [], []
        with app.app_context():
            event = _db.session.get(Event, event_id)
            options = {}
            for position, (key, values) in enumerate(criteria.items()):
                criterion = Criterion(event=event, label=key.title(), key=key, position=position)
                for index, (value, (low, high)) in enumerate(values.items()):
                    option = CriterionOption(value=value, label=value.upper(), min_seats=low,
                                             max_seats=high, position=index)
                    criterion.options.append(option)
                    options[(key, value)] = option
                _db.session.add(criterion)
            _db.session.flush()
            for n, answers in enumerate(people):
                token = f"lottery-test-token-{event_id}-{n}-abcdefghijklmnopqrstuvwxyz"
                email = f"person{n}.event{event_id}@example.org"
                application = Application(event_id=event_id, name=f"Person {n}", email=email,
                                          status=answers.get("_status", "applied"), language=language,
                                          token_hash=hash_token(token), source="online", consent_at=now,
                                          confirmed_at=now)
                for key, value in answers.items():
                    if key.startswith("_"):
                        continue
                    option = options[(key, value)]
                    application.answers.append(ApplicationAnswer(criterion_id=option.criterion_id,
                                                                 option_id=option.id))
                _db.session.add(application)
                _db.session.flush()
                ids.append(application.id)
                tokens.append(token)
                emails.append(email)
            _db.session.commit()
        return LotteryEvent(app, event_id, ids, tokens, emails)

    return factory


@pytest.fixture
def admin(staff_client):
    """A client logged in as an admin (a module's own ``admin`` fixture overrides this one)."""
    return staff_client("admin")


@dataclass
class Seated:
    """``make_seated``'s world: its ids, the voter's ticket code and the applicants' tokens
    (``{application id: token}``), and its rows as attached objects (``event``, ``voter``,
    ``ticket``, ``ideas``, ``waiting``)."""
    app: Flask
    event_id: int
    voter_id: int
    code: str
    ticket_id: int
    idea_ids: list[int]
    #: the waiting list's application ids, by rank
    waiting_ids: list[int]
    tokens: dict[int, str]

    event = Rows(Event, "event_id")
    #: the seated applicant who confirmed (an Application)
    voter = Rows(Application, "voter_id")
    ticket = Rows(Ticket, "ticket_id")
    ideas = Rows(Idea, "idea_ids")
    #: the waiting list's applications, by rank
    waiting = Rows(Application, "waiting_ids")


def make_seated(app, admin, lottery_event, *, seats: int = 2, people: int = 4, dots: int = 5) -> Seated:
    """A drawn event with open voting: the first seated applicant confirmed (with a ticket), three ideas."""
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from app.lottery.models import LotteryDraw, LotteryEntry
    from app.lottery.seats import respond_to_seat
    from app.voting.state import open_voting, update_settings
    from app.voting.tickets import ticket_of

    ev = lottery_event(seats=seats, people=[{} for _ in range(people)])
    assert commit(admin, ev.event_id).status_code == 303
    assert draw(admin, ev.event_id).status_code == 303
    with app.test_request_context():
        event = ev.event
        entries = _db.session.execute(
            sa.select(LotteryEntry).join(LotteryDraw).where(LotteryDraw.event_id == event.id)
            .order_by(LotteryEntry.id)).scalars().all()
        voter = next(e for e in entries if e.holds_seat)
        waiting = sorted((e for e in entries if e.rank is not None), key=lambda e: e.rank)
        assert respond_to_seat(voter, True) == "confirmed"
        ticket = ticket_of(voter.application)
        update_settings(event, dots_per_ticket=dots, max_per_idea=None, scope="event", walk_ins_allowed=True)
        stand = Stand(event_id=event.id, title="Mobilität")
        _db.session.add(stand)
        _db.session.flush()
        idea_ids = [ideas.record_idea(stand, f"Idee {n}")[0].id for n in range(3)]
        open_voting(event)
        _db.session.commit()
        return Seated(app, event_id=event.id, voter_id=voter.application_id, code=ticket.code,
                      ticket_id=ticket.id, idea_ids=idea_ids, waiting_ids=[e.application_id for e in waiting],
                      tokens=dict(zip(ev.application_ids, ev.tokens)))


@pytest.fixture
def seated(app, admin, lottery_event) -> Callable:
    """``seated(seats=2, people=4, dots=5)`` → ``make_seated``'s world (committed)."""
    return lambda **kwargs: make_seated(app, admin, lottery_event, **kwargs)
