"""Load and failure test against the production stack (not part of the test suite).

Starts a throwaway PostgreSQL 15 cluster, Redis, a loopback SMTP server and the production
stack of ``scripts/serve-prod.sh`` (nginx → gunicorn gthread workers), seeds a held
workshop (three stands with their moderators, open voting, tickets) and an event open for
applications, then runs at the same time:

* residents: open the application form and apply (one application each, retried like a
  person who presses "send" again after an error page);
* moderators: log in and capture ideas through the capture page's JSON API (retried with
  the same ``client_id``, as capture.js does);
* participants: open their ticket link and place dots through the ballot's JSON API;
* a projector wall: keeps the event stream open, reconnecting with ``Last-Event-ID``.

It prints throughput, latency percentiles and errors per action, then checks consistency
(every accepted application, idea and dot stored exactly once, nothing extra, every
accepted idea seen by the wall). Scenarios disturb the run a third of the way in:

``normal``      nothing happens
``pg-restart``  PostgreSQL is shut down for a few seconds and started again; pages must
                answer the friendly 503 while it is down, and work again after
``redis-stop``  Redis stops for good; the site keeps working (limits in worker memory)
``smtp-down``   the SMTP server stops; mail waits in the outbox and is delivered once it
                is back (``flask mail send-pending``)
``worker-kill`` every original gunicorn worker is SIGKILLed, one after the other; the
                others keep serving, the master starts new ones, the wall reconnects
``attack``      the attacks of issue 14 at once, from a third of the run to its end, with the
                site's real login, password and code limits: ``--sse`` wall streams opened
                through the live path the wall page names (nchan; the in-app stream if none),
                wrong-password logins from rotating X-Forwarded-For addresses, and voting-code
                guesses; it reports how many logins and guesses were let through (checked,
                not refused with 429) and whether a guess hit a real code

Every scenario probes ``/`` and ``/healthz`` a few times a second from start to end, so the
page latency under attack stands beside the normal run's (``probe /``, ``probe /healthz``).

``machines`` (root; not part of ``all``) several machines in network namespaces
                (tests/support/netns.py): a load balancer, two app hosts (serve-prod.sh
                each, with a job worker), a PostgreSQL host and a Redis host. The people go
                through the load balancer, a wall is open on each app host; a third of the way
                in, app host 1 fails in the middle of a lottery preview job (``HostFailure``).
                Checked besides: the wall on host 2 got every idea, wrong codes from one
                address were limited once across the hosts, host 2 finished the job.
                tests/deploy/test_several_machines.py runs it small.

Usage: ``python bench/load.py [--scenario all|normal|pg-restart|...|machines] [--residents 150]
[--moderators 3] [--ideas 30] [--participants 60] [--dots 5] [--concurrency 16] [--sse 300]
[--attackers 8]``
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.support.pgcluster import PostgresCluster  # noqa: E402
from tests.support.prodstack import ProductionStack  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402
from tests.support.smtp import SMTPCatcher  # noqa: E402

PASSWORD = "Kaffee und Kuchen am Flussufer 19"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SCENARIOS = ("normal", "pg-restart", "redis-stop", "smtp-down", "worker-kill", "attack")


def address(target) -> tuple[str, int]:
    """Where to connect: a port on loopback, or ``(host, port)`` of another machine (``machines``)."""
    return target if isinstance(target, tuple) else ("127.0.0.1", target)


class Transient(Exception):
    """A request that failed in a way a person would simply retry (5xx, connection lost)."""


class Client:
    """One simulated browser: a keep-alive connection through nginx, cookies, timings."""

    def __init__(self, port: int, stats: Stats, action: str):
        self.port, self.stats, self.action = port, stats, action
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                action: str | None = None) -> tuple[int, dict, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(*address(self.port), timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            self.stats.record(action or self.action, time.perf_counter() - started, f"conn:{type(exc).__name__}")
            raise Transient(str(exc)) from None
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        status = response.status
        self.stats.record(action or self.action, time.perf_counter() - started, status)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        if status >= 500:
            if "Traceback" in text:
                self.stats.tracebacks += 1
            if status == 503 and "nicht verfügbar" in text or "nicht erreichbar" in text:
                self.stats.friendly_5xx += 1
            raise Transient(f"{status}")
        return status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path: str, fields: dict, **kw):
        return self.request("POST", path, urllib.parse.urlencode(fields).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **kw.pop("headers", {})}, **kw)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.tracebacks = 0
        self.friendly_5xx = 0
        self.started = time.perf_counter()

    def record(self, action: str, seconds: float, status) -> None:
        with self.lock:
            self.latencies[action].append(seconds)
            self.statuses[action][status] += 1

    def report(self) -> None:
        elapsed = time.perf_counter() - self.started
        total = sum(len(v) for v in self.latencies.values())
        print(f"  {total} requests in {elapsed:.1f} s = {total / elapsed:.0f} requests/s")
        print(f"  {'action':<26}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
        for action in sorted(self.latencies):
            values = sorted(self.latencies[action])
            def pct(p: float) -> float:
                return values[min(len(values) - 1, int(p * len(values)))] * 1000
            statuses = ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses[action].items(), key=str))
            print(f"  {action:<26}{len(values):>9}{pct(0.5):>9.0f}{pct(0.95):>9.0f}{pct(0.99):>9.0f}  {statuses}")


def retry(fn, attempts: int = 40, pause: float = 0.25):
    """Call ``fn`` until it does not raise :class:`Transient` (a person pressing again)."""
    for attempt in range(attempts):
        try:
            return fn()
        except Transient:
            if attempt == attempts - 1:
                raise
            time.sleep(pause)


# ------------------------------------------------------------------ the simulated people

def resident(port: int, stats: Stats, event_id: int, n: int, accepted: list, failed: list) -> None:
    email = f"resident{n}.{secrets.token_hex(3)}@bench.example"

    def once():
        client = Client(port, stats, "apply")
        _, _, page = client.get(f"/events/{event_id}/apply", action="apply-form")
        fields = {"csrf_token": TOKEN.search(page).group(1), "name": f"Resident {n}", "email": email,
                  "consent": "y"}
        for name, value in re.findall(r'name="(criterion_\d+)"[^>]*value="(\d+)"', page):
            fields.setdefault(name, value) if random.random() < 0.5 else fields.__setitem__(name, value)
        status, headers, _ = client.post_form(f"/events/{event_id}/apply", fields)
        client.close()
        return status, headers.get("location", "")

    try:
        status, location = retry(once)
    except Transient:
        failed.append(email)
        return
    (accepted if status == 302 and location.endswith("/apply/sent") else failed).append(email)


def moderator(port: int, stats: Stats, email: str, stand_id: int, count: int, accepted: dict, failed: list,
              pace: float) -> None:
    client = Client(port, stats, "capture")

    def login():
        client.cookies.clear()
        _, _, page = client.get("/login", action="login")
        status, _, _ = client.post_form("/login", {"csrf_token": TOKEN.search(page).group(1), "email": email,
                                                    "password": PASSWORD}, action="login")
        assert status == 302, status
        _, _, capture = client.get(f"/stands/{stand_id}/capture", action="capture-page")
        return META_TOKEN.search(capture).group(1)

    token = retry(login)
    for i in range(count):
        client_id = str(uuid.uuid4())
        body = json.dumps({"text": f"Idee {i} von {email.split('@')[0]} #bench", "client_id": client_id}).encode()

        def send():
            status, _, text = client.request("POST", f"/stands/{stand_id}/ideas.json", body, {
                "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token})
            return status, text

        try:
            status, text = retry(send)
        except Transient:
            failed.append(client_id)
            continue
        if status in (200, 201):
            accepted[client_id] = json.loads(text)["idea"]["id"]
        else:
            failed.append(client_id)
        time.sleep(pace)


def participant(port: int, stats: Stats, event_id: int, code: str, dots: int, result: dict) -> None:
    client = Client(port, stats, "dot")

    def enter():
        client.cookies.clear()
        status, headers, _ = client.get(f"/events/{event_id}/vote/t/{code}", action="ticket")
        _, _, ballot = client.get(f"/events/{event_id}/vote", action="ballot")
        ideas = sorted({int(i) for i in re.findall(r'name="idea_id" value="(\d+)"', ballot)})
        if status != 302 or not ideas:
            raise Transient(f"ticket link answered {status}, {len(ideas)} ideas on the ballot")
        return TOKEN.search(ballot).group(1), ideas

    accepted = unknown = 0
    try:
        token, ideas = retry(enter)
    except Transient:
        result[code] = (0, 0)
        return
    for _ in range(dots):
        try:
            status, _, text = client.post_form(f"/events/{event_id}/vote/dots",
                                               {"csrf_token": token, "op": "add", "idea_id": random.choice(ideas)},
                                               headers={"Accept": "application/json"})
        except Transient:
            unknown += 1  # it may or may not have been stored before the failure
            time.sleep(0.3)
            continue
        if status == 200:
            accepted += 1
    result[code] = (accepted, unknown)


class Wall(threading.Thread):
    """A projector wall: the event stream, reconnecting with Last-Event-ID like EventSource.

    With ``catch_up`` it also does what live.js does on nginx's live path: it asks the feed
    (``/wall/<secret>/changes``) for what came after its last change every
    ``data-catch-up-seconds`` of the page, so an idea whose publish was lost still appears.
    ``streamed`` holds the ideas the stream brought, ``seen`` those from the feed too.
    """

    def __init__(self, port, token: str, catch_up: bool = False):
        super().__init__(daemon=True)
        self.port, self.token, self.catch_up = port, token, catch_up
        self.seen: set[int] = set()
        self.streamed: set[int] = set()
        self.last_id = "0"
        self.last_change = 0
        self.connections = 0
        self.stop_event = threading.Event()

    def stream_path(self) -> str:
        """Where the wall page subscribes: nginx's live path (nchan) or the app's own stream."""
        conn = http.client.HTTPConnection(*address(self.port), timeout=35)
        conn.request("GET", f"/wall/{self.token}")
        page = conn.getresponse().read().decode(errors="replace")
        conn.close()
        match = re.search(r'data-live-url="([^"]+)"', page)
        seconds = re.search(r'data-catch-up-seconds="([0-9.]+)"', page)
        if self.catch_up and match and seconds:
            threading.Thread(target=self._catch_up, args=(float(seconds.group(1)),), daemon=True).start()
        return match.group(1) if match else f"/wall/{self.token}/stream"

    def _catch_up(self, seconds: float) -> None:
        while not self.stop_event.wait(seconds):
            try:
                more = True
                while more:
                    conn = http.client.HTTPConnection(*address(self.port), timeout=10)
                    conn.request("GET", f"/wall/{self.token}/changes?after={self.last_change}")
                    batch = json.loads(conn.getresponse().read())
                    conn.close()
                    self.seen.update(change["idea"]["id"] for change in batch["changes"] if change.get("idea"))
                    self.last_change = max(self.last_change, int(batch.get("last") or 0))
                    more = batch.get("more")
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                pass

    def run(self) -> None:
        path = None
        while not self.stop_event.is_set():
            try:
                path = path or self.stream_path()
                conn = http.client.HTTPConnection(*address(self.port), timeout=35)
                conn.request("GET", path, headers={"Last-Event-ID": self.last_id,
                                                                          "Accept": "text/event-stream"})
                response = conn.getresponse()
                self.connections += 1
                if response.status != 200:
                    response.read()
                    raise OSError(response.status)
                event_id = None
                while not self.stop_event.is_set():
                    line = response.readline()  # chunked decoding: b"" when the stream ends
                    if not line:
                        break
                    line = line.decode(errors="replace").rstrip("\n")
                    if line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: ") and line != "data: {}":
                        idea_id = int(json.loads(line[6:])["id"])
                        self.streamed.add(idea_id)
                        self.seen.add(idea_id)
                    elif line == "" and event_id:
                        self.last_id = event_id
                conn.close()
            except (OSError, http.client.HTTPException, ValueError):
                time.sleep(1.5)  # EventSource's retry


class Prober(threading.Thread):
    """A visitor who reloads the start page and the health check: the latency everybody feels."""

    def __init__(self, port: int, stats: Stats):
        super().__init__(daemon=True)
        self.client = Client(port, stats, "probe")
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            for path in ("/", "/healthz"):
                try:
                    self.client.get(path, action=f"probe {path}")
                except Transient:
                    pass
            time.sleep(0.2)


class Attack:
    """The attacks of issue 14, run together: held wall streams, a login flood, code guessing."""

    def __init__(self, port: int, stats: Stats, world: dict, streams: int, attackers: int):
        self.port, self.stats, self.world = port, stats, world
        self.streams, self.attackers = streams, attackers
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self.held = 0
        self.lock = threading.Lock()
        self.hits = 0
        self.codes = set(world["codes"])

    def start(self) -> None:
        status, _, page = Client(self.port, Stats(), "wall page").get(f"/wall/{self.world['wall']}")
        match = re.search(r'data-live-url="([^"]+)"', page)
        self.stream_path = match.group(1) if match else f"/wall/{self.world['wall']}/stream"
        for _ in range(self.streams):
            self._spawn(self._hold_stream)
        for n in range(self.attackers):
            self._spawn(self._login_flood, n)
            self._spawn(self._guess_codes, n)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _hold_stream(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("GET", self.stream_path, headers={"Accept": "text/event-stream"})
                response = conn.getresponse()
                if response.status != 200:
                    self.stats.record("attack stream", 0, response.status)
                    conn.close()
                    time.sleep(1)
                    continue
                with self.lock:
                    self.held += 1
                while not self.stop_event.is_set() and response.readline():
                    pass
                with self.lock:
                    self.held -= 1
                conn.close()
            except (OSError, http.client.HTTPException):
                time.sleep(1)

    def _login_flood(self, n: int) -> None:
        client = Client(self.port, self.stats, "attack login")
        count = 0
        while not self.stop_event.is_set():
            count += 1
            address = f"203.0.{n}.{count % 250 + 1}"
            try:
                _, _, page = client.get("/login", action="attack login page",
                                        headers={"X-Forwarded-For": address})
                token = TOKEN.search(page)
                client.post_form("/login", {"csrf_token": token.group(1) if token else "",
                                            "email": self.world["moderators"][count % len(self.world["moderators"])][0],
                                            "password": f"falsch-{secrets.token_hex(6)}"},
                                 headers={"X-Forwarded-For": address})
            except Transient:
                time.sleep(0.2)

    def _guess_codes(self, n: int) -> None:
        # Half the guessers rotate their X-Forwarded-For address (a botnet), half keep one address.
        rotating = n % 2 == 0
        action = "attack guess rotating" if rotating else "attack guess one address"
        client = Client(self.port, self.stats, action)
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        length = len(self.world["codes"][0]) if self.world["codes"] else 8
        while not self.stop_event.is_set():
            guess = "".join(random.choice(alphabet) for _ in range(length))
            try:
                address = f"198.51.{n}.{random.randint(1, 250) if rotating else 1}"
                status, _, _ = client.get(f"/events/{self.world['workshop']}/vote/t/{guess}",
                                          headers={"X-Forwarded-For": address})
            except Transient:
                time.sleep(0.2)
                continue
            if status == 200 and guess in self.codes:
                with self.lock:
                    self.hits += 1

    def stop(self) -> list[str]:
        held = self.held
        self.stop_event.set()
        logins = self.stats.statuses.get("attack login", Counter())
        rotating = self.stats.statuses.get("attack guess rotating", Counter())
        single = self.stats.statuses.get("attack guess one address", Counter())
        through = lambda counter: sum(v for k, v in counter.items() if k != 429)  # noqa: E731
        return [f"attack: {self.streams} wall streams on {self.stream_path.rsplit('/', 1)[0]}/… "
                f"({held} held at the end)",
                f"attack: wrong-password logins let through {through(logins)} of {sum(logins.values())} "
                f"(the rest refused with 429)",
                f"attack: code guesses let through from one address {through(single)} of "
                f"{sum(single.values())}, from rotating addresses {through(rotating)} of "
                f"{sum(rotating.values())}; real codes hit {self.hits}"]


class Load:
    """The residents, moderators and participants of one run, all at once against ``target``
    (``args.concurrency`` at a time); ``done["work"]`` counts what is finished, of ``total``."""

    def __init__(self, target, stats: Stats, world: dict, args) -> None:
        self.target, self.stats, self.world, self.args = target, stats, world, args
        self.applied, self.apply_failed, self.captured, self.capture_failed, self.votes = [], [], {}, [], {}
        self.done = Counter()
        self.total = args.residents + len(world["codes"]) + args.moderators * args.ideas

    def _tracked(self, fn, *a, weight=1) -> None:
        fn(*a)
        self.done["work"] += weight

    def run(self) -> None:
        args, world, target, stats = self.args, self.world, self.target, self.stats
        with ThreadPoolExecutor(args.concurrency + args.moderators) as pool:
            futures = [pool.submit(self._tracked, moderator, target, stats, email, stand_id, args.ideas,
                                   self.captured, self.capture_failed, args.pace, weight=args.ideas)
                       for email, stand_id in world["moderators"][:args.moderators]]
            people = [(resident, (target, stats, world["event"], n, self.applied, self.apply_failed))
                      for n in range(args.residents)]
            people += [(participant, (target, stats, world["workshop"], code, args.dots, self.votes))
                       for code in world["codes"]]
            random.shuffle(people)
            futures += [pool.submit(self._tracked, fn, *fn_args) for fn, fn_args in people]
            for future in futures:
                future.result()

    def add(self, other: Load) -> None:
        """Count what ``other`` (a later round) accepted and refused as this run's."""
        self.applied += other.applied
        self.apply_failed += other.apply_failed
        self.captured.update(other.captured)
        self.capture_failed += other.capture_failed
        self.votes.update(other.votes)

    def summary(self) -> str:
        votes = self.votes.values()
        return (f"applications accepted {len(self.applied)} (failed {len(self.apply_failed)}), ideas accepted "
                f"{len(self.captured)} (failed {len(self.capture_failed)}), dots accepted "
                f"{sum(a for a, _ in votes)} (unknown {sum(u for _, u in votes)})")


