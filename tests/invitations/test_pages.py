"""The register pages over HTTP: admins only, CSRF, another event's extract 404, bad file messages."""
from __future__ import annotations

import io
import re

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
    # The page again with the message at the file field (issue 16 item 7), not a flash after a redirect.
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "weder eine CSV-Datei noch eine Excel-Datei" in page.split('id="register_file-error">')[1].split("</p>")[0]
    assert re.search(r'<input[^>]*aria-describedby="[^"]*register_file-error"[^>]*id="register_file"', page)
    assert 'id="error-summary"' in page
    nothing = client.submit(f"/manage/events/{register_event}/invitations/register", {},
                            content_type="multipart/form-data")
    assert nothing.status_code == 422 and 'id="register_file-error"' in nothing.get_data(as_text=True)
    client.submit("/language", {"lang": "en", "next": "/"})
    english = _upload(client, register_event, b"\x00\x01binary", "bild.png").get_data(as_text=True)
    assert "neither a CSV file nor an Excel file" in english.split('id="register_file-error">')[1]
    with app.app_context():
        assert _db.session.execute(sa.select(sa.func.count()).select_from(RegisterExtract)).scalar_one() == 0


def test_access_and_scoping(app, staff_client, register_event, create_event):
    moderator = staff_client("moderator")
    assert moderator.get(f"/manage/events/{register_event}/invitations").status_code == 403
    admin = staff_client("admin")
    response = _upload(admin, register_event, csv_bytes(register_rows(4)))
    mapping_url = response.headers["Location"]
    extract_id = int(mapping_url.rstrip("/").rsplit("/", 1)[1])
    other = create_event().id
    assert admin.get(f"/manage/events/{other}/invitations/register/{extract_id}").status_code == 404
    assert admin.get(f"/manage/events/{register_event}/invitations/register/2147483648").status_code == 404
    assert admin.get("/manage/events/999999/invitations").status_code == 404
    # Without the CSRF token the upload is refused.
    no_token = admin.post(f"/manage/events/{register_event}/invitations/register",
                          data={"register_file": (io.BytesIO(b"a;b\n1;2\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert no_token.status_code == 400


def test_plan_commit_draw_and_audit_over_http(app, staff_client, register_event, tmp_path):
    import json

    from click.testing import CliRunner

    from app.invitations.models import Invitation
    from app.lottery.cli import verify_command

    client = staff_client("admin")
    mapping_url = _upload(client, register_event, csv_bytes(register_rows(60))).headers["Location"]
    client.submit(mapping_url, {**{f"map-{k}": v for k, v in {
        "given_name": "Vorname", "family_name": "Familienname", "street": "Straße", "house_number": "Hausnummer",
        "postcode": "PLZ", "birth_year": "Geburtsjahr", "district": "Stadtteil"}.items()}, "action": "confirm"})
    base = f"/manage/events/{register_event}/invitations"
    bad = client.submit(f"{base}/plan", {"letters": "abc", "age_bands": "16-29"})
    assert bad.status_code == 422 and "ist keine Zahl" in bad.get_data(as_text=True)
    client.submit(f"{base}/plan", {"letters": "12", "by_district": "1", "age_bands": "16-29, 30-44, 45-64, 65+",
                                   "response_rate": "8", "one_per_household": "1", "answer_deadline": "2027-01-31"})
    page = client.get(base).get_data(as_text=True)
    assert 'id="plan-letters">12<' in page and "16–29" in page and 'name="rate-16–29"' in page
    client.submit(f"{base}/plan", {"letters": "12", "by_district": "1", "age_bands": "16-29, 30-44, 45-64, 65+",
                                   "response_rate": "8", "one_per_household": "1", "rate-16–29": "4",
                                   "factor-16–29": "2"})
    page = client.get(base).get_data(as_text=True)
    assert 'name="factor-16–29" aria-label="Überrepräsentationsfaktor: 16–29" inputmode="decimal" size="5" value="2.0"' \
        in page or 'value="2.0"' in page
    client.submit(f"{base}/commit", {"number_source_kind": "public",
                                     "number_source": "Lottozahlen vom Samstag, 6. März 2027"})
    before = client.get(f"{base}/audit.json")
    assert before.status_code == 200 and "invited" not in before.get_json()
    assert client.post(f"{base}/draw", data={"public_value": "1 2 3"}).status_code == 400  # no CSRF token
    client.submit(f"{base}/draw", {"public_value": "3 12 19 27 33 48"})
    audit = client.get(f"{base}/audit.json").get_json()
    assert len(audit["invited"]) == 12
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(audit), encoding="utf-8")
    with app.app_context():
        result = CliRunner().invoke(verify_command, [str(path)])
        assert result.exit_code == 0, result.output
        assert _db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar_one() == 12
    page = client.get(base).get_data(as_text=True)
    assert 'id="draw-invited">12<' in page and "49,5" in page


def test_privacy_page_states_the_legal_basis_of_the_register_data(app, client):
    """Issue 17: the privacy page says where the register data comes from and on which legal basis
    (the operator's setting, § 46 BMG by default), in German and in English; the law's name is marked German."""
    page = client.get("/privacy").get_data(as_text=True)
    assert 'id="register"' in page and "Einladungen aus dem Melderegister" in page
    assert '<span lang="de">§ 46 Bundesmeldegesetz (BMG, Gruppenauskunft)</span>' in page
    assert "Die Meldebehörde übermittelt die Daten nach" in page and "Art. 6 Abs. 1 lit. e DSGVO" in page
    assert "30 Tage nach der Antwortfrist gelöscht" in page
    app.config["PRIVACY_REGISTER_LEGAL_BASIS"] = "§ 5 Gesetz über die dialogische Bürgerbeteiligung <BW>"
    app.config["PRIVACY_REGISTER_NOTE"] = "Der Gemeinderat hat den Bürgerrat am 1. Juli beschlossen."
    client.submit("/language", {"lang": "en", "next": "/privacy"})
    english = client.get("/privacy").get_data(as_text=True)
    assert "Invitations from the residents' register" in english
    assert ('the registration office hands over the data under <span lang="de">§ 5 Gesetz über die dialogische '
            'Bürgerbeteiligung &lt;BW&gt;</span>') in english  # the operator's text, escaped
    assert '<p id="register-note" lang="de">Der Gemeinderat hat den Bürgerrat am 1. Juli beschlossen.</p>' in english


def _imported(client, event_id, rows=60):
    mapping_url = _upload(client, event_id, csv_bytes(register_rows(rows))).headers["Location"]
    client.submit(mapping_url, {**{f"map-{k}": v for k, v in {
        "given_name": "Vorname", "family_name": "Familienname", "street": "Straße", "house_number": "Hausnummer",
        "postcode": "PLZ", "birth_year": "Geburtsjahr", "district": "Stadtteil"}.items()}, "action": "confirm"})
    return f"/manage/events/{event_id}/invitations"


def _error_at(html: str, field_id: str) -> str:
    """The message shown at the field ``field_id`` (tied to it by aria-describedby), and the summary links it."""
    assert re.search(rf'id="{re.escape(field_id)}"[^>]*aria-invalid="true" aria-describedby="{re.escape(field_id)}-error"',
                     html), field_id
    assert f'href="#{field_id}"' in html and 'id="error-summary"' in html
    return re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]+)</p>', html).group(1)


def test_a_refused_plan_comes_back_at_its_field_with_the_input_kept(app, staff_client, register_event):
    """The draw's plan form (issue 16 item 7): 422, the message at the field and in the error summary,
    every field as typed (also the unticked boxes and a group's factor), nothing saved, no flash."""
    from app.invitations.models import InvitationDraw

    client = staff_client("admin")
    base = _imported(client, register_event)
    client.submit(f"{base}/plan", {"letters": "12", "by_district": "1", "age_bands": "16-29, 30-44, 45-64, 65+",
                                   "response_rate": "8", "one_per_household": "1"})
    typed = {"letters": "40", "age_bands": "16-29, 30-64", "response_rate": "7,5", "answer_deadline": "2027-02-15",
             "rate-16–29": "5", "factor-16–29": "25"}
    response = client.submit(f"{base}/plan", typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _error_at(html, "factor-16–29") == "Ein Überrepräsentationsfaktor ist eine Zahl von 0 bis 20 (1: proportional)."
    assert 'name="factor-16–29"' in html and 'value="25"' in html and 'value="5"' in html
    assert 'id="letters" name="letters"' in html and 'value="40"' in html and 'value="16-29, 30-64"' in html
    assert 'value="7,5"' in html and 'value="2027-02-15"' in html
    assert not re.search(r'id="by_district"[^>]*checked', html) and not re.search(r'id="one_per_household"[^>]*checked', html)
    assert 'flash-error' not in html
    with app.app_context():
        saved = _db.session.scalar(sa.select(InvitationDraw).where(InvitationDraw.event_id == register_event))
        assert saved.plan["letters"] == 12  # the saved plan unchanged

    bands = client.submit(f"{base}/plan", {**typed, "factor-16–29": "2", "age_bands": "30-44, 16-29"})
    assert bands.status_code == 422
    assert _error_at(bands.get_data(as_text=True), "age_bands") == \
        "Die Altersgruppen müssen aufsteigend sein und dürfen sich nicht überschneiden."


    # The commitment's description as typed, the message at it; then the public value's.
    client.submit(f"{base}/plan", {"letters": "12", "age_bands": "16-29, 30-44"})
    short = client.submit(f"{base}/commit", {"number_source_kind": "public", "number_source": "Lotto"})
    assert short.status_code == 422
    html = short.get_data(as_text=True)
    assert _error_at(html, "number_source").startswith("Beschreiben Sie")
    assert 'value="Lotto"' in html and re.search(r'id="source-public"[^>]*checked', html)
    client.submit(f"{base}/commit", {"number_source_kind": "public", "number_source": "Lottozahlen vom 6. März 2027"})
    empty = client.submit(f"{base}/draw", {"public_value": "  "})
    assert empty.status_code == 422 and _error_at(empty.get_data(as_text=True), "public_value")


def test_a_refused_plan_in_english(app, staff_client, register_event):
    client = staff_client("admin")
    base = _imported(client, register_event)
    response = client.submit(f"{base}/plan", {"letters": "many", "age_bands": "16-29"},
                             headers={"Accept-Language": "en"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _error_at(html, "letters") == "“many” is not a number."
    assert 'value="many"' in html and "Please correct the following:" in html
