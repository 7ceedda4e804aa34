"""The lottery page's forms keep what was typed when they are refused (issue 16 item 7): the page
again (422) with the message at its field (aria-describedby) and in the error summary, nothing
changed; corrected, the form goes through. German and English."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.lottery.models import LotteryDraw
from tests.factories.lottery import deadline_text


def error_of(html: str, field_id: str) -> str:
    """The text of the field's error message, which the field names in its aria-describedby."""
    tag = re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', html).group(0)
    assert re.search(rf'aria-describedby="[^"]*\b{re.escape(field_id)}-error\b', tag), f"{field_id} not described"
    return html.split(f'id="{field_id}-error">')[1].split("</p>")[0]


def draw_states(app) -> list[str]:
    with app.app_context():
        return db.session.execute(sa.select(LotteryDraw.state).order_by(LotteryDraw.id)).scalars().all()


def test_a_short_reason_for_the_redraw_stays_in_its_field(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    base = f"/manage/events/{ev.event_id}/lottery"
    assert admin.submit(f"{base}/commit", {"number_source": "public", "description": "Würfel"}).status_code == 303
    response = admin.submit(f"{base}/supersede", {"reason": "Zu kurz"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "mindestens 10 Zeichen" in error_of(html, "reason")
    assert "Zu kurz</textarea>" in html and 'id="error-summary"' in html
    assert draw_states(app) == ["committed"]
    reason = "Die Liste der Bewerbungen war unvollständig."
    assert admin.submit(f"{base}/supersede", {"reason": reason}).status_code == 303
    assert draw_states(app) == ["superseded"]


def test_a_refused_commitment_keeps_its_description_in_english(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    admin.submit("/language", {"lang": "en", "next": "/"})
    base = f"/manage/events/{ev.event_id}/lottery"
    admin.submit(f"{base}/preview")  # the page's script asks for it; the commitment form comes with it
    description = "Three ten-sided dice in the council meeting"
    response = admin.submit(f"{base}/commit", {"number_source": "", "description": description})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose how the number will be drawn." in html.split('id="number_source-error">')[1].split("</p>")[0]
    assert f'value="{description}"' in html
    assert draw_states(app) == []


def test_the_draw_keeps_the_deadline_when_the_number_is_wrong(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    base = f"/manage/events/{ev.event_id}/lottery"
    admin.submit(f"{base}/commit", {"number_source": "public", "description": "Würfel"})
    deadline = deadline_text(3)
    response = admin.submit(f"{base}/draw", {"number": "abc", "deadline": deadline})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "vier Würfel" in error_of(html, "number") and f'value="{deadline}"' in html
    assert draw_states(app) == ["committed"]


def test_the_files_page_names_the_file_that_is_missing(app, admin, lottery_event):
    ev = lottery_event(seats=2, count=4)
    url = f"/manage/events/{ev.event_id}/lottery/files"
    response = admin.submit(url, {"action": "dry_run", "dry-seats": "2"})
    assert response.status_code == 422
    assert "Personendatei" in error_of(response.get_data(as_text=True), "dry-people")
    bad = admin.submit(url, {"action": "dry_run", "dry-seats": "2", "dry-people": (io.BytesIO(b"\x00"), "p.csv")},
                       content_type="multipart/form-data")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    # The file could not be read: a message for the whole form, in its error summary.
    assert 'id="error-summary"' in html
