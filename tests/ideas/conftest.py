"""Factories for the ideas tests: wall links, XSS samples (stands and recorded ideas:
tests/factories/ideas.py)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.extensions import db as _db


@pytest.fixture
def wall_token(app) -> Callable:
    from app.events.models import Event
    from app.ideas import services

    def factory(event_id: int) -> str:
        with app.app_context():
            link = services.wall_link(_db.session.get(Event, event_id))
            _db.session.commit()
            return link.token

    return factory


