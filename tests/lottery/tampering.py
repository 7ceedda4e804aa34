"""Genuine and tampered audit records, shared by the tests of ``flask lottery verify`` and of
the single-file verifier (scripts/verify_lottery.py): both must give the same verdicts."""

from __future__ import annotations

import copy
import json
import random
from functools import lru_cache
from pathlib import Path

from app.lottery.algorithm import Applicant, find_replacement, waiting_list_order
from app.lottery.audit import (build_audit, certificate_sha256, combined_draw, commitment_of_record,
                               prepare_lottery, record_applicants, record_before_draw, row_from_dice, sha256_hex,
                               table_sha256)

#: Audit files written by earlier versions (format version 1: every applicant's answers listed).
DATA = Path(__file__).resolve().parent / "data"

#: 50 applicants of 50 different types (a pool of unique types), one seat: everyone's chance is 2.0 %.
UNIQUE = [Applicant(f"u{i:02d}", {"district": f"d{i:02d}"}) for i in range(50)]
UNIQUE_QUOTAS = {"district": {f"d{i:02d}": (0, 1) for i in range(50)}}

#: A pool with types of several members and quotas, for the draw and the replacements.
ROWS = [("f", "young"), ("f", "old"), ("f", "old"), ("m", "young"), ("m", "young"), ("m", "old"),
        ("f", "young"), ("m", "old"), ("f", "old"), ("m", "young"), ("f", "old"), ("m", "old")]
MIXED = [Applicant(f"q{i:02d}", {"gender": g, "age": a}) for i, (g, a) in enumerate(ROWS)]
MIXED_QUOTAS = {"gender": {"f": (2, 3), "m": (2, 3)}, "age": {"young": (1, 3), "old": (1, 4)}}
SEATS = 5


#: The public value a combined draw names in its commitment, and its value once published.
LOTTO = "the Lotto 6aus49 numbers of Saturday 5 December 2026 on lotto.de, ascending, separated by spaces"
LOTTO_VALUE = "3 7 12 25 33 41"


@lru_cache(maxsize=None)
def _prepared(which: str):
    if which == "unique":
        return prepare_lottery(UNIQUE, UNIQUE_QUOTAS, 1, number_source="public: dice in the council meeting")
    if which == "mixed+public":
        return prepare_lottery(MIXED, MIXED_QUOTAS, SEATS, number_source="public: dice in the council meeting",
                               public_value_source=LOTTO)
    if which == "server+public":
        return prepare_lottery(MIXED, MIXED_QUOTAS, SEATS, number_source="server: CSPRNG", public_value_source=LOTTO)
    return prepare_lottery(MIXED, MIXED_QUOTAS, SEATS, number_source="public: dice in the council meeting")


def drawn_combined(which: str = "mixed+public", public_value: str = LOTTO_VALUE, dice: str = "0372") -> dict:
    """A draw whose row follows from the dice (or the server's value committed by its hash) and the
    public value (issue 22)."""
    prepared = _prepared(which)
    number, fields = combined_draw(record_before_draw(prepared), public_value, dice=dice,
                                   server=prepared.server_value)
    return json.loads(json.dumps(build_audit(prepared, number, draw_fields=fields)))


def _recommit(audit: dict) -> dict:
    """What a rigger does: recompute the hashes and the commitment of an altered table, publish those."""
    audit["table_sha256"] = table_sha256(audit["table"])
    audit["commitment"] = commitment_of_record(audit, audit["applicants_sha256"], audit["table_sha256"])
    return audit


def rigged_table() -> dict:
    """Issue 22, item 2: one applicant raised from 2.0 % to 11.5 %, every row a valid panel, the
    recorded bound set to the old universal cap, hashes and commitment recomputed consistently."""
    audit = json.loads(json.dumps(record_before_draw(_prepared("unique"))))
    favourite = "u07"
    size = audit["table_size"]
    wanted = round(0.115 * size) - sum(favourite in row for row in audit["table"])
    for row in audit["table"]:
        if wanted == 0:
            break
        if favourite not in row:
            row[:] = [favourite]
            wanted -= 1
    audit["rounding"]["bound"] = (1 + len(UNIQUE) / 2) / size
    return _recommit(audit)


def drawn(replacements=(), dice: str = "0017") -> dict:
    prepared = _prepared("mixed")
    number = row_from_dice(dice, prepared.table.size)
    return json.loads(json.dumps(build_audit(prepared, number, replacements, dice=dice)))


def as_format_1(audit: dict) -> dict:
    """The same record in format version 1, as drawn before the pool was published per type: every
    applicant's answers in ``applicants``, ``pool_counts.types`` without pseudonyms."""
    old = copy.deepcopy(audit)
    old["format_version"] = 1
    old["applicants"] = record_applicants(audit)
    for kind in old["pool_counts"]["types"]:
        del kind["pseudonyms"]
    return old


