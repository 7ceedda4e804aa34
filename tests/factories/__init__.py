"""Test factories, one home for every builder of test data (issue 23, item 8).

A pytest plugin: ``tests/conftest.py`` lists the modules in ``pytest_plugins``, so their
fixtures are available to every test without an import (never import a conftest or a test
module: ``tests/core/test_test_imports.py`` fails for that). Plain helpers that are not
fixtures (building a URL, committing a lottery through HTTP) live in these modules too and are
imported from here.

- :mod:`tests.factories.api`      the API world (every kind of public and non-public data, seeded with
                                   personal data, ``SECRETS``; fixture ``api_world``), also of the export
                                   and report tests
- :mod:`tests.factories.core`     staff users, logins, processes, events, the demo
- :mod:`tests.factories.events`   events with criteria, applications and the sign-up form
- :mod:`tests.factories.invitations` the register tests' event (``register_event``), an event with
                                   drawn invitations (``draw_invitations``)
- :mod:`tests.factories.lottery`  a closed event with applicants (``lottery_event``), an admin client,
                                   a drawn event with a seated voter (``seated``), the lottery's HTTP helpers
- :mod:`tests.factories.privacy`  the privacy world (``privacy_world``, of the privacy and audit tests):
                                   a drawn lottery, a ticket with dots, ideas, an unconfirmed sign-up;
                                   database dumps and audit files
- :mod:`tests.factories.jobs`     the worker tests' lottery instance and job rows
- :mod:`tests.factories.results`  the results world (``results_fixture``), an event of many ideas in bulk
- :mod:`tests.factories.ideas`    stands with moderators, recorded ideas, wall links, markup samples, JSON POST
- :mod:`tests.factories.voting`   an event with stands, ideas, participants and tickets (voting), as a
                                   ``VotingEvent``: ids and codes, and its rows as attached objects
- :mod:`tests.factories.measures` a process with two events, stands, ideas and applicants
                                   (``measures_world``), measures linked to ideas (``make_measure``)
- :mod:`tests.factories.participation` online participants (with their link) and ideas, moderation
                                   settings, a process with open online phases (``OnlineProcess``), one whose
                                   "after" phase is open with ideas and a participant (``AfterPhaseProcess``)
- :func:`attached`                 what a factory returns: the object attached to the test's
                                   session when an app context is pushed, else a loaded copy;
                                   :class:`Rows` gives a factory's result such objects beside its ids
"""
from __future__ import annotations

from flask.globals import _cv_app

from app.extensions import db as _db


def attached(app, model, object_id):
    """``model`` row ``object_id``: attached to the session of the app context the test pushed
    (the ``db`` fixture), or, without one, loaded and detached (its columns readable)."""
    if _cv_app.get(None) is not None:
        return _db.session.get(model, object_id)
    with app.app_context():
        row = _db.session.get(model, object_id)
        _db.session.expunge(row)
        return row


class Rows:
    """A property of what a factory returns (an object with ``app`` and ids): the ``model`` row whose
    id is in the attribute ``ids``, or the rows of a list of ids, :func:`attached` at each reading.

    ``event = Rows(Event, "event_id")`` beside ``event_id: int`` in a dataclass (not a field: no
    annotation)."""

    def __init__(self, model, ids: str):
        self.model, self.ids = model, ids

    def __get__(self, owner, owner_type=None):
        if owner is None:
            return self
        value = getattr(owner, self.ids)
        if isinstance(value, list):
            return [attached(owner.app, self.model, i) for i in value]
        return attached(owner.app, self.model, value)
