"""Fixtures of the security suite: the world, one client per persona, a fresh app context. The walks
(routes, who may open what, forms, snapshots) are in tests/security/walks.py."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from app.extensions import db
from tests.security.world import PERSONAS, World, build_world


@pytest.fixture
def app_config() -> dict:
    """Mail stays in the outbox (its delivery would change rows in the background)."""
    return {"MAIL_SEND_AFTER_REQUEST": False, "MAIL_RETRY_INTERVAL": -1}


@pytest.fixture
def world(app, create_user) -> World:
    return build_world(app, create_user)


@pytest.fixture
def persona(app, world, login) -> Callable:
    """``persona("moderator_a")`` → a fresh client acting as that persona.

    - ``resident``: an applicant (A) who opened the private link from the mail;
    - ``participant``: applicant A's ticket entered on the voting page (kept in the session);
    - staff personas: logged in.
    """
    emails = {"moderator_x": world.other_moderator_email, "moderator_a": world.a.moderator_email, "moderator_b": world.b.moderator_email,
              "council": world.council_email, "admin": world.admin_email}

    def factory(name: str):
        assert name in PERSONAS, name
        client = app.test_client()
        client.persona = name
        if name in emails:
            login(client, emails[name])
        elif name == "resident":
            client.opened = client.get(f"/applications/{world.a.token}").status_code
        elif name == "participant":
            client.opened = client.get(f"/events/{world.event_id}/vote/t/{world.a.code}").status_code
        # No assertion here: a walk may have erased applicant A on purpose (the erase form);
        # later requests then run as someone whose link no longer works. test_personas
        # checks the fresh world.
        return client

    return factory


@pytest.fixture
def in_app(app) -> Iterator[Callable]:
    """``in_app(fn)`` → ``fn()`` run in a fresh app context (reads the committed state)."""
    def run(fn):
        with app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    yield run