# ------------------------------------------------------------------ setup and checks

def seed(app, participants: int) -> dict:
    from app.accounts import services as accounts
    from app.core.models import utcnow
    from app.demo import load_demo
    from app.events.models import Criterion, CriterionOption, Event, Process
    from app.extensions import db
    from app.ideas import services as ideas
    from app.ideas.models import Stand
    from app.voting.base import ensure_settings
    from app.voting.state import open_voting
    from app.voting.tickets import issue_ticket

    with app.app_context():
        load_demo()
        workshop = db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
        stands = db.session.execute(sa.select(Stand).where(Stand.event_id == workshop.id)
                                    .order_by(Stand.position)).scalars().all()
        moderators = []
        for i, stand in enumerate(stands):
            user = accounts.create_user(f"bench.moderator{i}@bench.example", f"Bench Moderator {i}", PASSWORD,
                                        ["moderator"])
            stand.moderators.append(user)
            moderators.append((user.email, stand.id))
        settings = ensure_settings(workshop)
        settings.dots_per_ticket = 5
        open_voting(workshop)
        codes = [issue_ticket(workshop, kind="walk_in", holder_name=f"P{n}").code for n in range(participants)]
        now = utcnow()
        process = db.session.execute(sa.select(Process)).scalars().first()
        event = Event(process=process, title="Bench workshop", seats=15, status="open", consent_text="Ja.",
                      starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3),
                      applications_open_at=now - timedelta(days=1), applications_close_at=now + timedelta(days=20))
        db.session.add(event)
        for position, (key, values) in enumerate({"alter": ("jung", "alt"), "ort": ("innen", "aussen")}.items()):
            criterion = Criterion(event=event, key=key, label=key.title(), position=position)
            for index, value in enumerate(values):
                criterion.options.append(CriterionOption(value=value, label=value, min_seats=0, max_seats=15,
                                                         position=index))
            db.session.add(criterion)
        token = ideas.wall_link(workshop).token
        db.session.commit()
        return {"workshop": workshop.id, "event": event.id, "moderators": moderators, "codes": codes,
                "wall": token, "dots_per_ticket": settings.dots_per_ticket}