def _moved_to_another_type(audit: dict) -> dict:
    """A rigger moves one pseudonym to another type (a changed answer) and fixes both counts."""
    moved = copy.deepcopy(audit)
    types = moved["pool_counts"]["types"]
    person = types[0]["pseudonyms"].pop(0)
    types[1]["pseudonyms"] = sorted(types[1]["pseudonyms"] + [person])
    types[0]["count"] -= 1
    types[1]["count"] += 1
    return moved


def _replacement(audit: dict, skipped: list[str], evidence: dict) -> dict:
    answers = {a.pseudonym: a.answers for a in MIXED}
    declined = audit["selected"][0]
    seated = set(audit["selected"]) - {declined}
    waiting = [p for p in audit["waiting_list"] if p not in skipped]
    admitted = find_replacement(seated, waiting, answers, MIXED_QUOTAS, SEATS)
    return {"declined": [declined], "skipped": skipped, "admitted": admitted, "at": "2026-03-05T10:00:00",
            "evidence": evidence}


def cases() -> list[tuple[str, dict, str | None, bool]]:
    """``(name, audit, expected commitment or None, passes)`` for every case."""
    genuine = drawn()
    declined = genuine["selected"][0]
    first_waiting = genuine["waiting_list"][0]
    decline = {declined: {"reason": "declined", "at": "2026-03-04T09:00:00"}}
    with_skip = drawn([_replacement(genuine, [first_waiting], {
        **decline, first_waiting: {"reason": "withdrawn", "at": "2026-03-04T10:00:00"}})])
    skip_without_evidence = drawn([_replacement(genuine, [first_waiting], decline)])
    skip_as_decline = drawn([_replacement(genuine, [first_waiting], {
        **decline, first_waiting: {"reason": "declined", "at": "2026-03-04T10:00:00"}})])
    decline_without_evidence = drawn([_replacement(genuine, [], {})])
    changed_dice = copy.deepcopy(genuine)
    changed_dice["dice"] = "0018"
    pre_draw = json.loads(json.dumps(record_before_draw(_prepared("mixed"))))
    pre_draw_tampered = _moved_to_another_type(pre_draw)
    old_format = as_format_1(genuine)
    old_format_tampered = copy.deepcopy(old_format)
    old_format_tampered["applicants"][0]["answers"]["age"] = "old" if \
        old_format_tampered["applicants"][0]["answers"]["age"] == "young" else "young"
    type_miscounted = copy.deepcopy(genuine)
    type_miscounted["pool_counts"]["types"][0]["count"] += 1
    listed_twice = copy.deepcopy(genuine)
    listed_twice["pool_counts"]["types"][1]["pseudonyms"] = sorted(
        listed_twice["pool_counts"]["types"][1]["pseudonyms"] + listed_twice["pool_counts"]["types"][0]["pseudonyms"][:1])
    listed_twice["pool_counts"]["types"][1]["count"] += 1
    unlisted = copy.deepcopy(genuine)
    unlisted["pool_counts"]["types"][0]["pseudonyms"].pop()
    unlisted["pool_counts"]["types"][0]["count"] -= 1
    combined = drawn_combined()
    other_value = copy.deepcopy(combined)
    other_value["public_value"] = "3 7 12 25 33 42"
    combined_dice = copy.deepcopy(combined)
    combined_dice["dice"] = "0373"
    other_seed = copy.deepcopy(combined)
    other_seed["seed"] = "0" * 64
    renamed = copy.deepcopy(combined)
    renamed["public_value_source"] = "the Lotto numbers of another Saturday"
    without_value = copy.deepcopy(combined)
    del without_value["public_value"]
    server = drawn_combined("server+public")
    other_server = copy.deepcopy(server)
    other_server["server_value"] = "cd" * 32
    rehashed_server = copy.deepcopy(other_server)
    rehashed_server["server_value_sha256"] = sha256_hex(other_server["server_value"].encode("ascii"))
    # The operator looked at the public value, then chose the dice that give the wanted row: the
    # record is consistent (the row follows from the dice chosen), so only the commitment's rule and
    # the public dice reading protect it; a different number for the same dice fails.
    wrong_row = copy.deepcopy(combined)
    wrong_row["number"] = combined["number"] % combined["table_size"] + 1
    miscounted = copy.deepcopy(genuine)
    miscounted["pool_counts"]["cells"][0]["pool"] += 1
    return certificate_cases() + binding_cases() + [
        ("published counts per quota option changed", miscounted, None, False),
        ("format 1: genuine, every applicant's answers listed", old_format, old_format["commitment"], True),
        ("format 1: an answer changed", old_format_tampered, None, False),
        ("format 1: written by version 1.0", json.loads((DATA / "audit_v1.json").read_text("utf-8")), None, True),
        ("format 1: written by version 2.1", json.loads((DATA / "audit_v2_1.json").read_text("utf-8")), None, True),
        ("a type's count changed", type_miscounted, None, False),
        ("a pseudonym listed under two types", listed_twice, None, False),
        ("a pseudonym left out of its type", unlisted, None, False),
        ("drawn, a pseudonym moved to another type", _moved_to_another_type(genuine), None, False),
        ("genuine, dice combined with a public value", combined, combined["commitment"], True),
        ("genuine, server combined with a public value", server, None, True),
        ("combined: another public value", other_value, None, False),
        ("combined: another dice reading", combined_dice, None, False),
        ("combined: another seed", other_seed, None, False),
        ("combined: the public value renamed after the commitment", renamed, None, False),
        ("combined: no public value recorded", without_value, None, False),
        ("combined: another server value", other_server, None, False),
        ("combined: another server value with its hash", rehashed_server, None, False),
        ("combined: a number the seed does not give", wrong_row, None, False),
        ("genuine", genuine, None, True),
        ("genuine, against its published commitment", genuine, genuine["commitment"], True),
        ("genuine, with a skip and its evidence", with_skip, None, True),
        ("genuine, drawn with 0000", drawn(dice="0000"), None, True),
        ("record before the draw", pre_draw, pre_draw["commitment"], True),
        ("genuine table of unique types", json.loads(json.dumps(record_before_draw(_prepared("unique")))),
         None, True),
        ("rigged table (2.0 % raised to 11.5 %)", rigged_table(), None, False),
        ("against a wrong commitment", genuine, "0" * 64, False),
        ("skip without evidence", skip_without_evidence, None, False),
        ("skip recorded as a decline", skip_as_decline, None, False),
        ("decline without evidence", decline_without_evidence, None, False),
        ("changed dice reading", changed_dice, None, False),
        ("record before the draw, an answer changed", pre_draw_tampered, None, False),
    ]


