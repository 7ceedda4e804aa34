"""Every page of every role, in both languages, on a desktop and at 320 CSS px (issue 16 item 3,
WCAG 1.4.10 reflow): axe WCAG 2.1 A/AA and best practice clean, no sideways scrolling at 320 px, and
none at 1280 px with the text spacing of WCAG 1.4.12.

The pages come from ``app.url_map`` and the access declarations (``@public`` / ``@staff_required``),
with URL parameters filled from the security suite's world (tests/security/world.py): a page added
later is crawled automatically. Each URL pattern is visited once per persona and language (the ids
of side A), in one browser page per persona and language, and checked:

- at 320 px: no horizontal scrolling, and axe (the phone layout, where scroll containers show);
- at 1280 px: axe again, in English only (desktop layout): every page gets axe at both widths and
  in both languages, at half the cost of all four; then the text spacing of WCAG 1.4.12 is applied
  and the page must still not scroll sideways.

One app, one live server, one browser context per persona and language; a few minutes on two cores.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

from app.accounts import services as accounts
from app.extensions import db
from tests.support.clients import DEFAULT_PASSWORD
from tests.security.walks import all_routes, build_url, expected_denial
from tests.security.world import build_world
from tests.support.browser import (DEFAULT_AXE_TAGS, apply_text_spacing, content_outside_cards, format_violations,
                                   german_on_english_page, run_axe, unmarked_german_content)
from tests.support.journeys import journey_app, serving

pytestmark = pytest.mark.browser

#: Persona → how it enters the site (see the persona fixture of tests/security/conftest.py for the same roles).
PERSONAS = ("anonymous", "resident", "participant", "moderator_a", "council", "admin")
STAFF = {"moderator_a": "moderator", "council": "council", "admin": "admin"}

#: Endpoints not crawled, and why. Everything else that answers a GET with an HTML page is.
SKIP = {
    "accounts.logout": "ends the session",
    "oidc.callback": "needs an answer of the identity provider (tests/oidc)",
}
#: URL patterns not crawled: no document to check (streams, files, JSON, the API, nchan's
#: authorisation hooks). A download or non-HTML answer of any other page is skipped too.
SKIP_PATTERN = re.compile(r"(/stream$|/changes$|\.(json|csv|xlsx|pdf|ics|vtt|ico)$|/video$|/file$|/attachments/|"
                          r"^/api/|^/live/|^/metrics$|^/healthz$)")
#: Public pages a staff persona sees as residents do (crawled for anonymous, resident and
#: participant): staff personas crawl their own pages (the staff routes) and the start page.
STAFF_PUBLIC = ("core.index",)
#: Content of the world (written in German as far as the site knows: CONTENT_LANGUAGE): on an
#: English page, wherever it shows, it is inside an element with lang="de" (WCAG 3.1.2).
CONTENT = ("World process", "World event", "Other event", "Stand A", "Stand B", "Stand X",
           "Idea at stand A", "Idea at stand B", "World measure")
#: Pages whose content is not marked, and why (listed in the report of issue 16 as still missing).
CONTENT_UNMARKED = {
    "core.outbox": "a mail's subject is in its recipient's language, which the outbox does not store",
    "audit.log": "before/after values mix labels of the page's language and content",
}

#: axe's WCAG 2.1 A/AA rules and its best practices (issue 16, tests).
CRAWL_AXE_TAGS = (*DEFAULT_AXE_TAGS, "best-practice")
OVERFLOW_JS = """() => {
    const root = document.documentElement;
    const over = root.scrollWidth - root.clientWidth;
    if (over <= 0) return null;
    const width = root.clientWidth, culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.right > width + 1 && el.checkVisibility() && !el.closest('[data-overflow-ok]')) {
            let scroller = el.parentElement, clipped = false;
            for (; scroller && scroller !== document.body; scroller = scroller.parentElement) {
                const style = getComputedStyle(scroller);
                if (style.overflowX !== 'visible') { clipped = true; break; }
            }
            if (!clipped) culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                + ' ' + Math.round(box.right - width) + 'px: ' + (el.textContent || '').trim().slice(0, 40));
        }
        if (culprits.length >= 4) break;
    }
    return over + ' px too wide; ' + culprits.join(' | ');
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp_server, _pg_schema):
    tmp = tmp_path_factory.mktemp("crawl")
    app = journey_app(tmp, smtp_server, _pg_schema, MEDIA_DIR=str(tmp / "media"),
                      MAIL_SEND_AFTER_REQUEST=False, MAIL_RETRY_INTERVAL=-1)

    def create_user(roles=("admin",), email=None, name=None, password=DEFAULT_PASSWORD):
        with app.app_context():
            user = accounts.create_user(email, name, password, roles)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    world = build_world(app, create_user)
    with serving(app) as url:
        yield {"app": app, "url": url, "world": world}


