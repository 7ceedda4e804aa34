"""Rules of online participation (issue 18): the staff's online settings, residents' sign-up
with double opt-in, and their ideas.

Functions flush; the calling view commits once. Every mail goes through the outbox in the same
transaction. The participation link carries a random token (only its SHA-256 is stored); signing
up again with the same address never replaces it but mails a derived link (the mechanism of the
applications, app/core/tokens.py). The confirmation link adds a signature over the participant id,
valid ``PARTICIPATION_CONFIRM_HOURS``.

Online ideas are ordinary ideas of a stand (``channel = "online"``, ``participant_id``), recorded
through :func:`app.ideas.services.record_idea`; under pre-moderation they wait (``moderation =
"pending"``) until a moderator approves them (app/participation/moderation.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy.exc import IntegrityError

from app.audit.services import diff, log_action
from app.core import ratelimit, tokens
from app.core.domain import DomainError
from app.core.errors import wait_text
from app.core.mail import queue_templated_mail
from app.core.security import MAX_ID
from app.core.models import utcnow
from app.core.text import clean_text
from app.core.urls import absolute_url
from app.events.application_input import ApplicationError, clean_email
from app.events.models import Event, EventStatus, Process
from app.extensions import db
from app.ideas import live
from app.ideas import services as ideas
from app.ideas.models import Idea, IdeaChannel, Moderation, Stand
from app.participation.moderation import MODERATION_LABELS as MODERATION_STATE_LABELS
from app.participation.moderation import settings_of
from app.participation.models import ModerationMode, OnlinePhase, OnlineSettings, Participant, PhaseKind

CONFIRM_SALT = "ideenmarkt.participation-confirm"
LINK_SALT = "ideenmarkt.participation-link"

DISPLAY_NAME_MAX = 80
NETIQUETTE_MAX_RULES = 20
NETIQUETTE_RULE_MAX = 200

PHASE_LABELS = {PhaseKind.BEFORE.value: _l("Before the workshop"),
                PhaseKind.AFTER.value: _l("After the workshop")}
MODE_LABELS = {ModerationMode.PRE.value: _l("Pre-moderation: visible after a moderator's approval"),
                     ModerationMode.POST.value: _l("Post-moderation: visible at once, moderators can hide")}
#: What a participant sees of their own idea's moderation state.
STATE_LABELS = {"pending": MODERATION_STATE_LABELS["pending"], "visible": MODERATION_STATE_LABELS["visible"],
                "hidden": _l("hidden by the moderation"), "withdrawn": _l("withdrawn"),
                "merged": _l("merged with another idea")}


NOT_CHANGEABLE = _l("This idea can no longer be changed: the online phase is closed or it was withdrawn or merged.")


class ParticipationError(DomainError):
    """A rule of online participation refused the operation; nothing was changed."""

    def __init__(self, message, code: str, field: str | None = None) -> None:
        super().__init__(code, message, field)


# ------------------------------------------------------------------ settings (staff)


@dataclass
class PhaseData:
    enabled: bool
    opens_at: datetime | None
    closes_at: datetime | None


def phases_of(event: Event) -> dict[str, OnlinePhase | None]:
    """The event's phases by kind (None where never set)."""
    rows = db.session.execute(sa.select(OnlinePhase).where(OnlinePhase.event_id == event.id)).scalars()
    found = {row.kind: row for row in rows}
    return {kind.value: found.get(kind.value) for kind in PhaseKind}


def moderation_mode(process: Process) -> str:
    settings = settings_of(process.id)
    return settings.moderation if settings is not None else ModerationMode.PRE.value


