"""Factories of the core: staff users and their logged-in clients, processes, events, the demo."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from app.events.models import Event, Process
from app.extensions import db as _db
from app.ideas.models import Stand
from tests.factories import Rows, attached
from tests.support.clients import DEFAULT_PASSWORD, IsolatedClient


@pytest.fixture
def create_user(app) -> Callable:
    """``create_user(roles=("admin",), email=..., password=..., name=...)`` → committed User."""
    from app.accounts import services

    counter = iter(range(1, 10_000))

    def factory(roles=("admin",), email: str | None = None, password: str = DEFAULT_PASSWORD,
                name: str | None = None, active: bool = True):
        n = next(counter)
        with app.app_context():
            user = services.create_user(email or f"staff{n}@example.org", name or f"Staff {n}",
                                        password, roles)
            user.active = active
            _db.session.commit()
            user_id = user.id
        return _reload(app, user_id)

    return factory


def _reload(app, user_id):
    from app.accounts.models import User

    return attached(app, User, user_id)


@pytest.fixture
def login() -> Callable:
    """``login(client, user_or_email, password=DEFAULT_PASSWORD)`` → the response."""

    def do_login(client: IsolatedClient, user, password: str = DEFAULT_PASSWORD):
        email = user if isinstance(user, str) else user.email
        response = client.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture
def staff_client(app, create_user, login) -> Callable:
    """``staff_client("admin", "council")`` → a logged-in client with those roles."""

    def factory(*roles: str):
        user = create_user(roles=roles or ("admin",))
        client = app.test_client()
        login(client, user)
        client.user = user
        return client

    return factory


@pytest.fixture
def create_process(app) -> Callable:
    """``create_process(**fields)`` → the committed Process (:func:`attached`)."""
    def factory(**kwargs):
        with app.app_context():
            process = Process(**{"title": "Testprozess", **kwargs})
            _db.session.add(process)
            _db.session.commit()
            process_id = process.id
        return attached(app, Process, process_id)

    return factory


@pytest.fixture
def create_event(app, create_process) -> Callable:
    """``create_event(**fields)`` → the committed Event (:func:`attached`; a process is made if needed)."""
    def factory(**kwargs):
        if "process_id" not in kwargs:
            kwargs["process_id"] = create_process().id
        with app.app_context():
            event = Event(**{"title": "Bürger-Workshop", "seats": 15, **kwargs})
            _db.session.add(event)
            _db.session.commit()
            event_id = event.id
        return attached(app, Event, event_id)

    return factory


@dataclass
class Demo:
    """The demo's main rows: ids, and the rows themselves (:class:`Rows`)."""
    app: Flask
    process_id: int
    event_id: int
    stand_id: int
    process = Rows(Process, "process_id")
    event = Rows(Event, "event_id")
    stand = Rows(Stand, "stand_id")


@pytest.fixture
def demo(app) -> Demo:
    """The Esslingen demo data loaded: its process, its 15-seat event and that event's first stand."""
    from app.demo import load_demo

    with app.app_context():
        load_demo()
        process = _db.session.execute(sa.select(Process)).scalars().first()
        event = _db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
        stand = _db.session.execute(sa.select(Stand).order_by(Stand.position)).scalars().first()
        return Demo(app, process.id, event.id, stand.id)