def fractional_panel(c) -> None:
    """Half a seat moved to another type: no panel (the schema refuses it too)."""
    counts = c["distribution"][0]["counts"]
    counts[0][1] -= 0.5
    counts.append([next(t for t in range(len(c["types"])) if t not in {i for i, _ in counts}), 0.5])


def _recommit_certificate(audit: dict) -> dict:
    """What a rigger does with a changed certificate: rehash it, recompute the commitment, publish those."""
    audit["certificate_sha256"] = certificate_sha256(audit.get("leximin_certificate"))
    audit["commitment"] = commitment_of_record(audit, audit["applicants_sha256"], audit["table_sha256"])
    if "number" in audit:  # the waiting list's order follows from the commitment
        audit["waiting_list"] = waiting_list_order(audit["waiting_list"], audit["commitment"], audit["number"])
    return audit


def with_certificate(change, recommit: bool = True) -> dict:
    """A draw whose certificate was changed; ``recommit``: with its hash and the commitment made to fit
    (then only the certificate's arithmetic, or the commitment published earlier, can catch it)."""
    audit = drawn()
    change(audit["leximin_certificate"])
    return _recommit_certificate(audit) if recommit else audit


def another_valid_certificate(c) -> None:
    """The same distribution's panels listed in another order: still a valid certificate, but not the
    one the commitment fixed."""
    c["distribution"].reverse()
    c["method"] += " (swapped in)"


def binding_cases() -> list[tuple[str, dict, str | None, bool]]:
    """The commitment binds the certificate (``certificate_sha256``, issue 22): tampers after the
    commitment, and records committed before it was bound (which still verify)."""
    genuine = drawn()
    removed = copy.deepcopy(genuine)
    del removed["leximin_certificate"]
    removed_with_hash = copy.deepcopy(removed)
    del removed_with_hash["certificate_sha256"]
    limited = time_limited()
    added = copy.deepcopy(limited)
    added["leximin_certificate"] = genuine["leximin_certificate"]
    unbound = json.loads((DATA / "audit_v2_3_certificate_unbound.json").read_text("utf-8"))
    unbound_swapped = copy.deepcopy(unbound)
    another_valid_certificate(unbound_swapped["leximin_certificate"])

    def one_number(c):
        c["stages"][0]["bound"] += 1e-3

    def not_a_number(c):  # no canonical JSON: the verifiers must fail, not crash
        c["stages"][0]["bound"] = float("nan")

    return [
        ("binding: genuine, against its published commitment", genuine, genuine["commitment"], True),
        ("binding: one number of the certificate changed after the commitment",
         with_certificate(one_number, recommit=False), None, False),
        ("binding: a number of the certificate made NaN", with_certificate(not_a_number, recommit=False), None,
         False),
        ("binding: another valid certificate swapped in", with_certificate(another_valid_certificate,
                                                                           recommit=False), None, False),
        ("binding: another valid certificate, rehashed and recommitted, against the published commitment",
         with_certificate(another_valid_certificate), genuine["commitment"], False),
        ("binding: the certificate removed", removed, None, False),
        ("binding: the certificate and its hash removed", removed_with_hash, None, False),
        ("binding: time limit, no certificate, as committed", limited, limited["commitment"], True),
        ("binding: a certificate added to a time-limited record", added, None, False),
        ("binding: committed before the certificate was bound", unbound, unbound["commitment"], True),
        ("binding: committed before it was bound, another valid certificate swapped in", unbound_swapped,
         unbound["commitment"], True),
        ("binding: time limit, committed before the certificate was bound",
         json.loads((DATA / "audit_v2_3_time_limited_unbound.json").read_text("utf-8")), None, True),
    ]


