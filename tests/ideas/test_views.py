"""HTTP: stand admin, capture (plain form and JSON), moderation, walls, the SSE stream, XSS."""
from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.extensions import db as _db
from app.ideas.models import Idea, Stand, WallLink
from tests.factories.ideas import XSS_SAMPLES, post_json


@pytest.fixture
def app_config():
    # Streams in tests end quickly; they are read to the end by the test client.
    return {"IDEAS_STREAM_SECONDS": 0.3, "IDEAS_STREAM_POLL": 0.05}


@pytest.fixture
def world(app, create_user, create_event, create_stand, login, wall_token):
    moderator = create_user(roles=("moderator",))
    other = create_user(roles=("moderator",))
    event_id = create_event().id
    stand = create_stand(event_id, "Bürgerportal", moderators=[moderator]).id
    other_stand = create_stand(event_id, "Homepage", moderators=[other]).id
    client = app.test_client()
    login(client, moderator)
    return {"moderator": moderator, "other": other, "event_id": event_id, "stand": stand,
            "other_stand": other_stand, "client": client, "token": wall_token(event_id)}


def count_ideas(app) -> int:
    with app.app_context():
        return _db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one()


# -- capture ----------------------------------------------------------------------------------


def test_capture_page_works_without_javascript(app, world):
    client = world["client"]
    page = client.get(f"/stands/{world['stand']}/capture")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    client_id = re.search(r'name="client_id" type="hidden" value="([0-9a-f-]{36})"', html).group(1)
    assert "autofocus" in html
    response = client.submit(f"/stands/{world['stand']}/capture",
                             {"text": "Formulare online ausfüllen #Formulare", "said_by": "", "client_id": client_id})
    assert response.status_code == 303 and response.location.endswith(f"/stands/{world['stand']}/capture")
    again = client.submit(f"/stands/{world['stand']}/capture",
                          {"text": "Formulare online ausfüllen #Formulare", "client_id": client_id})
    assert again.status_code == 303
    assert count_ideas(app) == 1
    page = client.get(f"/stands/{world['stand']}/capture").get_data(as_text=True)
    assert "Formulare online ausfüllen" in page and "#Formulare" in page


def test_capture_form_shows_the_length_message(app, world):
    response = world["client"].submit(f"/stands/{world['stand']}/capture", {"text": "a" * 100_000})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "1.000" in html and "100.000" in html
    assert count_ideas(app) == 0


def test_json_create_is_idempotent_and_returns_the_idea(app, world):
    client_id = str(uuid.uuid4())
    url = f"/stands/{world['stand']}/ideas.json"
    first = post_json(world["client"], url, {"client_id": client_id, "text": "Bürgerkonto für alle #Bürgerportal",
                                              "said_by": "Tisch 2"})
    assert first.status_code == 201
    idea = first.get_json()["idea"]
    assert idea["text"] == "Bürgerkonto für alle" and idea["tags"] == ["Bürgerportal"]
    second = post_json(world["client"], url, {"client_id": client_id, "text": "Bürgerkonto für alle #Bürgerportal"})
    assert second.status_code == 200 and second.get_json()["created"] is False
    assert second.get_json()["idea"]["id"] == idea["id"]
    assert count_ideas(app) == 1


@pytest.mark.parametrize("payload, code", [
    ({"text": "x" * 100_000}, "text_too_long"),
    ({"text": None}, "text_invalid"),
    ({"text": {"a": 1}}, "text_invalid"),
    ({"text": "ok", "client_id": "nope"}, "invalid_client_id"),
    ({"text": "ok", "said_by": 5}, "said_by_invalid"),
    ([1, 2], "bad_request"),
])
def test_json_create_refuses_bad_input_clearly(app, world, payload, code):
    response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json", payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    assert count_ideas(app) == 0


def test_json_endpoints_need_the_csrf_header(app, world):
    response = post_json(world["client"], f"/stands/{world['stand']}/ideas.json", {"text": "Ohne Token"}, csrf=False)
    assert response.status_code == 400
    assert count_ideas(app) == 0


