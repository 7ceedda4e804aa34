"""Stage 1, the invitation draw: allocation, selection, commitment, audit and its verification.

Pure functions over the *pseudonymised register*: a list of ``{"pseudonym", "household",
"stratum"}`` (random pseudonyms of person and household, and the stratum label such as
``Mettingen · 30–44``), nothing personal. No database here, so ``flask lottery verify`` checks an
audit file alone.

1. **Allocation** (:func:`allocate`): the letters per stratum, proportional to the stratum's
   size times its oversampling factor (1 = proportional), by largest remainder; a stratum never
   gets more letters than it has residents, what it cannot take goes to the others.
2. **Commitment** (:func:`commitment`), published before the public value is known: SHA-256 of
   the canonical JSON of ``{"format", "version", "plan_sha256", "register_sha256",
   "number_source"}``, where ``register_sha256`` is the hash of the canonical register (sorted by
   pseudonym) and ``plan_sha256`` of the plan (letters, strata, factors, household rule).
3. **Seed** = SHA-256 of ``commitment + ":" + public value`` (a number drawn in public, or the
   server's random hex). **Selection** (:func:`select`): everyone ordered by SHA-256 of
   ``seed + ":" + pseudonym``; walking that order, a person is invited while their stratum has
   letters left and (with ``one_per_household``) nobody of their household is invited yet.
   Anyone can recompute it with a few lines in any language.
4. :func:`verify_audit` re-checks an audit file: hashes, commitment, allocation, seed, selection.

Canonical JSON is :func:`app.lottery.audit.canonical_json` (sorted keys, no spaces, UTF-8, no floats
in hashed data: response rates and factors are given in per mille).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from app.lottery.audit import Check, canonical_json, sha256_hex

AUDIT_FORMAT = "ideenmarkt-invitation-audit"
AUDIT_VERSION = 1
ALGORITHM_VERSION = "1"


def canonical_register(entries: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    return sorted(({"pseudonym": e["pseudonym"], "household": e["household"], "stratum": e["stratum"]}
                   for e in entries), key=lambda e: e["pseudonym"])


def register_sha256(register: list[dict[str, str]]) -> str:
    return sha256_hex(canonical_json(register))


def plan_sha256(plan: Mapping[str, Any]) -> str:
    return sha256_hex(canonical_json(dict(plan)))


def commitment(plan_hash: str, register_hash: str, number_source: str) -> str:
    return sha256_hex(canonical_json({"format": AUDIT_FORMAT, "version": AUDIT_VERSION, "plan_sha256": plan_hash,
                                      "register_sha256": register_hash, "number_source": number_source}))


def seed_of(commitment_hex: str, public_value: str) -> str:
    return sha256_hex(f"{commitment_hex}:{public_value}".encode("utf-8"))


def factor_of(plan: Mapping[str, Any], stratum: str) -> int:
    """The stratum's oversampling factor in per mille (1000 = proportional)."""
    return int(plan.get("factors_permille", {}).get(stratum, 1000))


