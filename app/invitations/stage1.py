"""Operations of stage 1: the stratum plan, its table, the commitment, the draw, the invitations.

The pure rules (allocation, selection, hashes, verification) are in :mod:`app.invitations.draw`;
this module feeds them from the database and stores what they decide. Services flush; the request
commits.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterator

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.core.models import utcnow
from app.events.models import Event
from app.extensions import db
from app.invitations import codes, draw
from app.invitations.errors import InvitationError
from app.invitations.models import (
    ExtractState,
    Invitation,
    InvitationDraw,
    InvitationDrawState,
    InvitationState,
    RegisterExtract,
    RegisterHousehold,
    RegisterPerson,
)
from app.invitations.services import active_draw, current_extract

#: Age bands offered by default (the lottery's usual ones); the last is open-ended.
DEFAULT_AGE_BANDS = ((16, 29), (30, 44), (45, 64), (65, None))
DEFAULT_BANDS_TEXT = "16-29, 30-44, 45-64, 65+"
SERVER_SOURCE = "server: 128 bits from the operating system's CSPRNG, published after the draw; not publicly verifiable"
MAX_LETTERS = 100_000


def band_label(band: list | tuple) -> str:
    low, high = band
    return f"{low}+" if high is None else f"{low}–{high}"


def parse_age_bands(text: str) -> list[list[int | None]]:
    """``"16-29, 30-44, 45-64, 65+"`` → ``[[16, 29], [30, 44], [45, 64], [65, None]]``; empty: no age strata.

    :raises InvitationError: ``bad_plan`` (unreadable, overlapping, or not ascending).
    """
    bands: list[list[int | None]] = []
    for part in [p.strip() for p in re.split(r"[,;\n]+", text or "") if p.strip()]:
        match = re.fullmatch(r"(\d{1,3})\s*(?:[-–]\s*(\d{1,3})|\+|[-–])", part)
        if not match:
            raise InvitationError("bad_plan", _l("“%(band)s” is not an age band: write e.g. 16-29, 30-44, 65+.",
                                                 band=part), field="age_bands")
        low, high = int(match.group(1)), int(match.group(2)) if match.group(2) else None
        if high is not None and high < low:
            raise InvitationError("bad_plan", _l("“%(band)s” is not an age band: write e.g. 16-29, 30-44, 65+.",
                                                 band=part), field="age_bands")
        if bands and (bands[-1][1] is None or low <= bands[-1][1]):
            raise InvitationError("bad_plan", _l("The age bands must be in ascending order and must not overlap."),
                                  field="age_bands")
        bands.append([low, high])
    return bands


def age_on(person_birth_date: date | None, birth_year: int | None, on: date) -> int | None:
    if person_birth_date is not None:
        return on.year - person_birth_date.year - ((on.month, on.day) < (person_birth_date.month, person_birth_date.day))
    if birth_year is not None:
        return on.year - birth_year  # the age reached in the year of the reference date
    return None


def stratum_of(plan: dict, district: str, birth_date: date | None, birth_year: int | None) -> str | None:
    """The stratum label of a resident under ``plan``, or None when not eligible (age outside every band)."""
    parts = []
    if plan.get("by_district"):
        parts.append(district or "–")
    bands = plan.get("age_bands") or []
    if bands:
        age = age_on(birth_date, birth_year, date.fromisoformat(plan["reference_date"]))
        if age is None:
            return None
        band = next((b for b in bands if age >= b[0] and (b[1] is None or age <= b[1])), None)
        if band is None:
            return None
        parts.append(band_label(band))
    return " · ".join(parts) if parts else "alle"


def register_entries(extract: RegisterExtract, plan: dict) -> Iterator[dict[str, str]]:
    """The pseudonymised register under ``plan`` (eligible residents only), read in chunks."""
    rows = db.session.execute(
        sa.select(RegisterPerson.pseudonym, RegisterHousehold.pseudonym, RegisterPerson.district,
                  RegisterPerson.birth_date, RegisterPerson.birth_year)
        .join(RegisterHousehold, RegisterHousehold.id == RegisterPerson.household_id)
        .where(RegisterPerson.extract_id == extract.id).execution_options(yield_per=5000))
    for pseudonym, household, district, birth_date, birth_year in rows:
        stratum = stratum_of(plan, district, birth_date, birth_year)
        if stratum is not None:
            yield {"pseudonym": pseudonym, "household": household, "stratum": stratum}


@dataclass
class StratumRow:
    stratum: str
    residents: int
    households: int
    letters: int
    factor: float
    response_rate: float

    @property
    def expected_answers(self) -> float:
        return self.letters * self.response_rate


@dataclass
class PlanTable:
    rows: list[StratumRow]
    eligible: int
    not_eligible: int

    @property
    def letters(self) -> int:
        return sum(r.letters for r in self.rows)

    @property
    def expected_answers(self) -> float:
        return sum(r.expected_answers for r in self.rows)


def _rate(plan: dict, stratum: str) -> int:
    return int(plan.get("response_rates_permille", {}).get(stratum, plan.get("response_rate_permille", 80)))


def plan_table(extract: RegisterExtract, plan: dict) -> PlanTable:
    """Per stratum: residents, households, letters and expected answers (from the response rates)."""
    residents: dict[str, int] = {}
    households: dict[str, set[str]] = {}
    for entry in register_entries(extract, plan):
        residents[entry["stratum"]] = residents.get(entry["stratum"], 0) + 1
        households.setdefault(entry["stratum"], set()).add(entry["household"])
    allocation = draw.allocate(residents, int(plan.get("letters", 0)), plan)
    rows = [StratumRow(s, residents[s], len(households[s]), allocation[s], draw.factor_of(plan, s) / 1000,
                       _rate(plan, s) / 1000) for s in sorted(residents)]
    eligible = sum(residents.values())
    return PlanTable(rows, eligible, max(0, extract.row_count - eligible))


def plan_groups(plan: dict, table: PlanTable) -> list[dict[str, Any]]:
    """The groups a plan's strata are made of (age bands, districts), each with its response rate and
    factor as the plan has them where every stratum of the group agrees (for the form)."""
    names: list[str] = [band_label(b) for b in plan.get("age_bands") or []]
    if plan.get("by_district"):
        names += sorted({row.stratum.split(" · ")[0] for row in table.rows})
    chosen = plan.get("groups", {})
    out = []
    for name in names:
        setting = chosen.get(name, {})
        out.append({"name": name,
                    "rate": setting["rate_permille"] / 10 if "rate_permille" in setting else None,
                    "factor": setting["factor_permille"] / 1000 if "factor_permille" in setting else None})
    return out


def save_plan(event: Event, *, letters: int, by_district: bool, age_bands: str, response_rate_percent: float,
              group_settings: dict[str, tuple[float | None, float | None]], one_per_household: bool,
              answer_deadline: datetime | None, reference_date: date | None = None) -> InvitationDraw:
    """Create or change the event's planned draw.

    :param group_settings: age band label or district → (response rate in %, oversampling factor),
        either None for the default; expanded to every stratum the group is part of.
    :raises InvitationError: ``no_extract``, ``wrong_state``, ``bad_plan``.
    """
    extract = current_extract(event)
    if extract is None or extract.state != ExtractState.IMPORTED.value:
        raise InvitationError("no_extract", _l("Please import a register extract first."))
    existing = active_draw(event)
    if existing is not None and existing.state != InvitationDrawState.PLANNED.value:
        raise InvitationError("wrong_state", _l("The plan was committed to and can no longer be changed."))
    if not 1 <= int(letters) <= MAX_LETTERS:
        raise InvitationError("bad_plan", _l("The number of letters must be between 1 and %(max)d.", max=MAX_LETTERS),
                              field="letters")
    if not 0 < response_rate_percent <= 100:
        raise InvitationError("bad_plan", _l("A response rate is a percentage above 0 and at most 100."),
                              field="response_rate")
    bands = parse_age_bands(age_bands)
    reference = reference_date or (event.starts_at.date() if event.starts_at else utcnow().date())
    plan: dict[str, Any] = {"letters": int(letters), "by_district": bool(by_district), "age_bands": bands,
                            "reference_date": reference.isoformat(), "one_per_household": bool(one_per_household),
                            "response_rate_permille": round(response_rate_percent * 10)}
    strata = sorted({e["stratum"] for e in register_entries(extract, plan)})
    factors, rates = {}, {}
    for group, (rate, factor) in group_settings.items():
        if rate is not None and not 0 < rate <= 100:
            raise InvitationError("bad_plan", _l("A response rate is a percentage above 0 and at most 100."),
                                  field=f"rate-{group}")
        if factor is not None and not 0 <= factor <= 20:
            raise InvitationError("bad_plan", _l("An oversampling factor is a number from 0 to 20 (1: proportional)."),
                                  field=f"factor-{group}")
        for stratum in strata:
            if group in stratum.split(" · "):
                if factor is not None:
                    factors[stratum] = round(factors.get(stratum, 1000) * factor)
                if rate is not None:
                    rates[stratum] = round(rate * 10)
    chosen = {}
    for group, (rate, factor) in sorted(group_settings.items()):
        setting = {}
        if rate is not None:
            setting["rate_permille"] = round(rate * 10)
        if factor is not None:
            setting["factor_permille"] = round(factor * 1000)
        if setting:
            chosen[group] = setting
    if chosen:
        plan["groups"] = chosen
    if factors:
        plan["factors_permille"] = {s: f for s, f in factors.items() if f != 1000}
    if rates:
        plan["response_rates_permille"] = rates
    if existing is None:
        attempt = 1 + (db.session.execute(sa.select(sa.func.max(InvitationDraw.attempt))
                                          .where(InvitationDraw.event_id == event.id)).scalar() or 0)
        existing = InvitationDraw(event_id=event.id, attempt=attempt)
        db.session.add(existing)
    existing.extract_id = extract.id
    existing.letters = int(letters)
    existing.plan_json = json.dumps(plan, sort_keys=True)
    existing.answer_deadline = answer_deadline
    db.session.flush()
    return existing


def commit(draw_row: InvitationDraw, user, kind: str, description: str) -> InvitationDraw:
    """Fix the pseudonymised register and the plan: the commitment to publish before the draw.

    :raises InvitationError: ``wrong_state``, ``bad_number`` (a public draw needs its description).
    """
    if draw_row.state != InvitationDrawState.PLANNED.value:
        raise InvitationError("wrong_state", _l("The plan has already been committed to."))
    if kind not in ("public", "server"):
        raise InvitationError("bad_number", _l("Choose how the public value will be drawn."),
                              field="number_source_kind")
    description = (description or "").strip()
    if kind == "public" and not 10 <= len(description) <= 500:
        raise InvitationError("bad_number", _l("Describe how and when the public value will be drawn (10 to 500 "
                                               "characters), e.g. the lottery numbers of a given day."),
                              field="number_source")
    source = f"public: {description}" if kind == "public" else SERVER_SOURCE
    extract = db.session.get(RegisterExtract, draw_row.extract_id)
    if extract is None or extract.state != ExtractState.IMPORTED.value:
        raise InvitationError("no_extract", _l("Please import a register extract first."))
    prepared = draw.prepare(register_entries(extract, draw_row.plan), draw_row.plan, source)
    if not prepared.register:
        raise InvitationError("bad_plan", _l("No resident of the register extract falls into the strata."))
    event = db.session.get(Event, draw_row.event_id)
    record = draw.record_before(prepared, {"event": {"id": event.id, "title": event.title},
                                           "attempt": draw_row.attempt,
                                           "register_file_sha256": extract.file_sha256})
    draw_row.number_source_kind = kind
    draw_row.number_source = source
    draw_row.register_sha256 = prepared.register_sha256
    draw_row.plan_sha256 = prepared.plan_sha256
    draw_row.commitment = prepared.commitment
    draw_row.record_json = json.dumps(record, sort_keys=True, ensure_ascii=False)
    draw_row.algorithm_version = draw.ALGORITHM_VERSION
    draw_row.state = InvitationDrawState.COMMITTED.value
    draw_row.committed_at = utcnow()
    draw_row.committed_by_id = getattr(user, "id", None)
    db.session.flush()
    return draw_row


def perform(draw_row: InvitationDraw, user, public_value: str | None = None) -> InvitationDraw:
    """Draw with the public value (or the server's randomness) and create the invitations.

    :raises InvitationError: ``wrong_state``, ``bad_number``.
    """
    if draw_row.state != InvitationDrawState.COMMITTED.value:
        raise InvitationError("wrong_state", _l("Only a committed plan can be drawn."))
    if draw_row.number_source_kind == "server":
        value = secrets.token_hex(16)
    else:
        value = " ".join((public_value or "").split())
        if not 1 <= len(value) <= 200:
            raise InvitationError("bad_number", _l("Please enter the public value as it was drawn (at most 200 "
                                                   "characters)."), field="public_value")
    record = draw.record_after(draw_row.record, value)
    invited = set(record["invited"])
    strata = {e["pseudonym"]: e["stratum"] for e in record["register"] if e["pseudonym"] in invited}
    people: dict[str, int] = {}
    pseudonyms = sorted(invited)
    for start in range(0, len(pseudonyms), 900):
        chunk = pseudonyms[start:start + 900]
        people.update(db.session.execute(
            sa.select(RegisterPerson.pseudonym, RegisterPerson.id)
            .where(RegisterPerson.extract_id == draw_row.extract_id, RegisterPerson.pseudonym.in_(chunk))).all())
    now = utcnow()
    rows = []
    for pseudonym in pseudonyms:
        nonce = codes.new_nonce()
        rows.append({"draw_id": draw_row.id, "event_id": draw_row.event_id, "person_id": people.get(pseudonym),
                     "pseudonym": pseudonym, "stratum": strata[pseudonym], "code_nonce": nonce,
                     "code_hash": codes.code_hash(codes.invitation_code(nonce)), "state": InvitationState.INVITED.value,
                     "invited_at": now})
    if rows:
        db.session.execute(sa.insert(Invitation), rows)
    draw_row.public_value = value
    draw_row.record_json = json.dumps(record, sort_keys=True, ensure_ascii=False)
    draw_row.state = InvitationDrawState.DRAWN.value
    draw_row.drawn_at = now
    draw_row.drawn_by_id = getattr(user, "id", None)
    db.session.flush()
    return draw_row


def audit_json(draw_row: InvitationDraw) -> str:
    """The audit file (pseudonyms only) that ``flask lottery verify`` checks."""
    return json.dumps(draw_row.record, sort_keys=True, ensure_ascii=False, indent=1)


# ------------------------------------------------------------------ the invitees' codes (stage 2's door)


def _by_code(raw_code: object) -> Invitation | None:
    code = codes.normalise_code(raw_code)
    if code is None:
        return None
    return db.session.execute(
        sa.select(Invitation).where(Invitation.code_hash == codes.code_hash(code))).scalar_one_or_none()


def find_invitation(raw_code: object) -> Invitation:
    """The invitation of a typed code (any event), if it can still be answered.

    Views that call this are rate-limited on failures (``INVITATIONS_CODE_RATE_LIMIT``, like ticket codes).

    :raises InvitationError: ``bad_code`` (malformed, unknown, or already answered).
    """
    invitation = _by_code(raw_code)
    if invitation is None:
        raise InvitationError("bad_code", _l("This invitation code is not known. Please check it against your "
                                             "letter."), field="code")
    if invitation.state == InvitationState.ANSWERED.value:
        raise InvitationError("bad_code", _l("This invitation has already been answered."), field="code")
    return invitation


def find_answered(raw_code: object) -> Invitation:
    """The answered invitation of a typed code whose application still exists: the invitee's own-data
    lookup (those who answered by phone or on paper without an email have no manage link).

    Views that call this are rate-limited on failures, as :func:`find_invitation`.

    :raises InvitationError: ``bad_code`` (malformed, unknown, or not answered).
    """
    invitation = _by_code(raw_code)
    if invitation is None or invitation.state != InvitationState.ANSWERED.value or invitation.application is None:
        raise InvitationError("bad_code", _l("No answer is recorded for this code. Please check it against your "
                                             "letter."), field="code")
    return invitation


def answer_invitation(invitation: Invitation, application) -> Invitation:
    """Record that ``invitation`` was answered with ``application`` (an Application of its event).

    :raises InvitationError: ``bad_code`` (answered before, or another event's application).
    """
    if invitation.state == InvitationState.ANSWERED.value:
        raise InvitationError("bad_code", _l("This invitation has already been answered."), field="code")
    if application.event_id != invitation.event_id:
        raise InvitationError("bad_code", _l("This invitation code is not known. Please check it against your "
                                             "letter."), field="code")
    invitation.state = InvitationState.ANSWERED.value
    invitation.answered_at = utcnow()
    invitation.application_id = application.id
    person = invitation.person
    if person is not None and person.household is not None and application.household_key is None:
        # The seat lottery's household rule (Event.lottery_one_per_household) groups by this key.
        application.household_key = person.household.pseudonym
    db.session.flush()
    return invitation


def invitation_counts(draw_row: InvitationDraw) -> dict[str, dict[str, int]]:
    """stratum → {"invited", "answered"}: the answer rate per stratum (whom the city did not reach)."""
    out: dict[str, dict[str, int]] = {}
    for stratum, state, n in db.session.execute(
            sa.select(Invitation.stratum, Invitation.state, sa.func.count())
            .where(Invitation.draw_id == draw_row.id).group_by(Invitation.stratum, Invitation.state)).all():
        row = out.setdefault(stratum, {"invited": 0, "answered": 0})
        row["invited"] += n
        if state == InvitationState.ANSWERED.value:
            row["answered"] += n
    return out
