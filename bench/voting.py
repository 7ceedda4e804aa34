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

Prints dots/s, median and p99 latency of both, the ratio, and checks that the
stored dots equal the accepted requests (no lost or extra dot).

Usage: ``python bench/voting.py [--clients 50] [--workers 4] [--seconds 10]``
"""
from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
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
    from tests.voting.conftest import make_voting_event

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


def _post(port: int, path: str, body: bytes, headers: dict) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def _drive(clients: int, seconds: float, make_request) -> tuple[list[float], dict[int, int]]:
    """Run ``make_request(client)`` -> (status, latency) on ``clients`` threads for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    statuses: list[dict[int, int]] = [{} for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(n: int) -> None:
        start.wait()
        while time.perf_counter() < stop_at[0]:
            status, latency = make_request(n)
            latencies[n].append(latency)
            statuses[n][status] = statuses[n].get(status, 0) + 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    start.wait()
    for t in threads:
        t.join()
    merged: dict[int, int] = {}
    for s in statuses:
        for k, v in s.items():
            merged[k] = merged.get(k, 0) + v
    return [x for xs in latencies for x in xs], merged


def _report(name: str, latencies: list[float], ok: int, seconds: float) -> float:
    rate = ok / seconds
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    print(f"{name:8s} {rate:8.0f} /s   median {statistics.median(ordered) * 1000:6.1f} ms   "
          f"p99 {p99 * 1000:6.1f} ms   ({ok} accepted of {len(latencies)} requests)")
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

            def vote(n: int):
                index = n * args.tickets_per_client + per_client[n]
                if index >= len(sessions):
                    return 599, 0.0
                cookie, token = sessions[index]
                idea = idea_ids[sent[n] % len(idea_ids)]
                sent[n] += 1
                status, latency = _post(port, f"/events/{event_id}/vote/dots",
                                        urllib.parse.urlencode({"idea_id": idea, "op": "add"}).encode(),
                                        {"Cookie": cookie, "X-CSRFToken": token, "Accept": "application/json",
                                         "Content-Type": "application/x-www-form-urlencoded"})
                if status == 409:  # this ticket is full: the next one
                    per_client[n] += 1
                return status, latency

            def ceiling(n: int):
                return _post(port, "/bench/insert", b"", {"Content-Length": "0"})

            # Warm up both paths (connections, imports).
            _drive(min(4, args.clients), 1.0, ceiling)
            with pg_engine(pg.url) as engine, engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE bench_insert"))
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
