"""/metrics: who may read it (token, networks after TRUSTED_PROXIES, neither set: 404) and what
it says (requests by route pattern, never a path; outbox backlog; jobs; queue; pool; streams)."""
from __future__ import annotations

import re

import pytest

TOKEN = "metrics-test-token-" + "x" * 20


def value(text: str, name: str, **labels) -> float:
    """The sample ``name{labels}`` of a Prometheus text page (labels in any order), 0 if absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        sample, _, number = line.rpartition(" ")
        found_name, _, rest = sample.partition("{")
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if found_name == name and all(found.get(k) == v for k, v in labels.items()):
            return float(number)
    return 0.0


def scrape(client, **headers):
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})


@pytest.mark.parametrize("app_config", [{}])
def test_without_token_or_networks_there_are_no_metrics(client):
    assert client.get("/metrics").status_code == 404
    assert scrape(client).status_code == 404


@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": TOKEN}])
def test_the_bearer_token_is_required(client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    response = scrape(client)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "ideenmarkt_outbox_backlog" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"METRICS_NETWORKS": "10.0.0.0/8, 192.168.7.1",
                                         "TRUSTED_PROXIES": "127.0.0.1"}])
def test_networks_use_the_client_address_resolved_from_trusted_proxies(client):
    def get(peer, forwarded=None):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        return client.get("/metrics", environ_base={"REMOTE_ADDR": peer}, headers=headers).status_code

    assert get("10.1.2.3") == 200 and get("192.168.7.1") == 200
    assert get("192.168.7.2") == 403 and get("127.0.0.1") == 403
    # Through the trusted nginx: the client it names counts, not nginx.
    assert get("127.0.0.1", "10.9.9.9") == 200
    assert get("127.0.0.1", "203.0.113.5") == 403
    # Someone else cannot claim an internal address.
    assert get("203.0.113.5", "10.9.9.9") == 403


@pytest.mark.parametrize("app_config", [{"METRICS_NETWORKS": "10.0.0.0/8", "METRICS_TOKEN": TOKEN}])
def test_with_both_set_both_are_required(client):
    inside = {"REMOTE_ADDR": "10.0.0.7"}
    assert client.get("/metrics", environ_base=inside).status_code == 403
    assert scrape(client).status_code == 403  # right token, outside
    assert client.get("/metrics", environ_base=inside,
                      headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_wrong_network_setting_stops_the_start(tmp_path):
    from app import create_app
    from config import TestingConfig

    with pytest.raises(RuntimeError, match="METRICS_NETWORKS"):
        create_app(TestingConfig, METRICS_NETWORKS="10.0.0.0/8, intranet", INSTANCE_PATH=str(tmp_path))


@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": TOKEN}])
def test_requests_are_counted_by_route_pattern_never_by_path(app, client, create_event):
    event_id = create_event(status="open").id
    before = scrape(client).get_data(as_text=True)
    pattern = "/events/<int:event_id>"
    for _ in range(3):
        assert client.get(f"/events/{event_id}").status_code == 200
    assert client.get("/events/987654").status_code == 404
    secret = "geheimerWandLink" + "q" * 24
    client.get(f"/wall/{secret}")
    client.get("/no/such/page/5551234")
    text = scrape(client).get_data(as_text=True)
    grown = value(text, "ideenmarkt_http_requests_total", route=pattern, method="GET", status="200") - value(
        before, "ideenmarkt_http_requests_total", route=pattern, method="GET", status="200")
    assert grown == 3
    assert value(text, "ideenmarkt_http_requests_total", route=pattern, method="GET", status="404") >= 1
    assert value(text, "ideenmarkt_http_request_duration_seconds_count", route=pattern, method="GET") >= 4
    assert 'route="/wall/<wall_token>"' in text and 'route="(no route)"' in text
    for leaked in (secret, "987654", "5551234"):
        assert leaked not in text, leaked


@pytest.mark.parametrize("app_config", [{"METRICS_TOKEN": TOKEN}])
def test_outbox_jobs_queue_and_pool_are_reported(app, client):
    from datetime import timedelta

    from app.core.mail import queue_mail
    from app.core.models import utcnow
    from app.extensions import db
    from app.jobs.models import Job

    text = scrape(client).get_data(as_text=True)
    assert value(text, "ideenmarkt_outbox_backlog") == 0
    assert value(text, "ideenmarkt_outbox_oldest_unsent_seconds") == 0
    with app.app_context():
        queue_mail("a@example.org", "Betreff", "Text")
        queue_mail("b@example.org", "Betreff", "Text")
        now = utcnow()
        db.session.add_all([
            Job(kind="results.export", status="failed", params_json="{}", finished_at=now - timedelta(minutes=5)),
            Job(kind="results.export", status="failed", params_json="{}", finished_at=now - timedelta(hours=3)),
            Job(kind="lottery.preview", status="queued", params_json="{}"),
        ])
        db.session.commit()
    text = scrape(client).get_data(as_text=True)
    assert value(text, "ideenmarkt_outbox_backlog") == 2
    assert value(text, "ideenmarkt_jobs", kind="results.export", status="failed") == 2
    assert value(text, "ideenmarkt_jobs", kind="lottery.preview", status="queued") == 1
    assert value(text, "ideenmarkt_jobs_failed_last_hour", kind="results.export") == 1
    for name in ("ideenmarkt_job_queue_length", "ideenmarkt_db_connections_in_use", "ideenmarkt_db_pool_size",
                 "ideenmarkt_live_streams_open"):
        assert re.search(rf"^{name}(\{{[^}}]*\}})? ", text, re.MULTILINE), name
    # Without nginx's live path there is no nchan line.
    assert "ideenmarkt_live_nchan_subscribers" not in text


def test_the_in_app_wall_stream_counts_while_it_is_open(app):
    from app.ideas import live
    from app.metrics.instruments import LIVE_STREAMS

    before = LIVE_STREAMS._value.get()
    app.config["IDEAS_STREAM_SECONDS"] = 0.01
    stream = live.stream(app, 123456, 0)
    assert next(stream).startswith("retry:")
    assert LIVE_STREAMS._value.get() == before + 1
    stream.close()
    assert LIVE_STREAMS._value.get() == before
