"""The register import: encodings, separators, XLSX, mapping, row errors, duplicates, households,
nothing stored before the confirmation, a bad file with a clear message."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db as _db
from app.invitations import register_import as reader
from app.invitations import jobs, services
from app.invitations.errors import InvitationError
from app.invitations.models import RegisterExtract, RegisterHousehold, RegisterPerson, RegisterUpload
from tests.support.register_files import HEADER, csv_bytes, register_rows, xlsx_bytes


def _count(model) -> int:
    return _db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_encodings_and_separators_are_recognised(app, encoding, delimiter):
    data = csv_bytes(register_rows(6), delimiter=delimiter, encoding=encoding)
    info = reader.read_file(data)
    assert info.delimiter == delimiter
    assert info.headers == HEADER
    columns = reader.check_mapping(reader.guess_mapping(info.headers), info.headers)
    with app.app_context():
        result = reader.check_rows(data, info, columns)
    assert result.valid == 6 and not result.errors
    assert result.sample[0]["given_name"] == "Jürgen0" and result.sample[0]["family_name"] == "Weiß0"
    assert result.sample[0]["street"] in ("Hauptstraße", "Hauptstr.")


def test_cp1252_is_told_from_latin1():
    data = csv_bytes([["Anna", "Meier – Groß", "", "Marktplatz", "1", "73728", "Esslingen", "1980", "w", "Zell"]],
                     encoding="cp1252")
    assert reader.read_file(data).encoding == "cp1252"


def test_mapping_is_guessed_from_german_and_english_headers():
    mapping = reader.guess_mapping(["Vorname", "Nachname", "Straße und Hausnummer", "Postleitzahl", "Wohnort",
                                    "Geburtsdatum", "Bezirk"])
    assert mapping["given_name"] == "Vorname" and mapping["family_name"] == "Nachname"
    assert mapping["postcode"] == "Postleitzahl" and mapping["birth_date"] == "Geburtsdatum"
    assert mapping["district"] == "Bezirk" and mapping["town"] == "Wohnort"
    english = reader.guess_mapping(["First name", "Last name", "Street", "House number", "Zip", "City", "Sex"])
    assert english == {"given_name": "First name", "family_name": "Last name", "street": "Street",
                       "house_number": "House number", "postcode": "Zip", "town": "City", "gender": "Sex"}


def test_missing_columns_and_bad_mapping_are_refused(app):
    info = reader.read_file(csv_bytes(register_rows(2), header=["Vorname", "X", "Straße", "Hausnummer", "PLZ", "Ort",
                                                                 "Geburtsjahr", "Geschlecht", "Stadtteil", "Titel"]))
    with app.test_request_context():
        with pytest.raises(InvitationError) as missing:
            reader.check_mapping(reader.guess_mapping(info.headers), info.headers)
        assert missing.value.code == "missing_columns"
        assert len(missing.value.details["missing"]) == 1 and missing.value.details["missing"][0] in str(missing.value.message)
        with pytest.raises(InvitationError) as bad:
            reader.check_mapping({**reader.guess_mapping(info.headers), "family_name": "Nope"}, info.headers)
        assert bad.value.code == "bad_mapping"
        with pytest.raises(InvitationError) as twice:
            reader.check_mapping({**reader.guess_mapping(info.headers), "family_name": "Vorname"}, info.headers)
        assert twice.value.code == "bad_mapping"


def test_row_errors_and_duplicates(app):
    rows = register_rows(4)
    rows.append(list(rows[1]))  # the same person again
    rows.append(["", "Ohnevorname", "", "Marktplatz", "1", "73728", "Esslingen", "1970", "", "Zell"])
    rows.append(["Pia", "Postleitzahl", "", "Marktplatz", "1", "7372", "Esslingen", "1970", "", "Zell"])  # 07372
    rows.append(["Eva", "Falsch", "", "Marktplatz", "1", "ABCDE", "Esslingen", "19x0", "", "Zell"])
    rows.append(["Ida", "Hausnummer", "", "Marktplatz 7 b", "", "73728", "Esslingen", "1990", "", "Zell"])
    rows.append(["Udo", "Ohnenummer", "", "Marktplatz", "", "73728", "Esslingen", "1990", "", "Zell"])
    data = csv_bytes(rows)
    info = reader.read_file(data)
    columns = reader.check_mapping(reader.guess_mapping(info.headers), info.headers)
    with app.app_context():
        result = reader.check_rows(data, info, columns, sample_size=100)
    codes = {(e.row, e.field, e.code) for e in result.errors}
    assert (5, "family_name", "duplicate") in codes
    assert (6, "given_name", "missing") in codes
    assert (8, "postcode", "bad_postcode") in codes and (8, "birth_year", "bad_year") in codes
    assert (10, "house_number", "no_house_number") in codes
    assert result.valid == 6 and result.error_rows == 4
    by_name = {s["family_name"]: s for s in result.sample}
    assert by_name["Postleitzahl"]["postcode"] == "07372"
    assert (by_name["Hausnummer"]["street"], by_name["Hausnummer"]["house_number"]) == ("Marktplatz", "7b")


def test_households_are_normalised():
    key = reader.household_key
    assert key("Hauptstr.", "12 a", "73728") == key("hauptstraße", "12A", "73728") == key("Haupt Straße", "12a",
                                                                                          "73728")
    assert key("Karl-Pfaff-Str.", "4", "73728") == key("Karl-Pfaff-Straße", "4", "73728")
    assert key("Hauptstraße", "12", "73728") != key("Hauptstraße", "12a", "73728")
    assert key("Hauptstraße", "12", "73728") != key("Hauptstraße", "12", "73730")


def test_nothing_is_stored_until_confirmed_then_households_form(app, register_event):
    from app.events.models import Event

    data = csv_bytes(register_rows(40))
    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        extract = services.upload_extract(event, None, "melderegister.csv", data)
        result = services.preview(extract, extract.mapping)
        assert (result.valid, result.households) == (40, 20)
        _db.session.commit()
        assert _count(RegisterPerson) == 0 and _count(RegisterHousehold) == 0
        assert jobs.confirm_import(extract, None) is None  # small: imported in the request
        _db.session.commit()
        assert _count(RegisterPerson) == 40 and _count(RegisterHousehold) == 20
        assert _count(RegisterUpload) == 0  # the file is not kept
        extract = _db.session.get(RegisterExtract, extract.id)
        assert (extract.state, extract.row_count, extract.household_count) == ("imported", 40, 20)
        assert extract.retain_until is not None
        sizes = set(_db.session.execute(sa.select(RegisterHousehold.size)).scalars())
        assert sizes == {2}
        pseudonyms = set(_db.session.execute(sa.select(RegisterPerson.pseudonym)).scalars())
        assert len(pseudonyms) == 40 and all(p.startswith("R-") and len(p) == 12 for p in pseudonyms)

        # A second file replaces the first.
        second = services.upload_extract(event, None, "neu.csv", csv_bytes(register_rows(10, start=100)))
        services.preview(second, second.mapping)
        jobs.confirm_import(second, None)
        _db.session.commit()
        assert _count(RegisterPerson) == 10
        assert _db.session.get(RegisterExtract, extract.id).state == "purged"


def test_xlsx_is_read(app, register_event):
    from app.events.models import Event

    data = xlsx_bytes(register_rows(8))
    info = reader.read_file(data)
    assert info.format == "xlsx" and info.headers == HEADER
    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        extract = services.upload_extract(event, None, "auszug.xlsx", data)
        result = services.preview(extract, extract.mapping)
        assert result.valid == 8 and result.sample[0]["birth_year"] == 1940


@pytest.mark.parametrize("data, code", [
    (b"", "bad_file"),
    (b"\x00\x01\x02binary", "bad_file"),
    (b"PK\x03\x04broken zip", "bad_file"),
    (b"just one column\nvalue\n", "bad_file"),
    (b"\n\n", "no_header"),
])
def test_bad_files_get_a_clear_message_and_nothing_is_stored(app, register_event, data, code):
    from app.events.models import Event

    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        with pytest.raises(InvitationError) as refused:
            services.upload_extract(event, None, "x.csv", data)
        assert refused.value.code == code and str(refused.value.message)
        _db.session.rollback()
        assert _count(RegisterExtract) == 0


def test_large_file_is_imported_by_a_job(app, register_event):
    from app.events.models import Event
    from app.jobs.models import Job

    app.config["INVITATIONS_IMPORT_INLINE_ROWS"] = 10
    app.config["JOBS_IMMEDIATE"] = True
    with app.test_request_context():
        event = _db.session.get(Event, register_event)
        extract = services.upload_extract(event, None, "gross.csv", csv_bytes(register_rows(30)))
        services.preview(extract, extract.mapping)
        job = jobs.confirm_import(extract, None)
        _db.session.commit()
        job = _db.session.get(Job, job.id)
        assert job.status == "done", job.error_json
        assert job.result == {"rows": 30, "skipped": 0, "households": 15}
        assert _db.session.get(RegisterExtract, extract.id).job_id == job.id
        assert _count(RegisterPerson) == 30