def parse_netiquette(raw: object) -> list[str]:
    """One rule per line (empty lines dropped).

    :raises ParticipationError: ``netiquette_too_many``, ``netiquette_too_long``.
    """
    text = clean_text(raw, multiline=True) if isinstance(raw, str) else ""
    rules = [clean_text(line) for line in text.splitlines()]
    rules = [rule for rule in rules if rule]
    if len(rules) > NETIQUETTE_MAX_RULES:
        raise ParticipationError(
            lazy_ngettext("The netiquette can have at most %(num)d rule.",
                          "The netiquette can have at most %(num)d rules.", NETIQUETTE_MAX_RULES),
            "netiquette_too_many", "netiquette")
    if any(len(rule) > NETIQUETTE_RULE_MAX for rule in rules):
        raise ParticipationError(
            lazy_ngettext("Each rule of the netiquette can have at most %(num)d character.",
                          "Each rule of the netiquette can have at most %(num)d characters.", NETIQUETTE_RULE_MAX),
            "netiquette_too_long", "netiquette")
    return rules


def check_phase(kind: str, phase: PhaseData, event: Event) -> None:
    """:raises ParticipationError: on the field ``<kind>_opens_at`` / ``<kind>_closes_at``."""
    if not phase.enabled:
        if phase.opens_at and phase.closes_at and phase.closes_at <= phase.opens_at:
            raise ParticipationError(_l("The phase must close after it opens."), "phase_order", f"{kind}_closes_at")
        return
    if phase.opens_at is None:
        raise ParticipationError(_l("Please enter when the phase opens."), "opens_missing", f"{kind}_opens_at")
    if phase.closes_at is None:
        raise ParticipationError(_l("Please enter when the phase closes."), "closes_missing", f"{kind}_closes_at")
    if phase.closes_at <= phase.opens_at:
        raise ParticipationError(_l("The phase must close after it opens."), "phase_order", f"{kind}_closes_at")
    if kind == PhaseKind.BEFORE.value and event.starts_at and phase.closes_at > event.starts_at:
        raise ParticipationError(_l("The phase before the workshop must close when the workshop starts at the latest."),
                                 "before_after_start", f"{kind}_closes_at")
    if kind == PhaseKind.AFTER.value and event.starts_at and phase.opens_at < event.starts_at:
        raise ParticipationError(_l("The phase after the workshop cannot open before the workshop starts."),
                                 "after_before_start", f"{kind}_opens_at")


def save_online_settings(event: Event, phases: dict[str, PhaseData], moderation: str,
                         netiquette: object) -> None:
    """Staff set the event's phases and the process's moderation mode and netiquette.

    :raises ParticipationError: invalid times, unknown mode, netiquette too long or missing
        while a phase is switched on.
    """
    for kind in PhaseKind:
        check_phase(kind.value, phases[kind.value], event)
    before_phase, after_phase = phases[PhaseKind.BEFORE.value], phases[PhaseKind.AFTER.value]
    if (before_phase.enabled and after_phase.enabled and after_phase.opens_at < before_phase.closes_at):
        raise ParticipationError(_l("The phase after the workshop cannot open before the phase before it closes."),
                                 "phases_overlap", "after_opens_at")
    if moderation not in (m.value for m in ModerationMode):
        raise ParticipationError(_l("Please choose how contributions are moderated."), "moderation_invalid",
                                 "moderation")
    rules = parse_netiquette(netiquette)
    if not rules and any(p.enabled for p in phases.values()):
        raise ParticipationError(
            _l("Please enter at least one rule: a hidden contribution always shows the rule it broke."),
            "netiquette_missing", "netiquette")

    existing = phases_of(event)
    settings = settings_of(event.process_id)
    before = _settings_snapshot(existing, settings)
    for kind, data in phases.items():
        row = existing[kind]
        if row is None:
            row = OnlinePhase(event_id=event.id, kind=kind)
            db.session.add(row)
        row.enabled, row.opens_at, row.closes_at = data.enabled, data.opens_at, data.closes_at
    if settings is None:
        settings = OnlineSettings(process_id=event.process_id)
        db.session.add(settings)
    settings.moderation = moderation
    settings.netiquette_reasons = rules
    db.session.flush()
    changes = diff(before, _settings_snapshot(phases_of(event), settings))
    if changes["before"] or changes["after"]:
        log_action("participation.settings", event, **changes)


