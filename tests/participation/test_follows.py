"""Following ideas (issue 18): a confirmed participant follows an idea of their process through
their link and gets exactly one mail, in their own language, when it is merged into another
idea, taken into a measure, or a measure holding it changes status; each mail's opt-out link
unfollows without the link (GET asks, POST does, twice changes nothing); blocked, unfollowed and
erased participants get nothing; the forms need CSRF; two follows at once store one row."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail
from app.events.models import Process
from app.extensions import db
from app.ideas.models import Idea
from app.participation import follows
from app.participation.models import Follow, Participant
from tests.support.threads import run_at_once

THREADS = 8


@pytest.fixture
def app_config():
    # One connection per thread in the concurrency test.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": THREADS + 4, "max_overflow": 8}}


@pytest.fixture
def world(after_phase_process):
    """A process under post-moderation with three visible online ideas and a participant."""
    ids = after_phase_process((0, "Mehr Radwege am Neckar"), (0, "Radwege am Neckar ausbauen"),
                              (1, "Nachtbus am Wochenende"))
    ids.first, ids.second, ids.third = ids.idea_ids
    return ids


def _follows(app) -> list[tuple[int, int]]:
    with app.app_context():
        return sorted(db.session.execute(sa.select(Follow.participant_id, Follow.idea_id)).all())


def _mails(app) -> list[OutboxMail]:
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()
        db.session.expunge_all()
        return rows


def _send(client, token, idea_id, action="follow", **fields):
    return client.submit(f"/participation/{token}/follows", {"idea_id": str(idea_id), "action": action, **fields})


def _add_follow(app, participant_id, *idea_ids):
    with app.app_context():
        db.session.add_all([Follow(participant_id=participant_id, idea_id=i) for i in idea_ids])
        db.session.commit()


def _set_participant(app, participant_id, **values):
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        for name, value in values.items():
            setattr(participant, name, value)
        db.session.commit()


def _merge(app, target_id, *source_ids):
    from app.ideas import services as ideas

    with app.test_request_context():
        ideas.merge_ideas(db.session.get(Idea, target_id), [db.session.get(Idea, i) for i in source_ids], user=None)
        db.session.commit()


def _measure(app, process_id, title="Radverkehrskonzept") -> int:
    from app.measures.lifecycle import create_measure

    with app.test_request_context():
        measure = create_measure(db.session.get(Process, process_id), title=title)
        db.session.commit()
        return measure.id


def _link(app, measure_id, *idea_ids):
    from app.measures.links import link_ideas
    from app.measures.models import Measure

    with app.test_request_context():
        link_ideas(db.session.get(Measure, measure_id), [db.session.get(Idea, i) for i in idea_ids])
        db.session.commit()


def _change_status(app, measure_id, status="adopted"):
    from app.measures.lifecycle import change_status
    from app.measures.models import Measure

    with app.test_request_context():
        change_status(db.session.get(Measure, measure_id), status, comment="Beschluss des Rates")
        db.session.commit()


def _to(mails, address) -> list[OutboxMail]:
    return [m for m in mails if m.recipient == address]


def _email(app, participant_id) -> str:
    with app.app_context():
        return db.session.get(Participant, participant_id).email


# ------------------------------------------------------------------ follow and unfollow


def test_follow_and_unfollow_on_the_idea_and_in_my_participation(app, client, world):
    token, first = world.token, world.first
    page = client.get(f"/participation/{token}/ideas/{first}").get_data(as_text=True)
    assert ">Dieser Idee folgen</button>" in page
    # The public page of the idea has no follow form (and no link).
    public = client.get(f"/processes/{world.process_id}/ideas/{first}").get_data(as_text=True)
    assert "/follows" not in public and "Dieser Idee folgen" not in public
    response = _send(client, token, first)
    assert response.status_code == 303 and response.location.endswith(f"/participation/{token}/ideas/{first}")
    assert _follows(app) == [(world.participant_id, first)]
    page = client.get(response.location).get_data(as_text=True)
    assert "Sie folgen dieser Idee jetzt." in page and ">Nicht mehr folgen</button>" in page
    # Again: nothing doubled.
    assert "Sie folgen dieser Idee bereits." in client.get(_send(client, token, first).location).get_data(as_text=True)
    assert _follows(app) == [(world.participant_id, first)]
    mine = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "Ideen, denen ich folge" in mine and "Mehr Radwege am Neckar" in mine
    response = _send(client, token, first, "unfollow", back="mine")
    assert response.status_code == 303 and response.location.endswith(f"/participation/{token}#follows")
    assert _follows(app) == []
    assert "Sie folgen dieser Idee nicht mehr." in client.get(response.location).get_data(as_text=True)
    assert _mails(app) == []  # following mails nothing by itself


def test_follow_needs_csrf(app, client, world):
    response = client.post(f"/participation/{world.token}/follows",
                           data={"idea_id": str(world.first), "action": "follow"})
    assert response.status_code == 400 and _follows(app) == []


def test_another_process_idea_unknown_input_and_a_hidden_idea_are_refused(
        app, client, world, online_process, create_online_idea):
    other = online_process(moderation="post", title="Anderer Prozess")
    foreign = create_online_idea(other.stand_ids[0], "Idee eines anderen Prozesses").id
    pending = create_online_idea(world.stand_ids[0], "Wartet noch", pending=True).id
    token = world.token
    for idea_id in (foreign, pending, "abc", "99999999999999999999", ""):
        response = _send(client, token, idea_id)
        assert response.status_code == 303
        assert "Diese Idee gibt es in diesem Prozess nicht." in client.get(response.location).get_data(as_text=True)
    assert client.get(f"/participation/{token}/ideas/{foreign}").status_code == 404
    # A merged idea is listed, but cannot be followed any more.
    _merge(app, world.first, world.second)
    response = _send(client, token, world.second)
    assert "Dieser Idee kann man nicht folgen" in client.get(response.location).get_data(as_text=True)
    assert _follows(app) == []


@pytest.mark.parametrize("state", ["blocked", "unconfirmed"])
def test_a_blocked_or_unconfirmed_participant_cannot_follow_but_can_unfollow(app, client, world, state):
    from app.core.models import utcnow

    _add_follow(app, world.participant_id, world.third)
    _set_participant(app, world.participant_id,
                     **({"blocked_at": utcnow()} if state == "blocked" else {"confirmed_at": None}))
    page = client.get(f"/participation/{world.token}/ideas/{world.first}").get_data(as_text=True)
    assert "Dieser Idee folgen" not in page
    response = _send(client, world.token, world.first)
    assert response.status_code == 303
    assert _follows(app) == [(world.participant_id, world.third)]
    assert _send(client, world.token, world.third, "unfollow").status_code == 303
    assert _follows(app) == []


def test_the_follow_buttons_are_rate_limited_per_link(app, client, world):
    app.config["PARTICIPATION_FOLLOW_RATE_LIMIT"] = "2 per hour"
    token = world.token
    _send(client, token, world.first)
    _send(client, token, world.first, "unfollow")
    response = _send(client, token, world.second)
    assert "vielen Ideen gefolgt" in client.get(response.location).get_data(as_text=True)
    assert _follows(app) == []


def test_two_follows_at_once_store_one_row(app, world):
    """Several threads send the same follow at the same instant: one row, no error."""
    results = []

    def send(_i):
        with app.test_request_context():
            try:
                participant = world.participant
                results.append(follows.follow(participant, db.session.get(Idea, world.first)))
                db.session.commit()
            finally:
                db.session.remove()

    run_at_once(THREADS, send)
    assert results.count(True) == 1 and len(results) == THREADS
    assert _follows(app) == [(world.participant_id, world.first)]


# ------------------------------------------------------------------ the mails


@pytest.fixture
def followers(app, world, participant_link):
    """Four more participants: German and English followers, one who unfollowed, one blocked."""
    from app.core.models import utcnow

    process_id = world.process_id
    people = {}
    for name in ("german", "english", "gone", "blocked"):
        person, token = participant_link(process_id, display_name=name.title())
        people[name] = (person.id, token)
    _set_participant(app, people["english"][0], language="en")
    _set_participant(app, people["blocked"][0], blocked_at=utcnow())
    return people


def test_merging_mails_each_follower_of_the_merged_ideas_once_in_their_language(app, client, world, followers):
    german, english, gone, blocked = (followers[n] for n in ("german", "english", "gone", "blocked"))
    first, second, third = world.first, world.second, world.third
    _add_follow(app, german[0], second, third)
    _add_follow(app, english[0], second, third)
    _add_follow(app, blocked[0], second)
    _add_follow(app, world.participant_id, first)  # follows the survivor: nothing merged into another
    assert _send(client, gone[1], second).status_code == 303
    assert _send(client, gone[1], second, "unfollow").status_code == 303
    _merge(app, first, second, third)  # one merge of two followed ideas: one mail, both ideas in it
    mails = _mails(app)
    assert sorted(m.recipient for m in mails) == sorted([_email(app, german[0]), _email(app, english[0])])
    de, = _to(mails, _email(app, german[0]))
    assert de.subject == "Eine Idee, der Sie folgen, wurde mit einer anderen zusammengeführt: Mobilität 2030"
    assert "die Ideen, denen Sie in „Mobilität 2030“ folgen, mit Idee" in de.body_text
    assert "Radwege am Neckar ausbauen" in de.body_text and "Nachtbus am Wochenende" in de.body_text
    en, = _to(mails, _email(app, english[0]))
    assert en.subject == "An idea you follow was merged with another one: Mobilität 2030"
    assert "the moderation has merged the ideas you follow" in en.body_text
    # Each idea of the mail has its own opt-out link, and a link to the idea with the participant's link.
    assert len(re.findall(r"/participation/stop-following/\d+/\S+", de.body_text)) == 2
    assert f"/ideas/{second}" in de.body_html and "Dieser Idee nicht mehr folgen" in de.body_html


def test_taking_ideas_into_a_measure_mails_each_follower_once(app, world, followers):
    german, english, blocked = (followers[n] for n in ("german", "english", "blocked"))
    first, second, third = world.first, world.second, world.third
    _merge(app, first, second)
    _add_follow(app, german[0], first, third)   # two ideas of one batch: one mail
    _add_follow(app, english[0], second)        # followed before it was merged into the linked one
    _add_follow(app, blocked[0], first)
    measure_id = _measure(app, world.process_id)
    before = len(_mails(app))
    _link(app, measure_id, first, third)
    mails = _mails(app)[before:]
    assert sorted(m.recipient for m in mails) == sorted([_email(app, german[0]), _email(app, english[0])])
    de, = _to(mails, _email(app, german[0]))
    assert de.subject == "Eine Idee, der Sie folgen, wurde in die Maßnahme „Radverkehrskonzept“ übernommen"
    assert "in die Maßnahme „Radverkehrskonzept“ übernommen" in de.body_text
    assert "Mehr Radwege am Neckar" in de.body_text and "Nachtbus am Wochenende" in de.body_text
    en, = _to(mails, _email(app, english[0]))
    assert en.subject == "An idea you follow was taken into the measure “Radverkehrskonzept”"
    assert "Radwege am Neckar ausbauen" in en.body_text
    # Linking the same ideas again changes nothing and mails nobody.
    _link(app, measure_id, first, third)
    assert len(_mails(app)) == before + 2


def test_a_measure_status_change_mails_each_follower_once(app, world, followers):
    german, english, gone = (followers[n] for n in ("german", "english", "gone"))
    first, third = world.first, world.third
    measure_id = _measure(app, world.process_id)
    _link(app, measure_id, first, third)
    _add_follow(app, german[0], first, third)
    _add_follow(app, english[0], third)
    before = len(_mails(app))
    _change_status(app, measure_id, "adopted")
    mails = _mails(app)[before:]
    assert sorted(m.recipient for m in mails) == sorted([_email(app, german[0]), _email(app, english[0])])
    de, = _to(mails, _email(app, german[0]))
    assert de.subject == "Neues zu einer Idee, der Sie folgen: „Radverkehrskonzept“ ist jetzt vom Gemeinderat beschlossen"
    assert "hat jetzt den Status „vom Gemeinderat beschlossen“" in de.body_text and "Beschluss des Rates" in de.body_text
    en, = _to(mails, _email(app, english[0]))
    assert en.subject == "News on an idea you follow: “Radverkehrskonzept” is now adopted by the council"
    assert "now has the status “adopted by the council”" in en.body_text
    # An unfollowed and an erased follower get nothing at the next change.
    token = re.search(r"/participation/stop-following/(\d+)/(\S+)", en.body_text)
    client = app.test_client()
    assert client.get(token.group(0)).status_code == 200
    client.submit(token.group(0))
    from app.participation import privacy

    with app.test_request_context():
        privacy.erase_participation(db.session.get(Participant, german[0]))
        db.session.commit()
    before = len(_mails(app))
    _change_status(app, measure_id, "in_progress")
    assert len(_mails(app)) == before and _follows(app) == []


# ------------------------------------------------------------------ the opt-out link


def test_the_opt_out_link_asks_on_get_unfollows_on_post_and_twice_is_harmless(app, client, world):
    participant_id, first, second = world.participant_id, world.first, world.second
    _add_follow(app, participant_id, first, second)
    with app.app_context():
        participant = db.session.get(Participant, participant_id)
        token = follows.unfollow_token(participant, first)
        other_idea_token = follows.unfollow_token(participant, second)
    url = f"/participation/stop-following/{first}/{token}"
    page = client.get(url)
    assert page.status_code == 200 and ">Dieser Idee nicht mehr folgen</button>" in page.get_data(as_text=True)
    assert len(_follows(app)) == 2  # GET changes nothing (mail scanners open links)
    assert client.post(url).status_code == 400  # CSRF
    response = client.submit(url)
    assert response.status_code == 303
    assert _follows(app) == [(participant_id, second)]
    page = client.get(response.location).get_data(as_text=True)
    assert "Sie folgen dieser Idee nicht mehr. Sie bekommen keine E-Mails mehr zu ihr." in page
    assert "Sie folgen dieser Idee nicht (mehr)" in page
    assert client.submit(url).status_code == 303 and _follows(app) == [(participant_id, second)]
    # Forged, for another idea, the participation link itself: unknown.
    for wrong in (f"/participation/stop-following/{first}/{other_idea_token}",
                  f"/participation/stop-following/{first}/{participant_id}.forged",
                  f"/participation/stop-following/{first}/{world.token}",
                  f"/participation/stop-following/99999999999/{token}"):
        assert client.get(wrong).status_code == 404
        assert client.submit(wrong).status_code == 404
    assert _follows(app) == [(participant_id, second)]


def test_export_and_erasure_cover_the_follows(app, client, world):
    participant_id, token = world.participant_id, world.token
    _add_follow(app, participant_id, world.first)
    with app.app_context():
        opt_out = follows.unfollow_token(db.session.get(Participant, participant_id), world.first)
    exported = json.loads(client.get(f"/participation/{token}/data").get_data(as_text=True))
    assert [f["idea_id"] for f in exported["follows"]] == [world.first]
    assert exported["follows"][0]["idea"] == "Mehr Radwege am Neckar"
    assert client.submit(f"/participation/{token}/erase").status_code == 303
    assert _follows(app) == []
    assert client.get(f"/participation/stop-following/{world.first}/{opt_out}").status_code == 404
