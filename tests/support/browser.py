"""Headless Debian Chromium for Playwright, and axe-core accessibility checks.

Usage::

    from playwright.sync_api import sync_playwright
    from tests.support.browser import launch, assert_no_axe_violations

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.goto(live_server.url + "/")
        assert_no_axe_violations(page, context="start page")
        browser.close()

or, shorter, ``with chromium() as browser: ...``.

Playwright drives Debian's ``/usr/bin/chromium`` (installed by
``scripts/install-test-deps.sh``); never run ``playwright install``, it cannot
download here. The flags in :data:`CHROMIUM_ARGS` matter: ``--no-sandbox``
because tests run as root, the ``--disable-*`` networking flags because the
machine has no internet and Chromium would otherwise keep trying (and
logging) connections to Google services.

axe-core comes from ``node_modules/axe-core/axe.min.js`` (``npm ci``). It is
injected with ``page.evaluate(source)``, not ``page.add_script_tag(content=...)``:
the app's Content-Security-Policy forbids inline scripts, so a script tag is
blocked, while Playwright's evaluate runs through the DevTools protocol and is
not subject to the page's CSP. So the page under test keeps its real CSP (no
``bypass_csp=True`` needed), and a CSP violation by the app itself still shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

__all__ = [
    "CHROMIUM_PATH",
    "CHROMIUM_ARGS",
    "AXE_PATH",
    "DEFAULT_AXE_TAGS",
    "chromium_available",
    "launch",
    "chromium",
    "run_axe",
    "format_violations",
    "assert_no_axe_violations",
]

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEFAULT_AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

#: Reason to use with ``pytest.skip`` / ``skipif`` when :func:`chromium_available` is false.
SKIP_REASON = (
    f"{CHROMIUM_PATH} or {AXE_PATH.relative_to(REPO_ROOT)} missing: "
    "run scripts/install-test-deps.sh as root"
)


def chromium_available() -> bool:
    """True if Debian's Chromium and axe-core are installed."""
    return os.access(CHROMIUM_PATH, os.X_OK) and AXE_PATH.is_file()


def launch(playwright: Playwright, **overrides: Any) -> Browser:
    """Launch headless Debian Chromium; ``overrides`` go to ``chromium.launch``."""
    options: dict[str, Any] = {
        "executable_path": CHROMIUM_PATH,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }
    options.update(overrides)
    return playwright.chromium.launch(**options)


