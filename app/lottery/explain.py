"""Why a lottery cannot be drawn, in the reader's language (issue 24).

:func:`~app.lottery.algorithm.diagnose_infeasible` stores what conflicts as data
(``details["conflicts"]``: feature, value, ``kind`` and its numbers;
``details["relaxation"]``: feature, value, bound, from, to). This module turns that data
into sentences: each is translated when it is shown (``str()`` under the current locale,
so a job can store it in every language), uses real plural forms, and names criteria and
options by the labels the event gives them (:func:`apply_labels`; files and the pure core
have only their codes, which are then their labels). Nothing here builds markup: the
sentences are plain text and escaped where they are shown, parameters included.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext, ngettext

#: criterion key -> (criterion label, option value -> option label)
Labels = Mapping[str, tuple[str, Mapping[str, str]]]


def _names(entry: Mapping[str, Any]) -> tuple[str, str | None]:
    criterion = str(entry.get("criterion") or entry["feature"])
    if entry.get("value") is None:
        return criterion, None
    return criterion, str(entry.get("option") or entry["value"])


def conflict_text(conflict: Mapping[str, Any]) -> str:
    """One conflict (an entry of ``details["conflicts"]``) as a sentence."""
    kind = conflict.get("kind")
    if kind == "households":
        return ngettext("At most one seat per household: with %(num)d household of several applicants the quotas "
                        "can only be met if some household gets two seats.",
                        "At most one seat per household: with %(num)d households of several applicants the quotas "
                        "can only be met if some household gets two seats.", conflict["households"])
    criterion, option = _names(conflict)
    if kind == "short":
        return ngettext("Criterion “%(criterion)s”, option “%(option)s”: the minimum is %(min)d, but there is "
                        "only %(num)d applicant.",
                        "Criterion “%(criterion)s”, option “%(option)s”: the minimum is %(min)d, but there are "
                        "only %(num)d applicants.",
                        conflict["available"], criterion=criterion, option=option, min=conflict["min"])
    if kind == "sum_min":
        return ngettext("Criterion “%(criterion)s”: the minimums add up to %(num)d seat, but only %(seats)d are drawn.",
                        "Criterion “%(criterion)s”: the minimums add up to %(num)d seats, but only %(seats)d are "
                        "drawn.", conflict["total"], criterion=criterion, seats=conflict["seats"])
    if kind == "sum_max":
        return ngettext("Criterion “%(criterion)s”: within the maximums only %(num)d seat can be filled, but "
                        "%(seats)d are drawn.",
                        "Criterion “%(criterion)s”: within the maximums only %(num)d seats can be filled, but "
                        "%(seats)d are drawn.", conflict["total"], criterion=criterion, seats=conflict["seats"])
    if kind == "relaxed" and conflict.get("bound") == "max":
        return ngettext("Criterion “%(criterion)s”, option “%(option)s”: the maximum of %(num)d seat cannot be "
                        "kept together with the other quotas.",
                        "Criterion “%(criterion)s”, option “%(option)s”: the maximum of %(num)d seats cannot be "
                        "kept together with the other quotas.", conflict["from"], criterion=criterion, option=option)
    if kind == "relaxed":
        return ngettext("Criterion “%(criterion)s”, option “%(option)s”: the minimum of %(num)d seat cannot be "
                        "kept together with the other quotas.",
                        "Criterion “%(criterion)s”, option “%(option)s”: the minimum of %(num)d seats cannot be "
                        "kept together with the other quotas.", conflict["from"], criterion=criterion, option=option)
    # Details stored before conflicts carried a kind: their (English) problem as it was.
    where = criterion if option is None else f"{criterion} = {option}"
    return f"{where}: {conflict.get('problem', '')}"


def change_text(change: Mapping[str, Any]) -> str:
    """One suggested change (an entry of ``details["relaxation"]``) as a phrase."""
    criterion, option = _names(change)
    if change["bound"] == "min":
        return ngettext("criterion “%(criterion)s”, option “%(option)s”: lower the minimum from %(from)d to "
                        "%(num)d seat",
                        "criterion “%(criterion)s”, option “%(option)s”: lower the minimum from %(from)d to "
                        "%(num)d seats", change["to"], criterion=criterion, option=option, **{"from": change["from"]})
    return ngettext("criterion “%(criterion)s”, option “%(option)s”: raise the maximum from %(from)d to %(num)d seat",
                    "criterion “%(criterion)s”, option “%(option)s”: raise the maximum from %(from)d to %(num)d seats",
                    change["to"], criterion=criterion, option=option, **{"from": change["from"]})


def infeasible_headline(seats: int) -> str:
    """The first sentence of an ``infeasible`` message (pages list the conflicts below it)."""
    return ngettext("With these applicants no panel of %(num)d seat can meet all quotas.",
                    "With these applicants no panel of %(num)d seats can meet all quotas.", seats)


class InfeasibleMessage:
    """The message of a ``LotteryError("infeasible")``: rendered by ``str()`` in the current
    language from the error's details (which it shares, so :func:`apply_labels` reaches it)."""

    def __init__(self, seats: int, details: Mapping[str, Any], flex: bool = False) -> None:
        self.seats, self.details, self.flex = seats, details, flex

    def __str__(self) -> str:
        parts = [infeasible_headline(self.seats)]
        conflicts = self.details.get("conflicts") or []
        if conflicts:
            parts.append(ngettext("Conflict: %(list)s", "Conflicts: %(list)s", len(conflicts),
                                  list=" ".join(conflict_text(c) for c in conflicts)))
        changes = self.details.get("relaxation") or []
        if changes:
            parts.append(gettext("Nearest change that would work: %(list)s.",
                                 list="; ".join(change_text(c) for c in changes)))
        elif self.flex:
            parts.append(gettext("No change within min_flex and max_flex makes it possible."))
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"InfeasibleMessage({str(self)!r})"


