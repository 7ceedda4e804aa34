"""Test infrastructure: real services started on loopback for integration tests.

Plain classes and functions, no pytest fixtures (those live in
``tests/conftest.py`` and the factories plugin ``tests/factories/``):

- :mod:`tests.support.pgcluster`  throwaway PostgreSQL 15 cluster (+ CLI)
- :mod:`tests.support.smtp`       SMTP catcher collecting ``EmailMessage`` objects
- :mod:`tests.support.browser`    headless Debian Chromium for Playwright, axe-core checks
- :mod:`tests.support.servers`    free ports, WSGI live server, gunicorn, redis-server
- :mod:`tests.support.clients`    the isolated test client, DEFAULT_PASSWORD, PHONE and DESKTOP
- :mod:`tests.support.databases`  SQLite or PostgreSQL (ON_POSTGRES, PG_URL), emptying, dropping

Everything waits on conditions with a deadline (:func:`wait_until`), never
on fixed sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition not met",
    ignore: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    Exceptions raised by ``condition`` propagate at once, except those listed
    in ``ignore``: they count as "not yet", and the last one is chained to the
    final error.

    :param condition: polled callable.
    :param timeout: seconds until giving up.
    :param interval: pause between two polls.
    :param ignore: exception types meaning "not ready yet".
    :param message: text (or callable producing it, evaluated only on failure)
        for the :class:`TimeoutError`.
    :return: the first truthy value ``condition`` returned.
    :raises TimeoutError: if the deadline passes first.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = condition()
        except ignore as exc:
            last_error = exc
        else:
            if result:
                return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise TimeoutError(f"{text} (after {timeout:.1f}s)") from last_error
        time.sleep(interval)
