"""``ratelimit.charge`` counts per identity; inside ``ratelimit.exempt()`` (the demo load) nothing."""
from __future__ import annotations

import sqlalchemy as sa

from app.core import ratelimit
from app.core.models import RateLimitCounter
from app.extensions import db


def _counters() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(RateLimitCounter)).scalar_one()


def test_exempt_counts_nothing_and_ends_with_its_block(app, db):
    app.config["TEST_ONE_PER_HOUR"] = "1 per hour"
    with app.app_context():
        with ratelimit.exempt():
            for _ in range(3):
                allowance = ratelimit.charge("TEST_ONE_PER_HOUR", "test-scope", "someone")
                assert isinstance(allowance, ratelimit.Charge) and allowance.keys == []
        assert _counters() == 0
        assert isinstance(ratelimit.charge("TEST_ONE_PER_HOUR", "test-scope", "someone"), ratelimit.Charge)
        assert isinstance(ratelimit.charge("TEST_ONE_PER_HOUR", "test-scope", "someone"), ratelimit.Exhausted)
        assert _counters() == 1
