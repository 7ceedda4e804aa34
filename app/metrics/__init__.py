"""Prometheus metrics: ``/metrics`` for the city's monitoring (see README, "Metrics").

Requests are counted and timed here by their route pattern (:mod:`app.metrics.instruments`);
database pool use through SQLAlchemy's pool events; what only the database knows (outbox
backlog, jobs) and nginx's live subscribers are read when ``/metrics`` is scraped
(:mod:`app.metrics.views`). Access: ``METRICS_TOKEN`` (a bearer token) and/or
``METRICS_NETWORKS`` (client networks, after ``TRUSTED_PROXIES``); neither set: 404.
"""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask, request

from app.core.blueprints import FeatureBlueprint
from app.core.proxies import parse_networks
from app.metrics import errors, instruments

bp = FeatureBlueprint("metrics", __name__, parts=("views",))
STARTED_KEY = "ideenmarkt.metrics_started"


def init_app(app: Flask) -> None:
    try:
        app.extensions["metrics.networks"] = parse_networks(app.config["METRICS_NETWORKS"])
    except ValueError as exc:
        raise RuntimeError(f"METRICS_NETWORKS: {exc}".replace("TRUSTED_PROXIES: ", "")) from None
    # First of all hooks, so a request refused early (CSRF, rate limit) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)
    errors.init_app(app)
    with app.app_context():
        from app.extensions import db

        _watch_pool(db.engine)


def _start() -> None:
    request.environ[STARTED_KEY] = time.perf_counter()


def _observe(response):
    started = request.environ.get(STARTED_KEY)
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    instruments.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    if started is not None:
        instruments.LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
    return response


def _watch_pool(engine: sa.Engine) -> None:
    pool = engine.pool
    size = getattr(pool, "size", None)
    if callable(size):
        instruments.DB_POOL_SIZE.set(size())
    sa.event.listen(engine, "checkout", lambda *_: instruments.DB_IN_USE.inc())
    sa.event.listen(engine, "checkin", lambda *_: instruments.DB_IN_USE.dec())
