"""The words for stored codes: one table per closed set of codes, kept by the feature that owns it.

A status machine (an event's status, an application's status, a measure's status) or another
closed set of codes (an application's source, why a seat was given up) declares its labels once
as :class:`Labels`; pages, mails, exports and the audit log read them from there::

    EVENT_STATUS = register_labels("event.status", {"draft": _l("Draft"), ...})
    EVENT_STATUS("draft")                  # "Entwurf" in German
    {{ event.status|label("event.status") }}

The name of a set is ``<table>.<column>`` of the column that stores the code, so the audit log
can label a changed value by the changed object's table and field.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask


class Labels(dict):
    """A mapping from code to (lazy) translated label that is also the function labelling a code.

    An unknown code is shown as it is (never an error), so data written by a newer version
    still renders; the tests check that every code in use has a label.
    """

    def __call__(self, code: object) -> str:
        if code is None or code == "":
            return "–"
        label = self.get(code if isinstance(code, str) else str(code))
        return str(label) if label is not None else str(code)

    def choices(self, codes=None) -> list[tuple[str, str]]:
        """``(code, label)`` pairs for a select field, in declaration order."""
        return [(code, str(label)) for code, label in self.items() if codes is None or code in codes]


_REGISTRY: dict[str, Labels] = {}


def register_labels(name: str, labels: Mapping[str, object]) -> Labels:
    """Make ``labels`` known as ``name`` (``<table>.<column>``) and return them as :class:`Labels`."""
    table = labels if isinstance(labels, Labels) else Labels(labels)
    _REGISTRY[name] = table
    return table


def labels_for(name: str) -> Labels | None:
    """The labels registered as ``name``, or None."""
    return _REGISTRY.get(name)


def label(code: object, name: str) -> str:
    """The label of ``code`` in the set ``name``; the code itself if the set or code is unknown."""
    table = _REGISTRY.get(name)
    if table is None:
        return "–" if code is None or code == "" else str(code)
    return table(code)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["label"] = label