def _settings_snapshot(phases: dict[str, OnlinePhase | None], settings: OnlineSettings | None) -> dict:
    """What the audit log keeps of the settings: ``before_enabled``, ``before_opens_at``, … flat."""
    snapshot: dict = {}
    for kind, row in phases.items():
        snapshot[f"{kind}_enabled"] = row.enabled if row else False
        snapshot[f"{kind}_opens_at"] = row.opens_at if row else None
        snapshot[f"{kind}_closes_at"] = row.closes_at if row else None
    snapshot["moderation"] = settings.moderation if settings else None
    snapshot["netiquette"] = settings.netiquette_reasons if settings else []
    return snapshot


# ------------------------------------------------------------------ open phases


def open_phases(process: Process, kind: str | None = None, now: datetime | None = None) -> list[OnlinePhase]:
    """The open phases of the process's public events (of ``kind`` if given), by opening time."""
    query = (sa.select(OnlinePhase).join(Event, Event.id == OnlinePhase.event_id)
             .where(Event.process_id == process.id, Event.status != EventStatus.DRAFT.value,
                    OnlinePhase.enabled.is_(True)))
    if kind is not None:
        query = query.where(OnlinePhase.kind == kind)
    rows = db.session.execute(query.order_by(OnlinePhase.opens_at, OnlinePhase.id)).scalars().all()
    return [row for row in rows if row.is_open(now)]


def is_open(process: Process, now: datetime | None = None) -> bool:
    """Residents may sign up: a phase of a public event of the process is open."""
    return bool(open_phases(process, now=now))


def idea_stands(process: Process, now: datetime | None = None) -> list[Stand]:
    """The stands residents may submit ideas to: those of events whose "before" phase is open."""
    event_ids = [phase.event_id for phase in open_phases(process, PhaseKind.BEFORE.value, now)]
    if not event_ids:
        return []
    return db.session.execute(
        sa.select(Stand).join(Event, Event.id == Stand.event_id).where(Stand.event_id.in_(event_ids))
        .order_by(Event.starts_at.is_(None), Event.starts_at, Stand.position, Stand.id)).scalars().all()


def _before_phase_open(event_id: int) -> bool:
    return phase_open(event_id, PhaseKind.BEFORE.value)


@cache
def _phase_statement() -> sa.Select:
    """Built once (every support POST asks): parameters ``event_id``, ``kind``."""
    return sa.select(OnlinePhase).where(OnlinePhase.event_id == sa.bindparam("event_id"),
                                        OnlinePhase.kind == sa.bindparam("kind"))


def phase_open(event_id: int, kind: str) -> bool:
    """The event's phase ``kind`` is open and the event is public."""
    phase = db.session.execute(_phase_statement(), {"event_id": event_id, "kind": kind}).scalar_one_or_none()
    event = db.session.get(Event, event_id)
    return phase is not None and phase.is_open() and event is not None and event.status != EventStatus.DRAFT.value


# ------------------------------------------------------------------ sign-up and confirmation


@dataclass
class SignupData:
    display_name: str
    show_name_publicly: bool
    email: str
    consent: bool


def clean_display_name(value: object) -> str:
    """:raises ParticipationError: ``name_missing``, ``name_too_long``."""
    name = clean_text(value) if isinstance(value, str) else ""
    if not name:
        raise ParticipationError(_l("Please enter a display name."), "name_missing", "display_name")
    if len(name) > DISPLAY_NAME_MAX:
        raise ParticipationError(
            lazy_ngettext("The display name can have at most %(num)d character.",
                          "The display name can have at most %(num)d characters.", DISPLAY_NAME_MAX),
            "name_too_long", "display_name")
    return name


