"""Reports (issue 18): anyone or a participant reports an idea or a comment with a rule of the
netiquette; the moderators see the open reports with counts in the stand's queue and resolve
them (hiding resolves them too); one report per participant and item, also when two requests
come at once (SQLite and PostgreSQL); refused input changes nothing; the honeypot stores nothing."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.participation import reports
from app.participation.models import Comment, Report

THREADS = 6


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": THREADS + 4, "max_overflow": 8}}


@pytest.fixture
def world(app, after_phase_process, create_user, login):
    ids = after_phase_process((0, "Mehr Radwege am Neckar"))
    [ids.idea] = ids.idea_ids
    moderator = create_user(roles=("moderator",))
    with app.app_context():
        from app.ideas.models import StandModerator
        db.session.add(StandModerator(stand_id=ids.stand_ids[0], user_id=moderator.id))
        comment = Comment(idea_id=ids.idea, participant_id=ids.participant_id, text="Ein frecher Kommentar")
        db.session.add(comment)
        db.session.commit()
        ids.comment = comment.id
    ids.moderator = app.test_client()
    login(ids.moderator, moderator)
    return ids


def _reports(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(sa.select(Report.idea_id, Report.comment_id, Report.participant_id, Report.reason,
                                            Report.resolved_at.is_not(None)).order_by(Report.id)).all()


def test_anyone_reports_an_idea_and_the_moderator_resolves(app, client, world):
    url = f"/processes/{world.process_id}/ideas/{world.idea}/report"
    page = client.get(url).get_data(as_text=True)
    assert "Idee" in page and "Beim Thema bleiben" in page
    response = client.submit(url, {"reason": "Beim Thema bleiben", "details": "Werbung <b>für</b> X", "website": ""})
    assert response.status_code == 303
    assert response.location.endswith(f"/processes/{world.process_id}/ideas/{world.idea}")
    assert "Vielen Dank! Die Moderation sieht sich Ihre Meldung an." in client.get(response.location).get_data(as_text=True)
    client.submit(url, {"reason": "Keine Beleidigungen", "website": ""})
    assert len(_reports(app)) == 2  # without a link, each report counts (limited per address)
    queue = world.moderator.get(f"/stands/{world.stand_ids[0]}/online").get_data(as_text=True)
    assert "2 Meldungen" in queue and "Beim Thema bleiben</span> (1)" in queue
    assert "Werbung &lt;b&gt;für&lt;/b&gt; X" in queue
    assert world.moderator.submit(f"/stand-ideas/{world.idea}/resolve-reports").status_code == 303
    assert all(row[4] for row in _reports(app))
    queue = world.moderator.get(f"/stands/{world.stand_ids[0]}/online").get_data(as_text=True)
    assert "Keine offenen Meldungen." in queue
    with app.app_context():
        assert db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())).scalars().first() \
            == "report.resolve"
    # Resolving again: a clear message, nothing changes.
    again = world.moderator.submit(f"/stand-ideas/{world.idea}/resolve-reports")
    assert "keine offenen Meldungen" in world.moderator.get(again.location).get_data(as_text=True)


def test_participant_reports_a_comment_once_and_hiding_resolves(app, client, world):
    url = f"/participation/{world.token}/comments/{world.comment}/report"
    assert client.submit(url, {"reason": "Keine Beleidigungen"}).status_code == 303
    second = client.submit(url, {"reason": "Beim Thema bleiben"})
    assert second.status_code == 303
    assert "Sie haben diesen Beitrag bereits gemeldet" in client.get(second.location).get_data(as_text=True)
    assert _reports(app) == [(None, world.comment, world.participant_id, "Keine Beleidigungen", False)]
    mod = world.moderator
    assert "1 Meldung<" in mod.get(f"/stands/{world.stand_ids[0]}/online").get_data(as_text=True)
    cid = world.comment
    assert mod.submit(f"/online-comments/{cid}/hide", {f"hide-comment-{cid}-reason": "Keine Beleidigungen"}
                      ).status_code == 303
    assert _reports(app)[0][4] is True
    # A hidden comment can no longer be reported.
    assert client.submit(f"/processes/{world.process_id}/comments/{cid}/report",
                         {"reason": "Keine Beleidigungen"}).status_code == 303
    assert len(_reports(app)) == 1


@pytest.mark.parametrize("fields, status, message", [
    ({"reason": ""}, 422, "Bitte wählen Sie die Regel der Netiquette, gegen die der Beitrag verstößt."),
    ({"reason": "Erfunden"}, 422, "Bitte wählen Sie eine der Regeln der Netiquette."),
    ({"reason": "Keine Beleidigungen", "details": "x" * 501}, 422, "Der Hinweis darf höchstens 500 Zeichen haben."),
])
def test_bad_input_is_refused_with_the_input_kept(app, client, world, fields, status, message):
    response = client.submit(f"/processes/{world.process_id}/ideas/{world.idea}/report", fields)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and _reports(app) == []
    if fields.get("details"):
        assert fields["details"] in page


def test_honeypot_csrf_unknown_and_foreign_items(app, client, world, online_process, create_online_idea):
    base = f"/processes/{world.process_id}"
    assert client.submit(f"{base}/ideas/{world.idea}/report",
                         {"reason": "Keine Beleidigungen", "website": "http://spam"}).status_code == 303
    assert client.post(f"{base}/ideas/{world.idea}/report", data={"reason": "Keine Beleidigungen"}).status_code == 400
    assert client.get(f"{base}/ideas/999999/report").status_code == 404
    assert client.get(f"{base}/comments/99999999999/report").status_code == 404
    other = online_process(moderation="post", after_open=True, title="Anderer Prozess")
    foreign = create_online_idea(other.stand_ids[0], "Fremde Idee").id
    assert client.get(f"{base}/ideas/{foreign}/report").status_code == 404
    assert client.get(f"/participation/{world.token}/ideas/{foreign}/report").status_code == 404
    assert _reports(app) == []


def test_moderator_of_another_stand_cannot_resolve(app, world, create_user, login):
    other = app.test_client()
    login(other, create_user(roles=("moderator",)))
    assert other.submit(f"/stand-ideas/{world.idea}/resolve-reports").status_code == 403
    assert other.submit(f"/online-comments/{world.comment}/resolve-reports").status_code == 403


def test_english(app, client, world):
    response = client.submit(f"/processes/{world.process_id}/ideas/{world.idea}/report", {"reason": ""},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Please choose the rule of the netiquette the contribution breaks." in response.get_data(as_text=True)


def test_two_reports_at_once_store_one(app, world):
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def send():
        try:
            with app.app_context():
                participant = world.participant
                comment = db.session.get(Comment, world.comment)
                barrier.wait()
                results.append(reports.report(reports.Item(comment.idea, comment), "Keine Beleidigungen", "",
                                              participant))
                db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results.count(True) == 1
    assert len(_reports(app)) == 1


def test_export_and_erasure_cover_reports(app, client, world):
    client.submit(f"/participation/{world.token}/ideas/{world.idea}/report", {"reason": "Keine Beleidigungen"})
    data = client.get(f"/participation/{world.token}/data").get_json()
    assert [r["reason"] for r in data["reports"]] == ["Keine Beleidigungen"]
    client.submit(f"/participation/{world.token}/erase")
    assert _reports(app)[0][2] is None
