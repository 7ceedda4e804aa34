"""The invitations feature's one domain exception (codes are stable; tests assert on them)."""
from __future__ import annotations

from typing import Any, Mapping

from app.core.domain import DomainError

ERROR_CODES: Mapping[str, str] = {
    "bad_file": "the file is neither a readable CSV nor an XLSX file, or it is empty",
    "too_large": "the file is larger than INVITATIONS_IMPORT_MAX_BYTES",
    "no_header": "the file has no header row",
    "missing_columns": "a required field has no column in the mapping",
    "bad_mapping": "the mapping names a column the file does not have, or one column twice",
    "no_rows": "no row of the file could be imported",
    "wrong_state": "the extract or the draw is not in a state that allows this step",
    "no_extract": "the event has no imported register extract",
    "bad_plan": "the stratum plan is malformed (letters, age bands, factors, response rates)",
    "bad_number": "the public value is missing or malformed",
    "audit_format": "an invitation audit file is unreadable or lacks fields",
    "audit_mismatch": "an invitation audit file does not verify",
    "bad_code": "the invitation code is unknown or already used",
    "answer_closed": "the answer deadline has passed, or the event no longer takes applications",
    "bad_letter": "the letter text is empty, too long, does not fit on one page, or has unknown placeholders",
    "no_person": "the invitee's register data has been deleted",
    "bad_reminder": "the reminder date is missing, malformed, in the future or after the answer deadline",
    "no_reminders": "every invitee who has not answered has been reminded already (or none is left)",
}


class InvitationError(DomainError):
    """A rule of the invitations feature refused the operation; nothing was changed."""

    def __init__(self, code: str, message: Any, field: str | None = None,
                 details: Mapping[str, Any] | None = None) -> None:
        assert code in ERROR_CODES, code
        super().__init__(code, message, field, details)
