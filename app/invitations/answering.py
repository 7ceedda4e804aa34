"""Answering an invitation: the invitee (online, with the personal code) or staff (a paper or phone
answer) turn an :class:`~app.invitations.models.Invitation` into an application of its event, the
one the seat lottery (stage 2) draws among; the invitation points to it, which marks it as invited.

The name and address come from the register and cannot be changed; of the event's criteria the
invitee answers only those the register does not hold (:func:`register_answers`: district, gender
and age band where an option of the criterion matches the register's value). A code answers once:
the invitation becomes ``answered``. Services flush; the request commits.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from app.core.models import utcnow
from app.events import application_services as applications
from app.events.models import Criterion, Event
from app.extensions import db
from app.invitations import stage1
from app.invitations.errors import InvitationError
from app.invitations.models import Invitation, InvitationState, RegisterPerson

#: Criterion keys the register answers (lower case), by the register field they come from.
REGISTER_KEYS = {
    "district": {"district", "stadtteil", "bezirk", "quartier"},
    "gender": {"gender", "geschlecht", "sex"},
    "age": {"age", "alter", "altersgruppe", "age_band", "ageband"},
}
_GENDERS = ({"w", "f", "weiblich", "female", "frau"}, {"m", "männlich", "maennlich", "male", "mann"},
            {"d", "x", "divers", "diverse"})
_AGE_OPTION = re.compile(r"^\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3})|\+|[-–]|\s*und älter|\s*and over)?\s*$")


def person_of(invitation: Invitation) -> RegisterPerson:
    """The invitee's register row.

    :raises InvitationError: ``no_person`` once the register data has been deleted.
    """
    if invitation.person is None:
        raise InvitationError("no_person", _l("The register data of this invitation has been deleted; it can no "
                                              "longer be answered."), field="code")
    return invitation.person


def display_name(person: RegisterPerson) -> str:
    return " ".join(p for p in (person.title, person.given_name, person.family_name) if p)


def address_lines(person: RegisterPerson) -> list[str]:
    return [" ".join(p for p in (person.street, person.house_number) if p),
            " ".join(p for p in (person.postcode, person.town) if p)]


def register_field(criterion: Criterion) -> str | None:
    """The register field (district, gender, age) that answers ``criterion``, or None."""
    key = (criterion.key or "").strip().lower()
    return next((field for field, keys in REGISTER_KEYS.items() if key in keys), None)


def _gender_group(text: str) -> int | None:
    text = (text or "").strip().lower()
    return next((i for i, group in enumerate(_GENDERS) if text in group), None)


def _age_matches(label: str, age: int) -> bool:
    match = _AGE_OPTION.match(label or "")
    if not match or match.group(0).strip().isdigit():
        return False
    low, high = int(match.group(1)), int(match.group(2)) if match.group(2) else None
    return age >= low and (high is None or age <= high)


def reference_date(event: Event) -> date:
    """The day ages are counted on for the event's age criterion (its start, else today)."""
    return event.starts_at.date() if event.starts_at else utcnow().date()


def register_option(criterion: Criterion, person, on: date) -> int | None:
    """The option of ``criterion`` a register row (anything with district, gender, birth_date and
    birth_year) falls in; None when the register does not answer the criterion or no single option fits."""
    field = register_field(criterion)
    if field == "district":
        value = (person.district or "").strip().casefold()
        hits = [o.id for o in criterion.options if value and value in (o.value.casefold(), o.label.casefold())]
    elif field == "gender":
        group = _gender_group(person.gender)
        hits = [o.id for o in criterion.options
                if group is not None and group in (_gender_group(o.value), _gender_group(o.label))]
    elif field == "age":
        age = stage1.age_on(person.birth_date, person.birth_year, on)
        hits = [] if age is None else [o.id for o in criterion.options
                                       if _age_matches(o.value, age) or _age_matches(o.label, age)]
    else:
        return None
    return hits[0] if len(hits) == 1 else None


def register_answers(event: Event, person: RegisterPerson) -> dict[int, int]:
    """criterion id → option id for the criteria the register answers for ``person``."""
    on = reference_date(event)
    out = {}
    for criterion in event.criteria:
        option = register_option(criterion, person, on)
        if option is not None:
            out[criterion.id] = option
    return out


def asked_criteria(event: Event, person: RegisterPerson) -> list[Criterion]:
    """The event's criteria the invitee answers (those the register does not hold for them)."""
    known = register_answers(event, person)
    return [c for c in event.criteria if c.id not in known]


def deadline_of(draw) -> datetime | None:
    """The answer deadline the invitees are held to (naive UTC), or None."""
    return draw.answer_deadline


def check_open(invitation: Invitation, *, by_staff: bool = False) -> None:
    """Online answers end with the answer deadline; staff may still enter a paper answer that came in time.

    :raises InvitationError: ``answer_closed``.
    """
    draw = invitation.draw
    deadline = deadline_of(draw)
    if not by_staff and deadline is not None and utcnow() > deadline:
        raise InvitationError("answer_closed", _l("The time to answer this invitation has ended."))
    if db.session.get(Event, invitation.event_id).status not in applications.STAFF_ADDABLE_EVENT:
        raise InvitationError("answer_closed", _l("The seats of this event have been drawn; the invitation can no "
                                                  "longer be answered."))


def answer(invitation: Invitation, *, email: str | None, phone: str | None, answers: Mapping[int, int],
           consent: bool, language: str | None, source: str = "online", staff_user=None):
    """The invitee answers: an application of the event, marked as invited; the invitation is used up.

    :param answers: the invitee's answers to :func:`asked_criteria` (the register supplies the rest).
    :raises InvitationError: ``bad_code`` (answered already), ``answer_closed``, ``no_person``.
    :raises ApplicationError: consent missing, no email nor phone, invalid fields, email applied already.
    """
    if invitation.state == InvitationState.ANSWERED.value:
        raise InvitationError("bad_code", _l("This invitation has already been answered."), field="code")
    check_open(invitation, by_staff=staff_user is not None)
    person = person_of(invitation)
    event = db.session.get(Event, invitation.event_id)
    if consent is not True:
        if staff_user is not None:
            raise applications.ApplicationError(
                _l("Record the applicant's consent to the processing of their data."), "consent_missing", "consent")
        raise applications.ApplicationError(_l("Please agree to the processing of your data."), "consent_missing",
                                            "consent")
    asked = {c.id for c in asked_criteria(event, person)}
    merged = {**{k: v for k, v in answers.items() if k in asked}, **register_answers(event, person)}
    application = applications.add_invited(event, name=display_name(person), email=email, phone=phone,
                                           answers=merged, language_choice=language, source=source,
                                           staff_user=staff_user)
    stage1.answer_invitation(invitation, application)
    return application
