"""Plain helpers for the lottery's HTTP tests (no fixtures): the admin's deadline input, a form POST
that runs the outbox delivery after it, and committing and drawing a lottery through the staff pages."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

#: The admin's datetime-local input format (Berlin time).
BERLIN_FORMAT = "%Y-%m-%dT%H:%M"


def deadline_text(days: int = 7) -> str:
    """A deadline ``days`` ahead, as the admin's datetime-local input (Berlin time)."""
    return (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=days)).strftime(BERLIN_FORMAT)


def post(client, url, data=None):
    """POST a form and close the response, which runs the outbox delivery after it (as a server does)."""
    response = client.submit(url, data or {})
    response.close()
    return response


def commit(admin, event_id, kind="public", description="Drei Zehnerwürfel in der Ratssitzung"):
    """Publish the lottery's commitment through the staff page."""
    return post(admin, f"/manage/events/{event_id}/lottery/commit",
                {"number_source": kind, "description": description})


def draw(admin, event_id, number="17", deadline=None):
    """Draw the lottery through the staff page (``number`` None: the server draws)."""
    data = {"deadline": deadline or deadline_text()}
    if number is not None:
        data["number"] = number
    return post(admin, f"/manage/events/{event_id}/lottery/draw", data)
