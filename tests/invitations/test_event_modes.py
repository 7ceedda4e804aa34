"""Invitation-only and mixed events (issue 17): staff set "invitation only" on the event form;
then the public application form is closed to people without a code (a clear message, a link to
the invitation answer page; a POST stores nothing), while a code still answers. Mixed (the
default): the open call stays open, and the staff list and the CSV export mark who was invited
and who came by the open call; staff filter by it."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.models import utcnow
from app.events.models import Application, Criterion, Event
from app.extensions import db as _db
from app.invitations.models import Invitation
from tests.factories.invitations import draw_invitations


@pytest.fixture
def mixed_event(app, create_event):
    """An open event (window open now) with drawn invitations: id and (invitation id, code) pairs."""
    now = utcnow()
    event_id = create_event(status="open", seats=15, starts_at=now + timedelta(days=60),
                            ends_at=now + timedelta(days=60, hours=6), applications_open_at=now - timedelta(days=1),
                            applications_close_at=now + timedelta(days=30), consent_text="Ich willige ein.").id
    with app.test_request_context():
        return event_id, draw_invitations(event_id, answer_deadline=None)


def _criteria() -> dict[str, Criterion]:
    return {c.key: c for c in _db.session.execute(sa.select(Criterion)).scalars()}


def _apply_form(app, **overrides) -> dict:
    with app.app_context():
        data = {"name": "Olga Offen", "email": "olga@example.org", "consent": "y", "website": ""}
        data.update({f"criterion_{c.id}": str(c.options[0].id) for c in _criteria().values()})
    return {**data, **overrides}


def _answer(app, client, code: str, phone: str) -> None:
    with app.app_context():
        education = _criteria()["education"]
        field, option = f"criterion_{education.id}", education.options[0].id
    done = client.submit("/invitation/answer", {"code": code, "phone": phone, "consent": "y", field: option})
    assert done.status_code == 303, done.get_data(as_text=True)


def _count() -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one()


def test_invitation_only_closes_the_public_form_but_codes_answer(app, client, staff_client, mixed_event):
    event_id, invited = mixed_event
    admin = staff_client("admin")
    edit = admin.get(f"/manage/events/{event_id}/edit").get_data(as_text=True)
    assert 'name="invitation_only"' in edit
    with app.app_context():
        event = _db.session.get(Event, event_id)
        form = {"title": event.title, "seats": "15", "retention_days": "90", "consent_text": event.consent_text,
                "starts_at": event.starts_at.strftime("%Y-%m-%dT%H:%M"), "ends_at": event.ends_at.strftime("%Y-%m-%dT%H:%M"),
                "applications_open_at": event.applications_open_at.strftime("%Y-%m-%dT%H:%M"),
                "applications_close_at": event.applications_close_at.strftime("%Y-%m-%dT%H:%M"),
                "invitation_only": "y"}
    saved = admin.submit(f"/manage/events/{event_id}/edit", form)
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)
    with app.app_context():
        assert _db.session.get(Event, event_id).invitation_only is True

    page = client.get(f"/events/{event_id}/apply")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nur mit Einladung" in text and 'href="/invitation"' in text
    assert 'name="email"' not in text  # no open form
    refused = client.submit(f"/events/{event_id}/apply", _apply_form(app))
    assert refused.status_code == 409 and "Nur mit Einladung" in refused.get_data(as_text=True)
    with app.app_context():
        assert _count() == 0
    detail = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert 'id="invitation-only"' in detail and f"/events/{event_id}/apply" not in detail
    _answer(app, client, invited[0][1], "0711 123456")
    with app.app_context():
        assert _count() == 1


def test_mixed_keeps_the_open_call_and_marks_it(app, client, staff_client, mixed_event):
    event_id, invited = mixed_event
    sent = client.submit(f"/events/{event_id}/apply", _apply_form(app))
    assert sent.status_code in (302, 303), sent.get_data(as_text=True)
    _answer(app, client, invited[0][1], "0711 123456")
    with app.app_context():
        invited_name = _db.session.get(Invitation, invited[0][0]).application.name
        assert _count() == 2
    admin = staff_client("admin")
    base = f"/manage/events/{event_id}/applications"
    listing = admin.get(base).get_data(as_text=True)
    assert 'name="origin"' in listing and "Olga Offen" in listing and invited_name in listing
    assert listing.count('<span class="badge">eingeladen</span>') == 1 and "offene Ausschreibung</td>" in listing
    only_invited = admin.get(f"{base}?origin=invited").get_data(as_text=True)
    assert invited_name in only_invited and "Olga Offen" not in only_invited
    only_open = admin.get(f"{base}?origin=open").get_data(as_text=True)
    assert "Olga Offen" in only_open and invited_name not in only_open
    assert admin.get(f"{base}?origin=%3Cscript%3E").status_code == 200  # an unknown filter: all

    body = admin.get(f"/manage/events/{event_id}/applications.csv").get_data().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    column = header.index("Eingeladen")
    by_name = {r[1]: r[column] for r in rows}
    assert by_name == {"Olga Offen": "nein", invited_name: "ja"}


def test_an_event_without_invitations_shows_no_mark(app, staff_client, create_event):
    event_id = create_event(status="open").id
    listing = staff_client("admin").get(f"/manage/events/{event_id}/applications").get_data(as_text=True)
    assert 'name="origin"' not in listing
