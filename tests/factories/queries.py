"""A measuring fixture for every test: the SQL statements a block of code executes."""
from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest
import sqlalchemy as sa


@pytest.fixture
def count_queries(app) -> Callable:
    """``with count_queries(engine) as counter: ...; counter.n`` → SQL statements executed."""
    from contextlib import contextmanager

    # The mail outbox looks for due mail after the first request of every minute, in that
    # request's thread: counted requests would see one more statement whenever a minute ends.
    app.config["MAIL_RETRY_INTERVAL"] = -1

    @contextmanager
    def counting(engine):
        counter = SimpleNamespace(n=0, statements=[])
        # Only this thread: the test client runs the request here, while background threads
        # (e.g. the mail outbox) may use the same engine at any moment.
        thread = threading.get_ident()

        def before(conn, cursor, statement, parameters, context, executemany):
            if threading.get_ident() == thread:
                counter.n += 1
                counter.statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting
