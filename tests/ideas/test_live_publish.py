"""The app's side of the nchan live path (LIVE_PUBLISH_URL), against a fake publisher: one
message per changed idea after the commit (nchan delivers it to its three channels), none for
a rollback, a publisher that is down or hangs never costs a moderator's save nor holds the
request (a bounded background sender, app/core/live.py), and replacing the wall link ends the
channels.
The real nginx+nchan stack is tested in tests/deploy/test_live_nchan.py."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.ideas.models import Idea
from tests.factories.ideas import post_json
from tests.support.live_publisher import PUBLISHER_PORT, running_publisher, sent

@pytest.fixture
def app_config():
    return {"LIVE_PUBLISH_URL": f"http://127.0.0.1:{PUBLISHER_PORT}/_live/publish", "LIVE_PUBLISH_TIMEOUT": 1.0,
            "LIVE_PUBLISH_QUEUE": 5}


@pytest.fixture
def publisher():
    with running_publisher() as server:
        yield server


@pytest.fixture
def world(app, create_user, create_event, create_stand, login, wall_token):
    moderator = create_user(roles=("moderator",))
    event_id = create_event().id
    stand = create_stand(event_id, "Bürgerportal", moderators=[moderator]).id
    client = app.test_client()
    login(client, moderator)
    return {"event_id": event_id, "stand": stand, "client": client, "token": wall_token(event_id)}


def test_a_saved_idea_is_published_once_after_the_commit(app, world, publisher):
    response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json",
                         {"text": "Sitzbänke am Neckar #Grün", "said_by": "Frau K."})
    assert response.status_code == 201, response.get_data(as_text=True)
    idea_id = response.get_json()["idea"]["id"]
    sent(app)
    # One POST per change: nchan's publisher location delivers it to wall-<event>,
    # stand-<stand> and capture-<stand> (app/core/deploy.py).
    assert [(method, path) for method, path, _, _ in publisher.received] == [
        ("POST", f"/_live/publish/idea/{world['event_id']}/{world['stand']}")]
    _, _, body, event = publisher.received[0]
    assert event == "idea"
    assert body["id"] == idea_id and body["text"] == "Sitzbänke am Neckar" and body["tags"] == ["Grün"]
    assert body["change_id"] > 0
    # Never who said it: the capture page reads that from its own (staff) feed.
    assert "said_by" not in body and "client_id" not in body
    staff = world["client"].get(f"/stands/{world['stand']}/changes.json?after=0").get_json()
    assert staff["changes"][-1]["idea"]["said_by"] == "Frau K."
    assert staff["changes"][-1]["change_id"] == body["change_id"]
    # The page points its client at nginx's subscription, and the feed has the same change.
    page = world["client"].get(f"/wall/{world['token']}").get_data(as_text=True)
    assert f'data-live-url="/live/wall/{world["event_id"]}/{world["token"]}"' in page
    feed = world["client"].get(f"/wall/{world['token']}/changes?after=0").get_json()
    assert feed["changes"][-1]["change_id"] == publisher.received[0][2]["change_id"]


def test_with_the_live_path_no_request_worker_holds_a_stream(world):
    """nginx holds the streams: the app's own stream answers 404, so no worker can be tied up by
    someone who knows a wall secret; the feed (polling, catching up) stays."""
    assert world["client"].get(f"/wall/{world['token']}/stream").status_code == 404
    assert world["client"].get(f"/wall/{world['token']}/stream?stand={world['stand']}").status_code == 404
    assert world["client"].get(f"/wall/{world['token']}/changes?after=0").status_code == 200


def test_a_hidden_idea_reaches_walls_as_gone_without_its_text(app, world, publisher):
    from app.ideas import services
    from app.ideas.models import Stand

    with app.app_context():
        idea, _ = services.record_idea(_db.session.get(Stand, world["stand"]), "Beleidigender Text")
        _db.session.commit()
        services.hide_idea(idea, "offensive", user=None)
        _db.session.commit()
    sent(app)
    hidden = [body for _, path, body, _ in publisher.received if "/idea/" in path][-1]
    assert hidden["visible"] is False and "text" not in hidden and "tags" not in hidden
    feed = world["client"].get(f"/wall/{world['token']}/changes?after=0").get_json()
    assert feed["changes"][-1]["idea"] == {k: hidden[k] for k in ("id", "stand_id", "status", "visible")}


def test_a_rolled_back_change_is_not_published(app, world, publisher):
    from app.ideas import services
    from app.ideas.models import Stand

    with app.app_context():
        services.record_idea(_db.session.get(Stand, world["stand"]), "Wird verworfen")
        _db.session.rollback()
    sent(app)
    assert publisher.received == []


@pytest.mark.parametrize("down", ["refused", "error"])
def test_a_publisher_that_is_down_never_costs_the_save(app, world, publisher, down, capfd):
    if down == "refused":
        publisher.shutdown()
        publisher.server_close()
    else:
        publisher.status = 503
    response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json", {"text": "Trotzdem gespeichert"})
    assert response.status_code == 201
    with app.app_context():
        assert _db.session.execute(sa.select(Idea.text)).scalars().all() == ["Trotzdem gespeichert"]
    sent(app)
    assert "could not publish to idea/" in capfd.readouterr().err
    # Walls catch up from the feed.
    feed = world["client"].get(f"/wall/{world['token']}/changes?after=0").get_json()
    assert [c["idea"]["text"] for c in feed["changes"]] == ["Trotzdem gespeichert"]


def test_replacing_the_wall_link_ends_the_walls_channels(app, world, publisher, staff_client):
    admin = staff_client("admin")
    admin.submit(f"/manage/events/{world['event_id']}/wall-link")
    sent(app)
    assert [(m, p) for m, p, _, _ in publisher.received] == [
        ("DELETE", f"/_live/publish/wall/{world['event_id']}"), ("DELETE", f"/_live/publish/stand/{world['stand']}")]


def test_a_hanging_publisher_holds_no_request(app, world, publisher, capfd):
    """nchan accepts the connection and never answers: the save is answered while the publish
    is still held, and the sender gives up after LIVE_PUBLISH_TIMEOUT (logged)."""
    publisher.hang = True
    try:
        for n in range(3):
            response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json", {"text": f"Hängt {n}"})
            assert response.status_code == 201
        # All three saves were answered, and nchan has not answered a single publish yet.
        assert publisher.answered == 0
        with app.app_context():
            assert len(_db.session.execute(sa.select(Idea.id)).scalars().all()) == 3
        # The sender gives each held publish up after LIVE_PUBLISH_TIMEOUT, on its own.
        sent(app)
        assert publisher.answered == 0
        assert "could not publish to idea/" in capfd.readouterr().err
    finally:
        publisher.release.set()
    # The walls still get every idea from the feed.
    feed = world["client"].get(f"/wall/{world['token']}/changes?after=0").get_json()
    assert [c["idea"]["text"] for c in feed["changes"]] == ["Hängt 0", "Hängt 1", "Hängt 2"]


def test_a_full_publish_queue_drops_updates_but_never_a_save(app, world, publisher, capfd):
    from app.core import live

    publisher.hang = True
    app.config["LIVE_PUBLISH_TIMEOUT"] = 60  # the held publish stays held while the queue fills
    sender = live.sender(app)
    try:
        with app.app_context():
            # Fill the queue behind the held publish: the next update is dropped, not waited for.
            for _ in range(sender.queue.maxsize + 1):  # one may already be in the sender's hands
                live.publish(live.Message("wall/1", "{}"))
        response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json", {"text": "Trotz voller Schlange"})
        assert response.status_code == 201
    finally:
        publisher.release.set()
    sent(app)
    assert "publish queue full" in capfd.readouterr().err


def test_the_authorisation_answers_nginx_only(app, world):
    client = world["client"]
    base = f"/live/authorize/wall/{world['event_id']}"
    nginx = {"X-Live-Authorize": "1"}
    assert client.get(f"{base}/{world['token']}", headers=nginx).status_code == 204
    assert client.get(f"{base}/not-the-secret", headers=nginx).status_code == 403
    assert client.get(f"/live/authorize/stand/{world['stand']}/{world['token']}", headers=nginx).status_code == 204
    assert client.get(f"/live/authorize/stand/{world['stand'] + 99}/{world['token']}", headers=nginx).status_code == 403
    assert client.get(f"{base}/{world['token']}").status_code == 404  # not asked by nginx


def test_bad_feed_parameters_answer_cleanly(app, world):
    client = world["client"]
    assert client.get(f"/wall/{world['token']}/changes?after=abc").get_json()["changes"] == []
    assert client.get(f"/wall/{world['token']}/changes?after=99999999999999999999").status_code == 200
    assert client.get(f"/wall/{world['token']}/changes?stand=999999").status_code == 404
    assert client.get("/wall/unknown/changes").status_code == 404
