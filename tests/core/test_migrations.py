"""``flask db upgrade`` on an empty database gives exactly the models' schema."""
from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import db
from config import TestingConfig

ROOT = Path(__file__).resolve().parents[2]


def test_upgrade_matches_models(empty_database_url, tmp_path):
    env = {"DATABASE_URL": empty_database_url, "FLASK_APP": "wsgi", "IDEENMARKT_ENV": "testing",
           "IDEENMARKT_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database_url, INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert not diff, f"the migrations differ from the models (run flask db migrate): {diff}"
    assert {"user", "user_role", "event", "process", "alembic_version"} <= tables


def test_single_migration_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"



@pytest.mark.postgres_only
def test_scratch_database_is_dropped_while_another_role_is_connected():
    """The teardown of ``empty_database_url`` (defect: ``DROP ... WITH (FORCE)`` as the test role
    failed with ``InsufficientPrivilege ... pg_signal_backend`` when a backend of another role,
    such as autovacuum, was connected). Here a session of another role and one of the test role
    are connected; the drop ends its own, waits for the other to leave and succeeds."""
    import psycopg

    from tests.support.databases import PG_URL, drop_database

    url = sa.make_url(PG_URL)
    superuser = {"host": url.host, "port": url.port, "user": "postgres", "autocommit": True}
    try:
        admin = psycopg.connect(dbname="postgres", **superuser)
    except psycopg.OperationalError:
        pytest.skip("no superuser access to this PostgreSQL (not the throwaway cluster)")
    name, other = f"scratch_{secrets.token_hex(4)}", f"other_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    sessions = []
    try:
        admin.execute(f'CREATE ROLE "{other}" LOGIN')
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        sessions.append(psycopg.connect(url.set(drivername="postgresql", database=name)
                                        .render_as_string(hide_password=False)))
        foreign = psycopg.connect(dbname=name, **{**superuser, "user": other})
        sessions.append(foreign)
        with pytest.raises(sa.exc.ProgrammingError, match="pg_signal_backend"), engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))  # what the teardown did

        # The other role's session leaves only after a drop has found the database in use.
        sa.event.listen(engine, "handle_error", lambda context: foreign.close())
        drop_database(engine, name, timeout=30)
        left = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0]
        assert left == 0
    finally:
        for session in sessions:
            try:
                session.close()
            except psycopg.Error:
                pass  # terminated by the drop
        engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{other}"')
        admin.close()
