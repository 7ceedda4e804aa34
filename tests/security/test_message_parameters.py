"""Parameters of translated messages are escaped on every page (issue 14, item 5).

Domain errors carry lazily translated messages with parameters (an event title, a criterion's
question, an option, a number someone typed, the line of an uploaded file). Each test puts
markup into such a field, provokes the error whose message interpolates it, and reads the
rendered page: the markup must arrive as text, never as a tag. (Another event's title in the
voting page's "wrong code" answer: tests/security/test_enumeration.py.)
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.security.walks import body_of

MARKUP = '<script id="injected">alert(1)</script><b id="bold">x</b>'
ESCAPED = "&lt;script id=&#34;injected&#34;&gt;"


def assert_escaped(response, where: str) -> str:
    body = body_of(response)
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert 'id="injected"' not in body and 'id="bold"' not in body, f"{where}: markup rendered as HTML"
    return body


def test_criterion_question_in_the_application_form_errors(app, world, persona, in_app):
    """"Please answer “<question>”." on the public application form."""
    from app.events.models import Criterion
    from app.extensions import db

    def rename():
        for criterion in db.session.execute(
                sa.select(Criterion).where(Criterion.event_id == world.other_event_id)).scalars():
            criterion.label = MARKUP
        db.session.commit()

    in_app(rename)
    client = persona("anonymous")
    response = client.submit(f"/events/{world.other_event_id}/apply",
                             {"name": "Resident", "email": "markup@world.example", "consent": "y"})
    body = assert_escaped(response, "application form")
    assert response.status_code == 422 and ESCAPED in body


@pytest.mark.parametrize("field", ["label", "option"])
def test_question_and_option_in_the_criterion_editor_errors(app, world, persona, field):
    """"Criterion “<question>”, option “<option>”: …" on the criterion editor."""
    admin = persona("admin")
    data = {"label": MARKUP if field == "label" else "Alter", "key": "markup",
            "options-0-label": MARKUP if field == "option" else "Jung", "options-0-value": "x y",
            "options-1-label": "Alt", "options-1-value": "alt"}
    response = admin.submit(f"/manage/events/{world.other_event_id}/criteria/new", data)
    body = assert_escaped(response, f"criterion editor ({field})")
    assert response.status_code == 422 and ESCAPED in body


def test_lottery_page_escapes_the_preview_error_and_the_blocked_seat(app, world, persona, in_app,
                                                                     monkeypatch):
    """lottery/manage.html shows ``preview.error.message`` and ``vacancies.blocked.message``
    as they are: their parameters (quotas and options as the lottery names them) are escaped."""
    from flask_babel import lazy_gettext as _l

    from app.events.models import Event
    from app.extensions import db
    from app.lottery import jobs, seats
    from app.lottery.errors import LotteryError

    infeasible = LotteryError("infeasible", _l(
        "No panel of %(seats)s seats can meet all quotas with these applicants. Conflicts: %(conflicts)s. "
        "Nearest feasible change: %(suggestion)s.", seats=4, conflicts=MARKUP, suggestion=MARKUP))
    blocked = LotteryError("no_replacement", _l(
        "Nobody on the waiting list can take the seat without breaking a quota. Blocking: %(names)s.",
        names=MARKUP))
    real_preview, real_vacancies = jobs.preview, seats.vacancies

    def preview(event, **kwargs):
        result = real_preview(event, **kwargs)
        result.error = infeasible
        return result

    def vacancies(draw, **kwargs):
        result = real_vacancies(draw, **kwargs)
        result.blocked = blocked
        return result

    monkeypatch.setattr(jobs, "preview", preview)  # as the preview job calls it
    monkeypatch.setattr(seats, "vacancies", vacancies)

    def close_applications():
        db.session.get(Event, world.other_event_id).status = "closed"
        db.session.commit()

    in_app(close_applications)
    admin = persona("admin")
    for event_id, part in ((world.other_event_id, "lottery-problem"), (world.event_id, 'id="blocked"')):
        admin.submit(f"/manage/events/{event_id}/lottery/preview").close()  # as jobs.js does on loading
        response = admin.get(f"/manage/events/{event_id}/lottery")
        body = assert_escaped(response, f"lottery page of event {event_id}")
        assert response.status_code == 200 and part in body and ESCAPED in body
