"""Personal data of voting: the name on a walk-in's badge (issue 23, item 6; orchestrated by
app/privacy). Tickets and dots themselves stay: they are the votes, and name nobody."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from app.audit.services import jsonable
from app.core.personal import Cover
from app.events.models import Application
from app.extensions import db
from app.ideas.models import Idea
from app.voting.models import Dot, Ticket

COVERS = {
    Ticket.holder_name: Cover(
        export="ticket.holder_name (a ticket issued for the application)",
        erase="set to None with the application's anonymise; walk-ins' names by the retention purge"),
}


def _ticket(application: Application) -> Ticket | None:
    return db.session.execute(sa.select(Ticket).where(Ticket.application_id == application.id)).scalar_one_or_none()


def export(application: Application) -> dict:
    """The application's ticket and the dots given with it."""
    ticket = _ticket(application)
    data: dict = {"ticket": None, "dots": [], "status_history": []}
    if ticket is None:
        return data
    data["ticket"] = {"code": ticket.code, "kind": ticket.kind, "channel": ticket.channel,
                      "holder_name": ticket.holder_name, "issued_at": jsonable(ticket.issued_at),
                      "checked_in_at": jsonable(ticket.checked_in_at), "revoked_at": jsonable(ticket.revoked_at)}
    if ticket.checked_in_at:
        data["status_history"].append({"at": jsonable(ticket.checked_in_at), "what": "checked in"})
    rows = db.session.execute(
        sa.select(Dot.idea_id, Idea.text).join(Idea, Idea.id == Dot.idea_id).where(Dot.ticket_id == ticket.id)
    ).all()
    counts = Counter(idea_id for idea_id, _ in rows)
    texts = dict(rows)
    data["dots"] = [{"idea_id": idea_id, "idea": texts[idea_id], "dots": n} for idea_id, n in sorted(counts.items())]
    return data


def anonymise(application: Application, now: datetime) -> None:
    db.session.execute(sa.update(Ticket).where(Ticket.application_id == application.id).values(holder_name=None))


def erased(application: Application, now: datetime) -> None:
    """An unused ticket goes; a used one stays revoked (its dots stay counted)."""
    ticket = _ticket(application)
    if ticket is not None and ticket.checked_in_at is None and not db.session.execute(
            sa.select(sa.func.count()).select_from(Dot).where(Dot.ticket_id == ticket.id)).scalar_one():
        db.session.delete(ticket)


def purge(plan, report):
    """The names on the tickets of events past their retention, and of applications anonymised."""
    if not (plan.event_ids or plan.anonymised_ids):
        return None
    tickets = db.session.execute(
        sa.select(Ticket).where(Ticket.holder_name.is_not(None), sa.or_(
            Ticket.event_id.in_(plan.event_ids), Ticket.application_id.in_(plan.anonymised_ids)))
        .order_by(Ticket.id)
    ).scalars().all()
    report.tickets = [t.id for t in tickets]

    def apply():
        for ticket in tickets:
            ticket.holder_name = None
    return apply
