"""The open-data API: visibility, bad parameters, JSON errors, CORS, no session, no personal data."""
from __future__ import annotations

import json

import pytest

from tests.factories.api import SECRETS

NOT_PUBLIC_TEXTS = ["ENTWURFSIDEE", "UNVEROEFFENTLICHTE IDEE", "VERSTECKTE IDEE", "Entwurf Geheimveranstaltung",
                    "Beleidigend"]


def public_api_urls(client, api_world) -> list[str]:
    """Every API URL of the world's public records, following the ids the API itself returns."""
    urls = ["/api/v1/openapi.json", "/api/v1/processes", "/api/v1/events",
            f"/api/v1/events?process={api_world.process_id}", f"/api/v1/processes/{api_world.process_id}"]
    for event in client.get("/api/v1/events").get_json()["items"]:
        base = f"/api/v1/events/{event['id']}"
        urls += [base, base + "/lottery", base + "/ideas", base + "/results"]
    return urls


def test_processes_list_only_public_events(client, api_world):
    items = client.get("/api/v1/processes").get_json()["items"]
    assert [p["id"] for p in items] == [api_world.process_id]
    process = items[0]
    assert process["title"] == "Esslingen 4.0 – Bürgerbeteiligung"
    assert process["stakeholder_groups"] == ["Einwohnerinnen und Einwohner", "Wirtschaft"]
    assert api_world.draft_id not in process["event_ids"]
    assert set(process["event_ids"]) == {api_world.event_id, api_world.held_id}
    assert client.get(f"/api/v1/processes/{api_world.process_id}").get_json() == process


def test_event_details_with_participation_and_stands(client, api_world):
    event = client.get(f"/api/v1/events/{api_world.event_id}").get_json()
    assert event["title"] == "Bürgerwerkstatt Öffnungszeiten"
    assert event["status"] == "published" and event["results_published"] is True
    assert event["seats"] == 2
    assert event["participation"] == {"applications": 5, "selected": 2, "confirmed": 2, "checked_in": 1,
                                      "walk_ins": 1, "room_voters": 1, "online_voters": 1}
    assert [s["title"] for s in event["stands"]] == ["Bürgerportal", "Öffnungszeiten & Service"]
    assert event["starts_at"].endswith("Z")
    listed = client.get(f"/api/v1/events?process={api_world.process_id}").get_json()["items"]
    assert {e["id"] for e in listed} == {api_world.event_id, api_world.held_id}
    assert "stands" not in listed[0]


def test_draft_and_unknown_events_are_404(client, api_world):
    for url in (f"/api/v1/events/{api_world.draft_id}", f"/api/v1/events/{api_world.draft_id}/lottery",
                "/api/v1/events/999999", "/api/v1/processes/999999", "/api/v1/events?process=999999",
                "/api/v1/events/99999999999999999999999", "/api/v1/processes/2147483648"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found", url


def test_held_event_is_public_but_has_no_lottery(client, api_world):
    event = client.get(f"/api/v1/events/{api_world.held_id}").get_json()
    assert event["status"] == "held" and event["results_published"] is False
    assert client.get(f"/api/v1/events/{api_world.held_id}/lottery").status_code == 404


def test_lottery_is_the_verifiable_audit_record(client, api_world):
    from app.lottery.audit import all_passed, verify_audit

    data = client.get(f"/api/v1/events/{api_world.event_id}/lottery").get_json()
    assert data["commitment"] == api_world.commitment == data["audit"]["commitment"]
    assert data["state"] == "drawn" and data["attempt"] == 1 and data["superseded"] == []
    assert len(data["audit"]["selected"]) == 2
    assert all_passed(verify_audit(data["audit"]))


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "", "%00", "1%00", "99999999999999999999999",
                                   "2147483648", "%EF%BC%91", "1e3", " "])
def test_bad_process_parameter_is_400_json(client, api_world, value):
    response = client.get(f"/api/v1/events?process={value}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter" and error["status"] == 400
    assert "process" in error["message"]


def test_error_messages_follow_accept_language(client, api_world):
    german = client.get("/api/v1/events?process=x").get_json()["error"]["message"]
    english = client.get("/api/v1/events?process=x", headers={"Accept-Language": "en"}).get_json()
    assert "ganze Zahl" in german
    assert "whole number" in english["error"]["message"]
    assert client.get("/api/v1/nothing-here", headers={"Accept-Language": "en-GB"}).get_json() == {
        "error": {"code": "not_found", "status": 404, "title": "Page not found",
                  "message": "This page does not exist or has been removed."}}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writing_methods_are_405_json_without_cors(client, api_world, method):
    response = client.open("/api/v1/processes", method=method)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" not in response.headers["Allow"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_reading_from_any_site_without_credentials(client, api_world):
    origin = {"Origin": "https://example.net"}
    response = client.get("/api/v1/processes", headers=origin)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/api/v1/events/1", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    head = client.head("/api/v1/processes", headers=origin)
    assert head.status_code == 200 and head.headers["Access-Control-Allow-Origin"] == "*"
    not_found = client.get("/api/v1/events/999999", headers=origin)
    assert not_found.headers["Access-Control-Allow-Origin"] == "*"
    # Pages outside the API stay same-origin.
    assert "Access-Control-Allow-Origin" not in client.get("/processes", headers=origin).headers


def test_api_never_sets_or_reads_the_session(app, api_world, staff_client):
    staff = staff_client("admin")
    assert any(c.key == app.config["SESSION_COOKIE_NAME"] for c in staff._cookies.values())
    for url in public_api_urls(staff, api_world) + ["/api/v1/events?process=x", "/api/v1/nothing"]:
        response = staff.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
    # The staff session still works outside the API afterwards.
    assert staff.get("/manage/processes").status_code == 200


def test_unexpected_error_is_500_json(app, client, api_world, monkeypatch):
    from app.api import services

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "processes", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/v1/processes")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)


def test_no_personal_or_unpublished_data_in_any_public_response(client, api_world):
    searched = 0
    for url in public_api_urls(client, api_world):
        for lang in ("de", "en"):
            response = client.get(url, headers={"Accept-Language": lang})
            assert response.status_code in (200, 404), url
            text = response.get_data(as_text=True)
            decoded = json.dumps(response.get_json(), ensure_ascii=False)
            for secret in SECRETS + NOT_PUBLIC_TEXTS:
                assert secret not in text and secret not in decoded, f"{secret!r} in {url}"
            searched += 1
    assert searched >= 20
