"""The audit page in words: actions, objects and fields by name, values readable (no JSON
escapes, dates in the visitor's format, status codes by their label)."""
from __future__ import annotations

import ast
import re
from datetime import date, datetime
from pathlib import Path

from flask_babel import force_locale

from app.audit import display
from app.audit.services import log_action
from app.events.services import EVENT_STATUS_LABELS
from app.measures.base import STATUS_LABELS as MEASURE_STATUS_LABELS

APP = Path(__file__).resolve().parents[2] / "app"


def _logged_actions() -> set[str]:
    """Every action code the application passes to ``log_action`` (literal or assigned)."""
    codes: set[str] = set()
    for source in APP.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        codes |= set(re.findall(r'log_action\(\s*"([a-z_]+\.[a-z_]+)"', text))
        for pair in re.findall(r'action = "([a-z_]+\.[a-z_]+)" if .* else "([a-z_]+\.[a-z_]+)"', text):
            codes |= set(pair)
    return codes


def test_every_logged_action_has_a_label():
    codes = _logged_actions()
    assert {"event.edit", "lottery.draw", "criterion.create", "stand.edit"} <= codes
    assert sorted(codes - set(display.ACTION_LABELS)) == []


def test_every_literal_field_of_a_logged_change_has_a_label():
    keys: set[str] = set()
    for source in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "log_action":
                for keyword in node.keywords:
                    if keyword.arg in ("before", "after"):
                        keys |= {k.value for d in ast.walk(keyword.value) if isinstance(d, ast.Dict)
                                 for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    assert {"admitted", "waiting_list", "status"} <= keys
    assert sorted(keys - set(display.FIELD_LABELS)) == []


def test_values_read_as_words_and_local_dates(app):
    with app.test_request_context(), force_locale("de"):
        assert display.value_text(None) == "–"
        assert display.value_text(True) == "ja"
        assert display.value_text("2019-07-22") == "22.07.2019"
        assert display.value_text("2019-04-01T16:00:00") == "01.04.2019, 18:00"
        assert display.value_text(datetime(2019, 4, 1, 16, 0)) == "01.04.2019, 18:00"
        assert display.value_text(date(2019, 4, 1)) == "01.04.2019"
        assert display.value_text(["Bürgerportal", 3]) == "Bürgerportal, 3"
        assert display.value_text({"deleted": 2}) == "deleted: 2"
        held = str(EVENT_STATUS_LABELS["held"])
        assert held != "held" and display.change_text("held", "event", "status") == held
        assert display.change_text("adopted", "measure", "status") == str(MEASURE_STATUS_LABELS["adopted"])
        assert display.change_text("held", "stand", "title") == "held"  # a title is not a code
    with app.test_request_context(), force_locale("en"):
        assert display.value_text("2019-04-01T16:00:00") == "01/04/2019, 18:00"
        assert display.change_text("held", "event", "status") == "Held"


def test_audit_page_shows_words_not_codes(app, db, staff_client, create_event):
    event = create_event(title="Bürgerwerkstatt")
    log_action("event.status", event, before={"status": "drawn", "title": "Zukunftswerkstatt"},
               after={"status": "held", "title": "Bürgerwerkstatt", "starts_at": datetime(2019, 4, 1, 16, 0)})
    db.session.commit()
    page = staff_client("admin").get("/manage/audit").get_data(as_text=True)
    with app.test_request_context(), force_locale("de"):
        action, drawn, held = (str(display.ACTION_LABELS["event.status"]), str(EVENT_STATUS_LABELS["drawn"]),
                               str(EVENT_STATUS_LABELS["held"]))
    assert action in page and "event.status" not in page.split("<tbody>")[1]
    assert f"{drawn} → {held}" in page
    assert "Zukunftswerkstatt → Bürgerwerkstatt" in page and "\\u00fc" not in page
    assert "<dt>Titel</dt>" in page and "<dt>Start</dt>" in page
    assert "– → 01.04.2019, 18:00" in page
    assert re.search(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}</td>", page)  # when, without seconds
    assert not re.search(r"\d{2}:\d{2}:\d{2}", page)


def test_content_values_are_marked_with_the_content_language(app, db, staff_client, create_event):
    """Issue 16 item 6: on the English page, a changed title, text or tags (content people wrote, in
    German) is marked lang="de"; a status label, a date and a number are not. The German page marks nothing."""
    event = create_event(title="Bürgerwerkstatt")
    log_action("event.status", event, before={"status": "drawn", "title": "Zukunftswerkstatt", "seats": 20},
               after={"status": "held", "title": "Bürgerwerkstatt", "seats": 30, "tags": ["Radweg", "Grünfläche"]})
    db.session.commit()
    admin = staff_client("admin")
    german = admin.get("/manage/audit").get_data(as_text=True)
    assert "Zukunftswerkstatt → Bürgerwerkstatt" in german and 'lang="de"' not in german.split("<tbody>")[1]
    admin.submit("/language", {"lang": "en", "next": "/manage/audit"})
    english = admin.get("/manage/audit").get_data(as_text=True)
    assert '<span lang="de">Zukunftswerkstatt</span> → <span lang="de">Bürgerwerkstatt</span>' in english
    assert '– → <span lang="de">Radweg, Grünfläche</span>' in english
    assert "Seats drawn → Held" in english and "20 → 30" in english
