"""Benchmark: applications through the real HTTP form, staff list and CSV export of 10,000.

For SQLite (a file) and PostgreSQL (a throwaway cluster from ``tests.support.pgcluster``)
this prints

* applications accepted per second through the real form (gunicorn, 2 workers,
  several parallel clients, each with its own session and CSRF token; the
  mail goes to the outbox, delivery after the response is switched off so
  SMTP does not enter the number),
* the time to render the first page of the staff list (with the total count)
  and to download the CSV export of an event with 10,000 applications
  (over HTTP from gunicorn),
* peak Python memory (tracemalloc) of the CSV export, in process, for 2,500
  and 10,000 applications: it should not grow with the rows.

Numbers only, no pass/fail. Usage: ``python bench/applications.py [--seconds 10] [--clients 8]
[--rows 10000] [--sqlite-only]``
"""
from __future__ import annotations

import argparse
import http.cookiejar
import re
import sys
import tempfile
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from config import DevelopmentConfig  # noqa: E402

ADMIN_EMAIL = "bench.admin@example.org"
ADMIN_PASSWORD = "Kaffee und Kuchen am Flussufer 19"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _session(url: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    html = opener.open(url, timeout=30).read().decode()
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return opener, token.group(1)


def _post(opener, url, data):
    body = urllib.parse.urlencode(data).encode()
    try:
        return opener.open(url, data=body, timeout=60).status
    except urllib.error.HTTPError as exc:
        return exc.code


def _instance_dir() -> Path:
    instance = Path(tempfile.mkdtemp(prefix="ideenmarkt-bench-"))
    (instance / "config.py").write_text(
        "SECRET_KEY = 'bench-only-secret'\n"
        "APPLY_RATE_LIMIT = '1000000 per hour'\n"
        "LOGIN_RATE_LIMIT = '1000 per minute'\n"
        "PASSWORD_CHECK_BUDGET = '1000 per minute'\n"
        "MAIL_SEND_AFTER_REQUEST = False\n"
        "MAIL_RETRY_INTERVAL = -1\n"
    )
    return instance


def _prepare(db_url: str, instance: Path) -> dict:
    """Schema, an admin, an open event with two criteria; returns ids and option ids."""
    from app.accounts import services as accounts
    from app.core.models import utcnow
    from app.events.models import Criterion, CriterionOption, Event, Process
    from app.extensions import db

    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=db_url, INSTANCE_PATH=str(instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        accounts.create_user(ADMIN_EMAIL, "Bench Admin", ADMIN_PASSWORD, ["admin"])
        now = utcnow()
        process = Process(title="Bench")
        events = []
        for title in ("Bench form", "Bench export"):
            event = Event(process=process, title=title, seats=15, status="open",
                          starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=30, hours=3),
                          applications_open_at=now - timedelta(days=1),
                          applications_close_at=now + timedelta(days=10), consent_text="Einverstanden.")
            for position, (key, values) in enumerate((("age", ["16-29", "30-59", "60+"]),
                                                      ("district", ["Mitte", "Berkheim", "Zell", "Sirnau"]))):
                criterion = Criterion(label=key.title(), key=key, position=position)
                for i, value in enumerate(values):
                    criterion.options.append(CriterionOption(label=value, value=value.lower(), position=i))
                event.criteria.append(criterion)
            db.session.add(event)
            events.append(event)
        db.session.commit()
        info = {"app": app}
        for name, event in zip(("form", "export"), events):
            info[name] = {"id": event.id,
                          "criteria": {c.id: [o.id for o in c.options] for c in event.criteria}}
        return info


def _bulk_applications(app, event: dict, rows: int) -> None:
    """Insert ``rows`` confirmed applications with answers (Core inserts, in batches)."""
    import hashlib

    from app.core.models import utcnow
    from app.events.models import Application, ApplicationAnswer
    from app.extensions import db

    with app.app_context():
        start = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(Application.id), 0))).scalar_one()
        now = utcnow()
        batch = 2000
        for first in range(0, rows, batch):
            ids = range(start + first + 1, start + min(first + batch, rows) + 1)
            db.session.execute(sa.insert(Application), [
                {"id": i, "event_id": event["id"], "name": f"Person {i}", "email": f"person{i}@example.org",
                 "status": "applied", "language": "de", "source": "online",
                 "token_hash": hashlib.sha256(f"bench-{i}".encode()).hexdigest(),
                 "consent_at": now, "created_at": now, "updated_at": now, "confirmed_at": now}
                for i in ids])
            db.session.execute(sa.insert(ApplicationAnswer), [
                {"application_id": i, "criterion_id": cid, "option_id": options[i % len(options)]}
                for i in ids for cid, options in event["criteria"].items()])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('application', 'id'), "
                                       "(SELECT max(id) FROM application))"))
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()


