"""Bad input on the application form: a clear message, nothing stored, never a 500 (SQLite and PostgreSQL)."""
from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from app.core.models import OutboxMail
from app.events.models import Application, ApplicationAnswer
from app.extensions import db

NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50).map(lambda s: s + "\x00" + s),
    st.just("x" * 100_000),
    st.just("😀" * 300),
    st.just("مرحبا بالعالم \u202e gnp.exe"),
    st.just("\u200f\u202b rtl"),
    st.just("a@b"), st.just("@example.org"), st.just("a@@example.org"), st.just("ada@exa mple.org"),
    st.just("ada@example.org\r\nBcc: victim@example.org"),
    st.just(""), st.just("   "),
)
OPTION_IDS = st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str), NASTY)


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one(),
                db.session.execute(sa.select(sa.func.count()).select_from(OutboxMail)).scalar_one())


@given(field=st.sampled_from(["name", "email", "consent", "age", "district", "all_criteria_foreign"]),
       value=NASTY, option=OPTION_IDS)
def test_every_field_fuzzed(app, open_event, application_form_data, event_options, field, value, option):
    app.config["MAIL_SEND_AFTER_REQUEST"] = False
    with app.app_context():
        db.session.execute(sa.delete(OutboxMail))
        db.session.execute(sa.delete(ApplicationAnswer))  # SQLite runs without ON DELETE CASCADE
        db.session.execute(sa.delete(Application))
        db.session.commit()
    event_id = getattr(app, "_fuzz_event", None) or open_event().id
    other_event = getattr(app, "_fuzz_other", None) or open_event().id
    app._fuzz_event, app._fuzz_other = event_id, other_event
    options = event_options(event_id)
    data = application_form_data(event_id)
    if field in ("name", "email"):
        data[field] = value
    elif field == "consent":
        data.pop("consent")  # missing consent, whatever else is sent
        data["name"] = value or "Ada"
    elif field == "all_criteria_foreign":
        foreign = event_options(other_event)
        data[f"criterion_{options['_id_age']}"] = str(foreign["age"][0])  # another event's option
    else:
        data[f"criterion_{options['_id_' + field]}"] = option
    client = app.test_client()
    response = client.submit(f"/events/{event_id}/apply", data)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    applications, mails = _stored(app)
    if response.status_code == 302:
        # Accepted: only possible when every field was valid after cleaning.
        assert applications == 1 and mails == 1
        with app.app_context():
            stored = db.session.execute(sa.select(Application)).scalar_one()
            assert "\x00" not in stored.name and len(stored.name) <= 200
            assert "\n" not in stored.email and "@" in stored.email and stored.email == stored.email.lower()
    else:
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert 'id="error-summary"' in html
        assert (applications, mails) == (0, 0)


def test_missing_fields_entirely(app, client, open_event):
    event_id = open_event().id
    response = client.submit(f"/events/{event_id}/apply", {})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte beantworten" in html or "Bitte wählen Sie eine Antwort." in html
    assert _stored(app) == (0, 0)


def test_option_of_another_criterion_is_refused(app, client, open_event, application_form_data, event_options):
    event_id = open_event().id
    options = event_options(event_id)
    data = application_form_data(event_id)
    data[f"criterion_{options['_id_age']}"] = str(options["district"][0])
    response = client.submit(f"/events/{event_id}/apply", data)
    assert response.status_code == 422
    assert "Bitte wählen Sie eine der Antworten." in response.get_data(as_text=True)
    assert _stored(app) == (0, 0)
