"""What the lottery publishes of a draw: the audit record (the audit file, the public page) and
the published pool grouped by identical answers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.events.models import Event
from app.lottery.audit import audit_from_record, published_pool_form, record_applicants
from app.lottery.base import labels_of
from app.lottery.models import DrawState, LotteryDraw


def audit_of(draw: LotteryDraw) -> dict[str, Any]:
    """The audit record as published: before the draw the commitment part, afterwards complete.

    Extra fields (``event``, ``attempt``, ``state``, ...) are ignored by the verifier.
    """
    extra = {"event": draw.event_id, "attempt": draw.attempt, "state": draw.state}
    if draw.state == DrawState.SUPERSEDED.value:
        extra["superseded_reason"] = draw.supersede_reason
    stored = published_pool_form(draw.record)
    if draw.number is None:
        return {**stored, **extra}
    record = {key: value for key, value in stored.items() if key != "dice"}
    entries = {e.pseudonym: e for e in draw.entries}
    replacements = []
    for replacement in draw.replacements:
        item = replacement.as_audit()
        item["at"] = replacement.created_at.isoformat(timespec="seconds")
        item["evidence"] = {
            p: {"reason": entries[p].release_reason,
                "at": (entries[p].released_at or replacement.created_at).isoformat(timespec="seconds"),
                **({"channel": entries[p].release_channel} if entries[p].release_channel else {})}
            for p in item["declined"] + item["skipped"] if p in entries and entries[p].release_reason}
        replacements.append(item)
    return {**audit_from_record(record, draw.number, replacements, draw.record.get("dice")), **extra}


@dataclass
class PoolGroup:
    """Applicants of the published pool who gave the same answers (what the public page shows of them)."""

    answers: list[tuple[str, str]]
    pseudonyms: list[str]

    @property
    def size(self) -> int:
        return len(self.pseudonyms)


def pool_groups(event: Event, audit: dict[str, Any]) -> list[PoolGroup]:
    """The published pool by identical answers (with the criteria's labels), the largest groups first."""
    labels = labels_of(event)
    order = [c.key for c in event.criteria]
    groups: dict[tuple, list[str]] = {}
    for applicant in record_applicants(audit):
        key = tuple(sorted(applicant["answers"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order
                           else len(order)))
        groups.setdefault(key, []).append(applicant["pseudonym"])
    result = [PoolGroup([(labels.get(f, (f, {}))[0], labels.get(f, (f, {}))[1].get(v, v)) for f, v in key],
                        sorted(members)) for key, members in groups.items()]
    return sorted(result, key=lambda g: (-g.size, g.answers))


def audit_json(draw: LotteryDraw) -> str:
    return json.dumps(audit_of(draw), ensure_ascii=False, indent=1, sort_keys=True)
