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


def _counts() -> dict[str, int]:
    return dict(db.session.execute(sa.select(RateLimitCounter.key, RateLimitCounter.count)).all())


def test_every_window_is_charged_in_one_statement_and_all_are_given_back_when_one_is_full(app, db, count_queries):
    """Two windows (per minute, per hour): one upsert for both (the support POST's limit, issue 18);
    the attempt a full window refuses stays counted in neither."""
    app.config["TEST_TWO_WINDOWS"] = "2 per minute;5 per hour"
    with app.app_context():
        with count_queries(db.engine) as first:
            allowance = ratelimit.charge("TEST_TWO_WINDOWS", "test-scope", "someone")
        assert isinstance(allowance, ratelimit.Charge) and len(allowance.keys) == 2
        writes = [s for s in first.statements if "rate_limit_counter" in s]
        assert len(writes) == 1 and writes[0].lstrip().upper().startswith("INSERT"), first.statements
        assert sorted(_counts().values()) == [1, 1]
        assert isinstance(ratelimit.charge("TEST_TWO_WINDOWS", "test-scope", "someone"), ratelimit.Charge)
        refused = ratelimit.charge("TEST_TWO_WINDOWS", "test-scope", "someone")
        assert isinstance(refused, ratelimit.Exhausted) and 1 <= refused.retry_after <= 61
        assert sorted(_counts().values()) == [2, 2]
        # Another identity has its own counters.
        assert isinstance(ratelimit.charge("TEST_TWO_WINDOWS", "test-scope", "someone else"), ratelimit.Charge)
        assert sorted(_counts().values()) == [1, 1, 2, 2]


def test_an_expired_window_starts_again(app, db):
    app.config["TEST_ONE_PER_HOUR"] = "1 per hour"
    with app.app_context():
        assert isinstance(ratelimit.charge("TEST_ONE_PER_HOUR", "test-scope", "someone"), ratelimit.Charge)
        db.session.execute(sa.update(RateLimitCounter).values(expires_at=RateLimitCounter.expires_at - 3601))
        db.session.commit()
        assert isinstance(ratelimit.charge("TEST_ONE_PER_HOUR", "test-scope", "someone"), ratelimit.Charge)
        assert list(_counts().values()) == [1]
