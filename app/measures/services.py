"""The measures feature's service API in one namespace, for its views, the import, the demo,
the API, the results and the tests.

The rules live in the modules named below; this module only re-exports them. New code may
import from the modules directly.

- :mod:`app.measures.base`: limits, status labels and transitions, ``MeasureError``, input cleaning
- :mod:`app.measures.lifecycle`: create, edit, change the status (queues the mails), the lists
- :mod:`app.measures.links`: ideas taken into measures, reasons for ideas not taken, look-ups
- :mod:`app.measures.outcome`: the public page "what became of the ideas" and its plain data
"""
from __future__ import annotations

from app.measures.base import (
    MAX_CHAPTER, MAX_COMMENT, MAX_DESCRIPTION, MAX_LINK_BATCH, MAX_OFFICE, MAX_REASON, MAX_TITLE, STATUS_LABELS,
    TRANSITIONS, MeasureError, clean_fields, clean_progress, clean_title, next_statuses, status_label, today,
)
from app.measures.lifecycle import (
    change_status, create_measure, link_counts, measure_count, measures_of, update_measure,
)
from app.measures.links import (
    after_idea_visibility_change, clear_not_taken, link_ideas, linked_ideas, measure_ids_for_ideas,
    measures_by_idea, not_taken_reasons, search_ideas, set_not_taken, sync_idea_status, unlink_idea,
)
from app.measures.outcome import Outcome, PublicIdea, PublicMeasure, dot_totals, outcome, process_measures

__all__ = [
    "MAX_CHAPTER", "MAX_COMMENT", "MAX_DESCRIPTION", "MAX_LINK_BATCH", "MAX_OFFICE", "MAX_REASON", "MAX_TITLE",
    "STATUS_LABELS", "TRANSITIONS", "MeasureError", "Outcome", "PublicIdea", "PublicMeasure",
    "after_idea_visibility_change", "change_status", "clean_fields", "clean_progress", "clean_title",
    "clear_not_taken", "create_measure", "dot_totals", "link_counts", "link_ideas", "linked_ideas",
    "measure_count", "measure_ids_for_ideas", "measures_by_idea", "measures_of", "next_statuses",
    "not_taken_reasons", "outcome", "process_measures", "search_ideas", "set_not_taken", "status_label",
    "sync_idea_status", "today", "unlink_idea", "update_measure",
]
