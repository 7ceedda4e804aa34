"""Error reports to a Sentry-compatible service (issue 20, item 3): a real SDK sending to a
loopback HTTP endpoint that stores the envelopes, as GlitchTip would receive them. What arrives
names the route pattern and the exception type, and nothing personal."""
from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import wait_until

EMAIL = "lena.schaefer@example.org"
SECRET = "gmyh2RzA3GibI6pOGyclt_aecFSQKFTQ"


class Collector(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.envelopes: list[bytes] = []

    def events(self) -> list[dict]:
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2]):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]

            body = brotli.decompress(body)
        self.server.envelopes.append(body)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def app_config(collector):
    return {"SENTRY_DSN": f"http://publickey@127.0.0.1:{collector.server_address[1]}/7",
            "SENTRY_ENVIRONMENT": "test"}


@pytest.fixture(autouse=True)
def _sdk_closed_after():
    yield
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


def test_without_a_dsn_nothing_is_set_up(tmp_path):
    from app import create_app
    from config import TestingConfig

    assert "sentry" not in create_app(TestingConfig, INSTANCE_PATH=str(tmp_path)).extensions


def test_a_wrong_dsn_stops_the_start(tmp_path):
    from app import create_app
    from config import TestingConfig

    with pytest.raises(RuntimeError, match="SENTRY_DSN"):
        create_app(TestingConfig, SENTRY_DSN="glitchtip.example", INSTANCE_PATH=str(tmp_path))


def test_an_unhandled_error_arrives_without_personal_data(app, collector):
    import sentry_sdk

    def boom(token: str):
        raise RuntimeError(f"could not write {EMAIL} for {token}")

    app.add_url_rule("/boom/<token>", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not a raise
    client = app.test_client()
    client.set_cookie("session", SECRET)
    response = client.get(f"/boom/{SECRET}?email={EMAIL}&name=Lena+Sch%C3%A4fer",
                          headers={"Authorization": f"Bearer {SECRET}", "User-Agent": "pytest"})
    assert response.status_code == 500
    sentry_sdk.flush(5)
    events = wait_until(lambda: [e for e in collector.events() if e.get("environment") == "test"
                                 and e.get("request", {}).get("url") == "/boom/<token>"],
                        message=lambda: repr(collector.events()))
    event = events[-1]
    raw = json.dumps(event)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["method"] == "GET"
    assert event["request"]["headers"] == {"User-Agent": "pytest"}
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    for personal in (EMAIL, SECRET, "Lena", "Schäfer", "Sch\\u00e4fer"):
        assert personal not in raw, personal
    assert "user" not in event and "server_name" not in event


def test_an_error_log_line_arrives_redacted(app, collector):
    import sentry_sdk

    with app.test_request_context("/"):
        logging.getLogger("app.jobs.services").error("job 12 failed for %s with %s", EMAIL, SECRET)
    sentry_sdk.flush(5)
    events = wait_until(lambda: [e for e in collector.events() if "job 12 failed" in json.dumps(e)],
                        message=lambda: repr(collector.events()))
    raw = json.dumps(events[-1])
    assert EMAIL not in raw and SECRET not in raw
    assert "[email]" in raw and "[redacted]" in raw
