"""The public results pages: what they show, what they never show, 404 before publishing, query counts."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db as _db
from app.voting.state import close_voting, voting_state
from tests.factories.results import PERSONAL, build_bulk_event


def text(response) -> str:
    return response.get_data(as_text=True)


def test_event_results_show_merged_ideas_as_one_and_no_hidden(client, results_fixture):
    f = results_fixture
    response = client.get(f"/events/{f.event_a}/results")
    assert response.status_code == 200
    html = text(response)
    assert "Termine beim Bürgeramt online buchen" in html
    assert "Barrierefreie Startseite mit Leichter Sprache" in html
    assert "Online-Terminvergabe fürs Bürgeramt" not in html  # merged into i1: shown as one
    assert "Beleidigender Beitrag" not in html  # hidden
    assert "Schülerausweis" not in html  # another event
    assert "zusammengeführt mit 1 ähnlichen Idee" in html
    assert "#Online-Dienste" in html
    # Key figures: 2 took part, 3 ideas, 15 dots.
    assert '<span class="figure">15</span>' in html and '<span class="figure">3</span>' in html
    assert "<title" in html and 'role="img"' in html


def test_process_results_cover_published_events_only(client, results_fixture):
    f = results_fixture
    html = text(client.get(f"/processes/{f.process_id}/results"))
    assert "Termine beim Bürgeramt online buchen" in html and "Schülerausweis digital im Bürgerportal" in html
    assert "Unveröffentlichte Idee" not in html and "Nachtreffen Einwohner" not in html
    assert "Jugendrat" in html and "80" in html  # 80 % of the residents' dots went to #Bürgerportal


@pytest.mark.parametrize("path", ["/events/{c}/results", "/events/999999/results", "/processes/999999/results"])
def test_unpublished_and_unknown_are_404(client, results_fixture, path):
    assert client.get(path.format(c=results_fixture.event_c)).status_code == 404


def test_process_without_published_event_is_404(app, client, results_fixture):
    with app.app_context():
        for event_id in (results_fixture.event_a, results_fixture.event_b):
            _db.session.get(Event, event_id).status = "held"
        _db.session.commit()
    assert client.get(f"/processes/{results_fixture.process_id}/results").status_code == 404
    assert client.get(f"/events/{results_fixture.event_a}/results").status_code == 404
    assert "/results" not in text(client.get(f"/events/{results_fixture.event_a}"))


def test_links_from_public_event_and_process_pages(client, results_fixture):
    f = results_fixture
    assert f'/events/{f.event_a}/results' in text(client.get(f"/events/{f.event_a}"))
    assert f'/events/{f.event_c}/results' not in text(client.get(f"/events/{f.event_c}"))
    assert f'/processes/{f.process_id}/results' in text(client.get(f"/processes/{f.process_id}"))


def test_filters_on_the_public_page(client, results_fixture):
    f = results_fixture
    html = text(client.get(f"/events/{f.event_a}/results?stand={f.s2}"))
    assert "Barrierefreie Startseite" in html and "Termine beim Bürgeramt" not in html
    html = text(client.get(f"/events/{f.event_a}/results?tag={f.tags['online']}"))
    assert "Termine beim Bürgeramt" in html and "Barrierefreie Startseite" not in html


@pytest.mark.parametrize("query", [
    "stand=abc", "stand=%00", "tag=" + "9" * 5000, "stand={s3}", "stand={s4}", "tag=-1", "stand=x&stand=1",
])
def test_bad_filters_answer_400_with_a_message(client, results_fixture, query):
    f = results_fixture
    response = client.get(f"/events/{f.event_a}/results?" + query.format(s3=f.s3, s4=f.s4))
    assert response.status_code == 400
    html = text(response)
    assert 'role="alert"' in html and "Termine beim Bürgeramt" in html  # unfiltered results instead


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999", "%00", "3"])
def test_odd_page_numbers_show_a_page(client, results_fixture, page):
    response = client.get(f"/events/{results_fixture.event_a}/results?page={page}")
    assert response.status_code == 200 and "Termine beim Bürgeramt" in text(response)


def test_no_personal_data_on_public_pages(client, results_fixture):
    f = results_fixture
    pages = [f"/events/{f.event_a}/results", f"/events/{f.event_b}/results", f"/processes/{f.process_id}/results",
             f"/events/{f.event_a}/results?stand={f.s1}", f"/events/{f.event_a}/results?tag={f.tags['portal']}",
             f"/events/{f.event_a}", f"/processes/{f.process_id}"]
    for lang in ("de", "en"):
        client.set_cookie("lang", lang)
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            html = text(response)
            for value in PERSONAL["names"] + PERSONAL["emails"] + PERSONAL["said_by"]:
                assert value not in html, (path, value)
            assert "@example.org" not in html


def _publish(client, event_id):
    return client.submit(f"/manage/events/{event_id}/status", {"action": "publish"}, follow_redirects=True)


def test_publishing_is_refused_while_voting_is_open(app, staff_client, voting_event):
    ev = voting_event(open_voting=True)  # status "held"
    admin = staff_client("admin")
    response = _publish(admin, ev.event_id)
    assert "Die Abstimmung ist noch offen" in text(response)
    with app.app_context():
        event = ev.event
        assert event.status == "held"
        assert voting_state(event) == "open"  # nothing was closed on the way
        close_voting(event)
        _db.session.commit()
    response = _publish(admin, ev.event_id)
    assert "Ergebnisse veröffentlicht" in text(response)
    with app.app_context():
        assert ev.event.status == "published"
    assert admin.get(f"/events/{ev.event_id}/results").status_code == 200


def test_only_admins_publish_and_only_with_csrf(app, staff_client, voting_event):
    ev = voting_event(open_voting=False)
    council = staff_client("council")
    assert council.submit(f"/manage/events/{ev.event_id}/status", {"action": "publish"}).status_code == 403
    admin = staff_client("admin")
    assert admin.post(f"/manage/events/{ev.event_id}/status", data={"action": "publish"}).status_code == 400
    with app.app_context():
        assert ev.event.status == "held"


def test_publish_only_from_held(app, staff_client, create_event):
    event_id = create_event(status="open").id
    admin = staff_client("admin")
    _publish(admin, event_id)
    with app.app_context():
        assert _db.session.get(Event, event_id).status == "open"


# ------------------------------------------------------------------ bounded queries


def _queries(app, client, count_queries, path) -> int:
    with app.app_context():
        engine = _db.engine
    client.get(path)  # warm up (first request loads translations, compiles templates)
    with count_queries(engine) as counter:
        response = client.get(path)
    assert response.status_code == 200, text(response)[:500]
    return counter.n


def test_public_pages_issue_the_same_number_of_queries_for_10_and_10000_ideas(app, client, count_queries):
    with app.app_context():
        small = build_bulk_event(10, tickets=4, dots_per_ticket=5)
        large = build_bulk_event(10_000, tickets=200, dots_per_ticket=20)
        assert _db.session.execute(sa.text("SELECT count(*) FROM idea")).scalar_one() == 10_010
    for path in ("/events/{e}/results", "/events/{e}/results?page=2", "/processes/{p}/results"):
        n_small = _queries(app, client, count_queries, path.format(e=small.event_id, p=small.process_id))
        n_large = _queries(app, client, count_queries, path.format(e=large.event_id, p=large.process_id))
        assert n_small == n_large, path
        assert n_large <= 30, path
