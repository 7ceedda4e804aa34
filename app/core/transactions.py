"""One transaction per request (issue 23, item 5), as Indico's request handlers keep it.

Views do not commit. :class:`TransactionalFlask` ends the view's transaction once the view has
answered:

- an answer below 400 (a page, a redirect, a file, the start of a stream) is committed;
- an answer of 400 or more (a 422 form refusal, a 409, a 429, a 404) is rolled back: a refused
  request changes nothing, even if a service flushed before it refused;
- an exception (a ``DomainError``, ``abort(...)``, a bug) rolls back, then goes on to the error
  handlers.

The commit happens inside the dispatch, so a database that fails while committing is answered
by the error handlers (503 for a lost connection, app/core/errors.py), as a view's own commit was.

A view still commits itself where something must be stored although the answer is a refusal
or before the request goes on (each such commit names its reason in a comment): a failed
sign-in's counters answered with a 429, a sign-in refused after the directory took the last
role, an audit entry of a refused attempt. Rate-limit charges need none of this: they are
written on their own connection before the view runs (app/core/ratelimit.py). Work after the
commit (live updates, the outbox's mail) hangs on the session's ``after_commit`` events and
after-request hooks, so it follows the one commit wherever it happens. A streamed body runs
after the commit: what it writes it commits itself.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, g
from flask.typing import ResponseReturnValue

from app.extensions import db


#: Set in ``g`` while a view of this request runs.
_DISPATCHING = "_transaction_dispatching"


class TransactionalFlask(Flask):
    """Flask whose every view runs in one database transaction (see the module docstring)."""

    def dispatch_request(self) -> ResponseReturnValue:
        if g.get(_DISPATCHING):
            # A page rendered inside this request (a refused form's page again, app/core/formreplay.py):
            # the request around it ends the transaction.
            return super().dispatch_request()
        g.setdefault(_DISPATCHING, True)
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            rollback_quietly()
            raise
        finally:
            g.pop(_DISPATCHING, None)
        end_transaction(response.status_code)
        return response


def end_transaction(status: int) -> None:
    """Commit the request's work for an answer below 400, else roll it back."""
    if status < 400:
        db.session.commit()
    else:
        rollback_quietly()


def rollback_quietly() -> None:
    """Roll back; a connection that is gone already rolled back (the error handlers answer)."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        pass
