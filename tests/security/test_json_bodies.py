"""JSON request bodies: nested too deep or too large, sent to every POST route, answer 400 with a
clear message (JSON for API clients), never a 500 (issue 14, item 8)."""
from __future__ import annotations

import json

import pytest

from tests.security.walks import all_routes, body_of, build_url, expected_denial, side_of

DEEP = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"text": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}"


def _post_json(client, url: str, body: bytes, **headers):
    return client.post(url, data=body, headers={"Content-Type": "application/json", "Accept": "application/json",
                                                 "X-CSRFToken": client.csrf_token(), **headers})


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_json_on_capture_api_is_a_clear_400(app, world, persona, body):
    client = persona("moderator_a")
    response = _post_json(client, f"/stands/{world.a.stand_id}/ideas.json", body)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "json_too_deep"
    assert error["message"] == "Die Anfrage ist zu tief verschachtelt (höchstens 20 Ebenen)."


def test_huge_json_on_capture_api_is_a_clear_400_in_english_too(app, world, persona):
    client = persona("moderator_a")
    client.set_cookie("ideenmarkt_lang", "en")
    body = json.dumps({"text": "Radweg", "said_by": "x" * (300 * 1024)}).encode()
    response = _post_json(client, f"/stands/{world.a.stand_id}/ideas.json", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "json_too_large"
    assert error["message"] == "The request is too large (at most 256 KB of JSON)."
    # Nothing was stored, and a normal idea still goes through.
    ok = _post_json(client, f"/stands/{world.a.stand_id}/ideas.json", json.dumps({"text": "Radweg am Neckar"}).encode())
    assert ok.status_code == 201


def test_json_posted_to_an_html_form_is_an_empty_form(app, world, persona):
    """Flask-WTF read a JSON body as form data (a list or nested values: a 500); the forms read
    form fields only, so JSON is an empty form that answers with its own messages."""
    client = persona("anonymous")
    for body in (DEEP, b"[1, 2]", json.dumps({"email": world.admin_email, "password": "x"}).encode()):
        response = client.post("/login", data=body, headers={"Content-Type": "application/json",
                                                             "X-CSRFToken": client.csrf_token()})
        assert response.status_code in (200, 422)  # the form again, not logged in (302)
        assert "Bitte korrigieren Sie Folgendes" in response.get_data(as_text=True)


@pytest.mark.parametrize("persona_name", ["anonymous", "moderator_a", "admin"])
def test_every_post_route_with_deep_or_odd_json_never_fails(app, world, persona, persona_name):
    client = persona(persona_name)
    bodies = [DEEP, DEEP_OBJECT, b'{"email": {"a": 1}, "text": [1, 2], "name": null, "consent": {"y": 1}}',
              b'[1, 2, 3]', b'"text"', b"{not json"]
    checked = 0
    for route in all_routes(app):
        if "POST" not in route.methods or expected_denial(route.access, persona_name):
            continue
        url = build_url(app, route, world, side_of(persona_name))
        for body in bodies:
            response = _post_json(client, url, body)
            text = body_of(response)
            assert response.status_code < 500, f"{route} with {body[:40]!r}: {response.status_code} {text[:300]}"
            assert "Traceback" not in text
        checked += 1
    assert checked