def blocking_text(block: Mapping[str, Any]) -> str:
    """One quota that keeps the waiting list from a free seat (``details["blocking"]``)."""
    if block["bound"] == "completion":
        return gettext("the remaining free seats could not be filled")
    if block["bound"] == "household":
        return ngettext("at most one seat per household (%(num)d applicant waiting lives with someone seated)",
                        "at most one seat per household (%(num)d applicants waiting live with someone seated)",
                        block["candidates_blocked"])
    criterion, option = _names(block)
    if block["bound"] == "max":
        return ngettext("criterion “%(criterion)s”, option “%(option)s”: at most %(num)d seat",
                        "criterion “%(criterion)s”, option “%(option)s”: at most %(num)d seats",
                        block["max"], criterion=criterion, option=option)
    return ngettext("criterion “%(criterion)s”, option “%(option)s”: at least %(num)d seat",
                    "criterion “%(criterion)s”, option “%(option)s”: at least %(num)d seats",
                    block["min"], criterion=criterion, option=option)


class NoReplacementMessage(InfeasibleMessage):
    """The message of a ``LotteryError("no_replacement")``, from its ``details["blocking"]``."""

    def __init__(self, details: Mapping[str, Any]) -> None:
        super().__init__(0, details)

    def __str__(self) -> str:
        blocking = self.details.get("blocking") or []
        if not blocking:
            return gettext("Nobody on the waiting list can take the seat without breaking a quota.")
        return ngettext("Nobody on the waiting list can take the seat without breaking a quota. Blocking quota: "
                        "%(list)s.",
                        "Nobody on the waiting list can take the seat without breaking a quota. Blocking quotas: "
                        "%(list)s.",
                        len(blocking), list="; ".join(blocking_text(b) for b in blocking[:5]))


def apply_labels(error: Any, labels: Labels) -> Any:
    """Give an ``infeasible`` or ``no_replacement`` error's conflicts, changes and blocking quotas
    the event's labels (in place)."""
    entries = [*error.details.get("conflicts", []), *error.details.get("relaxation", []),
               *(b for b in error.details.get("blocking", []) if b.get("bound") not in ("completion", "household"))]
    for entry in entries:
        if entry.get("feature") is None:  # the household rule: no criterion to name
            continue
        label, options = labels.get(entry["feature"], (entry["feature"], {}))
        entry["criterion"] = label
        if entry.get("value") is not None:
            entry["option"] = options.get(entry["value"], entry["value"])
    if isinstance(error.message, InfeasibleMessage):
        error.message.details = error.details
    return error
