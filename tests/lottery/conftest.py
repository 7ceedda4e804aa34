"""Fixtures of the lottery integration: closed events with applicants, and helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest


@dataclass
class LotteryEvent:
    event_id: int
    #: application ids in the order of ``people``
    application_ids: list[int]
    #: raw manage tokens, same order
    tokens: list[str]
    emails: list[str] = field(default_factory=list)


@pytest.fixture
def lottery_event(app, create_event):
    """``lottery_event(seats=3, criteria={"gender": {"f": (1, 2), "m": (1, 2)}}, people=[{"gender": "f"}, ...])``
    → a closed event whose applications (status ``applied``, with email) take part in the lottery."""
    from app.core.models import utcnow
    from app.events.application_services import hash_token
    from app.events.models import Application, ApplicationAnswer, Criterion, CriterionOption, Event
    from app.extensions import db

    def factory(seats=3, criteria=None, people=None, count=None, status="closed", language="de",
                **fields) -> LotteryEvent:
        criteria = criteria or {}
        people = people if people is not None else [{} for _ in range(count if count is not None else 6)]
        now = utcnow()
        event_id = create_event(
            seats=seats, status=status, title="Bürgerwerkstatt", starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=30, hours=3), applications_open_at=now - timedelta(days=20),
            applications_close_at=now - timedelta(days=1), **fields)
        ids, tokens, emails = [], [], []
        with app.app_context():
            event = db.session.get(Event, event_id)
            options = {}
            for position, (key, values) in enumerate(criteria.items()):
                criterion = Criterion(event=event, label=key.title(), key=key, position=position)
                for index, (value, (low, high)) in enumerate(values.items()):
                    option = CriterionOption(value=value, label=value.upper(), min_seats=low,
                                             max_seats=high, position=index)
                    criterion.options.append(option)
                    options[(key, value)] = option
                db.session.add(criterion)
            db.session.flush()
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
                db.session.add(application)
                db.session.flush()
                ids.append(application.id)
                tokens.append(token)
                emails.append(email)
            db.session.commit()
        return LotteryEvent(event_id, ids, tokens, emails)

    return factory


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


