"""Factories of the ideas feature: stands with moderators, ideas recorded through the service;
the markup samples of the escaping tests and the capture page's JSON POST."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from app.extensions import db as _db
from tests.factories import attached


@pytest.fixture
def create_stand(app, create_event) -> Callable:
    """``create_stand(event_id=None, title=..., moderators=(user, ...))`` → the stand (:func:`attached`)."""
    from app.accounts.models import User
    from app.ideas.models import Stand

    def factory(event_id: int | None = None, title: str = "Bürgerportal", moderators=(), **kwargs) -> Stand:
        event_id = event_id or create_event().id
        with app.app_context():
            stand = Stand(event_id=event_id, title=title, **kwargs)
            stand.moderators = [_db.session.get(User, u.id) for u in moderators]
            _db.session.add(stand)
            _db.session.commit()
            stand_id = stand.id
        return attached(app, Stand, stand_id)

    return factory


@pytest.fixture
def record(app) -> Callable:
    """``record(stand_id, text, user=None, **kw)`` → the committed idea (:func:`attached`; via the service)."""
    from app.accounts.models import User
    from app.ideas import services
    from app.ideas.models import Idea, Stand

    def factory(stand_id: int, text: str, user=None, **kwargs) -> Idea:
        with app.test_request_context():
            stand = _db.session.get(Stand, stand_id)
            actor = _db.session.get(User, user.id) if user else None
            idea, _ = services.record_idea(stand, text, user=actor, **kwargs)
            _db.session.commit()
            idea_id = idea.id
        return attached(app, Idea, idea_id)

    return factory


#: Markup that must come out escaped wherever an idea's text is shown.
XSS_SAMPLES = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
]


def post_json(client, url, payload, *, csrf=True):
    """POST ``payload`` as JSON, as the capture page's script does (with its CSRF header unless ``csrf=False``)."""
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token()
    return client.post(url, data=json.dumps(payload), content_type="application/json", headers=headers)


@pytest.fixture
def wall_token(app) -> Callable:
    """``wall_token(event_id)`` → the token of the event's wall link (made if there is none)."""
    from app.events.models import Event
    from app.ideas import services

    def factory(event_id: int) -> str:
        with app.app_context():
            link = services.wall_link(_db.session.get(Event, event_id))
            _db.session.commit()
            return link.token

    return factory
