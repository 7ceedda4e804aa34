"""CSV import: upload → preview with row errors → confirm; bad files change nothing."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.measures.models import Measure, MeasureImport, MeasureStatusChange

VALID = (
    "title,chapter,status,description,office\n"
    "Online-Terminvergabe,Bürgerportal,adopted,Termine rund um die Uhr,Bürgeramt\n"
    'Servicekonto,Bürgerportal,in progress,"Ein Konto, alle Dienste",Amt für Digitalisierung\n'
    "Neue Homepage,Homepage,done,,\n"
)

#: What Excel writes for "CSV UTF-8" with German settings: BOM, semicolons, CRLF, German words.
SPREADSHEET_WITH_ERRORS = (
    "\ufeffTitel;Kapitel;Status;Beschreibung;Amt\r\n"
    "Digitaler Anwohnerparkausweis;Digitale Verwaltungsleistungen;vorgeschlagen;;Ordnungsamt\r\n"
    ";Digitale Verwaltungsleistungen;beschlossen;;\r\n"
    "Formulare ohne Papier;Digitale Verwaltungsleistungen;irgendwann;;\r\n"
    "Digitaler Anwohnerparkausweis;Homepage;umgesetzt;;\r\n"
)


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def upload(client, process_id: int, data: bytes, filename: str = "massnahmen.csv"):
    return client.post(f"/manage/processes/{process_id}/measures/import",
                       data={"csrf_token": client.csrf_token(), "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def test_valid_file_preview_then_confirm(app, measures_world, admin, db):
    w = measures_world()
    response = upload(admin, w.process_id, VALID.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Vorschau: 3 Maßnahmen" in page and "Servicekonto" in page
    assert count(Measure) == 0  # nothing until confirmed
    import_id = int(re.search(r"/measures/import/(\d+)", page).group(1))
    done = admin.submit(f"/manage/processes/{w.process_id}/measures/import/{import_id}")
    assert done.status_code == 303
    db.session.expire_all()
    measures = {m.title: m for m in db.session.execute(sa.select(Measure)).scalars()}
    assert {t: (m.status, m.chapter, m.office) for t, m in measures.items()} == {
        "Online-Terminvergabe": ("adopted", "Bürgerportal", "Bürgeramt"),
        "Servicekonto": ("in_progress", "Bürgerportal", "Amt für Digitalisierung"),
        "Neue Homepage": ("done", "Homepage", ""),
    }
    assert measures["Servicekonto"].description == "Ein Konto, alle Dienste"
    assert measures["Neue Homepage"].progress == 100
    assert count(MeasureStatusChange) == 3 and count(MeasureImport) == 0
    # A second confirm (double click, back button) imports nothing.
    again = admin.submit(f"/manage/processes/{w.process_id}/measures/import/{import_id}")
    assert again.status_code == 303 and count(Measure) == 3


def test_spreadsheet_with_bom_semicolons_and_bad_rows(measures_world, admin, db):
    w = measures_world()
    response = upload(admin, w.process_id, SPREADSHEET_WITH_ERRORS.encode("utf-8"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Zeile 3: Der Titel ist leer." in page
    assert "Zeile 4: Unbekannter Status „irgendwann“" in page
    assert "Zeile 5: Der Titel ist derselbe wie in Zeile 2." in page
    assert "Zeile 2:" not in page  # the good row has no error
    assert "Es wurde nichts geändert." in page and "/measures/import/" not in page.split("Hochladen")[0]
    assert count(Measure) == 0 and count(MeasureImport) == 0


def test_english_page_and_existing_titles(measures_world, admin, make_measure, db):
    w = measures_world()
    make_measure(w.process_id, title="Servicekonto")
    admin.set_cookie("ideenmarkt_lang", "en")
    page = upload(admin, w.process_id, VALID.encode()).get_data(as_text=True)
    assert "Line 3: a measure with the title “Servicekonto” exists already." in page
    assert count(Measure) == 1


@pytest.mark.parametrize("data, message", [
    ("title,chapter,status\nBürgerkonto,Portal,adopted\n".encode("cp1252"), "nicht UTF-8-kodiert"),
    ("title,chapter,status\nA,B,adopted\n".encode("utf-16"), "NUL-Bytes"),
    (b"title,chapter,status\nA\x00,B,adopted\n", "NUL-Bytes"),
    (b"", "Die Datei ist leer."),
    (b"name;status\nA;adopted\n", "Es fehlt: chapter"),
    (b"title,chapter,status\n\n", "keine Maßnahmen"),
    (b"title,chapter,status\nA,B,adopted,extra\n", "Zeile 2: Die Zeile hat mehr Spalten"),
    ('title,chapter,status\n"A,B,adopted\n'.encode(), "Zeile"),
])
def test_bad_files_are_refused_with_a_clear_message(measures_world, admin, db, data, message):
    w = measures_world()
    response = upload(admin, w.process_id, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:300]
    assert message in page
    assert count(Measure) == 0 and count(MeasureImport) == 0


def test_file_over_the_limit(measures_world, admin, db, app):
    w = measures_world()
    app.config["MEASURES_IMPORT_MAX_BYTES"] = 1000
    row = "Titel,Kapitel,vorgeschlagen\n"
    response = upload(admin, w.process_id, ("title,chapter,status\n" + row * 40).encode())
    assert response.status_code == 422 and "Höchstens 0.000953674 MB" not in response.get_data(as_text=True)
    assert "zu groß" in response.get_data(as_text=True)
    assert count(Measure) == 0


class ChunkedUpload(io.RawIOBase):
    """A multipart body with a 50 MB file, produced while it is read (no Content-Length)."""

    def __init__(self, size: int) -> None:
        self.head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="g.csv"\r\n'
                     b"Content-Type: text/csv\r\n\r\n")
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.read_bytes >= self.size:
            return 0
        n = min(len(buffer), self.size - self.read_bytes)
        start = self.read_bytes
        chunk = (self.head + b"x" * n)[start:start + n] if start < len(self.head) else b"x" * n
        buffer[:len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def test_a_50_mb_upload_without_content_length_is_cut_off(measures_world, admin, app, db):
    """A chunked body has no Content-Length: the route's limit stops it while it streams."""
    w = measures_world()
    stream = ChunkedUpload(50 * 1024 * 1024)
    response = admin.post(f"/manage/processes/{w.process_id}/measures/import",
                          headers={"Content-Type": "multipart/form-data; boundary=b"},
                          environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": "",
                                             "wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    assert response.status_code == 413
    assert "Die Datei ist zu groß" in response.get_data(as_text=True)
    assert stream.read_bytes < 4 * 1024 * 1024  # stopped at the limit, not read to the end
    assert count(Measure) == 0


def test_confirm_needs_the_same_admin_and_csrf(measures_world, admin, staff_client, db):
    w = measures_world()
    page = upload(admin, w.process_id, VALID.encode()).get_data(as_text=True)
    import_id = int(re.search(r"/measures/import/(\d+)", page).group(1))
    url = f"/manage/processes/{w.process_id}/measures/import/{import_id}"
    assert admin.post(url).status_code == 400  # no CSRF token
    other = staff_client("admin")
    assert other.submit(url).status_code == 303  # another admin cannot use this preview
    assert count(Measure) == 0
    council = staff_client("council")
    assert council.submit(url).status_code == 403
    assert count(Measure) == 0 and count(MeasureImport) == 1


def test_a_50_mb_upload_is_refused_from_its_content_length_without_reading_it(measures_world, admin, db):
    w = measures_world()
    stream = ChunkedUpload(50 * 1024 * 1024)
    response = admin.post(f"/manage/processes/{w.process_id}/measures/import",
                          headers={"Content-Type": "multipart/form-data; boundary=b"},
                          environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(stream.size)})
    assert response.status_code == 413
    assert "Die Datei ist zu groß: Höchstens 2 MB sind möglich." in response.get_data(as_text=True)
    assert stream.read_bytes == 0
    assert count(Measure) == 0 and count(MeasureImport) == 0


def test_a_50_mb_multipart_upload_is_refused(measures_world, admin, db):
    w = measures_world()
    data = b"title,chapter,status\n" + b"x" * (50 * 1024 * 1024)
    response = upload(admin, w.process_id, data)
    assert response.status_code == 413
    assert "Die Datei ist zu groß" in response.get_data(as_text=True)
    assert count(Measure) == 0 and count(MeasureImport) == 0


def test_an_oversized_form_elsewhere_gets_the_plain_413(measures_world, make_measure, admin, app):
    w = measures_world()
    measure_id = make_measure(w.process_id).id
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = admin.submit(f"/manage/measures/{measure_id}", {"title": "x" * 5000})
    assert response.status_code == 413
