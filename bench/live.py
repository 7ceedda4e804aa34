"""Live walls held by nginx (nchan) on the production stack: page latency while many walls are
open, save → visible on every stream, across two app machines, memory per held connection.

Prints numbers (issue 15); asserts nothing. On PostgreSQL (a throw-away cluster) and Redis:

    .venv/bin/python bench/live.py [--streams 1000] [--seconds 20]

(a) page latency (home, an event page, /healthz) with no streams open;
(b) the same with STREAMS open wall streams across 3 walls while 3 moderators save an idea per
    second each (target: page p95 ≤ 1.2 × (a) + 10 ms);
(c) save → visible on every stream of its wall (target: p95 < 1 s);
(d) a second gunicorn+nginx pair sharing PostgreSQL and Redis: ideas saved on machine A reach
    walls subscribed at machine B (target: p95 < 1 s);
and nginx's memory per held connection (RSS of its workers, before and after).

The moderators save in this process (the app's own services, publishing to nginx A after
each commit exactly as a gunicorn worker does), not through the capture form.
"""
from __future__ import annotations

import argparse
import re
import secrets
import selectors
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from tests.support.pgcluster import PostgresCluster  # noqa: E402
from tests.support.prodstack import ProductionStack  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402

MARK = re.compile(rb"live-bench-(\d+)")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


