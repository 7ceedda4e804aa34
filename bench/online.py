"""Benchmark: online participation (issue 18) on a large process, on SQLite and on PostgreSQL.

Builds one process with one published event (10 stands, its "after" phase open, post-moderation)
and, with bulk inserts and a fixed seed, 10,000 confirmed participants, 30,000 ideas (a fifth from
the room, the rest online; some waiting for approval, hidden with a reason, merged or withdrawn,
as the moderation services leave them), 200,000 supports (one per participant and idea, popular
ideas get more) and 50,000 comments (a tenth of them replies; some pending or hidden). Then:

1. **pages**, in process with the Flask test client (the application's own work, no HTTP server):
   the public ideas of a stand (newest first and most supported first), a stand's online queue as
   its moderator sees it, and the public results of the process. One warm-up, then ``--repeat``
   requests; median and best wall time, median CPU time of this process (on SQLite it includes the
   database's work), SQL statements per request. Target: median < 300 ms.
2. **support POST through gunicorn** (``--workers`` sync workers, as ``bench/voting.py``): the
   form POST ``/participation/<link>/supports`` of the participant's list, with its session cookie
   and CSRF token. ``--supporters`` residents at once (default 100), each supporting an idea they
   have not supported yet, then pausing (uniform between half and one and a half times the mean
   pause) as a person reads on, for ``--seconds``; once for each mean pause of ``--pauses``
   (default 3 s, then 1 s: about 30 and 100 POSTs a second offered). Target: median < 50 ms. Then every
   supporter sends one more support twice at the same moment (a double click). Afterwards it
   checks that nothing was lost or doubled: the new supports equal the accepted POSTs (one row per
   participant and idea, the double click stored once) and no pair is stored twice.

A request is "accepted" when it answers 303 back to the idea (``#idea-N``); a refusal (rate limit,
closed phase) goes back without it and is counted apart. Numbers are printed beside the targets;
nothing is asserted on time.

Usage: ``python bench/online.py [--small] [--repeat 5] [--supporters 100] [--seconds 10]
[--pauses 3,1] [--workers 4] [--divide N] [--sqlite-only | --postgres-only] [--no-http]``
(``--small``: a twentieth of the sizes, 20 supporters for 2 s with a 1 s pause, 2 requests per page: the
smoke test's run.)
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
# The app's JSON request lines would bury the numbers.
os.environ.setdefault("LOG_LEVEL", "WARNING")

import sqlalchemy as sa  # noqa: E402

SEED = 20190405
SECRET = "bench-only-secret-key-online"
STANDS = 10
TAGS = 12
BATCH = 10_000
PAGE_TARGET_MS = 300
POST_TARGET_MS = 50
PASSWORD = "correct horse battery staple"
NETIQUETTE = ["Respektvoll bleiben.", "Keine Werbung.", "Keine persönlichen Daten anderer Menschen."]


@dataclass
class Sizes:
    participants: int = 10_000
    ideas: int = 30_000
    supports: int = 200_000
    comments: int = 50_000

    def scaled(self, factor: int) -> Sizes:
        return Sizes(*(max(1, n // factor) for n in (self.participants, self.ideas, self.supports, self.comments)))


@dataclass
class World:
    process_id: int
    event_id: int
    stand_ids: list[int]
    #: participant id → its link token (the random one; only its hash is stored)
    tokens: dict[int, str]
    #: ideas the public may support (visible, released), by id
    supportable: list[int]
    supported: set[tuple[int, int]] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def token_of(n: int) -> str:
    """Participant ``n``'s link token: fixed (the seed), URL-safe, without a dot (a random token)."""
    return f"bench{n:07d}" + random.Random(SEED + n).getrandbits(128).to_bytes(16, "big").hex()


