"""One transaction per request (issue 23, item 5; app/core/transactions.py): a view that answers
below 400 is committed without committing itself; an exception, a DomainError or an answer of 400
or more (a 422 form refusal) stores nothing, also when the refused form's page is rendered again
inside the request (app/core/formreplay.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import abort, redirect

from app.core import formreplay
from app.core.access import public
from app.core.domain import DomainError
from app.events.models import Process
from app.extensions import db


def _add(title: str) -> None:
    db.session.add(Process(title=title))
    db.session.flush()  # as a service does: the row is written, the transaction still open


ANSWERS = {
    "page": lambda: "saved",
    "redirect": lambda: redirect("/", 303),
    "form-refused": lambda: ("the form again with its errors", 422),
    "domain-error": lambda: (_ for _ in ()).throw(DomainError("refused", "No.")),
    "abort": lambda: abort(404),
    "bug": lambda: (_ for _ in ()).throw(RuntimeError("a bug after the change")),
    "refused-in-place": lambda: formreplay.page_with_refusal("/", "field", "No."),
}


@pytest.fixture
def writing_app(app):
    """``POST /tx/<answer>`` adds a process named after the answer, then answers as ``ANSWERS`` says."""

    @public
    def write(answer: str):
        _add(answer)
        return ANSWERS[answer]()

    app.add_url_rule("/tx/<answer>", "tx_write", write, methods=["POST"])
    app.config.update(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)
    return app


def _stored(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(sa.select(Process.title)).scalars())


@pytest.mark.parametrize(("answer", "status"), [("page", 200), ("redirect", 303)])
def test_a_view_that_answers_normally_is_committed(writing_app, answer, status):
    response = writing_app.test_client().post(f"/tx/{answer}")
    assert response.status_code == status
    assert _stored(writing_app) == [answer]


@pytest.mark.parametrize(("answer", "status"), [
    ("form-refused", 422), ("domain-error", 409), ("abort", 404), ("bug", 500), ("refused-in-place", 422),
])
def test_a_refused_or_failed_request_stores_nothing(writing_app, answer, status):
    response = writing_app.test_client().post(f"/tx/{answer}")
    assert response.status_code == status
    assert _stored(writing_app) == []


def test_a_domain_error_no_view_answered_is_a_page_with_its_message_not_a_500(writing_app):
    """A feature's refusal that escaped its view is "not possible" with the rule's message (409),
    in HTML for a browser and in the one JSON error shape for a client that asks for JSON."""
    client = writing_app.test_client()
    page = client.post("/tx/domain-error", headers={"Accept-Language": "de"})
    assert page.status_code == 409 and "No." in page.get_data(as_text=True)
    assert "Nicht möglich" in page.get_data(as_text=True)
    answer = client.post("/tx/domain-error", headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert answer.get_json()["error"] | {"title": None} == {"code": "refused", "status": 409, "message": "No.",
                                                          "title": None}
