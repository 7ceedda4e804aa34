"""An invitee who answered by phone (no email, so no manage link) sees with the code from the letter
what is stored about them, and downloads it as JSON; a code without an answer or a wrong code shows
nothing (404, charged to the guessing allowance like other wrong codes)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.events.models import Criterion
from app.extensions import db as _db
from app.invitations import answering, codes
from app.invitations.models import Invitation
from tests.factories.invitations import draw_invitations


@pytest.fixture
def app_config():
    return {"INVITATIONS_CODE_RATE_LIMIT": "4 per minute"}


@pytest.fixture
def drawn(app, register_event):
    with app.test_request_context():
        return register_event, draw_invitations(register_event)


def test_a_phone_answer_is_shown_with_the_code(app, client, staff_client, drawn):
    event_id, invited = drawn
    invitation_id, code = invited[0]
    with app.app_context():
        education = _db.session.execute(sa.select(Criterion).where(Criterion.key == "education")).scalar_one()
        field, option = f"criterion_{education.id}", education.options[2]
        option_id, option_label = option.id, option.label
    admin = staff_client("admin")
    recorded = admin.submit(f"/manage/events/{event_id}/invitations/answer",
                            {"step": "answer", "code": code, "phone": "0711 555 123", field: option_id,
                             "source": "phone", "consent": "y", "language": "de"})
    assert recorded.status_code == 303, recorded.get_data(as_text=True)
    assert "/invitation/my-data" in client.get("/invitation").get_data(as_text=True)

    page = client.submit("/invitation/my-data", {"code": codes.format_code(code).lower()})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    with app.app_context():
        person = _db.session.get(Invitation, invitation_id).person
        name, street = answering.display_name(person), answering.address_lines(person)[0]
    assert name in text and street in text and "0711 555 123" in text and option_label in text
    assert "telefonisch" in text

    download = client.submit("/invitation/my-data", {"code": code, "format": "json"})
    assert download.status_code == 200 and download.mimetype == "application/json"
    data = json.loads(download.data)
    assert data["application"]["phone"] == "0711 555 123" and data["application"]["email"] is None


def test_no_answer_no_data_and_wrong_codes_are_limited(app, client, drawn):
    _event_id, invited = drawn
    unanswered = client.submit("/invitation/my-data", {"code": invited[1][1]})
    assert unanswered.status_code == 404 and "keine Antwort gespeichert" in unanswered.get_data(as_text=True)
    for _ in range(3):
        assert client.submit("/invitation/my-data", {"code": "CCCCC-CCCCC"}).status_code == 404
    assert client.submit("/invitation/my-data", {"code": invited[1][1]}).status_code == 429