def test_moderator_of_another_stand_gets_403(app, world, record):
    idea_id = record(world["other_stand"], "Fremde Idee").id
    client = world["client"]
    assert client.get(f"/stands/{world['other_stand']}/capture").status_code == 403
    assert post_json(client, f"/stands/{world['other_stand']}/ideas.json", {"text": "x"}).status_code == 403
    assert client.get(f"/ideas/{idea_id}").status_code == 403
    assert post_json(client, f"/ideas/{idea_id}.json", {"text": "geändert"}).status_code == 403
    assert client.submit(f"/ideas/{idea_id}/hide", {"reason": "x"}).status_code == 403
    own = record(world["stand"], "Eigene Idee").id
    # Merging needs both stands: said at the field of the merge form, not as an error page.
    response = client.submit(f"/ideas/{own}/merge", {"source_id": idea_id})
    assert response.status_code == 422
    assert 'id="source_id-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.get(Idea, idea_id).status == "new"


def test_admin_moderates_every_stand(app, world, staff_client, record):
    admin = staff_client("admin")
    idea_id = record(world["other_stand"], "Idee").id
    assert admin.get(f"/stands/{world['other_stand']}/capture").status_code == 200
    assert post_json(admin, f"/ideas/{idea_id}.json", {"text": "Idee #neu"}).status_code == 200


def test_quick_edit_undo_and_restore(app, world, record):
    idea_id = record(world["stand"], "Tippfehlr").id
    client = world["client"]
    response = post_json(client, f"/ideas/{idea_id}.json", {"text": "Tippfehler #korrigiert"})
    assert response.get_json()["idea"]["text"] == "Tippfehler"
    assert response.get_json()["idea"]["tags"] == ["korrigiert"]
    undone = post_json(client, f"/ideas/{idea_id}/undo.json", {})
    assert undone.get_json()["idea"]["status"] == "hidden"
    restored = post_json(client, f"/ideas/{idea_id}/restore.json", {})
    assert restored.get_json()["idea"]["status"] == "new"


def test_suggestions_find_duplicates_in_the_event_only(app, world, record, create_stand, create_event):
    """Only ideas of the same event can be merged, so only they are suggested (issue 24, defect 4)."""
    with app.app_context():
        from app.events.models import Event

        process_id = _db.session.get(Event, world["event_id"]).process_id
    other_event_stand = create_stand(create_event(process_id=process_id).id, "Anderswo").id
    foreign = record(other_event_stand, "Termine beim Bürgeramt online buchen").id
    record(world["other_stand"], "Termine im Bürgeramt online buchen können")
    record(world["stand"], "Kostenloses WLAN in der Innenstadt")
    response = world["client"].get(f"/stands/{world['stand']}/suggestions.json",
                                   query_string={"q": "Online-Termine im Buergeramt buchen"})
    suggestions = response.get_json()["suggestions"]
    assert [s["text"] for s in suggestions] == ["Termine im Bürgeramt online buchen können"]
    assert suggestions[0]["stand"] == "Homepage"
    own = record(world["stand"], "Bürgeramt: bitte Termine online buchen").id
    detail = world["client"].get(f"/ideas/{own}").get_data(as_text=True)
    assert f'name="source_id" value="{foreign}"' not in detail
    listing = world["client"].get(f"/stands/{world['stand']}/ideas").get_data(as_text=True)
    assert "Termine beim Bürgeramt online buchen" not in listing
    assert world["client"].get(f"/stands/{world['stand']}/suggestions.json",
                               query_string={"q": "x" * 100_000}).status_code == 200


def test_hide_merge_unmerge_through_the_pages(app, world, record):
    client = world["client"]
    target = record(world["stand"], "Online Termine buchen #termine").id
    source = record(world["stand"], "Termine online buchen können #app").id
    detail = client.get(f"/ideas/{target}").get_data(as_text=True)
    assert f'name="source_id" value="{source}"' in detail  # offered as a duplicate
    assert client.submit(f"/ideas/{target}/merge", {"source_id": source}).status_code == 303
    detail = client.get(f"/ideas/{target}").get_data(as_text=True)
    assert "Termine online buchen können" in detail and "#app" in detail
    source_page = client.get(f"/ideas/{source}").get_data(as_text=True)
    assert f'href="/ideas/{target}"' in source_page
    assert client.submit(f"/ideas/{source}/unmerge").status_code == 303
    with app.app_context():
        assert _db.session.get(Idea, source).status == "new"
    assert client.submit(f"/ideas/{source}/hide", {"reason": "Doppelt"}).status_code == 303
    listing = client.get(f"/stands/{world['stand']}/ideas").get_data(as_text=True)
    assert "Doppelt" in listing
    with app.app_context():
        assert _db.session.get(Idea, source).status == "hidden"


