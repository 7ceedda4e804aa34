"""Factories of the events feature: an event open for applications with two criteria, the apply
form's POST body, criteria and applications written straight to the database."""
from __future__ import annotations

import pytest

from tests.factories import attached


# ------------------------------------------------------------ applications (views_apply etc.)


@pytest.fixture
def open_event(app, create_event):
    """``open_event(**fields)`` → an event (:func:`attached`) whose application window is open now, with two
    criteria (age band, district) of three and two options."""
    from datetime import timedelta

    from app.core.models import utcnow
    from app.events.models import Criterion, CriterionOption, Event
    from app.extensions import db

    def factory(criteria: bool = True, **kwargs):
        now = utcnow()
        fields = {
            "status": "open", "seats": 15, "title": "Zukunftswerkstatt Esslingen",
            "place": "Altes Rathaus, Bürgersaal",
            "starts_at": now + timedelta(days=30), "ends_at": now + timedelta(days=30, hours=4),
            "applications_open_at": now - timedelta(days=1),
            "applications_close_at": now + timedelta(days=14),
            "consent_text": "Ich bin einverstanden, dass meine Angaben für die Auslosung verarbeitet werden.",
            **kwargs,
        }
        event_id = create_event(**fields).id
        if criteria:
            with app.app_context():
                event = db.session.get(Event, event_id)
                age = Criterion(event=event, label="Altersgruppe", key="age", position=0)
                for i, (value, label) in enumerate([("16-29", "16–29"), ("30-59", "30–59"), ("60+", "60 und älter")]):
                    age.options.append(CriterionOption(value=value, label=label, position=i, min_seats=2, max_seats=8))
                district = Criterion(event=event, label="Stadtteil", key="district", position=1)
                for i, (value, label) in enumerate([("mitte", "Innenstadt"), ("rand", "Außenbezirk")]):
                    district.options.append(CriterionOption(value=value, label=label, position=i, min_seats=3))
                db.session.add_all([age, district])
                db.session.commit()
        return attached(app, Event, event_id)

    return factory


def criterion_options(app, event_id: int) -> dict[str, list[int]]:
    """criterion key → option ids (in position order) of an event."""
    import sqlalchemy as sa

    from app.events.models import Criterion
    from app.extensions import db

    with app.app_context():
        criteria = db.session.execute(
            sa.select(Criterion).where(Criterion.event_id == event_id).order_by(Criterion.position)
        ).scalars().all()
        return {c.key: [o.id for o in c.options] for c in criteria} | {
            f"_id_{c.key}": c.id for c in criteria}


@pytest.fixture
def application_form_data(app):
    """``application_form_data(event_id, **overrides)`` → a valid POST body for the apply form."""

    def factory(event_id: int, **overrides):
        options = criterion_options(app, event_id)
        data = {"name": "Ada Lovelace", "email": "ada@example.org", "consent": "y", "website": ""}
        for key, ids in options.items():
            if not key.startswith("_id_"):
                data[f"criterion_{options['_id_' + key]}"] = str(ids[0])
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return factory


@pytest.fixture
def event_options(app):
    """``event_options(event_id)`` → {criterion key: [option ids]} plus ``_id_<key>``: criterion id."""
    return lambda event_id: criterion_options(app, event_id)


# ------------------------------------------------------------ processes, events, criteria (services, views_manage)


@pytest.fixture
def create_criterion(app):
    """``create_criterion(event_id, key="age", options=[(value, min, max, share), ...])`` → the criterion
    (:func:`attached`).

    Written straight to the database (no service checks), for setting up tests.
    """
    from app.events.models import Criterion, CriterionOption
    from app.extensions import db

    def factory(event_id: int, key: str = "age", label: str | None = None, options=None):
        options = options or [("young", 0, None, None), ("old", 0, None, None)]
        with app.app_context():
            criterion = Criterion(event_id=event_id, key=key, label=label or key.title(), position=1)
            for position, (value, minimum, maximum, share) in enumerate(options, start=1):
                criterion.options.append(CriterionOption(
                    value=value, label=value.title(), min_seats=minimum, max_seats=maximum,
                    population_share=share, position=position))
            db.session.add(criterion)
            db.session.commit()
            criterion_id = criterion.id
        return attached(app, Criterion, criterion_id)

    return factory


@pytest.fixture
def add_application(app):
    """``add_application(event_id, email=..., status="unconfirmed")`` → the application (:func:`attached`),
    straight into the database."""
    import secrets

    from app.events.models import Application
    from app.extensions import db

    def factory(event_id: int, email: str | None = None, status: str = "unconfirmed"):
        with app.app_context():
            application = Application(event_id=event_id, name="Test Person",
                                      email=email or f"{secrets.token_hex(4)}@example.org",
                                      status=status, token_hash=secrets.token_hex(32))
            db.session.add(application)
            db.session.commit()
            application_id = application.id
        return attached(app, Application, application_id)

    return factory