def check(app, world: dict, applied: list, apply_failed: list, captured: dict, votes: dict, wall: Wall) -> list[str]:
    """Exactly-once checks; returns the problems found."""
    from app.events.models import Application
    from app.extensions import db
    from app.ideas.models import Idea
    from app.voting.models import Dot, Ticket

    problems = []
    with app.app_context():
        emails = Counter(db.session.execute(sa.select(Application.email).where(
            Application.event_id == world["event"])).scalars())
        for email in applied:
            if emails[email] != 1:
                problems.append(f"accepted application {email} stored {emails[email]} times")
        extra = set(emails) - set(applied) - set(apply_failed)
        if extra or any(count > 1 for count in emails.values()):
            problems.append(f"applications stored that nobody sent, or twice: {sorted(extra)[:5]}")
        stored = Counter(db.session.execute(sa.select(Idea.client_id).where(Idea.text.contains("#bench") |
                                                                             Idea.client_id.in_(captured))).scalars())
        for client_id in captured:
            if stored[client_id] != 1:
                problems.append(f"accepted idea {client_id} stored {stored[client_id]} times")
        dots = dict(db.session.execute(sa.select(Ticket.code, sa.func.count(Dot.id)).join(Dot, Dot.ticket_id == Ticket.id)
                                       .where(Ticket.event_id == world["workshop"]).group_by(Ticket.code)).all())
        for code, (accepted, unknown) in votes.items():
            have = dots.get(code, 0)
            if not accepted <= have <= min(accepted + unknown, world["dots_per_ticket"]):
                problems.append(f"ticket {code}: {accepted} dots accepted (+{unknown} unknown), {have} stored")
        db.session.remove()
    deadline = time.monotonic() + 15
    missing = set(captured.values()) - wall.seen
    while missing and time.monotonic() < deadline:
        time.sleep(0.2)
        missing = set(captured.values()) - wall.seen
    if missing:
        problems.append(f"{len(missing)} accepted ideas never reached the wall")
    return problems