def test_hiding_without_a_reason_is_said_at_the_field(app, world, record):
    """Issue 16 item 7: the page again (422) with the message at the reason field, tied to it, in
    the error summary, nothing hidden; a hidden idea cannot be hidden twice, said there too."""
    client = world["client"]
    idea_id = record(world["stand"], "Mehr Bänke am Neckarufer").id
    client.get(f"/ideas/{idea_id}")  # shows the login's welcome
    response = client.submit(f"/ideas/{idea_id}/hide", {"reason": "   "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="reason"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "reason-error" in field
    assert re.search(r'<p class="error" id="reason-error">\s*Bitte geben Sie einen Grund', page)
    assert re.search(r'id="error-summary".*href="#reason"', page, re.S)
    assert 'class="flash' not in page
    with app.app_context():
        assert _db.session.get(Idea, idea_id).status != "hidden"
    assert client.submit(f"/ideas/{idea_id}/hide", {"reason": "Doppelt"}).status_code == 303
    with app.app_context():
        assert _db.session.get(Idea, idea_id).status == "hidden"


def test_merge_with_a_wrong_or_foreign_number_is_said_at_the_field(app, world, record, staff_client,
                                                                   create_stand, create_event):
    """Issue 24, defect 4: no 403 or 404 page and no merge across events, for admins neither."""
    with app.app_context():
        from app.events.models import Event

        process_id = _db.session.get(Event, world["event_id"]).process_id
    foreign = record(create_stand(create_event(process_id=process_id).id, "Anderswo").id, "Termine online buchen").id
    target = record(world["stand"], "Online Termine buchen").id
    source = record(world["stand"], "Termine online buchen können").id
    admin = staff_client("admin")
    for client in (world["client"], admin):
        for number, message in [(foreign, "gehört zu einer anderen Veranstaltung"), (999_999, "keine Idee"),
                                ("zwölf", "Nummer einer Idee"), ("", "Nummer einer Idee"), ("0", "keine Idee")]:
            response = client.submit(f"/ideas/{target}/merge", {"source_id": number})
            page = response.get_data(as_text=True)
            assert response.status_code == 422, (number, page[:300])
            error = re.search(r'<p class="error" id="source_id-error">(.*?)</p>', page, re.S)
            assert error and message in error.group(1), (number, error and error.group(1))
            # The error summary (focused by page.js) links to the field.
            assert 'aria-invalid="true"' in page and 'href="#source_id"' in page and "autofocus" not in page
    with app.app_context():
        assert _db.session.get(Idea, foreign).status == "new" and _db.session.get(Idea, target).status == "new"
    # The number as staff read it on the pages ("#12") is understood.
    assert world["client"].submit(f"/ideas/{target}/merge", {"source_id": f"#{source}"}).status_code == 303
    with app.app_context():
        assert _db.session.get(Idea, source).merged_into_id == target


# -- stand admin ----------------------------------------------------------------------------------


def test_admin_creates_a_stand_with_moderators_and_a_wall_link(app, world, staff_client, create_event):
    admin = staff_client("admin")
    event_id = create_event(title="Neuer Workshop").id
    page = admin.get(f"/manage/events/{event_id}/stands")
    assert page.status_code == 200
    response = admin.submit(f"/manage/events/{event_id}/stands", {
        "title": "Digitale Verwaltungsleistungen", "description": "Welche Leistungen?", "position": "2",
        "moderators": [str(world["moderator"].id)]})
    assert response.status_code == 303
    with app.app_context():
        stand = _db.session.execute(sa.select(Stand).where(Stand.event_id == event_id)).scalar_one()
        assert [u.id for u in stand.moderators] == [world["moderator"].id]
        assert _db.session.execute(sa.select(WallLink).where(WallLink.event_id == event_id)).scalar_one()
    assert world["client"].get("/manage/events/1/stands").status_code == 403
    overview = world["client"].get("/ideas").get_data(as_text=True)
    assert "Digitale Verwaltungsleistungen" in overview


def test_renewing_the_wall_link_revokes_the_old_one(app, world, staff_client):
    admin = staff_client("admin")
    old = world["token"]
    assert admin.get(f"/wall/{old}").status_code == 200
    admin.submit(f"/manage/events/{world['event_id']}/wall-link")
    assert admin.get(f"/wall/{old}").status_code == 404


def test_the_first_wall_link_does_not_speak_of_an_old_one(app, create_event, staff_client):
    admin = staff_client("admin")
    event_id = create_event().id
    first = admin.submit(f"/manage/events/{event_id}/wall-link", follow_redirects=True).get_data(as_text=True)
    assert "Der Wand-Link wurde erstellt." in first and "der alte" not in first
    again = admin.submit(f"/manage/events/{event_id}/wall-link", follow_redirects=True).get_data(as_text=True)
    assert "der alte funktioniert nicht mehr" in again


# -- walls and the stream ---------------------------------------------------------------------------


def read_stream(client, url, **kwargs) -> list[dict]:
    response = client.get(url, **kwargs)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if fields.get("event") == "idea":
            events.append({**json.loads(fields["data"]), "feed_id": int(fields["id"])})
    return events


def test_wall_shows_visible_ideas_without_personal_data(app, world, record):
    shown = record(world["stand"], "Sichtbare Idee #Wall", said_by="Erika Mustermann").id
    hidden = record(world["stand"], "Versteckte Idee").id
    with app.test_request_context():
        from app.ideas import services

        services.hide_idea(_db.session.get(Idea, hidden), "Spam", user=None)
        _db.session.commit()
    anonymous = app.test_client()
    for url in (f"/wall/{world['token']}", f"/wall/{world['token']}/stands/{world['stand']}",
                f"/wall/{world['token']}/summary"):
        html = anonymous.get(url).get_data(as_text=True)
        assert "Sichtbare Idee" in html and "#Wall" in html, url
        assert "Versteckte Idee" not in html and "Erika" not in html, url
    events = read_stream(anonymous, f"/wall/{world['token']}/stream?after=0")
    assert {e["text"] for e in events if e["visible"]} == {"Sichtbare Idee"}
    assert {e["id"] for e in events if e["visible"]} == {shown}
    assert all("said_by" not in e for e in events)


def test_wall_needs_the_right_token_and_stand(app, world):
    anonymous = app.test_client()
    assert anonymous.get("/wall/wrong-token").status_code == 404
    assert anonymous.get("/wall/" + "x" * 500).status_code == 404
    assert anonymous.get(f"/wall/wrong/stream").status_code == 404
    assert anonymous.get(f"/wall/{world['token']}/stands/999999").status_code == 404
    assert anonymous.get(f"/wall/{world['token']}/stream?stand=999999").status_code == 404


def test_stream_resumes_after_last_event_id(app, world, record):
    anonymous = app.test_client()
    first = record(world["stand"], "Erste Idee").id
    second = record(world["stand"], "Zweite Idee").id
    other = record(world["other_stand"], "Idee am anderen Stand").id
    events = read_stream(anonymous, f"/wall/{world['token']}/stream?after=0")
    assert [e["text"] for e in events] == ["Erste Idee", "Zweite Idee", "Idee am anderen Stand"]
    ids = [e["feed_id"] for e in events]
    assert ids == sorted(ids)
    # Reconnect with Last-Event-ID: only what came after.
    resumed = read_stream(anonymous, f"/wall/{world['token']}/stream?after=0",
                          headers={"Last-Event-ID": str(ids[0])})
    assert [e["text"] for e in resumed] == ["Zweite Idee", "Idee am anderen Stand"]
    # A stand's stream sends only its stand.
    stand_events = read_stream(anonymous, f"/wall/{world['token']}/stream?stand={world['stand']}&after=0")
    assert [e["text"] for e in stand_events] == ["Erste Idee", "Zweite Idee"]
    # Edits and hides arrive as new events for the same idea.
    with app.test_request_context():
        from app.ideas import services

        services.edit_idea(_db.session.get(Idea, first), "Erste Idee, geändert", user=None)
        services.hide_idea(_db.session.get(Idea, second), "doppelt", user=None)
        _db.session.commit()
    later = read_stream(anonymous, f"/wall/{world['token']}/stream", headers={"Last-Event-ID": str(ids[-1])})
    # A hidden idea reaches walls as gone, without its text (it may have been hidden for it).
    assert [(e["feed_id"] > ids[-1], e.get("text"), e["visible"]) for e in later] == [
        (True, "Erste Idee, geändert", True), (True, None, False)]
    assert other


# -- XSS -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_SAMPLES)
def test_xss_is_shown_as_text_in_every_view(app, world, record, staff_client, payload):
    evil_tag = "#" + "evil"
    idea_id = record(world["stand"], f"{payload} {evil_tag}", said_by=payload).id
    target = record(world["stand"], f"Ziel {payload}").id
    with app.test_request_context():
        from app.ideas import services

        stand = _db.session.get(Stand, world["stand"])
        stand.title = payload
        stand.description = payload
        services.merge_ideas(_db.session.get(Idea, target), [_db.session.get(Idea, idea_id)], user=None)
        _db.session.commit()
    admin = staff_client("admin")
    token = world["token"]
    pages = {
        "capture": world["client"].get(f"/stands/{world['stand']}/capture"),
        "list": world["client"].get(f"/stands/{world['stand']}/ideas"),
        "detail": world["client"].get(f"/ideas/{idea_id}"),
        "target": world["client"].get(f"/ideas/{target}"),
        "overview": world["client"].get("/ideas"),
        "manage": admin.get(f"/manage/events/{world['event_id']}/stands"),
        "stand form": admin.get(f"/manage/stands/{world['stand']}"),
        "wall": app.test_client().get(f"/wall/{token}"),
        "stand wall": app.test_client().get(f"/wall/{token}/stands/{world['stand']}"),
        "summary": app.test_client().get(f"/wall/{token}/summary"),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert 'href="javascript:' not in html and "href='javascript:" not in html, name
    # ... and the text is there, escaped, where the idea is shown.
    for name in ("capture", "list", "detail", "target", "wall", "stand wall", "summary"):
        assert str(escape(payload)) in pages[name].get_data(as_text=True), name
    # The stream carries JSON (rendered with textContent by wall.js); it must survive intact as text.
    events = read_stream(app.test_client(), f"/wall/{token}/stream?after=0")
    assert any(payload in e.get("text", "") for e in events)  # hidden ideas come without text
    # JSON responses are served as application/json, never as HTML.
    response = post_json(world["client"], f"/ideas/{target}.json", {"text": f"Ziel {payload}"})
    assert response.mimetype == "application/json"


def test_stream_delivers_what_was_pending_even_if_its_time_is_over_at_once(app, world, record):
    """However late the client reads on (a busy machine), the stream looks once: a stream whose
    time is up right after the retry line still carries the ideas pending at connect."""
    record(world["stand"], "Schon da beim Verbinden")
    app.config["IDEAS_STREAM_SECONDS"] = 0
    events = read_stream(app.test_client(), f"/wall/{world['token']}/stream?after=0")
    assert [e["text"] for e in events] == ["Schon da beim Verbinden"]


def test_idea_numbers_read_nr_in_german_and_no_in_english(app, world, record):
    """Issue 24: an idea's number is one helper (pgettext "idea number"), never "#12", on every page
    and in the texts capture.js shows."""
    client = world["client"]
    target = record(world["stand"], "Online Termine buchen").id
    source = record(world["stand"], "Termine online buchen können").id
    assert client.submit(f"/ideas/{target}/merge", {"source_id": source}).status_code == 303
    pages = [f"/ideas/{target}", f"/ideas/{source}", f"/stands/{world['stand']}/ideas",
             f"/stands/{world['stand']}/capture"]
    for lang, number in (("de", "Nr."), ("en", "No.")):
        client.set_cookie("ideenmarkt_lang", lang)
        for url in pages:
            html = client.get(url).get_data(as_text=True)
            assert not re.search(rf"#\s*(?:{target}|{source})\b", html), (lang, url)
        detail = client.get(f"/ideas/{target}").get_data(as_text=True)
        assert f"{number} {target}" in detail and f"{number} {source}" in detail
        capture = client.get(f"/stands/{world['stand']}/capture").get_data(as_text=True)
        assert f'data-number="{number} {{id}}"' in capture, re.findall(r"data-number=.{0,30}", capture)
    client.set_cookie("ideenmarkt_lang", "de")
    assert "<h1>Idee Nr. %d" % target in client.get(f"/ideas/{target}").get_data(as_text=True)
    response = client.submit(f"/ideas/{source}/unmerge", follow_redirects=True)
    assert f"Idee Nr. {source} steht wieder für sich" in response.get_data(as_text=True)
