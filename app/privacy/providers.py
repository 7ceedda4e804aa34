"""The features' privacy providers, discovered (issue 23, item 6).

Each feature that stores personal data has ``app/<feature>/privacy.py``: the columns are
marked where they are declared (``info=PERSONAL``, app/core/personal.py) and the provider says
how each is exported and erased. ``app/privacy`` only orchestrates: the own-data file, the
applicant's erasure and the retention purge ask every provider in turn. A provider module has

``COVERS``
    ``{Model.column: Cover(export=..., erase=...)}`` for each personal column it looks after
    (``tests/privacy/test_providers.py`` fails for a marked column no provider covers);
``export(application) -> dict`` (optional)
    its sections of the applicant's own-data file; a ``status_history`` list is merged with
    the other providers' into one history, sorted by time;
``anonymise(application, now)`` (optional)
    erase the applicant's personal data it holds (the erasure and the retention purge);
``erased(application, now)`` (optional)
    what follows once an applicant erased their application after a lottery listed it;
``keeps_record(application) -> bool`` (optional)
    a published record lists the application, so it is anonymised, not deleted;
``held_seat(application) -> bool`` (optional)
    the applicant held a seat at some time (an early purge leaves them alone);
``purge(plan, report)`` (optional)
    find what the retention purge removes in this feature, note it in the report and return
    a function that removes it (called unless it is a dry run), or None.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType

#: The app/ directory, whose packages are the features.
APP_DIR = Path(__file__).resolve().parents[1]


@cache
def providers() -> tuple[ModuleType, ...]:
    """Every ``app.<package>.privacy`` module, in the packages' alphabetical order."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(APP_DIR)]), key=lambda i: i.name):
        if not info.ispkg or info.name == "privacy":
            continue
        name = f"app.{info.name}.privacy"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return tuple(found)


def with_hook(name: str) -> list:
    """The providers' functions called ``name``, in provider order."""
    return [getattr(module, name) for module in providers() if hasattr(module, name)]


def covers() -> dict[str, list]:
    """``"table.column"`` → [(provider module name, :class:`~app.core.personal.Cover`)] over every provider."""
    covered: dict[str, list] = {}
    for module in providers():
        for attribute, cover in getattr(module, "COVERS", {}).items():
            column = attribute.property.columns[0]
            covered.setdefault(f"{column.table.name}.{column.name}", []).append((module.__name__, cover))
    return covered
