"""Answering an invitation over HTTP: the code (typed or from the QR link), the register's name and
address, the criteria the register does not hold, email or phone, consent; the answer is an
application marked as invited; a code works once; wrong codes are rate-limited; staff enter paper
and phone answers for their event only; after the answer deadline only staff can."""
from __future__ import annotations

import re

from datetime import datetime

import pytest
import sqlalchemy as sa

from app.events.models import Application, Criterion, Event
from app.extensions import db as _db
from app.invitations import answering, codes
from app.invitations.models import Invitation
from tests.factories.invitations import draw_invitations


@pytest.fixture
def app_config():
    return {"INVITATIONS_CODE_RATE_LIMIT": "6 per minute"}


@pytest.fixture
def drawn(app, register_event):
    with app.test_request_context():
        return register_event, draw_invitations(register_event)


def _criterion(key: str) -> Criterion:
    return _db.session.execute(sa.select(Criterion).where(Criterion.key == key)).scalar_one()


def _applications() -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one()


def test_the_register_answers_age_and_gender_the_invitee_the_rest(app, drawn):
    event_id, invited = drawn
    with app.app_context():
        event = _db.session.get(Event, event_id)
        invitation = _db.session.get(Invitation, invited[0][0])
        person = invitation.person
        known = answering.register_answers(event, person)
        age, gender = _criterion("age"), _criterion("gender")
        assert set(known) == {age.id, gender.id}
        expected_gender = {"w": "w", "m": "m"}[person.gender]
        assert next(o for o in gender.options if o.id == known[gender.id]).value == expected_gender
        years = 2027 - person.birth_year
        label = next(o for o in age.options if o.id == known[age.id]).value
        low, _sep, high = label.partition("-")
        assert int(low.rstrip("+")) <= years and (not high or years <= int(high))
        assert [c.key for c in answering.asked_criteria(event, person)] == ["education"]


