"""How ideas read on pages: the words for an idea's status and one sentence per logged action."""
from __future__ import annotations

import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from app.core.labels import register_labels
from app.ideas.models import Idea, IdeaLog, IdeaStatus

IDEA_STATUS_LABELS = register_labels("idea.status", {
    IdeaStatus.NEW.value: _l("new"),
    IdeaStatus.ADOPTED.value: _l("taken into a measure"),
    IdeaStatus.MERGED.value: _l("merged"),
    IdeaStatus.HIDDEN.value: _l("hidden"),
})


def idea_number(number: object) -> str:
    """An idea's number as people read it everywhere: "Nr. 12" in German, "No. 12" in English.

    Registered as the template filter ``idea_number``; capture.js gets it as ``data-number``.
    """
    return pgettext("idea number", "No. %(number)s", number=number)


def history_text(entry: IdeaLog) -> str:
    """The action of one history entry in words, e.g. ``merged into #12``.

    Actions are logged by the ideas feature (create … release) and by the measures feature
    (link, unlink, not_taken, not_taken_cleared) and the moderation of online ideas
    (approve, take_into_room; app/participation/moderation.py); an unknown action reads "changed".
    """
    other = entry.other_idea_id
    detail = _detail(entry)
    texts = {
        "create": lambda: _("recorded"),
        "edit": lambda: _("edited"),
        "hide": lambda: _("hidden"),
        "unhide": lambda: _("shown again"),
        "merge": lambda: _("merged into idea %(id)s", id=idea_number(other)),
        "absorb": lambda: _("took in idea %(id)s", id=idea_number(other)),
        "unmerge": lambda: _("merge into idea %(id)s undone", id=idea_number(other)),
        "release": lambda: _("released idea %(id)s", id=idea_number(other)),
        "link": lambda: _("taken into the measure “%(measure)s”", measure=detail.get("measure", "")),
        "unlink": lambda: _("no longer part of the measure “%(measure)s”", measure=detail.get("measure", "")),
        "not_taken": lambda: _("marked as not taken into a measure"),
        "not_taken_cleared": lambda: _("“not taken” mark removed"),
        "approve": lambda: _("approved (submitted online)"),
        "take_into_room": lambda: _("taken into the room's list"),
    }
    text = texts.get(entry.action)
    return text() if text else _("changed")


def _detail(entry: IdeaLog) -> dict:
    try:
        detail = json.loads(entry.detail or "{}")
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}


def idea_payload(idea: Idea, *, staff: bool = False) -> dict:
    """The JSON form of an idea. Walls get no personal data (no "said by", no recorder)."""
    data = {
        "id": idea.id,
        "stand_id": idea.stand_id,
        "text": idea.text,
        "tags": [t.label for t in idea.tags],
        "status": idea.status,
        "visible": idea.is_visible,
        "channel": idea.channel,
        "created_at": idea.created_at.isoformat() + "Z",
    }
    if staff:
        data.update(client_id=idea.client_id, said_by=idea.said_by, hidden_reason=idea.hidden_reason,
                    merged_into_id=idea.merged_into_id)
    return data
