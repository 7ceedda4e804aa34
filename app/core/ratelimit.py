"""Rate limits shared by every worker process, charged before the work they guard.

Every limit is an atomic increment-then-check made before the view runs (Flask-Limiter's
fixed window ``hit``), so simultaneous requests cannot slip past it; answers that must not
count (a correct ticket code, a 503 while the database restarts) give their charge back
afterwards (:func:`limit` with ``refund_when``). Work that is not a whole view (a password
check) charges with :func:`charge`.

Without ``REDIS_URL`` the counters live in the application database, so several gunicorn
workers on one machine share them. With ``REDIS_URL`` they live in Redis; while Redis is
unreachable they fall back to the same database counters (never to per-worker memory, where
each worker would allow the whole limit again).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, wraps

import sqlalchemy as sa
from flask import Flask, current_app, g, request
from flask_limiter.errors import RateLimitExceeded
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from limits.storage import RedisStorage, Storage

from app.core.errors import retry_seconds, wait_text, wants_json
from app.core.models import RateLimitCounter
from app.extensions import db, limiter

logger = logging.getLogger(__name__)

#: Attribute of a view whose charge is given back when ``refund_when(response)`` is true.
REFUND_ATTR = "ideenmarkt_ratelimit_refund_when"
#: Set on ``g`` inside :func:`exempt`.
EXEMPT_ATTR = "ideenmarkt_ratelimit_exempt"


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
        return RateLimitCounter.__table__

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.incr_many([(key, expiry)], amount)[key]

    def incr_many(self, windows: Sequence[tuple[str, int]], amount: int = 1) -> dict[str, int]:
        """Increment the counters of ``windows`` (``(key, expiry)``, distinct keys) in one statement
        and one transaction: the new count per key. An expired window starts again at ``amount``; a
        live one is incremented atomically (the upsert locks each row; keys in the order given)."""
        now = time.time()
        params = {"amount": amount, "now": now}
        for n, (key, expiry) in enumerate(windows):
            params[f"key{n}"], params[f"expires{n}"] = key, now + expiry
        with db.engine.begin() as conn:
            return {key: int(count) for key, count in conn.execute(_incr_statement(len(windows)), params)}

    def decr(self, key: str, amount: int = 1) -> int:
        """Give back ``amount`` of a live window (an expired or missing one stays as it is)."""
        table = self._table()
        stmt = (sa.update(table)
                .where(table.c.key == key, table.c.expires_at > time.time(), table.c.count >= amount)
                .values(count=table.c.count - amount)
                .returning(table.c.count))
        with db.engine.begin() as conn:
            return int(conn.execute(stmt).scalar() or 0)

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


@lru_cache(maxsize=8)
def _incr_statement(windows: int) -> sa.TextClause:
    """The upsert of :meth:`DatabaseStorage.incr_many` for ``windows`` keys (the same SQL on
    SQLite and PostgreSQL; plain text: nothing to compile per request)."""
    rows = ", ".join(f"(:key{n}, :amount, :expires{n})" for n in range(windows))
    return sa.text(
        f'INSERT INTO rate_limit_counter ("key", count, expires_at) VALUES {rows} '
        'ON CONFLICT ("key") DO UPDATE SET '
        "count = CASE WHEN rate_limit_counter.expires_at <= :now THEN excluded.count "
        "ELSE rate_limit_counter.count + excluded.count END, "
        "expires_at = CASE WHEN rate_limit_counter.expires_at <= :now THEN excluded.expires_at "
        'ELSE rate_limit_counter.expires_at END RETURNING "key", count')


#: Decrement a live counter only (a refund must not create a window or go below zero).
_REDIS_DECR = """
local current = tonumber(redis.call('get', KEYS[1]))
if current and current >= tonumber(ARGV[1]) then
    return redis.call('decrby', KEYS[1], ARGV[1])