def run(scenario: str, args, pg: PostgresCluster) -> bool:
    print(f"\n=== scenario: {scenario} ===")
    from app import create_app
    from app.core import mail
    from app.core.models import OutboxMail
    from config import TestingConfig

    url = pg.create_database(f"bench_{scenario.replace('-', '_')}_{secrets.token_hex(3)}")
    redis, smtp = RedisServer().start(), SMTPCatcher().start()
    env = {"MAIL_SERVER": smtp.host, "MAIL_PORT": str(smtp.port), "IDEENMARKT_APPLY_RATE_LIMIT": "100000 per minute",
           "IDEENMARKT_MAIL_RETRY_INTERVAL": "5", "IDEENMARKT_MAIL_RETRY_BASE_SECONDS": "1",
           # The attack meets the site's real limits; the residents and participants (all from one
           # loopback address) do not have to.
           "IDEENMARKT_VOTING_CODE_RATE_LIMIT": "100000 per minute"}
    if scenario == "attack":
        env.pop("IDEENMARKT_VOTING_CODE_RATE_LIMIT")
    else:
        env.update({"IDEENMARKT_LOGIN_RATE_LIMIT": "100000 per minute",
                    "IDEENMARKT_PASSWORD_CHECK_BUDGET": "100000 per minute",
                    "IDEENMARKT_LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute"})
    stack = ProductionStack(url, redis_url=redis.url, workers=args.workers, threads=args.threads, env=env)
    notes: list[str] = []
    try:
        stack.start()
        data = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(stack.instance),
                          MAIL_SERVER=smtp.host, MAIL_PORT=smtp.port, MAIL_SEND_AFTER_REQUEST=False)
        world = seed(data, args.participants)
        stats = Stats()
        wall = Wall(stack.port, world["wall"])
        wall.start()
        prober = Prober(stack.port, stats)
        prober.start()
        attack = Attack(stack.port, stats, world, args.sse, args.attackers) if scenario == "attack" else None
        load = Load(stack.port, stats, world, args)
        disturbance = threading.Thread(target=disturb, args=(scenario, stack, pg, redis, smtp, load.done,
                                                             load.total, notes, attack), daemon=True)
        disturbance.start()
        load.run()
        disturbance.join(timeout=120)
        prober.stop_event.set()
        if attack is not None:
            notes.extend(attack.stop())
        print(f"  {load.summary()}, wall connections {wall.connections}")
        stats.report()
        problems = check(data, world, load.applied, load.apply_failed, load.captured, load.votes, wall)
        wall.stop_event.set()
        if stats.tracebacks:
            problems.append(f"{stats.tracebacks} responses showed a traceback")
        if scenario == "smtp-down":
            with data.app_context():
                waiting = data.extensions["sqlalchemy"].session.execute(
                    sa.select(sa.func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))).scalar_one()
            notes.append(f"mail waiting in the outbox after the run: {waiting}")
            smtp.start()
            with data.app_context():
                while mail.send_pending(limit=500).sent:
                    pass
                db = data.extensions["sqlalchemy"]
                unsent = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)
                                            .where(OutboxMail.sent_at.is_(None))).scalar_one()
                sent = db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)
                                          .where(OutboxMail.sent_at.is_not(None))).scalar_one()
                db.session.remove()
            received = len(smtp.messages)
            notes.append(f"after SMTP is back: {sent} sent, {unsent} unsent, {received} received by the server")
            if unsent or received != sent:
                problems.append(f"outbox: {unsent} unsent, {sent} marked sent but {received} received")
        errors = Counter()
        for line in stack.log("gunicorn.log").splitlines():
            if '"exc_type"' in line:
                entry = json.loads(line)
                where = [w.split('/')[-1] for w in (entry.get('exc_where') or ['?'])[-4:]]
                errors[f"{entry['exc_type']} at {' < '.join(reversed(where))}"] += 1
        if os.environ.get("BENCH_KEEP_LOG"):
            Path(os.environ["BENCH_KEEP_LOG"]).write_text(stack.log("gunicorn.log"))
        for error, count in errors.most_common(5):
            notes.append(f"logged {count}× {error}")
        for note in notes:
            print(f"  {note}")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        print(f"  consistency: {'OK' if not problems else 'FAILED'}")
        with data.app_context():
            data.extensions["sqlalchemy"].engine.dispose()
        return not problems
    finally:
        stack.stop()
        redis.stop()
        smtp.stop()