def seed(sizes: Sizes) -> World:
    """Inside an app context: the process with bulk inserts (SQLAlchemy core, fixed seed)."""
    from app.core.models import utcnow
    from app.core.tokens import hash_token
    from app.events.models import Event, EventStatus, Process
    from app.extensions import db
    from app.ideas.models import Idea, IdeaChannel, IdeaStatus, IdeaTag, Moderation, Stand, Tag
    from app.participation.models import (Comment, CommentModeration, ModerationMode, OnlinePhase, OnlineSettings,
                                          Participant, PhaseKind, Support)

    rng = random.Random(SEED)
    session = db.session
    now = utcnow().replace(microsecond=0)
    start = now - timedelta(days=30)
    process = Process(title="Esslingen 4.0 online (Benchmark)")
    session.add(process)
    session.flush()
    event = Event(process_id=process.id, title="Bürgerwerkstatt", status=EventStatus.PUBLISHED.value, seats=15,
                  starts_at=start)
    session.add(event)
    session.flush()
    session.add(OnlinePhase(event_id=event.id, kind=PhaseKind.BEFORE.value, enabled=True,
                            opens_at=start - timedelta(days=30), closes_at=start - timedelta(days=1)))
    session.add(OnlinePhase(event_id=event.id, kind=PhaseKind.AFTER.value, enabled=True,
                            opens_at=start + timedelta(days=1), closes_at=now + timedelta(days=30)))
    settings = OnlineSettings(process_id=process.id, moderation=ModerationMode.POST.value)
    settings.netiquette_reasons = NETIQUETTE
    session.add(settings)
    session.execute(sa.insert(Stand), [{"event_id": event.id, "title": f"Marktstand {s + 1}", "position": s}
                                       for s in range(STANDS)])
    stand_ids = list(session.execute(sa.select(Stand.id).where(Stand.event_id == event.id)
                                     .order_by(Stand.id)).scalars())
    session.execute(sa.insert(Tag), [{"process_id": process.id, "key": f"thema{t}", "label": f"Thema {t}"}
                                     for t in range(TAGS)])
    tags = list(session.execute(sa.select(Tag.id).where(Tag.process_id == process.id).order_by(Tag.id)).scalars())

    tokens = {}
    rows = []
    for n in range(sizes.participants):
        rows.append({"process_id": process.id, "display_name": f"Bewohnerin {n}", "show_name_publicly": n % 3 == 0,
                     "email": f"bench{n}@example.org", "token_hash": hash_token(token_of(n)),
                     "consent_at": start, "confirmed_at": start + timedelta(minutes=5), "language": "de",
                     "created_at": start, "updated_at": start})
    for chunk in range(0, len(rows), BATCH):
        session.execute(sa.insert(Participant), rows[chunk:chunk + BATCH])
    participant_ids = list(session.execute(sa.select(Participant.id).where(Participant.process_id == process.id)
                                           .order_by(Participant.id)).scalars())
    tokens = {pid: token_of(n) for n, pid in enumerate(participant_ids)}

    # Ideas: a fifth from the room (recorded at the workshop), the rest online, spread over the
    # weeks before; online ones 3 % waiting for approval, 2 % hidden with a reason, 1 % withdrawn;
    # 2 % of all merged into an earlier idea of the same stand.
    rows = []
    for n in range(sizes.ideas):
        stand_id = stand_ids[n % STANDS]
        online = n % 5 != 0
        created = start - timedelta(days=28) + timedelta(seconds=n * 80 + rng.randint(0, 60))
        if not online:
            created = start + timedelta(hours=2, seconds=n % 3600)
        roll = rng.random()
        row = {"stand_id": stand_id, "text": f"Idee {n}: Termine beim Bürgeramt online buchen, auch samstags",
               "status": IdeaStatus.NEW.value, "client_id": f"bench-online-{n}", "said_by": "",
               "hidden_reason": "", "channel": IdeaChannel.ONLINE.value if online else IdeaChannel.ROOM.value,
               "participant_id": participant_ids[rng.randrange(len(participant_ids))] if online else None,
               "moderation": Moderation.VISIBLE.value, "withdrawn_at": None, "created_at": created,
               "updated_at": created}
        if online and roll < 0.03:
            row["moderation"] = Moderation.PENDING.value
        elif online and roll < 0.05:
            row["status"], row["hidden_reason"] = IdeaStatus.HIDDEN.value, NETIQUETTE[1]
        elif online and roll < 0.06:
            row["withdrawn_at"] = created + timedelta(days=1)
        rows.append(row)
    for chunk in range(0, len(rows), BATCH):
        session.execute(sa.insert(Idea), rows[chunk:chunk + BATCH])
    ideas = session.execute(sa.select(Idea.id, Idea.stand_id, Idea.status, Idea.moderation, Idea.withdrawn_at)
                            .join(Stand, Stand.id == Idea.stand_id).where(Stand.event_id == event.id)
                            .order_by(Idea.id)).all()
    visible_by_stand: dict[int, list[int]] = {s: [] for s in stand_ids}
    for idea_id, stand_id, status, moderation, withdrawn in ideas:
        if status == IdeaStatus.NEW.value and moderation == Moderation.VISIBLE.value and withdrawn is None:
            visible_by_stand[stand_id].append(idea_id)
    merges = []
    for stand_id, ids in visible_by_stand.items():
        keep = []
        for k, idea_id in enumerate(ids):
            if k > 0 and k % 50 == 7:  # merged into the idea before it (a survivor: not itself merged)
                merges.append({"id": idea_id, "status": IdeaStatus.MERGED.value, "merged_into_id": keep[-1]})
            else:
                keep.append(idea_id)
        visible_by_stand[stand_id] = keep
    if merges:
        session.execute(sa.update(Idea), merges)
    links = [{"idea_id": idea_id, "tag_id": tags[k % TAGS]} for k, (idea_id, *_rest) in enumerate(ideas) if k % 2 == 0]
    for chunk in range(0, len(links), BATCH):
        session.execute(sa.insert(IdeaTag), links[chunk:chunk + BATCH])
    supportable = sorted(i for ids in visible_by_stand.values() for i in ids)

    # Supports: one per participant and idea; popular ideas draw more (Pareto over the ideas).
    supported: set[tuple[int, int]] = set()
    rows = []
    attempts = 0
    while len(supported) < sizes.supports and attempts < sizes.supports * 5:
        attempts += 1
        participant = participant_ids[rng.randrange(len(participant_ids))]
        idea = supportable[int(rng.paretovariate(0.6) * 5) % len(supportable)]
        if (participant, idea) in supported:
            continue
        supported.add((participant, idea))
        when = start + timedelta(days=1, seconds=rng.randint(0, 29 * 86400 - 1))
        rows.append({"participant_id": participant, "idea_id": idea, "created_at": min(when, now)})
        if len(rows) >= BATCH:
            session.execute(sa.insert(Support), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Support), rows)

    # Comments: nine in ten on an idea, one in ten a reply to a top-level comment of the same idea;
    # 3 % pending, 2 % hidden with a reason.
    def comment_row(idea_id: int, parent_id: int | None, n: int) -> dict:
        when = min(now, start + timedelta(days=1, seconds=rng.randint(0, 29 * 86400 - 1)))
        roll = rng.random()
        return {"idea_id": idea_id, "participant_id": participant_ids[rng.randrange(len(participant_ids))],
                "parent_id": parent_id, "text": f"Kommentar {n}: Das würde vielen Menschen helfen.",
                "moderation": CommentModeration.PENDING.value if roll < 0.03 else CommentModeration.VISIBLE.value,
                "hidden_at": when if 0.03 <= roll < 0.05 else None,
                "hidden_reason": NETIQUETTE[0] if 0.03 <= roll < 0.05 else "", "created_at": when, "updated_at": when}

    top = sizes.comments - sizes.comments // 10
    rows = [comment_row(supportable[int(rng.paretovariate(0.6) * 3) % len(supportable)], None, n) for n in range(top)]
    for chunk in range(0, len(rows), BATCH):
        session.execute(sa.insert(Comment), rows[chunk:chunk + BATCH])
    parents = session.execute(sa.select(Comment.id, Comment.idea_id).join(Idea, Idea.id == Comment.idea_id)
                              .join(Stand, Stand.id == Idea.stand_id).where(Stand.event_id == event.id)
                              .order_by(Comment.id)).all()
    rows = []
    for n in range(top, sizes.comments):
        parent_id, idea_id = parents[rng.randrange(len(parents))]
        rows.append(comment_row(idea_id, parent_id, n))
    for chunk in range(0, len(rows), BATCH):
        session.execute(sa.insert(Comment), rows[chunk:chunk + BATCH])
    session.commit()
    counts = {name: session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
              for name, model in (("participants", Participant), ("ideas", Idea), ("supports", Support),
                                  ("comments", Comment))}
    return World(process.id, event.id, stand_ids, tokens, supportable, supported, counts)


