"""A fake nchan publisher on loopback (the app's LIVE_PUBLISH_URL side), for the live-update tests
of ideas and voting: it records every request and can answer with another status or hang."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from tests.support.servers import free_port

PUBLISHER_PORT = free_port()
PUBLISH_URL = f"http://127.0.0.1:{PUBLISHER_PORT}/_live/publish"


class Publisher(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict | None]] = []
        self.status = 201
        #: While set, every request is held (nchan hangs) until ``release`` is set.
        self.hang = False
        self.release = threading.Event()
        self.answered = 0
        super().__init__(("127.0.0.1", PUBLISHER_PORT), Handler)


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append((self.command, self.path, json.loads(body) if body else None,
                                     self.headers.get("X-EventSource-Event")))
        if self.server.hang:
            self.server.release.wait(60)
        self.server.answered += 1
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@contextmanager
def running_publisher() -> Iterator[Publisher]:
    server = Publisher()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def sent(app) -> None:
    """Wait until the background sender has delivered (or given up) everything queued."""
    from app.core import live

    assert live.flush(app)
