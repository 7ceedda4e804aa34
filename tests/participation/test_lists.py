"""The public idea lists of a process and of a stand (issue 18): what is public, filters, sorting,
pages, "what became of this idea", escaping and the content's language, German and English."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from app.extensions import db as _db

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(app, create_process, create_event, create_stand, create_online_idea, create_participant, record):
    process_id = create_process(title="Esslingen 4.0").id
    published = create_event(process_id=process_id, title="Bürger-Workshop", status="published").id
    held = create_event(process_id=process_id, title="Werkstatt Wirtschaft", status="held").id
    draft = create_event(process_id=process_id, title="Entwurf", status="draft").id
    stand = create_stand(published, "Bürgerportal").id
    held_stand = create_stand(held, "Mobilität").id
    draft_stand = create_stand(draft, "Geheim").id
    named = create_participant(process_id, display_name="Erika " + XSS, show_name_publicly=True).id
    ids = {
        "process_id": process_id, "stand": stand, "held_stand": held_stand, "draft_stand": draft_stand,
        "room": record(stand, "Bürgerkonto für alle " + XSS).id,
        "room_held": record(held_stand, "Raumidee einer nicht veröffentlichten Veranstaltung").id,
        "online": create_online_idea(stand, "WLAN in allen Bussen", participant_id=named).id,
        "online_held": create_online_idea(held_stand, "Online-Idee zur Mobilität").id,
        "pending": create_online_idea(stand, "Wartet noch", pending=True).id,
        "withdrawn": create_online_idea(stand, "Zurückgezogen", withdrawn=True).id,
        "draft_online": create_online_idea(draft_stand, "Entwurfsidee").id,
        "hidden": create_online_idea(stand, "Beleidigender Text").id,
        "merged": create_online_idea(stand, "Bürgerkonto bitte").id,
    }
    with app.test_request_context():
        from app.ideas.models import Idea
        from app.ideas import services
        from app.measures.lifecycle import create_measure
        from app.measures.links import link_ideas

        services.hide_idea(_db.session.get(Idea, ids["hidden"]), "Kein Beleidigen " + XSS, user=None)
        services.merge_ideas(_db.session.get(Idea, ids["room"]), [_db.session.get(Idea, ids["merged"])], user=None)
        from app.events.models import Process

        measure = create_measure(_db.session.get(Process, process_id), title="Digitales Bürgerkonto")
        link_ideas(measure, [_db.session.get(Idea, ids["room"])])
        _db.session.commit()
    return ids


def _numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="card public-idea" id="idea-(\d+)"', html)]


def test_only_released_public_ideas_are_listed(app, world):
    html = app.test_client().get(f"/processes/{world['process_id']}/ideas").get_data(as_text=True)
    shown = set(_numbers(html))
    assert shown == {world["room"], world["online"], world["online_held"], world["hidden"], world["merged"]}
    assert "Beleidigender Text" not in html and f"Grund: Kein Beleidigen {escape(XSS)}" in html
    assert XSS not in html and str(escape(XSS)) in html
    assert "von Erika" in html and "anonym" in html
    assert "Saal" in html and "Online" in html


def test_what_became_of_the_idea(app, world):
    html = app.test_client().get(f"/processes/{world['process_id']}/ideas").get_data(as_text=True)
    room = html.split(f'id="idea-{world["room"]}"', 1)[1].split("</li>", 1)[0]
    assert "Digitales Bürgerkonto" in room and f"#measure-" in room
    merged = html.split(f'id="idea-{world["merged"]}"', 1)[1].split("</li>", 1)[0]
    assert "Zusammengeführt mit Idee Nr. %d" % world["room"] in merged and "Digitales Bürgerkonto" in merged
    online = html.split(f'id="idea-{world["online"]}"', 1)[1].split("</li>", 1)[0]
    assert "Noch nicht in eine Maßnahme übernommen" in online


def test_filters_sorting_and_a_bad_value(app, world):
    client = app.test_client()
    base = f"/processes/{world['process_id']}/ideas"
    assert set(_numbers(client.get(base + "?channel=room").get_data(as_text=True))) == {world["room"]}
    assert set(_numbers(client.get(base + "?channel=online&status=hidden").get_data(as_text=True))) == {world["hidden"]}
    assert set(_numbers(client.get(base + "?status=adopted").get_data(as_text=True))) == {world["room"]}
    assert set(_numbers(client.get(base + f"?stand={world['held_stand']}").get_data(as_text=True))) == {world["online_held"]}
    newest = _numbers(client.get(base).get_data(as_text=True))
    oldest = _numbers(client.get(base + "?sort=oldest").get_data(as_text=True))
    assert oldest == list(reversed(newest))
    # Unknown values are left out, never an error; a stand of a draft event is no choice.
    for query in ("?stand=abc", f"?stand={world['draft_stand']}", "?channel=<x>", "?status=1", "?sort=x",
                  "?page=0", "?page=99999999999", "?page=-1"):
        response = client.get(base + query)
        assert response.status_code == 200, query
    assert set(_numbers(client.get(base + f"?stand={world['draft_stand']}").get_data(as_text=True))) == set(newest)


def test_pages(app, world, create_online_idea):
    for n in range(21):
        create_online_idea(world["stand"], f"Weitere Idee {n}")
    client = app.test_client()
    first = client.get(f"/processes/{world['process_id']}/ideas?channel=online").get_data(as_text=True)
    assert len(_numbers(first)) == 20 and "Seite 1 von 2" in first
    assert f'href="/processes/{world["process_id"]}/ideas?page=2&amp;channel=online"' in first \
        or "channel=online&amp;page=2" in first
    second = client.get(f"/processes/{world['process_id']}/ideas?channel=online&page=2").get_data(as_text=True)
    assert len(_numbers(second)) == 5
    assert not set(_numbers(first)) & set(_numbers(second))
    assert _numbers(client.get(f"/processes/{world['process_id']}/ideas?page=50").get_data(as_text=True)) == []


def test_stand_page_and_scope(app, world, create_process, create_event, create_stand):
    client = app.test_client()
    response = client.get(f"/processes/{world['process_id']}/stands/{world['stand']}/ideas")
    assert response.status_code == 200
    assert set(_numbers(response.get_data(as_text=True))) == {world["room"], world["online"], world["hidden"],
                                                              world["merged"]}
    assert client.get(f"/processes/{world['process_id']}/stands/{world['draft_stand']}/ideas").status_code == 404
    foreign = create_stand(create_event(process_id=create_process().id, status="published").id, "Fremd").id
    assert client.get(f"/processes/{world['process_id']}/stands/{foreign}/ideas").status_code == 404
    assert client.get("/processes/999999/ideas").status_code == 404
    process_page = client.get(f"/processes/{world['process_id']}").get_data(as_text=True)
    assert f'href="/processes/{world["process_id"]}/ideas"' in process_page
    with app.app_context():
        from app.ideas.models import Stand

        event_id = _db.session.get(Stand, world["stand"]).event_id
    event_page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert f'href="/processes/{world["process_id"]}/stands/{world["stand"]}/ideas"' in event_page


def test_english_page_marks_the_content_language(app, world):
    client = app.test_client()
    client.submit("/language", {"lang": "en"})
    html = client.get(f"/processes/{world['process_id']}/ideas").get_data(as_text=True)
    assert "What became of it" in html and "Room" in html
    assert re.search(r'<p class="idea-text" id="idea-\d+-text" lang="de">WLAN in allen Bussen</p>', html)
    assert 'Reason: <span lang="de">Kein Beleidigen' in html


def test_tag_filter(app, world, record):
    """The tag filter offers the tags of the public ideas only and keeps to one tag; a bad tag
    value lists everything (never an error)."""
    import sqlalchemy as sa

    from app.ideas.models import Tag

    tagged = record(world["stand"], "Sichere Radwege #Radverkehr").id
    record(world["draft_stand"], "Geheimer Plan #Geheimtag")
    with app.app_context():
        tags = {t.label: t.id for t in _db.session.execute(sa.select(Tag)).scalars()}
    client = app.test_client()
    base = f"/processes/{world['process_id']}/ideas"
    for lang, label in (("de", "Schlagwort"), ("en", "Tag")):
        client.set_cookie("ideenmarkt_lang", lang)
        html = client.get(base).get_data(as_text=True)
        assert f'<label for="filter-tag">{label}</label>' in html
        assert ">Radverkehr</option>" in html and "Geheimtag" not in html
    html = client.get(f"{base}?tag={tags['Radverkehr']}").get_data(as_text=True)
    assert _numbers(html) == [tagged]
    assert f'<option value="{tags["Radverkehr"]}" selected' in html
    html = client.get(f"/processes/{world['process_id']}/stands/{world['stand']}/ideas?tag={tags['Radverkehr']}"
                      ).get_data(as_text=True)
    assert _numbers(html) == [tagged]
    everything = set(_numbers(client.get(base).get_data(as_text=True)))
    for bad in ("abc", str(tags["Geheimtag"]), "99999999999999999999", "%00", "-1"):
        response = client.get(f"{base}?tag={bad}")
        assert response.status_code == 200, bad
        assert set(_numbers(response.get_data(as_text=True))) == everything, bad