def allocate(sizes: Mapping[str, int], letters: int, plan: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Letters per stratum: proportional to size × factor (largest remainder), capped at the size.

    A stratum whose share exceeds its size gets all its residents, and the rest is shared again
    among the others. Integer arithmetic throughout (exact, the same everywhere); equal remainders
    go to the stratum whose label sorts first.
    """
    plan = plan or {}
    letters = max(0, min(int(letters), sum(sizes.values())))
    capped: dict[str, int] = {}
    while True:
        free = letters - sum(capped.values())
        weights = {s: n * factor_of(plan, s) for s, n in sizes.items() if s not in capped and n > 0}
        weights = {s: w for s, w in weights.items() if w > 0}
        shares = _largest_remainder(free, weights)
        over = [s for s, n in shares.items() if n > sizes[s]]
        if not over:
            break
        for s in over:
            capped[s] = sizes[s]
    return {s: capped.get(s, shares.get(s, 0)) for s in sizes}


def _largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return {s: 0 for s in weights}
    shares = {s: (total * w) // whole for s, w in weights.items()}
    rest = total - sum(shares.values())
    for s in sorted(weights, key=lambda s: (-((total * weights[s]) % whole), s))[:rest]:
        shares[s] += 1
    return shares


def order_key(seed: str, pseudonym: str) -> bytes:
    return hashlib.sha256(f"{seed}:{pseudonym}".encode("utf-8")).digest()


def select(register: list[dict[str, str]], allocation: Mapping[str, int], seed: str,
           one_per_household: bool = True) -> list[str]:
    """The invited pseudonyms, sorted (see the module docstring for the rule)."""
    left = dict(allocation)
    used_households: set[str] = set()
    invited = []
    for entry in sorted(register, key=lambda e: order_key(seed, e["pseudonym"])):
        stratum = entry["stratum"]
        if left.get(stratum, 0) <= 0:
            continue
        if one_per_household and entry["household"] in used_households:
            continue
        invited.append(entry["pseudonym"])
        left[stratum] -= 1
        used_households.add(entry["household"])
    return sorted(invited)


def stratum_sizes(register: Iterable[Mapping[str, str]]) -> dict[str, int]:
    return dict(Counter(e["stratum"] for e in register))


@dataclass
class Prepared:
    """What is committed: the canonical register, the plan and their hashes."""

    register: list[dict[str, str]]
    plan: dict[str, Any]
    register_sha256: str
    plan_sha256: str
    commitment: str
    number_source: str
    allocation: dict[str, int]


def prepare(entries: Iterable[Mapping[str, str]], plan: Mapping[str, Any], number_source: str) -> Prepared:
    register = canonical_register(entries)
    plan = dict(plan)
    r_hash, p_hash = register_sha256(register), plan_sha256(plan)
    return Prepared(register, plan, r_hash, p_hash, commitment(p_hash, r_hash, number_source), number_source,
                    allocate(stratum_sizes(register), int(plan["letters"]), plan))


def record_before(prepared: Prepared, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The audit record published with the commitment (no public value, no selection yet)."""
    return {"format": AUDIT_FORMAT, "version": AUDIT_VERSION, "kind": "invitation_draw",
            "algorithm_version": ALGORITHM_VERSION, **dict(meta), "plan": prepared.plan,
            "plan_sha256": prepared.plan_sha256, "register": prepared.register,
            "register_sha256": prepared.register_sha256, "number_source": prepared.number_source,
            "commitment": prepared.commitment, "allocation": prepared.allocation}


def record_after(record: Mapping[str, Any], public_value: str) -> dict[str, Any]:
    """The record with the public value, the seed and the invited pseudonyms."""
    seed = seed_of(record["commitment"], public_value)
    invited = select(record["register"], record["allocation"], seed,
                     bool(record["plan"].get("one_per_household", True)))
    return {**record, "public_value": public_value, "seed": seed, "invited": invited}


REQUIRED = {"format": str, "version": int, "plan": dict, "plan_sha256": str, "register": list,
            "register_sha256": str, "number_source": str, "commitment": str, "allocation": dict}


def is_invitation_audit(audit: Mapping[str, Any]) -> bool:
    return audit.get("format") == AUDIT_FORMAT


def verify_audit(audit: Mapping[str, Any], expected_commitment: str | None = None) -> list[Check]:
    """Re-check an invitation draw (or its record before the draw) from the audit file alone."""
    checks: list[Check] = []
    missing = [k for k, t in REQUIRED.items() if not isinstance(audit.get(k), t)]
    drawn_fields = [k for k in ("public_value", "seed", "invited") if k in audit]
    if missing or drawn_fields not in ([], ["public_value", "seed", "invited"]) or audit["format"] != AUDIT_FORMAT:
        detail = ("missing or wrong type: " + ", ".join(missing)) if missing else "public_value, seed, invited: all or none"
        return [Check("format", False, detail)]
    checks.append(Check("format", True, f"{AUDIT_FORMAT} version {audit['version']}"))
    register = audit["register"]
    try:
        canonical = canonical_register(register)
        pseudonyms = [e["pseudonym"] for e in canonical]
    except (KeyError, TypeError):
        return [*checks, Check("register", False, "every entry needs pseudonym, household and stratum")]
    unique = len(set(pseudonyms)) == len(pseudonyms)
    checks.append(Check("register", unique and canonical == register,
                        f"{len(register)} residents, {len({e['household'] for e in canonical})} households"
                        if unique and canonical == register else "pseudonyms not unique or not sorted"))
    r_hash = register_sha256(canonical)
    checks.append(Check("register_sha256", r_hash == audit["register_sha256"], r_hash))
    p_hash = plan_sha256(audit["plan"])
    checks.append(Check("plan_sha256", p_hash == audit["plan_sha256"], p_hash))
    c = commitment(audit["plan_sha256"], audit["register_sha256"], audit["number_source"])
    ok = c == audit["commitment"] and (expected_commitment is None or expected_commitment == c)
    checks.append(Check("commitment", ok, c if ok else f"recomputed {c}, recorded {audit['commitment']}"
                        + (f", expected {expected_commitment}" if expected_commitment else "")))
    try:
        letters = int(audit["plan"]["letters"])
        allocation = allocate(stratum_sizes(canonical), letters, audit["plan"])
    except (KeyError, TypeError, ValueError):
        return [*checks, Check("allocation", False, "the plan has no number of letters")]
    checks.append(Check("allocation", allocation == audit["allocation"],
                        f"{sum(allocation.values())} letters in {len(allocation)} strata"
                        if allocation == audit["allocation"] else "the letters per stratum do not follow the plan"))
    if not drawn_fields:
        return checks
    seed = seed_of(audit["commitment"], str(audit["public_value"]))
    checks.append(Check("seed", seed == audit["seed"], seed))
    invited = select(canonical, allocation, seed, bool(audit["plan"].get("one_per_household", True)))
    checks.append(Check("invited", invited == audit["invited"],
                        f"{len(invited)} invited" if invited == audit["invited"]
                        else "the invited residents are not the ones the seed selects"))
    return checks
