"""The migration of the objections (issue 22, receipts): objections stored as audit entries before
(their text in ``detail``) become rows of ``lottery_objection``; the audit entries keep only the fact and
the objection's id, and the audit log is append-only again afterwards."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import TestingConfig

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "a5d7e3c9b1f2"  # the revision before lottery_objection


def _upgrade(url: str, tmp_path, revision: str = "head") -> None:
    env = {"DATABASE_URL": url, "FLASK_APP": "wsgi", "IDEENMARKT_ENV": "testing",
           "IDEENMARKT_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade", revision], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_audit_stored_objections_move_into_their_table(empty_database_url, tmp_path):
    from app.audit.models import AuditEntry
    from app.events.models import Event, Process
    from app.lottery.models import LotteryDraw, LotteryEntry

    _upgrade(empty_database_url, tmp_path, BEFORE)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=empty_database_url, INSTANCE_PATH=str(tmp_path))
    with app.app_context():
        process = Process(title="P")
        event = Event(process=process, title="E", seats=2, status="closed", consent_text="Ja.")
        draw = LotteryDraw(event=event, seats=2, table_size=10, number_source_kind="public", number_source="dice",
                           algorithm="leximin", algorithm_version="1", applicants_sha256="0" * 64,
                           table_sha256="0" * 64, commitment="0" * 64, record_json="{}")
        entry = LotteryEntry(draw=draw, application_id=None, pseudonym="A-AAAAA")
        db.session.add_all([process, event, draw, entry])
        db.session.flush()
        for pseudonym, text in (("A-AAAAA", "Mein Alter ist falsch."), ("A-GONE1", "Niemand mehr da.")):
            db.session.add(AuditEntry(action="lottery.objection", target_type="lottery_draw", target_id=draw.id,
                                      event_id=event.id, after={"pseudonym": pseudonym, "state": "committed"},
                                      detail=text))
        db.session.add(AuditEntry(action="lottery.draw", target_type="lottery_draw", target_id=draw.id,
                                  event_id=event.id, after={"number": 3}, detail="unverändert"))
        db.session.commit()
        draw_id, entry_id = draw.id, entry.id
        db.session.remove()
        db.engine.dispose()

    _upgrade(empty_database_url, tmp_path)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            objections = conn.execute(sa.text(
                "SELECT id, draw_id, entry_id, text, status, answer FROM lottery_objection")).all()
            assert [tuple(o)[1:] for o in objections] == [(draw_id, entry_id, "Mein Alter ist falsch.", "open", None)]
            audit = sa.table("audit_entry", sa.column("id"), sa.column("action"), sa.column("after", sa.JSON),
                             sa.column("detail"))
            rows = conn.execute(sa.select(audit.c.action, audit.c.after, audit.c.detail).order_by(audit.c.id)).all()
            assert [tuple(r) for r in rows] == [
                ("lottery.objection", {"objection_id": objections[0].id, "state": "committed"}, ""),
                ("lottery.objection", {"state": "committed"}, ""),
                ("lottery.draw", {"number": 3}, "unverändert"),
            ]
        # The audit log is append-only again.
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_entry SET detail = 'x'"))
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_entry"))
    finally:
        engine.dispose()
