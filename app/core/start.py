"""The staff start page: after logging in, each person sees what is next for each of their events.

Core knows no feature: each feature registers a function ``steps(user) -> list[NextStep]`` with
:func:`register_start_steps` (admins: every event; moderators: the events of their stands; council:
the results), and the page shows the steps grouped by event, the next event first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from app.core.models import utcnow


@dataclass(frozen=True)
class NextStep:
    """One thing to do (or to look at) for one event, with the link that leads there."""

    event_id: int
    event_title: str
    starts_at: datetime | None
    #: what is next, translated (may name counts)
    text: str
    url: str
    link_label: str
    #: within an event, lower first
    order: int = 50


@dataclass
class EventSteps:
    event_id: int
    title: str
    starts_at: datetime | None
    steps: list[NextStep]


_PROVIDERS: list[Callable] = []


def register_start_steps(provider: Callable) -> None:
    """Add a feature's part of the start page: ``provider(user)`` returns a list of :class:`NextStep`."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def steps_for(user) -> list[EventSteps]:
    """Every registered step for ``user``, grouped by event: events with a date by date (the next one
    first, past ones after the coming ones), then those without a date."""
    by_event: dict[int, EventSteps] = {}
    for provider in _PROVIDERS:
        for step in provider(user):
            group = by_event.setdefault(step.event_id, EventSteps(step.event_id, step.event_title, step.starts_at, []))
            group.steps.append(step)
    for group in by_event.values():
        group.steps.sort(key=lambda s: s.order)
    now = utcnow()

    def key(group: EventSteps):
        if group.starts_at is None:
            return (2, 0, group.event_id)
        if group.starts_at >= now:
            return (0, group.starts_at.timestamp(), group.event_id)
        return (1, -group.starts_at.timestamp(), group.event_id)

    return sorted(by_event.values(), key=key)
