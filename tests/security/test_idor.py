"""IDOR: ids swapped in URLs and hidden fields never reach the other side's data.

Side A and side B of the world each have a stand with its own moderator, an applicant with
a private link, and a ticket. A persona of side A that puts side B's ids into a URL or a
hidden form field must be refused (403/404, or the form's own error) and nothing of side
B may change.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.security.walks import (
    all_routes, body_of, build_url, discover_forms, expected_denial, side_digest,
)
from tests.security.world import PARAMETERS, SIDED

MODERATED = {"stand_id", "idea_id"}


def test_moderator_a_cannot_reach_stand_b_by_url(app, world, persona, in_app):
    before = in_app(lambda: side_digest(world, "b"))
    checked = 0
    for route in all_routes(app):
        if not set(route.rule.arguments) & MODERATED or expected_denial(route.access, "moderator_a"):
            continue
        if route.access.kind != "staff" or (route.access.roles and "moderator" not in route.access.roles):
            continue
        url = build_url(app, route, world, "b")
        for method in route.methods:
            client = persona("moderator_a")
            data = {"csrf_token": client.csrf_token(), "text": "hijacked", "reason": "hijacked",
                    "target_id": str(world.a.idea_id)} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            body_of(response)
            assert response.status_code in (403, 404), \
                f"{method} {url} (stand B) as moderator A: {response.status_code}"
            checked += 1
        # ... while moderator B may.
        response = persona("moderator_b").get(url) if "GET" in route.methods else None
        if response is not None:
            body_of(response)
            assert response.status_code not in (403, 404), f"GET {url} as moderator B: {response.status_code}"
    assert checked >= 5
    assert in_app(lambda: side_digest(world, "b")) == before


def test_private_links_do_not_mix(app, world, persona, in_app):
    """A's token with B's signature (and the other way round) opens nothing and confirms nothing."""
    before_a, before_b = in_app(lambda: side_digest(world, "a")), in_app(lambda: side_digest(world, "b"))
    checked = 0
    for route in all_routes(app):
        sided = [name for name in route.rule.arguments if name in SIDED]
        if len(sided) < 2:
            continue
        for first, second in (("a", "b"), ("b", "a")):
            values = {name: PARAMETERS[name](world, world.side(first if i == 0 else second))
                      for i, name in enumerate(sided)}
            url = build_url(app, route, world, **values)
            for method in route.methods:
                client = persona("anonymous")
                data = {"csrf_token": client.csrf_token()} if method != "GET" else None
                response = client.open(url, method=method, data=data)
                body_of(response)
                assert response.status_code >= 400, f"{method} {url} (mixed sides): {response.status_code}"
                checked += 1
    assert checked >= 2
    assert in_app(lambda: side_digest(world, "a")) == before_a
    assert in_app(lambda: side_digest(world, "b")) == before_b


def _swap_hidden(form, world) -> dict[str, list[str]] | None:
    """The form's data with every hidden value that is one of A's ids replaced by B's."""
    a_values = {str(PARAMETERS[name](world, world.a)): str(PARAMETERS[name](world, world.b)) for name in SIDED}
    data = form.filled()
    swapped = False
    for field in form.fields:
        if field.type == "hidden" and field.name != "csrf_token" and field.value in a_values:
            data[field.name] = [a_values[field.value]]
            swapped = True
    return data if swapped else None


@pytest.mark.parametrize("persona_name", ["resident", "participant", "moderator_a"])
def test_hidden_ids_swapped_to_side_b(app, world, persona, in_app, persona_name):
    forms = discover_forms(app, world, persona(persona_name))
    before = in_app(lambda: side_digest(world, "b"))
    for form in forms:
        data = _swap_hidden(form, world)
        if data is None:
            continue
        client = persona(persona_name)
        data["csrf_token"] = [client.csrf_token()]
        response = client.post(form.action, data=data)
        body_of(response)
        assert response.status_code < 500, f"{form} with B's ids: {response.status_code}"
        assert in_app(lambda: side_digest(world, "b")) == before, f"{form} with B's ids changed side B"


def test_moderator_of_another_event_cannot_walk_ticket_ids(app, world, persona, in_app):
    """Moderator X (stand X of the other event) tries every ticket id in turn: only the other
    event's tickets open; the world event's answer 404 like ids that do not exist."""
    from app.extensions import db
    from app.voting.models import Ticket

    tickets = in_app(lambda: dict(db.session.execute(sa.select(Ticket.id, Ticket.event_id)).all()))
    assert world.a.ticket_id in tickets and world.other_ticket_id in tickets
    client = persona("moderator_x")
    opened = set()
    for ticket_id in range(1, max(tickets) + 3):
        response = client.get(f"/manage/tickets/{ticket_id}")
        body = body_of(response)
        if tickets.get(ticket_id) == world.other_event_id:
            assert response.status_code == 200, f"own ticket {ticket_id}: {response.status_code}"
            opened.add(ticket_id)
        else:
            assert response.status_code == 404, f"ticket {ticket_id} as moderator X: {response.status_code}"
            assert world.a.code not in body and world.b.code not in body
    assert opened == {world.other_ticket_id}


def test_moderator_of_another_event_works_at_their_own_door(app, world, persona):
    """Scoping does not lock moderators out: moderator X opens the door pages of the other
    event, and the voting overview lists that event only."""
    client = persona("moderator_x")
    for page in ("voting", "badges", "checkin", "board"):
        response = client.get(f"/manage/events/{world.other_event_id}/{page}")
        assert response.status_code == 200, f"{page}: {response.status_code}"
    badges = client.get(f"/manage/events/{world.other_event_id}/badges").get_data(as_text=True)
    assert "Walk-in X" in badges and "Resident 0" not in badges
    overview = client.get("/manage/voting").get_data(as_text=True)
    assert f"/manage/events/{world.other_event_id}/voting" in overview
    assert f"/manage/events/{world.event_id}/" not in overview and "World event" not in overview
