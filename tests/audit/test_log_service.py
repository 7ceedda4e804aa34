"""The audit service: who, when, what, before/after; append-only everywhere."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g

from app.audit.models import AuditEntry, AuditLogError
from app.audit.services import diff, log_action, pending_changes, snapshot
from app.events.models import Event
from app.extensions import db as _db


def test_log_action_outside_a_request_records_the_system(db, create_event):
    event = create_event(title="Werkstatt")
    before = snapshot(event, ("title", "seats"))
    event.title = "Werkstatt 2"
    entry = log_action("event.edit", event, **diff(before, event), detail="renamed")
    db.session.commit()
    stored = db.session.get(AuditEntry, entry.id)
    assert stored.user_id is None and stored.user_label == ""
    assert stored.target_type == "event" and stored.target_id == event.id
    assert stored.event_id == event.id and stored.process_id == event.process_id
    assert stored.before == {"title": "Werkstatt"} and stored.after == {"title": "Werkstatt 2"}
    assert stored.detail == "renamed"


def test_log_action_in_a_request_takes_user_and_request_id(app, create_user, create_event):
    from flask_login import login_user

    user = create_user(roles=("admin",), name="Ada Admin")
    event_id = create_event().id
    with app.test_request_context("/"):
        g.request_id = "req-1234567890"
        login_user(_db.session.get(type(user), user.id))
        entry = log_action("event.status", _db.session.get(Event, event_id), before={"status": "draft"},
                           after={"status": "open"})
        _db.session.commit()
        assert (entry.user_id, entry.user_label, entry.request_id) == (user.id, "Ada Admin", "req-1234567890")


def test_pending_changes_skip_sensitive_fields(db, create_event):
    event = create_event(title="A", seats=10)
    event.title = "B"
    event.seats = 12
    changes = pending_changes(event)
    assert changes == {"before": {"title": "A", "seats": 10}, "after": {"title": "B", "seats": 12}}


def test_orm_refuses_changing_or_deleting_an_entry(db):
    entry = log_action("test.action", detail="x")
    db.session.commit()
    entry.detail = "changed"
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogError):
        db.session.execute(sa.update(AuditEntry).values(detail="bulk"))
    db.session.rollback()
    with pytest.raises(AuditLogError):
        db.session.execute(sa.delete(AuditEntry))
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).detail == "x"


def test_database_refuses_changing_or_deleting_an_entry(db):
    entry_id = log_action("test.action", detail="x").id
    db.session.commit()
    for statement in ("UPDATE audit_entry SET detail = 'changed'", "DELETE FROM audit_entry"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT detail FROM audit_entry WHERE id = :i"), {"i": entry_id}).scalar() == "x"


def test_no_route_changes_or_deletes_audit_entries(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("audit."):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
        assert "audit" not in rule.rule or rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_admin_page_lists_and_filters(app, db, staff_client, create_event):
    event = create_event()
    log_action("event.edit", event, detail="one")
    log_action("lottery.draw", event_id=event.id, detail="two")
    log_action("user.create", detail="three")
    db.session.commit()
    admin = staff_client("admin")
    page = admin.get("/manage/audit").get_data(as_text=True)
    assert "one" in page and "two" in page and "three" in page
    page = admin.get(f"/manage/audit?event={event.id}&action=lottery.draw").get_data(as_text=True)
    assert "two" in page and "three" not in page and ">one<" not in page
    bad = admin.get("/manage/audit?event=abc&from=2026-13-45&to=%00&page=-1&user=x")
    assert bad.status_code == 200
    assert staff_client("moderator").get("/manage/audit").status_code == 403


def test_admin_page_paginates(app, db, staff_client):
    app.config["AUDIT_PER_PAGE"] = 2
    for n in range(5):
        log_action("test.action", detail=f"entry-{n}")
    db.session.commit()
    admin = staff_client("admin")
    first = admin.get("/manage/audit?action=test.action").get_data(as_text=True)
    assert "entry-4" in first and "entry-0" not in first
    assert "Seite 1 von 3" in first and "action=test.action" in first and "page=2" in first
    last = admin.get("/manage/audit?action=test.action&page=3").get_data(as_text=True)
    assert "entry-0" in last
