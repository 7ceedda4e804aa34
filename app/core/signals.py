"""The named signals through which the features react to each other's life cycles.

One hook mechanism for the whole app (blinker, which Flask uses itself). A feature that
owns a life cycle sends; the features that care connect a receiver in their ``init_app``.
Receivers run synchronously, in the sender's transaction: what they write is committed or
rolled back with the change that caused it, and an exception they raise (a domain error)
refuses the change.

==========================  ==================================  ==================================
signal                      sender, keyword arguments           sent by → received by
==========================  ==================================  ==================================
``seat_confirmed``          the application                     events (status machine) → voting
                                                                (issues the ticket)
``seat_released``           the application, ``reason``         events (status machine, removal),
                            (declined, withdrawn, erased,       privacy (erasure) → voting
                            superseded, removed)                (revokes the ticket)
``idea_visibility_changed`` a list of ideas shown again,        ideas → measures (keeps
                            merged or un-merged                 "adopted" on the right ideas)
``attendance``              the event; each receiver returns    lottery (representativeness) →
                            the set of application ids that     voting (check-in)
                            attended, or None
``event_action``            the event, ``action``; a receiver   events (status change) → results
                            raises ``EventError`` to refuse     (no publishing while voting is open)
``ideas_merged``            the surviving idea, ``sources``     ideas (merge) → participation
                            (the ideas merged into it now)      (mails the sources' followers)
``measure_ideas_linked``    the measure, ``ideas`` (taken       measures (links) → participation
                            into it now)                        (mails the ideas' followers)
``measure_status_changed``  the measure, ``change`` (its        measures (status flow, when it
                            ``MeasureStatusChange``)            notifies) → participation
                                                                (mails the followers of its ideas)
==========================  ==================================  ==================================
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

seat_confirmed = _signals.signal("seat-confirmed", doc="An application's seat was confirmed.")
seat_released = _signals.signal("seat-released", doc="An application gave its seat back (``reason``).")
idea_visibility_changed = _signals.signal("idea-visibility-changed",
                                          doc="Ideas were shown again, merged or un-merged (sender: the ideas).")
attendance = _signals.signal("attendance", doc="Who attended the event: receivers return application ids.")
event_action = _signals.signal("event-action", doc="An admin status action on an event is about to happen.")
ideas_merged = _signals.signal("ideas-merged", doc="Ideas (``sources``) were merged into the sender.")
measure_ideas_linked = _signals.signal("measure-ideas-linked",
                                       doc="Ideas (``ideas``) were taken into the sender, a measure.")
measure_status_changed = _signals.signal("measure-status-changed",
                                         doc="A measure changed status (``change``) and its news are mailed.")


def collected_ids(results) -> set[int] | None:
    """The union of the sets receivers returned to a ``send`` (None when none answered)."""
    answers = [value for _receiver, value in results if value is not None]
    if not answers:
        return None
    return set().union(*answers)
