"""Stored codes read as words: one label table per closed set of codes (app.core.labels)."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.core.labels import Labels, label, labels_for, register_labels


def test_labels_translate_and_fall_back_to_the_code(app):
    colours = Labels({"open": _l("Open"), "closed": _l("Closed")})
    with app.test_request_context(), force_locale("de"):
        assert colours("closed") == "Geschlossen"
        assert colours("unknown") == "unknown"
        assert colours(None) == "–"
        assert colours.choices(("open",)) == [("open", str(_l("Open")))]


def test_registered_sets_are_found_by_table_and_column(app):
    with app.test_request_context(), force_locale("de"):
        held = str(labels_for("event.status")["held"])
        assert held not in ("held", "Held") and label("held", "event.status") == held
        assert label("declined", "application.status") == str(labels_for("application.status")["declined"])
        assert label("x", "nothing.here") == "x"
        assert render_template_string('{{ "held"|label("event.status") }}') == held
    with app.test_request_context(), force_locale("en"):
        assert render_template_string('{{ "held"|label("event.status") }}') == "Held"


def test_every_status_the_database_allows_has_a_label(app):
    from app.events.models import APPLICATION_STATUSES, EVENT_STATUSES
    from app.ideas.models import IDEA_STATUSES
    from app.lottery.models import DRAW_STATES
    from app.measures.models import MEASURE_STATUSES

    for name, codes in (("event.status", EVENT_STATUSES), ("application.status", APPLICATION_STATUSES),
                        ("idea.status", IDEA_STATUSES), ("lottery_draw.state", DRAW_STATES),
                        ("measure.status", MEASURE_STATUSES),
                        ("lottery_entry.release_reason", ("declined", "expired", "withdrawn")),
                        ("application.source", ("online", "phone", "paper"))):
        assert set(codes) <= set(labels_for(name)), name


def test_register_returns_the_callable_table():
    table = register_labels("test_table.kind", {"a": "A"})
    assert labels_for("test_table.kind") is table and table("a") == "A"
