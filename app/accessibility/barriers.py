"""The maintained list of known barriers, from which the accessibility statement is made.

BITV 2.0 and the EU model statement (Implementing Decision (EU) 2018/1523) ask for the
compliance status ("fully", "partially" or "not compliant"), the content that is not
accessible with the reason and an accessible alternative, how and when the statement was
made, a contact for feedback and the enforcement procedure. The status follows from this
list: no barrier left means "fully compliant".

**Keep this list true.** When a barrier is fixed, remove its entry in the same change;
when an audit or a resident finds a new one, add it. ``tests/accessibility`` checks that
every entry is shown and that the status follows from the list.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: Why content is not accessible, in the model statement's terms.
NON_COMPLIANCE = "non_compliance"
DISPROPORTIONATE_BURDEN = "disproportionate_burden"
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Barrier:
    key: str
    #: The WCAG 2.1 success criteria (or BITV 2.0 paragraph) it fails, e.g. "WCAG 1.3.1, 1.1.1".
    criteria: str
    title: object
    description: object
    #: How to get the same information or service another way.
    alternative: object
    reason: str = NON_COMPLIANCE


KNOWN_BARRIERS: tuple[Barrier, ...] = (
    Barrier(
        "language_of_parts",
        "WCAG 3.1.2",
        _l("Some German content in the English interface is not marked as German"),
        _l("In the English interface, the titles of processes, events and stands and the ideas are "
           "marked as German on the web pages (also in the audit log and in the names screen readers "
           "read out, for example of a measure's progress bar), in the HTML part of the e-mails and in "
           "the PDF report, but not in the subjects and the plain-text part of e-mails and in the titles "
           "of browser tabs, so screen readers may read them there with English pronunciation."),
        _l("Switch the site to German (button at the top of every page): then everything is read in "
           "German."),
    ),
    Barrier(
        "projector_wall",
        "WCAG 1.3.1, 4.1.3",
        _l("The live idea wall for the projector"),
        _l("The idea wall shown on the projector during an event changes by itself as new ideas "
           "arrive and is not meant to be read with a screen reader."),
        _l("The moderators read the ideas out at their stand; after the event every idea is listed "
           "on the event's results page."),
        reason=DISPROPORTIONATE_BURDEN,
    ),
)

#: Added by the sign-language page while a section has no video yet.
SIGN_LANGUAGE_MISSING = Barrier(
    "sign_language_videos",
    "BITV 2.0 § 4",
    _l("Not every explanation is available in German Sign Language yet"),
    _l("The page in German Sign Language does not yet have a video for every section."),
    _l("Every section is available as text in Leichte Sprache, and you can ask us for the "
       "information in another form (contact below)."),
)


FULLY = "fully"
PARTIALLY = "partially"
NOT_COMPLIANT = "not"


def current_barriers(*, sign_language_complete: bool) -> list[Barrier]:
    barriers = list(KNOWN_BARRIERS)
    if not sign_language_complete:
        barriers.append(SIGN_LANGUAGE_MISSING)
    return barriers


def compliance_status(barriers: list[Barrier]) -> str:
    """The model statement's status: fully compliant only with no barrier left.

    "Not compliant" is reserved for a site whose main services cannot be used without help;
    a list of single barriers with alternatives is "partially compliant".
    """
    return FULLY if not barriers else PARTIALLY
