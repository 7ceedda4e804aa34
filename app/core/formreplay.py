"""A form sent with a token that no longer counts keeps what was typed (issue 16 item 7).

The form token is bound to the session (``WTF_CSRF_TIME_LIMIT = None``), and the session cookie
counts for ``PERMANENT_SESSION_LIFETIME`` (12 hours) after it was last written. A form left open
longer is refused by the CSRF check. Instead of an error page that loses the typed text, the
refused POST answers with the page the form was on (a GET of it, rendered in place), its fields
filled with the posted values, a fresh token and a message to check and send again.

CSRF is not weakened: nothing posted is ever acted on. The refused request changes nothing; the
page is what a GET shows, only its forms' fields are filled in, and the person must send the form
again, with the new token. The typed values are shown back only when the posted token was issued
to this browser: it matches the token of the session, or of the session cookie that has just
expired (read without its age limit, for that comparison only). A cross-site POST carries no
session cookie (``SameSite=Lax``) and no token of this browser, and gets the usual error page.

The page is the one named by the hidden ``_page`` field that page.js adds to every POST form
(a path of this site that answers GET), else the form's own URL if it answers GET. Which form on
that page gets the values: one whose fields include every posted name
(:func:`values_for`, used by :class:`app.core.forms.FlaskForm`).
"""
from __future__ import annotations

import hmac
import io
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, g, request, session
from flask.ctx import RequestContext
from flask_babel import gettext
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

#: The hidden field page.js adds to POST forms: the path of the page the form is on.
PAGE_FIELD = "_page"


def _token_field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"


def _expired_session() -> dict:
    """The content of the session cookie the browser sent, without the age limit (the session that
    has just expired), or ``{}``. Only to compare the form token with."""
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if not cookie or serializer is None:
        return {}
    try:
        data = serializer.loads(cookie)
    except BadData:
        return {}
    return data if isinstance(data, dict) else {}


def token_of_this_browser() -> bool:
    """The posted form token was issued to this browser's session (current or just expired)."""
    posted = request.form.get(_token_field())
    if not posted:
        return False
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    try:
        raw = URLSafeTimedSerializer(secret, salt="wtf-csrf-token").loads(posted)
    except BadData:
        return False
    stored = session.get(_token_field()) or _expired_session().get(_token_field())
    return isinstance(stored, str) and isinstance(raw, str) and hmac.compare_digest(stored, raw)


