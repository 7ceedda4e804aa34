"""The API's rate limit: 429 as JSON, with Retry-After and CORS."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT": "3 per minute"}


def test_rate_limit_answers_429_json(client, api_world):
    statuses = [client.get("/api/v1/processes").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/processes", headers={"Accept-Language": "en"})
    error = response.get_json()["error"]
    assert error["code"] == "too_many_requests" and error["message"].startswith("You have tried this too often")
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Access-Control-Allow-Origin"] == "*"
