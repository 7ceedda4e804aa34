"""The page check every journey runs (tests/support/browser.py: assert_page_fit) catches what
residents saw: raw status codes, English leftovers on German pages, sideways scrolling at 320 px."""
from __future__ import annotations

import pytest

from tests.support.browser import assert_page_fit, english_leftovers, german_leftovers, raw_codes

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="{lang}"><head><title>Probe</title></head>
<body><main><h1>Veranstaltung</h1>{body}</main></body></html>"""


def test_the_lists_know_codes_and_english_texts():
    assert {"confirmed", "declined", "held"} <= raw_codes()
    assert "Save idea" in english_leftovers()
    assert "Status" not in english_leftovers()  # the same word in both languages
    assert "Idee speichern" in german_leftovers() and "Status" not in german_leftovers()


@pytest.mark.parametrize("body, message", [
    ("<p>confirmed: 13 declined: 1</p>", "raw code confirmed, declined"),
    ("<p>Status: held</p>", "raw code held"),
    ("<button type=button>Save idea</button>", "English text: 'Save idea'"),
    ('<p style="width: 400px">Breit</p>', "scrolls sideways at 320 px"),
])
def test_the_check_fails_on_what_residents_saw(new_page, body, message):
    page = new_page()
    page.set_content(PAGE.format(lang="de", body=body))
    with pytest.raises(AssertionError, match=message):
        assert_page_fit(page, "probe")


def test_user_content_addresses_and_other_languages_pass(new_page):
    page = new_page()
    page.set_content(PAGE.format(lang="de", body=(
        '<p data-user-content>held in the town hall</p><p>admin@example.org</p>'
        '<p lang="en">Save idea</p><p>Beworben (bestätigt)</p>')))
    assert_page_fit(page, "probe")


def test_english_pages_are_not_checked_for_english(new_page):
    page = new_page(locale="en-GB")
    page.set_content(PAGE.format(lang="en", body="<button type=button>Save idea</button>")
                     .replace("Veranstaltung", "Event"))
    assert_page_fit(page, "probe")


def test_english_pages_are_checked_for_german_leftovers(new_page):
    """Issue 24: the English run of a journey catches German texts left on an English page."""
    page = new_page(locale="en-GB")
    page.set_content(PAGE.format(lang="en", body="<button type=button>Idee speichern</button>"
                                                 "<p data-user-content>Bürgerportal</p>"))
    with pytest.raises(AssertionError, match="German text: 'Veranstaltung'"):
        assert_page_fit(page, "probe")
