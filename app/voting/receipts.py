"""Receipts: each voter's digest of their dots, published at close so anyone can check their vote."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.voting.models import Dot, Receipt, Ticket

RECEIPT_VERSION = "ideenmarkt-receipt-v1"


def receipt_digest(event_id: int, salt: str, idea_ids: Iterable[int]) -> str:
    """SHA-256 over the event, the ticket's secret salt and the sorted ids of the ideas its dots are on."""
    payload = f"{RECEIPT_VERSION}:{event_id}:{salt}:" + ",".join(str(i) for i in sorted(idea_ids))
    return hashlib.sha256(payload.encode()).hexdigest()


def receipt(ticket: Ticket) -> str:
    ids = db.session.execute(sa.select(Dot.idea_id).where(Dot.ticket_id == ticket.id)).scalars().all()
    return receipt_digest(ticket.event_id, ticket.receipt_salt, ids)


def receipts_from_dots(event_id: int) -> Iterator[tuple[str, int]]:
    """(digest, dots) for every ticket of the event with at least one dot, recomputed from the rows."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.receipt_salt, Dot.idea_id).join(Dot, Dot.ticket_id == Ticket.id)
        .where(Ticket.event_id == event_id).order_by(Ticket.id)).all()
    current, salt, ideas = None, "", []
    for ticket_id, ticket_salt, idea_id in rows:
        if ticket_id != current:
            if current is not None:
                yield receipt_digest(event_id, salt, ideas), len(ideas)
            current, salt, ideas = ticket_id, ticket_salt, []
        ideas.append(idea_id)
    if current is not None:
        yield receipt_digest(event_id, salt, ideas), len(ideas)


def published_receipts(event: Event) -> list[Receipt]:
    return list(db.session.execute(
        sa.select(Receipt).where(Receipt.event_id == event.id).order_by(Receipt.digest)).scalars())
