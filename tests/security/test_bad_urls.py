"""Bad ids in URLs and nasty query strings: a 404 or a clear message, never a 500.

Ids beyond the database's integer range used to reach PostgreSQL ("integer out of range").
The query parameter names are read from the views' source (``request.args.get("…")``), so
a parameter added later is fuzzed too.
"""
from __future__ import annotations

import inspect
import re

import pytest

from app.core.security import MAX_ID
from tests.security.walks import all_routes, body_of, build_url, expected_denial, side_of

INT_PARAMETER = re.compile(r"<int:(\w+)>")
QUERY_NAME = re.compile(r"request\.args\.(?:get|getlist)\(\s*[\"'](\w+)[\"']")
NASTY_QUERY = ["-1", str(MAX_ID + 1), "9" * 40, "abc\x00", "x" * 5000, "😀' OR 1=1 --"]


def query_names(app) -> set[str]:
    names = set()
    for view in app.view_functions.values():
        try:
            source = inspect.getsource(inspect.getmodule(inspect.unwrap(view)))
        except (TypeError, OSError):
            continue
        names |= set(QUERY_NAME.findall(source))
    return names


@pytest.mark.parametrize("number", [MAX_ID + 1, 2**63, 10**30])
def test_ids_out_of_range_are_404(app, world, persona, number):
    admin = persona("admin")
    checked = 0
    for route in all_routes(app):
        names = INT_PARAMETER.findall(route.rule.rule)
        if not names:
            continue
        for name in names:
            url = _with(app, route, world, name, number)
            for method in route.methods:
                data = {"csrf_token": admin.csrf_token()} if method != "GET" else None
                response = admin.open(url, method=method, data=data)
                body_of(response)
                assert response.status_code == 404, f"{method} {url}: {response.status_code}"
                checked += 1
    assert checked > 20


def _with(app, route, world, name: str, number: int) -> str:
    """The route's URL with parameter ``name`` set to ``number`` (bypassing the converter's range)."""
    placeholder = 424242
    url = build_url(app, route, world, **{name: placeholder})
    return url.replace(f"/{placeholder}", f"/{number}", 1)


@pytest.mark.parametrize("persona_name", ["participant", "admin"])
def test_nasty_query_strings_never_fail(app, world, persona, persona_name):
    names = query_names(app)
    assert {"exclude", "after"} <= names, names
    client = persona(persona_name)
    for route in all_routes(app):
        if "GET" not in route.methods or expected_denial(route.access, persona_name):
            continue
        url = build_url(app, route, world, side_of(persona_name))
        for value in NASTY_QUERY:
            response = client.get(url, query_string={name: value for name in names})
            body = body_of(response)
            assert response.status_code < 500, f"GET {url}?…={value!r} as {persona_name}: {response.status_code}"
            assert "Traceback" not in body


@pytest.mark.parametrize("persona_name", ["participant", "moderator_a", "admin"])
def test_ids_out_of_range_in_form_fields_never_fail(app, world, persona, persona_name):
    """Every form field that carries a number (hidden ids, selects of ids, radio options) gets one
    beyond the integer range, one field at a time: a message or a 404, never a 500."""
    from tests.security.walks import discover_forms

    checked = 0
    for form in discover_forms(app, world, persona(persona_name)):
        if form.action.endswith("/logout"):
            continue
        numeric = {f.name for f in form.fields if f.name != "csrf_token"
                   and any(v.isdigit() for v in [f.value, *f.options])}
        for name in sorted(numeric):
            client = persona(persona_name)
            data = {**form.filled(), name: [str(MAX_ID + 1)], "csrf_token": [client.csrf_token()]}
            response = client.post(form.action, data=data)
            body_of(response)
            assert response.status_code < 500, f"{form} with {name}={MAX_ID + 1}: {response.status_code}"
            checked += 1
    assert checked
