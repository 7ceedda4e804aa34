"""Receipts (issue 22 item 3): at commitment every applicant is told their pseudonym and recorded answers (mail
and private page) with how to object; after the draw and every replacement the page shows what the public
record says about them; declines and skips are public with time and channel; server-drawn numbers are
marked "nicht öffentlich überprüfbar" in the mails too."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, draw, post, statuses
from tests.support.clients import expire_session
from tests.support.smtp import find_links

GENDER = {"gender": {"f": (1, 2), "m": (1, 2)}}
PEOPLE = [{"gender": g} for g in "ffmmfm"]


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def _entries(app):
    from app.lottery.models import LotteryEntry

    with app.app_context():
        return {e.application_id: (e.pseudonym, e.id) for e in db.session.execute(sa.select(LotteryEntry)).scalars()}


def test_commitment_mails_each_applicant_their_pseudonym_answers_and_receipt(app, admin, client, lottery_event,
                                                                              smtp):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    # Before the commitment the receipt page says the list is not fixed yet.
    before = client.get(f"/applications/{ev.tokens[0]}/lottery").get_data(as_text=True)
    assert 'id="receipt-none"' in before
    assert "receipt-link" not in client.get(f"/applications/{ev.tokens[0]}").get_data(as_text=True)
    commit(admin, ev.event_id)
    entries = _entries(app)
    mails = smtp.wait_for(lambda m: "Ihre Teilnahme an der Auslosung" in m["Subject"], count=len(PEOPLE))
    by_recipient = {m["To"]: m for m in mails}
    for n, application_id in enumerate(ev.application_ids):
        text = _plain(by_recipient[ev.emails[n]])
        pseudonym = entries[application_id][0]
        assert f"Ihr Pseudonym: {pseudonym}" in text
        assert f"- Gender: {PEOPLE[n]['gender'].upper()}" in text
        assert "widersprechen Sie bitte vor der Auslosung" in text
        assert "nicht öffentlich überprüfbar" not in text  # dice thrown in public
        receipt = next(u for u in find_links(by_recipient[ev.emails[n]]) if u.endswith("/lottery")
                       and "/applications/" in u)
        page = client.get(re.sub(r"^https?://[^/]+", "", receipt)).get_data(as_text=True)
        assert f'<code class="receipt-pseudonym">{pseudonym}</code>' in page
        assert f"Gender: {PEOPLE[n]['gender'].upper()}" in page
        assert "Noch nicht ausgelost" in page
        assert "stimmt nicht" not in page and page.count('class="ok"') == 4  # pool, commitment, share, bound
    # The private manage page links the receipt from the commitment on.
    manage = client.get(f"/applications/{ev.tokens[0]}").get_data(as_text=True)
    assert 'id="receipt-link"' in manage


def test_receipt_after_the_draw_and_after_a_replacement(app, admin, client, lottery_event):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "0042")
    audit = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())
    entries = _entries(app)
    result = statuses(app, ev.application_ids)
    for n, application_id in enumerate(ev.application_ids):
        pseudonym = entries[application_id][0]
        page = client.get(f"/applications/{ev.tokens[n]}/lottery").get_data(as_text=True)
        rows = sum(1 for row in audit["table"] if pseudonym in row)
        assert f"Zeilen mit Ihrem Pseudonym: {rows} von {audit['table_size']:,}".replace(",", ".") in page
        assert "stimmt nicht" not in page
        assert 'data-check="number" class="ok"' in page and 'data-check="selection" class="ok"' in page
        if result[application_id] == "selected":
            assert f"Ihr Pseudonym steht in Zeile {audit['number']} der Tabelle" in page
        else:
            rank = audit["waiting_list"].index(pseudonym) + 1
            assert f"Platz {rank} auf der Warteliste" in page
    # A selected woman declines with her own link: the record says so, with time and channel, on her receipt
    # and on the public page; the replacement's receipt says she was admitted.
    index = next(n for n, i in enumerate(ev.application_ids) if result[i] == "selected")
    seat_token = ev.tokens[index]
    assert post(client, f"/applications/{seat_token}/seat", {"answer": "decline"}).status_code == 303
    page = client.get(f"/applications/{seat_token}/lottery").get_data(as_text=True)
    assert "Ihr Platz wurde abgesagt." in page and "von der Person selbst, mit ihrem eigenen Link" in page
    after = statuses(app, ev.application_ids)
    admitted = next(n for n, i in enumerate(ev.application_ids) if after[i] == "selected"
                    and result[i] == "waitlisted")
    assert "Platz von der Warteliste erhalten (Nachrücken Nr. 1)" in client.get(
        f"/applications/{ev.tokens[admitted]}/lottery").get_data(as_text=True)
    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert "von der Person selbst, mit ihrem eigenen Link" in public
    evidence = json.loads(client.get(f"/events/{ev.event_id}/lottery/audit.json").get_data())["replacements"][0]
    assert evidence["evidence"][entries[ev.application_ids[index]][0]]["channel"] == "link"


def test_objection_is_recorded_for_the_organisers(app, admin, client, lottery_event):
    from app.audit.models import AuditEntry

    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    url = f"/applications/{ev.tokens[1]}/lottery"
    post(client, url, {"objection": "x"})
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "lottery.objection")).scalar_one() == 0
    response = post(client, url, {"objection": "Ich bin nicht weiblich, sondern männlich."})
    assert response.status_code == 303
    assert "Ihr Widerspruch ist erfasst" in client.get(url).get_data(as_text=True)
    with app.app_context():
        from app.lottery.models import LotteryObjection

        entry = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "lottery.objection")).scalar_one()
        objection = db.session.execute(sa.select(LotteryObjection)).scalar_one()
        # The text is the applicant's (personal): in the objection, never in the audit log.
        assert entry.detail == "" and entry.event_id == ev.event_id and entry.after["objection_id"] == objection.id
        assert objection.text == "Ich bin nicht weiblich, sondern männlich."
        assert objection.entry_id == _entries(app)[ev.application_ids[1]][1]
    # The organisers see it on the lottery page.
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="objections"' in page and "Ich bin nicht weiblich, sondern männlich." in page
    # Without the CSRF token nothing is recorded.
    raw = client.post(url, data={"objection": "ohne Token abgeschickt"})
    assert raw.status_code in (400, 403)
    # An unknown token is a 404, not a 500.
    assert client.get("/applications/not-a-token/lottery").status_code == 404


@pytest.mark.parametrize("lang, message", [("de", "Ihre Sitzung war abgelaufen"), ("en", "Your session had expired")])
def test_an_objection_sent_after_the_session_ended_keeps_its_text(app, admin, client, lottery_event, lang, message):
    """Issue 16 item 7: the objection (a hand-written form) comes back with the text as typed when the
    form token expired with the session; nothing is recorded; the field is marked as required."""
    from app.lottery.models import LotteryObjection

    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    url = f"/applications/{ev.tokens[1]}/lottery"
    client.submit("/language", {"lang": lang, "next": url})
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<label for="objection">[^<]+</label> <span class="required-mark" aria-hidden="true">\*</span>',
                     page)
    token = client.csrf_token()
    expire_session(app, client)
    response = client.post(url, data={"objection": "Mein Geburtsjahr ist falsch übernommen.", "csrf_token": token,
                                      "_page": url})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and ">Mein Geburtsjahr ist falsch übernommen.</textarea>" in html
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(LotteryObjection)).scalar_one() == 0


def test_server_drawn_mails_say_not_publicly_verifiable(app, admin, client, lottery_event, smtp):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id, "server", "")
    smtp.wait_for(lambda m: "Ihre Teilnahme" in m["Subject"], count=len(PEOPLE))
    draw(admin, ev.event_id, number=None)
    mails = smtp.wait_for(lambda m: "ausgelost" in m["Subject"] or "Warteliste" in m["Subject"], count=len(PEOPLE))
    for message in smtp.messages:
        assert "nicht öffentlich überprüfbar" in _plain(message), message["Subject"]
        assert "nicht öffentlich überprüfbar" in message.get_body(("html",)).get_content()
    assert len(mails) == len(PEOPLE)
    page = client.get(f"/applications/{ev.tokens[0]}/lottery").get_data(as_text=True)
    assert 'class="receipt-unverifiable"' in page and 'data-check="number"' not in page


def test_receipt_in_english(app, admin, client, lottery_event, smtp):
    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE, language="en")
    commit(admin, ev.event_id)
    mail = smtp.wait_for(lambda m: "Your entry in the lottery" in m["Subject"], count=len(PEOPLE))[0]
    assert "Your pseudonym:" in _plain(mail)
    client.set_cookie("ideenmarkt_lang", "en")
    page = client.get(f"/applications/{ev.tokens[0]}/lottery").get_data(as_text=True)
    assert "What the lottery recorded about you" in page and "Not drawn yet" in page


def test_superseded_draw_stays_on_the_receipt(app, admin, client, lottery_event):
    from app.lottery.supersede import supersede_draw
    from app.lottery.models import LotteryDraw

    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    with app.app_context():
        supersede_draw(db.session.execute(sa.select(LotteryDraw)).scalar_one(), None,
                       "Die Liste war unvollständig.")
        db.session.commit()
    commit(admin, ev.event_id)
    page = client.get(f"/applications/{ev.tokens[2]}/lottery").get_data(as_text=True)
    assert 'id="receipt-2"' in page and 'id="receipt-1"' in page
    assert "Die Liste war unvollständig." in page
    assert page.index('id="receipt-2"') < page.index('id="receipt-1"')


def test_public_page_links_the_leichte_sprache_explanation_of_checking(client, admin, lottery_event):
    from app.accessibility.easy_language import section

    ev = lottery_event(seats=2, criteria=GENDER, people=PEOPLE)
    commit(admin, ev.event_id)
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'href="/leichte-sprache#pruefen" lang="de">Wie prüfe ich die Auslosung?</a>' in page
    easy = client.get("/leichte-sprache").get_data(as_text=True)
    assert 'id="pruefen"' in easy and "nicht öffentlich überprüfbar" in easy
    assert all(len(sentence.split()) <= 20 for sentence in section("pruefen").sentences)
