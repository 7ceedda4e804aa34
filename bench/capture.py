"""Benchmark: live idea capture, the projector wall across workers, duplicate suggestions.

Prints, for SQLite (a file) and PostgreSQL (a throwaway cluster from
``tests.support.pgcluster``):

* ideas saved per second through the JSON endpoint the capture screen uses
  (gunicorn, 2 worker processes with threads, several parallel moderators),
* the latency from sending an idea to its arrival on connected walls (SSE
  streams spread over both workers): median and 95th percentile, with the
  default database polling and, if ``redis-server`` is installed, with Redis
  pub/sub wake-ups,
* the time for duplicate suggestions against 5,000 and 50,000 ideas of one
  process: the first call of a worker (builds its cache), warm calls, and a
  call right after a new idea (incremental refresh), in process and over HTTP.

Numbers only, no pass/fail. Usage: ``python bench/capture.py [--seconds 8] [--clients 6]
[--walls 4] [--sqlite-only]``
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

EMAIL = "bench.moderator@example.org"
PASSWORD = "Kaffee und Kuchen am Flussufer 19"

SUBJECTS = ["Termine", "Formulare", "Anträge", "Parkausweise", "Bürgerkonto", "WLAN", "Sperrmüll", "Kita-Plätze",
            "Bauanträge", "Hundesteuer", "Wohnsitz", "Führerschein", "Bibliothek", "Busfahrplan", "Ratsinfos"]
VERBS = ["online buchen", "digital beantragen", "ohne Papier einreichen", "per App erledigen",
         "rund um die Uhr abrufen", "mit dem Handy bezahlen", "barrierefrei nutzen", "einfach finden"]
PLACES = ["im Bürgeramt", "in der Innenstadt", "im Rathaus", "in Berkheim", "in Zell", "am Neckar",
          "in der Pliensauvorstadt", "für Senioren", "für Familien", "für Unternehmen"]
EXTRAS = ["bitte", "schneller", "mit Erinnerung", "in leichter Sprache", "auch auf Englisch", "ohne Wartezeit", ""]


def idea_text(rng: random.Random) -> str:
    return " ".join(w for w in (rng.choice(SUBJECTS), rng.choice(PLACES), rng.choice(VERBS), rng.choice(EXTRAS)) if w)


# -- setup -------------------------------------------------------------------------------------


def _instance_dir() -> Path:
    instance = Path(tempfile.mkdtemp(prefix="ideenmarkt-bench-"))
    (instance / "config.py").write_text("SECRET_KEY = 'bench-only-secret'\nLOGIN_RATE_LIMIT = '100000 per minute'\n"
                                     "PASSWORD_CHECK_BUDGET = '100000 per minute'\n")
    return instance


def _prepare(db_url: str, instance: Path) -> dict:
    from app.accounts import services as accounts
    from app.events.models import Event, Process
    from app.extensions import db
    from app.ideas import services
    from app.ideas.models import Stand

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=db_url, INSTANCE_PATH=str(instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = accounts.create_user(EMAIL, "Bench Moderation", PASSWORD, ["admin"])
        process = Process(title="Bench")
        event = Event(process=process, title="Bench-Workshop", seats=15, status="held")
        stands = [Stand(event=event, title=f"Stand {i}", position=i) for i in range(1, 4)]
        db.session.add_all([process, event, *stands])
        db.session.flush()
        token = services.wall_link(event).token
        db.session.commit()
        return {"app": app, "user_id": user.id, "process_id": process.id, "event_id": event.id,
                "stand_ids": [s.id for s in stands], "token": token}


def _bulk_ideas(app, stand_ids: list[int], count: int, seed: int) -> None:
    """Insert ``count`` ideas with plain Core inserts (the feed is not needed for them)."""
    from app.core.models import utcnow
    from app.extensions import db
    from app.ideas.models import Idea

    rng = random.Random(seed)
    now = utcnow() - timedelta(days=1)  # recorded earlier than anything the benchmark does next
    with app.app_context():
        for start in range(0, count, 5000):
            rows = [{"stand_id": rng.choice(stand_ids), "text": idea_text(rng), "said_by": "", "status": "new",
                     "client_id": str(uuid.UUID(int=rng.getrandbits(128))), "hidden_reason": "",
                     "created_at": now + timedelta(milliseconds=start + i),
                     "updated_at": now + timedelta(milliseconds=start + i)} for i in range(min(5000, count - start))]
            db.session.execute(sa.insert(Idea), rows)
            db.session.commit()


# -- HTTP helpers ----------------------------------------------------------------------------------


def _login(base: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"csrf_token": token, "email": EMAIL, "password": PASSWORD}).encode()
    opener.open(base + "/login", data=body, timeout=30).read()
    html = opener.open(base + "/ideas", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return opener, token


def _post_json(opener, token: str, url: str, payload: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token})
    try:
        with opener.open(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _throughput(base: str, stand_ids: list[int], seconds: float, clients: int) -> tuple[int, int, float]:
    sessions = [_login(base) for _ in range(clients)]
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    rng = random.Random(7)

    def work(n: int) -> None:
        opener, token = sessions[n]
        url = f"{base}/stands/{stand_ids[n % len(stand_ids)]}/ideas.json"
        while time.monotonic() < deadline:
            status = _post_json(opener, token, url, {"client_id": str(uuid.uuid4()),
                                                     "text": idea_text(rng) + " #bench"})
            with lock:
                counts["ok" if status == 201 else "other"] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts["ok"], counts["other"], time.monotonic() - start


def _wall_latency(base: str, token: str, stand_id: int, walls: int, ideas: int) -> list[float]:
    """Open ``walls`` streams, send ideas one by one, measure send → arrival on every wall."""
    opener, csrf = _login(base)
    sent: dict[str, float] = {}
    arrived: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(walls + 1)
    done = threading.Event()
    responses = []

    page = urllib.request.urlopen(f"{base}/wall/{token}", timeout=30).read().decode()
    after = re.search(r'data-after="(\d+)"', page).group(1)  # continue from now, as a wall page does

    def reader() -> None:
        response = urllib.request.urlopen(f"{base}/wall/{token}/stream?after={after}", timeout=60)
        responses.append(response)
        first = True
        try:
            lines = iter(response)
            for raw in lines:
                if first:
                    first = False
                    ready.wait()
                line = raw.decode()
                if line.startswith("data: ") and "LATENZ-" in line:
                    marker = re.search(r"LATENZ-(\w+)", line).group(1)
                    now = time.monotonic()
                    with lock:
                        if marker in sent:
                            arrived.append(now - sent[marker])
                if done.is_set():
                    break
        except (OSError, AttributeError, ValueError):
            pass  # closed by the main thread at the end

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(walls)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=30)
    url = f"{base}/stands/{stand_id}/ideas.json"
    for i in range(ideas):
        marker = uuid.uuid4().hex[:10]
        with lock:
            sent[marker] = time.monotonic()
        _post_json(opener, csrf, url, {"client_id": str(uuid.uuid4()), "text": f"Wand-Test LATENZ-{marker} Nr. {i}"})
        time.sleep(0.15)  # pacing between two ideas, like a moderator typing
    deadline = time.monotonic() + 10
    while len(arrived) < ideas * walls and time.monotonic() < deadline:
        time.sleep(0.05)
    done.set()
    for response in responses:
        response.close()
    return arrived


def _suggestion_timings(app, process_id: int, stand_id: int, queries: list[str]) -> dict[str, float]:
    from app.extensions import db
    from app.ideas import services, similar
    from app.ideas.models import Stand

    similar._CORPORA.clear()
    with app.test_request_context():
        start = time.perf_counter()
        similar.suggest(process_id, queries[0])
        cold = time.perf_counter() - start
        warm = []
        for query in queries:
            start = time.perf_counter()
            similar.suggest(process_id, query)
            warm.append(time.perf_counter() - start)
        services.record_idea(db.session.get(Stand, stand_id), "Neue Idee: Termine im Rathaus online buchen")
        db.session.commit()
        start = time.perf_counter()
        similar.suggest(process_id, queries[1])
        after_new = time.perf_counter() - start
        db.session.remove()
    return {"cold": cold, "warm_median": statistics.median(warm), "warm_max": max(warm), "after_new": after_new}


def _http_suggestions(base: str, stand_id: int, queries: list[str]) -> tuple[float, float]:
    opener, _ = _login(base)
    times = []
    for query in queries:
        start = time.perf_counter()
        opener.open(f"{base}/stands/{stand_id}/suggestions.json?" + urllib.parse.urlencode({"q": query}),
                    timeout=60).read()
        times.append(time.perf_counter() - start)
    return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(label: str, db_url: str, args) -> None:
    from tests.support.servers import GunicornServer, RedisServer

    instance = _instance_dir()
    info = _prepare(db_url, instance)
    app = info["app"]
    env = {"DATABASE_URL": db_url, "IDEENMARKT_INSTANCE": str(instance), "IDEENMARKT_ENV": "development",
           "IDEAS_STREAM_SECONDS": "120"}
    gthread = ["--worker-class", "gthread", "--threads", "16", "--access-logfile", "/dev/null"]
    with GunicornServer("wsgi:app", workers=2, cwd=ROOT, env=env, extra_args=gthread) as server:
        ok, other, elapsed = _throughput(server.url, info["stand_ids"], args.seconds, args.clients)
        print(f"[{label}] capture: {ok} ideas saved in {elapsed:.1f} s = {ok / elapsed:.0f}/s "
              f"({args.clients} moderators in parallel, gunicorn 2 workers x 16 threads; {other} other answers)")
        latencies = _wall_latency(server.url, info["token"], info["stand_ids"][0], args.walls, args.ideas)
        print(f"[{label}] save -> wall (DB polling every 0.5 s, {args.walls} walls over 2 workers, "
              f"{len(latencies)} arrivals): median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p95 {_pct(latencies, 0.95) * 1000:.0f} ms (target p95 < 2000 ms)")
    if RedisServer.available():
        with RedisServer() as redis_server, GunicornServer(
                "wsgi:app", workers=2, cwd=ROOT, env={**env, "REDIS_URL": redis_server.url}, extra_args=gthread) as server:
            latencies = _wall_latency(server.url, info["token"], info["stand_ids"][0], args.walls, args.ideas)
            print(f"[{label}] save -> wall (Redis pub/sub wake-up, {args.walls} walls, {len(latencies)} arrivals): "
                  f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {_pct(latencies, 0.95) * 1000:.0f} ms")

    rng = random.Random(11)
    queries = [idea_text(rng) for _ in range(30)]
    with app.app_context():
        from app.extensions import db
        from app.ideas.models import Idea

        existing = db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one()
    for total in (5_000, 50_000):
        with app.app_context():
            existing = db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one()
        _bulk_ideas(app, info["stand_ids"], total - existing, seed=total)
        t = _suggestion_timings(app, info["process_id"], info["stand_ids"][0], queries)
        with GunicornServer("wsgi:app", workers=2, cwd=ROOT, env=env, extra_args=gthread) as server:
            first, _ = _http_suggestions(server.url, info["stand_ids"][0], queries[:1])
            median, p95 = _http_suggestions(server.url, info["stand_ids"][0], queries)
        print(f"[{label}] suggestions at {total:,} ideas: in process cold {t['cold'] * 1000:.0f} ms, "
              f"warm median {t['warm_median'] * 1000:.1f} ms (max {t['warm_max'] * 1000:.1f}), "
              f"after a new idea {t['after_new'] * 1000:.1f} ms; over HTTP first {first * 1000:.0f} ms, "
              f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target < 200 ms at 5,000)")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--walls", type=int, default=4)
    parser.add_argument("--ideas", type=int, default=40, help="ideas sent for the latency measurement")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ideenmarkt-bench-sqlite-") as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.sqlite", args)
    if args.sqlite_only:
        return
    from tests.support.pgcluster import PostgresCluster

    with PostgresCluster() as pg:
        run("PostgreSQL", pg.url, args)


if __name__ == "__main__":
    main()
