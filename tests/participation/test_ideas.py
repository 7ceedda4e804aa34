"""A participant's ideas through the private link: submit, see, edit, withdraw; moderation
modes, closed phases, blocked links, IDOR, escaping, rate limit (issue 18)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.core.models import utcnow
from app.extensions import db
from app.ideas.models import Idea
from app.participation import services
from app.participation.models import OnlinePhase, Participant

XSS = '<img src=x onerror="alert(1)"> https://example.org/x'


def _ideas(app) -> list[Idea]:
    with app.app_context():
        rows = db.session.execute(sa.select(Idea).order_by(Idea.id)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _submit(client, token, stand_id, text, **kwargs):
    return client.submit(f"/participation/{token}", {"stand": str(stand_id), "text": text}, **kwargs)


def test_submit_under_pre_moderation_waits_then_edit_and_withdraw(app, client, online_process, participant_link):
    world = online_process(moderation="pre")
    person, token = participant_link(world.process_id)
    page = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "Radwege" in page and "Busse" in page and "Sie haben noch keine Ideen eingereicht." in page
    response = _submit(client, token, world.stand_ids[0], "Mehr sichere Radwege #Verkehr")
    assert response.status_code == 302
    [idea] = _ideas(app)
    assert (idea.channel, idea.participant_id, idea.moderation, idea.stand_id) == (
        "online", person.id, "pending", world.stand_ids[0])
    assert idea.created_by_id is None and not idea.is_visible
    page = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "Mehr sichere Radwege" in page and "wartet auf Freigabe" in page
    response = client.submit(f"/participation/{token}/ideas/{idea.id}/edit", {"text": "Breitere Radwege"})
    assert response.status_code == 302
    assert _ideas(app)[0].text == "Breitere Radwege"
    assert client.get(f"/participation/{token}/ideas/{idea.id}/withdraw").status_code == 200
    assert client.post(f"/participation/{token}/ideas/{idea.id}/withdraw").status_code == 400  # CSRF
    assert client.submit(f"/participation/{token}/ideas/{idea.id}/withdraw").status_code == 302
    withdrawn = _ideas(app)[0]
    assert withdrawn.withdrawn_at is not None and not withdrawn.is_visible
    page = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "zurückgezogen" in page and f"/ideas/{idea.id}/edit" not in page
    # A withdrawn idea can no longer be edited.
    response = client.submit(f"/participation/{token}/ideas/{idea.id}/edit", {"text": "Wieder da"})
    assert response.status_code == 303 and _ideas(app)[0].text == "Breitere Radwege"
    with app.app_context():
        actions = set(db.session.execute(sa.select(AuditEntry.action)).scalars())
        assert {"idea.create", "idea.edit", "idea.withdraw"} <= actions


def test_post_moderation_is_visible_at_once(app, client, online_process, participant_link):
    world = online_process(moderation="post")
    _pid, token = participant_link(world.process_id)
    assert _submit(client, token, world.stand_ids[1], "Nachtbus am Wochenende").status_code == 302
    [idea] = _ideas(app)
    assert idea.moderation == "visible" and idea.is_visible
    assert "freigegeben" in client.get(f"/participation/{token}").get_data(as_text=True)


def test_wrong_input_then_correction_keeps_the_text(app, client, online_process, participant_link):
    world = online_process()
    _pid, token = participant_link(world.process_id)
    response = _submit(client, token, "", "Mehr Bänke <am> Fluss")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#stand"' in html
    assert "Mehr Bänke &lt;am&gt; Fluss" in html
    response = _submit(client, token, world.stand_ids[0], "x" * 1001)
    assert response.status_code == 422 and 'href="#text"' in response.get_data(as_text=True)
    other = online_process(title="Anderer Prozess")
    response = _submit(client, token, other.stand_ids[0], "Fremder Marktstand")
    assert response.status_code == 422 and "Bitte wählen Sie einen Marktstand." in response.get_data(as_text=True)
    response = _submit(client, token, "abc", "Kaputte Auswahl")
    assert response.status_code == 422
    assert _ideas(app) == []
    assert _submit(client, token, world.stand_ids[0], "Mehr Bänke am Fluss").status_code == 302
    [idea] = _ideas(app)
    response = client.submit(f"/participation/{token}/ideas/{idea.id}/edit", {"text": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error-summary"' in html
    assert _ideas(app)[0].text == "Mehr Bänke am Fluss"


def test_markup_and_links_are_shown_as_text(app, client, online_process, participant_link):
    world = online_process(moderation="post")
    _pid, token = participant_link(world.process_id, display_name='<script>alert("n")</script>')
    assert _submit(client, token, world.stand_ids[0], XSS).status_code == 302
    html = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "&lt;img src=x" in html and "<img src=x" not in html
    assert '&lt;script&gt;alert(&#34;n&#34;)&lt;/script&gt;' in html and '<script>alert("n")' not in html
    assert 'href="https://example.org/x"' not in html and "https://example.org/x" in html
    [idea] = _ideas(app)
    edit = client.get(f"/participation/{token}/ideas/{idea.id}/edit").get_data(as_text=True)
    assert "&lt;img src=x" in edit and "<img src=x" not in edit


def test_another_participants_idea_cannot_be_seen_edited_or_withdrawn(app, client, online_process, participant_link):
    world = online_process(moderation="post")
    _a, token_a = participant_link(world.process_id)
    _b, token_b = participant_link(world.process_id)
    assert _submit(client, token_a, world.stand_ids[0], "Idee von A").status_code == 302
    [idea] = _ideas(app)
    assert client.get(f"/participation/{token_b}/ideas/{idea.id}/edit").status_code == 404
    assert client.submit(f"/participation/{token_b}/ideas/{idea.id}/edit", {"text": "gekapert"}).status_code == 404
    assert client.submit(f"/participation/{token_b}/ideas/{idea.id}/withdraw").status_code == 404
    assert "Idee von A" not in client.get(f"/participation/{token_b}").get_data(as_text=True)
    assert client.get(f"/participation/{token_a}/ideas/99999/edit").status_code == 404
    after = _ideas(app)[0]
    assert after.text == "Idee von A" and after.withdrawn_at is None


def test_unconfirmed_and_blocked_links_cannot_contribute(app, client, online_process, participant_link):
    world = online_process()
    _u, unconfirmed = participant_link(world.process_id, confirmed=False)
    response = _submit(client, unconfirmed, world.stand_ids[0], "Ohne Bestätigung")
    assert response.status_code == 403 and "Bitte bestätigen Sie zuerst" in response.get_data(as_text=True)
    blocked_person, blocked = participant_link(world.process_id, blocked=True)
    blocked_id = blocked_person.id
    page = client.get(f"/participation/{blocked}")
    assert page.status_code == 200 and "gesperrt" in page.get_data(as_text=True)
    assert 'name="text"' not in page.get_data(as_text=True)
    response = _submit(client, blocked, world.stand_ids[0], "Trotz Sperre")
    assert response.status_code == 403 and "gesperrt" in response.get_data(as_text=True)
    assert _ideas(app) == []
    with app.app_context():  # an idea from before the block cannot be changed either
        participant_row = db.session.get(Participant, blocked_id)
        participant_row.blocked_at = None
        db.session.commit()
    assert _submit(client, blocked, world.stand_ids[0], "Vor der Sperre").status_code == 302
    [idea] = _ideas(app)
    with app.app_context():
        db.session.get(Participant, blocked_id).blocked_at = utcnow()
        db.session.commit()
    response = client.submit(f"/participation/{blocked}/ideas/{idea.id}/edit", {"text": "Geändert"})
    assert response.status_code == 303 and _ideas(app)[0].text == "Vor der Sperre"
    assert client.submit(f"/participation/{blocked}/ideas/{idea.id}/withdraw").status_code == 303
    assert _ideas(app)[0].withdrawn_at is None


def test_closed_phase_refuses_new_ideas_and_changes(app, client, online_process, participant_link):
    world = online_process(moderation="post")
    _pid, token = participant_link(world.process_id)
    assert _submit(client, token, world.stand_ids[0], "Noch offen").status_code == 302
    [idea] = _ideas(app)
    with app.app_context():
        phase = db.session.execute(sa.select(OnlinePhase).where(OnlinePhase.kind == "before")).scalar_one()
        phase.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = client.get(f"/participation/{token}").get_data(as_text=True)
    assert "Im Moment können keine Ideen eingereicht werden" in page and "Noch offen" in page
    response = _submit(client, token, world.stand_ids[0], "Zu spät")
    assert response.status_code == 422 and "Online-Phase ist beendet" in response.get_data(as_text=True)
    assert client.get(f"/participation/{token}/ideas/{idea.id}/edit").status_code == 303
    assert client.submit(f"/participation/{token}/ideas/{idea.id}/edit", {"text": "x"}).status_code == 303
    assert client.submit(f"/participation/{token}/ideas/{idea.id}/withdraw").status_code == 303
    assert len(_ideas(app)) == 1 and _ideas(app)[0].text == "Noch offen"


def test_english_pages_and_messages(app, client, online_process, participant_link):
    world = online_process()
    _pid, token = participant_link(world.process_id)
    english = {"Accept-Language": "en"}
    page = client.get(f"/participation/{token}", headers=english).get_data(as_text=True)
    assert "My participation" in page and "Submit an idea" in page
    response = _submit(client, token, "", "Text", headers=english)
    assert response.status_code == 422 and "Please choose a stand." in response.get_data(as_text=True)


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"PARTICIPATION_IDEA_RATE_LIMIT": "2 per hour"}

    def test_third_idea_of_one_link_is_refused_with_the_text_kept(self, app, client, online_process, participant_link):
        world = online_process()
        _pid, token = participant_link(world.process_id)
        _other, other_token = participant_link(world.process_id)
        for n in range(2):
            assert _submit(client, token, world.stand_ids[0], f"Idee {n}").status_code == 302
        response = _submit(client, token, world.stand_ids[0], "Dritte <Idee>")
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "viele Ideen" in html and "Dritte &lt;Idee&gt;" in html
        assert _submit(client, other_token, world.stand_ids[0], "Andere Person").status_code == 302
        assert len(_ideas(app)) == 3


def test_services_state_and_stands(db, online_process, participant_link):
    world = online_process()
    person, _token = participant_link(world.process_id)
    assert [s.id for s in services.idea_stands(person.process)] == world.stand_ids
    idea = services.submit_idea(person, world.stand_ids[0], "Eine Idee")
    assert services.state_of(idea) == "pending" and services.can_change(idea)
    with pytest.raises(services.ParticipationError) as refused:
        services.submit_idea(person, 10**30, "x")  # beyond the integer range: no 500 on PostgreSQL
    assert refused.value.code == "stand_invalid"
