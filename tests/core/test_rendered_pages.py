"""Every page of the populated demo, staff and public, German and English, shows dates, times
and percentages in the one format of its language: no seconds, no two-digit years, no ISO
dates in the visible text (attributes such as ``<time datetime>`` may keep ISO), no US
AM/PM times. CSV exports are read the same way. German pages show no stored codes (statuses,
audit actions, the committed number source) where words belong."""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa

from tests.factories.lottery import deadline_text

SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
#: (WCAG success criteria such as "WCAG 1.4.10" are numbers, not dates.)
TWO_DIGIT_YEAR = re.compile(r"(?<!WCAG )\b\d{1,2}[./]\d{1,2}[./]\d{2}(?![\d])")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
AM_PM = re.compile(r"\b\d{1,2}(:\d{2})?\s?[AP]M\b")
SPACE_BEFORE_ENGLISH_PERCENT = re.compile(r"\d %")

#: Not followed: other formats, live streams, and links that change state or language.
SKIP = re.compile(r"(/logout|/language|/stream|\.pdf$|\.xlsx$|\.json$|\.ics$|/attachments/|/badges)")
MAX_PAGES = 220
#: Pages that name codes on purpose: the measure import accepts the English status codes too.
CODES_ALLOWED = re.compile(r"/measures/import$")


class _Text(HTMLParser):
    """The visible text of a page: text nodes outside script and style."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _raw_codes() -> re.Pattern:
    """Stored codes that must never show on a German page: every registered status code (but
    ``online``, which is German too) and every audit action code."""
    from app.audit.display import ACTION_LABELS
    from app.core.labels import _REGISTRY

    codes = {code for name, table in _REGISTRY.items() if not name.startswith("test_") for code in table}
    codes -= {"online"}
    words = "|".join(sorted((re.escape(c) for c in codes | set(ACTION_LABELS)), key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])({words})(?![\w-])|\b(public|server): ")


def _problems(text: str, language: str, codes: bool = True) -> list[str]:
    found = []
    if language == "de" and codes:
        found += [f"raw code {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
                  for m in _raw_codes().finditer(text)]
    for name, pattern in (("seconds", SECONDS), ("two-digit year", TWO_DIGIT_YEAR), ("ISO date", ISO_DATE),
                          ("AM/PM", AM_PM)):
        found += [f"{name}: {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
                  for m in pattern.finditer(text)]
    if language == "en":
        found += [f"'12 %' in English: …{text[max(0, m.start() - 40):m.end() + 10]!r}…"
                  for m in SPACE_BEFORE_ENGLISH_PERCENT.finditer(text)]
    return found


def _crawl(client, seeds: list[str], language: str) -> tuple[int, dict[str, list[str]]]:
    queue, seen, problems = deque(seeds), set(seeds), {}
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        visited += 1
        kind = response.mimetype
        body = response.get_data(as_text=True) if kind in ("text/html", "text/csv") else ""
        if kind == "text/csv":
            text = body
        elif kind == "text/html":
            parser = _Text()
            parser.feed(body)
            text = " ".join(parser.parts)
            for href in parser.links:
                target = urlsplit(urljoin(url, href))
                if target.netloc not in ("", "localhost") or target.scheme not in ("", "http"):
                    continue
                path = target.path + (f"?{target.query}" if target.query else "")
                if path not in seen and not SKIP.search(target.path) and "page=" not in target.query:
                    seen.add(path)
                    queue.append(path)
        else:
            continue
        found = _problems(re.sub(r"\s+", " ", text), language, codes=not CODES_ALLOWED.search(url))
        if found:
            problems[url] = found
    return visited, problems


@pytest.fixture
def lottery_events(app, admin, lottery_event):
    """Two drawn lotteries beside the demo: one with a public number and a declined seat given to
    the waiting list (applications of several statuses), one whose number the server draws."""
    from app.extensions import db
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryDraw, LotteryEntry

    public = lottery_event(seats=2, count=5)
    admin.submit(f"/manage/events/{public.event_id}/lottery/commit",
                 {"number_source": "public", "description": "Drei Zehnerwürfel im Gemeinderat"})
    admin.submit(f"/manage/events/{public.event_id}/lottery/draw", {"number": "17", "deadline": deadline_text()})
    with app.test_request_context():
        seated = db.session.execute(
            sa.select(LotteryEntry).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
            .where(LotteryDraw.event_id == public.event_id, LotteryEntry.seat_since.is_not(None))
            .order_by(LotteryEntry.id)).scalars().all()
        assert respond_to_seat(seated[0], True) == "confirmed"
        assert respond_to_seat(seated[1], False) == "declined"
        db.session.commit()
    server = lottery_event(seats=1, count=3)
    admin.submit(f"/manage/events/{server.event_id}/lottery/commit", {"number_source": "server"})
    return public.event_id, server.event_id


def _lottery_seeds(event_ids, staff: bool) -> list[str]:
    if staff:
        return [url for e in event_ids for url in (f"/manage/events/{e}", f"/manage/events/{e}/lottery",
                                                  f"/manage/events/{e}/applications")]
    return [f"/events/{e}/lottery" for e in event_ids]


@pytest.mark.parametrize("language", ["de", "en"])
def test_staff_pages_of_the_demo_show_dates_in_one_format(demo, lottery_events, admin, language):
    client = admin
    client.submit("/language", {"lang": language})
    event, process = demo.event_id, demo.process_id
    seeds = ["/", "/manage/processes", "/manage/applications", f"/manage/events/{event}",
             f"/manage/events/{event}/lottery", f"/manage/events/{event}/applications",
             f"/manage/events/{event}/applications.csv", "/manage/audit", f"/manage/results/processes/{process}",
             f"/manage/processes/{process}/measures", f"/manage/events/{event}/voting", "/manage/outbox",
             *_lottery_seeds(lottery_events, staff=True)]
    visited, problems = _crawl(client, seeds, language)
    assert visited > 40
    assert not problems, "\n".join(f"{url}: {p}" for url, found in problems.items() for p in found)


@pytest.mark.parametrize("language", ["de", "en"])
def test_public_pages_of_the_demo_show_dates_in_one_format(demo, lottery_events, client, language):
    client.submit("/language", {"lang": language})
    event, process = demo.event_id, demo.process_id
    seeds = ["/", "/events", f"/events/{event}", f"/events/{event}/lottery", f"/events/{event}/results",
             f"/processes/{process}", f"/processes/{process}/results", f"/processes/{process}/outcome",
             "/privacy", "/accessibility", *_lottery_seeds(lottery_events, staff=False)]
    visited, problems = _crawl(client, seeds, language)
    assert visited > 10
    assert not problems, "\n".join(f"{url}: {p}" for url, found in problems.items() for p in found)
