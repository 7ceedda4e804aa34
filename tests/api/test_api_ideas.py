"""Ideas and results of a published event: dots per channel, merged ideas, pagination, visibility."""
from __future__ import annotations

import pytest


def test_ideas_of_a_published_event(client, api_world):
    data = client.get(f"/api/v1/events/{api_world.event_id}/ideas").get_json()
    assert data["total"] == 3 and data["pages"] == 1 and data["page"] == 1
    ideas = {i["id"]: i for i in data["items"]}
    assert api_world.hidden_id not in ideas
    top, duplicate, longer = ideas[api_world.top_id], ideas[api_world.duplicate_id], ideas[api_world.longer_id]
    # The walk-in gave the top idea 2 dots and its duplicate 1 before the merge; 4 on the board.
    assert top["dots"] == {"room": 3, "board": 4, "online": 0, "total": 7}
    assert top["merged_into"] is None and top["status"] == "new"
    assert duplicate["status"] == "merged" and duplicate["merged_into"] == api_world.top_id
    assert duplicate["dots"] == {"room": 0, "board": 0, "online": 0, "total": 0}
    assert longer["dots"] == {"room": 1, "board": 7, "online": 1, "total": 9}
    assert top["stand"] == {"id": api_world.stand_ids[0], "title": "Bürgerportal"}
    assert [t["label"] for t in top["tags"]] == ["Bürgerportal", "Digital"]
    assert longer["text"] == "Samstags geöffnet für Berufstätige"
    assert all(i["measure_ids"] == [] for i in ideas.values())
    assert sum(i["dots"]["total"] for i in ideas.values()) == 16


def test_ideas_are_paginated_with_bounds(client, api_world):
    pages = [client.get(f"/api/v1/events/{api_world.event_id}/ideas?per_page=2&page={n}").get_json()
             for n in (1, 2, 3)]
    assert [len(p["items"]) for p in pages] == [2, 1, 0]
    assert pages[0]["pages"] == 2 and pages[2]["total"] == 3
    ids = [i["id"] for p in pages for i in p["items"]]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for query in ("per_page=0", "per_page=501", "page=0", "page=100001", "page=abc", "per_page=%00",
                  "page=99999999999999999999"):
        response = client.get(f"/api/v1/events/{api_world.event_id}/ideas?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "bad_parameter"


def test_results_totals_and_ranking(client, api_world):
    data = client.get(f"/api/v1/events/{api_world.event_id}/results").get_json()
    assert data["ideas"] == 2
    assert data["dots"] == {"room": 4, "board": 11, "online": 1, "total": 16}
    assert [(s["title"], s["ideas"], s["dots"]["total"]) for s in data["stands"]] == [
        ("Bürgerportal", 1, 7), ("Öffnungszeiten & Service", 1, 9)]
    assert [(t["label"], t["dots"]["total"]) for t in data["tags"]] == [
        ("Öffnungszeiten", 9), ("Bürgerportal", 7), ("Digital", 7)]
    assert [(i["rank"], i["id"], i["merged"]) for i in data["ranking"]] == [
        (1, api_world.longer_id, 0), (2, api_world.top_id, 1)]
    assert data["participation"]["confirmed"] == 2
    limited = client.get(f"/api/v1/events/{api_world.event_id}/results?limit=1").get_json()
    assert [i["id"] for i in limited["ranking"]] == [api_world.longer_id]
    assert client.get(f"/api/v1/events/{api_world.event_id}/results?limit=0").status_code == 400


@pytest.mark.parametrize("suffix", ["ideas", "results"])
def test_unpublished_results_are_404(client, api_world, suffix):
    for event_id in (api_world.held_id, api_world.draft_id, 999999):
        response = client.get(f"/api/v1/events/{event_id}/{suffix}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
