"""Every route has an access decision, CSRF protects every state change, roles hold.

These tests walk ``app.url_map``: a route added later is covered automatically,
and a route without an access decision fails the suite.
"""
from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from flask import Flask

from app.core.access import ROLES, access_of
from app.extensions import db

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Tables that legitimately change on any request (rate-limit bookkeeping).
VOLATILE_TABLES = {"rate_limit_counter"}


def routes(app: Flask):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        yield rule, view


def sample_values(app: Flask, demo: dict, staff_ids: dict[str, int]) -> dict[str, object]:
    """Values for URL parameters, by name. A new parameter name needs an entry here."""
    from tests.core.route_samples import build_samples

    return build_samples(app, demo, staff_ids)


def build_url(app: Flask, rule, values: dict) -> str:
    missing = [arg for arg in rule.arguments if arg not in values]
    assert not missing, (
        f"route {rule.rule} has URL parameters {missing} without a sample value: "
        "add them to tests/core/route_samples.py"
    )
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


def snapshot(app: Flask) -> str:
    """A digest of every row of every table (but rate-limit counters)."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def test_every_route_declares_access(app):
    undecided = [
        rule.rule for rule, view in routes(app)
        if access_of(view) is None and not rule.endpoint.endswith("static")
    ]
    assert not undecided, f"routes without an access decision (@public / @staff_required): {undecided}"


@pytest.fixture
def world(app, demo, create_user):
    staff = {role: create_user(roles=(role,)) for role in ROLES}
    superuser = create_user(roles=ROLES)
    return {"demo": demo, "staff": staff, "superuser": superuser,
            "values": sample_values(app, demo, {r: u.id for r, u in staff.items()})}


def test_csrf_walk_state_changing_routes_reject_missing_token(app, world, login):
    client = app.test_client()
    login(client, world["superuser"])
    checked = 0
    for rule, view in routes(app):
        methods = (rule.methods or set()) & STATE_CHANGING
        if not methods:
            continue
        url = build_url(app, rule, world["values"])
        for method in sorted(methods):
            before = snapshot(app)
            for token in (None, "not-a-valid-token"):
                data = {} if token is None else {"csrf_token": token}
                response = client.open(url, method=method, data=data)
                assert response.status_code == 400, f"{method} {url} without a valid token: {response.status_code}"
            assert snapshot(app) == before, f"{method} {url} changed data without a CSRF token"
            checked += 1
    assert checked >= 3


def _expected_denied(access, role: str | None) -> bool:
    if access.kind == "public":
        return False
    if role is None:
        return True
    return bool(access.roles) and role not in access.roles


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_matrix(app, world, login, role):
    """Anonymous: redirect to login. Each role: allowed (not 403) or 403 as declared."""
    for rule, view in routes(app):
        access = access_of(view)
        if access is None or rule.endpoint.endswith("static"):
            continue
        url = build_url(app, rule, world["values"])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            # A fresh session per request: an allowed POST (such as logout) must not
            # affect the next check.
            client = app.test_client()
            if role:
                login(client, world["staff"][role])
            data = {"csrf_token": client.csrf_token()} if method in STATE_CHANGING else None
            response = client.open(url, method=method, data=data)
            where = f"{method} {url} as {role or 'anonymous'}"
            assert response.status_code < 500, f"{where}: {response.status_code}"
            if _expected_denied(access, role):
                if role is None:
                    assert response.status_code == 302 and "/login" in response.location, where
                else:
                    assert response.status_code == 403, f"{where}: {response.status_code}"
            else:
                assert response.status_code != 403, f"{where}: 403"
                assert not (response.status_code == 302 and re.search(r"/login\b", response.location or "")
                            and access.kind == "staff"), f"{where}: sent to login"