def disturb(scenario: str, stack: ProductionStack, pg: PostgresCluster, redis: RedisServer, smtp: SMTPCatcher,
            done: Counter, total: int, notes: list[str], attack: Attack | None = None) -> None:
    """Wait until a third of the work is done, then disturb the stack as the scenario says."""
    while done["work"] < total / 3:
        time.sleep(0.05)
    if scenario == "attack":
        attack.start()
        notes.append("attack started at a third of the run")
    elif scenario == "pg-restart":
        started = time.monotonic()
        pg.shutdown_server()
        probe = Client(stack.port, Stats(), "probe")
        statuses = []
        for _ in range(10):
            try:
                status, _, _ = probe.get("/processes")
                statuses.append(status)
            except Transient as exc:
                statuses.append(str(exc))
            time.sleep(0.3)
        friendly = body = ""
        try:
            probe.get("/processes")
        except Transient:
            pass
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
        conn.request("GET", "/processes")
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
        friendly = (f"{response.status}, friendly page: {'vorübergehend nicht' in body.lower()}, "
                    f"traceback: {'Traceback' in body}")
        pg.start_server()
        notes.append(f"PostgreSQL down {time.monotonic() - started:.1f} s; /processes answered {statuses}; "
                     f"GET /processes while down: {friendly}")
    elif scenario == "redis-stop":
        redis.stop()
        notes.append("Redis stopped at a third of the run and stayed down")
    elif scenario == "smtp-down":
        smtp.stop()
        notes.append("SMTP server stopped at a third of the run")
    elif scenario == "worker-kill":
        original = sorted(stack.worker_pids())
        for pid in original:
            os.kill(pid, signal.SIGKILL)
            time.sleep(1.5)
        deadline = time.monotonic() + 30
        while len(stack.worker_pids() - set(original)) < len(original) and time.monotonic() < deadline:
            time.sleep(0.2)
        notes.append(f"killed workers {original} one by one; now {sorted(stack.worker_pids())}")