end
return current or 0
"""


class RedisWithDatabaseFallback(Storage):
    """Counters in Redis; while Redis does not answer, in the database (:class:`DatabaseStorage`).

    After a failure Redis is tried again after :attr:`RETRY_SECONDS`; until then every worker
    counts in the shared table instead of its own memory.
    """

    STORAGE_SCHEME = ["ideenmarkt-redis"]
    RETRY_SECONDS = 5.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *, redis_url: str, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        # Short timeouts: a Redis that hangs must not hold the request for long before the fallback.
        self.redis = RedisStorage(redis_url, socket_connect_timeout=1, socket_timeout=1, **options)
        self._redis_decr = self.redis.get_connection().register_script(_REDIS_DECR)
        self.database = DatabaseStorage()
        self._redis_down_until = 0.0

    @property
    def base_exceptions(self):
        return (sa.exc.SQLAlchemyError,)

    def _call(self, name: str, *args):
        if time.monotonic() >= self._redis_down_until:
            try:
                return getattr(self.redis, name)(*args)
            except self.redis.base_exceptions as exc:
                self._redis_down_until = time.monotonic() + self.RETRY_SECONDS
                logger.warning("rate limits: Redis unreachable (%s), counting in the database",
                               type(exc).__name__)
        return getattr(self.database, name)(*args)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._call("incr", key, expiry, amount)

    def incr_many(self, windows: Sequence[tuple[str, int]], amount: int = 1) -> dict[str, int]:
        if time.monotonic() >= self._redis_down_until:
            try:
                return {key: self.redis.incr(key, expiry, amount) for key, expiry in windows}
            except self.redis.base_exceptions as exc:
                self._redis_down_until = time.monotonic() + self.RETRY_SECONDS
                logger.warning("rate limits: Redis unreachable (%s), counting in the database",
                               type(exc).__name__)
        return self.database.incr_many(windows, amount)

    def decr(self, key: str, amount: int = 1) -> int:
        if time.monotonic() >= self._redis_down_until:
            try:
                return int(self._redis_decr([self.redis.prefixed_key(key)], [amount]))
            except self.redis.base_exceptions:
                self._redis_down_until = time.monotonic() + self.RETRY_SECONDS
        return self.database.decr(key, amount)

    def get(self, key: str) -> int:
        return self._call("get", key)

    def get_expiry(self, key: str) -> float:
        return self._call("get_expiry", key)

    def check(self) -> bool:
        return self.database.check()

    def reset(self) -> int | None:
        self._call("reset")
        return self.database.reset()

    def clear(self, key: str) -> None:
        self._call("clear", key)
        self.database.clear(key)


def purge_expired() -> int:
    """Remove expired counters (run from ``flask maintenance`` or any scheduler)."""
    table = DatabaseStorage._table()
    with db.engine.begin() as conn:
        return conn.execute(sa.delete(table).where(table.c.expires_at <= time.time())).rowcount


def init_app(app: Flask) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "ideenmarkt-redis://")
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"redis_url": redis_url})
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "ideenmarkt-db://")
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "ideenmarkt")
    # A broken limiter backend must not take the site down with it.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    # Registered after Flask-Limiter's own hook, so it runs before it (after_request runs in reverse).
    app.after_request(_refund_after_response)


def config_limit(name: str):
    """A limit string read from the configuration at request time (tests can change it)."""
    return lambda: current_app.config[name]


def limit(setting: str, *, scope: str | None = None, methods: list[str] | None = None,
          refund_when: Callable | None = None, keep_form: bool = False) -> Callable:
    """Limit a view by ``config[setting]`` per client address, charged before the view runs.

    :param scope: share one allowance between several views (they name the same scope).
    :param methods: charge only these methods (e.g. ``["POST"]``).
    :param refund_when: ``refund_when(response)`` true gives the charge back for an answer that
        must not count (also for answers of error handlers, e.g. the 503 of a database outage).
    :param keep_form: a refused form POST is not answered by the bare 429 page (which loses what
        the person typed) but by the view itself, which sees :func:`refused` and shows its form
        again as typed, with the wait message, and does nothing else; the answer stays a 429
        with ``Retry-After``.
    """
    def decorator(view: Callable) -> Callable:
        if scope:
            limited = limiter.shared_limit(config_limit(setting), scope=scope, methods=methods)(view)
        else:
            limited = limiter.limit(config_limit(setting), methods=methods)(view)
        if keep_form:
            limited = _answer_with_the_form(view, limited)
        if refund_when is not None:
            setattr(limited, REFUND_ATTR, refund_when)
        return limited

    return decorator


def _answer_with_the_form(view: Callable, limited: Callable) -> Callable:
    @wraps(limited)
    def answer(*args, **kwargs):
        try:
            return limited(*args, **kwargs)
        except RateLimitExceeded:
            if request.method != "POST" or wants_json():
                raise
            retry = retry_seconds() or 60
            g.ideenmarkt_rate_limit_refused = wait_text(retry)
            response = current_app.make_response(view(*args, **kwargs))
            response.status_code = 429
            response.headers["Retry-After"] = str(retry)
            return response

    return answer


def database_unavailable(response) -> bool:
    """``refund_when`` of a form: a 503 (the database restarting) is no attempt and must not use
    up the allowance."""
    return response.status_code == 503


def refused() -> str | None:
    """Inside a ``keep_form`` view: the wait message if a limit refused this POST, else None.
    The view then renders its form as submitted, shows the message and changes nothing."""
    return g.get("ideenmarkt_rate_limit_refused")


def _refund_after_response(response):
    view = current_app.view_functions.get(request.endpoint or "")
    refund_when = getattr(view, REFUND_ATTR, None)
    if refund_when is not None and refund_when(response):
        for request_limit in limiter.current_limits:
            if not request_limit.breached:
                _give_back(request_limit.key)
    return response


def _give_back(key: str) -> None:
    try:
        limiter.storage.decr(key)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a refund that fails leaves one attempt counted, nothing worse
        logger.warning("rate limits: could not give back a charge", exc_info=True)


@dataclass
class Charge:
    """What :func:`charge` counted; :meth:`refund` gives it back (e.g. after a correct password)."""

    keys: list[str] = field(default_factory=list)

    def refund(self) -> None:
        for key in self.keys:
            _give_back(key)


@dataclass(frozen=True)
class Exhausted:
    """A limit that refused a :func:`charge`; ``retry_after`` in whole seconds."""

    retry_after: int


@contextmanager
def exempt() -> Iterator[None]:
    """Inside the block :func:`charge` counts nothing and lets every attempt through: for work
    that no client sends, such as ``flask demo load`` replaying its invented residents through the
    services in one transaction (the database counters are written on a connection of their own,
    which on SQLite would wait for that transaction's write lock)."""
    previous = g.get(EXEMPT_ATTR, False)
    setattr(g, EXEMPT_ATTR, True)
    try:
        yield
    finally:
        setattr(g, EXEMPT_ATTR, previous)


def charge(setting: str, scope: str, identity: str) -> Charge | Exhausted:
    """Count one attempt of ``identity`` against every window of ``config[setting]``, before
    the work it guards (increment-then-check, atomic in Redis and in the database).

    :return: a :class:`Charge` if every window had room, else :class:`Exhausted` (and this
        attempt stays counted nowhere). If the storage fails, the attempt is let through; inside
        :func:`exempt` nothing is counted.
    """
    if g.get(EXEMPT_ATTR, False):
        return Charge()
    strategy = limiter.limiter
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    charged = Charge()
    try:
        items = sorted(parse_many(current_app.config[setting]))
        args = (prefix, identity, scope)
        keys = [item.key_for(*args) for item in items]
        storage = strategy.storage
        if (isinstance(strategy, FixedWindowRateLimiter) and hasattr(storage, "incr_many")
                and len(set(keys)) == len(keys)):
            # Every window in one statement (the fixed window's hit is increment, then compare).
            counts = storage.incr_many([(key, item.get_expiry()) for key, item in zip(keys, items)])
            charged.keys.extend(keys)
            over = next((item for key, item in zip(keys, items) if counts[key] > item.amount), None)
        else:
            over = None
            for key, item in zip(keys, items):
                charged.keys.append(key)
                if not strategy.hit(item, *args):
                    over = item
                    break
        if over is not None:
            charged.refund()
            reset_at = strategy.get_window_stats(over, *args).reset_time
            return Exhausted(max(1, int(reset_at - time.time()) + 1))
    except Exception:  # noqa: BLE001 - same rule as RATELIMIT_SWALLOW_ERRORS
        logger.warning("rate limits: storage failed, attempt let through", exc_info=True)
    return charged