def clean_participant_email(value: object) -> str:
    """The applications' address check (one home). :raises ParticipationError: on ``email``."""
    try:
        return clean_email(value if isinstance(value, str) else "")
    except ApplicationError as exc:
        raise ParticipationError(exc.message, exc.code, "email") from None


def consent_texts(process: Process) -> list[str]:
    """The consent texts of the events with an open phase (shown beside the consent box)."""
    texts = []
    for phase in open_phases(process):
        text = (phase.event.consent_text or "").strip()
        if text and text not in texts:
            texts.append(text)
    return texts


def sign_up(process: Process, data: SignupData) -> Participant:
    """A resident signs up for the process. A new participant is unconfirmed and gets a
    confirmation mail. An address already signed up changes nothing stored; it gets (at most once
    per ``PARTICIPATION_REMINDER_RATE_LIMIT``) a mail with its link again, and a fresh
    confirmation link if still unconfirmed. The caller answers both cases alike.

    :raises ParticipationError: ``closed``, ``consent_missing``, invalid fields.
    """
    if not is_open(process):
        raise ParticipationError(_l("Online participation in this process is not open."), "closed")
    name = clean_display_name(data.display_name)
    email = clean_participant_email(data.email)
    if data.consent is not True:
        raise ParticipationError(_l("Please agree to the processing of your data."), "consent_missing", "consent")
    existing = _find(process, email)
    if existing is not None:
        return _answer_duplicate(existing)
    token = tokens.new_token()
    participant = Participant(process_id=process.id, display_name=name, show_name_publicly=data.show_name_publicly is True,
                              email=email, token_hash=tokens.hash_token(token), consent_at=utcnow(),
                              language=request_language())
    try:
        with db.session.begin_nested():
            db.session.add(participant)
            db.session.flush()
    except IntegrityError:  # the same address signed up in parallel: answer as for any duplicate
        existing = _find(process, email)
        if existing is None:
            raise
        return _answer_duplicate(existing)
    participant.process = process
    _send(participant, "confirm", token)
    return participant


def _find(process: Process, email: str) -> Participant | None:
    return db.session.execute(sa.select(Participant).where(
        Participant.process_id == process.id, Participant.email == email)).scalar_one_or_none()


def _answer_duplicate(participant: Participant) -> Participant:
    allowance = ratelimit.charge("PARTICIPATION_REMINDER_RATE_LIMIT", "participation-reminder", str(participant.id))
    if isinstance(allowance, ratelimit.Charge):
        kind = "link" if participant.confirmed_at is not None else "confirm"
        _send(participant, kind, link_token(participant))
    return participant


def link_token(participant: Participant) -> str:
    """The derived participation token later mails carry (the first mail's random one stays valid)."""
    return tokens.derived_token(LINK_SALT, participant.id, participant.token_hash)


def find_by_token(token: object) -> Participant | None:
    return tokens.find_by_token(Participant, token, LINK_SALT)


def confirmation_signature(participant: Participant) -> str:
    return tokens.sign(CONFIRM_SALT, participant.id)


def confirm(token: str, signature: str) -> Participant:
    """The participant opened the link of the confirmation mail: ``confirmed_at`` is set and a
    mail with the participation link is queued. Confirming twice changes nothing.

    :raises ParticipationError: ``not_found``, ``link_invalid``, ``link_expired``.
    """
    participant = check_confirmation_link(token, signature)
    if participant.confirmed_at is None:
        participant.confirmed_at = utcnow()
        db.session.flush()
        _send(participant, "link", token)
    return participant


