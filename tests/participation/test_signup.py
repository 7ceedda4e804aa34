"""Signing up for online participation without an account: the form, double opt-in through the
outbox and real SMTP, duplicates, honeypot, rate limit, closed phases (issue 18)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.core.models import OutboxMail
from app.extensions import db
from app.participation.models import Participant
from tests.support.smtp import find_links


def _count(app, model=Participant) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _form(**fields) -> dict:
    return {"display_name": "Rad-Fan", "show_name_publicly": "no", "email": "ada@example.org", "consent": "y",
            "website": "", **fields}


def _sign_up(client, process_id, data, **kwargs):
    response = client.submit(f"/processes/{process_id}/participate", data, **kwargs)
    response.close()  # the outbox delivers right after the response
    return response


def _links(app, mail) -> tuple[str, str]:
    base = app.config["BASE_URL"]
    links = [link[len(base):] for link in find_links(mail)]
    confirm = next(link for link in links if "/confirm/" in link)
    mine = next(link for link in links if "/confirm/" not in link and link.startswith("/participation/"))
    return confirm, mine


def test_process_page_links_to_the_form_while_a_phase_is_open(client, online_process):
    world = online_process()
    page = client.get(f"/processes/{world.process_id}").get_data(as_text=True)
    assert f"/processes/{world.process_id}/participate" in page and "Online mitmachen" in page
    closed = online_process(before_open=False)
    page = client.get(f"/processes/{closed.process_id}").get_data(as_text=True)
    assert "/participate" not in page


def test_sign_up_confirm_and_get_the_link_through_real_smtp(app, client, online_process, smtp):
    world = online_process()
    form = client.get(f"/processes/{world.process_id}/participate").get_data(as_text=True)
    assert "für die Beteiligung verarbeitet" in form and 'name="website"' in form and 'tabindex="-1"' in form
    response = _sign_up(client, world.process_id, _form(email=" Ada@Example.org "))
    assert response.status_code == 302 and response.location.endswith("/participate/sent")
    [mail] = smtp.wait_for(lambda m: m["To"] == "ada@example.org")
    assert "Bitte bestätigen Sie Ihre Beteiligung" in mail["Subject"]
    confirm, mine = _links(app, mail)
    with app.app_context():
        participant = db.session.execute(sa.select(Participant)).scalar_one()
        assert participant.confirmed_at is None and participant.email == "ada@example.org"
        token = mine.rsplit("/", 1)[1]
        assert token not in participant.token_hash and len(participant.token_hash) == 64
    # The link is refused until the address is confirmed.
    refused = client.get(mine)
    assert refused.status_code == 403 and "Bitte bestätigen Sie zuerst" in refused.get_data(as_text=True)
    assert client.submit(mine, {"stand": str(world.stand_ids[0]), "text": "Mehr Radwege"}).status_code == 403
    # Opening the confirmation link (as a mail scanner would) changes nothing; the button confirms.
    assert client.get(confirm).status_code == 200
    assert _count(app) == 1
    with app.app_context():
        assert db.session.execute(sa.select(Participant)).scalar_one().confirmed_at is None
    assert client.post(confirm).status_code == 400  # CSRF
    response = client.submit(confirm)
    response.close()
    assert response.status_code == 302 and response.location == mine
    [link_mail] = smtp.wait_for(lambda m: "Beteiligungslink" in m["Subject"])
    assert mine in [link[len(app.config["BASE_URL"]):] for link in find_links(link_mail)]
    page = client.get(mine)
    assert page.status_code == 200 and "Eine Idee einreichen" in page.get_data(as_text=True)
    # Confirming again changes nothing and sends nothing more.
    client.submit(confirm).close()
    assert _count(app, OutboxMail) == 2


def test_duplicate_sign_up_reveals_nothing_and_mails_the_link_again(app, client, online_process, smtp):
    world = online_process()
    first = _sign_up(client, world.process_id, _form(email="a@x.de"))
    other = app.test_client()
    second = _sign_up(other, world.process_id, _form(email="A@x.de ", display_name="Eve"))
    assert (first.status_code, first.location) == (second.status_code, second.location)

    def sent_page(c):
        return re.sub(r'name="csrf_token" value="[^"]*"', "", c.get(first.location).get_data(as_text=True))

    assert sent_page(client) == sent_page(other)
    assert _count(app) == 1
    mails = smtp.wait_for(lambda m: m["To"] == "a@x.de", count=2)
    first_links, second_links = _links(app, mails[0]), _links(app, mails[1])
    assert first_links[1] != second_links[1]  # a derived link: the random token is not kept
    with app.app_context():
        assert db.session.execute(sa.select(Participant)).scalar_one().display_name == "Rad-Fan"
    # Both confirmation links work.
    assert client.submit(second_links[0]).status_code == 302
    assert client.get(first_links[1]).status_code == 200 and client.get(second_links[1]).status_code == 200
    # A third sign-up within the reminder allowance sends no further mail (no mail bombing).
    _sign_up(app.test_client(), world.process_id, _form(email="a@x.de"))
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)
                                  .where(OutboxMail.recipient == "a@x.de")).scalar_one() == 3


def test_wrong_input_keeps_the_text_and_correction_works(app, client, online_process, smtp):
    world = online_process()
    bad = _form(display_name="<script>alert(1)</script>" + "x" * 80, email="nope", consent="")
    response = _sign_up(client, world.process_id, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error-summary"' in html
    for field in ("display_name", "email", "consent"):
        assert f'href="#{field}"' in html
    assert "höchstens 80 Zeichen" in html and "gültige E-Mail-Adresse" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'value="nope"' in html
    assert _count(app) == 0 and _count(app, OutboxMail) == 0
    response = _sign_up(client, world.process_id, _form(display_name="<b>Ada</b>"))
    assert response.status_code == 302 and _count(app) == 1


def test_english_sign_up_gets_english_pages_and_mail(app, client, online_process, smtp):
    world = online_process()
    english = {"Accept-Language": "en"}
    page = client.get(f"/processes/{world.process_id}/participate", headers=english).get_data(as_text=True)
    assert "Take part online" in page and "Display name" in page
    bad = _sign_up(client, world.process_id, _form(display_name=""), headers=english)
    assert bad.status_code == 422 and "Please enter a display name." in bad.get_data(as_text=True)
    _sign_up(client, world.process_id, _form(email="en@example.org"), headers=english)
    [mail] = smtp.wait_for(lambda m: m["To"] == "en@example.org")
    assert mail["Subject"].startswith("Please confirm your participation")
    assert "Keep this link private" in mail.get_body(("plain",)).get_content()


def test_honeypot_looks_like_success_and_stores_nothing(app, client, online_process):
    world = online_process()
    response = _sign_up(client, world.process_id, _form(website="http://spam.example"))
    assert response.status_code == 302 and response.location.endswith("/participate/sent")
    assert _count(app) == 0 and _count(app, OutboxMail) == 0


def test_closed_phases_refuse_sign_up(app, client, online_process):
    world = online_process(before_open=False)
    page = client.get(f"/processes/{world.process_id}/participate")
    assert page.status_code == 200 and 'name="email"' not in page.get_data(as_text=True)
    assert "nicht geöffnet" in page.get_data(as_text=True)
    assert _sign_up(client, world.process_id, _form()).status_code == 409
    assert _count(app) == 0
    assert client.get("/processes/99999/participate").status_code == 404
    # The phase after the workshop also lets residents sign up.
    after = online_process(before_open=False, after_open=True)
    assert _sign_up(client, after.process_id, _form()).status_code == 302


def test_bad_confirmation_links(app, client, online_process, participant_link):
    world = online_process()
    _pid, token = participant_link(world.process_id, confirmed=False)
    assert client.get(f"/participation/{token}/confirm/forged").status_code == 400
    assert client.get("/participation/nothing/confirm/forged").status_code == 404
    assert client.get("/participation/1.forged").status_code == 404
    assert client.get("/participation/" + "x" * 101).status_code == 404


class TestRateLimit:
    @pytest.fixture
    def app_config(self):
        return {"PARTICIPATION_SIGNUP_RATE_LIMIT": "2 per hour"}

    def test_third_post_gets_the_form_again_with_a_429(self, app, client, online_process):
        world = online_process()
        for n in range(2):
            assert _sign_up(client, world.process_id, _form(email=f"p{n}@example.org")).status_code == 302
        response = _sign_up(client, world.process_id, _form(display_name="Zoë <Neu>", email="p9@example.org"))
        html = response.get_data(as_text=True)
        assert response.status_code == 429 and "Retry-After" in response.headers
        assert 'value="Zoë &lt;Neu&gt;"' in html and 'value="p9@example.org"' in html
        assert _count(app) == 2


def test_the_consent_box_is_tied_to_every_consent_text_shown(app, client, online_process, create_event):
    """A process whose two events have open phases shows both events' consent texts; the consent box
    is described by all of them (issue 16, consent text as content), not only the first."""
    from datetime import timedelta

    from app.core.models import utcnow
    from app.participation.models import OnlinePhase

    world = online_process()
    now = utcnow()
    second = create_event(process_id=world.process_id, status="open", title="Zweite Werkstatt",
                          starts_at=now + timedelta(days=40), ends_at=now + timedelta(days=40, hours=4),
                          consent_text="Meine Angaben dürfen auch für die zweite Werkstatt verwendet werden.").id
    with app.app_context():
        db.session.add(OnlinePhase(event_id=second, kind="before", enabled=True,
                                   opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=39)))
        db.session.commit()
    page = client.get(f"/processes/{world.process_id}/participate").get_data(as_text=True)
    assert 'id="consent-text-1"' in page and 'id="consent-text-2"' in page
    box = re.search(r'<input[^>]*name="consent"[^>]*>', page).group(0)
    described = re.search(r'aria-describedby="([^"]*)"', box).group(1).split()
    assert {"consent-text-1", "consent-text-2"} <= set(described)
