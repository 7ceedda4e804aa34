"""Public pages: process list, process page, event page, calendar file, start page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from app.core.models import utcnow


@pytest.fixture
def public_event(create_event, create_process):
    def factory(**kwargs):
        fields = {"status": "published", "starts_at": datetime(2019, 4, 1, 16, 0), "ends_at": datetime(2019, 4, 1, 19, 0),
                  "place": "Altes Rathaus, Bürgersaal", "description": "**Fett** <script>alert(1)</script>"}
        fields.update(kwargs)
        return create_event(**fields).id
    return factory


def test_draft_event_is_404_everywhere_public(client, create_event):
    event_id = create_event(status="draft", starts_at=datetime(2030, 1, 1, 10, 0)).id
    assert client.get(f"/events/{event_id}").status_code == 404
    assert client.get(f"/events/{event_id}/calendar.ics").status_code == 404


def test_unknown_ids_are_404(client):
    assert client.get("/events/999").status_code == 404
    assert client.get("/processes/999").status_code == 404


def test_published_event_page(client, public_event):
    event_id = public_event()
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Bürger-Workshop" in page
    assert "Altes Rathaus, Bürgersaal" in page
    assert "Montag, 1. April 2019, 18:00–21:00 Uhr" in page  # UTC 16:00 is 18:00 in Esslingen (CEST)
    assert "<strong>Fett</strong>" in page and "<script>alert" not in page
    assert "15 Plätze" in page
    assert "calendar.ics" in page


def test_event_page_in_english(client, public_event):
    event_id = public_event()
    client.set_cookie("ideenmarkt_lang", "en")
    page = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Monday, 1 April 2019, 18:00–21:00" in page  # en-GB style, 24-hour clock
    assert "15 seats, drawn by lot" in page


def test_window_texts(client, public_event):
    now = utcnow()
    open_id = public_event(status="open", starts_at=now + timedelta(days=30), ends_at=None,
                           applications_open_at=now - timedelta(days=1),
                           applications_close_at=now + timedelta(days=10))
    soon_id = public_event(status="open", starts_at=now + timedelta(days=30), ends_at=None,
                           applications_open_at=now + timedelta(days=2),
                           applications_close_at=now + timedelta(days=10))
    client.set_cookie("ideenmarkt_lang", "en")
    assert "Applications are open until" in client.get(f"/events/{open_id}").get_data(as_text=True)
    assert "Applications open on" in client.get(f"/events/{soon_id}").get_data(as_text=True)
    closed = client.get(f"/events/{public_event()}").get_data(as_text=True)
    assert "Applications are closed." in closed


def test_apply_button_only_while_the_window_is_open(app, client, public_event):
    """The applications feature provides events.apply; the button shows only in the window."""
    now = utcnow()
    open_id = public_event(status="open", starts_at=now + timedelta(days=30), ends_at=None,
                           applications_open_at=now - timedelta(days=1),
                           applications_close_at=now + timedelta(days=10))
    closed_id = public_event(status="closed")
    has_apply = "events.apply" in app.view_functions

    def apply_slot(event_id):
        page = client.get(f"/events/{event_id}").get_data(as_text=True)
        return page.split('id="apply"', 1)[1].split("</div>", 1)[0]

    assert ('class="button"' in apply_slot(open_id)) == has_apply
    assert 'class="button"' not in apply_slot(closed_id)


def test_stands_are_listed(client, demo):
    page = client.get(f"/events/{demo.event_id}").get_data(as_text=True)
    assert "Marktstände" in page and "Bürgerportal" in page


def test_ics_has_correct_utc_times(client, public_event):
    event_id = public_event()
    response = client.get(f"/events/{event_id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (entry,) = calendar.walk("VEVENT")
    assert entry.decoded("dtstart") == datetime(2019, 4, 1, 16, 0, tzinfo=timezone.utc)
    assert entry.decoded("dtend") == datetime(2019, 4, 1, 19, 0, tzinfo=timezone.utc)
    assert str(entry["summary"]) == "Bürger-Workshop"
    assert str(entry["location"]) == "Altes Rathaus, Bürgersaal"
    assert str(entry["uid"]).startswith(f"event-{event_id}@")
    assert "Fett" in str(entry["description"]) and "**" not in str(entry["description"])
    assert b"DTSTART:20190401T160000Z" in response.data


def test_ics_without_start_is_404(client, public_event):
    assert client.get(f"/events/{public_event(starts_at=None, ends_at=None)}/calendar.ics").status_code == 404


def test_process_page_splits_upcoming_and_past_and_hides_drafts(client, create_process, create_event):
    process_id = create_process(title="Esslingen 4.0", description="# Worum es geht").id
    now = utcnow()
    create_event(process_id=process_id, title="Vergangen", status="held", starts_at=now - timedelta(days=10))
    create_event(process_id=process_id, title="Bald", status="open", starts_at=now + timedelta(days=10))
    create_event(process_id=process_id, title="Geheimer Entwurf", status="draft", starts_at=now + timedelta(days=5))
    page = client.get(f"/processes/{process_id}").get_data(as_text=True)
    upcoming, past = page.split("Vergangene Veranstaltungen")
    assert "Bald" in upcoming and "Vergangen" in past
    assert "Geheimer Entwurf" not in page
    assert "<h2>Worum es geht</h2>" in page  # the description's h1 sits below the page's h1


def test_process_list_and_start_page(client, demo):
    processes = client.get("/processes").get_data(as_text=True)
    assert "Esslingen 4.0" in processes and f"/processes/{demo.process_id}" in processes
    start = client.get("/").get_data(as_text=True)
    assert f"/processes/{demo.process_id}" in start
    # The demo's event open for applications is the next one (the 2019 workshops are past).
    assert "Nächste Veranstaltungen" in start and "Was ist aus den Ideen geworden?" in start


def test_start_page_lists_next_events(client, create_process, create_event):
    process_id = create_process(title="Mobilität 2030").id
    event_id = create_event(process_id=process_id, title="Radverkehr", status="open",
                            starts_at=utcnow() + timedelta(days=3)).id
    create_event(process_id=process_id, title="Entwurf", status="draft", starts_at=utcnow() + timedelta(days=3))
    start = client.get("/").get_data(as_text=True)
    assert f"/events/{event_id}" in start and "Radverkehr" in start
    assert "Entwurf" not in start