def check_confirmation_link(token: str, signature: str) -> Participant:
    """:raises ParticipationError: ``not_found``, ``link_invalid``, ``link_expired``."""
    max_age = int(current_app.config["PARTICIPATION_CONFIRM_HOURS"]) * 3600
    participant, problem = tokens.check_confirmation(Participant, token, signature, link_salt=LINK_SALT,
                                                     confirm_salt=CONFIRM_SALT, max_age_seconds=max_age)
    if problem == "link_expired":
        raise ParticipationError(
            _l("This confirmation link has expired. Sign up again with the same email address "
               "and you will receive a new link."), "link_expired")
    if problem is not None:
        raise ParticipationError(_l("This link is not valid."), problem)
    return participant


def request_language() -> str:
    """The language of the current request, one of ``LANGUAGES`` (stored at sign-up)."""
    language = str(get_locale() or "")
    return language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def mail_language(participant: Participant) -> str:
    """The language of every mail to the participant: the one they signed up in."""
    language = participant.language or ""
    return language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _send(participant: Participant, kind: str, token: str) -> None:
    """Queue the mail ``kind`` (confirm / link) in the participant's language (stored at sign-up;
    a second sign-up in another language does not change it)."""
    link_url = absolute_url("participation.my_participation", link=token)
    confirm_url = None
    if participant.confirmed_at is None:
        confirm_url = absolute_url("participation.confirm", link=token,
                                   link_signature=confirmation_signature(participant))
    process = participant.process
    subjects = {"confirm": _l("Please confirm your participation: %(title)s", title=process.title),
                "link": _l("Your participation link: %(title)s", title=process.title)}
    language = mail_language(participant)
    queue_templated_mail(participant.email, language, subjects[kind], f"participation/mail/{kind}",
                         {"participant": participant, "process": process, "link_url": link_url,
                          "confirm_url": confirm_url, "hours": current_app.config["PARTICIPATION_CONFIRM_HOURS"],
                          "language": language})


# ------------------------------------------------------------------ contributions


def check_active(participant: Participant) -> None:
    """:raises ParticipationError: ``unconfirmed``, ``blocked``."""
    if participant.confirmed_at is None:
        raise ParticipationError(
            _l("Please confirm your email address first: open the link in the mail we sent you."), "unconfirmed")
    if participant.blocked_at is not None:
        raise ParticipationError(
            _l("This participation link has been blocked by the moderation; it can no longer be used to contribute."),
            "blocked")


def charge_link(participant: Participant, setting: str, scope: str, message) -> None:
    """Count one contribution of the participant's link against the limit ``setting``, before the
    work. :raises ParticipationError: ``rate_limited`` with ``message`` (``%(wait)s``: how long)."""
    allowance = ratelimit.charge(setting, scope, str(participant.id))
    if isinstance(allowance, ratelimit.Exhausted):
        raise ParticipationError(message % {"wait": wait_text(allowance.retry_after)}, "rate_limited")


def insert_once(row) -> bool:
    """Add ``row`` (flushed, in a SAVEPOINT): False if its unique constraint finds the same row
    stored already (the same support or follow sent twice at once: the other request stored it)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def _charge_idea(participant: Participant) -> None:
    charge_link(participant, "PARTICIPATION_IDEA_RATE_LIMIT", "participation-idea",
                _l("You have sent many ideas in a short time. Please try again later (%(wait)s)."))


def _idea_error(exc: ideas.IdeaError) -> ParticipationError:
    return ParticipationError(exc.message, exc.code, "text")


def submit_idea(participant: Participant, stand_id: object, text: object) -> Idea:
    """The participant submits an idea to a stand of an event whose "before" phase is open.

    :raises ParticipationError: ``unconfirmed``, ``blocked``, ``stand_invalid``, ``closed``,
        ``rate_limited``, the idea's text checks (on ``text``).
    """
    check_active(participant)
    stand = _stand(participant, stand_id)
    if not _before_phase_open(stand.event_id):
        raise ParticipationError(_l("Ideas can no longer be submitted to this stand: the online phase is closed."),
                                 "closed", "stand")
    try:
        ideas.parse_idea_input(text)  # the checks first: a refused text uses up no allowance
    except ideas.IdeaError as exc:
        raise _idea_error(exc) from None
    _charge_idea(participant)
    pending = moderation_mode(participant.process) == ModerationMode.PRE.value
    try:
        idea, _created = ideas.record_idea(
            stand, text, channel=IdeaChannel.ONLINE.value, participant_id=participant.id,
            moderation=Moderation.PENDING.value if pending else Moderation.VISIBLE.value)
    except ideas.IdeaError as exc:
        raise _idea_error(exc) from None
    return idea


def _stand(participant: Participant, stand_id: object) -> Stand:
    try:
        number = int(stand_id) if stand_id not in (None, "") else 0
    except (TypeError, ValueError, OverflowError):
        number = 0
    # Beyond the database's integer range (PostgreSQL refuses such a parameter) no stand exists.
    stand = db.session.get(Stand, number) if 0 < number <= MAX_ID else None
    if stand is None or stand.event.process_id != participant.process_id:
        raise ParticipationError(_l("Please choose a stand."), "stand_invalid", "stand")
    return stand


def own_ideas(participant: Participant) -> list[Idea]:
    """The participant's ideas, newest first."""
    return db.session.execute(sa.select(Idea).where(Idea.participant_id == participant.id)
                              .order_by(Idea.created_at.desc(), Idea.id.desc())).scalars().all()


