"""Duplicate suggestions: ideas of the same event that say nearly the same thing.

Only ideas of one event are offered, because only they can be merged
(:func:`app.ideas.services.merge_ideas`).

Texts are compared in a normalised form (:func:`app.ideas.text.normalise_for_matching`:
case and umlauts folded, stop words dropped, simple stemming) with RapidFuzz.
Each worker process keeps the normalised texts of an event in memory and
refreshes only the ideas that changed, detected by one aggregate query
(count, max id, max updated_at) per request.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from sqlalchemy import func, select

from app.extensions import db
from app.ideas.models import Idea, Stand
from app.ideas.text import normalise_for_matching

#: Suggestions scoring below this (0-100) are not shown.
THRESHOLD = 65
#: The query needs this many meaningful words before anything is suggested.
MIN_TOKENS = 2


@dataclass
class _Corpus:
    stamp: tuple = ()
    #: idea id -> (updated_at, normalised text), visible ideas only.
    entries: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


_CORPORA: dict[tuple[str, int], _Corpus] = {}
_LOCK = threading.Lock()


def _event_ideas(event_id: int):
    return select(Idea.id).join(Stand, Stand.id == Idea.stand_id).where(Stand.event_id == event_id)


def _stamp(event_id: int) -> tuple:
    query = _event_ideas(event_id).with_only_columns(
        func.count(Idea.id), func.max(Idea.id), func.max(Idea.updated_at), func.sum(Idea.id))
    return tuple(db.session.execute(query).one())


def _read(query, entries: dict) -> tuple[dict, int, int]:
    """Apply the rows of ``query`` to ``entries``; return them with the count and id sum of the
    rows that are new to ``entries``' stamp (filled in by the caller)."""
    new_count = new_sum = 0
    for idea_id, updated, visible, text in db.session.execute(query):
        if visible:
            entries[idea_id] = (updated, normalise_for_matching(text))
        else:
            entries.pop(idea_id, None)
        new_count += 1
        new_sum += idea_id
    return entries, new_count, new_sum


def corpus(event_id: int) -> _Corpus:
    """The normalised visible ideas of an event, refreshed when any idea changed.

    Every change of an idea bumps its ``updated_at``, so after the first build only
    ideas newer than the cached maximum id or ``updated_at`` are read again. The stamp also
    holds the number and the sum of the event's idea ids: when they are not the cached ones plus
    the new ideas (ideas were deleted, or the database was emptied and ids began again), the
    corpus is built anew, so it never offers an idea that is gone or belongs elsewhere.
    """
    key = (str(db.engine.url), event_id)
    stamp = _stamp(event_id)
    with _LOCK:
        current = _CORPORA.get(key)
        if current is not None and current.stamp == stamp:
            return current
        columns = _event_ideas(event_id).with_only_columns(
            Idea.id, Idea.updated_at, Idea.is_visible.label("visible"), Idea.text)
        entries = None
        if current is not None and current.stamp[0]:
            old_count, old_max_id, old_max_updated, old_sum = current.stamp
            changed, _, _ = _read(columns.where((Idea.id <= (old_max_id or 0)) & (Idea.updated_at >= old_max_updated)),
                                  dict(current.entries))
            changed, new_count, new_sum = _read(columns.where(Idea.id > (old_max_id or 0)), changed)
            if stamp[0] == old_count + new_count and (stamp[3] or 0) == (old_sum or 0) + new_sum:
                entries = changed
        if entries is None:
            entries, _, _ = _read(columns.where(Idea.is_visible), {})
        fresh = _Corpus(stamp=stamp, entries=entries)
        fresh.ids = list(entries)
        fresh.texts = [entries[i][1] for i in fresh.ids]
        _CORPORA[key] = fresh
        return fresh


def _score(query: str, choice: str, **kwargs) -> float:
    # token_set_ratio alone rates a short text contained in a long one at 100;
    # averaging with token_sort_ratio keeps "portal" from matching every portal idea.
    return 0.5 * fuzz.token_set_ratio(query, choice) + 0.5 * fuzz.token_sort_ratio(query, choice)


def _rank(query: str, data: _Corpus, exclude, limit: int, threshold: float) -> list[tuple[int, float]]:
    # A fast C pass preselects candidates, the combined score ranks them.
    candidates = rf_process.extract(query, data.texts, scorer=fuzz.token_set_ratio, processor=None,
                                    limit=limit * 10 + len(exclude), score_cutoff=threshold)
    scored = []
    for _, _, index in candidates:
        idea_id = data.ids[index]
        if idea_id in exclude:
            continue
        score = _score(query, data.texts[index])
        if score >= threshold:
            scored.append((idea_id, round(score, 1)))
    scored.sort(key=lambda pair: (-pair[1], -pair[0]))
    return scored[:limit]


def suggest(event_id: int, text: str, *, exclude: set[int] | frozenset[int] = frozenset(),
            limit: int = 5, threshold: float = THRESHOLD) -> list[tuple[int, float]]:
    """Ideas of the event similar to ``text``, best first, as (idea id, score 0-100)."""
    query = normalise_for_matching(text or "")
    if len(query.split()) < MIN_TOKENS:
        return []
    data = corpus(event_id)
    return _rank(query, data, exclude, limit, threshold) if data.texts else []


def duplicate_pairs(event_id: int, idea_ids: list[int], *, threshold: float = THRESHOLD,
                    limit: int = 3) -> dict[int, list[tuple[int, float]]]:
    """For each of ``idea_ids``: other visible ideas of the event that look like duplicates."""
    data = corpus(event_id)
    result: dict[int, list[tuple[int, float]]] = {}
    for idea_id in idea_ids:
        entry = data.entries.get(idea_id)
        if entry is None or len(entry[1].split()) < MIN_TOKENS:
            continue
        found = _rank(entry[1], data, {idea_id}, limit, threshold)
        if found:
            result[idea_id] = found
    return result