# ------------------------------------------------------------------ the machines scenario

#: Wrong ticket codes one visitor may try in the machines scenario, whichever host answers.
GUESSES_ALLOWED = 8


def lottery_pool(app, people: int) -> int:
    """A closed event whose ``people`` applicants take part in a lottery: its preview is a job."""
    from app.core.models import utcnow
    from app.events.application_services import hash_token
    from app.events.models import Application, ApplicationAnswer, Criterion, CriterionOption, Event, Process
    from app.extensions import db

    with app.app_context():
        now = utcnow()
        event = Event(process=db.session.execute(sa.select(Process)).scalars().first(), title="Bench lottery",
                      seats=20, status="closed", consent_text="Ja.", starts_at=now + timedelta(days=30),
                      ends_at=now + timedelta(days=30, hours=3), applications_open_at=now - timedelta(days=20),
                      applications_close_at=now - timedelta(days=1))
        db.session.add(event)
        options = []
        for position, (key, values) in enumerate({"gender": ("f", "m", "d"), "age": ("16-29", "30-59", "60+"),
                                                  "area": ("nord", "mitte", "sued")}.items()):
            criterion = Criterion(event=event, key=key, label=key.title(), position=position)
            choices = [CriterionOption(value=v, label=v, min_seats=1 if v == "d" else 5, max_seats=10, position=i)
                       for i, v in enumerate(values)]
            criterion.options.extend(choices)
            db.session.add(criterion)
            options.append(choices)
        db.session.flush()
        for n in range(people):
            application = Application(event_id=event.id, name=f"Lottery {n}", email=f"lottery{n}@bench.example",
                                      status="applied", language="de", source="online", consent_at=now,
                                      confirmed_at=now, token_hash=hash_token(f"bench-lottery-{n}-{secrets.token_hex(8)}"))
            for number, choices in enumerate(options):
                option = choices[(n * (number + 2) + n // 7) % len(choices)]
                application.answers.append(ApplicationAnswer(criterion_id=option.criterion_id, option_id=option.id))
            db.session.add(application)
        db.session.commit()
        return event.id


def staff_client(target, stats: Stats, email: str) -> Client:
    """A staff member signed in at ``target`` (an app host's nginx or the load balancer)."""
    client = Client(target, stats, "staff login")

    def login():
        client.cookies.clear()
        _, _, page = client.get("/login")
        status, _, _ = client.post_form("/login", {"csrf_token": TOKEN.search(page).group(1), "email": email,
                                                    "password": PASSWORD})
        assert status == 302, status
    retry(login)
    return client


def guess_codes(targets: list, source: str, event_id: int, count: int) -> list[tuple[str, int]]:
    """``count`` wrong ticket codes from address ``source``, sent to the targets in turn."""
    statuses = []
    for n in range(count):
        target = targets[n % len(targets)]
        conn = http.client.HTTPConnection(*address(target), timeout=10, source_address=(source, 0))
        conn.request("GET", f"/events/{event_id}/vote/t/WRONG{secrets.token_hex(4).upper()}")
        response = conn.getresponse()
        response.read()
        conn.close()
        statuses.append((f"{address(target)[0]}:{address(target)[1]}", response.status))
    return statuses


def _job(app, job_id: int):
    from app.extensions import db
    from app.jobs.models import Job

    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        db.session.remove()
        return job


class HostFailure:
    """How app host 1 fails in the machines scenario (a third of the way in), and what was seen.

    1. Wrong ticket codes from one address, to host 1, host 2 and the load balancer in turn.
    2. Both job workers are paused (SIGSTOP); an admin (signed in on host 1 at the start) opens
       the lottery page there and asks for the preview: its job is queued. A lock on the applicants' answers is
       taken here and host 1's worker goes on: it claims the job, which then waits for the
       lock, so it is still running when
    3. host 1 fails: every process on it killed, its veth cut. Host 2's worker goes on.
    4. More wrong codes, to host 2 and the load balancer: the limit counted in Redis holds.
    5. Once the dead worker's heartbeat is older than JOBS_STALE_SECONDS, ``flask jobs recover``
       on host 2 queues the job again (a worker also does so every minute); host 2 finishes it.
    """

    def __init__(self, machines, data, world: dict, stats: Stats) -> None:
        self.machines, self.data, self.world, self.stats = machines, data, world, stats
        self.guesses: list[tuple[str, int]] = []
        self.job_id: int | None = None
        self.claimed_by = self.stopped_at = ""
        self.recover_output = ""
        self.failed_at, self.recovered_after = 0.0, 0.0
        #: Applications, ideas and dots accepted when host 1 failed (the rest came after).
        self.accepted_at_failure = (0, 0, 0)
        self.accepted_now = lambda: (0, 0, 0)
        self.error: BaseException | None = None

    def run(self, load: Load) -> None:
        self.accepted_now = lambda: (len(load.applied), len(load.captured), sum(a for a, _ in load.votes.values()))
        try:
            first = self.machines.apps[0]
            admin = staff_client((first.host, first.port), self.stats, self.world["admin"])
            while load.done["work"] < load.total / 3:
                time.sleep(0.05)
            self._fail(admin)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            self.error = exc

    def _fail(self, admin: Client) -> None:
        from app.core.models import utcnow
        from app.extensions import db
        from app.jobs.models import Job
        from tests.support import wait_until

        first, second = self.machines.apps[:2]
        hosts = [(first.host, first.port), (second.host, second.port)]
        balancer = (self.machines.lb_address, 80)
        self.guesses += guess_codes([hosts[0], hosts[1], balancer], self.machines.net.second_client,
                                    self.world["workshop"], 5)
        (waiting,), (doomed,) = second.job_worker_pids(), first.job_worker_pids()
        # Only host 1's worker may take the job, and it must still be at it when its host fails:
        # the job waits for a lock on the applicants' answers that this run holds until then.
        os.kill(waiting, signal.SIGSTOP)
        os.kill(doomed, signal.SIGSTOP)
        engine = sa.create_engine(self.machines.database_url, poolclass=sa.pool.NullPool)
        lock = engine.connect()
        try:
            page = f"/manage/events/{self.world['lottery']}/lottery"
            _, _, html = admin.get(page, action="lottery page")
            # What jobs.js sends as soon as the page has loaded: ask for the preview job.
            token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            admin.post_form(page + "/preview", {"csrf_token": token}, action="lottery page")
            lock.execute(sa.text("LOCK TABLE application_answer IN ACCESS EXCLUSIVE MODE"))
            os.kill(doomed, signal.SIGCONT)

            def claimed():
                with self.data.app_context():
                    job = db.session.execute(sa.select(Job).where(Job.event_id == self.world["lottery"])).scalar()
                    found = job and job.status != "queued" and (job.id, job.worker)
                    db.session.remove()
                    return found

            self.job_id, self.claimed_by = wait_until(claimed, timeout=60, interval=0.02,
                                                      message="host 1's job worker did not claim the job")
            self.stopped_at = _job(self.data, self.job_id).status
            self.machines.stop_host(0)
            self.failed_at = time.monotonic()
            self.accepted_at_failure = self.accepted_now()
        finally:
            lock.rollback()
            lock.close()
            engine.dispose()
            os.kill(waiting, signal.SIGCONT)
        self.guesses += guess_codes([hosts[1], balancer], self.machines.net.second_client, self.world["workshop"], 6)
        stale = int(second.env["IDEENMARKT_JOBS_STALE_SECONDS"])
        job = _job(self.data, self.job_id)
        wait_until(lambda: (utcnow() - (job.heartbeat_at or job.started_at)).total_seconds() > stale + 0.5,
                   timeout=stale + 30)
        result = second.flask("jobs", "recover")
        self.recover_output = (result.stdout + result.stderr).strip().splitlines()[-1:]
        wait_until(lambda: _job(self.data, self.job_id).status in ("done", "failed"), timeout=120, interval=0.2,
                   message="host 2 did not finish the job")
        self.recovered_after = time.monotonic() - self.failed_at

    def check(self) -> list[str]:
        """The problems found (empty: the job and the limits survived the host)."""
        from app.events.models import Event
        from app.extensions import db
        from app.lottery.preview import preview, preview_to_json

        if self.error is not None:
            return [f"the host failure did not run through: {self.error!r}"]
        problems = []
        first, second = (self.machines.hostname(i) for i in (0, 1))
        job = _job(self.data, self.job_id)
        if not self.claimed_by.startswith(first + ":") or self.stopped_at != "running":
            problems.append(f"the job was not running on {first} when it failed: {self.claimed_by}, "
                            f"{self.stopped_at}")
        with self.data.app_context():
            expected = json.loads(json.dumps(preview_to_json(
                preview(db.session.get(Event, self.world["lottery"])))))
            db.session.remove()
        if job.status != "done" or not (job.worker or "").startswith(second + ":") or job.attempts != 2:
            problems.append(f"job {job.id}: {job.status} by {job.worker} after {job.attempts} attempts")
        elif job.result != expected:
            problems.append("the job's result differs from the preview computed here")
        allowed = [status for _, status in self.guesses if status != 429]
        if allowed != [404] * GUESSES_ALLOWED or len(self.guesses) - len(allowed) != 11 - GUESSES_ALLOWED:
            problems.append(f"wrong codes: {self.guesses} ({GUESSES_ALLOWED} allowed across the hosts)")
        return problems

    def notes(self) -> list[str]:
        job = _job(self.data, self.job_id) if self.job_id else None
        return [f"job {self.job_id}: claimed by {self.claimed_by}, {self.stopped_at} when its host failed; "
                f"`flask jobs recover` on host 2: {' '.join(self.recover_output)}; then "
                f"{job.status if job else '?'} by {job.worker if job else '?'} (attempt {job.attempts if job else '?'}), "
                f"{self.recovered_after:.0f} s after the failure",
                "wrong codes from one address (host: status): "
                + ", ".join(f"{host.rsplit('.', 1)[-1]}: {status}" for host, status in self.guesses)]


def machines_env(args) -> dict[str, str]:
    return {
        # Residents, moderators and participants all come from the test's one address.
        "IDEENMARKT_APPLY_RATE_LIMIT": "100000 per minute", "IDEENMARKT_LOGIN_RATE_LIMIT": "100000 per minute",
        "IDEENMARKT_PASSWORD_CHECK_BUDGET": "100000 per minute",
        "IDEENMARKT_LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute",
        # Per hour, so that the whole run is one window.
        "IDEENMARKT_VOTING_CODE_RATE_LIMIT": f"{GUESSES_ALLOWED} per hour",
        "IDEENMARKT_JOBS_STALE_SECONDS": "4", "IDEENMARKT_JOBS_HEARTBEAT_SECONDS": "1",
        "IDEENMARKT_JOBS_WORKERS": "1", "IDEENMARKT_LIVE_CATCH_UP_SECONDS": "3",
        "MAIL_SERVER": "", "IDEENMARKT_MAIL_SEND_AFTER_REQUEST": "0",
    }


def run_machines(args, machines=None) -> dict:
    """The machines scenario (README "Deployment on several machines"): two app hosts behind a
    load balancer, PostgreSQL and Redis on hosts of their own (tests/support/netns.py). The
    people go through the load balancer, a wall is open on each app host; a third of the way in,
    :class:`HostFailure`; after it, half as many residents and the moderators again. Returns the
    run's facts and ``problems`` (empty: all held)."""
    from app import create_app
    from app.accounts import services as accounts
    from config import TestingConfig
    from tests.support.netns import Machines

    print("\n=== scenario: machines ===")
    own = machines is None
    machines = machines or Machines(workers=args.workers, threads=args.threads, env=machines_env(args)).start()
    data = None
    try:
        data = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=machines.database_url, MAIL_SEND_AFTER_REQUEST=False,
                          INSTANCE_PATH=str(machines.apps[0].instance))
        started = time.monotonic()
        world = seed(data, args.participants)
        world["lottery"] = lottery_pool(data, args.lottery_pool)
        with data.app_context():
            world["admin"] = accounts.create_user("bench.admin@bench.example", "Bench Admin", PASSWORD,
                                                  ["admin"]).email
            data.extensions["sqlalchemy"].session.commit()
        seeded = time.monotonic() - started
        stats = Stats()
        walls = [Wall((stack.host, stack.port), world["wall"], catch_up=True) for stack in machines.apps]
        for wall in walls:
            wall.start()
        load = Load((machines.lb_address, 80), stats, world, args)
        failure = HostFailure(machines, data, world, stats)
        disturbance = threading.Thread(target=failure.run, args=(load,), daemon=True)
        disturbance.start()
        load.run()
        disturbance.join(timeout=300)
        # After the failure, more residents and moderators through the load balancer (host 2 alone).
        after = Load(load.target, stats, {**world, "codes": []},
                     argparse.Namespace(**{**vars(args), "residents": max(1, args.residents // 2)}))
        after.run()
        load.add(after)
        print(f"  {load.summary()}")
        stats.report()
        survivor = walls[1]
        problems = check(data, world, load.applied, load.apply_failed, load.captured, load.votes, survivor)
        problems += failure.check()
        if stats.tracebacks:
            problems.append(f"{stats.tracebacks} responses showed a traceback")
        # The host that answered is the last of $upstream_addr; the ones before it were skipped.
        tried = [line.split(" ", 5)[5].split(", ") for line in machines.lb_log().splitlines() if line.count(" ") >= 5]
        upstreams = Counter(hosts[-1] for hosts in tried)
        passed_on = sum(len(hosts) - 1 for hosts in tried)
        accepted = set(load.captured.values())
        notes = failure.notes() + [
            f"load balancer: requests answered per app host {dict(upstreams)}, {passed_on} passed on to the "
            f"next host; seeding took {seeded:.0f} s",
            "accepted when host 1 failed (applications, ideas, dots): {} of {}".format(
                failure.accepted_at_failure, failure.accepted_now()),
            f"wall on host 2: {len(accepted & survivor.streamed)} of {len(accepted)} accepted ideas by its "
            f"stream, {len(accepted & survivor.seen)} with the feed; the wall on host 1 got "
            f"{len(accepted & walls[0].seen)} before its host failed"]
        for wall in walls:
            wall.stop_event.set()
        for note in notes:
            print(f"  {note}")
        for problem in problems:
            print(f"  PROBLEM: {problem}")
        print(f"  consistency: {'OK' if not problems else 'FAILED'}")
        return {"problems": problems, "notes": notes, "load": load, "walls": walls, "failure": failure,
                "upstreams": upstreams, "stats": stats}
    finally:
        if data is not None:
            with data.app_context():
                data.extensions["sqlalchemy"].engine.dispose()
        if own:
            machines.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="all", choices=("all", *SCENARIOS, "machines"),
                        help="all: every scenario on one machine; machines: several machines (root)")
    parser.add_argument("--residents", type=int, default=150)
    parser.add_argument("--moderators", type=int, default=3)
    parser.add_argument("--ideas", type=int, default=30, help="ideas per moderator")
    parser.add_argument("--pace", type=float, default=0.2, help="seconds between two ideas of a moderator")
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--dots", type=int, default=5, help="dots per participant")
    parser.add_argument("--concurrency", type=int, default=16, help="residents and participants at once")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--sse", type=int, default=300, help="wall streams the attack holds open")
    parser.add_argument("--attackers", type=int, default=8, help="threads of each flood (logins, code guesses)")
    parser.add_argument("--lottery-pool", type=int, default=300,
                        help="applicants of the lottery whose preview job a failing host leaves (machines)")
    args = parser.parse_args()
    if args.scenario == "machines":
        from tests.support.netns import netns_unavailable

        if netns_unavailable():
            print(f"machines: {netns_unavailable()}")
            return 2
        print(f"load: {args.residents} residents, {args.moderators} moderators × {args.ideas} ideas, "
              f"{args.participants} participants × {args.dots} dots, {args.concurrency} at once, through a "
              f"load balancer to 2 app hosts (nginx, gunicorn {args.workers} workers × {args.threads} threads, "
              f"a job worker); PostgreSQL 15 and Redis on hosts of their own")
        return 0 if not run_machines(args)["problems"] else 1
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    print(f"load: {args.residents} residents, {args.moderators} moderators × {args.ideas} ideas, "
          f"{args.participants} participants × {args.dots} dots, {args.concurrency} at once; gunicorn "
          f"{args.workers} workers × {args.threads} threads behind nginx; PostgreSQL 15, Redis")
    results = {}
    with PostgresCluster() as pg:
        for scenario in scenarios:
            results[scenario] = run(scenario, args, pg)
    print("\n" + "  ".join(f"{name}: {'OK' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
