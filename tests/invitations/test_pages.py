"""The register pages over HTTP: admins only, CSRF, another event's extract 404, bad file messages."""
from __future__ import annotations

import io

import sqlalchemy as sa

from app.extensions import db as _db
from app.invitations.models import RegisterExtract, RegisterPerson
from tests.support.register_files import csv_bytes, register_rows


def _upload(client, event_id, data, name="melderegister.csv"):
    return client.submit(f"/manage/events/{event_id}/invitations/register",
                         {"register_file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_upload_map_preview_confirm(app, staff_client, register_event):
    client = staff_client("admin")
    page = client.get(f"/manage/events/{register_event}/invitations")
    assert page.status_code == 200 and "Melderegister" in page.get_data(as_text=True)
    response = _upload(client, register_event, csv_bytes(register_rows(12)))
    assert response.status_code == 303
    mapping_url = response.headers["Location"]
    html = client.get(mapping_url).get_data(as_text=True)
    assert "12 können importiert werden" in html or "12" in html
    assert 'value="Vorname" selected' in html
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(RegisterPerson)).scalar_one() == 0
    form = {f"map-{k}": v for k, v in {"given_name": "Vorname", "family_name": "Familienname", "street": "Straße",
                                         "house_number": "Hausnummer", "postcode": "PLZ", "town": "Ort",
                                         "birth_year": "Geburtsjahr", "gender": "Geschlecht",
                                         "district": "Stadtteil"}.items()}
    # A required field left out: a clear message, nothing stored.
    missing = client.submit(mapping_url, {**form, "map-postcode": "", "action": "confirm"})
    assert missing.status_code == 422 and "Postleitzahl" in missing.get_data(as_text=True)
    done = client.submit(mapping_url, {**form, "action": "confirm"})
    assert done.status_code == 303
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(RegisterPerson)).scalar_one() == 12
    overview = client.get(f"/manage/events/{register_event}/invitations").get_data(as_text=True)
    assert 'id="extract-rows">12<' in overview and 'id="extract-households">6<' in overview


def test_bad_file_is_a_message_not_a_500(app, staff_client, register_event):
    client = staff_client("admin")
    response = _upload(client, register_event, b"\x00\x01binary", "bild.png")
    assert response.status_code == 303
    page = client.get(f"/manage/events/{register_event}/invitations").get_data(as_text=True)
    assert "weder eine CSV-Datei noch eine Excel-Datei" in page
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(RegisterExtract)).scalar_one() == 0


def test_access_and_scoping(app, staff_client, register_event, create_event):
    moderator = staff_client("moderator")
    assert moderator.get(f"/manage/events/{register_event}/invitations").status_code == 403
    admin = staff_client("admin")
    response = _upload(admin, register_event, csv_bytes(register_rows(4)))
    mapping_url = response.headers["Location"]
    extract_id = int(mapping_url.rstrip("/").rsplit("/", 1)[1])
    other = create_event()
    assert admin.get(f"/manage/events/{other}/invitations/register/{extract_id}").status_code == 404
    assert admin.get(f"/manage/events/{register_event}/invitations/register/2147483648").status_code == 404
    assert admin.get("/manage/events/999999/invitations").status_code == 404
    # Without the CSRF token the upload is refused.
    no_token = admin.post(f"/manage/events/{register_event}/invitations/register",
                          data={"register_file": (io.BytesIO(b"a;b\n1;2\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert no_token.status_code == 400
