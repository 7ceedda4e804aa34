#!/usr/bin/env python3
"""Check an Ideenmarkt lottery audit file, with nothing but Python 3.9+ (standard library only).

    python3 verify_lottery.py audit.json [--commitment HEX]

Exit code 0 if every check passes, 1 if one fails, 2 if the file cannot be read.

This file is deliberately independent of Ideenmarkt's code, so that anyone can read what is
checked. It checks everything that ``flask lottery verify`` checks except the recomputation of the
leximin probabilities (that needs an LP solver; ``flask lottery verify`` does it). Their optimality
is checked from the published LP dual certificates instead (``leximin_certificate``, see
``check_certificate`` below): every stage with arithmetic only, except that for a stage of kind
"integer" it cannot check that no panel beyond the published ones exceeds the stated maximum (that
needs an integer program); it says so. What it checks:

* the published pool: version 2 lists each answer vector once with its count and pseudonyms
  (``pool_counts.types``), version 1 every applicant's answers (``applicants``); the applicant list
  is expanded from the types, and the counts per type and per quota option must match it;
* the hashes of the applicant list and the table, and the commitment recomputed from them
  (and, with ``--commitment``, that it is the value published before the draw);
* the hash of the LP dual certificates (``certificate_sha256``: SHA-256 of the canonical JSON of
  ``leximin_certificate`` as read from the file, or null if none is published), which the commitment
  covers, so the certificate cannot be swapped after the commitment; records committed before the
  commitment covered it have no such field: they pass, and the output says the certificate is not bound;
* every row of the table: k distinct known applicants meeting every quota (with the household
  rule, ``households`` in the file: at most one of each household);
* the recorded probabilities: equal for equal answers, within 0..1, adding up to the seats;
* equal treatment in the table: people with equal answers are in row counts differing by <= 1;
* the rounding bound, computed from the table itself (the recorded bound is never trusted):
  version 2.1: every person in more than M*p - 1 - slack and fewer than M*p + 1 + slack rows
  (slack 0..2); versions 1.0/2.0: rows in canonical order and each share within
  (1 + TV/(2 size))/M of p, TV the total variation of the type's seat counts along the table;
* after the draw: the dice reading gives the number under the committed rule (a rule that
  combines a public value: the seed, SHA-256 of the commitment, the public value and the dice or
  the server's value, whose SHA-256 the commitment holds, is the recorded one and gives the
  number); the selection is
  that row; the waiting list is in SHA-256 order; every replacement is the first waiting person
  who keeps the quotas, and (version 2.1) every decline and skip carries its evidence;
* the LP dual certificates of the leximin stages (if published): the published distribution over
  panels gives the recorded probabilities and attains every stage value, and each stage's dual
  bound (weak LP duality over the relaxed panel polytope) is not above it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter

FORMAT = "ideenmarkt-lottery-audit"
# Version 1 lists every applicant's answers (applicants); version 2 only the types (pool_counts.types:
# answers, count and pseudonyms of each answer vector), from which the applicant list is expanded.
FORMAT_VERSIONS = (1, 2)
PROMISE_VERSIONS = ("2.1", "2.2", "2.3", "2.4")  # as app.lottery.algorithm.PROMISE_VERSIONS
DICE_RULE_PREFIX = "dice4:"
SERVER_RULE_PREFIX = "server:"
# Rules that combine the dice (or the server's value) with a public value named in the commitment.
DICE_PUBLIC_PREFIX = "dice4+public:"
SERVER_PUBLIC_PREFIX = "server+public:"
TOLERANCE = 1e-6
RELEASE_REASONS = ("declined", "expired", "withdrawn")


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256(value) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


class Report:
    def __init__(self):
        self.checks = []

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append((name, bool(ok), detail))

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def quotas_of(audit):
    quotas = {}
    for q in audit["quotas"]:
        quotas.setdefault(q["feature"], {})[q["value"]] = (q["min"], q["max"])
    return quotas


def breaks_quotas(panel, answers, quotas, seats) -> bool:
    if len(panel) != seats or len(set(panel)) != len(panel) or any(p not in answers for p in panel):
        return True
    for feature, options in quotas.items():
        counts = Counter(answers[p].get(feature) for p in panel)
        if any(not low <= counts[value] <= high for value, (low, high) in options.items()):
            return True
    return False


def format_problems(audit) -> list:
    fields = {"format": str, "format_version": int, "algorithm": dict, "seats": int, "table_size": int,
              "number_source": str, "quotas": list, "applicants_sha256": str,
              "probabilities": dict, "rounding": dict, "table": list, "table_sha256": str, "commitment": str}
    fields.update({"applicants": list} if audit.get("format_version") == 1 else {"pool_counts": dict})
    if any(name in audit for name in ("number", "selected", "waiting_list")):
        fields.update({"number": int, "selected": list, "waiting_list": list})
    problems = [f"field {name!r} missing or not {kind.__name__}" for name, kind in fields.items()
                if not isinstance(audit.get(name), kind) or isinstance(audit.get(name), bool)]
    if not problems and (audit["format"] != FORMAT or audit["format_version"] not in FORMAT_VERSIONS):
        problems.append("unknown format")
    if not problems and not all(isinstance(audit.get(name, ""), str) for name in (
            "number_rule", "dice", "public_value_source", "public_value", "server_value", "seed",
            "server_value_sha256")):
        problems.append("number rule, dice, public value or seed malformed")
    if not problems and not isinstance(audit.get("certificate_sha256"), (str, type(None))):
        problems.append("certificate_sha256 malformed")
    households = audit.get("households", [])
    if not problems and not (isinstance(households, list) and all(
            isinstance(group, list) and all(isinstance(p, str) for p in group) for group in households)):
        problems.append("households malformed")
    return problems


def listed_applicants(audit) -> list:
    """Version 1: the applicants as listed; version 2: each pseudonym of a type with its answers."""
    if audit["format_version"] == 1:
        return audit["applicants"]
    return [{"pseudonym": p, "answers": kind["answers"]} for kind in audit["pool_counts"]["types"]
            for p in kind["pseudonyms"]]


def type_groups(applicants, features, households=()):
    """People of equal answers (and, with the household rule, households of equal answers) are alike."""
    key = {a["pseudonym"]: tuple(a["answers"].get(f) for f in features) for a in applicants}
    signature = {}
    for group in households:
        kinds = tuple(sorted(key[p] for p in group if p in key))
        for p in group:
            signature[p] = kinds
    groups = {}
    for a in applicants:
        groups.setdefault((key[a["pseudonym"]], signature.get(a["pseudonym"], ())), []).append(a["pseudonym"])
    return [sorted(members) for _, members in sorted(groups.items())]


def two_of_a_household(row, households) -> bool:
    chosen = set(row)
    return any(len(chosen & set(group)) > 1 for group in households)


def check_table(report, audit, answers, groups, table, version) -> None:
    recorded = audit["probabilities"]
    problems = []
    if set(recorded) != set(answers):
        problems.append("not one probability per applicant")
    else:
        if any(max(recorded[p] for p in g) - min(recorded[p] for p in g) > TOLERANCE for g in groups):
            problems.append("people with the same answers have different probabilities")
        if any(not -TOLERANCE <= v <= 1 + TOLERANCE for v in recorded.values()):
            problems.append("a probability outside 0..1")
        if abs(sum(recorded.values()) - audit["seats"]) > TOLERANCE * max(1, len(answers)):
            problems.append("the probabilities do not add up to the seats")
    report.add("recorded_probabilities", not problems, "; ".join(problems) or "consistent")
    if problems:
        return
    size = len(table) or 1
    appearances = Counter(p for row in table for p in row)
    unequal = [g[0] for g in groups if max(appearances[p] for p in g) - min(appearances[p] for p in g) > 1]
    report.add("equal_treatment", not unequal, f"unequal types: {unequal[:5]}" if unequal else "within one row")
    if version in PROMISE_VERSIONS:
        slack = audit["rounding"].get("slack", 0)
        if isinstance(slack, bool) or not isinstance(slack, int) or not 0 <= slack <= 2:
            report.add("rounding", False, f"slack {slack!r} is not 0, 1 or 2")
            return
        limit = 1 + slack + size * TOLERANCE
        outside = [f"{p} in {appearances[p]} rows, expected {size * q:.2f}" for p, q in recorded.items()
                   if abs(appearances[p] - size * q) >= limit]
        report.add("rounding", not outside, "; ".join(outside[:5]) or f"every share within {1 + slack}/{size}")
        return
    type_of = {p: t for t, g in enumerate(groups) for p in g}
    vectors = [tuple(sum(1 for p in row if type_of.get(p) == t) for t in range(len(groups))) for row in table]
    in_order = all(a <= b for a, b in zip(vectors, vectors[1:]))
    runs = [v for i, v in enumerate(vectors) if i == 0 or v != vectors[i - 1]]
    offenders = []
    for t, members in enumerate(groups):
        variation = sum(abs(a[t] - b[t]) for a, b in zip(runs, runs[1:]))
        bound = (1.0 + variation / (2 * len(members))) / size + 1e-9
        offenders += [p for p in members if abs(appearances[p] / size - recorded[p]) > bound + TOLERANCE]
    report.add("rounding", in_order and not offenders,
               ("rows not in canonical order; " if not in_order else "") + (f"outside: {offenders[:5]}"
                                                                             if offenders else "within the bound"))


CERTIFICATE_MIN_FIX_WEIGHT = 1e-6


def panel_rows(groups, answers, features, quotas, households):
    """The rows of the panel polytope over types: per quota (canonical order) and per household
    signature (at most as many seats as such households): (min, max, type indices)."""
    key = [tuple(answers[g[0]].get(f) for f in features) for g in groups]
    rows = [(quotas[f][v][0], quotas[f][v][1], [t for t in range(len(groups)) if key[t][i] == v])
            for i, f in enumerate(features) for v in sorted(quotas[f])]
    signature_of_type, count = {}, Counter()
    for group in households:
        kinds = tuple(sorted(tuple(answers[p].get(f) for f in features) for p in group))
        count[kinds] += 1
        for p in group:
            signature_of_type[p] = kinds
    for kinds in sorted(count):
        rows.append((0, count[kinds], [t for t, g in enumerate(groups) if signature_of_type.get(g[0]) == kinds]))
    return rows


def check_certificate(report, audit, answers, groups, features, quotas, table):
    """The LP dual certificates of the leximin stages (leximin_certificate), with arithmetic only.

    (a) The primal: the published distribution has feasible panels, weights adding up to 1 and the
    recorded probabilities as marginals; at each stage every open type is at least at the stage value
    and the types it fixes are at most at it. (b) The dual: for a stage of kind "relaxed" the pricing
    duals give, by weak LP duality, D >= sum_t w_t/n_t x_t over the relaxed panel polytope (so over
    every panel), and the bound (D - sum over fixed types of w_t f_t) / sum over open types of w_t must
    not exceed the stage value (f_t: the published probability of a type fixed earlier). For a stage of kind "integer" the largest weighted value of a panel
    (max_panel_value) is checked on the published panels only: that no other panel exceeds it needs an
    integer program (flask lottery verify solves it), so such stages are reported as not fully checked."""
    certificate = audit.get("leximin_certificate")
    if certificate is None:
        limited = audit.get("time_limited")
        if isinstance(limited, dict):
            reason = (f"the time limit of {limited.get('seconds')} s ended the computation at the commitment: the "
                      "probabilities are the best found, not proven leximin-optimal, and there is no proof to check")
        elif "certificate_sha256" in audit:
            reason = ("computing it failed at the commitment (the commitment records that none was published); "
                      "optimality is checked only by recomputing the probabilities")
        else:
            reason = "none published (committed before issue 22's certificates)"
        report.add("certificate", True, f"no LP dual certificate: {reason}")
        return
    tolerance = 1e-6
    try:
        sizes = [len(g) for g in groups]
        count = len(groups)
        if [(t["first"], t["size"]) for t in certificate["types"]] != [(g[0], len(g)) for g in groups]:
            report.add("certificate", False, "the certificate's types are not the pool's types")
            return
        rows = panel_rows(groups, answers, features, quotas, audit.get("households") or [])
        marginal, total, published = [0.0] * count, 0.0, set()

        def whole(value, below=None):  # a whole number >= 0 (and < below)
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0 and (
                below is None or value < below)

        for item in certificate["distribution"]:
            counts = [0] * count
            for t, c in item["counts"]:
                if not whole(t, count) or not whole(c):
                    report.add("certificate", False, "a panel of the distribution is not whole seat counts per type")
                    return
                counts[t] = c
            weight = float(item["weight"])
            feasible = (sum(counts) == audit["seats"] and all(0 <= c <= s for c, s in zip(counts, sizes))
                        and all(low <= sum(counts[t] for t in members) <= high for low, high, members in rows))
            if weight < 0 or not feasible:
                report.add("certificate", False, "a panel of the distribution breaks the quotas")
                return
            total += weight
            for t in range(count):
                marginal[t] += weight * counts[t] / sizes[t]
            published.add(tuple(counts))
        recorded = audit["probabilities"]
        if abs(total - 1) > tolerance or any(abs(recorded[p] - marginal[t]) > tolerance
                                             for t, g in enumerate(groups) for p in g):
            report.add("certificate", False, "the distribution does not give the recorded probabilities")
            return
        type_of = {p: t for t, g in enumerate(groups) for p in g}
        for row in table:
            counts = [0] * count
            for p in row:
                counts[type_of[p]] += 1
            published.add(tuple(counts))
        open_types, fixed_at, not_proven = set(range(count)), {}, 0
        for number, stage in enumerate(certificate["stages"], start=1):
            value = float(stage["value"])
            weights = [0.0] * count
            for t, w in stage["weights"]:
                if not whole(t, count):
                    raise ValueError("a weight of no type")
                weights[t] = float(w)
            fixes = list(stage["fixes"])
            problem = None
            if min(weights) < 0 or not fixes or not set(fixes) <= open_types or len(set(fixes)) != len(fixes) \
                    or any(weights[t] < CERTIFICATE_MIN_FIX_WEIGHT for t in fixes):
                problem = "weights negative, or the fixed types wrong"
            elif min(marginal[t] for t in open_types) < value - tolerance \
                    or any(marginal[t] > value + tolerance for t in fixes):
                problem = f"the distribution does not attain the stage value {value:.9f}"
            open_weight = sum(weights[t] for t in open_types)
            if problem is None and open_weight < 1 - tolerance:
                problem = "the weights of the open types do not add up to 1"
            if problem is None:
                if stage["kind"] == "integer":
                    not_proven += 1
                    dual = float(stage["max_panel_value"])
                else:
                    pricing = stage["pricing"]
                    alpha = float(pricing["seats"])
                    duals = [(float(a), float(b)) for a, b in pricing["quotas"]] + \
                            [(0.0, float(b)) for b in pricing["households"]]
                    if len(duals) != len(rows) or any(a < 0 or b < 0 for a, b in duals):
                        problem = "pricing duals malformed"
                    else:
                        dual = alpha * audit["seats"]
                        reduced = [weights[t] / sizes[t] - alpha for t in range(count)]
                        for (low, high, members), (lower, upper) in zip(rows, duals):
                            dual += upper * high - lower * low
                            for t in members:
                                reduced[t] -= upper - lower
                        dual += sum(max(0.0, r) * s for r, s in zip(reduced, sizes))
            if problem is None:
                weighted = [(t, weights[t] / sizes[t]) for t in range(count) if weights[t]]
                if any(sum(w * counts[t] for t, w in weighted) > dual + tolerance for counts in published):
                    problem = "a published panel exceeds the dual bound"
                elif (dual - sum(weights[t] * f for t, f in fixed_at.items())) / open_weight > value + tolerance:
                    problem = f"the dual bound exceeds the stage value {value:.9f}"
            if problem:
                report.add("certificate", False, f"stage {number}: {problem}")
                return
            for t in fixes:
                fixed_at[t] = marginal[t]
                open_types.discard(t)
        if open_types:
            report.add("certificate", False, f"{len(open_types)} type(s) fixed by no stage")
            return
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        report.add("certificate", False, f"certificate malformed ({type(exc).__name__})")
        return
    stages = len(certificate["stages"])
    report.add("certificate", True, f"{stages} leximin stage(s): each value attained and matched by its dual bound"
               + (f"; NOT CHECKED for {not_proven} integer stage(s): that no panel beyond the published ones "
                  "exceeds max_panel_value (needs an integer program: flask lottery verify)" if not_proven else ""))


def row_from_dice(reading, size):
    text = str(reading).strip()
    if not 1 <= len(text) <= 4 or not text.isascii() or not text.isdigit() or 10000 % size:
        return None
    return ((int(text) or 10000) - 1) % size + 1


def combined_row(audit, size):
    """The row under a combined rule: SHA-256 of the canonical JSON of the commitment, the public
    value and the dice (or the server's 64 hex digits), as a big-endian number mod M, plus one."""
    value = audit.get("public_value")
    if not audit.get("public_value_source") or not isinstance(value, str) or not value \
            or value != " ".join(value.split()):
        return None
    parts = {"commitment": audit["commitment"], "public_value": value}
    if audit["number_rule"].startswith(DICE_PUBLIC_PREFIX):
        dice = audit.get("dice")
        if not isinstance(dice, str) or len(dice) != 4 or not dice.isascii() or not dice.isdigit():
            return None
        parts["dice"] = dice
    else:
        server = audit.get("server_value")
        if not isinstance(server, str) or len(server) != 64 \
                or hashlib.sha256(server.encode("utf-8")).hexdigest() != audit.get("server_value_sha256"):
            return None
        parts["server"] = server
    seed = sha256(parts)
    if audit.get("seed") != seed:
        return None
    return int(seed, 16) % size + 1


def waiting_order(pseudonyms, commitment, number):
    return sorted(pseudonyms, key=lambda p: (
        hashlib.sha256(f"{commitment}:{number}:{p}".encode("utf-8")).hexdigest(), p))


def can_complete(counts, pool, answers, quotas, free, households=()) -> bool:
    """Whether ``free`` more people of ``pool`` can join and meet every quota, at most one of each of
    ``households`` (a small search: over the answers of people on their own, then over the households)."""
    features = sorted(quotas)
    in_household = {p: i for i, group in enumerate(households) for p in group}
    alone = [p for p in pool if p not in in_household]
    sizes = Counter(tuple(answers[p].get(f) for f in features) for p in alone)
    units = [(k, sizes[k]) for k in sorted(sizes)]
    shared = {}
    for p in pool:
        if p in in_household:
            shared.setdefault(in_household[p], set()).add(tuple(answers[p].get(f) for f in features))
    units += [(sorted(kinds), None) for _, kinds in sorted(shared.items())]  # one of them, or none

    def ok(state, final):
        for f_index, feature in enumerate(features):
            for value, (low, high) in quotas[feature].items():
                count = counts[(feature, value)] + sum(n for k, n in state if k[f_index] == value)
                if count > high or (final and count < low):
                    return False
        return True

    def search(index, state, left):
        if not ok(state, False):  # a maximum is exceeded already
            return False
        if left == 0:
            return ok(state, True)
        if index == len(units):
            return False
        kinds, size = units[index]
        if size is not None:
            choices = [[(kinds, take)] for take in range(min(left, size), 0, -1)]
        else:
            choices = [[(kind, 1)] for kind in kinds]
        for choice in choices + [[]]:
            if search(index + 1, state + choice, left - sum(n for _, n in choice)):
                return True
        return False

    return search(0, [], free)


def first_fitting(seated, waiting, answers, quotas, seats, households=()):
    free = seats - len(seated)
    if free < 1:
        return None
    base = Counter((f, answers[p].get(f)) for p in seated for f in quotas)
    taken = [set(group) for group in households if set(group) & set(seated)]
    candidates = [p for p in dict.fromkeys(waiting) if p not in seated and not any(p in group for group in taken)]
    for index, candidate in enumerate(candidates):
        counts = base.copy()
        for feature in quotas:
            counts[(feature, answers[candidate].get(feature))] += 1
        if any(counts[(f, v)] > high for f in quotas for v, (_, high) in quotas[f].items()):
            continue
        if free == 1:
            if all(counts[(f, v)] >= low for f in quotas for v, (low, _) in quotas[f].items()):
                return candidate
        else:
            own = next((set(group) for group in households if candidate in group), {candidate})
            rest = [p for p in candidates[:index] + candidates[index + 1:] if p not in own]
            if can_complete(counts, rest, answers, quotas, free - 1, households):
                return candidate
    return None


def evidence_problem(step, replacement, people, skipped):
    evidence = replacement.get("evidence")
    if not isinstance(evidence, dict):
        return f"step {step}: no evidence of the declines and skips"
    for p in people:
        item = evidence.get(p)
        if not isinstance(item, dict) or not isinstance(item.get("at"), str) or not item["at"]:
            return f"step {step}: no evidence for {p}"
        if item.get("reason") not in (("withdrawn",) if skipped else RELEASE_REASONS):
            return f"step {step}: {p} recorded as {item.get('reason')!r}"
        if isinstance(replacement.get("at"), str) and item["at"] > replacement["at"]:
            return f"step {step}: {p} is dated after the replacement"
    return None


def check_replacements(report, audit, selected, waiting, answers, quotas) -> None:
    replacements = audit.get("replacements") or []
    seated, remaining = set(selected), list(waiting)
    try:
        for step, r in enumerate(replacements, start=1):
            declined, skipped = set(r["declined"]), set(r.get("skipped") or ())
            if not declined <= seated or skipped & seated:
                report.add("replacements", False, f"step {step}: declined not seated or skipped seated")
                return
            if "number_rule" in audit:
                problem = (evidence_problem(step, r, sorted(declined), False)
                           or evidence_problem(step, r, sorted(skipped), True))
                if problem:
                    report.add("replacements", False, problem)
                    return
            seated -= declined
            remaining = [p for p in remaining if p not in declined and p not in skipped]
            expected = first_fitting(seated, remaining, answers, quotas, audit["seats"],
                                     audit.get("households") or [])
            if expected is None or r["admitted"] != expected:
                report.add("replacements", False, f"step {step}: admitted {r['admitted']}, expected {expected}")
                return
            seated.add(expected)
            remaining.remove(expected)
    except (KeyError, TypeError, AttributeError) as exc:
        report.add("replacements", False, f"cannot replay: {exc}")
        return
    report.add("replacements", True, f"{len(replacements)} replayed")


def verify(audit, expected_commitment=None) -> Report:
    report = Report()
    problems = format_problems(audit)
    if problems:
        report.add("format", False, "; ".join(problems))
        return report
    report.add("format", True, FORMAT)
    try:
        quotas = quotas_of(audit)
        features = sorted(quotas)
        applicants = [{"pseudonym": a["pseudonym"], "answers": {f: a["answers"][f] for f in features
                                                                if f in a["answers"]}}
                      for a in listed_applicants(audit)]
        table = [list(row) for row in audit["table"]]
    except (KeyError, TypeError, AttributeError):
        report.add("format", False, "applicants, quotas or table malformed")
        return report
    answers = {a["pseudonym"]: a["answers"] for a in applicants}
    unique = len(answers) == len(applicants)
    answered = all(a["answers"].get(f) in quotas[f] for a in applicants for f in features)
    in_households = [p for group in audit.get("households") or [] for p in set(group)]
    answered = answered and len(in_households) == len(set(in_households))  # nobody in two households
    report.add("applicants", unique and answered, "unique, every answer an option" if unique and answered
               else "a pseudonym twice, an answer that is not an option or someone in two households")
    applicants_hash = sha256(sorted(applicants, key=lambda a: a["pseudonym"]))
    report.add("applicants_sha256", applicants_hash == audit["applicants_sha256"], applicants_hash)
    table_hash = sha256([sorted(row) for row in table])
    report.add("table_sha256", table_hash == audit["table_sha256"], table_hash)
    certificate = audit.get("leximin_certificate")
    try:
        certificate_hash = None if certificate is None else sha256(certificate)
    except ValueError:  # NaN or infinity in the file: no canonical JSON, so not the committed one
        certificate_hash = "unhashable (a number that is not finite)"
    bound = "certificate_sha256" in audit  # the commitment covers the certificate (or its absence)
    if not bound:
        report.add("certificate_sha256", True, "not bound: this record was committed before the commitment covered "
                   "the LP dual certificate (no certificate_sha256)" + (
                       "; the certificate is checked, but it could have been replaced after the commitment"
                       if certificate is not None else ""))
    elif certificate_hash != audit["certificate_sha256"]:
        report.add("certificate_sha256", False, "the LP dual certificate is not the one fixed by the commitment: "
                   f"recomputed {certificate_hash or 'none (no certificate)'}, "
                   f"recorded {audit['certificate_sha256'] or 'none (no certificate)'}")
    else:
        report.add("certificate_sha256", True, f"{certificate_hash}: the commitment covers the certificate"
                   if certificate_hash else "no certificate published, as the commitment records")
    algorithm = audit["algorithm"]
    payload = {"algorithm": str(algorithm.get("name")), "algorithm_version": str(algorithm.get("version")),
               "applicants_sha256": applicants_hash, "number_source": audit["number_source"],
               "quotas": [{"feature": f, "value": v, "min": quotas[f][v][0], "max": quotas[f][v][1]}
                          for f in features for v in sorted(quotas[f])],
               "seats": audit["seats"], "table_size": audit["table_size"], "table_sha256": table_hash}
    if audit.get("number_rule") is not None:
        payload["number_rule"] = audit["number_rule"]
    for name in ("public_value_source", "server_value_sha256"):
        if audit.get(name) is not None:
            payload[name] = audit[name]
    households = audit.get("households")
    if households is not None:
        payload["households_sha256"] = sha256(sorted(sorted(group) for group in households))
    if isinstance(audit.get("time_limited"), dict):  # the time limit ended the computation
        payload["time_limited"] = audit["time_limited"].get("seconds")
    if bound:
        payload["certificate_sha256"] = certificate_hash
    recomputed = sha256(payload)
    report.add("commitment", recomputed == audit["commitment"], recomputed)
    if expected_commitment is not None:
        expected = expected_commitment.strip().lower()
        report.add("published_commitment", expected == recomputed == audit["commitment"], expected)
    bad = [i for i, row in enumerate(table, start=1) if breaks_quotas(row, answers, quotas, audit["seats"])
           or two_of_a_household(row, households or [])]
    if "pool_counts" in audit:
        cells = Counter((f, v) for a in applicants for f, v in a["answers"].items())
        members = {}
        for a in applicants:
            members.setdefault(canonical(a["answers"]), []).append(a["pseudonym"])
        with_pseudonyms = audit["format_version"] >= 2
        expected = {"types": [{"answers": json.loads(key), "count": len(people),
                               **({"pseudonyms": sorted(people)} if with_pseudonyms else {})}
                              for key, people in sorted(members.items())],
                    "cells": [{"feature": f, "value": v, "min": quotas[f][v][0], "max": quotas[f][v][1],
                               "pool": cells[(f, v)]} for f in features for v in sorted(quotas[f])]}
        report.add("pool_counts", audit["pool_counts"] == expected, "per type and per quota option")
    report.add("table_panels", len(table) == audit["table_size"] and not bad, f"bad rows: {bad[:10]}")
    if unique and answered:
        groups = type_groups(applicants, features, households or [])
        check_table(report, audit, answers, groups, table, str(algorithm.get("version")))
        if not bad and set(audit["probabilities"]) == set(answers):
            check_certificate(report, audit, answers, groups, features, quotas, table)
    if "number" not in audit:
        report.add("draw", True, "not drawn yet")
        return report
    number = audit["number"]
    ok = 1 <= number <= len(table)
    rule = audit.get("number_rule") or ""
    if rule.startswith(DICE_RULE_PREFIX):
        ok = ok and row_from_dice(audit.get("dice", ""), len(table) or 1) == number
    elif rule.startswith((DICE_PUBLIC_PREFIX, SERVER_PUBLIC_PREFIX)):
        ok = ok and combined_row(audit, len(table) or 1) == number
    report.add("number", ok, f"{number}" + (" (server-drawn: not publicly verifiable)"
                                            if rule.startswith(SERVER_RULE_PREFIX) else ""))
    if not 1 <= number <= len(table):
        return report
    selected = sorted(table[number - 1])
    report.add("selection", sorted(audit["selected"]) == selected, f"row {number}")
    chosen = set(selected)
    waiting = waiting_order([p for p in sorted(answers) if p not in chosen], audit["commitment"], number)
    report.add("waiting_list", waiting == list(audit["waiting_list"]), "SHA-256 order")
    check_replacements(report, audit, selected, waiting, answers, quotas)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check an Ideenmarkt lottery audit file (standard library only).")
    parser.add_argument("audit")
    parser.add_argument("--commitment", metavar="HEX", help="the commitment published before the draw")
    args = parser.parse_args(argv)
    try:
        with open(args.audit, "rb") as handle:
            audit = json.loads(handle.read().decode("utf-8"))
        if not isinstance(audit, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.audit}: {exc}", file=sys.stderr)
        return 2
    report = verify(audit, args.commitment)
    for name, ok, detail in report.checks:
        print(f"{'OK  ' if ok else 'FAIL'} {name}: {detail}")
    if isinstance(audit.get("time_limited"), dict):
        print("NOT PROVEN leximin optimality of the probabilities: the time limit ended the computation at the "
              "commitment, so they are the best found, and there is no certificate to check")
    elif audit.get("leximin_certificate") is None:
        print("NOT CHECKED leximin optimality of the probabilities (no certificate published; needs an LP "
              "solver: flask lottery verify --recompute)")
    elif "certificate_sha256" not in audit:
        print("NOT BOUND the LP dual certificate: this record was committed before the commitment covered it")
    if not report.passed:
        print("Verification failed: " + ", ".join(name for name, ok, _ in report.checks if not ok))
        return 1
    print("All checks passed" + (" (record before the draw)." if "number" not in audit else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