def _target() -> tuple[str, str] | None:
    """``(path, query)`` of the page to show again: the form's page, if it answers GET."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    root = request.script_root
    for candidate in (request.form.get(PAGE_FIELD), request.full_path):
        if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
            continue
        parts = urlsplit(candidate)
        path = parts.path[len(root):] if root and parts.path.startswith(root + "/") else parts.path
        try:
            adapter.match(path, method="GET")
        except HTTPException:  # unknown, POST only, or a redirect (slashes)
            continue
        return path, parts.query
    return None


def posted_values() -> MultiDict:
    """What was typed: the posted fields without the token and the page field."""
    skip = {_token_field(), PAGE_FIELD}
    return MultiDict([(key, value) for key, value in request.form.items(multi=True) if key not in skip])


def page_with_posted_values():
    """The response for a refused form token: the form's page with the typed values, or ``None``
    (no form of this browser, no page to show; the caller shows the error page)."""
    if request.method != "POST" or request.is_json or not request.form or not token_of_this_browser():
        return None
    target = _target()
    values = posted_values()
    if target is None or not values:
        return None
    message = gettext("Your session had expired, so the form was not sent. What you typed is still here: "
                      "please check it and send the form again.")
    if request.files:
        message += " " + gettext("Files have to be chosen again.")
    response = _render_get(*target, values, flash_message=message)
    if response is not None:
        response.status_code = 400  # the form was not accepted
    return response


def _render_get(path: str, query: str, values: MultiDict | None, flash_message: str | None = None,
                refusal: dict | None = None):
    """The response of a GET of ``path?query`` rendered in this request (the same session), with
    ``g.form_replay`` (and ``g.form_refusal``) set while it renders; ``None`` unless it is a 200."""
    action = request.path  # the form that was sent (:func:`typed_for`)
    environ = dict(request.environ)
    environ.pop("werkzeug.request", None)
    environ.update({
        "REQUEST_METHOD": "GET",
        "PATH_INFO": unquote(path).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": query,
        "CONTENT_LENGTH": "0",
        "wsgi.input": io.BytesIO(b""),
    })
    environ.pop("CONTENT_TYPE", None)
    app = current_app._get_current_object()
    shared_session = session._get_current_object()
    flashes_before = list(shared_session.get("_flashes", []))
    # The same session: the flash below and the fresh token live in it.
    ctx = RequestContext(app, environ, session=shared_session)
    with ctx:
        if values is not None:
            g.form_replay = values
            g.form_replay_action = action
        g.form_refusal = refusal
        if flash_message:
            flash(flash_message, "warning")
        try:
            response = app.make_response(app.dispatch_request())
        except HTTPException:
            response = None
        finally:
            g.pop("form_replay", None)
            g.pop("form_replay_action", None)
            g.pop("form_refusal", None)
    if response is None or response.status_code != 200:
        shared_session["_flashes"] = flashes_before  # the message belongs to the page that was not shown
        if not flashes_before:
            shared_session.pop("_flashes", None)
        return None
    return response


def page_with_refusal(page: str, field_id: str, message: str):
    """For a small hand-written form in a list (one per row, no WTForms form of its own): the page
    it is on (``page``, a path of this site) again, 422, with ``message`` at the field ``field_id``
    of the form that was sent (this request's URL) and what was typed, instead of a flash after a
    redirect. The row's template reads :func:`refusal_for`. ``None`` if the page cannot be shown."""
    parts = urlsplit(page)
    if not page.startswith("/") or page.startswith("//"):
        return None
    refusal = {"action": request.path, "field_id": field_id, "message": str(message), "typed": posted_values()}
    response = _render_get(parts.path, parts.query, None, refusal=refusal)
    if response is not None:
        response.status_code = 422
    return response


def refusal_for(action: str) -> dict | None:
    """The refusal of the hand-written form posting to ``action``, while its page is shown again:
    ``{"field_id", "message", "typed"}``, else ``None``."""
    refusal = g.get("form_refusal")
    return refusal if refusal and refusal["action"] == action else None


def typed_for(action: str) -> MultiDict | None:
    """What was typed into the hand-written form posting to ``action`` while its page is shown again,
    after a refusal (:func:`page_with_refusal`) or an expired session (:func:`page_with_posted_values`),
    else ``None``: its template fills the fields from it (a WTForms form does so by :func:`values_for`)."""
    refusal = refusal_for(action)
    if refusal:
        return refusal["typed"]
    values = g.get("form_replay")
    return values if values and g.get("form_replay_action") == action else None


def values_for(form) -> MultiDict | None:
    """The typed values to fill ``form`` with while the page is shown again: only for a form that
    has a field for every posted name (the form that was sent, not the page's other forms)."""
    values = g.get("form_replay")
    if not values:
        return None
    names = {field.name for field in form}
    for key, value in values.items(multi=True):
        if value and key not in names and not any(key.startswith(name + "-") for name in names):
            return None  # an empty extra (the apply form's honeypot) does not tell forms apart
    return values


def kept_text() -> list[str]:
    """What was typed, to copy, when the page cannot be shown again (the staff login has ended
    with the session): the posted texts that contain a letter, only for a form of this browser."""
    if request.method != "POST" or request.is_json or not token_of_this_browser():
        return []
    return [value for value in posted_values().values() if any(ch.isalpha() for ch in value)]
