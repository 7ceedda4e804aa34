"""The voting pages' totals per idea and channel, and the recount against what was published."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.events.models import Event
from app.extensions import db
from app.ideas import merge_groups
from app.ideas.models import Idea
from app.voting.ballot import event_ideas
from app.voting.base import settings_for
from app.voting.models import BoardCount, Dot, TallySnapshot, VotingState
from app.voting.receipts import published_receipts, receipts_from_dots


@dataclass
class IdeaTotal:
    idea: Idea
    room: int = 0
    board: int = 0
    online: int = 0

    @property
    def total(self) -> int:
        return self.room + self.board + self.online


def totals(event: Event) -> list[IdeaTotal]:
    """Per visible idea of the event (merged ideas counted for their survivor): room, board, online,
    counted as the results count them (:func:`app.ideas.merge_groups.dots_per_root`).

    Sorted by total, most dots first. Three queries whatever the number of ideas.
    """
    entries = {idea.id: IdeaTotal(idea) for _, ideas in event_ideas(event) for idea in ideas}
    dots = merge_groups.dots_per_root(merge_groups.groups([event.id]))
    for root_id, room, board, online in db.session.execute(
            sa.select(dots.c.root_id, dots.c.room, dots.c.board, dots.c.online)).all():
        entry = entries.get(root_id)
        if entry is not None:
            entry.room, entry.board, entry.online = int(room or 0), int(board or 0), int(online or 0)
    return sorted(entries.values(), key=lambda e: (-e.total, e.idea.created_at, e.idea.id))


def channel_sums(event: Event) -> dict[str, int]:
    """All dots of the event per channel (including dots on ideas hidden later)."""
    sums = {"room": 0, "board": 0, "online": 0}
    for channel, n in db.session.execute(
            sa.select(Dot.channel, sa.func.count(Dot.id)).where(Dot.event_id == event.id).group_by(Dot.channel)):
        sums[channel] = n
    sums["board"] = int(db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(BoardCount.count), 0)).where(BoardCount.event_id == event.id)
    ).scalar_one())
    return sums


@dataclass
class Recount:
    ok: bool
    lines: list[str]


def recount(event: Event) -> Recount:
    """Recompute the totals and receipts from the stored dots and compare with what was published."""
    settings = settings_for(event)
    lines = [f"event {event.id}: {event.title}", f"voting: {settings.state}"]
    fresh = {(i, c): n for i, c, n in db.session.execute(
        sa.select(Dot.idea_id, Dot.channel, sa.func.count(Dot.id)).where(Dot.event_id == event.id)
        .group_by(Dot.idea_id, Dot.channel)).all()}
    lines.append(f"dots stored: {sum(fresh.values())} on {len({i for i, _ in fresh})} ideas")
    if settings.state != VotingState.CLOSED.value:
        lines.append("MISMATCH: voting is not closed, so no totals are published to compare with")
        return Recount(False, lines)
    published = {(t.idea_id, t.channel): t.dots for t in db.session.execute(
        sa.select(TallySnapshot).where(TallySnapshot.event_id == event.id)).scalars()}
    lines.append(f"dots published: {sum(published.values())}")
    ok = True
    for key in sorted(set(fresh) | set(published)):
        if fresh.get(key, 0) != published.get(key, 0):
            ok = False
            lines.append(f"MISMATCH idea {key[0]} ({key[1]}): stored {fresh.get(key, 0)}, "
                         f"published {published.get(key, 0)}")
    stored_receipts = sorted((r.digest, r.dots) for r in published_receipts(event))
    recomputed = sorted(receipts_from_dots(event.id))
    lines.append(f"receipts published: {len(stored_receipts)}, recomputed: {len(recomputed)}")
    if stored_receipts != recomputed:
        ok = False
        missing = set(recomputed) - set(stored_receipts)
        extra = set(stored_receipts) - set(recomputed)
        lines.append(f"MISMATCH receipts: {len(missing)} not published, {len(extra)} published but not in the dots")
    if sum(n for _, n in stored_receipts) != sum(published.values()):
        ok = False
        lines.append("MISMATCH: the dots of the receipts do not add up to the published totals")
    lines.append("OK: totals and receipts match the stored dots" if ok else "recount FAILED")
    return Recount(ok, lines)
