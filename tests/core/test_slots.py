"""Slots (app/core/slots.py): the one way a feature adds its part to another feature's page."""
from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader, TemplateNotFound

from app.core.slots import register_slot


def test_a_slot_renders_its_parts_in_order_with_the_pages_context(app):
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "test/second.html": "<b>{{ title }}</b>", "test/first.html": "<i>{{ title }}</i>"}), app.jinja_env.loader])
    register_slot(app, "test_slot", "test/second.html", order=20)
    register_slot(app, "test_slot", "test/first.html", order=10)
    register_slot(app, "test_slot", "test/first.html", order=10)  # registered twice: shown once
    with app.test_request_context():
        page = app.jinja_env.from_string('{{ slot("test_slot") }}|{{ slot("nobody_fills_this") }}')
        assert page.render(title="<script>") == "<i>&lt;script&gt;</i><b>&lt;script&gt;</b>|"


def test_a_misspelt_part_fails_instead_of_vanishing(app):
    register_slot(app, "test_typo", "test/no_such_part.html")
    with app.test_request_context(), pytest.raises(TemplateNotFound):
        app.jinja_env.from_string('{{ slot("test_typo") }}').render()


def test_every_page_slot_is_filled_by_its_features(app):
    """The events pages' slots get the parts of results, lottery, measures, participation,
    invitations and privacy, in the order the pages showed them before."""
    slots = app.extensions["ideenmarkt_slots"]
    assert [t for _o, t in slots["process_public_links"]] == [
        "results/_process_public_link.html", "measures/_process_public_link.html",
        "participation/lists/_process_link.html", "participation/_process_link.html"]
    assert [t for _o, t in slots["event_manage_links"]] == [
        "lottery/_event_manage_link.html", "participation/_event_manage_link.html",
        "invitations/_event_manage_link.html"]
    assert {"event_public_links", "process_manage_links", "event_overview_links", "application_seat",
            "application_own_data", "privacy_notice"} <= set(slots)
