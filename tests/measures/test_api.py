"""Measures in the open-data API: the list per process and ``measure_ids`` on ideas."""
from __future__ import annotations

from datetime import date

from app.extensions import db
from app.ideas import services as ideas
from app.measures.lifecycle import change_status, create_measure
from app.measures.links import link_ideas


def test_process_measures_and_idea_measure_ids(app, measures_world, client):
    w = measures_world()
    with app.test_request_context():
        process = w.process
        measure = create_measure(process, title="Online-Terminvergabe", chapter="Bürgerportal",
                                 office="Bürgeramt", on=date(2019, 5, 15))
        change_status(measure, "adopted", on=date(2019, 7, 22), comment="Beschlossen")
        source, survivor = w.ideas[1], w.ideas[0]
        link_ideas(measure, [source, w.ideas[4]])
        ideas.merge_ideas(survivor, [source], user=None)
        w.events[1].status = "held"  # its ideas are not open data yet
        db.session.commit()
        measure_id = measure.id
    data = client.get(f"/api/v1/processes/{w.process_id}/measures").get_json()
    assert data["process_id"] == w.process_id
    [item] = data["items"]
    assert item["title"] == "Online-Terminvergabe" and item["status"] == "adopted"
    assert item["status_date"] == "2019-07-22" and item["office"] == "Bürgeramt"
    assert [(h["from_status"], h["to_status"], h["date"], h["comment"]) for h in item["history"]] == [
        (None, "proposed", "2019-05-15", ""), ("proposed", "adopted", "2019-07-22", "Beschlossen")]
    assert item["idea_ids"] == [w.idea_ids[0]]  # the survivor; the held event's idea stays private
    page = client.get(f"/api/v1/events/{w.event_ids[0]}/ideas").get_json()
    by_id = {i["id"]: i for i in page["items"]}
    assert by_id[w.idea_ids[0]]["measure_ids"] == [measure_id]  # through the merged idea
    assert by_id[w.idea_ids[1]]["measure_ids"] == [measure_id]
    assert by_id[w.idea_ids[2]]["measure_ids"] == []
    assert client.get("/api/v1/processes/999999/measures").status_code == 404
    schema = client.get("/api/v1/openapi.json").get_json()
    assert "/processes/{process_id}/measures" in schema["paths"] and "Measure" in schema["components"]["schemas"]
