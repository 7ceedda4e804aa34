"""The audit log's part of an applicant's data (issue 23, item 6; orchestrated by app/privacy).

Entries never copy personal or secret columns into before/after (the marks, app/core/personal.py);
the staff member's name at the time of the action stays, for accountability.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.audit.services import jsonable
from app.core.personal import Cover
from app.extensions import db

COVERS = {
    AuditEntry.user_label: Cover(
        export="not exported: the name of the staff member who acted (the applicant's status history "
               "shows the action and the change)",
        erase="kept: the audit log is append-only and says who acted"),
}


def export(application) -> dict:
    """What staff changed on the application, as entries of its status history."""
    rows = db.session.execute(
        sa.select(AuditEntry.created_at, AuditEntry.action, AuditEntry.after)
        .where(AuditEntry.target_type == "application", AuditEntry.target_id == application.id)
        .order_by(AuditEntry.id)
    ).all()
    return {"status_history": [{"at": jsonable(at), "what": action, "change": after} for at, action, after in rows]}
