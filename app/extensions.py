"""Flask extensions, created unbound and initialised in :func:`app.create_app`."""
from __future__ import annotations

import sqlite3

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

#: Predictable constraint names, so Alembic can create and drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_enforces_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite ignores foreign keys unless told so on every connection: without this, deleting a
    row left its ``ondelete`` (CASCADE / SET NULL) undone, and SQLite could give the deleted
    row's id to the next row, which then inherited the references (a removed application's
    ticket attached to the next applicant). PostgreSQL always enforces them.
    (Migrations switch it off for their own connection, see migrations/env.py.)

    A database file is kept in write-ahead-log mode (``journal_mode=WAL``, stored in the file,
    and ``synchronous=NORMAL``, per connection): readers no longer wait for a writer nor a writer
    for readers, and a commit appends to the log without syncing the disk (the log is synced at
    its checkpoints). The database stays consistent after a crash; after a power cut the last
    commits before it may be missing. Several workers writing at once (supports, dots, the
    rate-limit counters, issue 18's bench/online.py) waited for each other's locks and syncs
    before. An in-memory database keeps its own mode."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection, _record) -> None:
    """PostgreSQL compiles a query with LLVM (JIT) when its estimated cost is high, and the
    recursive merge-group CTE (app/ideas/merge_groups.py) is estimated a hundred times too
    large: a stand's list sorted by supports spent 1.0 s of its 1.3 s compiling a plan that runs
    in 0.25 s (issue 18, bench/online.py). A web page's queries are short; JIT only pays off for
    long analytical ones. Off for the application's connections (a no-op where the server has
    no JIT)."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # the SET outside a transaction: it lasts the session
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET jit = off")
        finally:
            dbapi_connection.autocommit = autocommit


migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
babel = Babel()


def _client_address() -> str:
    # Behind a proxy of TRUSTED_PROXIES, app/core/proxies.py has already put the client into remote_addr.
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[], strategy="fixed-window")
