"""Benchmark: dot voting through gunicorn on PostgreSQL, against a one-INSERT ceiling.

Starts a throwaway PostgreSQL cluster (``tests.support.pgcluster``), creates the
schema with a ``python -c`` ``create_all`` (migrations are the lead's), seeds one
open event with tickets and ideas, and serves the app with gunicorn (several sync
workers). Then, with a fixed number of concurrent clients (default 50), each with
its own ticket session (cookie + CSRF token, as the browser holds after typing
the code):

1. **vote**: ``POST /events/<id>/vote/dots`` (the JSON path ``ballot.js`` uses)
   for ``--seconds``; a client moves on to its next ticket when one is full;
2. **ceiling**: the same clients ``POST`` to a minimal endpoint added to the same
   app on the same server, which performs one ``INSERT`` and commits.

Both paths are warmed up first (one second each; the warm-up's dots are deleted).
The clients are coroutines of one asyncio loop (cheap on the CPUs they share with
the server and the database); each request is a new connection, half-closed once
sent. The workers are prepared like production ones (``wsgi.py``: start-up objects
frozen out of the garbage collector, see ``app.core.workers``).

Prints dots/s, median, p99 and maximum latency of both, the ratio, and checks that
the stored dots equal the accepted requests (no lost or extra dot).

Usage: ``python bench/voting.py [--clients 50] [--workers 4] [--seconds 10]``
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SECRET = "bench-only-secret-key-voting"
DOTS_PER_TICKET = 50


def bench_app():
    """The application plus ``POST /bench/insert`` (one INSERT, commit): the ceiling."""
    from flask import jsonify

    from app import create_app
    from app.core.access import public
    from app.core.workers import settle_worker
    from app.extensions import csrf, db

    app = create_app()
    table = sa.table("bench_insert", sa.column("n", sa.Integer))

    @public
    def insert_one():
        db.session.execute(sa.insert(table).values(n=1))
        db.session.commit()
        return jsonify({"ok": True})

    app.add_url_rule("/bench/insert", "bench_insert", insert_one, methods=["POST"])
    csrf.exempt(insert_one)
    settle_worker()  # as wsgi.py does
    return app


def _environment(url: str, instance: Path) -> dict[str, str]:
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET, "IDEENMARKT_ENV": "development",
            "IDEENMARKT_INSTANCE": str(instance), "IDEENMARKT_MAIL_RETRY_INTERVAL": "-1"}


def _seed(env: dict[str, str], tickets: int) -> tuple[int, list[tuple[int, str]], list[int]]:
    """One open event with 3 stands × 10 ideas and ``tickets`` tickets; returns ids."""
    os.environ.update(env)
    from app import create_app
    from app.events.models import Event
    from app.extensions import db
    from tests.factories.voting import make_voting_event

    app = create_app()
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_insert (id serial PRIMARY KEY, n integer)"))
        db.session.commit()
        ev = make_voting_event(stands=3, ideas_per_stand=10, tickets=tickets, dots=DOTS_PER_TICKET)
        assert db.session.get(Event, ev.event_id) is not None
        db.engine.dispose()
    return ev.event_id, list(zip(ev.ticket_ids, ev.codes)), ev.idea_ids


def _session(event_id: int, ticket_id: int, code: str) -> tuple[str, str]:
    from flask import Flask
    from itsdangerous import URLSafeTimedSerializer

    app = Flask(__name__, root_path=str(ROOT))
    app.secret_key = SECRET
    raw = secrets.token_hex(20)
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {"voting_tickets": {str(event_id): [ticket_id, code]}, "csrf_token": raw})
    token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)
    return f"ideenmarkt_session={cookie}", token


def _raw_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 POST with ``Connection: close`` (the sync workers close after each response)."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Content-Length: {len(body)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _post(port: int, raw: bytes) -> tuple[int, float]:
    """Send ``raw`` on a new connection, read the response to its end: (status, latency in s)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        # Half-close at once, as the request is complete: gunicorn's graceful close then sees the
        # end of the request immediately instead of waiting for this client to close its side.
        writer.write_eof()
        response = await reader.read()
    finally:
        writer.close()
    status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    return status, time.perf_counter() - started