def staff(app) -> None:
    """A moderator of the first stand (the queue's visitor)."""
    from app.accounts import services as accounts
    from app.extensions import db
    from app.ideas.models import StandModerator

    with app.app_context():
        user = accounts.create_user("moderator@example.org", "Moderatorin", PASSWORD, ("moderator",))
        db.session.flush()
        from app.ideas.models import Stand
        first = db.session.execute(sa.select(Stand.id).order_by(Stand.id).limit(1)).scalar_one()
        db.session.add(StandModerator(stand_id=first, user_id=user.id))
        db.session.commit()


def analyse(engine) -> None:
    """What autovacuum would have done on a running site (statistics, visibility map)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            conn.execute(sa.text("VACUUM"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def time_pages(app, world: World, repeat: int) -> list[tuple[str, float]]:
    from app.extensions import db

    client = app.test_client()
    response = client.post("/login", data={"email": "moderator@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    p, s = world.process_id, world.stand_ids[0]
    pages = [
        ("stand page, newest first", f"/processes/{p}/stands/{s}/ideas", False),
        ("stand page, most supported", f"/processes/{p}/stands/{s}/ideas?sort=supported", False),
        ("stand page, page 50", f"/processes/{p}/stands/{s}/ideas?page=50", False),
        ("online queue (moderator)", f"/stands/{s}/online", True),
        ("results of the process", f"/processes/{p}/results", False),
    ]
    anonymous = app.test_client()
    with app.app_context():
        engine = db.engine
    results = []
    print(f"  {'page':30} {'median':>8} {'best':>8} {'CPU':>8} {'SQL':>5} {'KiB':>6}   target")
    for name, path, as_moderator in pages:
        visitor = client if as_moderator else anonymous
        statements = []

        def count(*_args, _statements=statements):
            _statements.append(1)

        response = visitor.get(path)  # warm up: templates, translations, statement caches
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        times, cpu = [], []
        for _ in range(max(1, repeat)):
            statements.clear()
            sa.event.listen(engine, "before_cursor_execute", count)
            started, started_cpu = time.perf_counter(), time.process_time()
            response = visitor.get(path)
            body = response.get_data()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            sa.event.remove(engine, "before_cursor_execute", count)
            assert response.status_code == 200, (path, response.status_code)
        median = statistics.median(times)
        results.append((name, median))
        print(f"  {name:30} {median * 1000:5.0f} ms {min(times) * 1000:5.0f} ms {statistics.median(cpu) * 1000:5.0f} ms "
              f"{len(statements):5d} {len(body) / 1024:6.0f}   < {PAGE_TARGET_MS} ms "
              f"{'met' if median * 1000 < PAGE_TARGET_MS else 'NOT MET'}")
    return results


# ---------------------------------------------------------------- the support POST through gunicorn


def _session_cookie(raw_csrf: str) -> tuple[str, str]:
    """A session cookie holding a CSRF token, and the token the form carries (as a browser has them
    after opening the participant's list)."""
    from flask import Flask
    from itsdangerous import URLSafeTimedSerializer

    app = Flask(__name__, root_path=str(ROOT))
    app.secret_key = SECRET
    cookie = app.session_interface.get_signing_serializer(app).dumps({"csrf_token": raw_csrf})
    token = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw_csrf)
    return f"ideenmarkt_session={cookie}", token


