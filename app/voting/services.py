"""The voting package's service API in one namespace, for its views, the CLI, the demo and the tests.

The rules live in the modules named below; this module only re-exports them (callers in
eight test packages, the demo and the views use ``services.X``; a test replaces
``services.find_ticket`` to hold guesses at the code check). New code may import from the
modules directly.

- :mod:`app.voting.base`: ``VotingError``, the settings row, the database helpers
- :mod:`app.voting.rules`: the pure rules (ticket, open, idea, where a dot goes)
- :mod:`app.voting.state`: settings, open and close (publishing totals and receipts)
- :mod:`app.voting.tickets`: issue, revoke, reinstate, walk-ins, find by code; seat receivers
- :mod:`app.voting.ticket_mail`: the ticket's link, QR code and mail
- :mod:`app.voting.checkin`: check-in, attendance, badges
- :mod:`app.voting.dots`: the dot context, the quick and the full path, taking back
- :mod:`app.voting.ballot`: the voter's ballot
- :mod:`app.voting.receipts`, :mod:`app.voting.board`, :mod:`app.voting.totals`: receipts,
  paper dots, totals and recount
"""
from __future__ import annotations

from app.voting.ballot import Ballot, StandBallot, ballot, event_ideas, my_dots
from app.voting.base import VotingError, ensure_settings, settings_for
from app.voting.board import MAX_BOARD_COUNT, board_counts, parse_count, set_board_count
from app.voting.checkin import Attendance, attendance, attended_applications, check_in, tickets_for_badges
from app.voting.codes import format_code
from app.voting.dots import DotResult, cast_dot, quick_dot, release_removed_dots, remove_dot
from app.voting.receipts import RECEIPT_VERSION, published_receipts, receipt, receipt_digest
from app.voting.rules import TICKET_REVOKED, check_ticket
from app.voting.state import close_voting, open_voting, update_settings, voting_state
from app.voting.ticket_mail import send_ticket_mail, ticket_qr, ticket_qr_filename, ticket_url
from app.voting.tickets import (
    MAX_NAME_LENGTH, REVOKE_REASONS, find_ticket, issue_ticket, issue_ticket_for_application,
    issue_tickets_for_event, issue_walk_in, on_seat_confirmed, on_seat_released, revoke_ticket_for_application,
    ticket_of,
)
from app.voting.totals import IdeaTotal, Recount, channel_sums, recount, totals

__all__ = [
    "MAX_BOARD_COUNT", "MAX_NAME_LENGTH", "RECEIPT_VERSION", "REVOKE_REASONS", "TICKET_REVOKED",
    "Attendance", "Ballot", "DotResult", "IdeaTotal", "Recount", "StandBallot", "VotingError",
    "attendance", "attended_applications", "ballot", "board_counts", "cast_dot", "channel_sums", "check_in",
    "check_ticket", "close_voting", "ensure_settings", "event_ideas", "find_ticket", "format_code",
    "issue_ticket", "issue_ticket_for_application", "issue_tickets_for_event", "issue_walk_in", "my_dots",
    "on_seat_confirmed", "on_seat_released", "open_voting", "parse_count", "published_receipts", "quick_dot",
    "receipt", "receipt_digest", "recount", "release_removed_dots", "remove_dot", "revoke_ticket_for_application",
    "send_ticket_mail", "set_board_count", "settings_for", "ticket_of", "ticket_qr", "ticket_qr_filename",
    "ticket_url", "tickets_for_badges", "totals", "update_settings", "voting_state",
]
