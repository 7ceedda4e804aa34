"""A participant downloads and erases their data with the private link (issue 18)."""
from __future__ import annotations

import json

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.core.models import OutboxMail
from app.extensions import db
from app.ideas.models import Idea
from app.participation.models import Participant
from tests.support.smtp import find_links


def test_download_has_the_sign_up_and_the_ideas(app, client, online_process, participant_link):
    world = online_process()
    _pid, token = participant_link(world.process_id, display_name="Rad-Fan", email="rad@example.org")
    assert client.submit(f"/participation/{token}", {"stand": str(world.stand_ids[0]),
                                                     "text": "Mehr Radwege"}).status_code == 302
    page = client.get(f"/participation/{token}").get_data(as_text=True)
    assert f"/participation/{token}/data" in page and f"/participation/{token}/erase" in page
    response = client.get(f"/participation/{token}/data")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["participant"]["email"] == "rad@example.org" and data["participant"]["display_name"] == "Rad-Fan"
    assert [(i["text"], i["state"]) for i in data["ideas"]] == [("Mehr Radwege", "pending")]
    assert data["mails"] == []  # made directly, never mailed
    assert client.get("/participation/unknown/data").status_code == 404


def test_erase_deletes_name_address_link_and_mails_and_keeps_the_ideas(app, client, online_process, smtp):
    world = online_process(moderation="post")
    signup = {"display_name": "Erika", "show_name_publicly": "yes", "email": "erika@example.org", "consent": "y"}
    client.submit(f"/processes/{world.process_id}/participate", signup).close()
    [mail] = smtp.wait_for(lambda m: m["To"] == "erika@example.org")
    base = app.config["BASE_URL"]
    confirm = next(link[len(base):] for link in find_links(mail) if "/confirm/" in link)
    client.submit(confirm).close()
    token = confirm.split("/")[2]
    with app.app_context():
        participant_id = db.session.execute(sa.select(Participant.id)).scalar_one()
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 2
    assert client.submit(f"/participation/{token}", {"stand": str(world.stand_ids[0]),
                                                     "text": "Bleibt erhalten"}).status_code == 302
    exported = json.loads(client.get(f"/participation/{token}/data").get_data(as_text=True))
    assert [m["to"] for m in exported["mails"]] == ["erika@example.org"] * 2
    assert client.get(f"/participation/{token}/erase").status_code == 200
    assert client.post(f"/participation/{token}/erase").status_code == 400  # CSRF
    response = client.submit(f"/participation/{token}/erase")
    assert response.status_code == 303 and response.location.endswith(f"/processes/{world.process_id}")
    with app.app_context():
        assert db.session.get(Participant, participant_id) is None
        idea = db.session.execute(sa.select(Idea)).scalar_one()
        assert idea.text == "Bleibt erhalten" and idea.participant_id is None and idea.is_visible
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one() == 0
        entry = db.session.execute(sa.select(AuditEntry).where(
            AuditEntry.action == "participation.erased_by_participant")).scalar_one()
        assert "erika" not in json.dumps(entry.after).lower()
    assert client.get(f"/participation/{token}").status_code == 404
    english = client.get(f"/processes/{world.process_id}", headers={"Accept-Language": "en"})
    assert english.status_code == 200
