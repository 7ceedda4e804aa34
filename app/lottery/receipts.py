"""Receipts: what each applicant can check about their own entry in the lottery (issue 22 item 3).

At commitment every applicant is told (mail and private page) their pseudonym
and the answers recorded for the lottery, and how to object before the draw.
After the draw, and after every replacement, the same page shows what the
public record says about them. Everything shown is read from the draw's
public audit record (:func:`app.lottery.published.audit_of`), so what the
applicant sees is exactly what anyone can download and verify; the light
checks here (:func:`receipt_checks`) recompute the hashes, the commitment, the
applicant's rows and the drawn row, so the applicant does not have to take
the page's word for it.

The page is reached with the applicant's private manage link or the seat
link of a lottery mail (:func:`application_for_token`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.audit.services import log_action
from app.core.models import utcnow
from app.core.text import clean_text
from app.events.application_tokens import find_by_token
from app.events.models import Application
from app.extensions import db
from app.lottery.algorithm import Applicant
from app.lottery.audit import (
    COMBINED_RULES,
    DICE_RULE,
    SERVER_RULE,
    applicants_sha256,
    combined_number_check,
    commitment_of_record,
    quotas_from_canonical,
    record_answers,
    record_applicants,
    row_from_dice,
    table_sha256,
)
from app.lottery.errors import LotteryError
from app.lottery.models import DrawState, LotteryDraw, LotteryEntry, LotteryObjection
from app.lottery.mails import queue_mail
from app.lottery.number import number_verifiable
from app.lottery.published import audit_of
from app.lottery.seat_tokens import entry_for_seat_token

MAX_OBJECTION = 2000


def application_for_token(token: str) -> Application | None:
    """The application of a manage token or of a lottery mail's seat token."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    application = find_by_token(token) if len(token) <= 100 else None
    if application is not None:
        return application
    entry = entry_for_seat_token(token)
    return entry.application if entry is not None else None


@dataclass
class ReceiptCheck:
    """One thing the applicant can check, recomputed from the public record."""

    name: str
    ok: bool
    label: str


@dataclass
class Receipt:
    """The applicant's entry in one draw of the event, as the public record states it."""

    draw: LotteryDraw
    entry: LotteryEntry
    pseudonym: str
    #: (criterion label, option label) of the answers recorded in the published pool.
    answers: list[tuple[str, str]]
    #: How many applicants of the pool gave the same answers (they are treated alike).
    same_answers: int
    probability: float | None
    table_share: float | None
    rows: list[int]
    table_size: int
    drawn: bool
    number: int | None = None
    dice: str | None = None
    verifiable: bool = True
    #: The record's word about the applicant: ``committed``, ``selected``, ``admitted``, ``waiting``,
    #: ``declined``, ``expired``, ``withdrawn`` (seat given up), ``skipped`` (passed over as withdrawn).
    outcome: str = "committed"
    rank: int | None = None
    #: (when, channel) of a decline, lapse, withdrawal or skip, from the record's evidence.
    released_at: datetime | None = None
    channel: str | None = None
    admitted_at_step: int | None = None
    checks: list[ReceiptCheck] = field(default_factory=list)
    #: The applicant's objections against this draw, with the staff's answers.
    objections: list[LotteryObjection] = field(default_factory=list)

    @property
    def in_drawn_row(self) -> bool:
        return self.number is not None and self.number in self.rows

    @property
    def superseded(self) -> bool:
        return self.draw.state == DrawState.SUPERSEDED.value

    @property
    def all_ok(self) -> bool:
        return all(c.ok for c in self.checks)


def receipts_for(application: Application) -> list[Receipt]:
    """One receipt per draw of the application's event that lists the application, newest first."""
    entries = db.session.execute(
        sa.select(LotteryEntry).join(LotteryDraw, LotteryDraw.id == LotteryEntry.draw_id)
        .where(LotteryEntry.application_id == application.id)
        .order_by(LotteryDraw.attempt.desc())
    ).scalars().all()
    labels = {c.key: (c.label, {o.value: o.label for o in c.options}) for c in application.event.criteria}
    return [_receipt(entry, audit_of(entry.draw), labels) for entry in entries]