class Streams:
    """Many EventSource subscriptions read by one thread (selectors): when each marker arrived."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.arrivals: dict[int, list[float]] = {}
        self.count = 0
        self.closed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def open(self, port: int, path: str) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"subscription refused: {head[:200]!r}")
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ, {"seen": set(), "tail": b""})
        self.count += 1

    def _run(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.2):
                now = time.monotonic()
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self.closed += 1
                    continue
                text = key.data["tail"] + chunk
                key.data["tail"] = text[-40:]
                for match in MARK.finditer(text):
                    number = int(match.group(1))
                    if number not in key.data["seen"]:
                        key.data["seen"].add(number)
                        self.arrivals.setdefault(number, []).append(now)

    def start(self) -> Streams:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


def page_latencies(urls: list[str], seconds: float) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {url: [] for url in urls}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for url in urls:
            start = time.monotonic()
            with urllib.request.urlopen(url, timeout=60) as response:
                response.read()
            found[url].append(time.monotonic() - start)
    return found


def nginx_rss_kib(stack: ProductionStack) -> int:
    master = int((stack.run_dir / "nginx.pid").read_text())
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master) and "VmRSS" in fields:
            total += int(fields["VmRSS"].split()[0])
    return total


def seed(data, walls: int) -> list[dict]:
    from datetime import datetime, timedelta

    from app.events import services as events
    from app.events.services import EventData
    from app.extensions import db
    from app.ideas import services as ideas

    start = datetime(2031, 6, 1, 18, 0)
    found = []
    with data.app_context():
        process = events.create_process("Live-Bench", "", "Bürgerschaft")
        for n in range(walls):
            event = events.create_event(process, EventData(
                title=f"Wand {n}", place="Rathaus", seats=15, starts_at=start, ends_at=start + timedelta(hours=3),
                applications_open_at=start - timedelta(days=20), applications_close_at=start - timedelta(days=5)))
            event.status = "open"
            db.session.flush()
            stand = ideas.save_stand(event, None, title=f"Stand {n}")
            found.append({"event_id": event.id, "stand_id": stand.id, "token": ideas.wall_link(event).token})
        db.session.commit()
    return found


def moderators(data, walls: list[dict], seconds: float, saved: dict[int, float]) -> None:
    """One thread per wall, an idea per second each; ``saved``: marker → time of the commit."""
    from app.extensions import db
    from app.ideas import services as ideas
    from app.ideas.models import Stand

    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    def moderate(wall: dict) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with lock:
                number = next(counter)
            with data.app_context():
                ideas.record_idea(db.session.get(Stand, wall["stand_id"]), f"live-bench-{number} Idee")
                at = time.monotonic()  # the save: the commit, then the sender's publish to nginx
                db.session.commit()
                saved[number] = (at, wall["event_id"])
                db.session.remove()
            time.sleep(max(0.0, 1.0 - (time.monotonic() % 1.0)))

    threads = [threading.Thread(target=moderate, args=(wall,)) for wall in walls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def delivery(saved: dict[int, tuple[float, int]], streams: Streams, expected: dict[int, int]) -> tuple[list, int]:
    """Per idea: time until it was on every stream of its wall; and how many (idea, stream) were missing."""
    time.sleep(3)  # the last ideas' messages
    latencies, missing = [], 0
    for number, (at, event_id) in saved.items():
        arrivals = streams.arrivals.get(number, [])
        missing += expected[event_id] - len(arrivals)
        if arrivals:
            latencies.append(max(arrivals) - at)
    return latencies, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--remote-streams", type=int, default=300, help="streams at machine B in (d)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    from app import create_app
    from config import TestingConfig

    with PostgresCluster() as pg, RedisServer() as redis:
        url = pg.create_database(f"bench_live_{secrets.token_hex(3)}")
        a = ProductionStack(url, redis_url=redis.url, workers=args.workers, threads=args.threads).start()
        b = None
        try:
            data = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(a.instance),
                              MAIL_SEND_AFTER_REQUEST=False,
                              LIVE_PUBLISH_URL=f"http://127.0.0.1:{a.publish_port}/_live/publish")
            walls = seed(data, 3)
            urls = [a.url + "/", f"{a.url}/events/{walls[0]['event_id']}", a.url + "/healthz"]
            page_latencies(urls, 2)  # warm up
            base = page_latencies(urls, args.seconds / 2)
            rss_before = nginx_rss_kib(a)

            streams = Streams()
            expected = {}
            for n in range(args.streams):
                wall = walls[n % len(walls)]
                streams.open(a.port, f"/live/wall/{wall['event_id']}/{wall['token']}")
                expected[wall["event_id"]] = expected.get(wall["event_id"], 0) + 1
            streams.start()
            rss_after = nginx_rss_kib(a)
            saved: dict[int, tuple[float, int]] = {}
            mods = threading.Thread(target=moderators, args=(data, walls, args.seconds, saved))
            mods.start()
            loaded = page_latencies(urls, args.seconds)
            mods.join()
            latencies, missing = delivery(saved, streams, expected)
            closed = streams.closed
            streams.close()

            print(f"\n(a)/(b) page latency, {args.streams} open streams across {len(walls)} walls, "
                  f"{len(walls)} moderators saving 1 idea/s each ({len(saved)} ideas):")
            print(f"{'page':<28}{'(a) median':>12}{'(a) p95':>10}{'(b) median':>12}{'(b) p95':>10}"
                  f"{'target p95':>12}")
            for page in urls:
                target = 1.2 * pct(base[page], 0.95) + 0.010
                flag = "" if pct(loaded[page], 0.95) <= target else "  NOT MET"
                print(f"{page.replace(a.url, '') or '/':<28}{ms(statistics.median(base[page])):>12}"
                      f"{ms(pct(base[page], 0.95)):>10}{ms(statistics.median(loaded[page])):>12}"
                      f"{ms(pct(loaded[page], 0.95)):>10}{ms(target):>12}{flag}")
            print(f"(c) save → on every stream of its wall: median {ms(statistics.median(latencies))}, "
                  f"p95 {ms(pct(latencies, 0.95))}, max {ms(max(latencies))} (target p95 < 1 s); "
                  f"missing deliveries {missing}, streams closed early {closed}")
            print(f"memory: nginx workers {rss_before} → {rss_after} KiB RSS: "
                  f"{(rss_after - rss_before) * 1024 / args.streams:.0f} bytes per held connection")

            # (d) machine B: its own gunicorn and nginx on the same PostgreSQL and Redis.
            b = ProductionStack(url, redis_url=redis.url, workers=2, threads=4).start()
            remote = Streams()
            expected = {}
            for n in range(args.remote_streams):
                wall = walls[n % len(walls)]
                remote.open(b.port, f"/live/wall/{wall['event_id']}/{wall['token']}")
                expected[wall["event_id"]] = expected.get(wall["event_id"], 0) + 1
            remote.start()
            saved = {}
            moderators(data, walls, args.seconds / 2, saved)
            latencies, missing = delivery(saved, remote, expected)
            remote.close()
            print(f"(d) saved at A, {args.remote_streams} streams at B: median {ms(statistics.median(latencies))}, "
                  f"p95 {ms(pct(latencies, 0.95))}, max {ms(max(latencies))} (target p95 < 1 s); "
                  f"missing deliveries {missing}")
        finally:
            if b is not None:
                b.stop()
            a.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
