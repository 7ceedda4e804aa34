"""The application's database connections (app/extensions.py, issue 18, bench/online.py): SQLite
keeps a database file in write-ahead-log mode with ``synchronous=NORMAL`` (concurrent writers no
longer wait for readers nor for a disk sync per commit); PostgreSQL runs without JIT (compiling
the plans of the merge-group queries cost more than running them)."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from app.extensions import db as _db


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


def test_postgresql_connections_run_without_jit(app, db):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert _db.session.execute(sa.text("SHOW jit")).scalar() == "off"
    _db.session.rollback()  # a new transaction, the setting stays (it is the session's)
    assert _db.session.execute(sa.text("SHOW jit")).scalar() == "off"
