"""The test databases: SQLite (a file per test) unless ``TEST_DATABASE_URL`` names a PostgreSQL
database (``make test`` runs the suite once each way)."""
from __future__ import annotations

import os

import sqlalchemy as sa

from app.extensions import db as _db
from tests.support import wait_until

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")


def empty_all_tables() -> None:
    """Empty every table of the app's PostgreSQL database (ids start at 1 again)."""
    tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
    with _db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE"))


def drop_database(engine: sa.Engine, name: str, timeout: float = 60.0) -> None:
    """Drop database ``name`` as the (non-superuser) test role, robust against other backends.

    ``DROP DATABASE ... WITH (FORCE)`` must terminate every backend of the database, and
    the test role may not signal those of other roles (an autovacuum worker: "permission
    denied to terminate process ... pg_signal_backend"). A plain ``DROP DATABASE`` cancels
    autovacuum workers by itself; the role's own leftover sessions it terminates first
    (allowed for one's own role), and a drop that still finds the database in use (a
    session just going away) is retried until ``timeout``.
    """
    def dropped() -> bool:
        with engine.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid() AND usename = current_user"),
                {"name": name})
            try:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            except sa.exc.OperationalError as exc:  # ObjectInUse: "being accessed by other users"
                if getattr(exc.orig, "sqlstate", None) != "55006":
                    raise
                return False
        return True

    wait_until(dropped, timeout=timeout, interval=0.2, message=f"database {name} still in use")