def pages_of(app, world, persona: str) -> list[tuple[str, str]]:
    """``(endpoint, url)`` of every GET page the persona may open, once per URL pattern."""
    as_role = "admin" if persona == "admin" else ("moderator_a" if persona == "moderator_a" else
                                                 "council" if persona == "council" else "anonymous")
    pages = []
    for route in all_routes(app):
        if "GET" not in route.methods or route.endpoint in SKIP or SKIP_PATTERN.search(route.rule.rule):
            continue
        if expected_denial(route.access, as_role) is not None:
            continue
        if persona in STAFF and route.access.kind == "public" and route.endpoint not in STAFF_PUBLIC:
            continue
        if persona not in STAFF and route.access.kind != "public":
            continue
        pages.append((route.endpoint, build_url(app, route, world)))
    return pages


def _enter(browser, site, persona: str, lang: str):
    world, url = site["world"], site["url"]
    context = browser.new_context(locale="de-DE" if lang == "de" else "en-GB",
                                  viewport={"width": 320, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{url}/")
    # The browser's language chooses (Accept-Language en-GB / de-DE), no switch needed.
    actual = page.evaluate("() => document.documentElement.lang")
    assert actual == lang, f"{persona}: a browser asking for {lang} got lang={actual!r}"
    if persona in STAFF:
        email = {"moderator_a": world.a.moderator_email, "council": world.council_email,
                 "admin": world.admin_email}[persona]
        page.goto(f"{url}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        page.locator("form:has(input[name=password]) [type=submit]").click()
        page.wait_for_url("**/manage")
    elif persona == "resident":
        page.goto(f"{url}/applications/{world.a.token}")
    elif persona == "participant":
        page.goto(f"{url}/events/{world.event_id}/vote/t/{world.a.code}")
    return context, page


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_reflows_at_320_px_and_is_axe_clean(browser, site, persona):
    app, world, url = site["app"], site["world"], site["url"]
    pages = pages_of(app, world, persona)
    assert pages, persona
    problems: list[str] = []
    for lang in ("de", "en"):
        context, page = _enter(browser, site, persona, lang)
        try:
            for endpoint, path in pages:
                try:
                    response = page.goto(url + path)
                except PlaywrightError as error:
                    if "Download is starting" in str(error):
                        continue  # a file, not a page
                    raise
                if response is None or response.status >= 400 or "text/html" not in (
                        response.headers.get("content-type") or ""):
                    continue  # a page this persona is refused or that is not HTML (checked elsewhere)
                where = f"{persona} {lang} {endpoint} {path}"
                actual = page.evaluate("() => document.documentElement.lang")
                if not actual.startswith(lang):
                    problems.append(f"{where}: html lang={actual!r}")
                overflow = page.evaluate(OVERFLOW_JS)
                if overflow:
                    problems.append(f"{where}: scrolls sideways at 320 px: {overflow}")
                violations = run_axe(page, CRAWL_AXE_TAGS)
                if violations:
                    problems.append(f"{where} (320 px):\n{format_violations(violations)}")
                if lang == "en":
                    problems += [f"{where}: German text {text!r}" for text in german_on_english_page(page)]
                    if endpoint not in CONTENT_UNMARKED:
                        problems += [f"{where}: German content without lang=\"de\": {found}"
                                     for found in unmarked_german_content(page, CONTENT)]
                    page.set_viewport_size({"width": 1280, "height": 900})
                    violations = run_axe(page, CRAWL_AXE_TAGS)
                    if violations:
                        problems.append(f"{where} (1280 px):\n{format_violations(violations)}")
                    apply_text_spacing(page)
                    overflow = page.evaluate(OVERFLOW_JS)
                    if overflow:
                        problems.append(f"{where}: with the text spacing of WCAG 1.4.12 at 1280 px: {overflow}")
                    problems += [f"{where}: with the text spacing of WCAG 1.4.12 at 1280 px, {found}"
                                 for found in content_outside_cards(page)]
                    page.set_viewport_size({"width": 320, "height": 800})
        finally:
            context.close()
    assert not problems, f"{len(problems)} problem(s) for {persona}:\n" + "\n".join(problems)


def test_the_crawl_reaches_the_pages_of_every_role(site):
    app, world = site["app"], site["world"]
    endpoints = {persona: {e for e, _ in pages_of(app, world, persona)} for persona in PERSONAS}
    assert {"core.index", "events.event_detail"} <= endpoints["anonymous"], endpoints["anonymous"]
    assert len(endpoints["admin"]) > len(endpoints["moderator_a"]) > 3
    assert any(e.startswith("accessibility.") for e in endpoints["anonymous"])
