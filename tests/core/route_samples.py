"""Sample values for URL parameters, used by the route walks (CSRF, role matrix).

Add an entry when a route introduces a new parameter name.
"""
from __future__ import annotations

from flask import Flask


def build_samples(app: Flask, demo: dict, staff_ids: dict[str, int]) -> dict[str, object]:
    return {
        "user_id": staff_ids["moderator"],
        "process_id": demo["process_id"],
        "event_id": demo["event_id"],
        "stand_id": demo["stand_id"],
        "criterion_id": _first_criterion_id(app, demo["event_id"]),
    }


def _first_criterion_id(app: Flask, event_id: int) -> int:
    """A criterion of the demo workshop (the demo gives it age, gender and district)."""
    import sqlalchemy as sa

    from app.events.models import Criterion
    from app.extensions import db

    with app.app_context():
        return db.session.execute(
            sa.select(Criterion.id).where(Criterion.event_id == event_id).order_by(Criterion.position)
        ).scalars().first()
