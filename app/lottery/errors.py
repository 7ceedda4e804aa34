"""The lottery's one domain exception.

Views turn a :class:`LotteryError` into a flash message or an HTTP error,
the CLI into a non-zero exit; tests assert on :attr:`LotteryError.code`,
which is stable across releases and languages.
"""

from __future__ import annotations

from typing import Any, Mapping

from app.core.domain import DomainError

#: Every code a :class:`LotteryError` may carry, with what it means.
ERROR_CODES: Mapping[str, str] = {
    "empty": "the applicant list is empty",
    "too_few": "fewer applicants than seats",
    "bad_answer": "an applicant's answer is missing or not an option of its criterion",
    "bad_quota": "a quota is malformed (negative, min > max, unknown option, ...)",
    "bad_input": "other malformed input (duplicate pseudonym, bad seat count, ...)",
    "infeasible": "no panel satisfies all quotas with these applicants",
    "csv_format": "a Sortition Foundation CSV file is malformed",
    "bad_number": "the drawn number is outside 1..M",
    "no_replacement": "no waiting applicant can take the seat without breaking a quota",
    "audit_format": "an audit file is unreadable or lacks fields",
    "audit_mismatch": "an audit file does not verify",
    "solver": "the LP/ILP solver failed unexpectedly",
    # Raised by the application's lottery services (commitment.py, draw.py, seats.py, ...):
    "wrong_state": "the event or the draw is not in a state that allows this step",
    "reason_missing": "a re-draw needs a reason",
    "bad_deadline": "the confirmation deadline is missing or not in the future",
    "not_seated": "the applicant holds no seat that could be confirmed or declined",
    "too_late": "the deadline to confirm the seat has passed",
    "import_locked": "the event's criteria can no longer be changed",
    "bad_channel": "staff answering for an applicant did not say how the applicant answered",
    "gone": "the applicant's data has been erased: an objection can no longer be answered",
}


class LotteryError(DomainError):
    """A lottery operation could not be carried out; nothing was changed.

    :param code: stable machine-readable code, one of :data:`ERROR_CODES`.
    :param message: human-readable, translatable text (a ``lazy_gettext``
        string or a plain ``str``); rendered with ``str(message)``.
    :param details: optional JSON-serialisable data that explains the
        problem, e.g. the conflicting quotas and a suggested relaxation.
    :param field: the form field the problem belongs to, where it is not the one the code
        suggests (app/lottery/views_manage.py ``FIELD_OF_CODE``).
    """

    def __init__(self, code: str, message: Any, details: Mapping[str, Any] | None = None,
                 field: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown LotteryError code {code!r}")
        super().__init__(code, message, field, details)

    def __repr__(self) -> str:
        return f"LotteryError(code={self.code!r}, message={str(self.message)!r})"
