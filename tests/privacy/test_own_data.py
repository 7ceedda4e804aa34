"""The applicant's own data (JSON download) and erasure, from the private manage link."""
from __future__ import annotations

import json

import sqlalchemy as sa

from app.extensions import db as _db
from tests.factories.lottery import run_verify
from tests.factories.privacy import applicant_email, applicant_name, audit_file, dump_database


def _download(client, token):
    response = client.get(f"/applications/{token}/data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_export_contains_everything_about_the_applicant_and_nothing_about_others(app, client, privacy_world):
    from app.lottery.models import LotteryEntry
    from app.voting.models import Ticket

    n = privacy_world.voter
    text = _download(client, privacy_world.tokens[n])
    data = json.loads(text)
    assert data["application"]["name"] == applicant_name(n)
    assert data["application"]["email"] == applicant_email(n)
    assert data["application"]["status"] == "confirmed"
    with app.app_context():
        entry = _db.session.execute(sa.select(LotteryEntry).where(
            LotteryEntry.application_id == privacy_world.application_ids[n])).scalar_one()
        others = set(_db.session.execute(sa.select(LotteryEntry.pseudonym).where(
            LotteryEntry.application_id != privacy_world.application_ids[n])).scalars())
        code = _db.session.execute(sa.select(Ticket.code).where(
            Ticket.application_id == privacy_world.application_ids[n])).scalar_one()
    assert data["lottery"][0]["pseudonym"] == entry.pseudonym and data["lottery"][0]["drawn"] is True
    assert data["ticket"]["code"] == code and data["ticket"]["checked_in_at"]
    first, second = privacy_world.idea_ids
    assert {d["idea_id"]: d["dots"] for d in data["dots"]} == {first: 2, second: 1}
    assert data["mails"] and all(m["to"] == applicant_email(n) for m in data["mails"])
    assert any(applicant_name(n) in m["text"] for m in data["mails"])
    whats = [h["what"] for h in data["status_history"]]
    assert "applied" in whats and "seat given" in whats and "checked in" in whats
    # Nothing about anyone else.
    for other in range(len(privacy_world.application_ids)):
        if other != n:
            assert applicant_name(other) not in text and applicant_email(other) not in text
    for pseudonym in others:
        assert pseudonym not in text
    assert "Kunigunde" not in text and "Bartholom" not in text


def test_export_of_an_unknown_token_is_404(client):
    assert client.get("/applications/not-a-token/data").status_code == 404
    assert client.get("/applications/not-a-token/erase").status_code == 404


def test_manage_page_links_to_own_data_and_erasure(client, privacy_world):
    page = client.get(f"/applications/{privacy_world.tokens[0]}").get_data(as_text=True)
    assert f"/applications/{privacy_world.tokens[0]}/data" in page
    assert f"/applications/{privacy_world.tokens[0]}/erase" in page


def test_erase_needs_csrf_and_a_post(app, client, privacy_world):
    token = privacy_world.unconfirmed_token
    page = client.get(f"/applications/{token}/erase")
    assert page.status_code == 200 and "csrf_token" in page.get_data(as_text=True)
    assert client.post(f"/applications/{token}/erase").status_code == 400
    assert client.get(f"/applications/{token}").status_code == 200


def test_erase_before_the_draw_deletes_the_application(app, client, privacy_world):
    from app.core.models import OutboxMail
    from app.events.models import Application

    response = client.submit(f"/applications/{privacy_world.unconfirmed_token}/erase")
    assert response.status_code == 303 and "result=deleted" in response.headers["Location"]
    with app.app_context():
        assert _db.session.get(Application, privacy_world.unconfirmed_id) is None
        assert not _db.session.execute(sa.select(OutboxMail).where(
            OutboxMail.recipient == "ottokar.unbestaetigt@purge.example")).scalars().all()
    assert client.get(f"/applications/{privacy_world.unconfirmed_token}").status_code == 404
    assert client.get(response.headers["Location"]).status_code == 200


def test_erase_after_the_draw_anonymises_and_frees_the_seat(app, client, privacy_world, tmp_path):
    from app.events.models import Application
    from app.lottery.models import LotteryEntry, LotteryReplacement
    from app.voting.models import Ticket

    audit_file(client, privacy_world.event_id, tmp_path / "before.json")
    assert run_verify(tmp_path / "before.json").exit_code == 0
    # A selected applicant who has not confirmed yet gives up the seat by erasing.
    with app.app_context():
        seated = _db.session.execute(sa.select(LotteryEntry).where(
            LotteryEntry.seat_since.is_not(None),
            LotteryEntry.application_id != privacy_world.application_ids[privacy_world.voter])
        ).scalars().first()
        n = privacy_world.application_ids.index(seated.application_id)
        pseudonym = seated.pseudonym
    response = client.submit(f"/applications/{privacy_world.tokens[n]}/erase")
    assert response.status_code == 303 and "result=anonymised" in response.headers["Location"]
    with app.app_context():
        application = _db.session.get(Application, privacy_world.application_ids[n])
        assert application.name is None and application.email is None
        assert application.status == "withdrawn" and application.anonymised_at is not None
        entry = _db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.pseudonym == pseudonym)).scalar_one()
        assert entry.application_id == application.id
        assert entry.release_reason == "withdrawn" and entry.released_at is not None
        replacement = _db.session.execute(sa.select(LotteryReplacement)).scalar_one()
        assert pseudonym in replacement.declined
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Ticket).where(
            Ticket.application_id == application.id)).scalar_one() == 0
    dump = _dump_text(app)
    assert applicant_name(n) not in dump and applicant_email(n) not in dump
    assert client.get(f"/applications/{privacy_world.tokens[n]}").status_code == 404
    audit_file(client, privacy_world.event_id, tmp_path / "after.json")
    verified = run_verify(tmp_path / "after.json")
    assert verified.exit_code == 0, verified.output


def test_erase_by_the_voter_keeps_the_vote(app, client, privacy_world):
    from app.voting.models import Dot, Ticket

    n = privacy_world.voter
    assert client.submit(f"/applications/{privacy_world.tokens[n]}/erase").status_code == 303
    with app.app_context():
        ticket = _db.session.execute(sa.select(Ticket).where(
            Ticket.application_id == privacy_world.application_ids[n])).scalar_one()
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Dot).where(
            Dot.ticket_id == ticket.id)).scalar_one() == 3
    assert applicant_name(n) not in _dump_text(app)


def _dump_text(app):
    return dump_database(app)
