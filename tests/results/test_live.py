"""The public outcome page of an event, live while its results are being published
(app/results/live.py): after the commit the sections that changed are published once per
language to the event's public ``results`` channel (a fake nchan publisher), the JSON the page
catches up from, the app's own stream without nginx and its 404 with it. Browser:
tests/journeys/test_live_door_and_results.py."""
from __future__ import annotations

import json

import pytest

from app.extensions import db as _db
from tests.support.live_publisher import PUBLISHER_PORT, running_publisher, sent


@pytest.fixture
def app_config(request):
    if "without_nginx" in request.node.name:
        return {"IDEAS_STREAM_SECONDS": 0.0}
    return {"LIVE_PUBLISH_URL": f"http://127.0.0.1:{PUBLISHER_PORT}/_live/publish", "LIVE_PUBLISH_TIMEOUT": 1.0}


@pytest.fixture
def publisher():
    with running_publisher() as server:
        yield server


def outcome(publisher, event_id: int) -> list[dict]:
    return [body for _method, path, body, event in publisher.received
            if path == f"/_live/publish/results/{event_id}" and event == "outcome"]


def test_a_board_count_publishes_only_the_changed_sections_in_each_language(
        app, client, staff_client, results_fixture, publisher):
    fx = results_fixture
    admin = staff_client("admin")
    board = f"/manage/events/{fx.event_a}/board"
    admin.submit(board, {f"count-{fx.ideas['i4']}": "3"})
    sent(app)
    first = outcome(publisher, fx.event_a)
    assert [m["lang"] for m in first] == ["de", "en"] and all(m["published"] for m in first)
    # The page in each language: its catch-up has the same sections (the first message of a
    # process has every section, it has published none before).
    page = client.get(f"/events/{fx.event_a}/results").get_data(as_text=True)
    assert f'data-live-url="/live/results/{fx.event_a}"' in page and 'role="status"' in page
    state = client.get(f"/events/{fx.event_a}/results.json").get_json()
    assert state["sections"] == first[0]["sections"]
    assert f'data-hash="{state["sections"]["ranking"]["hash"]}"' in page
    assert "Punkte" in first[0]["sections"]["figures"]["html"]
    assert "dots" in first[1]["sections"]["figures"]["html"]

    admin.submit(board, {f"count-{fx.ideas['i4']}": "4"})
    sent(app)
    second = outcome(publisher, fx.event_a)[2:]
    assert [m["lang"] for m in second] == ["de", "en"]
    # i4's dots changed: the figures, the ranking, the stands and (i4 has #homepage) the tags;
    # the participation did not.
    assert set(second[0]["sections"]) == {"figures", "ranking", "stands", "tags"}
    assert "participation" not in second[1]["sections"]
    # The other published event is not touched.
    assert outcome(publisher, fx.event_b) == []


def test_an_unpublished_event_publishes_no_outcome(app, staff_client, results_fixture, publisher):
    fx = results_fixture
    staff_client("admin").submit(f"/manage/events/{fx.event_c}/board", {f"count-{fx.ideas['i9']}": "2"})
    sent(app)
    assert outcome(publisher, fx.event_c) == []


def test_hiding_an_idea_publishes_the_ranking_without_it(app, staff_client, results_fixture, publisher):
    fx = results_fixture
    admin = staff_client("admin")
    admin.submit(f"/ideas/{fx.ideas['i4']}/hide", {"reason": "Doppelt"})
    sent(app)
    ranking = outcome(publisher, fx.event_a)[0]["sections"]["ranking"]["html"]
    assert "Bürgerportal" in ranking
    with app.app_context():
        from app.ideas.models import Idea

        text = _db.session.get(Idea, fx.ideas["i4"]).text
    assert text not in ranking


def test_the_json_follows_the_filter_and_refuses_unpublished_events(client, results_fixture):
    fx = results_fixture
    whole = client.get(f"/events/{fx.event_a}/results.json").get_json()
    filtered = client.get(f"/events/{fx.event_a}/results.json?stand={fx.s2}").get_json()
    assert whole["sections"]["ranking"]["hash"] != filtered["sections"]["ranking"]["hash"]
    assert client.get(f"/events/{fx.event_a}/results.json?stand=nonsense").status_code == 200
    assert client.get(f"/events/{fx.event_c}/results.json").status_code == 404
    assert client.get("/events/99999999999/results.json").status_code == 404
    page = client.get(f"/events/{fx.event_a}/results?stand={fx.s2}").get_data(as_text=True)
    assert 'data-filtered="1"' in page and f"results.json?stand={fx.s2}" in page


def test_the_apps_own_stream_without_nginx_sends_the_page_in_its_language(client, results_fixture):
    fx = results_fixture
    client.set_cookie("ideenmarkt_lang", "en")
    response = client.get(f"/events/{fx.event_a}/results/stream")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    data = json.loads(next(line[6:] for line in body.splitlines() if line.startswith("data: ")))
    assert set(data["sections"]) == {"figures", "ranking", "stands", "tags", "participation"}
    assert "dots" in data["sections"]["figures"]["html"]
    assert client.get(f"/events/{fx.event_c}/results/stream").status_code == 404


def test_with_nginx_the_app_holds_no_outcome_stream(client, results_fixture):
    assert client.get(f"/events/{results_fixture.event_a}/results/stream").status_code == 404
