"""Work started at the same moment from several threads, for the concurrency tests."""
from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(count: int, work: Callable[[int], object]) -> None:
    """Call ``work(i)`` for i in range(count) from ``count`` threads released together; re-raise errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
