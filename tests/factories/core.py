"""Factories of the core: staff users and their logged-in clients, processes, events, the demo."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from tests.factories import attached
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
    from app.events.models import Process

    def factory(**kwargs):
        with app.app_context():
            process = Process(**{"title": "Testprozess", **kwargs})
            _db.session.add(process)
            _db.session.commit()
            return process.id

    return factory


@pytest.fixture
def create_event(app, create_process) -> Callable:
    """``create_event(**fields)`` → the id of a committed event (a process is made if needed)."""
    from app.events.models import Event

    def factory(**kwargs):
        if "process_id" not in kwargs:
            kwargs["process_id"] = create_process()
        with app.app_context():
            event = Event(**{"title": "Bürger-Workshop", "seats": 15, **kwargs})
            _db.session.add(event)
            _db.session.commit()
            return event.id

    return factory


@pytest.fixture
def demo(app) -> dict:
    """The Esslingen demo data loaded; returns ids of its main objects."""
    from app.demo import load_demo
    from app.events.models import Event, Process
    from app.ideas.models import Stand

    with app.app_context():
        load_demo()
        process = _db.session.execute(sa.select(Process)).scalars().first()
        event = _db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
        stand = _db.session.execute(sa.select(Stand).order_by(Stand.position)).scalars().first()
        return {"process_id": process.id, "event_id": event.id, "stand_id": stand.id}
