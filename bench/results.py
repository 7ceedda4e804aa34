"""Benchmark: the results pages on a large process, on SQLite and on PostgreSQL.

Builds one process with 5 events (four stakeholder groups), 4 stands per event,
20,000 ideas (tags on every idea, 5 % merged, 2 % hidden), 10,000 tickets and
500,000 dots (room and online, up to 50 per ticket) plus paper-board counts on a
third of the ideas, all with bulk inserts. Then times, in process with the Flask
test client (no HTTP server, so the numbers are the application's own work):

* the council dashboard of the process and of one event,
* the public results of one event and of the process,
* ``/api/v1/events/<id>/results``, the XLSX export and the PDF council report
  (when those endpoints exist).

Each page is requested once to warm up, then ``--repeat`` times; the median and
the fastest wall-clock time are printed, the median CPU time of this process (on
SQLite that includes the database's work, so it is the better number on a busy
machine; on PostgreSQL the server's work is in another process), and the number of
SQL statements per request.
Targets: dashboard and results pages under 300 ms, PDF under 10 s.

The tagged PDF (PDF/UA-1, issue 16) is printed beside the same report drawn untagged in the
same run, as the reference for what the tagging costs.

Usage: ``python bench/results.py [--ideas 20000] [--dots 500000] [--repeat 5] [--only TEXT]
[--sqlite-only | --postgres-only]`` (``--only PDF`` times only the pages whose name has TEXT)
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
# The app's JSON request lines would bury the numbers.
os.environ.setdefault("LOG_LEVEL", "WARNING")

import sqlalchemy as sa  # noqa: E402

EVENTS = 5
STANDS_PER_EVENT = 4
TAGS = 24
GROUPS = ("Einwohner", "Wirtschaft", "Hochschule", "Jugendrat", "Einwohner")
DOTS_PER_TICKET = 50
BATCH = 20_000


def seed(ideas_total: int, dots_total: int) -> dict:
    """Inside an app context: build the process with bulk inserts; returns ids."""
    from app.events.models import Event, Process
    from app.extensions import db
    from app.ideas.models import Idea, IdeaTag, Stand, Tag
    from app.voting.models import BoardCount, Dot, Ticket

    rng = random.Random(20190401)
    session = db.session
    process = Process(title="Esslingen 4.0 (Benchmark)", stakeholder_groups="\n".join(dict.fromkeys(GROUPS)))
    session.add(process)
    session.flush()
    events = []
    for n in range(EVENTS):
        event = Event(process_id=process.id, title=f"Workshop {n + 1}", status="published",
                      stakeholder_group=GROUPS[n], seats=0)
        session.add(event)
        session.flush()
        events.append(event.id)
    session.execute(sa.insert(Stand), [{"event_id": e, "title": f"Marktstand {s + 1}", "position": s}
                                       for e in events for s in range(STANDS_PER_EVENT)])
    stands = session.execute(sa.select(Stand.id, Stand.event_id).order_by(Stand.id)).all()
    session.execute(sa.insert(Tag), [{"process_id": process.id, "key": f"thema{t}", "label": f"Thema {t}"}
                                     for t in range(TAGS)])
    tags = session.execute(sa.select(Tag.id).order_by(Tag.id)).scalars().all()
    for start in range(0, ideas_total, BATCH):
        session.execute(sa.insert(Idea), [
            {"stand_id": stands[n % len(stands)][0], "text": f"Idee {n}: Bürgerportal, Termine online buchen",
             "status": "new", "client_id": f"bench-{n}", "said_by": ""}
            for n in range(start, min(ideas_total, start + BATCH))])
    ideas = session.execute(sa.select(Idea.id, Idea.stand_id).order_by(Idea.id)).all()
    event_of_stand = dict(stands)
    links = []
    for n, (idea_id, _) in enumerate(ideas):
        first = tags[n % TAGS]
        links.append({"idea_id": idea_id, "tag_id": first})
        if n % 3 == 0:
            second = tags[(n * 7 + 3) % TAGS]
            if second != first:
                links.append({"idea_id": idea_id, "tag_id": second})
    for start in range(0, len(links), BATCH):
        session.execute(sa.insert(IdeaTag), links[start:start + BATCH])
    # 5 % merged into an idea of the same stand, 2 % hidden.
    by_stand = defaultdict(list)
    for idea_id, stand_id in ideas:
        by_stand[stand_id].append(idea_id)
    changes = []
    for stand_ideas in by_stand.values():
        for n, idea_id in enumerate(stand_ideas):
            if n % 20 == 19:
                changes.append({"id": idea_id, "status": "merged", "merged_into_id": stand_ideas[n - 1]})
            elif n % 50 == 48:
                changes.append({"id": idea_id, "status": "hidden", "merged_into_id": None})
    session.execute(sa.update(Idea), changes)
    votable = defaultdict(list)
    hidden_or_merged = {c["id"] for c in changes}
    for idea_id, stand_id in ideas:
        if idea_id not in hidden_or_merged or rng.random() < 0.3:  # some dots came before merging/hiding
            votable[event_of_stand[stand_id]].append((idea_id, stand_id))
    tickets_per_event = -(-dots_total // DOTS_PER_TICKET // EVENTS)
    session.execute(sa.insert(Ticket), [
        {"event_id": e, "code": f"B{e:02d}{t:06d}", "kind": "walk_in", "channel": "online" if t % 4 == 0 else "room",
         "receipt_salt": "00", "checked_in_at": None if t % 4 == 0 else datetime(2019, 4, 1, 17)}
        for e in events for t in range(tickets_per_event)])
    tickets = session.execute(sa.select(Ticket.id, Ticket.event_id, Ticket.channel).order_by(Ticket.id)).all()
    rows, written = [], 0
    for ticket_id, event_id, channel in tickets:
        if written >= dots_total:
            break
        pool = votable[event_id]
        per_idea: dict[int, int] = defaultdict(int)
        for slot in range(1, min(DOTS_PER_TICKET, dots_total - written) + 1):
            idea_id, stand_id = pool[int(rng.paretovariate(1.2) * 7) % len(pool)]  # popular ideas get more
            per_idea[idea_id] += 1
            rows.append({"ticket_id": ticket_id, "event_id": event_id, "idea_id": idea_id, "stand_id": stand_id,
                         "channel": channel, "scope_id": 0, "slot": slot, "idea_slot": per_idea[idea_id]})
        written += sum(per_idea.values())
        if len(rows) >= BATCH:
            session.execute(sa.insert(Dot), rows)
            rows = []
    if rows:
        session.execute(sa.insert(Dot), rows)
    session.execute(sa.insert(BoardCount), [
        {"event_id": event_of_stand[stand_id], "idea_id": idea_id, "count": rng.randint(0, 12)}
        for idea_id, stand_id in ideas[::3] if idea_id not in hidden_or_merged])
    session.commit()
    counts = {name: session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
              for name, model in (("ideas", Idea), ("dots", Dot), ("tickets", Ticket), ("board counts", BoardCount))}
    return {"process_id": process.id, "event_id": events[0], "counts": counts}


def run(label: str, url: str, args) -> list[tuple[str, str, float, float, int]]:
    from app import create_app
    from app.accounts import services as accounts
    from app.extensions import db
    from config import TestingConfig

    with tempfile.TemporaryDirectory(prefix="ideenmarkt-bench-results-") as instance:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance,
                         WTF_CSRF_ENABLED=False)
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            ids = seed(args.ideas, args.dots)
            seeded = time.perf_counter() - started
            accounts.create_user("bench@example.org", "Bench", "correct horse battery staple", ("council",))
            db.session.commit()
            engine = db.engine
            if engine.dialect.name == "postgresql":
                # What autovacuum would have done by the time anyone looks at results: statistics,
                # and the visibility map that lets index-only scans skip the table.
                # The first pass sets the rows' hint bits; only a second pass (as autovacuum's next
                # round would) marks the pages all-visible on this asynchronously committing cluster.
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
                    conn.execute(sa.text("VACUUM"))
                    visible = conn.execute(sa.text(
                        "SELECT relallvisible * 100 / greatest(relpages, 1) FROM pg_class WHERE relname = 'dot'")).scalar()
                print(f"  dot table: {visible} % of its pages all-visible after VACUUM")
        print(f"\n{label}: seeded {ids['counts']} in {seeded:.1f} s")
        client = app.test_client()
        response = client.post("/login", data={"email": "bench@example.org",
                                               "password": "correct horse battery staple"})
        assert response.status_code == 302, response.status_code
        endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
        p, e = ids["process_id"], ids["event_id"]
        pages = [
            ("dashboard (process)", "results.process_dashboard", f"/manage/results/processes/{p}", 5),
            ("dashboard (event)", "results.event_dashboard", f"/manage/results/events/{e}", 5),
            ("public results (event)", "results.event_results", f"/events/{e}/results", 5),
            ("public results (process)", "results.process_results", f"/processes/{p}/results", 5),
            ("API event results", "api.event_results", f"/api/v1/events/{e}/results", 5),
            ("XLSX export (process, job)", "results.export_xlsx", f"/manage/results/processes/{p}/ideas.xlsx", 1),
            ("PDF council report (job)", "results.council_report", f"/manage/results/processes/{p}/report.pdf", 1),
        ]
        jobs = {"results.export_xlsx", "results.council_report"}

        def fetch(endpoint: str, path: str):
            """A page; for a file: its POST (the job runs inside it here, JOBS_IMMEDIATE) and its download."""
            if endpoint not in jobs:
                return client.get(path)
            asked = client.post(path)
            assert asked.status_code == 303, (path, asked.status_code)
            return client.get(asked.location.split("?")[0] + "/file")

        results = []
        for name, endpoint, path, repeat in pages:
            if args.only and args.only.lower() not in name.lower():
                continue
            if endpoint not in endpoints:
                print(f"  {name:28} (no endpoint {endpoint} yet)")
                continue
            statements = []

            def count(*_args, _statements=statements):
                _statements.append(1)

            response = fetch(endpoint, path)  # warm up: templates, translations, statement caches
            assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
            times, cpu = [], []
            for _ in range(max(1, min(repeat, args.repeat))):
                statements.clear()
                sa.event.listen(engine, "before_cursor_execute", count)
                started, started_cpu = time.perf_counter(), time.process_time()
                response = fetch(endpoint, path)
                body = response.get_data()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                sa.event.remove(engine, "before_cursor_execute", count)
                assert response.status_code == 200, (path, response.status_code)
            median, best = statistics.median(times), min(times)
            results.append((label, name, median, best, len(statements)))
            print(f"  {name:26} median {median * 1000:6.0f} ms  best {best * 1000:6.0f} ms  "
                  f"CPU of this process {statistics.median(cpu) * 1000:6.0f} ms  "
                  f"{len(statements):3d} SQL  {len(body) / 1024:6.0f} KiB")
        if "results.council_report" in endpoints and (not args.only or args.only.lower() in "pdf council report"):
            results.append(untagged_reference(app, label, p, args.repeat))
        with app.app_context():
            db.engine.dispose()
        return results


def untagged_reference(app, label: str, process_id: int, repeat: int):
    """The same council report without its structure tree (ReportLab's plain canvas), in process."""
    import io

    from app.events.models import Process
    from app.extensions import db
    from app.results.report import Report

    times = []
    with app.test_request_context("/?lang=de"):
        process = db.session.get(Process, process_id)
        for _ in range(max(1, min(repeat, 1) + 1)):
            started = time.perf_counter()
            Report(process).render(io.BytesIO(), tagged=False)
            times.append(time.perf_counter() - started)
    times = times[1:]  # the first was the warm-up
    median = statistics.median(times)
    print(f"  {'PDF untagged (reference)':26} median {median * 1000:6.0f} ms  best {min(times) * 1000:6.0f} ms")
    return (label, "PDF untagged (reference)", median, min(times), 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ideas", type=int, default=20_000)
    parser.add_argument("--dots", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="time only the pages whose name contains this text")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    print(f"{EVENTS} events, {args.ideas:,} ideas, {args.dots:,} dots")
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
