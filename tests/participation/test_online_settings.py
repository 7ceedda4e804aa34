"""The staff page of an event's online phases and the process's moderation (issue 18)."""
from __future__ import annotations

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from app.participation.models import OnlinePhase, OnlineSettings

VALID = {
    "before_enabled": "y", "before_opens_at": "2030-05-01T09:00", "before_closes_at": "2030-05-20T18:00",
    "after_opens_at": "", "after_closes_at": "",
    "moderation": "post", "netiquette": "Keine Beleidigungen\n\n  Beim Thema bleiben  \n",
}


def test_admin_sets_phases_moderation_and_netiquette(app, staff_client, create_event):
    from datetime import datetime

    event_id = create_event(status="open", starts_at=datetime(2030, 6, 1, 8)).id
    admin = staff_client("admin")
    page = admin.get(f"/manage/events/{event_id}").get_data(as_text=True)
    assert f"/manage/events/{event_id}/online" in page
    form = admin.get(f"/manage/events/{event_id}/online")
    assert form.status_code == 200 and "Vor der Veranstaltung" in form.get_data(as_text=True)
    response = admin.submit(f"/manage/events/{event_id}/online", VALID)
    assert response.status_code == 302
    with app.app_context():
        phases = {p.kind: p for p in db.session.execute(sa.select(OnlinePhase)).scalars()}
        assert phases["before"].enabled and not phases["after"].enabled
        assert phases["before"].opens_at == datetime(2030, 5, 1, 7)  # local summer time → UTC
        settings = db.session.execute(sa.select(OnlineSettings)).scalar_one()
        assert settings.moderation == "post"
        assert settings.netiquette_reasons == ["Keine Beleidigungen", "Beim Thema bleiben"]
        entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "participation.settings")).scalar_one()
        assert entry.event_id == event_id and entry.after["moderation"] == "post" and entry.after["before_enabled"] is True
    again = admin.get(f"/manage/events/{event_id}/online").get_data(as_text=True)
    assert 'value="2030-05-01T09:00"' in again and "Beim Thema bleiben" in again


def test_wrong_input_is_tied_to_fields_and_kept(app, staff_client, create_event):
    from datetime import datetime

    event_id = create_event(status="open", starts_at=datetime(2030, 6, 1, 8)).id
    admin = staff_client("admin")
    cases = [
        ({"before_closes_at": "2030-04-01T09:00"}, "before_closes_at", "Die Phase muss nach ihrem Beginn enden."),
        ({"before_opens_at": ""}, "before_opens_at", "Bitte geben Sie an, wann die Phase beginnt."),
        ({"before_closes_at": "2030-06-02T09:00"}, "before_closes_at", "spätestens bei Beginn"),
        ({"netiquette": "   "}, "netiquette", "mindestens eine Regel"),
        ({"moderation": "nonsense"}, "moderation", "moderation"),
        ({"after_enabled": "y", "after_opens_at": "2030-05-02T09:00", "after_closes_at": "2030-07-01T09:00"},
         "after_opens_at", "nicht vor Beginn der Veranstaltung"),
    ]
    for change, field, message in cases:
        data = {**VALID, **change, "netiquette": change.get("netiquette", "Keine <b>Beleidigungen</b>")}
        response = admin.submit(f"/manage/events/{event_id}/online", data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (change, html[:300])
        assert 'class="error-summary"' in html and f'href="#{field}"' in html, change
        assert message in html or field == "moderation", (change, message)
        if "netiquette" not in change:
            assert "Keine &lt;b&gt;Beleidigungen&lt;/b&gt;" in html  # kept, escaped
        assert f'value="{data["before_opens_at"]}"' in html or not data["before_opens_at"]
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(OnlinePhase)).scalar_one() == 0


def test_english_page_and_roles(app, staff_client, create_event, client):
    event_id = create_event(status="open").id
    admin = staff_client("admin")
    english = admin.get(f"/manage/events/{event_id}/online", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Online participation" in english and "Before the workshop" in english
    assert staff_client("council").get(f"/manage/events/{event_id}/online").status_code == 403
    assert staff_client("moderator").submit(f"/manage/events/{event_id}/online", VALID).status_code == 403
    assert client.get(f"/manage/events/{event_id}/online").status_code == 302  # to the login
    assert admin.post(f"/manage/events/{event_id}/online", data=VALID).status_code == 400  # no CSRF token
    assert admin.get("/manage/events/99999/online").status_code == 404
