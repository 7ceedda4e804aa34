"""Benchmark: importing a register extract of 100,000 residents (issue 17: < 30 s, memory flat),
and rendering 2,000 invitation letters (issue 17: < 60 s).

Prints, for a generated CSV (semicolons, UTF-8, Esslingen-like streets and districts):

* the preview (every row checked, nothing stored) and the import (persons and households stored
  in batches of 5,000), wall and CPU time, on a SQLite file (and PostgreSQL with ``--postgres``,
  a throwaway cluster from ``tests.support.pgcluster``);
* beside it a reference: the same rows added one ORM object at a time (``session.add``) and
  flushed once, the obvious way, for the first ``--reference-rows`` rows, scaled up to the total;
* peak Python memory (tracemalloc) of the import at a quarter of the rows and at all of them:
  it should not grow with the rows beyond the household and duplicate keys.

* the letters: a register of ten times ``--letters`` residents imported, that many invitations
  drawn, then the letters' data read (codes derived, postal order), the PDF (one sheet each: the
  letter with its QR code, the reply form on the back) and the CSV for a print-and-mail service rendered, wall and CPU time, pages and size.

Numbers only, no pass/fail. Usage: ``python bench/invitations.py [--rows 100000] [--postgres]
[--letters 2000] [--only-letters]``
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from config import TestingConfig  # noqa: E402

DISTRICTS = ("Innenstadt", "Mettingen", "Berkheim", "Zell", "Oberesslingen", "Pliensauvorstadt", "Weil", "Hegensberg")
STREETS = ("Hauptstraße", "Bahnhofstr.", "Mühlbergstraße", "Plochinger Str.", "Neckarstraße", "Rathausplatz",
           "Schelztorstraße", "Ulmer Straße", "Berliner Str.", "Kiesstraße")
GIVEN = ("Anna", "Jürgen", "Fatma", "Lukas", "Sophie", "Mehmet", "Marie", "Jonas", "Elif", "Paul")
FAMILY = ("Müller", "Schmidt", "Yılmaz", "Weber", "Wagner", "Becker", "Schäfer", "Kaya", "Koch", "Richter")


def generate(rows: int, seed: int = 17) -> bytes:
    rnd = random.Random(seed)
    lines = ["Vorname;Familienname;Titel;Straße;Hausnummer;PLZ;Ort;Geburtsjahr;Geschlecht;Stadtteil"]
    for i in range(rows):
        house = rnd.randrange(rows // 2 + 1)
        lines.append(";".join([rnd.choice(GIVEN), f"{rnd.choice(FAMILY)}{i}", "Dr." if i % 50 == 0 else "",
                               STREETS[house % len(STREETS)], f"{house // len(STREETS) + 1}{'a' if house % 7 == 0 else ''}",
                               "73728", "Esslingen am Neckar", str(rnd.randrange(1930, 2009)), rnd.choice("wmd"),
                               DISTRICTS[house % len(DISTRICTS)]]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _app(url: str):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    from app.extensions import db

    with app.app_context():
        db.create_all()
    return app


def _event(app) -> int:
    from app.events.models import Event, Process
    from app.extensions import db

    with app.app_context():
        process = Process(title="Bench")
        db.session.add(process)
        db.session.flush()
        event = Event(process_id=process.id, title="Bürgerrat", seats=30, starts_at=datetime(2027, 3, 1),
                      ends_at=datetime(2027, 3, 2))
        db.session.add(event)
        db.session.commit()
        return event.id


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run(url: str, label: str, data: bytes, rows: int, reference_rows: int) -> None:
    from app.events.models import Event
    from app.extensions import db
    from app.invitations import register_import as reader
    from app.invitations import services
    from app.invitations.models import RegisterPerson

    app = _app(url)
    event_id = _event(app)
    with app.test_request_context():
        event = db.session.get(Event, event_id)
        extract = services.upload_extract(event, None, "bench.csv", data)
        db.session.commit()
        result, wall, cpu = _timed(lambda: services.preview(extract, extract.mapping))
        db.session.commit()
        print(f"{label}: preview of {rows:,} rows: {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"({result.valid:,} valid, {result.households:,} households, {result.error_rows} with errors)")
        extract.state = "importing"
        _none, wall, cpu = _timed(lambda: (services.run_import(extract), db.session.commit()))
        count = db.session.execute(sa.select(sa.func.count()).select_from(RegisterPerson)).scalar_one()
        print(f"{label}: import of {rows:,} rows: {wall:.2f} s wall, {cpu:.2f} s CPU ({count:,} stored, "
              f"{extract.household_count:,} households)   target < 30 s")

        # The reference: one ORM object per row, the obvious way.
        info = reader.read_file(data)
        columns = reader.check_mapping(extract.mapping, info.headers)
        ref_extract = services.upload_extract(event, None, "ref.csv", data)
        db.session.flush()

        def reference():
            for n, (number, values, _e, _key) in enumerate(reader.parsed_rows(data, info, columns)):
                if n >= reference_rows:
                    break
                if values is not None:
                    db.session.add(RegisterPerson(extract_id=ref_extract.id, pseudonym=f"X-{n}",
                                                  row_number=number, **values))
            db.session.flush()

        _none, wall, cpu = _timed(reference)
        scale = rows / reference_rows
        print(f"{label}: reference (ORM add per row, {reference_rows:,} rows, scaled ×{scale:.0f}): "
              f"{wall * scale:.2f} s wall, {cpu * scale:.2f} s CPU")
        db.session.rollback()


def memory(rows: int) -> None:
    from app.events.models import Event
    from app.extensions import db
    from app.invitations import services

    for n in (rows // 4, rows):
        data = generate(n)
        with tempfile.TemporaryDirectory() as tmp:
            app = _app(f"sqlite:///{tmp}/mem.sqlite")
            event_id = _event(app)
            with app.test_request_context():
                event = db.session.get(Event, event_id)
                extract = services.upload_extract(event, None, "m.csv", data)
                services.preview(extract, extract.mapping)
                extract.state = "importing"
                db.session.commit()
                tracemalloc.start()
                services.run_import(extract)
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                db.session.rollback()
        print(f"peak Python memory of the import beyond the file ({len(data) / 1e6:.1f} MB), {n:,} rows: "
              f"{peak / 2**20:.1f} MiB")


def letters_bench(n: int) -> None:
    from app.events.models import Event
    from app.extensions import db
    from app.invitations import letters, services, stage1

    with tempfile.TemporaryDirectory() as tmp:
        app = _app(f"sqlite:///{tmp}/letters.sqlite")
        event_id = _event(app)
        with app.test_request_context():
            event = db.session.get(Event, event_id)
            extract = services.upload_extract(event, None, "l.csv", generate(n * 10))
            services.preview(extract, extract.mapping)
            extract.state = "importing"
            services.run_import(extract)
            draw = stage1.save_plan(event, letters=n, by_district=False, age_bands="", response_rate_percent=8,
                                    group_settings={}, one_per_household=True, answer_deadline=datetime(2027, 1, 31))
            stage1.commit(draw, None, "server", "")
            _none, wall, cpu = _timed(lambda: stage1.perform(draw, None))
            db.session.commit()
            print(f"invitation draw of {n:,} letters from {n * 10:,} residents: {wall:.2f} s wall, {cpu:.2f} s CPU")
            letter, context = letters.letter_of(draw), letters.context_of(draw)
            items, wall, cpu = _timed(lambda: list(letters.letters(draw)))
            print(f"letters' data (codes, postal order) of {len(items):,} letters: {wall:.2f} s wall, {cpu:.2f} s CPU")
            pdf, wall, cpu = _timed(lambda: letters.render_pdf(items, letter, context))
            from pypdf import PdfReader
            import io

            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            print(f"PDF of {len(items):,} letters: {wall:.2f} s wall, {cpu:.2f} s CPU ({pages:,} pages, "
                  f"{len(pdf) / 1e6:.1f} MB)   target < 60 s")
            data, wall, cpu = _timed(lambda: letters.render_csv(items))
            print(f"CSV for a print-and-mail service, {len(items):,} rows: {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"({len(data) / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reference-rows", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--letters", type=int, default=2000)
    parser.add_argument("--only-letters", action="store_true")
    args = parser.parse_args()
    if args.letters:
        letters_bench(args.letters)
    if args.only_letters:
        return
    data = generate(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.sqlite", "SQLite", data, args.rows, args.reference_rows)
    if args.postgres:
        from tests.support.pgcluster import PostgresCluster

        with PostgresCluster() as pg:  # a throwaway PostgreSQL 15
            run(pg.url, "PostgreSQL", data, args.rows, args.reference_rows)
    if not args.no_memory:
        memory(args.rows)


if __name__ == "__main__":
    main()