@contextmanager
def chromium(**overrides: Any) -> Iterator[Browser]:
    """Start Playwright and Chromium; close both afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, **overrides)
        try:
            yield browser
        finally:
            browser.close()


@cache
def _axe_source() -> str:
    try:
        return AXE_PATH.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{AXE_PATH} missing: {SKIP_REASON}") from None


def run_axe(
    page: Page,
    tags: Sequence[str] = DEFAULT_AXE_TAGS,
    *,
    disable_rules: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Run axe-core on the page's current document; return its violations.

    Each violation is axe's JSON: ``id``, ``impact``, ``help``, ``helpUrl``,
    ``nodes`` (each with ``target`` selectors and ``failureSummary``).

    :param tags: axe rule tags to run (WCAG 2.1 A and AA by default).
    :param disable_rules: rule ids to skip, e.g. ``("color-contrast",)``.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())  # not add_script_tag: see module docstring (CSP)
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "resultTypes": ["violations"],
        "rules": {rule: {"enabled": False} for rule in disable_rules},
        # Our pages have no iframes; without this axe would wait for frames
        # that have no axe injected.
        "iframes": False,
    }
    violations = page.evaluate(
        "async (options) => (await window.axe.run(document, options)).violations",
        options,
    )
    return list(violations)


def format_violations(violations: Iterable[dict[str, Any]], *, max_targets: int = 3) -> str:
    """One readable block per violation: rule, impact, help, first targets."""
    lines: list[str] = []
    for violation in violations:
        nodes = violation.get("nodes", [])
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}): "
            f"{violation.get('help', '')} [{len(nodes)} node(s)] {violation.get('helpUrl', '')}"
        )
        for node in nodes[:max_targets]:
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    {target}: {node.get('html', '')[:120]}")
        if len(nodes) > max_targets:
            lines.append(f"    ... and {len(nodes) - max_targets} more")
    return "\n".join(lines)


def assert_no_axe_violations(
    page: Page,
    context: str = "",
    *,
    tags: Sequence[str] = DEFAULT_AXE_TAGS,
    disable_rules: Iterable[str] = (),
) -> None:
    """Fail with a readable list if axe finds violations on the current page.

    :param context: what the page is ("idea form, logged in"), for the message.
    """
    violations = run_axe(page, tags, disable_rules=disable_rules)
    if violations:
        where = f"{context} ({page.url})" if context else page.url
        raise AssertionError(
            f"{len(violations)} accessibility violation(s) on {where}:\n"
            f"{format_violations(violations)}"
        )


#: WCAG 1.4.12 text spacing: line height 1.5, paragraph spacing 2, letter spacing 0.12 and word
#: spacing 0.16 times the font size; no content may be lost with it.
TEXT_SPACING_CSS = ("* { line-height: 1.5 !important; letter-spacing: 0.12em !important; "
                    "word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }")
#: A constructed style sheet, not an inline style: the page's CSP (style-src 'self') allows it.
_TEXT_SPACING_JS = """(css) => { const sheet = new CSSStyleSheet(); sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; }"""
_OUTSIDE_CARDS_JS = """() => {
    const found = [];
    for (const card of document.querySelectorAll('.card')) {
        const box = card.getBoundingClientRect();
        for (const el of card.querySelectorAll('*')) {
            if (!el.checkVisibility() || el.closest('.visually-hidden')) continue;  // screen-reader text: 1 px, clipped
            const r = el.getBoundingClientRect();
            if (r.width > 1 && (r.right > box.right + 1 || r.left < box.left - 1)) {
                found.push(Math.round(Math.max(r.right - box.right, box.left - r.left)) + ' px outside its card: '
                           + el.tagName.toLowerCase() + ' ' + (el.textContent || '').trim().slice(0, 40));
                break;
            }
        }
    }
    return found;
}"""


def apply_text_spacing(page: Page) -> None:
    """Apply :data:`TEXT_SPACING_CSS` to the page's current document."""
    page.evaluate(_TEXT_SPACING_JS, TEXT_SPACING_CSS)


def content_outside_cards(page: Page) -> list[str]:
    """Content of a ``.card`` that runs over its card's edge (one line per card)."""
    return list(page.evaluate(_OUTSIDE_CARDS_JS))


# ---------------------------------------------------------------- what every journey page must pass

#: A lower-case ASCII word standing alone (not part of a German word, an address or a file name).
_CODE_WORD = re.compile(r"(?<![\w@.\-/\u00b7])[a-z_]+(?![\w@.\-/\u00b7])")

_VISIBLE_TEXTS_JS = """() => {
    const skip = el => el.closest('script, style, code, pre, kbd, samp, [translate="no"], [data-user-content]')
        || (el.closest('[lang]') && el.closest('[lang]').getAttribute('lang').slice(0, 2) !== document.documentElement.lang.slice(0, 2));  // getAttribute: SVG elements have no .lang
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.replace(/\\s+/g, ' ').trim();
        const el = node.parentElement;
        if (!text || !el || skip(el) || !el.checkVisibility({visibilityProperty: true})) continue;
        texts.push(text);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], input[placeholder]')) {
        if (skip(el)) continue;
        for (const name of ['aria-label', 'title', 'placeholder']) {
            const value = (el.getAttribute(name) || '').trim();
            if (value) texts.push(value);
        }
    }
    return texts;
}"""


@cache
def _catalogue_texts() -> tuple[frozenset[str], frozenset[str]]:
    """(English source texts whose German translation differs, German translations that differ from
    every English source text), without parameters, whitespace folded."""
    from babel.messages.pofile import read_po

    english, german, sources = set(), set(), set()
    for po in Path(__file__).resolve().parents[2].glob("app/*/translations/de/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                msgid = message.id[0] if isinstance(message.id, tuple) else message.id
                msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
                if msgid:
                    sources.add(" ".join(msgid.split()))
                if msgid and msgstr and msgstr != msgid and "%(" not in msgid and len(msgid) > 2:
                    english.add(" ".join(msgid.split()))
                    german.add(" ".join(msgstr.split()))
    return frozenset(english), frozenset(german - sources)


def english_leftovers() -> frozenset[str]:
    """English source texts (without parameters) whose German translation differs from them."""
    return _catalogue_texts()[0]


def german_leftovers() -> frozenset[str]:
    """German translations (without parameters) that are no English source text: on an English
    page they are leftovers."""
    return _catalogue_texts()[1]


#: Stored codes that are German words too ("Saal und online"): not raw codes on a German page.
GERMAN_WORDS = frozenset({"online"})


@cache
def raw_codes() -> frozenset[str]:
    """The stored codes of every status machine (``confirmed``, ``held`` …): never shown as they are."""
    import enum
    import importlib

    codes = set()
    for name in ("events", "ideas", "measures", "lottery", "voting", "accounts"):
        try:
            module = importlib.import_module(f"app.{name}.models")
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum) and issubclass(value, str) \
                    and value.__module__ == module.__name__:
                codes.update(member.value for member in value if member.value.isascii() and len(member.value) > 2)
    return frozenset(codes)


