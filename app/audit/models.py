"""The audit log table, append-only.

Nothing in the application updates or deletes an :class:`AuditEntry`: the ORM refuses
to flush a changed or deleted entry and refuses bulk UPDATE/DELETE statements on the
table; the database refuses them too with a trigger (PostgreSQL and SQLite).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DDL, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.models import utcnow
from app.core.personal import PERSONAL
from app.extensions import db


class AuditLogError(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class AuditEntry(db.Model):
    """One staff action that changed data (or exported personal data)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The staff user; no foreign key, so the entry outlives the account (and no
    #: cascade could ever rewrite it). None for the command line and the system.
    user_id: Mapped[int | None] = mapped_column(index=True)
    #: The user's name at the time of the action.
    user_label: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    #: Stable code such as ``event.edit`` or ``lottery.draw``.
    action: Mapped[str] = mapped_column(String(80), index=True)
    #: Table name of the changed object, and its id.
    target_type: Mapped[str | None] = mapped_column(String(60))
    target_id: Mapped[int | None]
    event_id: Mapped[int | None] = mapped_column(index=True)
    process_id: Mapped[int | None] = mapped_column(index=True)
    #: The changed fields before and after (never personal data of residents).
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.target_type}:{self.target_id}>"


# Database guard ---------------------------------------------------------------
# The same statements are used by the migration (see migrations/versions/*audit*).

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = (
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
]

event.listen(AuditEntry.__table__, "after_create", DDL(PG_FUNCTION).execute_if(dialect="postgresql"))
event.listen(AuditEntry.__table__, "after_create", DDL(PG_TRIGGER).execute_if(dialect="postgresql"))
for _statement in SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))


# ORM guard -------------------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _refuse_changed_entries(session: Session, flush_context, instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditLogError("audit entries cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj, include_collections=False):
            raise AuditLogError("audit entries cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_statements(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEntry.__tablename__:
        raise AuditLogError("audit entries cannot be changed or deleted")


__all__ = ["AuditEntry", "AuditLogError"]