@lru_cache(maxsize=None)
def _time_limited_prepared():
    rng = random.Random(3)
    applicants = [Applicant(f"p{i:03d}", {f: rng.choice("abcd") for f in "uvwxy"}) for i in range(120)]
    quotas = {f: {v: (2, 6) for v in "abcd"} for f in "uvwxy"}
    return prepare_lottery(applicants, quotas, 12, table_size=100, number_source="public: dice", time_limit=1e-9)


def time_limited() -> dict:
    """A draw whose leximin computation the time limit ended: no certificate, committed as such."""
    prepared = _time_limited_prepared()
    return json.loads(json.dumps(build_audit(prepared, row_from_dice("0042", prepared.table.size), dice="0042")))


def certificate_cases() -> list[tuple[str, dict, str | None, bool]]:
    """The LP dual certificates of the leximin stages (issue 22): genuine, and each part tampered."""
    def value_lowered(c):
        c["stages"][0]["value"] -= 0.01

    def value_raised(c):
        c["stages"][-1]["value"] += 0.01

    def weight_moved(c):  # the dual weight of stage 1 all put on one of the types it fixes
        stage = c["stages"][0]
        stage["fixes"] = stage["fixes"][:1]
        stage["weights"] = [[stage["fixes"][0], 1.0]]

    def pricing_changed(c):
        stage = next(s for s in c["stages"] if s["kind"] == "relaxed")
        stage["pricing"]["seats"] += 0.5

    def panel_reweighted(c):
        c["distribution"][0]["weight"] += 0.05
        c["distribution"][1]["weight"] -= 0.05

    def stage_dropped(c):
        c["stages"].pop()

    def weight_of_no_type(c):
        c["stages"][0]["weights"].append([-1, 0.5])

    households = [["q00", "q01"], ["q02", "q03", "q04"], ["q05", "q06"]]
    with_households = prepare_lottery(MIXED, MIXED_QUOTAS, SEATS, number_source="public: dice",
                                      households=households)
    return [
        ("certificate: genuine, household rule", json.loads(json.dumps(record_before_draw(with_households))),
         None, True),
        ("certificate: genuine, the relaxation not tight (integer stages)", integer_stages(), None, True),
        ("certificate: genuine, unique types", json.loads(json.dumps(record_before_draw(_prepared("unique")))),
         None, True),
        ("certificate: a stage value lowered", with_certificate(value_lowered), None, False),
        ("certificate: a stage value raised", with_certificate(value_raised), None, False),
        ("certificate: the dual weight moved onto one type", with_certificate(weight_moved), None, False),
        ("certificate: a pricing dual changed", with_certificate(pricing_changed), None, False),
        ("certificate: a panel's weight changed", with_certificate(panel_reweighted), None, False),
        ("certificate: a stage left out", with_certificate(stage_dropped), None, False),
        ("certificate: a weight of no type", with_certificate(weight_of_no_type), None, False),
    ]


#: A small pool whose first leximin stages are not met by the relaxed panel polytope: their
#: certificates are of kind "integer" (found with app/lottery/certificates.py on generated pools).
INTEGER_ROWS = ["yu1", "yv2", "zu1", "zv2", "xu2", "xv1", "zv2", "yv2", "yu2", "zv1", "yu2"]
INTEGER_QUOTAS = {"a": {"x": (1, 1), "y": (0, 1), "z": (0, 1)}, "b": {"u": (1, 2), "v": (0, 2)},
                  "c": {"1": (1, 2), "2": (1, 1)}}


def integer_stages() -> dict:
    applicants = [Applicant(f"p{i:02d}", dict(zip("abc", row))) for i, row in enumerate(INTEGER_ROWS)]
    return json.loads(json.dumps(record_before_draw(prepare_lottery(applicants, INTEGER_QUOTAS, 2,
                                                                    number_source="public: dice"))))
