"""What a long-running server process does once the application is loaded."""
from __future__ import annotations

import gc


def settle_worker() -> None:
    """Take everything loaded at start-up out of the cyclic garbage collector's walks.

    The modules, the application, its templates and caches live as long as the worker.
    Left in the collector's oldest generation, every full collection walks all of them
    (about 150,000 objects: 100–200 ms on a busy machine, and the request that happens
    to trigger it waits that long; under load each worker hit one every few seconds).
    Frozen (:func:`gc.freeze`), a full collection walks only what requests created since.
    Called by ``wsgi.py`` after ``create_app()``: once per gunicorn worker, or once in the
    master before the fork with ``--preload``.
    """
    gc.collect()
    gc.freeze()
