"""The public outcome page of an event (``/events/<id>/results``), live while its results are
being published: a board count, a hidden or merged idea, a check-in change what it shows.

The page is made of a few sections (:data:`SECTIONS`: the key figures, the ranking, the stands,
the tags, the participation), each rendered by ``results/_public_event_section.html`` and
marked with a hash of its HTML. An update carries only the sections whose HTML changed (in
the page's language), never the whole page:

* production (nginx holds the streams): after a commit that changed an event
  (``app.voting.live.AFTER_VOTING_COMMIT``: attendance, board counts, open/close, the event's
  ideas) the background sender renders the unfiltered first page of a published event once per
  language and publishes ``{"as_of", "lang", "published": true, "sections": {name: {hash,
  html}}}`` with the sections that changed since its last publish to the public ``results``
  channel of the event, as the SSE event ``outcome`` (the voting results page listens to
  ``results`` there). A page with a filter or on a later page of the ranking reads its own
  state when such a message comes.
* development: the app's own stream of the same (``…/results/stream``).
* both: ``…/results.json`` is the whole state of the page as asked (its catch-up and its
  polling fallback).

The HTML is rendered by the same template as the page, so it is escaped the same way.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time

from flask import abort, current_app, jsonify, render_template, request
from flask_babel import get_locale

from app.core import live as core_live
from app.core.access import public
from app.core.i18n import LANG_COOKIE
from app.core.security import MAX_ID
from app.core.live import Message
from app.events.models import Event, EventStatus
from app.extensions import db
from app.results import bp, display
from app.results.base import ResultsError, prepared
from app.results.participation import participation
from app.results.scope import event_scope, make_scope
from app.voting import live as voting_live

SECTIONS = ("figures", "ranking", "stands", "tags", "participation")
_LOCK = threading.Lock()


def page_context(event: Event, args) -> tuple[dict, str | None]:
    """What the outcome page shows for the query ``args`` (stand, tag, page), and the filter's
    error (then everything is shown)."""
    error = None
    try:
        scope = make_scope(event.process_id, event_ids=[event.id], stand_id=args.get("stand"),
                           tag_id=args.get("tag"))
    except ResultsError as exc:
        error = exc.message
        scope = event_scope(event)
    unfiltered = event_scope(event)
    page = display.page_number(args.get("page"))
    with prepared(scope) as counted:
        context = display.results_context(counted, unfiltered, page=page, per_page=display.PUBLIC_PAGE_SIZE)
    context.update(event=event, participation=participation([event.id])[event.id])
    return context, error


def render_sections(context: dict) -> dict[str, dict]:
    """``{section: {"hash", "html"}}`` of the page (in the current request's language)."""
    found = {}
    for name in SECTIONS:
        html = render_template("results/_public_event_section.html", section=name, **context)
        found[name] = {"hash": hashlib.sha1(html.encode()).hexdigest()[:16], "html": html}
    return found


def outcome_state(event: Event, args) -> dict:
    context, _error = page_context(event, args)
    return {"as_of": time.time(), "sections": render_sections(context)}


def _changed_sections(previous: dict, current: dict) -> dict | None:
    sections = {name: part for name, part in current["sections"].items()
                if previous["sections"].get(name, {}).get("hash") != part["hash"]}
    return {**current, "sections": sections} if sections else None


def published_event(event_id: int) -> Event | None:
    event = db.session.get(Event, event_id) if 0 < event_id <= MAX_ID else None
    return event if event is not None and event.status == EventStatus.PUBLISHED.value else None


# -- publishing (production) -------------------------------------------------------------------


def outcome_messages(event_id: int) -> list[Message]:
    """Run in the sender: per language, the sections of the unfiltered first page that changed
    since this process last published them (all of them the first time)."""
    if published_event(event_id) is None:
        return []  # most commits (ideas saved at an event that is going on): one query
    app = current_app._get_current_object()
    last = app.extensions.setdefault("results_live_outcome", {})
    messages = []
    for lang in app.config["LANGUAGES"]:
        # An app context of its own per language: Flask-Babel keeps the locale in ``g``.
        with app.app_context(), app.test_request_context(f"/events/{event_id}/results",
                                                         headers={"Cookie": f"{LANG_COOKIE}={lang}"}):
            event = published_event(event_id)
            if event is None:
                return []
            state = outcome_state(event, {})
        with _LOCK:
            previous = last.get((event_id, lang))
            last[(event_id, lang)] = state
        update = state if previous is None else _changed_sections(previous, state)
        if update is not None:
            data = {**update, "lang": lang, "published": True}
            messages.append(Message(f"results/{event_id}", json.dumps(data, ensure_ascii=False), event="outcome"))
    return messages


def _voting_committed(event_ids: set[int]) -> None:
    for event_id in event_ids:
        core_live.publish_computed(f"outcome-{event_id}", lambda e=event_id: outcome_messages(e))


def init_app(app) -> None:
    if _voting_committed not in voting_live.AFTER_VOTING_COMMIT:
        voting_live.AFTER_VOTING_COMMIT.append(_voting_committed)


# -- endpoints -----------------------------------------------------------------------------------


def published_event_or_404(event_id: int) -> Event:
    """Unpublished events (and their results) do not exist for the public: 404."""
    event = published_event(event_id)
    if event is None:
        abort(404)
    return event


@bp.route("/events/<int:event_id>/results.json")
@public
def outcome_json(event_id: int):
    """The whole state of the outcome page as asked (its catch-up and polling fallback)."""
    return core_live.no_store(jsonify(outcome_state(published_event_or_404(event_id), request.args)))


@bp.route("/events/<int:event_id>/results/stream")
@public
def outcome_stream(event_id: int):
    """Development: the app's own stream of the outcome page (as asked, in the page's language)."""
    event_id = published_event_or_404(event_id).id
    app = current_app._get_current_object()
    args = {k: v for k, v in request.args.items() if k in ("stand", "tag", "page")}
    headers = {"Cookie": f"{LANG_COOKIE}={str(get_locale())}"}

    def compute() -> dict:
        with app.test_request_context(f"/events/{event_id}/results", query_string=args, headers=headers):
            return outcome_state(db.session.get(Event, event_id), args)

    return core_live.stream_response("outcome", compute, _changed_sections)
