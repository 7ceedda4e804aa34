"""Hypothesis fuzzing of the login form: never a 500, never logged in."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

odd_text = st.one_of(
    st.text(max_size=300),
    # Every character a form can carry: lone surrogates (Cs) cannot be encoded in UTF-8 at all, so
    # no browser sends them and the test client could not either (the test failed now and then).
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50),
    st.just("\x00"), st.just("a\x00b@example.org"), st.just("x" * 100_000),
    st.just("‮evil‬@example.org"), st.just("😀" * 1000), st.just("' OR 1=1 --"),
)


@given(email=odd_text, password=odd_text)
def test_login_form_fuzz(app, create_user, email, password):
    client = app.test_client()
    response = client.submit("/login", {"email": email, "password": password})
    assert response.status_code in (200, 400, 413), response.status_code
    assert client.get("/account/password").status_code == 302


@given(data=st.dictionaries(st.text(max_size=20), st.text(max_size=50), max_size=6))
def test_login_with_arbitrary_fields(app, data):
    client = app.test_client()
    response = client.submit("/login", data)
    assert response.status_code < 500