def test_answer_online_with_a_mistake_then_once_only(app, client, drawn):
    event_id, invited = drawn
    invitation_id, code = invited[0]
    page = client.get(f"/invitation?code={codes.format_code(code)}").get_data(as_text=True)
    assert f'value="{codes.format_code(code)}"' in page  # the QR link fills the code in
    wrong = client.submit("/invitation", {"code": "AAAAA-AAAAA"})
    assert wrong.status_code == 404 and "Einladungscode ist nicht bekannt" in wrong.get_data(as_text=True)
    shown = client.submit("/invitation", {"code": codes.format_code(code).lower()})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    with app.app_context():
        person = _db.session.get(Invitation, invitation_id).person
        assert person.family_name in text and person.street in text and person.postcode in text
        education = _criterion("education")
        age = _criterion("age")
    assert 'name="name"' not in text  # the name is not editable
    assert f'name="criterion_{education.id}"' in text and f'name="criterion_{age.id}"' not in text
    # A mistake: no consent, an email that is no address, no answer: nothing stored, messages shown.
    bad = client.submit("/invitation/answer", {"code": code, "email": "kein-at-zeichen", "phone": ""})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "gültige E-Mail-Adresse" in body and "Bitte wählen Sie eine Antwort" in body
    with app.app_context():
        assert _applications() == 0
    none = client.submit("/invitation/answer", {"code": code, "email": "", "phone": "",
                                                f"criterion_{education.id}": education.options[2].id, "consent": "y"})
    assert none.status_code == 422 and "E-Mail-Adresse oder eine Telefonnummer" in none.get_data(as_text=True)
    done = client.submit("/invitation/answer", {"code": code, "email": "", "phone": "0711 / 123 456",
                                                f"criterion_{education.id}": education.options[2].id,
                                                "consent": "y"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/events/{event_id}/invitation/done")
    with app.app_context():
        invitation = _db.session.get(Invitation, invitation_id)
        application = invitation.application
        assert invitation.state == "answered" and application.event_id == event_id
        assert application.status == "applied" and application.source == "online"
        assert application.phone == "0711 / 123 456" and application.email is None
        assert application.name == answering.display_name(invitation.person)
        assert application.household_key == invitation.person.household.pseudonym
        assert {a.criterion.key for a in application.answers} == {"age", "gender", "education"}
    again = client.submit("/invitation", {"code": code})
    assert again.status_code == 404 and "bereits geantwortet" in again.get_data(as_text=True)
    replay = client.submit("/invitation/answer", {"code": code, "phone": "0711 999999", "consent": "y",
                                                  f"criterion_{education.id}": education.options[0].id})
    assert replay.status_code == 404
    with app.app_context():
        assert _applications() == 1


def test_wrong_codes_are_rate_limited_right_ones_are_not_charged(app, client, drawn):
    _event_id, invited = drawn
    for _ in range(3):
        assert client.submit("/invitation", {"code": codes.format_code(invited[1][1])}).status_code == 200
    for _ in range(6):
        assert client.submit("/invitation", {"code": "BBBBB-BBBBB"}).status_code == 404
    refused = client.submit("/invitation", {"code": codes.format_code(invited[1][1])})
    assert refused.status_code == 429
    assert client.submit("/invitation/answer", {"code": invited[1][1]}).status_code == 429


def test_staff_enter_a_paper_answer_for_their_event_only(app, staff_client, drawn, create_event):
    event_id, invited = drawn
    invitation_id, code = invited[2]
    assert staff_client("moderator").get(f"/manage/events/{event_id}/invitations/answer").status_code == 403
    admin = staff_client("admin")
    other = create_event(status="open").id
    assert admin.submit(f"/manage/events/{other}/invitations/answer", {"code": code}).status_code == 404
    base = f"/manage/events/{event_id}/invitations/answer"
    form = admin.submit(base, {"step": "code", "code": code})
    assert form.status_code == 200 and "telefonisch" in form.get_data(as_text=True)
    with app.app_context():
        education = _criterion("education")
    missing = admin.submit(base, {"step": "answer", "code": code, "email": "erika@example.org",
                                  f"criterion_{education.id}": education.options[1].id, "source": "paper"})
    assert missing.status_code == 422
    page = missing.get_data(as_text=True)
    assert "Einwilligung" in page
    # The reply form's entries stay as typed: the email, the ticked option, the source.
    assert 'value="erika@example.org"' in page
    assert re.search(rf'<input checked[^>]*value="{education.options[1].id}"', page)
    assert re.search(r'<(input checked|option selected)[^>]*value="paper"', page)
    bad_email = admin.submit(base, {"step": "answer", "code": code, "email": "erika@", "source": "paper",
                                    "language": "de", f"criterion_{education.id}": education.options[1].id,
                                    "consent": "y"})
    assert bad_email.status_code == 422 and 'value="erika@"' in bad_email.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad_email.get_data(as_text=True)
    done = admin.submit(base, {"step": "answer", "code": code, "email": "erika@example.org", "source": "paper",
                               "language": "de", f"criterion_{education.id}": education.options[1].id,
                               "consent": "y"})
    assert done.status_code == 303
    with app.app_context():
        application = _db.session.get(Invitation, invitation_id).application
        assert application.source == "paper" and application.consent_recorded_by_id == admin.user.id
        assert application.email == "erika@example.org"
    assert admin.submit(base, {"step": "code", "code": code}).status_code == 404  # used up


def test_after_the_deadline_only_staff_enter_answers(app, client, staff_client, register_event):
    with app.test_request_context():
        invited = draw_invitations(register_event, answer_deadline=datetime(2020, 1, 31))
    late = client.submit("/invitation", {"code": invited[0][1]})
    assert late.status_code == 409 and "Zeit für die Antwort" in late.get_data(as_text=True)
    admin = staff_client("admin")
    assert admin.submit(f"/manage/events/{register_event}/invitations/answer",
                        {"step": "code", "code": invited[0][1]}).status_code == 200