def _receipt(entry: LotteryEntry, audit: dict[str, Any], labels: dict[str, tuple[str, dict[str, str]]]) -> Receipt:
    pseudonym = entry.pseudonym
    pool = record_answers(audit)
    mine = pool.get(pseudonym, {})
    answers = [(labels.get(key, (key, {}))[0], labels.get(key, (key, {}))[1].get(value, value))
               for key, value in sorted(mine.items(), key=lambda kv: list(labels).index(kv[0])
                                        if kv[0] in labels else len(labels))]
    same = sum(1 for other in pool.values() if other == mine) if pseudonym in pool else 0
    rows = [n for n, row in enumerate(audit["table"], start=1) if pseudonym in row]
    receipt = Receipt(entry.draw, entry, pseudonym, answers, same, audit["probabilities"].get(pseudonym),
                      (audit.get("table_shares") or {}).get(pseudonym), rows, int(audit["table_size"]),
                      drawn="number" in audit, verifiable=number_verifiable(entry.draw))
    if receipt.drawn:
        receipt.number, receipt.dice = audit["number"], audit.get("dice")
        _outcome(receipt, audit)
    receipt.checks = receipt_checks(audit, pseudonym, mine)
    receipt.objections = objections_of_entry(entry)
    return receipt


def _outcome(receipt: Receipt, audit: dict[str, Any]) -> None:
    """What the drawn record says about the applicant, replaying its replacements."""
    pseudonym = receipt.pseudonym
    seated = pseudonym in audit["selected"]
    receipt.outcome = "selected" if seated else "waiting"
    if not seated and pseudonym in audit["waiting_list"]:
        receipt.rank = audit["waiting_list"].index(pseudonym) + 1
    for step, replacement in enumerate(audit.get("replacements", []), start=1):
        evidence = (replacement.get("evidence") or {}).get(pseudonym) or {}
        if pseudonym in replacement.get("declined", []):
            receipt.outcome = evidence.get("reason") or "declined"
            receipt.released_at, receipt.channel = _when(evidence.get("at")), evidence.get("channel")
        elif pseudonym in (replacement.get("skipped") or []):
            receipt.outcome = "skipped"
            receipt.released_at, receipt.channel = _when(evidence.get("at")), evidence.get("channel")
        elif replacement.get("admitted") == pseudonym:
            receipt.outcome, receipt.admitted_at_step = "admitted", step


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def receipt_checks(audit: dict[str, Any], pseudonym: str, answers: dict[str, str]) -> list[ReceiptCheck]:
    """What the applicant can check about their own entry, recomputed from the record (no database).

    The full verification of the draw is ``flask lottery verify`` (or
    ``scripts/verify_lottery.py``) on the audit file; these are the parts about one person.
    """
    quotas = quotas_from_canonical(audit["quotas"])
    table = audit["table"]
    size = len(table) or 1
    listed = record_applicants(audit)
    people = [Applicant(a["pseudonym"], dict(a["answers"])) for a in listed]
    applicants_hash = applicants_sha256(people, sorted(quotas))
    table_hash = table_sha256(table)
    recomputed = commitment_of_record(audit, applicants_hash, table_hash)
    checks = [
        ReceiptCheck("in_pool", any(a["pseudonym"] == pseudonym and a["answers"] == answers
                                    for a in listed),
                     _l("Your pseudonym is in the published list of applicants, with the answers shown.")),
        ReceiptCheck("commitment", applicants_hash == audit["applicants_sha256"] and table_hash == audit["table_sha256"]
                     and recomputed == audit["commitment"],
                     _l("The list of applicants and the table give the published commitment again.")),
    ]
    share = (audit.get("table_shares") or {}).get(pseudonym)
    rows = sum(1 for row in table if pseudonym in row)
    if share is not None:
        checks.append(ReceiptCheck("share", abs(rows / size - share) < 1e-9,
                                   _l("Your chance is the number of table rows with your pseudonym, divided by "
                                      "the number of rows.")))
        probability = audit["probabilities"].get(pseudonym)
        slack = int((audit.get("rounding") or {}).get("slack", 0) or 0)
        if probability is not None:
            checks.append(ReceiptCheck("bound", abs(rows - size * probability) < 1 + slack + 1e-9,
                                       _l("Your number of rows differs from your fair (leximin) probability "
                                          "times the number of rows by less than the stated bound.")))
    if "number" in audit:
        number, rule = audit["number"], audit.get("number_rule")
        ok = isinstance(number, int) and 1 <= number <= len(table)
        if ok and rule == DICE_RULE:
            try:
                ok = row_from_dice(audit.get("dice", ""), size) == number
            except LotteryError:
                ok = False
        if ok and rule in COMBINED_RULES:
            ok = combined_number_check(audit, size)[0]
        if rule in COMBINED_RULES:
            checks.append(ReceiptCheck("number", ok, _l("The dice reading (or the server's value) and the public "
                                                        "value give the row drawn under the rule fixed in the "
                                                        "commitment.")))
        elif rule != SERVER_RULE:
            checks.append(ReceiptCheck("number", ok, _l("The dice reading gives the row drawn under the rule fixed "
                                                        "in the commitment.")))
        checks.append(ReceiptCheck("selection", ok and sorted(audit["selected"]) == sorted(table[number - 1]),
                                   _l("The people drawn are exactly the pseudonyms in the row drawn.")))
    return checks


