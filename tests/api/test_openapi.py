"""Schemathesis against ``/api/v1/openapi.json``: every operation keeps to its schema, no input gives a 500.

The seeded world's first process and event have id 1 (the schema's examples),
so the explicit examples reach the real records; generated ids, strings, NUL
bytes and huge numbers exercise the 400 and 404 answers.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]


@pytest.fixture
def api_schema(app, api_world):
    assert api_world.process_id == 1 and api_world.event_id == 1, "the schema's examples point at id 1"
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_and_never_fails(case):
    response = case.call()
    case.validate_response(response, checks=CHECKS)


def test_openapi_document_lists_every_api_route(app, client):
    """Each ``/api/v1`` route is documented, and nothing else is."""
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {path.replace("{", "<int:").replace("}", ">") for path in document["paths"]}
    routes = {rule.rule.removeprefix("/api/v1") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_document"}
    assert documented == routes