def _form_throughput(base: str, event: dict, seconds: float, clients: int) -> tuple[int, int, float]:
    url = f"{base}/events/{event['id']}/apply"
    sessions = [_session(url) for _ in range(clients)]
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(n, opener, token):
        i = 0
        while time.perf_counter() < deadline:
            i += 1
            data = {"csrf_token": token, "name": f"Client {n} #{i}", "email": f"c{n}-{i}@example.org",
                    "consent": "y", "website": ""}
            for cid, options in event["criteria"].items():
                data[f"criterion_{cid}"] = str(options[i % len(options)])
            status = _post(opener, url, data)
            with lock:
                counts["ok" if status == 302 else "other"] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n, *s)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts["ok"], counts["other"], time.perf_counter() - started


def _staff_timings(base: str, event_id: int) -> tuple[float, float, int]:
    opener, token = _session(f"{base}/login")
    status = _post(opener, f"{base}/login", {"csrf_token": token, "email": ADMIN_EMAIL,
                                             "password": ADMIN_PASSWORD})
    assert status == 302, f"login failed: {status}"
    opener.open(f"{base}/manage/events/{event_id}/applications", timeout=60).read()  # warm up
    started = time.perf_counter()
    opener.open(f"{base}/manage/events/{event_id}/applications", timeout=60).read()
    list_seconds = time.perf_counter() - started
    started = time.perf_counter()
    size = 0
    with opener.open(f"{base}/manage/events/{event_id}/applications.csv", timeout=120) as response:
        while chunk := response.read(65536):
            size += len(chunk)
    return list_seconds, time.perf_counter() - started, size


def _export_peak_memory(app, event_id: int) -> tuple[float, int]:
    """Peak traced memory (MiB) while the export of one event is consumed, in process."""
    from app.events import application_services as services
    from app.events.models import Event
    from app.extensions import db

    with app.test_request_context():
        event = db.session.get(Event, event_id)
        tracemalloc.start()
        rows = sum(1 for _ in services.export_rows(event))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        db.session.remove()
    return peak / 2**20, rows


def run(label: str, db_url: str, args) -> None:
    from tests.support.servers import GunicornServer

    instance = _instance_dir()
    info = _prepare(db_url, instance)
    app = info["app"]
    env = {"DATABASE_URL": db_url, "IDEENMARKT_INSTANCE": str(instance), "IDEENMARKT_ENV": "development"}
    with GunicornServer("wsgi:app", workers=2, cwd=ROOT, env=env) as server:
        ok, other, elapsed = _form_throughput(server.url, info["form"], args.seconds, args.clients)
        print(f"[{label}] form: {ok} applications accepted in {elapsed:.1f} s = {ok / elapsed:.0f}/s "
              f"({args.clients} clients, gunicorn 2 workers; {other} other answers)")
        _bulk_applications(app, info["export"], args.rows // 4)
        peak_small, rows_small = _export_peak_memory(app, info["export"]["id"])
        _bulk_applications(app, info["export"], args.rows - args.rows // 4)
        list_s, csv_s, size = _staff_timings(server.url, info["export"]["id"])
        peak_big, rows_big = _export_peak_memory(app, info["export"]["id"])
    print(f"[{label}] staff list (page 1 of {args.rows} applications, with count): {list_s * 1000:.0f} ms")
    print(f"[{label}] CSV export of {args.rows} applications over HTTP: {csv_s:.2f} s, {size / 1024:.0f} KiB "
          f"(target < 2 s)")
    print(f"[{label}] export peak memory (tracemalloc): {peak_small:.2f} MiB for {rows_small - 1} rows, "
          f"{peak_big:.2f} MiB for {rows_big - 1} rows")
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rows", type=int, default=10_000)
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
