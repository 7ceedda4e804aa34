"""Every SQLite connection keeps a database file in write-ahead-log mode with ``synchronous=NORMAL``
(app/extensions.py): concurrent writers (supports, dots, rate-limit counters) no longer wait for
readers nor for a disk sync per commit (issue 18, bench/online.py)."""
from __future__ import annotations

import sqlite3

import sqlalchemy as sa

import app.extensions  # noqa: F401  (registers the connect listener on every engine)


def test_a_database_file_is_in_wal_mode_with_normal_sync(tmp_path):
    path = tmp_path / "wal.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    # The mode is stored in the file: a plain connection (a backup tool, sqlite3) sees it and the row.
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert plain.execute("SELECT count(*) FROM t").fetchone()[0] == 1
    finally:
        plain.close()


def test_an_in_memory_database_keeps_its_mode():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "memory"
