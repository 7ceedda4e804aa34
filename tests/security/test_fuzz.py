"""Hypothesis fuzzing of every form on PostgreSQL: whatever is sent, never a 500.

Each form found on the pages of a persona gets a few examples in which every field is
either kept or replaced by something nasty (NUL bytes, huge strings, wrong types, other
scripts, ids out of range, several values for one field).
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.walks import body_of, discover_forms

pytestmark = pytest.mark.postgres_only

NASTY = st.one_of(
    st.text(max_size=60),
    st.text(max_size=20).map(lambda s: s + "\x00" + s),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", " ", "x" * 70_000, "😀" * 500, "\u202egnp.exe", "0", "-1", "1e309", "NaN",
                     "2026-13-45T25:61", "9999-12-31T23:59", "null", "[]", "{}", "%00", "../../etc/passwd",
                     "' OR 1=1 --", "a@b", "\r\nBcc: x@example.org", "true", "on", "y"]),
)


def field_values(form):
    """For every field name of the form: keep the filled value, drop the field, or a nasty list."""
    names = sorted(form.names - {"csrf_token"}) or ["_nothing"]
    choice = st.one_of(st.just("keep"), st.just("drop"), st.lists(NASTY, min_size=1, max_size=2))
    return st.fixed_dictionaries({name: choice for name in names})


@pytest.mark.parametrize("persona_name", ["anonymous", "resident", "participant", "moderator_a", "admin"])
def test_every_form_fuzzed_never_fails(app, world, persona, persona_name):
    forms = [f for f in discover_forms(app, world, persona(persona_name)) if not f.action.endswith("/logout")]
    assert forms
    client = persona(persona_name)
    token = client.csrf_token()

    for form in forms:
        @settings(max_examples=6, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(values=field_values(form))
        def fuzz(values):
            data = form.filled()
            for name, value in values.items():
                if value == "drop":
                    data.pop(name, None)
                elif value != "keep":
                    data[name] = value
            data["csrf_token"] = [token]
            response = client.post(form.action, data=data)
            body = body_of(response)
            assert response.status_code < 500, f"{form} with {values!r}: {response.status_code} {body[:300]}"
            assert "Traceback" not in body

        fuzz()
