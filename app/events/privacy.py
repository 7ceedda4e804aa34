"""Personal data of applications: name and email (issue 23, item 6; orchestrated by app/privacy).

The row itself stays after an erasure or the retention purge, pseudonymous: status, dates and
the criteria answers (option ids) of a row that names nobody, for the counts and the lottery's
audit. The manage link stops working.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from app.audit.services import jsonable
from app.core.personal import Cover
from app.events.models import Application

COVERS = {
    Application.name: Cover(export="application.name",
                            erase="set to None by anonymise (erasure, retention purge); an unconfirmed "
                                  "application is deleted by the purge"),
    Application.email: Cover(export="application.email", erase="as the name"),
    Application.phone: Cover(export="application.phone", erase="as the name"),
}


def export(application: Application) -> dict:
    """The application and its answers, and when it was made and confirmed."""
    event = application.event
    history = [{"at": jsonable(application.created_at), "what": "applied"}]
    if application.confirmed_at:
        history.append({"at": jsonable(application.confirmed_at), "what": "email confirmed"})
    return {
        "application": {
            "id": application.id,
            "event": {"id": event.id, "title": event.title, "starts_at": jsonable(event.starts_at),
                      "ends_at": jsonable(event.ends_at), "retention_days": event.retention_days,
                      "personal_data_deleted_after": jsonable(event.retention_ends_at)},
            "name": application.name,
            "email": application.email,
            "phone": application.phone,
            "status": application.status,
            "language": application.language,
            "source": application.source,
            "consent_at": jsonable(application.consent_at),
            "created_at": jsonable(application.created_at),
            "confirmed_at": jsonable(application.confirmed_at),
            "updated_at": jsonable(application.updated_at),
            "notify_about_measures": application.notify_measures,
        },
        "answers": [
            {"question": a.criterion.label, "key": a.criterion.key, "answer": a.option.label, "value": a.option.value}
            for a in sorted(application.answers, key=lambda a: a.criterion.position)
        ],
        "status_history": history,
    }


def anonymise(application: Application, now: datetime) -> None:
    """Erase name and email; the manage link stops working (a random hash replaces the token's)."""
    application.name = None
    application.email = None
    application.phone = None
    application.token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    application.anonymised_at = now
    application.notify_measures = False  # no address left to tell about the measures