def german_on_english_page(page: Page, allow: Iterable[str] = ()) -> list[str]:
    """The visible texts of an English page that are German translations (leftovers), outside
    elements marked with another ``lang`` and outside ``data-user-content``."""
    german, allowed = german_leftovers(), set(allow)
    return [text for text in page.evaluate(_VISIBLE_TEXTS_JS) if text not in allowed and text in german]


_UNMARKED_CONTENT_JS = """texts => {
    // The language in force for an element: its nearest lang attribute (HTML or SVG).
    const german = el => { const m = el.closest('[lang]'); return !!m && m !== document.documentElement
        && m.getAttribute('lang').startsWith('de'); };
    // Hidden from assistive technology or presentational (an SVG role=img is named by its title).
    const silent = el => el.closest('script, style, [aria-hidden="true"], [role="img"]');
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent.replace(/\\s+/g, ' ').trim();
        const el = node.parentElement;
        if (!text || !el || silent(el) || german(el)) continue;
        if (texts.some(t => text.includes(t)))
            found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ': ' + text.slice(0, 60));
    }
    // A name that is content alone (a mixed one, "Progress of ...", cannot be marked in part).
    for (const el of document.querySelectorAll('[aria-label], [title], [alt]')) {
        for (const name of ['aria-label', 'title', 'alt']) {
            const value = (el.getAttribute(name) || '').trim();
            if (texts.includes(value) && !silent(el) && !german(el))
                found.push(el.tagName.toLowerCase() + '[' + name + ']: ' + value.slice(0, 60));
        }
    }
    return [...new Set(found)];
}"""


def unmarked_german_content(page: Page, contents: Iterable[str]) -> list[str]:
    """Where a page shows one of ``contents`` (German content: titles, stand names, ideas) outside
    an element marked ``lang="de"`` (WCAG 3.1.2 on an English page): text nodes and names."""
    return page.evaluate(_UNMARKED_CONTENT_JS, list(contents))


def assert_page_fit(page: Page, context: str = "", *, allow: Iterable[str] = ()) -> None:
    """What a journey checks on every page it passes: axe clean; no horizontal scrolling at 320 px
    width; on German pages no English leftover (a visible text that is an English source text
    with a different German translation) and no raw status code (``confirmed``, ``held`` …); on
    English pages no German leftover (a visible text that is a German translation).

    User content that happens to look like one of those is passed in ``allow`` or marked in the
    page with ``data-user-content``; text in another language is marked with ``lang``.
    """
    assert_no_axe_violations(page, context)
    where = f"{context} ({page.url})" if context else page.url
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.set_viewport_size({"width": 320, "height": size["height"]})
    try:
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    finally:
        page.set_viewport_size(size)
    assert overflow <= 0, f"{where} scrolls sideways at 320 px ({overflow} px too wide)"
    allowed = set(allow)
    lang = page.evaluate("() => document.documentElement.lang")
    if lang.startswith("en"):
        found = [f"German text: {text!r}" for text in german_on_english_page(page, allowed)]
        assert not found, f"{where} shows German text on an English page:\n  " + "\n  ".join(found)
        return
    if not lang.startswith("de"):
        return
    leftovers, codes = english_leftovers(), raw_codes() - GERMAN_WORDS
    found = []
    for text in page.evaluate(_VISIBLE_TEXTS_JS):
        if text in allowed:
            continue
        if text in leftovers:
            found.append(f"English text: {text!r}")
            continue
        raw = sorted(set(_CODE_WORD.findall(text)) & codes)
        if raw:
            found.append(f"raw code {', '.join(raw)} in {text!r}")
    assert not found, f"{where} shows untranslated text:\n  " + "\n  ".join(found)

