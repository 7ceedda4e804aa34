"""Seats after the draw: confirm/decline by the mailed link, replacements that keep the quotas,
nobody fits, expiry of unconfirmed seats, two declines at once, withdrawn waiting applicants."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db
from tests.factories.lottery import commit, deadline_text, draw, post, run_verify, statuses
from tests.support.smtp import find_links

EXACT = {"gender": {"f": (2, 2), "m": (2, 2)}}


def number_where(app, event_id, predicate):
    """Publish-time helper: the first number whose draw result satisfies ``predicate(result, answers)``."""
    from app.lottery.audit import draw_from_record, record_answers
    from app.lottery.models import LotteryDraw

    with app.app_context():
        record = db.session.execute(sa.select(LotteryDraw).where(LotteryDraw.event_id == event_id)).scalar_one().record
        answers = record_answers(record)
        for number in range(1, record["table_size"] + 1):
            result = draw_from_record(record, number)
            if predicate(result, answers):
                return number
    raise AssertionError("no number satisfies the predicate")


def entries(app, event_id):
    """pseudonym → (application id, rank, seat_since is set, released reason)."""
    from app.lottery.models import LotteryDraw, LotteryEntry

    with app.app_context():
        rows = db.session.execute(
            sa.select(LotteryEntry).join(LotteryDraw).where(LotteryDraw.event_id == event_id,
                                                            LotteryDraw.state != "superseded")).scalars()
        return {e.pseudonym: (e.application_id, e.rank, e.seat_since is not None, e.release_reason) for e in rows}


def respond(app, application_id, accept):
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry

    with app.app_context():
        entry = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.application_id == application_id)
                                   ).scalar_one()
        outcome = respond_to_seat(entry, accept)
        db.session.commit()
        return outcome


def verify_download(app, client, event_id, tmp_path):
    path = tmp_path / f"audit-{event_id}.json"
    path.write_bytes(client.get(f"/events/{event_id}/lottery/audit.json").get_data())
    outcome = run_verify(path)
    assert outcome.exit_code == 0, outcome.output
    return json.loads(path.read_bytes())


def test_replacement_keeps_quotas_when_first_waiting_would_break_one(app, admin, client, lottery_event, tmp_path):
    people = [{"gender": g} for g in "ffffmmmm"]
    ev = lottery_event(seats=4, criteria=EXACT, people=people)
    commit(admin, ev.event_id)
    number = number_where(app, ev.event_id, lambda r, a: a[r.waiting_list[0]]["gender"] == "m")
    draw(admin, ev.event_id, str(number))
    seats = entries(app, ev.event_id)
    answers = {p: people[ev.application_ids.index(info[0])]["gender"] for p, info in seats.items()}
    first_waiting = next(p for p, info in seats.items() if info[1] == 1)
    assert answers[first_waiting] == "m"
    decliner = next(p for p, info in seats.items() if info[1] is None and answers[p] == "f")

    assert respond(app, seats[decliner][0], accept=False) == "declined"
    after = entries(app, ev.event_id)
    admitted = [p for p, info in after.items() if info[1] is not None and info[2]]
    assert len(admitted) == 1 and answers[admitted[0]] == "f"
    assert after[first_waiting][2] is False  # the first waiting person (m) was passed over
    seated = [p for p, info in after.items() if info[2] and info[3] is None]
    assert sorted(answers[p] for p in seated) == ["f", "f", "m", "m"]

    audit = verify_download(app, client, ev.event_id, tmp_path)
    (replacement,) = audit["replacements"]
    assert {k: replacement[k] for k in ("declined", "admitted")} == {"declined": [decliner], "admitted": admitted[0]}
    assert replacement["evidence"][decliner]["reason"] == "declined"  # the evidence the verifier demands
    page = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert admitted[0] in page and f"<code>{decliner}</code>: abgesagt" in page
    assert ": declined" not in page


def test_nobody_fits_names_the_blocking_quota(app, admin, client, lottery_event, tmp_path):
    people = [{"gender": g} for g in "ffmmmm"]
    ev = lottery_event(seats=4, criteria=EXACT, people=people)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "1")
    seats = entries(app, ev.event_id)
    f_seat = next(info[0] for info in seats.values() if people[ev.application_ids.index(info[0])]["gender"] == "f")
    assert respond(app, f_seat, accept=False) == "declined"
    page = admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)
    assert 'id="blocked"' in page
    assert "Kriterium „Gender“, Antwort „F“: mindestens 2 Plätze" in page and "gender = f" not in page
    assert 'id="free-seats">1<' in page
    # The free seat is not recorded as a replacement; the audit still verifies.
    audit = verify_download(app, client, ev.event_id, tmp_path)
    assert audit["replacements"] == []
    # The public page lists the decline although no replacement followed, with its time and channel.
    decliner = next(p for p, info in seats.items() if info[0] == f_seat)
    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    releases = public.split('id="releases"', 1)[1].split("</table>", 1)[0]
    assert f"<code>{decliner}</code>" in releases and "abgesagt" in releases
    assert "von der Person selbst" in releases or "eigenen Link" in releases, releases
    process = admin.submit(f"/manage/events/{ev.event_id}/lottery/process")
    assert process.status_code == 303
    assert "Kriterium „Gender“, Antwort „F“" in admin.get(f"/manage/events/{ev.event_id}/lottery").get_data(as_text=True)


def test_expiry_of_unconfirmed_seats_by_command(app, admin, client, lottery_event, tmp_path):
    from app.lottery.models import LotteryEntry

    ev = lottery_event(seats=2, count=5)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "10")
    seats = entries(app, ev.event_id)
    selected = sorted(info[0] for info in seats.values() if info[1] is None)
    assert respond(app, selected[0], accept=True) == "confirmed"
    with app.app_context():
        # The deadline has passed (set in the past instead of waiting for it).
        for entry in db.session.execute(sa.select(LotteryEntry)).scalars():
            if entry.confirm_deadline:
                entry.confirm_deadline -= timedelta(days=30)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["lottery", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 lapsed, 1 admitted" in result.output
    now = statuses(app, ev.application_ids)
    assert now[selected[0]] == "confirmed"  # confirmed seats never lapse
    assert now[selected[1]] == "declined"
    after = entries(app, ev.event_id)
    assert after[next(p for p, i in after.items() if i[0] == selected[1])][3] == "expired"
    assert list(now.values()).count("selected") == 1  # the replacement, with a fresh deadline
    audit = verify_download(app, client, ev.event_id, tmp_path)
    assert len(audit["replacements"]) == 1
    # Running it again changes nothing.
    again = app.test_cli_runner().invoke(args=["lottery", "expire"])
    assert "0 lapsed, 0 admitted" in again.output


def test_two_declines_at_once_admit_two_different_people(app, admin, client, lottery_event, tmp_path):
    ev = lottery_event(seats=3, count=8)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "42")
    seats = entries(app, ev.event_id)
    decliners = sorted(info[0] for info in seats.values() if info[1] is None)[:2]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def decline(application_id):
        try:
            barrier.wait(timeout=10)
            outcomes.append(respond(app, application_id, accept=False))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=decline, args=(i,)) for i in decliners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert outcomes == ["declined", "declined"]
    after = entries(app, ev.event_id)
    admitted = [p for p, info in after.items() if info[1] is not None and info[2]]
    assert len(admitted) == 2 and len(set(admitted)) == 2
    seated = [p for p, info in after.items() if info[2] and info[3] is None]
    assert len(seated) == 3
    audit = verify_download(app, client, ev.event_id, tmp_path)
    assert sorted(r["admitted"] for r in audit["replacements"]) == sorted(admitted)
    # Declining again is idempotent.
    assert respond(app, decliners[0], accept=False) == "unchanged"


def test_withdrawn_waiting_applicant_is_passed_over_and_audit_verifies(app, admin, client, lottery_event, tmp_path):
    from app.events.models import Application

    ev = lottery_event(seats=2, count=5)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "7")
    seats = entries(app, ev.event_id)
    first_waiting = next(p for p, info in seats.items() if info[1] == 1)
    second_waiting = next(p for p, info in seats.items() if info[1] == 2)
    with app.app_context():
        db.session.get(Application, seats[first_waiting][0]).status = "withdrawn"
        db.session.commit()
    decliner = next(info[0] for info in seats.values() if info[1] is None)
    respond(app, decliner, accept=False)
    after = entries(app, ev.event_id)
    assert after[second_waiting][2] and not after[first_waiting][2]
    audit = verify_download(app, client, ev.event_id, tmp_path)
    assert audit["replacements"][0]["skipped"] == [first_waiting]
    # The public page lists the skip and the decline, each with its time and channel.
    public = client.get(f"/events/{ev.event_id}/lottery").get_data(as_text=True)
    rows = public.split('id="releases"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 2
    skip = next(row for row in rows if f"<code>{first_waiting}</code>" in row)
    assert "übergangen" in skip
    assert all(row.count("<td>") == 4 and "<td>–</td>" not in row for row in rows), rows


def test_mails_arrive_with_working_confirm_and_decline_links(app, admin, client, lottery_event, smtp):
    ev = lottery_event(seats=2, count=4)
    with app.app_context():
        ev.applications[0].language = "en"
        db.session.commit()
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "5")
    result = statuses(app, ev.application_ids)
    selected = [i for i in ev.application_ids if result[i] == "selected"]
    waiting = [i for i in ev.application_ids if result[i] == "waitlisted"]
    email_of = dict(zip(ev.application_ids, ev.emails))
    # The commitment's receipts came first (issue 22 item 3); these are the draw's mails.
    mails = smtp.wait_for(lambda m: not m["Subject"].startswith(("Ihre Teilnahme", "Your entry")), count=4)
    by_recipient = {m["To"]: m for m in mails}
    english = by_recipient[ev.emails[0]]
    assert english["Subject"].startswith(("You have been drawn", "You are on the waiting list"))
    german = by_recipient[email_of[next(i for i in ev.application_ids if i != ev.application_ids[0])]]
    assert german["Subject"].startswith(("Sie wurden ausgelost", "Sie stehen auf der Warteliste"))
    for mail in mails:
        assert mail.get_body(("html",)) is not None and mail.get_body(("plain",)) is not None

    def seat_link(application_id):
        links = [u for u in find_links(by_recipient[email_of[application_id]]) if "/seat" in u]
        assert links, find_links(by_recipient[email_of[application_id]])
        return urlsplit(links[0]).path

    confirm_path, decline_path = seat_link(selected[0]), seat_link(selected[1])
    page = client.get(confirm_path)
    assert page.status_code == 200 and 'value="confirm"' in page.get_data(as_text=True)
    assert post(client, confirm_path, {"answer": "confirm"}).status_code == 303
    assert post(client, decline_path, {"answer": "decline"}).status_code == 303
    now = statuses(app, ev.application_ids)
    assert now[selected[0]] == "confirmed" and now[selected[1]] == "declined"
    # Confirming issues the ticket for check-in and voting, and mails its code.
    with app.app_context():
        from app.events.models import Application
        from app.voting.tickets import ticket_of

        ticket = ticket_of(db.session.get(Application, selected[0]))
        assert ticket is not None
        assert ticket_of(db.session.get(Application, selected[1])) is None
        code = ticket.code
    ticket_mail = smtp.wait_for(lambda m: m["To"] == email_of[selected[0]]
                                and code in m.get_body(("plain",)).get_content().replace("-", ""))
    assert ticket_mail
    admitted = [i for i in waiting if now[i] == "selected"]
    assert len(admitted) == 1
    offer = smtp.wait_for(lambda m: m["To"] == email_of[admitted[0]] and "/seat" in " ".join(find_links(m))
                          and ("frei" in m["Subject"] or "free" in m["Subject"]))[0]
    offer_path = next(urlsplit(u).path for u in find_links(offer) if "/seat" in u)
    assert 'value="confirm"' in client.get(offer_path).get_data(as_text=True)
    # A waiting applicant's link shows the place, but offers no buttons.
    still_waiting = next(i for i in waiting if now[i] == "waitlisted")
    waiting_page = client.get(seat_link(still_waiting)).get_data(as_text=True)
    assert 'id="seat-status"' in waiting_page and 'value="confirm"' not in waiting_page
    # The manage page (owned by the applications feature) shows the seat slot.
    manage = client.get(f"/applications/{ev.tokens[ev.application_ids.index(selected[0])]}").get_data(as_text=True)
    assert 'id="seat-heading"' in manage
    # A forged token is not found.
    assert client.get("/applications/not-a-token.xyz/seat").status_code == 404


def test_deadline_passed_on_confirm_lapses_the_seat(app, admin, lottery_event):
    from app.lottery.seats import respond_to_seat
    from app.lottery.models import LotteryEntry

    ev = lottery_event(seats=1, count=3)
    commit(admin, ev.event_id)
    draw(admin, ev.event_id, "2", deadline=deadline_text(1))
    with app.app_context():
        entry = db.session.execute(sa.select(LotteryEntry).where(LotteryEntry.rank.is_(None))).scalar_one()
        outcome = respond_to_seat(entry, True, now=entry.confirm_deadline + timedelta(minutes=1))
        db.session.commit()
        assert outcome == "expired"
        assert entry.application.status == "declined" and entry.release_reason == "expired"
