"""Staff land on their start page after logging in (issue 24, defect 14), not on the public home page:
what is next for each of their events, with links (admins: every event; moderators: their stands;
council: the results)."""
from __future__ import annotations

from datetime import timedelta

from app.core.models import utcnow
from app.extensions import db
from tests.support.clients import DEFAULT_PASSWORD


def _stand(app, event_id, title, moderator):
    from app.accounts.models import User
    from app.ideas.models import Stand

    with app.app_context():
        stand = Stand(event_id=event_id, title=title, moderators=[db.session.get(User, moderator.id)])
        db.session.add(stand)
        db.session.commit()
        return stand.id


def _events(create_event):
    now = utcnow()
    return {
        "draft": create_event(title="Werkstatt in Vorbereitung").id,
        "open": create_event(title="Offene Werkstatt", status="open", starts_at=now + timedelta(days=20),
                             applications_open_at=now - timedelta(days=1),
                             applications_close_at=now + timedelta(days=10)).id,
        "closed": create_event(title="Geschlossene Werkstatt", status="closed", starts_at=now + timedelta(days=5)).id,
        "held": create_event(title="Gehaltene Werkstatt", status="held", starts_at=now - timedelta(days=2)).id,
    }


def test_login_leads_each_role_to_its_start_page(app, client, create_user, create_event):
    events = _events(create_event)
    admin = create_user(roles=("admin",))
    response = client.submit("/login", {"email": admin.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/manage")
    page = client.get("/manage").get_data(as_text=True)
    for key, event_id in events.items():
        assert f'id="start-event-{event_id}"' in page, key
    assert f'href="/manage/events/{events["draft"]}"' in page
    assert f'href="/manage/events/{events["open"]}/applications/summary"' in page
    assert f'href="/manage/events/{events["closed"]}/lottery"' in page
    assert "Die Bewerbungsphase ist geschlossen: Bitte losen Sie die Plätze aus." in page
    # The next event first, past ones after the coming ones, undated at the end.
    order = [page.index(f'id="start-event-{events[k]}"') for k in ("closed", "open", "held", "draft")]
    assert order == sorted(order)
    # A "next" parameter still wins.
    other = app.test_client()
    response = other.submit("/login?next=/ideas", {"email": admin.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].endswith("/ideas")


def test_moderators_see_their_stands_and_council_the_results(app, staff_client, create_event):
    events = _events(create_event)
    moderator, council = staff_client("moderator"), staff_client("council")
    other = staff_client("moderator")
    mine = _stand(app, events["open"], "Bürgerportal", moderator.user)
    _stand(app, events["closed"], "Verwaltung", other.user)
    page = moderator.get("/manage").get_data(as_text=True)
    assert f'href="/stands/{mine}/capture"' in page and "Bürgerportal" in page
    assert "Verwaltung" not in page and "Werkstatt in Vorbereitung" not in page
    page = council.get("/manage").get_data(as_text=True)
    assert f'href="/manage/results/events/{events["held"]}"' in page
    assert "Werkstatt in Vorbereitung" not in page
    nobody = staff_client("moderator").get("/manage").get_data(as_text=True)
    assert 'id="start-nothing"' in nobody


def test_start_page_needs_a_login(client):
    response = client.get("/manage")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
