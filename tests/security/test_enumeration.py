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
