"""Fixtures of the API tests: the seeded world (see ``tests/api/world.py``)."""
from __future__ import annotations

import pytest


@pytest.fixture
def world(app, smtp):
    """The world of ``tests/api/world.py``, committed; returns its ids."""
    from tests.api.world import build_world

    with app.test_request_context():
        return build_world()
