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
        **_application_samples(app, demo["event_id"]),
        **_ideas_samples(app, demo["stand_id"], staff_ids["moderator"]),
        **_voting_samples(app, demo["event_id"]),
        **_measures_samples(app, demo["process_id"], demo["event_id"]),
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


def _application_samples(app: Flask, event_id: int) -> dict[str, object]:
    """An application to the demo workshop with a known manage token (and its confirm signature)."""
    from app.events import application_services as services
    from app.events.models import Application
    from app.extensions import db

    token = "route-sample-manage-token-0123456789abcdefghijkl"
    with app.test_request_context():
        application = Application(event_id=event_id, name="Route Sample", email="route.sample@example.org",
                                  token_hash=services.hash_token(token), source="online")
        db.session.add(application)
        db.session.commit()
        return {"token": token, "application_id": application.id,
                "signature": services.confirmation_signature(application)}


def _ideas_samples(app: Flask, stand_id: int, moderator_id: int) -> dict[str, object]:
    """The sample moderator moderates the sample stand; an idea there; the event's wall link."""
    from app.accounts.models import User
    from app.extensions import db
    from app.ideas import services
    from app.ideas.models import Stand

    with app.test_request_context():
        stand = db.session.get(Stand, stand_id)
        moderator = db.session.get(User, moderator_id)
        stand.moderators.append(moderator)
        idea, _ = services.record_idea(stand, "Route sample idea #sample", user=moderator)
        link = services.wall_link(stand.event)
        db.session.commit()
        return {"idea_id": idea.id, "wall_token": link.token}


def _voting_samples(app: Flask, event_id: int) -> dict[str, object]:
    """A walk-in ticket of the demo workshop (its id and its code)."""
    from app.events.models import Event
    from app.extensions import db
    from app.voting import services

    with app.test_request_context():
        ticket = services.issue_ticket(db.session.get(Event, event_id), kind="walk_in", holder_name="Route Sample")
        db.session.commit()
        return {"ticket_id": ticket.id, "code": ticket.code}


def _measures_samples(app: Flask, process_id: int, event_id: int) -> dict[str, object]:
    """A measure of the demo process, an opt-out link of an opted-in application, an import id."""
    import sqlalchemy as sa

    from app.events.models import Application, Process
    from app.extensions import db
    from app.measures import notify, services

    with app.test_request_context():
        measure = services.create_measure(db.session.get(Process, process_id), title="Route sample measure",
                                          chapter="Route samples")
        application = db.session.execute(
            sa.select(Application).where(Application.event_id == event_id).limit(1)).scalar_one()
        application.notify_measures = True
        db.session.commit()
        return {"measure_id": measure.id, "import_id": 1, "mail_token": notify.optout_token([application.id])}
