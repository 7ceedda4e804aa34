"""Every form keeps what was typed when the session has ended before it was sent (issue 16 item 7).

The form token is bound to the session (12 hours). Every form the walks find, as every persona,
is filled with a distinct text in each text field and sent after its session has expired: the
answer is 400 and shows each typed text again (in the form, on the page it was on; for staff,
whose login has ended with the session, as text to copy). A form added later is covered without
a change here.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from tests.security.conftest import discover_forms
from tests.security.test_forms import FORM_PERSONAS
from tests.support.clients import expire_session


def test_every_form_keeps_the_typed_text_after_the_session_expired(app, world, persona):
    counter = iter(range(1, 100_000))
    lost, sent = [], 0
    for persona_name in FORM_PERSONAS:
        for form in discover_forms(app, world, persona(persona_name)):
            if not form.text_fields():
                continue
            client = persona(persona_name)
            data = form.filled()
            typed = {}
            for field in form.text_fields():
                typed[field.name] = f"Getippt{next(counter)}Text"
                data[field.name] = [typed[field.name]]
            data["csrf_token"] = [client.csrf_token()]
            page = urlsplit(form.page)
            data["_page"] = [page.path + (f"?{page.query}" if page.query else "")]
            expire_session(app, client)
            response = client.post(form.action, data=data)
            html = response.get_data(as_text=True)
            missing = [name for name, text in typed.items() if text not in html]
            if response.status_code != 400 or missing:
                lost.append(f"{persona_name}: {form} → {response.status_code}, lost {missing}")
            sent += 1
    assert sent >= 10
    assert not lost, "\n".join(lost)
