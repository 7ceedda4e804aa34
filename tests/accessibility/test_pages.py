"""Leichte Sprache, German Sign Language and the accessibility statement (BITV 2.0 § 4, EU model)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.accessibility import barriers
from app.accessibility.easy_language import SECTION_KEYS, SECTIONS
from app.extensions import db as _db

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 512
VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\nDer Ideen·markt ist eine Internet·seite.\n".encode()


@pytest.fixture
def media(app, tmp_path) -> Path:
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    return tmp_path / "media"


def _upload(client, key, video=MP4, captions=VTT, video_name="clip.mp4", captions_name="clip.vtt"):
    return client.post(f"/manage/sign-language/{key}", data={
        f"{key}-csrf_token": client.csrf_token(),
        f"{key}-video": (io.BytesIO(video), video_name),
        f"{key}-captions": (io.BytesIO(captions), captions_name),
    }, content_type="multipart/form-data")


def _video_files(media: Path) -> list[str]:
    folder = media / "sign-language"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_every_page_links_leichte_sprache_and_sign_language(client):
    for url in ("/", "/processes", "/privacy", "/accessibility", "/login"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/leichte-sprache"' in page and 'href="/gebaerdensprache"' in page, url


def test_leichte_sprache_explains_every_topic_in_short_sentences(client):
    page = client.get("/leichte-sprache").get_data(as_text=True)
    for section in SECTIONS:
        assert section.title in page
        for sentence in section.sentences:
            # One statement per sentence, short: the Netzwerk Leichte Sprache's rule of thumb.
            assert len(sentence.split()) <= 20, sentence
    assert 'href="/accessibility/feedback"' in page
    assert {s.key for s in SECTIONS} >= {"bewerben", "auslosung", "veranstaltung", "abstimmung", "daten",
                                          "barriere"}


def test_in_the_english_interface_the_german_text_is_marked_german(client):
    client.submit("/language", {"lang": "en", "next": "/leichte-sprache"})
    page = client.get("/leichte-sprache").get_data(as_text=True)
    assert '<div class="easy-language" lang="de">' in page
    assert "Easy German" not in page and "Leichte Sprache, a form of German" in page
    sign = client.get("/gebaerdensprache").get_data(as_text=True)
    assert "The Ideenmarkt in German Sign Language" in sign and 'lang="de"' in sign


def test_without_videos_the_page_says_so_and_the_statement_lists_it(client):
    page = client.get("/gebaerdensprache").get_data(as_text=True)
    assert page.count("Für diesen Abschnitt gibt es noch kein Video in Gebärdensprache.") == len(SECTIONS)
    assert "<video" not in page
    statement = client.get("/accessibility").get_data(as_text=True)
    assert "teilweise mit der BITV 2.0" in statement
    assert "Noch nicht jede Erklärung gibt es in Deutscher Gebärdensprache" in statement


def test_the_statement_follows_the_model_and_lists_every_known_barrier(app, client):
    app.config["ACCESSIBILITY_CONTACT_EMAIL"] = "barrieren@testhausen.example"
    app.config["ACCESSIBILITY_CONTACT_PHONE"] = "0711 123 45"
    page = client.get("/accessibility").get_data(as_text=True)
    for heading in ("Vereinbarkeit mit den Anforderungen", "Nicht barrierefreie Inhalte",
                    "Erstellung dieser Erklärung", "Feedback und Kontakt", "Durchsetzungsverfahren"):
        assert heading in page
    with app.test_request_context():
        for barrier in barriers.KNOWN_BARRIERS:
            assert f'id="barrier-{barrier.key}"' in page
    assert "barrieren@testhausen.example" in page and 'href="tel:071112345"' in page
    assert "datenschutz@" not in page  # a dedicated contact, not the privacy address
    assert "1. Dezember 2026" in page and "2026-12-01" not in page
    assert "/stands/" not in page  # no alternative that needs a staff login


def test_status_follows_from_the_list():
    assert barriers.compliance_status([]) == barriers.FULLY
    assert barriers.compliance_status(list(barriers.KNOWN_BARRIERS)) == barriers.PARTIALLY
    assert barriers.SIGN_LANGUAGE_MISSING in barriers.current_barriers(sign_language_complete=False)
    assert barriers.SIGN_LANGUAGE_MISSING not in barriers.current_barriers(sign_language_complete=True)


def test_admin_uploads_a_video_with_captions_and_the_page_plays_it(app, staff_client, client, media):
    admin = staff_client("admin")
    response = _upload(admin, "auslosung")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith("#section-auslosung")
    page = client.get("/gebaerdensprache").get_data(as_text=True)
    assert '<source src="/gebaerdensprache/auslosung/video" type="video/mp4">' in page
    assert 'src="/gebaerdensprache/auslosung/captions.vtt" srclang="de"' in page
    video = client.get("/gebaerdensprache/auslosung/video", headers={"Range": "bytes=0-15"})
    assert video.status_code == 206 and video.data == MP4[:16] and video.mimetype == "video/mp4"
    captions = client.get("/gebaerdensprache/auslosung/captions.vtt")
    assert captions.mimetype == "text/vtt" and "Der Ideen·markt" in captions.get_data(as_text=True)
    assert client.get("/gebaerdensprache/bewerben/video").status_code == 404
    assert client.get("/gebaerdensprache/unbekannt/captions.vtt").status_code == 404

    # Replacing keeps one file; removing deletes it.
    assert _upload(admin, "auslosung", video=WEBM, video_name="clip.webm").status_code == 303
    files = _video_files(media)
    assert len(files) == 1 and files[0].endswith(".webm")
    assert admin.submit("/manage/sign-language/auslosung/delete").status_code == 303
    assert _video_files(media) == []
    assert client.get("/gebaerdensprache/auslosung/video").status_code == 404
    with app.app_context():
        from app.audit.models import AuditEntry

        actions = _db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions.count("accessibility.video_upload") == 2 and "accessibility.video_delete" in actions


def test_with_every_video_the_statement_no_longer_lists_sign_language(staff_client, client, media):
    admin = staff_client("admin")
    for key in SECTION_KEYS:
        assert _upload(admin, key).status_code == 303
    statement = client.get("/accessibility").get_data(as_text=True)
    assert "Noch nicht jede Erklärung gibt es in Deutscher Gebärdensprache" not in statement


@pytest.mark.parametrize(("video", "captions", "message"), [
    (b"<html><script>alert(1)</script></html>" * 10, VTT, "Das Video muss eine MP4- oder WebM-Datei sein."),
    (MP4, b"1\n00:00 --> 00:01\nkein Kopf\n", "Die Untertiteldatei muss eine WebVTT-Datei sein"),
    (MP4, "WEBVTT\n\n00:00.000 --> 00:01.000\nGr\u00fc\u00dfe\n".encode("latin-1"),
     "Die Untertiteldatei muss eine WebVTT-Datei in UTF-8 sein."),
    (MP4, b"WEBVTT\n\n" + b"x" * (300 * 1024), "Die Untertiteldatei ist zu groß"),
])
def test_a_wrong_file_gets_a_message_and_changes_nothing(app, staff_client, client, media, video, captions,
                                                          message):
    admin = staff_client("admin")
    response = _upload(admin, "daten", video=video, captions=captions)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _video_files(media) == []
    assert "<video" not in client.get("/gebaerdensprache").get_data(as_text=True)


def test_a_video_over_the_limit_is_refused(app, staff_client, media):
    app.config["SIGN_LANGUAGE_VIDEO_MAX_BYTES"] = 1024 * 1024
    admin = staff_client("admin")
    response = _upload(admin, "daten", video=MP4 + b"\x00" * (1024 * 1024))
    assert response.status_code == 422
    assert "Das Video ist zu groß (höchstens 1 MB)." in response.get_data(as_text=True)
    assert _video_files(media) == []


def test_only_admins_manage_videos_and_every_change_needs_the_form_token(staff_client, client, media):
    for role in ("moderator", "council"):
        other = staff_client(role)
        assert other.get("/manage/sign-language").status_code == 403
        assert _upload(other, "daten").status_code == 403
    assert client.get("/manage/sign-language").status_code in (302, 401)
    admin = staff_client("admin")
    assert admin.get("/manage/sign-language").status_code == 200
    no_token = admin.post("/manage/sign-language/daten", data={
        "daten-video": (io.BytesIO(MP4), "a.mp4"), "daten-captions": (io.BytesIO(VTT), "a.vtt")},
        content_type="multipart/form-data")
    assert no_token.status_code == 400
    assert _upload(admin, "unbekannt").status_code == 404
    assert _video_files(media) == []


def test_process_and_event_carry_a_summary_in_leichte_sprache(app, staff_client, client, create_event):
    admin = staff_client("admin")
    response = admin.submit("/manage/processes/new", {
        "title": "Esslingen 4.0", "description": "Die Digitalisierungsstrategie.",
        "easy_summary": "Die Stadt fragt: Was wünschen Sie sich? <script>alert(1)</script>",
        "stakeholder_groups": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with app.app_context():
        from app.events.models import Process

        process = _db.session.execute(sa.select(Process)).scalar_one()
        process_id = process.id
        assert process.easy_summary.startswith("Die Stadt fragt")
    page = client.get(f"/processes/{process_id}").get_data(as_text=True)
    assert 'lang="de"' in page and "In Leichter Sprache" in page and "Was wünschen Sie sich?" in page
    assert "<script>alert(1)</script>" not in page
    # Editing shows the saved text again and keeps it when saved unchanged.
    form = admin.get(f"/manage/processes/{process_id}/edit").get_data(as_text=True)
    assert "Die Stadt fragt: Was wünschen Sie sich?" in form
    event_id = create_event(process_id=process_id, status="open", easy_summary="Sie können sich bewerben.").id
    assert "Sie können sich bewerben." in client.get(f"/events/{event_id}").get_data(as_text=True)
    without = create_event(process_id=process_id, status="open").id
    assert "In Leichter Sprache" not in client.get(f"/events/{without}").get_data(as_text=True)
