"""Personal data of the residents' register extract (issue 17; declared for issue 23 item 6,
orchestrated by app/privacy).

The register's people are not applicants: nothing links a register row to an application's
own-data file, so the rows are not exported; an invitee who answers becomes an application,
whose data the events provider exports. The rows are deleted by the retention purge
(:func:`purge`: :func:`app.invitations.retention.purge_register`).
"""
from __future__ import annotations

from app.core.personal import Cover
from app.invitations.models import RegisterExtract, RegisterHousehold, RegisterPerson, RegisterUpload
from app.invitations.retention import purge_register

_EXPORT = ("not exported: the city's register extract, linked to no application (an invitee who answers "
           "is an application from then on)")
_ERASE = ("deleted by the purge when the event's retention ends (or the extract's retain_until), and for "
          "invitees who did not answer after the answer window plus INVITATIONS_UNANSWERED_KEEP_DAYS")
_PERSON = Cover(export=_EXPORT, erase=_ERASE)

COVERS = {
    RegisterExtract.filename: Cover(export=_EXPORT, erase="emptied when the extract's rows are deleted"),
    RegisterUpload.data: Cover(export=_EXPORT, erase="deleted by the import, on cancel, with the extract's "
                                                     "rows, or by the purge after a day when never imported"),
    RegisterHousehold.key: Cover(export=_EXPORT, erase="deleted with the extract's rows (retention)"),
    RegisterPerson.given_name: _PERSON,
    RegisterPerson.family_name: _PERSON,
    RegisterPerson.title: _PERSON,
    RegisterPerson.street: _PERSON,
    RegisterPerson.house_number: _PERSON,
    RegisterPerson.postcode: _PERSON,
    RegisterPerson.town: _PERSON,
    RegisterPerson.birth_year: _PERSON,
    RegisterPerson.birth_date: _PERSON,
    RegisterPerson.gender: _PERSON,
    RegisterPerson.district: _PERSON,
}


def purge(plan, report):
    """The register data whose time is over (see app/invitations/retention.py)."""
    return purge_register(report)