def _drive(clients: int, seconds: float, make_request) -> tuple[list[float], dict[int, int]]:
    """Run ``await make_request(client)`` -> (status, latency) for ``clients`` concurrent clients for
    ``seconds``, each sending its next request when the last one was answered.

    The clients are coroutines of one asyncio loop in this process: they cost the shared CPUs
    far less than 50 threads fighting for the GIL did, and their latencies do not include
    waiting for the GIL.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(n: int, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            status, latency = await make_request(n)
            latencies.append(latency)
            statuses[status] = statuses.get(status, 0) + 1

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(client(n, stop_at) for n in range(clients)))

    gc.collect()
    gc.disable()  # no collector pauses in the clients' measurements (the lists only grow)
    try:
        asyncio.run(run())
    finally:
        gc.enable()
    return latencies, statuses


def _report(name: str, latencies: list[float], ok: int, seconds: float) -> float:
    rate = ok / seconds
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    print(f"{name:8s} {rate:8.0f} /s   median {statistics.median(ordered) * 1000:6.1f} ms   "
          f"p99 {p99 * 1000:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms   "
          f"({ok} accepted of {len(latencies)} requests)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tickets-per-client", type=int, default=40)
    args = parser.parse_args()

    from tests.support.pgcluster import PostgresCluster
    from tests.support.servers import GunicornServer

    with PostgresCluster() as pg:
        instance = Path(tempfile.mkdtemp(prefix="ideenmarkt-bench-voting-"))
        env = _environment(pg.url, instance)
        subprocess.run([sys.executable, "-c", "from app import create_app; from app.extensions import db; "
                        "app = create_app(); app.app_context().push(); db.create_all()"],
                       cwd=ROOT, env={**os.environ, **env}, check=True)
        tickets = args.clients * args.tickets_per_client
        event_id, tickets_and_codes, idea_ids = _seed(env, tickets)
        sessions = [_session(event_id, t, c) for t, c in tickets_and_codes]
        print(f"PostgreSQL, gunicorn {args.workers} sync workers, {args.clients} clients, {args.seconds:.0f} s "
              f"per phase, {os.cpu_count()} CPUs (clients, server and database share them)")
        with GunicornServer("bench.voting:bench_app()", workers=args.workers, cwd=ROOT, env=env,
                            extra_args=["--timeout", "120", "--backlog", "4096"]) as server:
            server.wait_for_workers(args.workers)
            port = server.port
            per_client = [0] * args.clients
            sent = [0] * args.clients

            async def vote(n: int):
                index = n * args.tickets_per_client + per_client[n]
                if index >= len(sessions):
                    return 599, 0.0
                cookie, token = sessions[index]
                idea = idea_ids[sent[n] % len(idea_ids)]
                sent[n] += 1
                status, latency = await _post(port, _raw_post(
                    f"/events/{event_id}/vote/dots", urllib.parse.urlencode({"idea_id": idea, "op": "add"}).encode(),
                    {"Cookie": cookie, "X-CSRFToken": token, "Accept": "application/json",
                     "Content-Type": "application/x-www-form-urlencoded"}))
                if status == 409:  # this ticket is full: the next one
                    per_client[n] += 1
                return status, latency

            ceiling_request = _raw_post("/bench/insert", b"", {})

            async def ceiling(n: int):
                return await _post(port, ceiling_request)

            # Warm up both paths (connections, prepared statements, first-use caches in every
            # worker), then start from empty tables and unused tickets.
            _drive(min(8, args.clients), 1.0, ceiling)
            _drive(min(8, args.clients), 1.0, vote)
            with pg_engine(pg.url) as engine, engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE bench_insert"))
                conn.execute(sa.text("DELETE FROM dot"))
            per_client[:] = [0] * args.clients
            sent[:] = [0] * args.clients
            latencies, statuses = _drive(args.clients, args.seconds, vote)
            vote_rate = _report("vote", latencies, statuses.get(200, 0), args.seconds)
            latencies_c, statuses_c = _drive(args.clients, args.seconds, ceiling)
            ceiling_rate = _report("ceiling", latencies_c, statuses_c.get(200, 0), args.seconds)
        other = {k: v for k, v in statuses.items() if k not in (200, 409)}
        with pg_engine(pg.url) as engine, engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM dot")).scalar_one()
            inserted = conn.execute(sa.text("SELECT count(*) FROM bench_insert")).scalar_one()
            over = conn.execute(sa.text(
                f"SELECT count(*) FROM (SELECT ticket_id FROM dot GROUP BY ticket_id "
                f"HAVING count(*) > {DOTS_PER_TICKET}) t")).scalar_one()
        print(f"ratio    vote/ceiling = {vote_rate / ceiling_rate:.2f}")
        print(f"check    dots stored {stored} == accepted {statuses.get(200, 0)}: "
              f"{'OK' if stored == statuses.get(200, 0) else 'MISMATCH'}; tickets over the limit: {over}; "
              f"ceiling rows {inserted} == accepted {statuses_c.get(200, 0)}: "
              f"{'OK' if inserted == statuses_c.get(200, 0) else 'MISMATCH'}; other statuses: {other or 'none'}")
        if stored != statuses.get(200, 0) or over:
            sys.exit(1)


class pg_engine:  # noqa: N801 - a tiny context manager
    def __init__(self, url: str):
        self.engine = sa.create_engine(url)

    def __enter__(self):
        return self.engine

    def __exit__(self, *exc):
        self.engine.dispose()


if __name__ == "__main__":
    main()
