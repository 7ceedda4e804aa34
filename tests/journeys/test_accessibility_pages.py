"""A resident on a phone finds the explanations in Leichte Sprache and in sign language from the
start page, in German and English; an admin uploads a sign-language video with captions, makes a
mistake (a text file instead of a video) and corrects it; the video then plays on the public page,
and the accessibility statement no longer lists what was fixed (BITV 2.0 § 4, issue 16).

One app, one live server and one browser (the session's) for the whole module.
"""
from __future__ import annotations

import pytest

from app.accessibility.easy_language import SECTIONS
from app.accounts import services as accounts
from app.extensions import db
from tests.support.clients import DEFAULT_PASSWORD
from tests.support.browser import assert_page_fit
from tests.support.journeys import journey_app, serving

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048
VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\nDas Los ist ein Zufall.\n".encode()


@pytest.fixture(scope="module")
def world(tmp_path_factory, smtp_server, _pg_schema):
    tmp = tmp_path_factory.mktemp("accessibility")
    app = journey_app(tmp, smtp_server, _pg_schema, MEDIA_DIR=str(tmp / "media"))
    with app.app_context():
        accounts.create_user("admin@stadt.example", "Anna Admin", DEFAULT_PASSWORD, ["admin"])
        db.session.commit()
    files = tmp / "files"
    files.mkdir()
    (files / "auslosung.mp4").write_bytes(MP4)
    (files / "auslosung.vtt").write_bytes(VTT)
    (files / "notiz.txt").write_text("Das ist kein Video.")
    with serving(app) as url:
        yield {"app": app, "url": url, "files": files}


def test_a_resident_on_a_phone_finds_leichte_sprache_and_sign_language(browser, world):
    for lang, locale in (("de", "de-DE"), ("en", "en-GB")):
        context = browser.new_context(locale=locale, **PHONE)
        page = context.new_page()
        page.goto(world["url"] + "/")
        if lang == "en":
            page.get_by_role("button", name="English").click()
            page.wait_for_load_state()
        nav = page.get_by_role("navigation", name="Erklärungen in anderer Form" if lang == "de"
                               else "Explanations in other forms")
        nav.get_by_role("link", name="Leichte Sprache").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Der Ideen·markt in Leichter Sprache"
        assert_page_fit(page, f"Leichte Sprache ({lang})")
        page.get_by_role("link", name="Wie funktioniert die Auslosung?").click()
        assert page.url.endswith("#auslosung")
        page.get_by_role("link", name="Diese Erklärungen gibt es auch in Gebärden·sprache.").click()
        page.wait_for_load_state()
        assert page.locator(".sign-missing").count() == len(SECTIONS)
        assert_page_fit(page, f"Gebärdensprache ohne Videos ({lang})")
        page.goto(world["url"] + "/accessibility")
        assert_page_fit(page, f"Erklärung zur Barrierefreiheit ({lang})")
        context.close()


def test_an_admin_uploads_a_video_after_a_wrong_file_and_it_plays(browser, world):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(world["url"] + "/login")
    page.get_by_label("E-Mail").fill("admin@stadt.example")
    page.get_by_label("Passwort", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    page.goto(world["url"] + "/manage/sign-language")
    assert_page_fit(page, "Videos in Gebärdensprache")
    section = page.locator("#section-auslosung")
    section.get_by_label("Video (MP4 oder WebM)").set_input_files(str(world["files"] / "notiz.txt"))
    section.get_by_label("Untertitel (WebVTT)").set_input_files(str(world["files"] / "auslosung.vtt"))
    section.get_by_role("button", name="Video hochladen").click()
    page.wait_for_load_state()
    section = page.locator("#section-auslosung")
    error = section.locator(".error")
    assert error.inner_text() == "Das Video muss eine MP4- oder WebM-Datei sein."
    assert section.get_by_label("Video (MP4 oder WebM)").get_attribute("aria-invalid") == "true"
    assert_page_fit(page, "Videos in Gebärdensprache mit Fehler")
    section.get_by_label("Video (MP4 oder WebM)").set_input_files(str(world["files"] / "auslosung.mp4"))
    section.get_by_label("Untertitel (WebVTT)").set_input_files(str(world["files"] / "auslosung.vtt"))
    section.get_by_role("button", name="Video hochladen").click()
    page.wait_for_load_state()
    assert "Das Video für „Wie funktioniert die Auslosung?“ ist online." in page.locator(".flashes").inner_text()
    assert page.locator("#section-auslosung").get_by_role("button", name="Video ersetzen").count() == 1

    page.goto(world["url"] + "/gebaerdensprache")
    video = page.locator("#dgs-auslosung ~ .sign-row video")
    assert video.count() == 1
    assert video.locator("track").get_attribute("srclang") == "de"
    assert page.locator(".sign-missing").count() == len(SECTIONS) - 1
    assert_page_fit(page, "Gebärdensprache mit einem Video")
    context.close()
