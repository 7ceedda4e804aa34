"""Every route: an access decision, fillable parameters, CSRF, and the role matrix.

These tests walk ``app.url_map``: a route added later is covered automatically. A route
without an access decision, or with a URL parameter the suite cannot fill from its world
(tests/security/world.py), fails with a message that says what to add.
"""
from __future__ import annotations

import re

import pytest

from tests.security.walks import (
    all_routes, body_of, build_url, expected_denial, row_counts, scope_denial, side_of, table_digest,
)
from tests.security.world import PARAMETERS, PERSONAS


def test_every_route_declares_access(app):
    undecided = [str(r) for r in all_routes(app) if r.access is None]
    assert not undecided, f"routes without an access decision (@public / @staff_required): {undecided}"


def test_every_route_parameter_can_be_filled(app):
    unknown = {str(r): sorted(set(r.rule.arguments) - set(PARAMETERS)) for r in all_routes(app)
               if set(r.rule.arguments) - set(PARAMETERS)}
    assert not unknown, (
        f"routes with URL parameters the security suite cannot fill: {unknown}. Add each name to "
        "PARAMETERS in tests/security/world.py (and build the object in build_world)."
    )


def test_personas_are_what_they_claim(world, persona):
    assert persona("resident").opened == 200
    assert persona("participant").opened == 302
    ballot = persona("participant").get(f"/events/{world.event_id}/vote")
    assert ballot.status_code == 200 and "vote/dots" in ballot.get_data(as_text=True)
    for name in ("moderator_a", "moderator_b", "council", "admin"):
        assert persona(name).get("/account/password").status_code == 200, name


@pytest.mark.parametrize("persona_name", ["admin", "participant"])
def test_csrf_every_state_change_without_token_is_refused(app, world, persona, in_app, persona_name):
    """No token or a forged one: 400, and no row of any table changed (counts and contents)."""
    client = persona(persona_name)
    checked = 0
    for route in all_routes(app):
        if not route.state_changing:
            continue
        url = build_url(app, route, world)
        for method in route.state_changing:
            counts, before = in_app(row_counts), in_app(table_digest)
            for data in ({}, {"csrf_token": "not-a-valid-token"}, {"csrf_token": ""}):
                response = client.open(url, method=method, data=data)
                assert response.status_code == 400, f"{method} {url} without a valid token: {response.status_code}"
                assert "Traceback" not in body_of(response)
            assert in_app(row_counts) == counts, f"{method} {url} changed row counts without a CSRF token"
            assert in_app(table_digest) == before, f"{method} {url} changed data without a CSRF token"
            checked += 1
    assert checked >= 40


def test_csrf_token_of_another_session_is_refused(app, world, persona, in_app):
    """A token is bound to its session: an attacker's own valid token does not work for the victim."""
    attacker, victim = persona("admin"), persona("admin")
    stolen = attacker.csrf_token()
    victim.csrf_token()  # the victim's session has a token of its own
    before = in_app(table_digest)
    for route in all_routes(app):
        for method in route.state_changing:
            response = victim.open(build_url(app, route, world), method=method, data={"csrf_token": stolen})
            assert response.status_code == 400, f"{method} {route}: {response.status_code}"
    assert in_app(table_digest) == before


#: The door and board pages of voting: the matrix must reach every one of them as moderator X.
DOOR_ENDPOINTS = {"voting.badges", "voting.checkin", "voting.walk_in", "voting.board", "voting.manage",
                  "voting.ticket"}


@pytest.mark.parametrize("persona_name", PERSONAS)
def test_role_matrix(app, world, persona, persona_name):
    """Staff pages: anonymous, residents and participants go to the login page, staff without the
    role get 403, a moderator of another event gets 403 or 404 on every event-scoped page of the
    world event, everyone allowed gets neither; nobody ever gets a 500."""
    scoped, leaks = set(), []
    for route in all_routes(app):
        denial = "scope" if scope_denial(route, persona_name) else expected_denial(route.access, persona_name)
        url = build_url(app, route, world, side_of(persona_name))
        for method in route.methods:
            # A fresh client per request: an allowed POST (such as logout) must not affect the next.
            client = persona(persona_name)
            data = {"csrf_token": client.csrf_token()} if method in ("POST", "PUT", "PATCH", "DELETE") else None
            response = client.open(url, method=method, data=data)
            where = f"{method} {url} as {persona_name}"
            assert response.status_code < 500, f"{where}: {response.status_code}"
            body_of(response)
            if denial == "login":
                assert response.status_code == 302 and "/login" in response.location, \
                    f"{where}: {response.status_code} {response.location}"
            elif denial == "403":
                assert response.status_code == 403, f"{where}: {response.status_code}"
            elif denial == "scope":
                if response.status_code not in (403, 404):
                    leaks.append(f"{where}: {response.status_code}")
                scoped.add(route.endpoint)
            else:
                assert response.status_code != 403, f"{where}: 403"
                assert not (response.status_code == 302 and re.search(r"/login\b", response.location or "")
                            and route.access.kind == "staff"), f"{where}: sent to login"
    assert not leaks, f"event-scoped staff pages open to a moderator of another event: {leaks}"
    if persona_name == "moderator_x":
        assert DOOR_ENDPOINTS <= scoped, f"door pages not checked as moderator X: {DOOR_ENDPOINTS - scoped}"