def _raw_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", f"Content-Length: {len(body)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _post(port: int, raw: bytes) -> tuple[bool, int, float]:
    """(accepted, status, latency in s): accepted is a 303 back to the idea (``#idea-N``)."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        writer.write_eof()  # the request is complete: gunicorn need not wait for this side
        response = await reader.read()
    finally:
        writer.close()
    latency = time.perf_counter() - started
    status = int(response[9:12]) if response.startswith(b"HTTP/1.") else 0
    head = response.split(b"\r\n\r\n", 1)[0]
    accepted = status == 303 and b"#idea-" in head
    return accepted, status, latency


@dataclass
class Supporter:
    participant_id: int
    token: str
    cookie: str
    csrf: str
    ideas: list[int]


def supporters(world: World, count: int, rng: random.Random) -> list[Supporter]:
    """``count`` participants, each with ideas they do not support yet (a fresh pair per POST)."""
    chosen = rng.sample(sorted(world.tokens), count)
    result = []
    for participant_id in chosen:
        fresh = [i for i in rng.sample(world.supportable, min(len(world.supportable), 400))
                 if (participant_id, i) not in world.supported]
        cookie, csrf = _session_cookie(secrets.token_hex(20))
        result.append(Supporter(participant_id, world.tokens[participant_id], cookie, csrf, fresh))
    return result


def _request(port: int, who: Supporter, idea_id: int):
    body = urllib.parse.urlencode({"idea_id": idea_id, "action": "support", "csrf_token": who.csrf}).encode()
    return _post(port, _raw_post(f"/participation/{who.token}/supports", body,
                                 {"Cookie": who.cookie, "Content-Type": "application/x-www-form-urlencoded"}))


def drive(port: int, people: list[Supporter], seconds: float, pause: float, rng: random.Random) -> dict:
    """Every supporter supports a fresh idea, pauses, and again, for ``seconds``; then each sends
    one more support twice at once (a double click)."""
    latencies: list[float] = []
    accepted: list[tuple[int, int]] = []
    refused: dict[int, int] = {}
    doubled: list[tuple[int, int]] = []
    doubled_accepted = [0]

    async def person(who: Supporter, stop_at: float) -> None:
        await asyncio.sleep(rng.uniform(0, pause))  # people do not all click at the same instant
        while time.perf_counter() < stop_at and len(who.ideas) > 1:
            idea_id = who.ideas.pop()
            ok, status, latency = await _request(port, who, idea_id)
            latencies.append(latency)
            if ok:
                accepted.append((who.participant_id, idea_id))
            else:
                refused[status] = refused.get(status, 0) + 1
            await asyncio.sleep(rng.uniform(0.5 * pause, 1.5 * pause))

    async def double_click(who: Supporter) -> None:
        idea_id = who.ideas.pop()
        answers = await asyncio.gather(_request(port, who, idea_id), _request(port, who, idea_id))
        doubled.append((who.participant_id, idea_id))
        doubled_accepted[0] += sum(1 for ok, _status, _latency in answers if ok)

    async def run() -> None:
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(person(who, stop_at) for who in people))
        await asyncio.gather(*(double_click(who) for who in people if who.ideas))

    asyncio.run(run())
    return {"latencies": latencies, "accepted": accepted, "refused": refused, "doubled": doubled,
            "doubled_accepted": doubled_accepted[0]}


def time_support_post(label: str, url: str, instance: Path, world: World, args) -> None:
    from tests.support.servers import GunicornServer

    env = {"DATABASE_URL": url, "SECRET_KEY": SECRET, "IDEENMARKT_ENV": "development",
           "IDEENMARKT_INSTANCE": str(instance), "IDEENMARKT_MAIL_RETRY_INTERVAL": "-1", "LOG_LEVEL": "WARNING"}
    rng = random.Random(SEED + 1)
    people = supporters(world, min(args.supporters, len(world.tokens)), rng)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM support")).scalar_one()
    with GunicornServer("wsgi:app", workers=args.workers, cwd=ROOT, env=env,
                        extra_args=["--timeout", "120", "--backlog", "4096"]) as server:
        server.wait_for_workers(args.workers)
        # Warm up every worker (first requests prepare statements, load templates); their supports count too.
        warm = drive(server.port, people[:min(8, len(people))], 1.0, 0.05, rng)
        phases = [(pause, drive(server.port, people, args.seconds, pause, rng)) for pause in args.pauses]
    with engine.connect() as conn:
        after = conn.execute(sa.text("SELECT count(*) FROM support")).scalar_one()
        twice = conn.execute(sa.text("SELECT count(*) FROM (SELECT participant_id, idea_id FROM support "
                                     "GROUP BY participant_id, idea_id HAVING count(*) > 1) t")).scalar_one()
        runs = [warm] + [result for _pause, result in phases]
        pairs = [pair for run in runs for pair in run["accepted"] + run["doubled"]]
        stored = 0
        for chunk in range(0, len(pairs), 500):
            part = pairs[chunk:chunk + 500]
            condition = " OR ".join(f"(participant_id = {p} AND idea_id = {i})" for p, i in part)
            stored += conn.execute(sa.text(f"SELECT count(*) FROM support WHERE {condition}")).scalar_one()
    engine.dispose()
    for pause, result in phases:
        latencies = sorted(result["latencies"])
        median = statistics.median(latencies) if latencies else float("nan")
        p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else float("nan")
        rate = len(latencies) / args.seconds
        print(f"  support POST, gunicorn {args.workers} sync workers, {len(people)} supporters, pause ~{pause:g} s, "
              f"{args.seconds:g} s: {len(latencies)} POSTs ({rate:.0f}/s), median {median * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000 if latencies else float('nan'):.1f} ms   "
              f"target median < {POST_TARGET_MS} ms {'met' if median * 1000 < POST_TARGET_MS else 'NOT MET'}")
    accepted = sum(len(run["accepted"]) for run in runs)
    doubled = sum(len(run["doubled"]) for run in runs)
    refused: dict[int, int] = {}
    for run in runs:
        for status, n in run["refused"].items():
            refused[status] = refused.get(status, 0) + n
    added = after - before
    ok = added == accepted + doubled and stored == accepted + doubled and twice == 0
    print(f"  check: supports added {added} == accepted POSTs {accepted} + double clicks {doubled} "
          f"(sent twice each, {sum(run['doubled_accepted'] for run in runs)} answers accepted); "
          f"every accepted pair stored: {stored}; pairs stored twice: {twice}; refused: {refused or 'none'}")
    print(f"  {label}: {'nothing lost or doubled' if ok else 'MISMATCH: supports lost or doubled'}")
    if not ok:
        raise SystemExit(1)


def run(label: str, url: str, args) -> None:
    from app import create_app
    from app.extensions import db
    from config import TestingConfig

    sizes = Sizes().scaled(args.divide)
    with tempfile.TemporaryDirectory(prefix="ideenmarkt-bench-online-") as instance:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance,
                         WTF_CSRF_ENABLED=False, SECRET_KEY=SECRET)
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            world = seed(sizes)
            seeded = time.perf_counter() - started
            analyse(db.engine)
        staff(app)
        print(f"\n{label}: seeded {world.counts} in {seeded:.1f} s "
              f"(one process, one event, {STANDS} stands; {os.cpu_count()} CPUs shared with the database)")
        time_pages(app, world, args.repeat)
        with app.app_context():
            db.engine.dispose()
        if not args.no_http:
            time_support_post(label, url, Path(instance), world, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a twentieth of the sizes, a short POST phase")
    parser.add_argument("--divide", type=int, default=1, help="divide the sizes by this (--small: 20)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--supporters", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--pauses", default=None, help="mean pauses of a supporter between POSTs (s), one phase "
                        "each (default 3,1; --small: 1)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--no-http", action="store_true", help="pages only, no gunicorn")
    args = parser.parse_args()
    if args.supporters is None:
        args.supporters = 20 if args.small else 100
    if args.seconds is None:
        args.seconds = 2.0 if args.small else 10.0
    args.pauses = [float(p) for p in (args.pauses or ("1" if args.small else "3,1")).split(",") if p.strip()]
    if args.small:
        args.repeat = min(args.repeat, 2)
    if args.small:
        args.divide = 20
    sizes = Sizes().scaled(args.divide)
    print(f"{sizes.participants:,} participants, {sizes.ideas:,} ideas, {sizes.supports:,} supports, "
          f"{sizes.comments:,} comments in one process")
    if not args.postgres_only:
        with tempfile.TemporaryDirectory(prefix="ideenmarkt-bench-sqlite-") as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.sqlite", args)
    if args.sqlite_only:
        return
    from tests.support.pgcluster import PostgresCluster

    with PostgresCluster() as pg:
        run("PostgreSQL", pg.url, args)


if __name__ == "__main__":
    main()
