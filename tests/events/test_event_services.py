"""Services of processes, events and criteria: every status transition, edits, quotas."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.events import services
from app.events.models import Criterion, Event, EventStatus, Process
from app.events.services import EventData, EventError, OptionData

NOW = datetime(2030, 5, 1, 12, 0)
#: The day of the event (``ready_data``'s start): from then on it can be marked as held.
EVENT_DAY = NOW + timedelta(days=30, hours=1)


def count(db, model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def ready_data(**overrides) -> EventData:
    """Event data that may open at NOW."""
    fields = dict(
        title="Bürger-Workshop", place="Altes Rathaus", seats=15,
        starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=30, hours=3),
        applications_open_at=NOW - timedelta(days=1), applications_close_at=NOW + timedelta(days=14),
    )
    fields.update(overrides)
    return EventData(**fields)


@pytest.fixture
def process(db):
    return services.create_process("Esslingen 4.0", "Beschreibung", "Bürgerschaft\n\nWirtschaft\nBürgerschaft\n")


def make_event(process, status: str = "draft", **overrides) -> Event:
    event = services.create_event(process, ready_data(**overrides))
    event.status = status
    return event


# ------------------------------------------------------------------ processes


def test_create_process_cleans_stakeholder_groups(process):
    assert process.id is not None
    assert process.stakeholder_group_list == ["Bürgerschaft", "Wirtschaft"]


def test_process_needs_a_title(db):
    with pytest.raises(EventError) as info:
        services.create_process(" \x00 ")
    assert info.value.code == "title_missing"
    assert count(db, Process) == 0


def test_update_process(process):
    services.update_process(process, "Esslingen 5.0", "", "Hochschule")
    assert (process.title, process.stakeholder_group_list) == ("Esslingen 5.0", ["Hochschule"])


# ------------------------------------------------------------------ events


def test_create_event_is_a_draft_and_cleans_text(process):
    event = services.create_event(process, ready_data(title="  Workshop\x00 ", description="a\r\nb\x00"))
    assert event.status == EventStatus.DRAFT.value
    assert event.title == "Workshop"
    assert event.description == "a\nb"


@pytest.mark.parametrize("overrides, code", [
    ({"title": ""}, "title_missing"),
    ({"seats": -1}, "seats_range"),
    ({"seats": 10**9}, "seats_range"),
    ({"retention_days": -5}, "retention_range"),
    ({"ends_at": NOW + timedelta(days=29)}, "end_before_start"),
    ({"starts_at": None}, "start_missing"),
    ({"applications_close_at": NOW - timedelta(days=1)}, "window_order"),
    ({"applications_close_at": NOW + timedelta(days=31)}, "window_after_start"),
])
def test_create_event_refuses_inconsistent_data(db, process, overrides, code):
    with pytest.raises(EventError) as info:
        services.create_event(process, ready_data(**overrides))
    assert info.value.code == code
    db.session.rollback()
    assert count(db, Event) == 0


def test_seats_and_window_locked_after_draw(process):
    event = make_event(process, "drawn")
    with pytest.raises(EventError) as info:
        services.update_event(event, ready_data(seats=20))
    assert info.value.code == "locked_after_draw"
    services.update_event(event, ready_data(title="Neuer Titel"))
    assert event.title == "Neuer Titel"


def test_open_event_must_stay_openable(process):
    event = make_event(process, "open")
    with pytest.raises(EventError) as info:
        services.update_event(event, ready_data(seats=0))
    assert info.value.code == "cannot_stay_open"


def test_reducing_seats_below_the_quotas_names_the_criterion(process):
    event = make_event(process)
    services.save_criterion(event, "Altersgruppe", "age", [OptionData("jung", min_seats=8), OptionData("alt", min_seats=7)])
    with pytest.raises(EventError) as info:
        services.update_event(event, ready_data(seats=10))
    assert info.value.code == "min_sum_above_seats"
    assert "Altersgruppe" in str(info.value.message)


# ------------------------------------------------------------------ status transitions


def test_the_whole_lifecycle(process):
    event = make_event(process)
    services.change_status(event, "open", now=NOW)
    assert event.status == "open"
    services.change_status(event, "close", now=NOW)
    assert event.status == "closed"
    services.change_status(event, "open", now=NOW)  # reopen before the draw
    assert event.status == "open"
    services.change_status(event, "close", now=NOW)
    services.mark_drawn(event)
    assert event.status == "drawn"
    services.change_status(event, "mark_held", now=EVENT_DAY)
    assert event.status == "held"
    services.change_status(event, "publish", now=NOW)
    assert event.status == "published"


ALLOWED = {
    ("draft", "open"), ("closed", "open"), ("open", "close"), ("open", "to_draft"),
    ("drawn", "mark_held"), ("held", "publish"),
}


@pytest.mark.parametrize("status", [s.value for s in EventStatus])
@pytest.mark.parametrize("action", sorted(services.TRANSITIONS))
def test_transition_matrix(process, status, action):
    """Every (status, action) pair: allowed ones move, all others are refused and change nothing."""
    event = make_event(process, status)
    now = EVENT_DAY if action == "mark_held" else NOW
    if (status, action) in ALLOWED:
        services.change_status(event, action, now=now)
        assert event.status == services.TRANSITIONS[action][1]
    else:
        with pytest.raises(EventError) as info:
            services.change_status(event, action, now=now)
        # draft → held exists only for events without seats; this event has 15.
        expected = "held_needs_no_seats" if (status, action) == ("draft", "mark_held") else "transition_not_allowed"
        assert info.value.code == expected
        assert event.status == status


def test_unknown_action_is_refused(process):
    event = make_event(process)
    with pytest.raises(EventError) as info:
        services.change_status(event, "explode")
    assert info.value.code == "unknown_action"


@pytest.mark.parametrize("overrides, code", [
    ({"seats": 0}, "no_seats"),
    ({"applications_open_at": None}, "no_window"),
    ({"applications_close_at": None}, "no_window"),
    ({"applications_open_at": NOW - timedelta(days=20), "applications_close_at": NOW - timedelta(days=2)},
     "window_over"),
])
def test_cannot_open_without_seats_or_window(process, overrides, code):
    event = make_event(process)
    for name, value in overrides.items():
        setattr(event, name, value)
    with pytest.raises(EventError) as info:
        services.change_status(event, "open", now=NOW)
    assert info.value.code == code
    assert event.status == "draft"


def test_window_closing_before_opening_cannot_open(process):
    event = make_event(process)
    event.applications_close_at = event.applications_open_at - timedelta(hours=1)
    with pytest.raises(EventError) as info:
        services.change_status(event, "open", now=NOW)
    assert info.value.code == "window_order"


def test_drawn_event_cannot_reopen(process):
    event = make_event(process, "closed")
    services.mark_drawn(event)
    with pytest.raises(EventError) as info:
        services.change_status(event, "open", now=NOW)
    assert info.value.code == "transition_not_allowed"
    assert event.status == "drawn"


@pytest.mark.parametrize("status", ["draft", "open", "drawn", "held", "published"])
def test_mark_drawn_only_from_closed(process, status):
    event = make_event(process, status)
    with pytest.raises(EventError) as info:
        services.mark_drawn(event)
    assert info.value.code == "transition_not_allowed"
    assert event.status == status


def test_back_to_draft_only_without_applications(process, db):
    from app.events.models import Application

    event = make_event(process, "open")
    db.session.add(Application(event=event, name="A", email="a@example.org", token_hash="x" * 64))
    db.session.flush()
    with pytest.raises(EventError) as info:
        services.change_status(event, "to_draft", now=NOW)
    assert info.value.code == "has_applications"


def test_invitation_only_event_goes_from_draft_to_held(process):
    event = make_event(process, seats=0, applications_open_at=None, applications_close_at=None)
    assert services.available_actions(event) == ["open", "mark_held"]
    services.change_status(event, "mark_held", now=EVENT_DAY)
    assert event.status == "held"


def test_an_event_is_held_only_once_it_has_begun(process, db):
    """Issue 24, defect 14: "held" ends the seat answers and leads to the results; not before the date."""
    for status, seats in (("drawn", 15), ("draft", 0)):
        event = make_event(process, status, seats=seats)
        with pytest.raises(EventError) as info:
            services.change_status(event, "mark_held", now=NOW)
        assert info.value.code == "not_yet_held" and event.status == status
        assert "noch nicht begonnen" in str(info.value.message)
        services.change_status(event, "mark_held", now=event.starts_at)  # from its start on
        assert event.status == "held"
    # Without a date nothing can be checked: the admin decides.
    undated = make_event(process, "drawn", starts_at=None, ends_at=None)
    services.change_status(undated, "mark_held", now=NOW)
    assert undated.status == "held"


def test_available_actions_follow_the_status(process):
    event = make_event(process)
    assert services.available_actions(event) == ["open"]
    event.status = "open"
    assert services.available_actions(event) == ["close", "to_draft"]
    event.status = "closed"
    assert services.available_actions(event) == ["open"]
    event.status = "drawn"
    assert services.available_actions(event) == ["mark_held"]


def test_opening_checks_the_criteria_against_the_seats(process, db):
    event = make_event(process, seats=20)
    services.save_criterion(event, "Altersgruppe", "age", [OptionData("jung", min_seats=10), OptionData("alt", min_seats=10)])
    event.seats = 15  # as if changed behind the service's back
    with pytest.raises(EventError) as info:
        services.change_status(event, "open", now=NOW)
    assert info.value.code == "min_sum_above_seats"


def test_window_state(process):
    event = make_event(process, "open")
    assert services.window_state(event, NOW) == "open"
    assert services.window_state(event, NOW - timedelta(days=2)) == "not_yet"
    assert services.window_state(event, NOW + timedelta(days=15)) == "closed"
    event.status = "closed"
    assert services.window_state(event, NOW) == "closed"


# ------------------------------------------------------------------ criteria


def options(*rows):
    return [OptionData(label, min_seats=minimum, max_seats=maximum, population_percent=share)
            for label, minimum, maximum, share in rows]


def test_save_criterion_stores_options_and_shares(process):
    event = make_event(process)
    criterion = services.save_criterion(event, "Altersgruppe", "", options(
        ("16 bis 29", 2, 5, 20), ("30 bis 64", 5, 10, 55.5), ("65 und älter", 2, None, None), ("", 0, None, None)))
    assert criterion.key == "altersgruppe"
    assert [o.value for o in criterion.options] == ["16-bis-29", "30-bis-64", "65-und-alter"]
    assert [o.population_share for o in criterion.options] == [0.2, 0.555, None]
    assert criterion.options[2].max_seats is None


def test_editing_keeps_option_ids_by_value(process):
    event = make_event(process)
    criterion = services.save_criterion(event, "Geschlecht", "gender", options(("w", 0, None, None), ("m", 0, None, None)))
    ids = {o.value: o.id for o in criterion.options}
    services.save_criterion(event, "Geschlecht", "gender",
                            options(("m", 1, None, None), ("w", 1, None, None), ("d", 0, 2, None)), criterion=criterion)
    assert {o.value: o.id for o in criterion.options if o.value in ids} == ids
    assert [o.value for o in criterion.options] == ["m", "w", "d"]


@pytest.mark.parametrize("rows, code", [
    ((("a", 10, None, None), ("b", 6, None, None)), "min_sum_above_seats"),
    ((("a", 0, 5, None), ("b", 0, 5, None)), "max_sum_below_seats"),
    ((("a", 6, 4, None), ("b", 0, None, None)), "min_above_max"),
    ((("a", 0, None, 60), ("b", 0, None, 50)), "shares_above_100"),
    ((("a", 0, None, None),), "too_few_options"),
    ((("a", 0, None, None), ("a", 0, None, None)), "value_taken"),
    ((("a", 0, None, 101), ("b", 0, None, None)), "option_invalid"),
    ((("a", 0, None, float("nan")), ("b", 0, None, None)), "option_invalid"),
    ((("a", -1, None, None), ("b", 0, None, None)), "option_invalid"),
])
def test_unsatisfiable_criteria_are_refused_naming_the_criterion(db, process, rows, code):
    event = make_event(process)
    with pytest.raises(EventError) as info:
        services.save_criterion(event, "Stadtteil", "district", options(*rows))
    assert info.value.code == code
    assert "Stadtteil" in str(info.value.message)
    db.session.rollback()
    assert count(db, Criterion) == 0


def test_none_maximum_counts_as_all_seats(process):
    event = make_event(process)
    services.save_criterion(event, "Stadtteil", "district", options(("a", 0, 3, None), ("b", 0, None, None)))


def test_shares_of_exactly_100_percent_are_fine(process):
    event = make_event(process)
    services.save_criterion(event, "Geschlecht", "g", options(("w", 0, None, 50.5), ("m", 0, None, 49.5)))


def test_key_must_be_unique_and_well_formed(process):
    event = make_event(process)
    services.save_criterion(event, "Alter", "age", options(("a", 0, None, None), ("b", 0, None, None)))
    with pytest.raises(EventError) as info:
        services.save_criterion(event, "Alter 2", "age", options(("a", 0, None, None), ("b", 0, None, None)))
    assert info.value.code == "key_taken"
    with pytest.raises(EventError) as info:
        services.save_criterion(event, "Alter 3", "Ä ß!", options(("a", 0, None, None), ("b", 0, None, None)))
    assert info.value.code == "key_invalid"


@pytest.mark.parametrize("status", ["closed", "drawn", "held", "published"])
def test_criteria_locked_after_the_applications(process, status):
    event = make_event(process)
    criterion = services.save_criterion(event, "Alter", "age", options(("a", 0, None, None), ("b", 0, None, None)))
    event.status = status
    assert services.criteria_locked_reason(event) is not None
    for call in (lambda: services.save_criterion(event, "Neu", "new", options(("a", 0, None, None), ("b", 0, None, None))),
                 lambda: services.delete_criterion(criterion)):
        with pytest.raises(EventError) as info:
            call()
        assert info.value.code == "criteria_locked"


def test_criteria_locked_once_anybody_applied(process, db):
    from app.events.models import Application

    event = make_event(process, "open")
    services.save_criterion(event, "Alter", "age", options(("a", 0, None, None), ("b", 0, None, None)))
    db.session.add(Application(event=event, name="A", email="a@example.org", token_hash="y" * 64))
    db.session.flush()
    with pytest.raises(EventError) as info:
        services.save_criterion(event, "Neu", "new", options(("a", 0, None, None), ("b", 0, None, None)))
    assert info.value.code == "criteria_locked"


def test_delete_criterion_renumbers(process):
    event = make_event(process)
    first = services.save_criterion(event, "A", "a", options(("x", 0, None, None), ("y", 0, None, None)))
    services.save_criterion(event, "B", "b", options(("x", 0, None, None), ("y", 0, None, None)))
    services.delete_criterion(first)
    assert [(c.key, c.position) for c in event.criteria] == [("b", 1)]


def test_demo_quotas_pass_the_checks(db):
    from app.demo import load_demo

    load_demo()
    load_demo()  # idempotent: no second set of criteria
    workshop = db.session.execute(sa.select(Event).where(Event.seats == 15)).scalar_one()
    assert [c.key for c in workshop.criteria] == ["alter", "geschlecht", "stadtteil"]
    services.check_criteria_fit(workshop.criteria, workshop.seats)
