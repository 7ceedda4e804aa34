"""The application form on a phone: checkboxes and radio buttons are 24 px targets, and the opt-in's hint sits
below its label over the full width, not squeezed into a column beside it."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser]


def rect(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "e => e.getBoundingClientRect().toJSON()")


@pytest.mark.parametrize("width", [390, 320])
def test_checkboxes_are_big_and_the_opt_in_hint_is_below_its_label(live_server, browser, open_event, width):
    event_id = open_event().id
    context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/events/{event_id}/apply")
        checkboxes = page.eval_on_selector_all(
            "main input[type=checkbox], main input[type=radio]",
            "els => els.filter(e => e.offsetParent).map(e => [e.name, e.getBoundingClientRect().width,"
            " e.getBoundingClientRect().height])")
        assert checkboxes and any(name == "notify_measures" for name, *_ in checkboxes)
        assert all(w >= 24 and h >= 24 for _, w, h in checkboxes), checkboxes

        box, label = rect(page, "#notify_measures"), rect(page, "label[for=notify_measures]")
        hint = rect(page, "#notify_measures-hint")
        field = rect(page, ".field-check:has(#notify_measures)")
        assert label["left"] >= box["right"]  # the label beside its box ...
        assert hint["top"] >= label["bottom"] - 1  # ... the hint below the label, not beside it
        assert abs(hint["left"] - label["left"]) < 1
        assert hint["right"] >= field["right"] - 1  # as wide as the field allows
        assert hint["width"] >= 0.7 * field["width"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
