"""What the result pages show, put together from the aggregations (shared by the public and staff pages).

Only adds up a handful of already aggregated rows (per stand, per event); every
number comes from the aggregations of :mod:`app.results` (see its modules).
"""
from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import ngettext

from app.results import charts
from app.results.base import Scope
from app.results.participation import Participation
from app.results.ranking import idea_count, idea_ranking
from app.results.scope import filter_options
from app.results.totals import DotTotals, StandTotal, TagTotal, stand_totals, sum_of_stands, tag_totals

PUBLIC_PAGE_SIZE = 50
STAFF_PAGE_SIZE = 100
MAX_PAGE = 100_000
#: The three kinds of dots, in the order they are shown and stacked.
DOT_KINDS = ("room", "board", "online")


def page_number(raw: object) -> int:
    """The page from a URL parameter: 1 for anything that is not a sensible page number."""
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 6:
        return max(1, min(int(raw.strip()), MAX_PAGE))
    return 1


def sum_totals(stands: Sequence[StandTotal]) -> DotTotals:
    """The dots and ideas of all the given stands together."""
    return sum_of_stands(stands)


def sum_by_event(stands: Sequence[StandTotal]) -> dict[int, DotTotals]:
    """Per event: the dots and ideas of its stands together."""
    events: dict[int, list[StandTotal]] = {}
    for stand in stands:
        events.setdefault(stand.event_id, []).append(stand)
    return {event_id: sum_totals(rows) for event_id, rows in events.items()}


def _stacked_note() -> str:
    return _("Dots in the room, on the paper board and online are stacked in this order; the table below "
             "gives the same numbers.")


def stand_chart(stands: Sequence[StandTotal], *, with_event: bool = False) -> charts.BarChart:
    rows = [(s.title, {"room": s.room, "board": s.board, "online": s.online}) for s in stands]
    desc = ngettext("One bar for each of %(num)d stand.", "One bar for each of %(num)d stands.", len(rows))
    return charts.bar_chart("stands", _("Dots per stand"), f"{desc} {_stacked_note()}", rows, DOT_KINDS,
                            sublabels=[s.event_title for s in stands] if with_event else None)


def tag_chart(tags: Sequence[TagTotal]) -> charts.BarChart:
    rows = [(t.label, {"room": t.room, "board": t.board, "online": t.online}) for t in tags]
    desc = ngettext("One bar for each of %(num)d tag.", "One bar for each of %(num)d tags.", len(rows))
    return charts.bar_chart("tags", _("Dots per tag"), f"{desc} {_stacked_note()}", rows, DOT_KINDS)


def combined_participation(figures: Sequence[Participation]) -> Participation:
    """The participation of several events added up (event id 0)."""
    names = ("seats", "applications", "valid", "selected", "seat_confirmed", "checked_in", "walk_ins",
             "room_voters", "online_voters")
    return Participation(event_id=0, **{n: sum(getattr(p, n) for p in figures) for n in names})


def funnel_steps(p: Participation) -> list[tuple[str, str, int]]:
    """``(key, label, number)`` of the participation funnel, from applications to votes."""
    steps = [
        ("valid", _("Applications"), p.valid),
        ("selected", _("Seats drawn"), p.selected),
        ("seat_confirmed", _("Seats confirmed"), p.seat_confirmed),
        ("checked_in", _("Took part (checked in)"), p.checked_in),
        ("voters", _("Voted (room and online)"), p.voters),
    ]
    if not p.seats and not p.valid:
        steps = [s for s in steps if s[0] in ("checked_in", "voters")]
    return steps


def funnel_chart(p: Participation, key: str = "funnel") -> charts.BarChart:
    steps = funnel_steps(p)
    return charts.bar_chart(
        key, _("Participation funnel"),
        ngettext("From applications to votes in %(num)d step; the table below gives the same numbers.",
                 "From applications to votes in %(num)d steps; the table below gives the same numbers.", len(steps)),
        [(label, {"people": n}) for _, label, n in steps], ("people",))


def results_context(scope: Scope, unfiltered: Scope, *, page: int, per_page: int) -> dict:
    """Everything an event or process results page shows for ``scope`` (a fixed number of queries).

    :param unfiltered: the same scope without stand and tag filter (for the filter choices).
    """
    stands = stand_totals(scope)
    tags = tag_totals(scope)
    count = idea_count(scope)
    pages = max(1, -(-count // per_page))
    page = min(page, pages)
    return {
        "scope": scope,
        "stands": stands,
        "tags": tags,
        "totals": sum_totals(stands),
        "ideas": idea_ranking(scope, limit=per_page, offset=(page - 1) * per_page),
        "idea_count": count,
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "options": filter_options(unfiltered),
        "stand_chart": stand_chart(stands, with_event=len(set(s.event_id for s in stands)) > 1),
        "tag_chart": tag_chart(tags[:12]),
    }