def _checked_text(text: Any, minimum: int, too_short, too_long) -> str:
    text = clean_text(text if isinstance(text, str) else "", multiline=True)
    if len(text) < minimum:
        raise LotteryError("bad_input", too_short)
    if len(text) > MAX_OBJECTION:
        raise LotteryError("bad_input", too_long)
    return text


def object_to_entry(entry: LotteryEntry, text: Any) -> LotteryObjection:
    """The applicant objects to what the record says about them; the organisers see it on the lottery page.

    The text is stored with the objection (personal data: exported, erased and purged with the
    application); the audit log records only that an objection was made, and its id.

    :raises LotteryError: ``bad_input`` if the text is empty or too long.
    """
    text = _checked_text(text, 5, _l("Please say what is wrong (at least 5 characters)."),
                         lazy_ngettext("The objection is too long (at most %(num)d character).",
                                       "The objection is too long (at most %(num)d characters).", MAX_OBJECTION))
    objection = LotteryObjection(draw=entry.draw, entry=entry, text=text, status="open")
    db.session.add(objection)
    db.session.flush()
    log_action("lottery.objection", entry.draw, event_id=entry.draw.event_id,
               after={"objection_id": objection.id, "state": entry.draw.state})
    return objection


def answer_objection(objection: LotteryObjection, text: Any, user) -> LotteryObjection:
    """Staff answer an objection: stored with it, mailed to the applicant in their language (outbox)
    and shown on their receipt page. An answered objection can be answered again (a correction):
    the newer answer replaces the older one and is mailed too.

    :raises LotteryError: ``bad_input`` if the answer is empty or too long; ``gone`` if the
        application has been erased meanwhile.
    """
    text = _checked_text(text, 1, _l("Write the answer."),
                         lazy_ngettext("The answer is too long (at most %(num)d character).",
                                       "The answer is too long (at most %(num)d characters).", MAX_OBJECTION))
    application = objection.entry.application
    if application is None or application.anonymised_at is not None:
        raise LotteryError("gone", _l("The application has been erased: there is nobody left to answer."))
    objection.answer, objection.status = text, "answered"
    objection.answered_at, objection.answered_by_id = utcnow(), getattr(user, "id", None)
    db.session.flush()
    log_action("lottery.objection_answer", objection.draw, event_id=objection.draw.event_id,
               after={"objection_id": objection.id, "status": "answered"})
    if application.email:
        queue_mail(application, "objection_answer", objection.entry, objection=objection)
    return objection


def objections_of_event(event_id: int) -> list[LotteryObjection]:
    """The objections against every draw of the event, open ones first, then newest first."""
    return list(db.session.execute(
        sa.select(LotteryObjection).join(LotteryDraw, LotteryDraw.id == LotteryObjection.draw_id)
        .where(LotteryDraw.event_id == event_id)
        .order_by((LotteryObjection.status == "open").desc(), LotteryObjection.id.desc())
    ).scalars())


def objection_of_event(event_id: int, objection_id: int) -> LotteryObjection | None:
    """The objection ``objection_id`` if it concerns a draw of the event (else None: another event's is not found)."""
    objection = db.session.get(LotteryObjection, objection_id)
    if objection is None or objection.draw.event_id != event_id:
        return None
    return objection


def objections_of_entry(entry: LotteryEntry) -> list[LotteryObjection]:
    """The applicant's own objections in one draw, oldest first (their receipt page)."""
    return list(db.session.execute(
        sa.select(LotteryObjection).where(LotteryObjection.entry_id == entry.id).order_by(LotteryObjection.id)
    ).scalars())
