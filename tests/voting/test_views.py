"""Voting over HTTP: ticket session, plain forms, JSON, bad inputs, rate limit, staff pages."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.voting.codes import format_code, new_code
from app.voting.models import BoardCount, Dot


@pytest.fixture
def app_config():
    return {"VOTING_CODE_RATE_LIMIT": "5 per minute"}


def _dots() -> int:
    return _db.session.execute(sa.select(sa.func.count(Dot.id))).scalar_one()


def _enter(client, event_id: int, code: str):
    return client.submit(f"/events/{event_id}/vote", {"code": code})


def test_typed_code_opens_ballot_and_plain_forms_vote(app, client, voting_event):
    ev = voting_event(tickets=2, dots=5)
    page = client.get(f"/events/{ev.event_id}/vote")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    response = _enter(client, ev.event_id, format_code(ev.codes[0]).lower().replace("-", " "))
    assert response.status_code == 302 and response.location.endswith(f"/events/{ev.event_id}/vote")
    idea = ev.idea_ids[1]
    response = client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": idea, "op": "add"})
    assert response.status_code == 302 and response.location.endswith(f"#idea-{idea}")
    html = client.get(f"/events/{ev.event_id}/vote").get_data(as_text=True)
    assert 'id="remaining">4<' in html and f'data-idea="{idea}">1<' in html
    assert ev.codes[0] not in html  # the code is not on the page or in any URL
    response = client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": idea, "op": "remove"})
    assert response.status_code == 302
    with app.app_context():
        assert _dots() == 0


def test_qr_link_logs_in_and_drops_the_code(client, voting_event):
    ev = voting_event(tickets=1)
    response = client.get(f"/events/{ev.event_id}/vote/t/{ev.codes[0]}")
    assert response.status_code == 302 and ev.codes[0] not in response.location
    assert "Übrige Punkte" in client.get(response.location).get_data(as_text=True)


def test_json_dots_and_errors(app, client, voting_event):
    ev = voting_event(tickets=1, dots=2, max_per_idea=1)
    _enter(client, ev.event_id, ev.codes[0])
    url = f"/events/{ev.event_id}/vote/dots"
    headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token()}
    first = client.post(url, data={"idea_id": ev.idea_ids[0]}, headers=headers)
    assert first.status_code == 200 and first.json == {"idea_id": ev.idea_ids[0], "mine": 1, "remaining": 1,
                                                          "scope_id": 0}
    again = client.post(url, data={"idea_id": ev.idea_ids[0]}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "idea_limit"
    client.post(url, data={"idea_id": ev.idea_ids[1]}, headers=headers)
    full = client.post(url, data={"idea_id": ev.idea_ids[2]}, headers=headers)
    assert full.json["error"]["code"] == "no_dots_left" and "keine Punkte mehr" in full.json["error"]["message"]
    for bad in ({"idea_id": "x" * 100_000}, {"idea_id": "\x00"}, {}, {"idea_id": 1, "op": "steal"}):
        response = client.post(url, data=bad, headers=headers)
        assert response.status_code == 409
    # Without the CSRF token nothing happens.
    assert client.post(url, data={"idea_id": ev.idea_ids[3]}).status_code == 400
    with app.app_context():
        assert _dots() == 2


def test_without_ticket_nothing_is_stored(app, client, voting_event):
    ev = voting_event(tickets=1)
    response = client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": ev.idea_ids[0]},
                             headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json["error"]["code"] == "no_ticket"
    with app.app_context():
        assert _dots() == 0


def test_other_event_unknown_code_closed_vote_and_hidden_idea(app, client, voting_event):
    ev = voting_event(tickets=1)
    other = voting_event(tickets=1, title="Jugendgemeinderat")
    response = _enter(client, ev.event_id, other.codes[0])
    assert response.status_code == 422 and "kein Ticket mit diesem Code" in response.get_data(as_text=True)
    assert "Jugendgemeinderat" not in response.get_data(as_text=True)
    response = _enter(client, ev.event_id, "ZZZZ-ZZZZ" if "ZZZZZZZZ" not in ev.codes else new_code())
    assert response.status_code == 422 and "kein Ticket mit diesem Code" in response.get_data(as_text=True)
    response = client.get(f"/events/{ev.event_id}/vote/t/{'a' * 300}")
    assert response.status_code == 404
    # The other event's ticket does not vote here, even with its session.
    _enter(client, other.event_id, other.codes[0])
    response = client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": ev.idea_ids[0]},
                             headers={"Accept": "application/json"})
    assert response.status_code == 401
    # The other event's idea cannot be voted on with this event's ticket.
    _enter(client, ev.event_id, ev.codes[0])
    headers = {"Accept": "application/json", "X-CSRFToken": client.csrf_token()}
    response = client.post(f"/events/{ev.event_id}/vote/dots", data={"idea_id": other.idea_ids[0]}, headers=headers)
    assert response.json["error"]["code"] == "unknown_idea"
    with app.app_context():
        ev.ideas[0].status = "hidden"
        _db.session.commit()
    response = client.post(f"/events/{ev.event_id}/vote/dots", data={"idea_id": ev.idea_ids[0]}, headers=headers)
    assert response.json["error"]["code"] == "hidden_idea"
    assert f'id="idea-{ev.idea_ids[0]}"' not in client.get(f"/events/{ev.event_id}/vote").get_data(as_text=True)
    with app.app_context():
        from app.voting.state import close_voting

        close_voting(ev.event)
        _db.session.commit()
    response = client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": ev.idea_ids[1]})
    assert response.status_code == 302
    assert "Die Abstimmung ist beendet" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert _dots() == 0


def test_guessing_codes_is_rate_limited(app, client, voting_event):
    ev = voting_event(tickets=1)
    wrong = [c for c in (new_code() for _ in range(20)) if c not in ev.codes][:6]
    statuses = [_enter(client, ev.event_id, code).status_code for code in wrong[:5]]
    assert statuses == [422] * 5
    blocked = _enter(client, ev.event_id, wrong[5])
    assert blocked.status_code == 429 and "zu oft" in blocked.get_data(as_text=True)
    # Issue 24: the code form again with the typed code and the wait, not the bare 429 page.
    assert f'value="{wrong[5]}"' in blocked.get_data(as_text=True) and blocked.headers["Retry-After"]
    # Even the right code waits now; the QR link counts too.
    assert _enter(client, ev.event_id, ev.codes[0]).status_code == 429
    assert client.get(f"/events/{ev.event_id}/vote/t/{ev.codes[0]}").status_code == 429


def test_correct_codes_do_not_use_up_the_limit(client, voting_event):
    ev = voting_event(tickets=8)
    for code in ev.codes:
        assert _enter(client, ev.event_id, code).status_code == 302


def test_public_results_after_close(app, client, voting_event):
    ev = voting_event(tickets=2)
    _enter(client, ev.event_id, ev.codes[0])
    assert "veröffentlicht, sobald" in client.get(f"/events/{ev.event_id}/vote/results").get_data(as_text=True)
    client.submit(f"/events/{ev.event_id}/vote/dots", {"idea_id": ev.idea_ids[0]})
    with app.app_context():
        from app.voting import receipts
        from app.voting.state import close_voting

        receipt = receipts.receipt(ev.tickets[0])
        close_voting(ev.event)
        _db.session.commit()
    html = client.get(f"/events/{ev.event_id}/vote/results").get_data(as_text=True)
    assert receipt in html and "enthalten" in html
    assert "Teilnehmerin" not in html and "example.org" not in html


def test_staff_check_in_badges_walk_in_and_board(app, staff_client, voting_event):
    ev = voting_event(tickets=3, walk_ins=True)
    admin = staff_client("admin")
    base = f"/manage/events/{ev.event_id}"
    response = admin.submit(f"{base}/checkin", {"code": format_code(ev.codes[0]).lower()})
    assert response.status_code == 200 and "Willkommen" in response.get_data(as_text=True)
    again = admin.submit(f"{base}/checkin", {"code": ev.codes[0]}, headers={"Accept": "application/json"})
    assert again.json["ok"] and not again.json["newly"] and again.json["checked_in"] == 1
    assert again.json["confirmed"] == 3
    bad = admin.submit(f"{base}/checkin", {"code": "\x00" * 10}, headers={"Accept": "application/json"})
    assert bad.status_code == 422 and not bad.json["ok"]
    badges = admin.get(f"{base}/badges").get_data(as_text=True)
    assert badges.count('class="badge-card"') == 3 and "<svg" in badges and format_code(ev.codes[1]) in badges
    assert "Teilnehmerin 0" in badges
    too_long = admin.submit(f"{base}/walk-in", {"name": "G" * 201})  # a crafted form: the field has maxlength
    page = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and 'id="name-error"' in page and "höchstens 200 Zeichen" in page
    assert 'aria-invalid="true"' in page and 'href="#name"' in page and "G" * 201 in page
    walk_in = admin.submit(f"{base}/walk-in", {"name": "Gast"})
    assert walk_in.status_code == 302 and "/manage/tickets/" in walk_in.location
    assert "Gast" in admin.get(walk_in.location).get_data(as_text=True)
    board = admin.submit(f"{base}/board", {f"count-{ev.idea_ids[0]}": "12", f"count-{ev.idea_ids[1]}": ""})
    assert board.status_code == 302
    refused = admin.submit(f"{base}/board", {f"count-{ev.idea_ids[0]}": "-3"})
    assert refused.status_code == 422
    with app.app_context():
        assert _db.session.execute(sa.select(BoardCount.count)).scalars().all() == [12]
    overview = admin.get(f"{base}/voting").get_data(as_text=True)
    assert "12" in overview and format_code(ev.codes[0]) not in overview


def test_admin_settings_open_close_and_bulk_issue(app, staff_client, voting_event):
    ev = voting_event(tickets=2, open_voting=False)
    admin = staff_client("admin")
    base = f"/manage/events/{ev.event_id}/voting"
    saved = admin.submit(f"{base}/settings", {"dots_per_ticket": "3", "max_per_idea": "", "scope": "stand"})
    assert saved.status_code == 302
    bad = admin.submit(f"{base}/settings", {"dots_per_ticket": "0", "scope": "event"})
    assert bad.status_code == 422
    assert admin.submit(f"{base}/open", {}).status_code == 302
    locked = admin.submit(f"{base}/settings", {"dots_per_ticket": "7", "scope": "stand"})
    assert locked.status_code == 422 and "nicht geändert werden" in locked.get_data(as_text=True)
    assert admin.submit(f"{base}/close", {}).status_code == 302
    assert admin.submit(f"/manage/events/{ev.event_id}/tickets", {}).status_code == 302
    moderator = staff_client("moderator")
    assert moderator.get(base).status_code == 403  # no stand of this event
    with app.app_context():
        stand = ev.stands[0]
        stand.moderators.append(_db.session.merge(moderator.user))
        _db.session.commit()
    assert moderator.submit(f"{base}/open", {}).status_code == 403
    assert moderator.get(base).status_code == 200
