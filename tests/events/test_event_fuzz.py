"""Bad input on the staff forms: a clear answer, never a 500, nothing stored when refused."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from app.events.models import Criterion, CriterionOption, Event
from app.extensions import db

NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "", " ", "\x00", "abc\x00def", "x" * 100_000, "9" * 5000, "-1", "1e9", "NaN", "inf", "-0",
        "99999999999999999999", "🙂🎉👩‍👩‍👧", "\u202eevil\u202c", "مرحبا بالعالم", "שלום", "0x10", "3,5", "12.5",
        "2030-02-30T10:00", "2030-04-01T18:00", "10000-01-01T00:00", "0001-01-01T00:00", "<script>alert(1)</script>",
        "abc", "15", "0",
    ]),
)

EVENT_FIELDS = ["title", "description", "place", "starts_at", "ends_at", "seats", "applications_open_at",
                "applications_close_at", "stakeholder_group", "consent_text", "retention_days"]
OPTION_FIELDS = ["label", "value", "min_seats", "max_seats", "population_percent"]


def table_digest(app, *models) -> str:
    with app.app_context():
        rows = [db.session.execute(sa.select(m).order_by(m.id)).scalars().all() for m in models]
        return hashlib.sha256(repr([[vars_of(r) for r in group] for group in rows]).encode()).hexdigest()


def vars_of(row) -> dict:
    return {k: v for k, v in vars(row).items() if not k.startswith("_")}


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


@pytest.fixture
def process_id(create_process):
    return create_process().id


def refused_with_a_message(response) -> bool:
    page = response.get_data(as_text=True)
    return 'id="error-summary"' in page or "flash-error" in page


@given(data=st.fixed_dictionaries({}, optional={name: NASTY for name in EVENT_FIELDS}))
def test_event_form_fuzz(app, admin, process_id, data):
    before = table_digest(app, Event)
    response = admin.submit(f"/manage/processes/{process_id}/events/new", data)
    assert response.status_code in (200, 302, 422), response.status_code
    if response.status_code != 302:
        assert table_digest(app, Event) == before
        assert refused_with_a_message(response)
    else:
        with app.app_context():
            event = db.session.execute(sa.select(Event).order_by(Event.id.desc())).scalars().first()
            assert "\x00" not in event.title + event.description + event.place + event.consent_text
            assert len(event.title) <= 200 and 0 <= event.seats <= 10_000


@given(data=st.fixed_dictionaries({}, optional={name: NASTY for name in EVENT_FIELDS}))
def test_event_edit_fuzz(app, admin, create_event, data):
    event_id = create_event().id
    before = table_digest(app, Event)
    response = admin.submit(f"/manage/events/{event_id}/edit", data)
    assert response.status_code in (200, 302, 422), response.status_code
    if response.status_code != 302:
        assert table_digest(app, Event) == before
        assert refused_with_a_message(response)


@given(
    head=st.fixed_dictionaries({}, optional={"label": NASTY, "key": NASTY}),
    options=st.lists(st.fixed_dictionaries({}, optional={name: NASTY for name in OPTION_FIELDS}), max_size=4),
    index_shift=st.sampled_from([0, 7, 99999]),
)
def test_criterion_form_fuzz(app, admin, create_event, head, options, index_shift):
    event_id = create_event(seats=15).id
    data = dict(head)
    for i, row in enumerate(options):
        for name, value in row.items():
            data[f"options-{i + index_shift}-{name}"] = value
    before = table_digest(app, Criterion, CriterionOption)
    response = admin.submit(f"/manage/events/{event_id}/criteria/new", data)
    assert response.status_code in (200, 302, 422), response.status_code
    if response.status_code != 302:
        assert table_digest(app, Criterion, CriterionOption) == before
        assert refused_with_a_message(response)
    else:
        with app.app_context():
            criterion = db.session.execute(
                sa.select(Criterion).where(Criterion.event_id == event_id)).scalar_one()
            assert len(criterion.options) >= 2
            assert sum(o.min_seats for o in criterion.options) <= 15


@pytest.mark.parametrize("field, value", [
    ("seats", "abc"), ("seats", "-3"), ("seats", "1" * 50), ("retention_days", "ninety"),
    ("starts_at", "gestern"), ("starts_at", "\x00"), ("title", "x" * 100_000), ("title", "\x00\x00"),
    ("description", "y" * 100_000), ("applications_open_at", "2030-13-01T10:00"),
])
def test_each_bad_event_field_is_named(app, admin, process_id, field, value):
    data = {"title": "Workshop", "seats": "15", "retention_days": "90", field: value}
    response = admin.submit(f"/manage/processes/{process_id}/events/new", data)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.get_data(as_text=True)  # the error summary links to the field
    with app.app_context():
        assert db.session.execute(sa.select(Event)).first() is None
