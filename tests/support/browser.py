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
