"""The Host header never makes the site's links (issue 14, item 8): with BASE_URL configured
(production requires it), the calendar file's URL, the OpenAPI servers and every page link
name the public address, whatever Host a request carries. Without it (development) links
follow the served host and port."""
from __future__ import annotations

import pytest

from tests.security.walks import all_routes, body_of, build_url, expected_denial

EVIL = "evil.example:8443"


def _get(client, url: str):
    return client.get(url, headers={"Host": EVIL})


def test_calendar_file_names_the_public_address(app, world, persona):
    response = _get(persona("anonymous"), f"/events/{world.event_id}/calendar.ics")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "evil.example" not in text
    assert f"URL:{app.config['BASE_URL']}/events/{world.event_id}" in text.replace("\r\n ", "")


def test_openapi_servers_name_the_public_address(app, world, persona):
    document = _get(persona("anonymous"), "/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": app.config["BASE_URL"] + "/api/v1"}]


def test_in_development_links_follow_the_served_host(app, world, persona):
    app.config["BASE_URL"] = None
    client = persona("anonymous")
    document = client.get("/api/v1/openapi.json", base_url="http://127.0.0.1:5101").get_json()
    assert document["servers"] == [{"url": "http://127.0.0.1:5101/api/v1"}]
    ics = client.get(f"/events/{world.event_id}/calendar.ics", base_url="http://127.0.0.1:5101")
    assert f"URL:http://127.0.0.1:5101/events/{world.event_id}" in ics.get_data(as_text=True).replace("\r\n ", "")


@pytest.mark.parametrize("persona_name", ["anonymous", "admin"])
def test_no_page_carries_the_request_host(app, world, persona, persona_name):
    client = persona(persona_name)
    checked = 0
    for route in all_routes(app):
        if "GET" not in route.methods or expected_denial(route.access, persona_name):
            continue
        response = _get(client, build_url(app, route, world))
        text = body_of(response)
        assert "evil.example" not in text, f"{route}: the Host header is in the page"
        assert "evil.example" not in response.headers.get("Location", ""), f"{route}: redirect to the Host"
        checked += 1
    assert checked > 20
