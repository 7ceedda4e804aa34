"""The check-in counter and the public voting results, live (app/voting/live.py): after the
commit each change is published once, with what changed only (a fake nchan publisher); the JSON
the pages catch up from; the app's own streams without nginx (development) and their 404 with it;
the authorisation nginx asks for. Browser: tests/voting/test_browser.py; nginx: tests/deploy/."""
from __future__ import annotations

import json

import pytest

from app.extensions import db as _db
from app.voting.codes import format_code
from tests.support.live_publisher import PUBLISHER_PORT, running_publisher, sent


@pytest.fixture
def app_config(request):
    if "without_nginx" in request.node.name:
        return {}
    return {"LIVE_PUBLISH_URL": f"http://127.0.0.1:{PUBLISHER_PORT}/_live/publish", "LIVE_PUBLISH_TIMEOUT": 1.0}


@pytest.fixture
def publisher():
    with running_publisher() as server:
        yield server


def published(publisher, prefix: str) -> list[dict]:
    return [body for method, path, body, _ in publisher.received if path.startswith(f"/_live/publish/{prefix}")]


def test_a_check_in_publishes_the_counter_once_after_the_commit(app, staff_client, voting_event, publisher):
    ev = voting_event(tickets=3, walk_ins=True)
    admin = staff_client("admin")
    base = f"/manage/events/{ev.event_id}"
    admin.submit(f"{base}/checkin", {"code": format_code(ev.codes[0])})
    sent(app)
    door = published(publisher, f"door/{ev.event_id}")
    assert len(door) == 1
    assert {k: door[0][k] for k in ("checked_in", "confirmed", "walk_ins")} == {
        "checked_in": 1, "confirmed": 3, "walk_ins": 0}
    assert [e for _, p, _, e in publisher.received if p.startswith("/_live/publish/door/")] == ["attendance"]
    # Checking in twice changes nothing: nothing is published.
    admin.submit(f"{base}/checkin", {"code": ev.codes[0]})
    admin.submit(f"{base}/walk-in", {"name": "Gast"})
    sent(app)
    door = published(publisher, f"door/{ev.event_id}")
    assert len(door) == 2 and door[-1]["checked_in"] == 2 and door[-1]["walk_ins"] == 1
    assert door[-1]["as_of"] >= door[0]["as_of"]
    # The page's catch-up has the same numbers; the page points at nginx's channel.
    state = admin.get(f"{base}/checkin/attendance.json").get_json()
    assert {k: state[k] for k in ("checked_in", "confirmed", "walk_ins")} == {
        "checked_in": 2, "confirmed": 3, "walk_ins": 1}
    page = admin.get(f"{base}/checkin").get_data(as_text=True)
    assert f'data-live-url="/live/door/{ev.event_id}"' in page and 'id="live-status"' in page
    assert 'role="status"' in page and 'aria-live="polite"' in page


def test_a_rolled_back_check_in_publishes_nothing(app, staff_client, voting_event, publisher):
    ev = voting_event(tickets=1)
    staff_client("admin").submit(f"/manage/events/{ev.event_id}/checkin", {"code": "ZZZZZZZZ"})
    sent(app)
    assert published(publisher, "door/") == []


