"""Rate limits shared by every worker process.

With ``REDIS_URL`` set, Flask-Limiter keeps its counters in Redis (and falls back
to per-process memory if Redis goes away, so the site keeps working). Without
Redis the counters live in the application database, so several gunicorn workers
on one machine still share them.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask, current_app
from limits.storage import Storage

from app.extensions import db, limiter


class DatabaseStorage(Storage):
    """Fixed-window counters in the ``rate_limit_counter`` table (atomic upserts)."""

    STORAGE_SCHEME = ["ideenmarkt-db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return (sa.exc.SQLAlchemyError,)

    @staticmethod
    def _table() -> sa.Table:
        from app.core.models import RateLimitCounter

        return RateLimitCounter.__table__

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        table = self._table()
        now = time.time()
        engine = db.engine
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(table).values(key=key, count=amount, expires_at=now + expiry)
        # An expired window starts again at ``amount``; a live one is incremented atomically.
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": sa.case(
                    (table.c.expires_at <= now, amount), else_=table.c.count + amount
                ),
                "expires_at": sa.case(
                    (table.c.expires_at <= now, now + expiry), else_=table.c.expires_at
                ),
            },
        ).returning(table.c.count)
        with engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _row(self, key: str):
        table = self._table()
        with db.engine.connect() as conn:
            return conn.execute(
                sa.select(table.c.count, table.c.expires_at).where(table.c.key == key)
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(sa.delete(self._table())).rowcount

    def clear(self, key: str) -> None:
        table = self._table()
        with db.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.key == key))


def purge_expired() -> int:
    """Remove expired counters (run from ``flask maintenance`` or any scheduler)."""
    table = DatabaseStorage._table()
    with db.engine.begin() as conn:
        return conn.execute(sa.delete(table).where(table.c.expires_at <= time.time())).rowcount


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "ideenmarkt-db://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ideenmarkt")
    # A broken limiter backend must not take the site down with it.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)


def config_limit(name: str):
    """A limit string read from the configuration at request time (tests can change it)."""
    return lambda: current_app.config[name]
