"""No account enumeration: login and the application form answer alike whether an address is known."""
from __future__ import annotations

import re

from tests.security.forms import find_forms

TOKEN = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+|(value=")[^"]*("[^>]*name="csrf_token")')


def normalised(response, echoed: str = "") -> tuple[int, str | None, str]:
    """Status, redirect and body, without the form token and the address the form echoes back."""
    body = TOKEN.sub("TOKEN", response.get_data(as_text=True))
    if echoed:
        body = re.sub(re.escape(echoed), "EMAIL", body, flags=re.I)
    return response.status_code, response.location, body


def test_login_answers_alike_for_known_unknown_and_disabled_accounts(app, world, persona, create_user):
    create_user(roles=("admin",), email="disabled@world.example", active=False)
    answers = {}
    for email in (world.admin_email, "nobody@world.example", "disabled@world.example",
                  world.admin_email.upper()):
        client = persona("anonymous")
        answers[email] = normalised(client.submit("/login", {"email": email, "password": "wrong password!"}),
                                    echoed=email)
    distinct = {answer for answer in answers.values()}
    assert len(distinct) == 1, {email: answer[:2] for email, answer in answers.items()}
    assert next(iter(distinct))[0] == 200


def test_application_answers_alike_for_new_and_known_addresses(app, world, persona, smtp):
    """A second application with the same address looks exactly like a first one (the mail
    tells the owner, nobody else learns that the address applied)."""
    url = f"/events/{world.other_event_id}/apply"
    page = persona("anonymous").get(url)
    assert page.status_code == 200
    form = next(f for f in find_forms(page.get_data(as_text=True), url) if "email" in f.names)

    def apply(email: str):
        client = persona("anonymous")
        data = {**form.filled(), "name": ["Some Resident"], "email": [email], "csrf_token": [client.csrf_token()]}
        first = client.post(form.action, data=data)
        followed = client.get(first.location) if first.status_code == 302 else first
        return normalised(first), normalised(followed)

    first_time = apply("twice@world.example")
    second_time = apply("twice@world.example")
    someone_else = apply("someone.else@world.example")
    assert first_time[0][0] == 302, first_time[0][:2]
    assert first_time == second_time == someone_else


MARKUP_TITLE = '<b id="foreign">Foreign</b> & event'


def test_another_events_ticket_code_answers_like_a_wrong_code(app, world, persona, in_app):
    """Issue 14 (items 5, 9): a code is only valid on its own event's pages. The other event's
    code (the event's title carries markup) opens nothing on the world event's voting page, QR
    link and check-in, and the answer is the same as for a code no event has: it names no
    other event, escaped or not."""
    import sqlalchemy as sa

    from app.events.models import Event
    from app.extensions import db
    from app.voting.codes import format_code, new_code
    from app.voting.models import Ticket

    def foreign_code_and_wrong_code() -> tuple[str, str]:
        db.session.get(Event, world.other_event_id).title = MARKUP_TITLE
        db.session.commit()
        codes = set(db.session.execute(sa.select(Ticket.code)).scalars())
        wrong = next(code for code in iter(new_code, None) if code not in codes)
        return format_code(db.session.get(Ticket, world.other_ticket_id).code), format_code(wrong)

    foreign, wrong = in_app(foreign_code_and_wrong_code)
    vote = f"/events/{world.event_id}/vote"
    checkin = f"/manage/events/{world.event_id}/checkin"
    answers: dict[str, list] = {}
    for code in (foreign, wrong):
        typed, scanned = persona("anonymous"), persona("anonymous")
        door = persona("admin")
        answers[code] = [
            normalised(typed.submit(vote, {"code": code}), echoed=code),
            normalised(typed.get(vote)),
            normalised(scanned.get(f"{vote}/t/{code.replace('-', '')}"), echoed=code.replace("-", "")),
            normalised(door.submit(checkin, {"code": code}), echoed=code),
            door.submit(checkin, {"code": code}, headers={"Accept": "application/json"}).get_json(),
        ]
    assert answers[foreign][0][0] == 422 and answers[foreign][2][0] == 404
    assert answers[foreign][4]["ok"] is False and answers[foreign][4]["code"] == "unknown_code"
    for status, _location, body in answers[foreign][:4]:
        assert "Foreign" not in body and "foreign" not in body
    assert answers[foreign] == answers[wrong]
    ballot = persona("anonymous")
    ballot.submit(vote, {"code": foreign})
    assert "vote/dots" not in ballot.get(vote).get_data(as_text=True)