def test_board_counts_during_the_count_publish_only_the_changed_idea(app, staff_client, voting_event, publisher):
    from app.voting.state import close_voting

    ev = voting_event(tickets=2, ideas_per_stand=2)
    with app.app_context():
        close_voting(ev.event)
        _db.session.commit()
    sent(app)
    closed = published(publisher, f"results/{ev.event_id}")
    assert closed and closed[-1]["state"] == "closed" and closed[-1]["complete"] is True
    admin = staff_client("admin")
    idea_id = ev.idea_ids[1]
    response = admin.submit(f"/manage/events/{ev.event_id}/board", {f"count-{idea_id}": "7"})
    assert response.status_code == 302
    sent(app)
    update = published(publisher, f"results/{ev.event_id}")[-1]
    assert [row["id"] for row in update["rows"]] == [idea_id] and update["rows"][0]["board"] == 7
    assert update["rows"][0]["total"] == 7 and update["sums"]["board"] == 7 and update["complete"] is False
    # Hiding an idea during the count: it leaves the table.
    from app.ideas import services as ideas

    with app.app_context():
        ideas.hide_idea(ev.ideas[0], "duplicate", user=None)
        _db.session.commit()
    sent(app)
    update = published(publisher, f"results/{ev.event_id}")[-1]
    assert update["removed"] == [ev.idea_ids[0]] and update["rows"] == []
    # The catch-up: the whole table, public.
    state = app.test_client().get(f"/events/{ev.event_id}/vote/results.json").get_json()
    assert state["complete"] and len(state["rows"]) == len(ev.idea_ids) - 1
    assert state["rows"][0]["id"] == idea_id and "Teilnehmerin" not in json.dumps(state)
    page = app.test_client().get(f"/events/{ev.event_id}/vote/results").get_data(as_text=True)
    assert f'data-live-url="/live/results/{ev.event_id}"' in page and 'data-state="closed"' in page


def test_with_nginx_no_request_worker_holds_a_counter_stream(app, staff_client, voting_event):
    ev = voting_event(tickets=1)
    admin = staff_client("admin")
    assert admin.get(f"/manage/events/{ev.event_id}/checkin/stream").status_code == 404
    assert app.test_client().get(f"/events/{ev.event_id}/vote/results/stream").status_code == 404


def test_the_authorisation_of_door_and_results(app, staff_client, voting_event, create_user, login):
    ev = voting_event(tickets=1)
    nginx = {"X-Live-Authorize": "1"}
    admin = staff_client("admin")
    assert admin.get(f"/live/authorize/door/{ev.event_id}", headers=nginx).status_code == 204
    assert admin.get(f"/live/authorize/door/{ev.event_id}").status_code == 404  # not asked by nginx
    stranger = staff_client("moderator")  # moderates no stand of this event
    assert stranger.get(f"/live/authorize/door/{ev.event_id}", headers=nginx).status_code == 403
    assert stranger.get(f"/manage/events/{ev.event_id}/checkin/attendance.json").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/live/authorize/door/{ev.event_id}", headers=nginx).status_code == 403
    assert anonymous.get(f"/live/authorize/results/{ev.event_id}", headers=nginx).status_code == 204
    assert anonymous.get(f"/live/authorize/results/{ev.event_id + 99}", headers=nginx).status_code == 403
    assert anonymous.get(f"/live/authorize/door/99999999999999999999", headers=nginx).status_code == 404
    assert anonymous.get(f"/events/{ev.event_id + 99}/vote/results.json").status_code == 404


def test_without_nginx_the_app_streams_the_counter_with_changes_only(app, staff_client, voting_event):
    """Development (`make run`): the check-in page's own stream sends the whole counter first and
    then only when it changed."""
    from app.core.live import state_stream
    from app.voting import live
    from app.voting.checkin import check_in

    ev = voting_event(tickets=2)
    admin = staff_client("admin")
    response = admin.get(f"/manage/events/{ev.event_id}/checkin/stream")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    response.close()
    # The generator itself, with a short life: a check-in in between is sent, once.
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 2:
            with app.app_context():
                check_in(ev.event, ev.codes[0])
                _db.session.commit()
        return live.door_state(ev.event)

    chunks = []
    for chunk in state_stream(app, "attendance", compute, live._door_changes, seconds=0.3, poll=0.01, heartbeat=60):
        chunks.append(chunk)
        if len(calls) > 4:
            break
    events = [json.loads(c.split("data: ", 1)[1]) for c in chunks if c.startswith("event: attendance")]
    assert [e["checked_in"] for e in events] == [0, 1]
