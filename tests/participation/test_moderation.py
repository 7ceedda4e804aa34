"""The moderation of online ideas at a stand (issue 18): the services and the queue over HTTP
(roles and scope, CSRF, XSS, a wrong input then its correction, German and English)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.audit.models import AuditEntry
from app.extensions import db as _db
from app.ideas.models import Idea, IdeaLog
from app.participation import moderation
from app.participation.models import Participant
from app.ideas.services import IdeaError

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def world(app, create_user, create_event, create_process, create_stand, create_online_idea, online_settings,
          record, login):
    moderator = create_user(roles=("moderator",))
    other = create_user(roles=("moderator",))
    process_id = create_process(title="Esslingen 4.0").id
    online_settings(process_id, netiquette=["Kein Beleidigen", XSS])
    event_id = create_event(process_id=process_id).id
    stand = create_stand(event_id, "Bürgerportal", moderators=[moderator]).id
    other_stand = create_stand(event_id, "Homepage", moderators=[other]).id
    foreign_event = create_event().id
    foreign_stand = create_stand(foreign_event, "Fremd", moderators=[moderator]).id
    client = app.test_client()
    login(client, moderator)
    return {
        "moderator": moderator, "other": other, "client": client, "process_id": process_id, "stand": stand,
        "other_stand": other_stand, "foreign_stand": foreign_stand,
        "pending": create_online_idea(stand, "Online-Termine beim Bürgeramt " + XSS, pending=True).id,
        "shown": create_online_idea(stand, "WLAN in allen Bussen").id,
        "room": record(stand, "WLAN im Bus und in der Bahn", user=moderator).id,
        "other_online": create_online_idea(other_stand, "Idee am anderen Stand").id,
        "other_room": record(other_stand, "Raumidee am anderen Stand").id,
        "foreign_room": record(foreign_stand, "Idee einer anderen Veranstaltung").id,
    }


def _idea(app, idea_id) -> Idea:
    with app.app_context():
        idea = _db.session.get(Idea, idea_id)
        _db.session.expunge(idea)
        return idea


def _actions(app) -> list[str]:
    with app.app_context():
        return list(_db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# -- services -------------------------------------------------------------------------------


def test_approve_releases_a_pending_idea_once(app, world):
    with app.test_request_context():
        idea = _db.session.get(Idea, world["pending"])
        assert not idea.is_visible
        moderation.approve(idea, user=None)
        assert idea.is_visible
        with pytest.raises(IdeaError) as caught:
            moderation.approve(idea, user=None)
        assert caught.value.code == "not_pending"
        room = _db.session.get(Idea, world["room"])
        with pytest.raises(IdeaError) as caught:
            moderation.approve(room, user=None)
        assert caught.value.code == "not_online"
        _db.session.commit()
        log = _db.session.execute(sa.select(IdeaLog.action).where(IdeaLog.idea_id == idea.id)).scalars().all()
        assert log == ["approve"]
    assert "idea.approve" in _actions(app)


def test_hide_needs_a_rule_of_the_netiquette(app, world):
    with app.test_request_context():
        idea = _db.session.get(Idea, world["shown"])
        for reason, code in (("", "reason_required"), ("Irgendwas", "reason_unknown")):
            with pytest.raises(IdeaError) as caught:
                moderation.hide(idea, reason, user=None)
            assert caught.value.code == code
        moderation.hide(idea, "Kein Beleidigen", user=None)
        assert idea.status == "hidden" and idea.hidden_reason == "Kein Beleidigen"
        moderation.unhide(idea, user=None)
        assert idea.is_visible and idea.hidden_reason == ""


def test_hiding_a_pending_idea_decides_it(app, world):
    with app.test_request_context():
        idea = _db.session.get(Idea, world["pending"])
        moderation.hide(idea, "Kein Beleidigen", user=None)
        assert idea.status == "hidden" and idea.moderation == "visible" and not idea.is_visible


def test_without_a_netiquette_nothing_can_be_hidden(app, create_event, create_stand, create_online_idea):
    stand = create_stand(create_event().id).id
    idea_id = create_online_idea(stand, "Idee").id
    with app.test_request_context():
        with pytest.raises(IdeaError) as caught:
            moderation.hide(_db.session.get(Idea, idea_id), "Kein Beleidigen", user=None)
        assert caught.value.code == "no_netiquette"


def test_take_into_room_marks_once(app, world):
    with app.test_request_context():
        idea = _db.session.get(Idea, world["shown"])
        moderation.take_into_room(idea, user=None)
        assert idea.taken_into_room_at is not None
        with pytest.raises(IdeaError) as caught:
            moderation.take_into_room(idea, user=None)
        assert caught.value.code == "already_taken"
        with pytest.raises(IdeaError) as caught:
            moderation.take_into_room(_db.session.get(Idea, world["pending"]), user=None)
        assert caught.value.code == "not_visible"


def test_merge_into_a_room_idea_keeps_provenance(app, world):
    from app.accounts.models import User

    with app.test_request_context():
        moderator = _db.session.get(User, world["moderator"].id)
        idea = _db.session.get(Idea, world["shown"])
        for target, code in ((world["other_online"], "not_room"), (world["foreign_room"], "not_found"),
                             (999_999, "not_found"), (world["shown"], "not_room")):
            with pytest.raises(IdeaError) as caught:
                moderation.merge_into_room_idea(idea, target, user=moderator)
            assert caught.value.code == code
        with pytest.raises(IdeaError) as caught:
            moderation.merge_into_room_idea(idea, world["other_room"], user=moderator)
        assert caught.value.code == "forbidden"
        target = moderation.merge_into_room_idea(idea, world["room"], user=moderator)
        assert idea.status == "merged" and idea.merged_into_id == target.id == world["room"]
        assert idea.channel == "online" and idea.text == "WLAN in allen Bussen"
        actions = _db.session.execute(sa.select(IdeaLog.action, IdeaLog.idea_id)).all()
        assert ("merge", world["shown"]) in actions and ("absorb", world["room"]) in actions


def test_block_and_unblock_the_authors_link(app, world):
    with app.test_request_context():
        idea = _db.session.get(Idea, world["shown"])
        participant = moderation.block(idea, user=None)
        assert participant.blocked_at is not None and not participant.is_active
        with pytest.raises(IdeaError) as caught:
            moderation.block(idea, user=None)
        assert caught.value.code == "already_blocked"
        moderation.unblock(idea, user=None)
        assert participant.is_active
        _db.session.commit()
    assert _actions(app)[-2:] == ["participant.block", "participant.unblock"]


def test_queue_sorts_and_leaves_out_withdrawn_and_room_ideas(app, world, create_online_idea):
    create_online_idea(world["stand"], "Zurückgezogen", withdrawn=True)
    with app.test_request_context():
        from app.ideas.models import Stand

        data = moderation.queue(_db.session.get(Stand, world["stand"]))
        assert [i.id for i in data.pending] == [world["pending"]]
        assert [i.id for i in data.shown] == [world["shown"]]
        assert moderation.pending_counts([world["stand"]]) == {world["stand"]: 1}


# -- HTTP -----------------------------------------------------------------------------------


def test_capture_page_links_the_queue_with_the_waiting_count(world):
    html = world["client"].get(f"/stands/{world['stand']}/capture").get_data(as_text=True)
    assert f'href="/stands/{world["stand"]}/online"' in html
    assert "1 wartet auf Freigabe" in html


def test_queue_shows_the_ideas_escaped_in_german_and_english(world):
    client = world["client"]
    response = client.get(f"/stands/{world['stand']}/online")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Online-Ideen von" in html and "Wartet auf Freigabe" in html
    assert XSS not in html and str(escape(XSS)) in html  # in the idea and in the netiquette's options
    client.submit("/language", {"lang": "en"})
    english = client.get(f"/stands/{world['stand']}/online").get_data(as_text=True)
    assert "Waiting for approval" in english and "Online ideas of" in english
    assert re.search(r'<p class="idea-text" lang="de">WLAN in allen Bussen</p>', english)


def test_moderator_approves_hides_with_a_reason_and_shows_again(app, world):
    client = world["client"]
    response = client.submit(f"/online-ideas/{world['pending']}/approve", {})
    assert response.status_code == 303 and response.location.endswith(f"/stands/{world['stand']}/online#idea-{world['pending']}")
    assert _idea(app, world["pending"]).is_visible
    # No reason chosen: the queue again, the message at the field, nothing changed.
    field = f"hide-{world['shown']}-reason"
    response = client.submit(f"/online-ideas/{world['shown']}/hide", {field: ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and f'href="#{field}"' in html
    assert f'id="{field}-error"' in html and "Bitte wählen Sie die Regel der Netiquette" in html
    assert _idea(app, world["shown"]).status == "new"
    # A reason that is not a rule: refused too, the choice kept.
    response = client.submit(f"/online-ideas/{world['shown']}/hide", {field: "Finde ich doof"})
    assert response.status_code == 422 and "eine der Regeln der Netiquette" in response.get_data(as_text=True)
    response = client.submit(f"/online-ideas/{world['shown']}/hide", {field: XSS})
    assert response.status_code == 303
    idea = _idea(app, world["shown"])
    assert idea.status == "hidden" and idea.hidden_reason == XSS
    html = client.get(f"/stands/{world['stand']}/online").get_data(as_text=True)
    assert XSS not in html and f"Grund: {escape(XSS)}" in html
    assert client.submit(f"/online-ideas/{world['shown']}/unhide", {}).status_code == 303
    assert _idea(app, world["shown"]).is_visible
    assert {"idea.approve", "idea.hide", "idea.unhide"} <= set(_actions(app))


def test_a_kept_choice_after_an_error(world):
    client = world["client"]
    field = f"hide-{world['shown']}-reason"
    # Valid choice, but the idea is not visible any more (hidden twice): message at the field, choice kept.
    assert client.submit(f"/online-ideas/{world['shown']}/hide", {field: "Kein Beleidigen"}).status_code == 303
    client.submit(f"/online-ideas/{world['shown']}/unhide", {})
    response = client.submit(f"/online-ideas/{world['shown']}/merge", {f"merge-{world['shown']}-target_id": "abc"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="merge-{world["shown"]}-target_id-error"' in html and 'value="abc"' in html


def test_merge_with_a_wrong_number_then_the_right_one(app, world):
    client = world["client"]
    field = f"merge-{world['shown']}-target_id"
    response = client.submit(f"/online-ideas/{world['shown']}/merge", {field: str(world["foreign_room"])})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and f'value="{world["foreign_room"]}"' in html
    assert "Bei dieser Veranstaltung gibt es keine Idee" in html
    response = client.submit(f"/online-ideas/{world['shown']}/merge", {field: str(world["other_room"])})
    assert response.status_code == 422 and "nicht moderieren" in response.get_data(as_text=True)
    response = client.submit(f"/online-ideas/{world['shown']}/merge", {field: f"#{world['room']}"})
    assert response.status_code == 303
    idea = _idea(app, world["shown"])
    assert idea.status == "merged" and idea.merged_into_id == world["room"]
    assert "idea.merge" in _actions(app)


def test_take_into_room_and_block_over_http(app, world):
    client = world["client"]
    assert client.submit(f"/online-ideas/{world['shown']}/take", {}).status_code == 303
    assert _idea(app, world["shown"]).taken_into_room_at is not None
    html = client.get(f"/stands/{world['stand']}/online").get_data(as_text=True)
    assert "in der Liste im Saal" in html
    assert client.submit(f"/online-ideas/{world['shown']}/block", {}).status_code == 303
    with app.app_context():
        participant = _db.session.get(Participant, _db.session.get(Idea, world["shown"]).participant_id)
        assert participant.blocked_at is not None and participant.blocked_by_id == world["moderator"].id
    assert "Link gesperrt" in client.get(f"/stands/{world['stand']}/online").get_data(as_text=True)
    assert client.submit(f"/online-ideas/{world['shown']}/unblock", {}).status_code == 303
    assert {"idea.take_into_room", "participant.block", "participant.unblock"} <= set(_actions(app))


def test_scope_other_stand_other_event_room_ideas(app, world, staff_client):
    client = world["client"]
    assert client.get(f"/stands/{world['other_stand']}/online").status_code == 403
    for action in ("approve", "hide", "unhide", "take", "merge", "block", "unblock"):
        assert client.submit(f"/online-ideas/{world['other_online']}/{action}", {}).status_code == 403, action
        assert client.submit(f"/online-ideas/{world['room']}/{action}", {}).status_code == 404, action
        assert client.submit(f"/online-ideas/999999/{action}", {}).status_code == 404, action
    assert _idea(app, world["other_online"]).status == "new"
    council = staff_client("council")
    assert council.get(f"/stands/{world['stand']}/online").status_code == 403
    admin = staff_client("admin")
    assert admin.get(f"/stands/{world['other_stand']}/online").status_code == 200
    anonymous = app.test_client()
    response = anonymous.get(f"/stands/{world['stand']}/online")
    assert response.status_code == 302 and "/login" in response.location


def test_every_action_needs_the_csrf_token(app, world):
    client = world["client"]
    before = _actions(app)
    for action in ("approve", "hide", "unhide", "take", "merge", "block", "unblock"):
        response = client.post(f"/online-ideas/{world['pending']}/{action}",
                               data={f"hide-{world['pending']}-reason": "Kein Beleidigen"})
        assert response.status_code == 400, action
    assert not _idea(app, world["pending"]).is_visible
    assert _actions(app) == before


def test_queue_shows_a_page_of_each_list_and_keeps_a_failed_form_on_its_page(app, world):
    """A stand with more online ideas and comments than a page: each list is cut to
    ``QUEUE_PER_PAGE`` (newest first), its heading counts them all, the pager leads to the older
    ones; an idea whose form failed is shown with its message although its place is on page 2."""
    from app.ideas.models import IdeaChannel
    from app.participation.models import Comment

    per_page = moderation.QUEUE_PER_PAGE
    with app.app_context():
        author = _db.session.get(Idea, world["shown"]).participant_id
        _db.session.execute(sa.insert(Idea), [
            {"stand_id": world["stand"], "text": f"Viele Ideen {n}", "client_id": f"many-{n}", "said_by": "",
             "hidden_reason": "", "status": "new", "channel": IdeaChannel.ONLINE.value, "participant_id": author,
             "moderation": "visible"} for n in range(per_page + 5)])
        _db.session.execute(sa.insert(Comment), [
            {"idea_id": world["shown"], "participant_id": author, "text": f"Kommentar {n}", "moderation": "visible",
             "hidden_reason": ""} for n in range(per_page + 3)])
        oldest_comment = _db.session.execute(sa.select(sa.func.min(Comment.id))).scalar_one()
        _db.session.commit()
    client = world["client"]
    first = client.get(f"/stands/{world['stand']}/online").get_data(as_text=True)
    assert first.count('data-status') == 0  # nothing hidden or merged
    assert f"({per_page + 6})" in first and f"({per_page + 3})" in first  # the headings count every idea, comment
    assert f'id="idea-{world["shown"]}"' not in first and f'id="comment-{oldest_comment}"' not in first
    assert f'href="/stands/{world["stand"]}/online?page=2"' in first and "Seite 1 von 2" in first
    assert first.count('class="online-merge"') == per_page
    second = client.get(f"/stands/{world['stand']}/online?page=2").get_data(as_text=True)
    assert f'id="idea-{world["shown"]}"' in second and f'id="comment-{oldest_comment}"' in second
    assert second.count('class="online-merge"') == 6 and f'id="idea-{world["pending"]}"' not in second
    # The failed hide of the oldest shown idea (page 2) shows the queue with it and its message.
    field = f"hide-{world['shown']}-reason"
    response = client.submit(f"/online-ideas/{world['shown']}/hide", {field: ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="idea-{world["shown"]}"' in html and f'id="{field}-error"' in html
    assert client.get(f"/stands/{world['stand']}/online?page=x").status_code == 200
