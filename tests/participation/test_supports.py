"""Supports (issue 18): a confirmed participant backs ideas of their process while the online
phase after the workshop is open; one per idea and participant (also when two requests come at
once), withdrawn again, counted for the survivor of a merge, sorted by, exported and erased;
refused with a clear message that changes nothing; the forms need CSRF and work without JS."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.extensions import db
from app.ideas.models import Idea
from app.participation import supports
from app.participation.models import OnlinePhase, Participant, Support

THREADS = 8


@pytest.fixture
def app_config():
    # One connection per thread in the concurrency test.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": THREADS + 4, "max_overflow": 8}}


@pytest.fixture
def world(after_phase_process):
    """A process whose "after" phase is open, under post-moderation, with two online ideas."""
    ids = after_phase_process((0, "Mehr Radwege am Neckar"), (1, "Nachtbus <b>am</b> Wochenende"))
    ids.first, ids.second = ids.idea_ids
    return ids


def _supports(app) -> list[tuple[int, int]]:
    with app.app_context():
        return sorted(db.session.execute(sa.select(Support.participant_id, Support.idea_id)).all())


def _give(client, token, idea_id, action="support", headers=None, **fields):
    return client.submit(f"/participation/{token}/supports",
                         {"idea_id": str(idea_id), "action": action, **fields}, headers=headers or {})


def _idea_block(html: str, idea_id: int) -> str:
    match = re.search(rf'<li class="card public-idea" id="idea-{idea_id}">(.*?)</li>', html, re.S)
    assert match, f"idea {idea_id} not listed"
    return match.group(1)


def test_support_and_withdraw_from_the_list(app, client, world):
    token, first = world.token, world.first
    page = client.get(f"/participation/{token}/ideas").get_data(as_text=True)
    block = _idea_block(page, first)
    assert "0 Unterstützungen" in block and ">Unterstützen</button>" in block
    response = _give(client, token, first, sort="supported", channel="online")
    assert response.status_code == 303
    assert response.location.endswith(f"/participation/{token}/ideas?channel=online&sort=supported#idea-{first}")
    assert _supports(app) == [(world.participant_id, first)]
    page = client.get(response.location).get_data(as_text=True)
    assert "Vielen Dank! Sie unterstützen diese Idee." in page
    block = _idea_block(page, first)
    assert "1 Unterstützung<" in block and "Unterstützung zurücknehmen</button>" in block
    # The public list shows the count, without a form and without the link.
    public = client.get(f"/processes/{world.process_id}/ideas").get_data(as_text=True)
    assert "1 Unterstützung<" in _idea_block(public, first)
    assert "/supports" not in public and token not in public
    # "My participation" lists the supported idea with its own withdraw form.
    mine = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "Ideen, die ich unterstütze" in mine and "Mehr Radwege am Neckar" in mine
    response = _give(client, token, first, "withdraw", back="mine")
    assert response.status_code == 303 and response.location.endswith(f"/participation/{token}#supports")
    assert _supports(app) == []
    assert "Ihre Unterstützung wurde zurückgenommen." in client.get(response.location).get_data(as_text=True)


def test_a_second_support_counts_once(app, client, world):
    token, first = world.token, world.first
    assert _give(client, token, first).status_code == 303
    response = _give(client, token, first)
    assert response.status_code == 303
    assert "Sie unterstützen diese Idee bereits." in client.get(response.location).get_data(as_text=True)
    assert _supports(app) == [(world.participant_id, first)]
    # Withdrawing what is not supported changes nothing either.
    assert _give(client, token, world.second, "withdraw").status_code == 303
    assert _supports(app) == [(world.participant_id, first)]


def test_support_needs_csrf(app, client, world):
    response = client.post(f"/participation/{world.token}/supports",
                           data={"idea_id": str(world.first), "action": "support"})
    assert response.status_code == 400 and _supports(app) == []


def _close_after_phase(app, event_id):
    with app.app_context():
        phase = db.session.execute(sa.select(OnlinePhase).where(
            OnlinePhase.event_id == event_id, OnlinePhase.kind == "after")).scalar_one()
        phase.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def _set_participant(app, participant_id, **values):
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        for name, value in values.items():
            setattr(participant, name, value)
        db.session.commit()


@pytest.mark.parametrize("case, german, english", [
    ("closed", "Ideen dieser Veranstaltung können nur unterstützt werden",
     "Ideas of this event can only be supported"),
    ("unconfirmed", "Bitte bestätigen Sie zuerst", "Please confirm your email address first"),
    ("blocked", "von der Moderation gesperrt", "blocked by the moderation"),
    ("pending", "Diese Idee gibt es in diesem Prozess nicht.", "This idea does not exist in this process."),
    ("hidden", "Diese Idee kann nicht unterstützt werden", "This idea cannot be supported"),
    ("withdrawn", "Diese Idee gibt es in diesem Prozess nicht.", "This idea does not exist in this process."),
    ("other_process", "Diese Idee gibt es in diesem Prozess nicht.", "This idea does not exist in this process."),
    ("no_number", "Diese Idee gibt es in diesem Prozess nicht.", "This idea does not exist in this process."),
])
def test_refused_supports_change_nothing(app, client, world, online_process, create_online_idea, case, german,
                                         english):
    idea_id = world.first
    if case == "closed":
        _close_after_phase(app, world.event_id)
    elif case == "unconfirmed":
        _set_participant(app, world.participant_id, confirmed_at=None)
    elif case == "blocked":
        _set_participant(app, world.participant_id, blocked_at=utcnow())
    elif case == "pending":
        idea_id = create_online_idea(world.stand_ids[0], "Wartet", pending=True).id
    elif case == "withdrawn":
        idea_id = create_online_idea(world.stand_ids[0], "Zurückgezogen", withdrawn=True).id
    elif case == "hidden":
        with app.test_request_context():
            from app.ideas import services as ideas

            ideas.hide_idea(db.session.get(Idea, idea_id), "Keine Beleidigungen", user=None)
            db.session.commit()
    elif case == "other_process":
        other = online_process(moderation="post", before_open=False, after_open=True, title="Anderes Verfahren")
        idea_id = create_online_idea(other.stand_ids[0], "Idee eines anderen Verfahrens").id
    elif case == "no_number":
        idea_id = "99999999999999999999"
    for headers, message in (({}, german), ({"Accept-Language": "en"}, english)):
        response = _give(client, world.token, idea_id, headers=headers)
        assert response.status_code == 303
        html = client.get(response.location, headers=headers).get_data(as_text=True)
        assert message in html, re.findall(r"flash-[^>]*>[^<]*", html)
        assert _supports(app) == []
    # No support form where supporting is refused.
    page = client.get(f"/participation/{world.token}/ideas").get_data(as_text=True)
    if case in ("closed", "unconfirmed", "blocked"):
        assert "Unterstützen</button>" not in page
    elif case == "hidden":
        assert "Unterstützen</button>" not in _idea_block(page, idea_id)


def test_the_before_phase_has_no_supports(app, client, online_process, create_online_idea, participant_link):
    ids = online_process(moderation="post", before_open=True, after_open=False)
    idea_id = create_online_idea(ids.stand_ids[0], "Vor der Veranstaltung eingereicht").id
    _pid, token = participant_link(ids.process_id)
    response = _give(client, token, idea_id)
    assert "nach der Veranstaltung" in client.get(response.location).get_data(as_text=True)
    assert _supports(app) == []


def test_two_requests_at_once_store_one_support(app, world):
    """Several threads send the same support at the same instant: one row, no error."""
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def send():
        with app.test_request_context():
            try:
                participant = world.participant
                idea = db.session.get(Idea, world.first)
                barrier.wait(timeout=60)
                results.append(supports.support(participant, idea))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results.count(True) == 1 and len(results) == THREADS
    assert _supports(app) == [(world.participant_id, world.first)]


def test_merged_supports_count_for_the_survivor_and_sort(app, client, world, create_online_idea, participant_link):
    process_id, first, second = world.process_id, world.first, world.second
    third = create_online_idea(world.stand_ids[0], "Dritte Idee").id
    tokens = [world.token] + [participant_link(process_id)[1] for _ in range(2)]
    # 1 supports first; 2 supports second; 3 supports both (one person counts once per group).
    for token, idea_id in ((tokens[0], first), (tokens[1], second), (tokens[2], first), (tokens[2], second)):
        assert _give(client, token, idea_id).status_code == 303
    html = client.get(f"/processes/{process_id}/ideas?sort=supported").get_data(as_text=True)
    assert "2 Unterstützungen" in _idea_block(html, first) and "2 Unterstützungen" in _idea_block(html, second)
    with app.test_request_context():
        from app.ideas import services as ideas

        ideas.merge_ideas(db.session.get(Idea, first), [db.session.get(Idea, second)], user=None)
        db.session.commit()
    html = client.get(f"/processes/{process_id}/ideas?sort=supported").get_data(as_text=True)
    assert "3 Unterstützungen" in _idea_block(html, first)
    assert "Unterstützung" not in _idea_block(html, second)  # merged: counted at the survivor
    order = [int(n) for n in re.findall(r'id="idea-(\d+)"', html)]
    assert order.index(first) < order.index(third)
    newest = [int(n) for n in re.findall(r'id="idea-(\d+)"', client.get(
        f"/processes/{process_id}/ideas").get_data(as_text=True))]
    assert newest.index(third) < newest.index(first)
    # Participant 2 supports the survivor through the merged idea: no second support, and
    # withdrawing on the survivor takes back the support of the group.
    page = client.get(f"/participation/{tokens[1]}/ideas").get_data(as_text=True)
    assert "Unterstützung zurücknehmen</button>" in _idea_block(page, first)
    assert _give(client, tokens[1], first).status_code == 303
    assert len(_supports(app)) == 4
    assert _give(client, tokens[1], first, "withdraw").status_code == 303
    html = client.get(f"/processes/{process_id}/ideas").get_data(as_text=True)
    assert "2 Unterstützungen" in _idea_block(html, first)
    assert "Ideen mit den meisten Unterstützungen" not in html and "meiste Unterstützungen zuerst" in html


def test_english_count_and_buttons(app, client, world):
    english = {"Accept-Language": "en"}
    _give(client, world.token, world.first)
    page = client.get(f"/participation/{world.token}/ideas", headers=english).get_data(as_text=True)
    assert "1 support<" in _idea_block(page, world.first) and "Withdraw support</button>" in page
    assert "0 supports" in _idea_block(page, world.second) and "Support this idea</button>" in page
    assert "Nachtbus &lt;b&gt;am&lt;/b&gt; Wochenende" in page


def test_export_and_erasure_cover_supports(app, client, world):
    token, first = world.token, world.first
    _give(client, token, first)
    data = client.get(f"/participation/{token}/data").get_json()
    assert [(s["idea_id"], s["idea"]) for s in data["supports"]] == [(first, "Mehr Radwege am Neckar")]
    assert client.submit(f"/participation/{token}/erase").status_code == 303
    assert _supports(app) == []


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"PARTICIPATION_SUPPORT_RATE_LIMIT": "1 per hour"}

    def test_second_change_within_the_window_is_refused(self, app, client, world):
        assert _give(client, world.token, world.first).status_code == 303
        response = _give(client, world.token, world.second)
        assert "viele Unterstützungen" in client.get(response.location).get_data(as_text=True)
        assert _supports(app) == [(world.participant_id, world.first)]


def test_room_ideas_once_their_results_are_published(app, client, world, record):
    """The workshop's own ideas are what residents support after it: once the event's results
    are published (before that the public does not see them, so they cannot be supported)."""

    room = record(world.stand_ids[0], "Idee aus dem Saal").id
    response = _give(client, world.token, room)
    assert "Diese Idee gibt es in diesem Prozess nicht." in client.get(response.location).get_data(as_text=True)
    assert _supports(app) == []
    with app.app_context():
        world.event.status = "published"
        db.session.commit()
    assert _give(client, world.token, room).status_code == 303
    assert _supports(app) == [(world.participant_id, room)]


def test_counts_read_only_the_groups_asked_for(app, world, online_process, create_online_idea, participant_link):
    """The support counts of a page (and the sort by supports) read the merge groups of the page's
    ideas (of the process), not every group of the database (issue 18: 30,000 ideas)."""
    other = online_process(moderation="post", before_open=False, after_open=True, title="Anderer Prozess")
    elsewhere = create_online_idea(other.stand_ids[0], "Idee eines anderen Prozesses").id
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        db.session.add(Support(participant_id=world.participant_id, idea_id=world.first))
        db.session.commit()
        first = db.session.get(Idea, world.first)
        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert supports.counts([first]) == {first.id: 1}
            from app.participation import lists
            process = world.process
            page = lists.page_of_ideas(process, lists.Filters(sort="supported"))
            assert elsewhere not in [i.id for i in page.items] and page.items[0].id == first.id
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
    anchors = [re.search(r"merge_group\(idea_id, root_id\) AS\s*\((.*?)UNION ALL", s, re.S) for s in statements]
    anchors = [a.group(1) for a in anchors if a]
    assert len(anchors) >= 2
    assert "idea.id IN" in anchors[0]  # the page's survivors only
    assert all("process_id" in a or "idea.id IN" in a for a in anchors), anchors


#: SQL statements of one support POST (participant, idea with its stand and event, phase, own
#: supports of the group, the rate limit's windows in one upsert, the insert in a savepoint),
#: whatever the data size.
SUPPORT_POST_STATEMENTS = 8


def test_a_support_post_has_a_bounded_number_of_statements(app, client, world, create_online_idea, count_queries):
    """The support POST reads the idea with its stand and event in one query, not its tags, and
    not the process's stands for the way back (the list checks its filters again): a fixed
    number of statements, the same with many ideas and supports (issue 18, bench/online.py)."""
    token, stand_id = world.token, world.stand_ids[0]
    app.config["PARTICIPATION_SUPPORT_RATE_LIMIT"] = "10000 per minute;100000 per day"  # two windows, as configured
    client.csrf_token()
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as small:
        response = _give(client, token, world.first, stand=str(stand_id), page="2")
    assert response.status_code == 303
    assert response.location.endswith(f"/participation/{token}/ideas?stand={stand_id}&page=2#idea-{world.first}")
    more = [create_online_idea(stand_id, f"Idee Nummer {n}").id for n in range(30)]
    with app.app_context():
        others = [Participant(process_id=world.process_id, display_name=f"P{n}", token_hash=f"hash-{n}",
                              confirmed_at=utcnow()) for n in range(10)]
        db.session.add_all(others)
        db.session.flush()
        db.session.add_all(Support(participant_id=p.id, idea_id=i) for p in others for i in more)
        db.session.commit()
    with count_queries(engine) as large:
        assert _give(client, token, more[0]).status_code == 303
    assert small.n == large.n <= SUPPORT_POST_STATEMENTS, large.statements
    assert not any("idea_tag" in s or "FROM stand " in s or "FROM process" in s for s in large.statements), large.statements
    assert sum("rate_limit_counter" in s for s in large.statements) == 1, large.statements
    assert _supports(app).count((world.participant_id, more[0])) == 1
