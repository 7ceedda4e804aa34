"""Staff side: counts for admin and council, personal data only for admins, entries, removal, CSV."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.events.models import Application
from app.extensions import db


def _apply(client, event_id, data):
    response = client.submit(f"/events/{event_id}/apply", data)
    response.close()
    return response


def test_council_sees_counts_only(app, client, staff_client, open_event, application_form_data):
    event_id = open_event().id
    _apply(client, event_id, application_form_data(event_id, email="secret.person@example.org",
                                                   name="Geheime Person"))
    council = staff_client("council")
    for url in ("/manage/applications", f"/manage/events/{event_id}/applications/summary"):
        response = council.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "secret.person" not in html and "Geheime Person" not in html
    summary = council.get(f"/manage/events/{event_id}/applications/summary").get_data(as_text=True)
    assert "Unbestätigt" in summary or "E-Mail noch nicht bestätigt" in summary
    for url in (f"/manage/events/{event_id}/applications", f"/manage/events/{event_id}/applications.csv",
                f"/manage/events/{event_id}/applications/new"):
        assert council.get(url).status_code == 403
    assert staff_client("moderator").get(f"/manage/events/{event_id}/applications/summary").status_code == 403


def test_admin_list_search_pagination(app, client, staff_client, open_event, application_form_data):
    app.config["APPLICATIONS_PER_PAGE"] = 2
    event_id = open_event().id
    for n, name in enumerate(["Anna Alt", "Bert Berg", "Carla Cello"]):
        _apply(client, event_id, application_form_data(event_id, email=f"p{n}@example.org", name=name))
    admin = staff_client("admin")
    page1 = admin.get(f"/manage/events/{event_id}/applications").get_data(as_text=True)
    assert "3 Bewerbungen gefunden" in page1 and "Seite 1 von 2" in page1
    found = admin.get(f"/manage/events/{event_id}/applications?q=BERG").get_data(as_text=True)
    assert "Bert Berg" in found and "Anna Alt" not in found
    by_mail = admin.get(f"/manage/events/{event_id}/applications?q=p2@").get_data(as_text=True)
    assert "Carla Cello" in by_mail and "Bert Berg" not in by_mail
    assert admin.get(f"/manage/events/{event_id}/applications?q=%25&page=99").status_code == 200


def test_add_by_phone_and_remove(app, staff_client, open_event, application_form_data, smtp):
    event_id = open_event().id
    admin = staff_client("admin")
    data = application_form_data(event_id, email="", name="Telefon Tom", source="phone", language="de")
    data.pop("website")
    response = admin.submit(f"/manage/events/{event_id}/applications/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        application = db.session.execute(sa.select(Application)).scalar_one()
        assert (application.status, application.source, application.consent_recorded_by_id) == \
            ("applied", "phone", admin.user.id)
        application_id = application.id
    no_consent = {**data, "name": "Ohne Einwilligung"}
    no_consent.pop("consent")
    response = admin.submit(f"/manage/events/{event_id}/applications/new", no_consent)
    assert response.status_code == 422
    url = f"/manage/events/{event_id}/applications/{application_id}/remove"
    assert "Telefon Tom" in admin.get(url).get_data(as_text=True)
    assert admin.submit(url).status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one() == 0
    assert admin.get(f"/manage/events/{open_event().id}/applications/{application_id}/remove").status_code == 404


def test_csv_export_excel_friendly(app, client, staff_client, open_event, application_form_data):
    event_id = open_event().id
    _apply(client, event_id, application_form_data(event_id, email="x@example.org", name="=1+2; \"Zitat\""))
    _apply(client, event_id, application_form_data(event_id, email="y@example.org", name="Jörg Ünal 😀"))
    response = staff_client("admin").get(f"/manage/events/{event_id}/applications.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["ID", "Name", "E-Mail"] and rows[0][-2:] == ["Altersgruppe", "Stadtteil"]
    assert rows[1][1] == "'=1+2; \"Zitat\""
    assert rows[2][1] == "Jörg Ünal 😀" and rows[2][-2:] == ["16–29", "Innenstadt"]
    assert len(rows) == 3
