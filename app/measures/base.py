"""What every part of the measures feature shares: limits, the status vocabulary and its
transitions, the error, and the cleaning of typed input.

The other modules of the package (and :mod:`app.measures.notify`) import from here, never the
other way round.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.core.domain import DomainError
from app.core.labels import register_labels
from app.core.models import utcnow
from app.core.text import clean_text
from app.measures.models import Measure, MeasureStatus

MAX_TITLE = 300
MAX_CHAPTER = 200
MAX_OFFICE = 200
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 2_000
MAX_REASON = 1_000
#: Most ideas linked in one request.
MAX_LINK_BATCH = 200

STATUS_LABELS = register_labels("measure.status", {
    MeasureStatus.PROPOSED.value: _l("proposed"),
    MeasureStatus.ADOPTED.value: _l("adopted by the council"),
    MeasureStatus.IN_PROGRESS.value: _l("in progress"),
    MeasureStatus.DONE.value: _l("done"),
    MeasureStatus.REJECTED.value: _l("rejected"),
})

#: Which status may follow which. "done" can be reopened, "rejected" proposed again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    MeasureStatus.PROPOSED.value: (MeasureStatus.ADOPTED.value, MeasureStatus.REJECTED.value),
    MeasureStatus.ADOPTED.value: (MeasureStatus.IN_PROGRESS.value, MeasureStatus.DONE.value,
                                  MeasureStatus.REJECTED.value),
    MeasureStatus.IN_PROGRESS.value: (MeasureStatus.DONE.value, MeasureStatus.REJECTED.value),
    MeasureStatus.DONE.value: (MeasureStatus.IN_PROGRESS.value,),
    MeasureStatus.REJECTED.value: (MeasureStatus.PROPOSED.value,),
}


class MeasureError(DomainError):
    """A rule of the measures feature was broken; ``code`` is stable for tests."""

    def __init__(self, message, code: str, field: str | None = None):
        super().__init__(code, message, field)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def next_statuses(measure: Measure) -> tuple[str, ...]:
    return TRANSITIONS.get(measure.status, ())


def today() -> date:
    return utcnow().date()


def clean(value: object, maximum: int, *, multiline: bool = False, required_message=None,
           too_long_message=None, code: str = "", field_name: str | None = None) -> str:
    text = clean_text(value if isinstance(value, str) else "", multiline=multiline)
    if required_message is not None and not text:
        raise MeasureError(required_message, f"{code}_required", field_name)
    if len(text) > maximum:
        raise MeasureError(too_long_message or lazy_ngettext("This text can have at most %(num)d character.",
                                                               "This text can have at most %(num)d characters.", maximum),
                           f"{code}_too_long", field_name)
    return text


def clean_title(value: object) -> str:
    return clean(value, MAX_TITLE, required_message=_l("Please give the measure a title."),
                  too_long_message=lazy_ngettext("The title can have at most %(num)d character.",
                                                "The title can have at most %(num)d characters.", MAX_TITLE),
                  code="title", field_name="title")


def clean_progress(value: object) -> int:
    try:
        progress = int(value) if value is not None and value != "" else 0
    except (TypeError, ValueError):
        raise MeasureError(_l("The progress must be a whole number from 0 to 100."), "progress_invalid",
                           "progress") from None
    if not 0 <= progress <= 100:
        raise MeasureError(_l("The progress must be a whole number from 0 to 100."), "progress_invalid", "progress")
    return progress


def clean_fields(description: object, chapter: object, office: object) -> dict[str, str]:
    """The optional texts of a measure, cleaned (the form and the CSV import)."""
    return {
        "description": clean(description, MAX_DESCRIPTION, multiline=True, code="description",
                              field_name="description"),
        "chapter": clean(chapter, MAX_CHAPTER, code="chapter", field_name="chapter"),
        "office": clean(office, MAX_OFFICE, code="office", field_name="office"),
    }
