"""A feature's blueprint, which loads the feature's views when the app registers it.

A package's ``__init__`` is executed whenever any of its modules is imported (``app.lottery.models``
runs ``app/lottery/__init__.py`` first). If the ``__init__`` imported its views, importing a model
would pull in the views and, through them, half of the other features: import cycles that break
depending on which module is imported first (issue 23, item 7). So the views (and the modules that
register with core on import, like job kinds) are named here and imported when the app registers
the blueprint, in :func:`app.create_app`, before the routes are needed.
"""
from __future__ import annotations

import importlib

from flask import Blueprint


class FeatureBlueprint(Blueprint):
    """A :class:`~flask.Blueprint` whose ``parts`` (module names in the feature's package, e.g.
    ``"views_manage"``) are imported the first time the blueprint is registered on an app."""

    def __init__(self, name: str, import_name: str, *, parts: tuple[str, ...] = (), **options):
        super().__init__(name, import_name, **options)
        self.parts = tuple(parts)

    def import_parts(self) -> None:
        """Import the feature's parts (a second call finds them in ``sys.modules``)."""
        for part in self.parts:
            importlib.import_module(f"{self.import_name}.{part}")

    def register(self, app, options) -> None:
        self.import_parts()
        super().register(app, options)
