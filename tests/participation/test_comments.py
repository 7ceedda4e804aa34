"""Comments (issue 18): a confirmed participant comments an idea of the public list while the
phase after the workshop is open, answers a comment (one level), edits and withdraws their own;
moderators approve, hide with a netiquette reason and show again in the stand's online queue
(audit-logged); refused input changes nothing (422 with the text kept); export and erasure cover
comments; German and English. Also: the participant's mail language is the sign-up's."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.participation import comments
from app.participation.models import Comment, Participant

XSS = '<script>alert("x")</script>'


@pytest.fixture
def world(app, after_phase_process, create_user, login):
    ids = after_phase_process((0, "Mehr Radwege am Neckar"), show_name_publicly=True)
    [ids.idea] = ids.idea_ids
    moderator = create_user(roles=("moderator",))
    with app.app_context():
        from app.ideas.models import StandModerator
        db.session.add(StandModerator(stand_id=ids.stand_ids[0], user_id=moderator.id))
        db.session.commit()
    ids.moderator = app.test_client()
    login(ids.moderator, moderator)
    return ids


def _comments(app) -> list[Comment]:
    with app.app_context():
        rows = db.session.execute(sa.select(Comment).order_by(Comment.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _write(client, world, text, **fields):
    return client.submit(f"/participation/{world.token}/ideas/{world.idea}", {"text": text, **fields})


def _set_mode(app, process_id, mode):
    from app.participation.models import OnlineSettings
    with app.app_context():
        db.session.execute(sa.update(OnlineSettings).where(OnlineSettings.process_id == process_id)
                           .values(moderation=mode))
        db.session.commit()


def test_write_a_comment_shown_at_once_under_post_moderation(app, client, world):
    response = _write(client, world, "Gute Idee, am besten mit " + XSS)
    assert response.status_code == 303
    [comment] = _comments(app)
    assert response.location.endswith(f"/participation/{world.token}/ideas/{world.idea}#comment-{comment.id}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Vielen Dank! Ihr Kommentar wird jetzt angezeigt." in page
    public = client.get(f"/processes/{world.process_id}/ideas/{world.idea}").get_data(as_text=True)
    assert "Gute Idee, am besten mit &lt;script&gt;" in public and XSS not in public
    assert "von Rad-Fan" in public and world.token not in public and 'name="text"' not in public
    listing = client.get(f"/processes/{world.process_id}/ideas").get_data(as_text=True)
    assert "1 Kommentar<" in listing


def test_pre_moderation_approve_hide_and_show_again(app, client, world):
    _set_mode(app, world.process_id, "pre")
    assert _write(client, world, "Bitte auch im Winter räumen").status_code == 303
    [comment] = _comments(app)
    assert comment.moderation == "pending"
    public_url = f"/processes/{world.process_id}/ideas/{world.idea}"
    assert "im Winter" not in client.get(public_url).get_data(as_text=True)
    mod = world.moderator
    queue = mod.get(f"/stands/{world.stand_ids[0]}/online").get_data(as_text=True)
    assert "Bitte auch im Winter räumen" in queue and f"Kommentar K{comment.id} freigeben" in queue
    english = mod.get(f"/stands/{world.stand_ids[0]}/online", headers={"Accept-Language": "en"})
    assert f"Approve comment C{comment.id}<" in english.get_data(as_text=True)  # no German "K" in English
    assert mod.submit(f"/online-comments/{comment.id}/approve").status_code == 303
    assert "im Winter" in client.get(public_url).get_data(as_text=True)
    # A reason outside the netiquette is refused with the queue and the choice kept.
    refused = mod.submit(f"/online-comments/{comment.id}/hide", {f"hide-comment-{comment.id}-reason": "Erfunden"})
    assert refused.status_code == 422
    assert "Bitte wählen Sie eine der Regeln der Netiquette." in refused.get_data(as_text=True)
    assert _comments(app)[0].hidden_at is None
    assert mod.submit(f"/online-comments/{comment.id}/hide",
                      {f"hide-comment-{comment.id}-reason": "Keine Beleidigungen"}).status_code == 303
    public = client.get(public_url).get_data(as_text=True)
    assert "im Winter" not in public and "Keine Beleidigungen" in public
    assert mod.submit(f"/online-comments/{comment.id}/unhide").status_code == 303
    assert "im Winter" in client.get(public_url).get_data(as_text=True)
    with app.app_context():
        actions = list(db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())
    assert actions[-3:] == ["comment.approve", "comment.hide", "comment.unhide"]


def test_moderation_needs_the_stand_and_csrf(app, client, world, create_user, login):
    _write(client, world, "Ein Kommentar")
    [comment] = _comments(app)
    stranger = app.test_client()
    login(stranger, create_user(roles=("moderator",)))
    assert stranger.submit(f"/online-comments/{comment.id}/hide",
                           {f"hide-comment-{comment.id}-reason": "Keine Beleidigungen"}).status_code == 403
    assert world.moderator.post(f"/online-comments/{comment.id}/hide",
                                   data={f"hide-comment-{comment.id}-reason": "Keine Beleidigungen"}).status_code == 400
    assert client.post(f"/participation/{world.token}/ideas/{world.idea}", data={"text": "x"}).status_code == 400
    assert _comments(app)[0].hidden_at is None and len(_comments(app)) == 1


@pytest.mark.parametrize("text, message", [
    ("   ", "Bitte geben Sie Ihren Kommentar ein."),
    ("x" * 1001, "Ein Kommentar darf höchstens 1000 Zeichen haben."),
])
def test_bad_text_is_refused_with_the_input_kept(app, client, world, text, message):
    response = _write(client, world, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and _comments(app) == []
    if text.strip():
        assert text in page


def test_closed_phase_and_blocked_link_are_refused(app, client, world, create_participant):
    from app.participation.models import OnlinePhase
    from app.core.models import utcnow
    from datetime import timedelta
    with app.app_context():
        world.participant.blocked_at = utcnow()
        db.session.commit()
    assert _write(client, world, "Hallo").status_code == 403
    with app.app_context():
        world.participant.blocked_at = None
        db.session.execute(sa.update(OnlinePhase).where(OnlinePhase.event_id == world.event_id)
                           .values(closes_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    response = _write(client, world, "Hallo")
    assert response.status_code == 409
    assert "nur kommentiert werden, solange die Online-Phase nach der Veranstaltung" in response.get_data(as_text=True)
    assert _comments(app) == []


def test_one_level_of_answers(app, client, world):
    _write(client, world, "Erster Kommentar")
    [first] = _comments(app)
    assert _write(client, world, "Eine Antwort", parent_id=str(first.id)).status_code == 303
    answer = _comments(app)[1]
    assert answer.parent_id == first.id
    response = _write(client, world, "Antwort auf Antwort", parent_id=str(answer.id))
    assert response.status_code == 422 and "Antwort auf Antwort" in response.get_data(as_text=True)
    for bad in ("abc", "99999999999999999999", "-1"):
        assert _write(client, world, "x", parent_id=bad).status_code == 422
    assert len(_comments(app)) == 2


def test_edit_and_withdraw_own_comment_only(app, client, world, participant_link):
    _write(client, world, "Mit Tippfeler")
    [comment] = _comments(app)
    edit = f"/participation/{world.token}/comments/{comment.id}/edit"
    assert "Mit Tippfeler" in client.get(edit).get_data(as_text=True)
    refused = client.submit(edit, {"text": ""})
    assert refused.status_code == 422
    assert client.submit(edit, {"text": "Ohne Tippfehler"}).status_code == 303
    assert _comments(app)[0].text == "Ohne Tippfehler"
    _other, other_token = participant_link(world.process_id)
    assert client.get(f"/participation/{other_token}/comments/{comment.id}/edit").status_code == 404
    assert client.submit(f"/participation/{other_token}/comments/{comment.id}/withdraw").status_code == 404
    mine = client.get(f"/participation/{world.token}").get_data(as_text=True)
    assert "Meine Kommentare" in mine and "Ohne Tippfehler" in mine
    assert client.submit(f"/participation/{world.token}/comments/{comment.id}/withdraw").status_code == 303
    assert _comments(app)[0].withdrawn_at is not None
    public = client.get(f"/processes/{world.process_id}/ideas/{world.idea}").get_data(as_text=True)
    assert "Ohne Tippfehler" not in public


def test_export_and_erasure_cover_comments(app, client, world):
    _write(client, world, "Mein Kommentar")
    data = json.loads(client.get(f"/participation/{world.token}/data").get_data(as_text=True))
    assert [c["text"] for c in data["comments"]] == ["Mein Kommentar"] and data["participant"]["language"] == "de"
    assert client.submit(f"/participation/{world.token}/erase").status_code == 303
    [comment] = _comments(app)
    assert comment.participant_id is None
    public = client.get(f"/processes/{world.process_id}/ideas/{world.idea}").get_data(as_text=True)
    assert "Mein Kommentar" in public and "Rad-Fan" not in public


def test_english(app, client, world):
    headers = {"Accept-Language": "en"}
    response = client.submit(f"/participation/{world.token}/ideas/{world.idea}", {"text": ""}, headers=headers)
    assert response.status_code == 422 and "Please enter your comment." in response.get_data(as_text=True)
    _write(client, world, "Nice")
    page = client.get(f"/processes/{world.process_id}/ideas/{world.idea}", headers=headers).get_data(as_text=True)
    assert "Comments" in page and 'lang="de">Nice<' in page


def test_services_state_and_counts(app, world):
    with app.app_context():
        participant = world.participant
        from app.ideas.models import Idea
        idea = db.session.get(Idea, world.idea)
        comment = comments.write_comment(participant, idea, "  Hallo  ")
        assert comment.text == "Hallo" and comments.state_of(comment) == "visible"
        assert comments.public_counts([idea.id]) == {idea.id: 1}
        with pytest.raises(comments.ParticipationError) as caught:
            comments.write_comment(participant, idea, "x", parent_id="0")
        assert caught.value.code == "parent_invalid"
        db.session.rollback()


def test_mails_use_the_language_of_the_sign_up(app, online_process, smtp):
    world = online_process()
    client = app.test_client()
    form = {"display_name": "Ada", "show_name_publicly": "no", "email": "ada@example.org", "consent": "y",
            "website": ""}
    client.submit(f"/processes/{world.process_id}/participate", form, headers={"Accept-Language": "en"}).close()
    [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
    assert "Please confirm your participation" in mail["Subject"]
    with app.app_context():
        assert db.session.execute(sa.select(Participant.language)).scalar_one() == "en"
    # Signing up again from a German page: the reminder is still in English.
    app.test_client().submit(f"/processes/{world.process_id}/participate", form,
                             headers={"Accept-Language": "de"}).close()
    mails = smtp.wait_for(lambda m: m["To"] == "ada@example.org", count=2)
    assert "Please confirm your participation" in mails[1]["Subject"]


@pytest.mark.parametrize("answer", [False, True], ids=["comment", "answer"])
def test_an_expired_session_keeps_the_comment_or_answer_typed(app, client, world, answer):
    """The form token ended with the session (12 hours): the idea page comes back with the text in
    the form it was typed into (the answer's form open), and nothing is stored until it is sent again."""
    import re

    from tests.support.clients import expire_session
    fields = {}
    if answer:
        _write(client, world, "Erster Kommentar")
        fields["parent_id"] = str(_comments(app)[0].id)
    before = len(_comments(app))
    page = f"/participation/{world.token}/ideas/{world.idea}"
    data = {"csrf_token": client.csrf_token(), "_page": page, "text": "Lange getippt <b>fett</b>", **fields}
    expire_session(app, client)
    response = client.post(page, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Ihre Sitzung war abgelaufen" in html
    box = f'id="reply-{fields["parent_id"]}"' if answer else 'id="text"'
    textarea = re.search(r"<textarea[^>]*" + box + r"[^>]*>([^<]*)</textarea>", html)
    assert textarea and textarea.group(1).strip() == "Lange getippt &lt;b&gt;fett&lt;/b&gt;"
    if answer:
        assert "<details open>" in html
    assert len(_comments(app)) == before
    data["csrf_token"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert client.post(page, data=data).status_code == 303
    assert _comments(app)[-1].text == "Lange getippt <b>fett</b>"
