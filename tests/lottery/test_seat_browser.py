"""The seat page on a phone: "Platz bestätigen" and "Platz absagen" are buttons of the same size, and declining
takes a second step (without JavaScript too) before the seat is given away."""
from __future__ import annotations

import pytest

from tests.factories.lottery import commit, draw, statuses
from tests.support.browser import assert_no_axe_violations

pytestmark = [pytest.mark.browser]


def box(page, selector: str) -> dict:
    """Size and computed font and padding of the first element matching ``selector``."""
    return page.eval_on_selector(selector, """e => { const s = getComputedStyle(e), r = e.getBoundingClientRect();
        return {height: r.height, width: r.width, top: r.top, bottom: r.bottom, left: r.left,
                fontSize: s.fontSize, fontFamily: s.fontFamily, fontWeight: s.fontWeight,
                paddingLeft: parseFloat(s.paddingLeft), paddingTop: parseFloat(s.paddingTop)}; }""")


@pytest.fixture
def drawn_seat(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "5")
    result = statuses(app, ev.application_ids)
    index = next(n for n, i in enumerate(ev.application_ids) if result[i] == "selected")
    return ev, ev.application_ids[index], ev.tokens[index]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_decline_is_a_styled_button_behind_a_confirmation_step(app, live_server, browser, drawn_seat, javascript):
    ev, application_id, token = drawn_seat
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="de-DE", java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/applications/{token}/seat")
        confirm = page.get_by_role("button", name="Platz bestätigen")
        assert confirm.is_visible()
        # The seat page offers no one-click decline: only the step that leads to it.
        assert page.locator("button[value=decline]").is_hidden()
        step = page.locator("#decline-step > summary")
        assert step.inner_text().startswith("Platz absagen")
        confirm_box, step_box = box(page, "button[value=confirm]"), box(page, "#decline-step > summary")
        for b in (confirm_box, step_box):
            assert b["height"] >= 44 and b["paddingLeft"] >= 16 and b["fontWeight"] == "600"
        assert step_box["fontSize"] == confirm_box["fontSize"] and step_box["fontFamily"] == confirm_box["fontFamily"]
        assert abs(step_box["height"] - confirm_box["height"]) < 1
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if javascript:
            assert_no_axe_violations(page, "seat page, phone")

        step.click()
        decline = page.get_by_role("button", name="Ja, Platz absagen")
        assert decline.is_visible()
        assert "Warteliste" in page.locator("#decline-step .confirm-box").inner_text()
        danger = box(page, "button[value=decline]")
        assert danger["height"] >= 44 and danger["paddingLeft"] >= 16 and danger["fontSize"] == confirm_box["fontSize"]
        assert page.eval_on_selector("button[value=decline]", "e => getComputedStyle(e).backgroundColor") \
            == "rgb(164, 22, 26)"
        if javascript:
            assert_no_axe_violations(page, "seat page, decline step open")
        assert statuses(app, [application_id])[application_id] == "selected"  # nothing happened yet

        decline.click()
        page.wait_for_selector(".flash-success")
        assert statuses(app, [application_id])[application_id] == "declined"
    finally:
        context.close()


def test_buttons_of_every_kind_have_the_same_size(live_server, new_page):
    """``button.secondary`` and ``button.danger`` without ``.button`` get the padding, font and 44 px of ``.button``."""
    page = new_page(phone=True)
    page.goto(f"{live_server.url}/privacy")  # any page: the app's stylesheet and fonts
    page.evaluate("""() => { const m = document.querySelector('main');
        m.insertAdjacentHTML('beforeend', '<div class="actions" id="probe">'
          + '<a class="button" href="#">A</a><button class="primary">B</button>'
          + '<button class="secondary">C</button><button class="danger">D</button>'
          + '<a class="button secondary" href="#">E</a><input type="submit" value="F"></div>'); }""")
    sizes = page.eval_on_selector_all("#probe > *", """els => els.map(e => { const s = getComputedStyle(e);
        return [e.getBoundingClientRect().height, s.paddingLeft, s.paddingTop, s.fontSize, s.fontFamily,
                s.fontWeight, s.borderTopWidth]; })""")
    assert all(h >= 44 for h, *_ in sizes), sizes
    assert len({tuple(rest) for _, *rest in sizes}) == 1, sizes
    assert len({round(h) for h, *_ in sizes}) == 1, sizes