def own_idea(participant: Participant, idea_id: int) -> Idea | None:
    """The participant's own idea ``idea_id``, or None (another's idea is as unknown as a missing one)."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or idea.participant_id != participant.id:
        return None
    return idea


def state_of(idea: Idea) -> str:
    """What the participant sees: pending, visible, hidden, withdrawn or merged."""
    if idea.withdrawn_at is not None:
        return "withdrawn"
    if idea.merged_into_id is not None:
        return "merged"
    if idea.status == "hidden":
        return "hidden"
    if idea.moderation == Moderation.PENDING.value:
        return "pending"
    return "visible"


def can_change(idea: Idea) -> bool:
    """Editable and withdrawable: not withdrawn, not merged, and its event's "before" phase open."""
    return state_of(idea) in ("pending", "visible", "hidden") and _before_phase_open(idea.stand.event_id)


def _check_changeable(participant: Participant, idea: Idea) -> None:
    check_active(participant)
    if not can_change(idea):
        raise ParticipationError(NOT_CHANGEABLE, "not_changeable")


def edit_idea(participant: Participant, idea: Idea, text: object) -> Idea:
    """The participant corrects the text of their idea while the phase is open; under
    pre-moderation a changed idea waits for approval again.

    :raises ParticipationError: ``unconfirmed``, ``blocked``, ``not_changeable``, ``rate_limited``, text checks.
    """
    _check_changeable(participant, idea)
    try:
        ideas.parse_idea_input(text)
    except ideas.IdeaError as exc:
        raise _idea_error(exc) from None
    _charge_idea(participant)
    try:
        ideas.edit_idea(idea, text, user=None)
    except ideas.IdeaError as exc:
        raise _idea_error(exc) from None
    if moderation_mode(participant.process) == ModerationMode.PRE.value:
        idea.moderation = Moderation.PENDING.value
    db.session.flush()
    return idea


def withdraw_idea(participant: Participant, idea: Idea) -> Idea:
    """The participant takes their idea back: it is no longer shown or counted.

    :raises ParticipationError: ``unconfirmed``, ``blocked``, ``not_changeable``.
    """
    _check_changeable(participant, idea)
    idea.withdrawn_at = utcnow()
    idea.updated_at = utcnow()
    db.session.flush()
    log_action("idea.withdraw", idea, event_id=idea.stand.event_id, after={"withdrawn": True})
    live.note_change(idea, "hide")
    return idea


def stand_choices(stands: Sequence[Stand]) -> list[tuple[int, str]]:
    return [(stand.id, f"{stand.event.title}: {stand.title}") for stand in stands]
