"""After the event (issue 24, defect 14): the seat page gives the true reason why answers end, and the private
application page stops asking to decline and leads to the published results."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, draw


def _drawn(app, admin, lottery_event):
    """A drawn event of two seats: one seat confirmed, one still open; → (event id, tokens of the two)."""
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry

    ev = lottery_event(seats=2, count=4)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "3")
    with app.app_context():
        seated = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.rank.is_(None))
                                    .order_by(LotteryEntry.id)).scalars().all()
        respond_to_seat(seated[0], True)
        db.session.commit()
        tokens = [ev.tokens[ev.application_ids.index(e.application_id)] for e in seated]
    return ev.event_id, tokens


def _set_status(app, event_id, status):
    from app.events.models import Event

    with app.app_context():
        db.session.get(Event, event_id).status = status
        db.session.commit()


def test_seat_page_names_the_held_event_not_the_deadline(app, admin, client, lottery_event):
    event_id, (confirmed, open_seat) = _drawn(app, admin, lottery_event)
    before = client.get(f"/applications/{open_seat}/seat").get_data(as_text=True)
    assert 'value="confirm"' in before  # still open before the event
    _set_status(app, event_id, "held")
    page = client.get(f"/applications/{open_seat}/seat").get_data(as_text=True)
    assert "Die Frist zur Bestätigung ist abgelaufen." not in page
    assert "Die Veranstaltung hat stattgefunden; Plätze können nicht mehr bestätigt oder abgesagt werden." in page
    assert 'value="decline"' not in page and 'value="confirm"' not in page
    page = client.get(f"/applications/{confirmed}/seat").get_data(as_text=True)
    assert "Falls Sie doch nicht kommen können" not in page and 'value="decline"' not in page
    assert "Ihr Platz war bestätigt." in page


def test_application_page_links_the_results_once_published(app, admin, client, lottery_event):
    event_id, (confirmed, open_seat) = _drawn(app, admin, lottery_event)
    manage = client.get(f"/applications/{confirmed}").get_data(as_text=True)
    assert 'id="after-event"' not in manage
    _set_status(app, event_id, "held")
    manage = client.get(f"/applications/{confirmed}").get_data(as_text=True)
    assert 'id="after-event"' in manage and f'href="/events/{event_id}/results"' not in manage
    _set_status(app, event_id, "published")
    for token in (confirmed, open_seat):
        manage = client.get(f"/applications/{token}").get_data(as_text=True)
        assert f'href="/events/{event_id}/results"' in manage
        assert "Platz bestätigen oder absagen" not in manage and "Meine Bewerbung zurückziehen" not in manage
        assert "Falls Sie doch nicht kommen können" not in manage
    assert client.get(f"/events/{event_id}/results").status_code == 200
    seat = client.get(f"/applications/{confirmed}/seat").get_data(as_text=True)
    assert f'href="/events/{event_id}/results"' in seat
