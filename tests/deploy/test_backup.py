"""`flask db backup` / `flask db restore`: back up, change data, restore, the data is back.

On SQLite through the sqlite3 backup API; on PostgreSQL with pg_dump/pg_restore of the test
cluster's binaries (/usr/lib/postgresql/15/bin).
"""
from __future__ import annotations

import sqlalchemy as sa

from app.events.models import Event, Process
from app.extensions import db


def _titles(app) -> tuple[list[str], list[str]]:
    with app.app_context():
        processes = db.session.execute(sa.select(Process.title).order_by(Process.id)).scalars().all()
        events = db.session.execute(sa.select(Event.title).order_by(Event.id)).scalars().all()
        db.session.remove()
        return processes, events


def test_backup_change_restore(app, create_event, create_process, tmp_path):
    process_id = create_process(title="Esslingen 4.0").id
    create_event(process_id=process_id, title="Bürger-Workshop „Ä“")
    runner = app.test_cli_runner()
    backup = tmp_path / "backups" / "ideenmarkt.backup"

    result = runner.invoke(args=["db", "backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.stat().st_size > 0

    with app.app_context():
        db.session.execute(sa.update(Process).values(title="changed after the backup"))
        db.session.add(Process(title="created after the backup"))
        db.session.execute(sa.delete(Event))
        db.session.commit()
    assert _titles(app) == (["changed after the backup", "created after the backup"], [])

    result = runner.invoke(args=["db", "restore", "--yes", str(backup)])
    assert result.exit_code == 0, result.output
    assert _titles(app) == (["Esslingen 4.0"], ["Bürger-Workshop „Ä“"])
    # The restored database takes new rows (sequences came back with the data).
    create_process(title="after the restore")
    assert _titles(app)[0] == ["Esslingen 4.0", "after the restore"]


def test_restore_refuses_a_missing_or_broken_file(app, create_process, tmp_path):
    create_process(title="kept")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "restore", "--yes", str(tmp_path / "missing.backup")])
    assert result.exit_code != 0 and "does not exist" in result.output
    broken = tmp_path / "broken.backup"
    broken.write_bytes(b"this is not a backup\x00" * 50)
    result = runner.invoke(args=["db", "restore", "--yes", str(broken)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert _titles(app)[0] == ["kept"]


def test_restore_asks_before_replacing_everything(app, create_process, tmp_path):
    create_process(title="kept")
    runner = app.test_cli_runner()
    backup = tmp_path / "b.backup"
    assert runner.invoke(args=["db", "backup", str(backup)]).exit_code == 0
    result = runner.invoke(args=["db", "restore", str(backup)], input="n\n")
    assert result.exit_code != 0 and "Replace ALL data" in result.output
