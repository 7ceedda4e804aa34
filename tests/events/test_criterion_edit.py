"""The criteria editor: save, open again, save unchanged; and edit with a change.

Each option must appear once when a saved criterion is opened again (it once appeared
twice, and saving unchanged then failed with "two answers have the short name …").
"""
from __future__ import annotations

import sqlalchemy as sa

from app.events.models import Criterion
from app.extensions import db
from tests.security.forms import find_forms

NEW_CRITERION = {
    "label": "Altersgruppe", "key": "age",
    "options-0-label": "16 bis 29", "options-0-value": "", "options-0-min_seats": "2",
    "options-0-max_seats": "5", "options-0-population_percent": "20,5",
    "options-1-label": "30 bis 64", "options-1-value": "", "options-1-min_seats": "5",
    "options-1-max_seats": "", "options-1-population_percent": "55",
    "options-2-label": "65+", "options-2-value": "", "options-2-min_seats": "2",
    "options-2-max_seats": "8", "options-2-population_percent": "",
}


def _stored(app):
    with app.app_context():
        criterion = db.session.execute(sa.select(Criterion)).scalar_one()
        return criterion.id, criterion.label, [
            (o.label, o.value, o.min_seats, o.max_seats, o.population_share) for o in criterion.options]


def _editor_form(client, criterion_id):
    url = f"/manage/criteria/{criterion_id}"
    [form] = [f for f in find_forms(client.get(url).get_data(as_text=True), url) if f.action == url]
    return form


def _option_labels(form) -> list[str]:
    return [f.value for f in form.fields if f.name.startswith("options-") and f.name.endswith("-label") and f.value]


def test_save_then_edit_and_save_unchanged(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    response = client.submit(f"/manage/events/{event_id}/criteria/new", NEW_CRITERION)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    criterion_id, _, saved = _stored(app)

    form = _editor_form(client, criterion_id)
    assert _option_labels(form) == ["16 bis 29", "30 bis 64", "65+"]
    # Saved as the page shows it (the browser sends every field, empty rows too).
    response = client.post(form.action, data=form.defaults())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert _stored(app) == (criterion_id, "Altersgruppe", saved)
    assert _option_labels(_editor_form(client, criterion_id)) == ["16 bis 29", "30 bis 64", "65+"]


def test_edit_with_a_change(app, staff_client, create_event):
    client = staff_client("admin")
    event_id = create_event().id
    client.submit(f"/manage/events/{event_id}/criteria/new", NEW_CRITERION)
    criterion_id, _, _ = _stored(app)

    form = _editor_form(client, criterion_id)
    data = form.defaults()
    data["label"] = ["Alter"]
    data["options-2-label"] = ["65 und älter"]
    data["options-3-label"] = ["unter 16"]  # the first empty row
    data["options-3-min_seats"] = ["0"]
    response = client.post(form.action, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    _, label, options = _stored(app)
    assert label == "Alter"
    assert [o[0] for o in options] == ["16 bis 29", "30 bis 64", "65 und älter", "unter 16"]
    assert _option_labels(_editor_form(client, criterion_id)) == [
        "16 bis 29", "30 bis 64", "65 und älter", "unter 16"]
