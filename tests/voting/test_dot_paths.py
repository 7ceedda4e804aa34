"""The quick dot path and the full one decide by the same rules (issue 23, item 3).

On random states (limits, scope, channel and online window, hidden and merged ideas, a closed or
re-opened vote, revoked tickets, dots already given) two tickets with the same history vote for the
same ideas: one as the view does it (``quick_dot``, and ``cast_dot`` when the quick path leaves the
case to it), the other through ``cast_dot`` only. Every answer (the dot, or the error with its code
and message) must be the same, and the quick path writes nothing when it declines.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core.models import utcnow
from app.extensions import db as _db
from app.ideas import services as ideas
from app.voting.ballot import my_dots
from app.voting.base import VotingError
from app.voting.dots import cast_dot, quick_dot
from app.voting.models import Dot, Ticket
from app.voting.state import close_voting, open_voting, update_settings
from app.voting.tickets import revoke_ticket_for_application
from tests.factories.voting import make_voting_event

IDEAS = 4  # two stands of two
#: An idea by its index, or something that is not one of the event's ideas.
TARGETS = st.one_of(st.integers(min_value=0, max_value=IDEAS - 1), st.sampled_from(["missing", "garbage"]))
OPS = st.lists(st.one_of(
    st.tuples(st.just("dot"), TARGETS),
    st.tuples(st.just("dot"), TARGETS),
    st.tuples(st.just("dot"), TARGETS),
    st.tuples(st.just("hide"), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("merge"), st.integers(0, IDEAS - 1), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("merge"), st.integers(0, IDEAS - 1), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("unmerge"), st.integers(0, IDEAS - 1)),
    st.tuples(st.just("close")), st.tuples(st.just("open")), st.tuples(st.just("revoke")),
), min_size=1, max_size=14)


@st.composite
def states(draw):
    dots = draw(st.integers(1, 4))
    return {
        "dots": dots,
        "max_per_idea": draw(st.one_of(st.none(), st.integers(1, dots))),
        "scope": draw(st.sampled_from(["event", "stand"])),
        # Mostly states in which dots can be given, so the limits and merges are reached often.
        "channel": draw(st.sampled_from(["room", "room", "room", "online"])),
        "online_enabled": draw(st.sampled_from([True, True, False])),
        "window": draw(st.sampled_from(["none", "now", "ended", "later"])),
        "open": draw(st.sampled_from([True, True, True, False])),
        "ops": draw(OPS),
    }


def _outcome(call):
    try:
        result = call()
    except VotingError as exc:
        _db.session.rollback()
        return ("refused", exc.code, str(exc.message))
    _db.session.commit()
    return result


def _dots(ticket_id: int) -> int:
    return _db.session.execute(sa.select(sa.func.count(Dot.id)).where(Dot.ticket_id == ticket_id)).scalar_one()


def _setup(state):
    ev = make_voting_event(stands=2, ideas_per_stand=2, tickets=2, dots=state["dots"],
                           max_per_idea=state["max_per_idea"], scope=state["scope"], open_voting=False)
    event = ev.event
    now = utcnow()
    opens, closes = {"none": (None, None), "now": (now - timedelta(hours=1), now + timedelta(hours=1)),
                     "ended": (now - timedelta(hours=2), now - timedelta(hours=1)),
                     "later": (now + timedelta(hours=1), now + timedelta(hours=2))}[state["window"]]
    update_settings(event, dots_per_ticket=state["dots"], max_per_idea=state["max_per_idea"],
                    scope=state["scope"], walk_ins_allowed=False, online_enabled=state["online_enabled"],
                    online_opens_at=opens, online_closes_at=closes)
    _db.session.execute(sa.update(Ticket).where(Ticket.event_id == ev.event_id).values(channel=state["channel"]))
    if state["open"]:
        open_voting(event)
    _db.session.commit()
    return ev


def _apply(ev, op) -> None:
    """A change of the state that concerns both tickets alike."""
    kind = op[0]
    event, rows = ev.event, ev.ideas
    try:
        if kind == "hide":
            ideas.hide_idea(rows[op[1]], "Doppelt", user=None)
        elif kind == "merge":
            ideas.merge_ideas(rows[op[2]], [rows[op[1]]], user=None)
        elif kind == "unmerge":
            ideas.unmerge_idea(rows[op[1]], user=None)
        elif kind == "close":
            close_voting(event)
        elif kind == "open":
            open_voting(event)
        elif kind == "revoke":
            for application in ev.applications:
                revoke_ticket_for_application(application, "declined")
        _db.session.commit()
    except Exception as exc:  # a change the rules refuse (merge into itself, close when closed): no change
        _db.session.rollback()
        assert getattr(exc, "code", None), exc


def _target(ev, target):
    if target == "missing":
        return 10**6
    if target == "garbage":
        return "x1"
    return str(ev.idea_ids[target])


#: Dots on an idea before it is merged count towards the survivor's maximum (the group's dots).
MERGED_GROUP = {"dots": 4, "max_per_idea": 2, "scope": "stand", "channel": "room", "online_enabled": False,
                "window": "none", "open": True,
                "ops": [("dot", 0), ("merge", 0, 1), ("dot", 1), ("dot", 1), ("dot", 0), ("unmerge", 0), ("dot", 1)]}
#: Online tickets outside their window, then the limits.
ONLINE = {"dots": 2, "max_per_idea": 1, "scope": "event", "channel": "online", "online_enabled": True,
          "window": "now", "open": True, "ops": [("dot", 0), ("dot", 0), ("dot", 2), ("dot", 3), ("close",),
                                                  ("dot", 1), ("open",), ("revoke",), ("dot", 1)]}


@settings(max_examples=40)
@example(state=MERGED_GROUP)
@example(state=ONLINE)
@given(state=states())
def test_quick_and_full_path_decide_alike(db, state):
    ev = _setup(state)
    view_ticket, full_ticket = ev.tickets
    by_view, code = view_ticket.id, view_ticket.code
    _db.session.commit()
    for op in state["ops"]:
        if op[0] != "dot":
            _apply(ev, op)
            continue
        idea_id = _target(ev, op[1])
        before = _dots(by_view)
        quick = _outcome(lambda: quick_dot(ev.event_id, by_view, code, idea_id))
        if quick is None:
            assert _dots(by_view) == before, "the quick path declined but wrote a dot"
            quick = _outcome(lambda: cast_dot(view_ticket, idea_id))
        full = _outcome(lambda: cast_dot(full_ticket, idea_id))
        assert quick == full, (op, state)
    assert my_dots(view_ticket) == my_dots(full_ticket)
