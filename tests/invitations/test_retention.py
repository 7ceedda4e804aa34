"""Register data goes with the privacy purge: everyone's when the event's retention ends, the
non-answering invitees' when the answer window plus INVITATIONS_UNANSWERED_KEEP_DAYS is over."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db as _db
from app.invitations import codes
from app.invitations.models import (Invitation, InvitationDraw, RegisterExtract, RegisterHousehold,
                                    RegisterPerson)

START = datetime(2027, 3, 1, 9, 0)


def _world(app, create_event):
    event_id = create_event(starts_at=START, ends_at=START + timedelta(hours=8), retention_days=90).id
    with app.app_context():
        extract = RegisterExtract(event_id=event_id, file_sha256="0" * 64, state="imported")
        _db.session.add(extract)
        _db.session.flush()
        household = RegisterHousehold(extract_id=extract.id, key="hauptstrasse|1|73728", pseudonym="H-1")
        _db.session.add(household)
        _db.session.flush()
        people = [RegisterPerson(extract_id=extract.id, household_id=household.id, pseudonym=f"R-{n}",
                                 given_name=f"Rosamunde{n}", family_name="Registerova", street="Hauptstraße",
                                 house_number="1", postcode="73728", town="Esslingen") for n in range(3)]
        _db.session.add_all(people)
        draw = InvitationDraw(event_id=event_id, extract_id=extract.id, state="drawn", letters=2,
                              answer_deadline=datetime(2027, 1, 15))
        _db.session.add(draw)
        _db.session.flush()
        for person, state in zip(people[:2], ("answered", "invited")):
            nonce = codes.new_nonce()
            _db.session.add(Invitation(draw_id=draw.id, event_id=event_id, person_id=person.id,
                                       pseudonym=person.pseudonym, code_nonce=nonce,
                                       code_hash=codes.code_hash(codes.invitation_code(nonce)), state=state))
        _db.session.commit()
        return event_id, extract.id


def _purge(app, now, dry_run=False):
    from app.privacy.services import purge

    with app.test_request_context():
        report = purge(now=now, dry_run=dry_run)
        (_db.session.rollback if dry_run else _db.session.commit)()
        return report


def _names(app):
    with app.app_context():
        return sorted(_db.session.execute(sa.select(RegisterPerson.given_name)).scalars())


def test_unanswered_invitees_go_after_the_answer_window(app, create_event):
    _world(app, create_event)
    app.config["INVITATIONS_UNANSWERED_KEEP_DAYS"] = 30
    report = _purge(app, datetime(2027, 2, 13))  # 29 days after the deadline
    assert report.summary().get("register_unanswered_invitees", 0) == 0
    assert _names(app) == ["Rosamunde0", "Rosamunde1", "Rosamunde2"]

    dry = _purge(app, datetime(2027, 2, 15), dry_run=True)
    assert dry.summary()["register_unanswered_invitees"] == 1
    assert any("Meldedaten von 1 eingeladenen Person ohne Antwort würden gelöscht" in line for line in dry.parts[-1].lines)
    assert len(_names(app)) == 3

    _purge(app, datetime(2027, 2, 15))
    # The one who did not answer is gone; who answered and who was not invited stay until retention.
    assert _names(app) == ["Rosamunde0", "Rosamunde2"]
    with app.app_context():
        invitation = _db.session.execute(sa.select(Invitation).where(Invitation.state == "invited")).scalar_one()
        assert invitation.person_id is None and invitation.pseudonym == "R-1"


def test_everything_goes_when_the_event_retention_ends(app, create_event):
    _event_id, extract_id = _world(app, create_event)
    report = _purge(app, START + timedelta(days=91))
    assert report.summary()["register_extracts"] == 1
    assert _names(app) == []
    with app.app_context():
        extract = _db.session.get(RegisterExtract, extract_id)
        assert extract.state == "purged" and extract.purged_at is not None
        assert _db.session.execute(sa.select(sa.func.count()).select_from(RegisterHousehold)).scalar_one() == 0
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar_one() == 2
    again = _purge(app, START + timedelta(days=92))
    assert again.summary().get("register_extracts", 0) == 0


def test_codes_have_the_stated_entropy_and_only_a_keyed_hash_is_stored(app):
    with app.app_context():
        assert round(codes.CODE_BITS, 1) == 49.5
        nonce = codes.new_nonce()
        code = codes.invitation_code(nonce)
        assert len(code) == 10 and set(code) <= set(codes.ALPHABET)
        assert codes.invitation_code(nonce) == code  # the letters and the reminder print the same code
        assert codes.normalise_code(codes.format_code(code).lower()) == code
        assert codes.code_hash(code) != codes.code_hash(codes.invitation_code(codes.new_nonce()))
        assert code not in codes.code_hash(code)
