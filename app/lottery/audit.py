"""Commitment, audit record and verification of a draw, without a database.

The life of a draw
==================

1. :func:`prepare_lottery` computes the leximin probabilities and the table of
   M panels, and the **commitment** that is published before the number is
   drawn: SHA-256 over the canonical JSON (:func:`canonical_json`) of ::

       {"algorithm": ALGORITHM_NAME, "algorithm_version": ALGORITHM_VERSION,
        "applicants_sha256": SHA-256 of the canonical applicant list,
        "number_source": how the number 1..M will be obtained (free text),
        "number_rule": how the dice or the server give the row (fixed texts),
        "public_value_source": the public value the row also depends on (only
                               when the rule combines one, :data:`COMBINED_RULES`),
        "server_value_sha256": SHA-256 of the server's value, drawn at the
                               commitment and revealed at the draw (only
                               :data:`SERVER_PUBLIC_RULE`),
        "quotas": [{"feature", "value", "min", "max"}, ...] sorted,
        "seats": k, "table_size": M,
        "table_sha256": SHA-256 of the canonical table}

   When the time limit (``LOTTERY_TIME_LIMIT``) ended the computation, also
   ``"time_limited"``: the limit in whole seconds (the record's ``time_limited``
   holds it with the minimum reached and the upper bound on the optimum).

   ``"certificate_sha256"``: :func:`certificate_sha256` of the LP dual
   certificates of the leximin stages (``leximin_certificate``), or null when
   none is published (the time limit ended the computation, or computing it
   failed): the commitment binds the proof of optimality too, so it cannot be
   swapped after the commitment. Records committed before it was bound have
   no such field (their commitment does not cover the certificate; verify says so).

   With the household rule (at most one seat per household) also
   ``"households_sha256"``: SHA-256 of the households of at least two
   applicants as sorted lists of pseudonyms, sorted (the audit file holds
   the list as ``"households"``; no household keys leave the server).

   The canonical applicant list is ``[{"pseudonym", "answers": {feature:
   value}}]`` sorted by pseudonym, answers restricted to the quota features;
   the canonical table is the list of rows, each a sorted list of pseudonyms.
   Canonical JSON: UTF-8, sorted keys, separators ``,`` and ``:``, no
   floats anywhere in hashed data.

2. The number is drawn (publicly, or by :func:`~app.lottery.algorithm.server_random_number`).

3. :func:`build_audit` writes the audit record (a JSON-serialisable dict,
   format :data:`AUDIT_FORMAT` version :data:`AUDIT_FORMAT_VERSION`) with
   everything needed to re-check the draw: the inputs, the table, the
   hashes, the commitment, the number, the selection, the waiting list,
   the probabilities and the rounding bound, and the replacements. The pool is
   published per type (``pool_counts.types``: each answer vector once, with
   its count and its pseudonyms), not as a list of every person's answers
   (format version 1's ``applicants``, still verified): :func:`record_applicants`
   expands it into the canonical applicant list that the commitment hashes.

4. :func:`verify_audit` re-checks it: see its docstring for the list.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from app.core.logs import log_event
from app.lottery.algorithm import (
    ALGORITHM_NAME,
    ALGORITHM_VERSION,
    DEFAULT_TABLE_SIZE,
    PROMISE_VERSIONS,
    Applicant,
    Distribution,
    DrawResult,
    PanelTable,
    Pool,
    Quotas,
    RoundingReport,
    build_pool,
    draw,
    find_replacement,
    household_violations,
    leximin_distribution,
    quota_violations,
    round_to_table,
    rounding_report,
    waiting_list_order,
)
from app.lottery.certificates import check_certificate, compute_certificate
from app.lottery.errors import LotteryError
from app.lottery.schema import schema_problems
from app.lottery.table import choose_table_size, table_promise

#: How the row is read from the dice (fixed in the commitment of version 2.1 draws drawn in public).
DICE_RULE = ("dice4: four ten-sided dice, read in the order thousands, hundreds, tens, units as a number "
             "0000-9999, 0000 meaning 10000; row = ((reading - 1) mod M) + 1")
#: The rule of server-drawn numbers: nobody outside the server can check them.
SERVER_RULE = "server: a uniform row 1..M from the operating system's CSPRNG; not publicly verifiable"
#: Table sizes the dice rule can serve uniformly (divisors of 10,000).
DICE_RANGE = 10_000
#: Dice combined with a public value named in the commitment (``public_value_source``) and unknown
#: when it is published (issue 22): neither the dice nor the public value alone decides the row.
DICE_PUBLIC_RULE = ("dice4+public: four ten-sided dice, read in the order thousands, hundreds, tens, units as "
                    "four digits 0000-9999, combined with the public value named in the commitment "
                    "(public_value_source), written as published with every run of white space as one space and "
                    "none at either end; seed = SHA-256 of the canonical JSON {\"commitment\": the commitment, "
                    "\"dice\": the four digits, \"public_value\": the public value}; row = (seed as a big-endian "
                    "number mod M) + 1")
#: The server's random value combined with a public value named in the commitment (commit and reveal):
#: the server's value is drawn at the commitment, which holds its hash, and revealed at the draw; the
#: public value is unknown then, so nobody, the server included, can choose the row.
SERVER_PUBLIC_RULE = ("server+public: 32 random bytes from the operating system's CSPRNG, drawn at the commitment "
                      "as 64 hex digits, whose SHA-256 (of the 64 ASCII digits) the commitment holds "
                      "(server_value_sha256) and which are revealed at the draw, combined with the public value "
                      "named in the commitment (public_value_source), written as published with every run of "
                      "white space as one space and none at either end; seed = SHA-256 of the canonical JSON "
                      "{\"commitment\": the commitment, \"public_value\": the public value, \"server\": the 64 "
                      "hex digits}; row = (seed as a big-endian number mod M) + 1")
#: Rules that derive the row from a seed (:func:`combined_seed`).
COMBINED_RULES = (DICE_PUBLIC_RULE, SERVER_PUBLIC_RULE)

AUDIT_FORMAT = "ideenmarkt-lottery-audit"
#: Version 2 publishes the pool per type (``pool_counts.types``: answers, count, pseudonyms) instead
#: of every applicant's answers (version 1's ``applicants``); both verify.
AUDIT_FORMAT_VERSION = 2
AUDIT_FORMAT_VERSIONS = (1, 2)

#: How far recomputed leximin probabilities may differ from the recorded ones
#: (different HiGHS builds reach the same optimum within LP tolerances).
PROBABILITY_TOLERANCE = 1e-6


def canonical_json(value: Any) -> bytes:
    """The one byte string that a JSON value hashes as (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_applicants(applicants: Iterable[Applicant], features: Iterable[str]) -> list[dict[str, Any]]:
    """Applicants as sorted ``{"pseudonym", "answers"}`` dicts, answers restricted to ``features``."""
    features = sorted(features)
    return sorted(({"pseudonym": a.pseudonym, "answers": {f: a.answers[f] for f in features if f in a.answers}}
                   for a in applicants), key=lambda item: item["pseudonym"])


def canonical_quotas(quotas: Quotas) -> list[dict[str, Any]]:
    """Quotas as a sorted list of ``{"feature", "value", "min", "max"}``."""
    return [{"feature": f, "value": v, "min": int(quotas[f][v][0]), "max": int(quotas[f][v][1])}
            for f in sorted(quotas) for v in sorted(quotas[f])]


def quotas_from_canonical(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, tuple[int, int]]]:
    """Inverse of :func:`canonical_quotas`."""
    quotas: dict[str, dict[str, tuple[int, int]]] = {}
    for row in rows:
        quotas.setdefault(row["feature"], {})[row["value"]] = (row["min"], row["max"])
    return quotas


def applicants_sha256(applicants: Iterable[Applicant], features: Iterable[str]) -> str:
    """SHA-256 of the canonical applicant list."""
    return sha256_hex(canonical_json(canonical_applicants(applicants, features)))


def table_sha256(rows: Sequence[Sequence[str]]) -> str:
    """SHA-256 of the canonical table (rows as sorted lists of pseudonyms, in table order)."""
    return sha256_hex(canonical_json([sorted(row) for row in rows]))


def households_sha256(households: Iterable[Iterable[str]]) -> str:
    """SHA-256 of the canonical households (each a sorted list of pseudonyms, sorted)."""
    return sha256_hex(canonical_json(sorted(sorted(group) for group in households)))


def certificate_sha256(certificate: Mapping[str, Any] | None) -> str | None:
    """SHA-256 of the canonical JSON of the LP dual certificates (``leximin_certificate``), as
    published: numbers as the JSON file holds them, read and written back by Python's ``json``
    (floats in their shortest form that reads back as the same double); None without a certificate."""
    if certificate is None:
        return None
    return sha256_hex(canonical_json(certificate))


#: ``certificate_hash`` of :func:`commitment_payload` for records committed before the certificate
#: was bound: the payload has no ``certificate_sha256``.
UNBOUND = "unbound"


def commitment_payload(applicants_hash: str, quotas: Quotas, seats: int, table_size: int, table_hash: str,
                       number_source: str, algorithm: str = ALGORITHM_NAME,
                       version: str = ALGORITHM_VERSION, number_rule: str | None = None,
                       public_value_source: str | None = None,
                       server_value_sha256: str | None = None,
                       households: Iterable[Iterable[str]] | None = None,
                       time_limited: int | None = None, certificate_hash: str | None = UNBOUND) -> dict[str, Any]:
    """What the commitment hashes (see the module docstring); ``number_rule``,
    ``public_value_source``, ``server_value_sha256`` and ``households`` only when given;
    ``certificate_hash`` (:func:`certificate_sha256`, None: no certificate) unless :data:`UNBOUND`."""
    payload = {
        "algorithm": algorithm,
        "algorithm_version": version,
        "applicants_sha256": applicants_hash,
        "number_source": number_source,
        "quotas": canonical_quotas(quotas),
        "seats": seats,
        "table_size": table_size,
        "table_sha256": table_hash,
    }
    if number_rule is not None:
        payload["number_rule"] = number_rule
    if public_value_source is not None:
        payload["public_value_source"] = public_value_source
    if server_value_sha256 is not None:
        payload["server_value_sha256"] = server_value_sha256
    if households is not None:
        payload["households_sha256"] = households_sha256(households)
    if time_limited is not None:
        payload["time_limited"] = int(time_limited)
    if certificate_hash != UNBOUND:
        payload["certificate_sha256"] = certificate_hash
    return payload


def commitment(applicants_hash: str, quotas: Quotas, seats: int, table_size: int, table_hash: str,
               number_source: str, algorithm: str = ALGORITHM_NAME, version: str = ALGORITHM_VERSION,
               number_rule: str | None = None, public_value_source: str | None = None,
               server_value_sha256: str | None = None, households: Iterable[Iterable[str]] | None = None,
               time_limited: int | None = None, certificate_hash: str | None = UNBOUND) -> str:
    """The commitment published before the draw: SHA-256 of :func:`commitment_payload`.

    :param applicants_hash: :func:`applicants_sha256` of the applicants.
    :param quotas: feature -> option -> (min, max).
    :param seats: k.
    :param table_size: M.
    :param table_hash: :func:`table_sha256` of the table.
    :param number_source: how the number will be obtained, e.g.
        ``"public: lotto balls in the council meeting of 2019-03-20"`` or
        ``"server: secrets.randbelow"``.
    :param number_rule: how the dice (or another source) map to the row, fixed
        before the draw (:data:`DICE_RULE`, :data:`SERVER_RULE`, :data:`COMBINED_RULES`).
    :param public_value_source: the public value the row also depends on (what it is, where
        and when it is published), for the :data:`COMBINED_RULES`.
    :param server_value_sha256: the hash of the server's value (:data:`SERVER_PUBLIC_RULE`).
    :param households: with the household rule, the households of at least two applicants (pseudonyms).
    :param certificate_hash: :func:`certificate_sha256` of the LP dual certificates (None: none
        published); :data:`UNBOUND` only to recompute records committed before it was bound.
    :return: 64 hex digits.
    """
    return sha256_hex(canonical_json(commitment_payload(applicants_hash, quotas, seats, table_size, table_hash,
                                                        number_source, algorithm, version, number_rule,
                                                        public_value_source, server_value_sha256, households,
                                                        time_limited, certificate_hash)))


def certificate_bound(audit: Mapping[str, Any]) -> bool:
    """Whether the record's commitment covers its certificate (it has ``certificate_sha256``, even null)."""
    return "certificate_sha256" in audit


def commitment_of_record(audit: Mapping[str, Any], applicants_hash: str, table_hash: str,
                         certificate_hash: str | None = UNBOUND) -> str:
    """The commitment of an audit record, recomputed from its fields and the given (recomputed) hashes.

    :param certificate_hash: the recomputed :func:`certificate_sha256`; by default that of the
        record's certificate, if the record binds one (:func:`certificate_bound`)."""
    if certificate_hash == UNBOUND and certificate_bound(audit):
        certificate_hash = certificate_sha256(audit.get("leximin_certificate"))
    algorithm = audit["algorithm"]
    return commitment(applicants_hash, quotas_from_canonical(audit["quotas"]), audit["seats"], audit["table_size"],
                      table_hash, audit["number_source"], str(algorithm.get("name")), str(algorithm.get("version")),
                      audit.get("number_rule"), audit.get("public_value_source"), audit.get("server_value_sha256"),
                      audit.get("households"), (audit.get("time_limited") or {}).get("seconds"),
                      certificate_hash if certificate_bound(audit) else UNBOUND)


@dataclass(frozen=True)
class PreparedLottery:
    """Everything fixed before the number is drawn.

    :param applicants: the applicants as given.
    :param distribution: the leximin distribution (holds the validated pool).
    :param table: the rounded table of M panels.
    :param report: table shares against leximin probabilities.
    :param number_source: how the number will be obtained.
    :param applicants_hash: SHA-256 of the canonical applicant list.
    :param table_hash: SHA-256 of the canonical table.
    :param commitment: the commitment to publish.
    """

    applicants: tuple[Applicant, ...]
    distribution: Distribution
    table: PanelTable
    report: RoundingReport
    number_source: str
    applicants_hash: str
    table_hash: str
    commitment: str
    number_rule: str | None = None
    slack: int = 0
    public_value_source: str | None = None
    #: :data:`SERVER_PUBLIC_RULE`: the server's value, kept secret until the draw (its hash is committed).
    server_value: str | None = None
    #: with the household rule: the households of at least two applicants; None without the rule
    households: tuple[tuple[str, ...], ...] | None = None
    #: the LP dual certificates of the leximin stages (:mod:`app.lottery.certificates`); None if the
    #: time limit ended the computation
    certificate: dict[str, Any] | None = None

    @property
    def pool(self) -> Pool:
        return self.distribution.pool

    @property
    def probabilities(self) -> dict[str, float]:
        return self.distribution.probabilities


def row_from_dice(reading: Any, table_size: int) -> int:
    """The row that a dice reading picks under :data:`DICE_RULE`.

    :param reading: the four digits, as read (``"0000"`` means 10,000); leading
        zeros may be left out (``"17"`` is ``"0017"``).
    :raises LotteryError: ``bad_number`` if not up to four digits or M does not divide 10,000.
    """
    text = dice_digits(reading)
    if DICE_RANGE % table_size:
        raise LotteryError("bad_number", _l("This table cannot be drawn with four dice."), {"table_size": table_size})
    value = int(text) or DICE_RANGE
    return (value - 1) % table_size + 1


def normal_public_value(value: Any) -> str:
    """A public value as the combined rules read it: NFC, every run of white space one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", str(value or "")).split())


def dice_digits(reading: Any) -> str:
    """The four digits of a dice reading (leading zeros may be left out: ``"17"`` is ``"0017"``).

    :raises LotteryError: ``bad_number`` if not up to four digits.
    """
    text = str(reading).strip()
    if not 1 <= len(text) <= 4 or not text.isascii() or not text.isdigit():
        raise LotteryError("bad_number", _l("Enter the four dice as four digits in the stated order, e.g. 0372 "
                                            "(0000 means 10,000)."), {"reading": text[:20]})
    return text.zfill(4)


def combined_seed(commitment_hex: str, public_value: str, dice: str | None = None,
                  server: str | None = None) -> str:
    """The seed of the :data:`COMBINED_RULES`: SHA-256 (hex) of the canonical JSON of the commitment,
    the public value and the dice digits (or the server's 64 hex digits)."""
    parts = {"commitment": commitment_hex, "public_value": public_value}
    if dice is not None:
        parts["dice"] = dice
    else:
        parts["server"] = server
    return sha256_hex(canonical_json(parts))


def row_from_seed(seed: str, table_size: int) -> int:
    """Row 1..M of a seed: the seed's 256 bits as a big-endian number, mod M, plus one
    (uneven by at most M / 2^256)."""
    return int(seed, 16) % table_size + 1


def combined_draw(record: Mapping[str, Any], public_value: Any, dice: Any = None,
                  server: str | None = None) -> tuple[int, dict[str, str]]:
    """The row of a draw under one of the :data:`COMBINED_RULES`, and the fields it adds to the record.

    :param record: the record before the draw (its commitment, rule and table size).
    :param public_value: the public value named in the commitment, as published.
    :param dice: the dice reading (:data:`DICE_PUBLIC_RULE`).
    :param server: the server's 64 hex digits drawn at the commitment (:data:`SERVER_PUBLIC_RULE`).
    :raises LotteryError: ``bad_number`` if the public value is missing or the dice are malformed,
        ``wrong_state`` if the server's value is not the one committed.
    """
    value = normal_public_value(public_value)
    if not value:
        raise LotteryError("bad_number", _l("Enter the public value named in the commitment, as it was published."),
                           field="public_value")
    if len(value) > MAX_PUBLIC_VALUE:
        raise LotteryError("bad_number", lazy_ngettext("The public value is too long (at most %(num)d character).",
                                                       "The public value is too long (at most %(num)d characters).",
                                                       MAX_PUBLIC_VALUE), field="public_value")
    fields = {"public_value": value}
    if record.get("number_rule") == DICE_PUBLIC_RULE:
        fields["dice"] = dice_digits(dice)
        seed = combined_seed(record["commitment"], value, dice=fields["dice"])
    else:
        if not server or sha256_hex(server.encode("ascii")) != record.get("server_value_sha256"):
            raise LotteryError("wrong_state", _l("The server's value fixed at the commitment is missing."))
        fields["server_value"] = server
        seed = combined_seed(record["commitment"], value, server=server)
    fields["seed"] = seed
    return row_from_seed(seed, int(record["table_size"])), fields


#: The longest public value (a row of lottery numbers, a newspaper's figure, a block hash).
MAX_PUBLIC_VALUE = 200


def prepare_lottery(applicants: Sequence[Applicant], quotas: Quotas, seats: int,
                    table_size: int | None = None, number_source: str = "server: secrets.randbelow",
                    progress=None, public_value_source: str | None = None,
                    households: Mapping[str, Any] | Iterable[Iterable[str]] | None = None,
                    time_limit: float | None = None) -> PreparedLottery:
    """Compute probabilities, table and commitment for a lottery.

    :param table_size: M; None: chosen to fit the pool
        (:func:`app.lottery.table.choose_table_size`).
    :param number_source: how the number will be drawn; ``server: ...`` gets
        :data:`SERVER_RULE`, anything else (in public) :data:`DICE_RULE`.
    :param progress: optional callback (:data:`app.lottery.algorithm.Progress`); no effect on the result.
    :param public_value_source: names a public value unknown now (what, where, when published) that
        the row also depends on: the rule is then :data:`DICE_PUBLIC_RULE` (or :data:`SERVER_PUBLIC_RULE`).
    :param households: the household rule (:func:`~app.lottery.algorithm.build_pool`); None: no rule.
    :param time_limit: seconds for the leximin computation (see
        :func:`~app.lottery.algorithm.leximin_distribution`); reaching it is recorded and committed.
    :raises LotteryError: any code of
        :func:`~app.lottery.algorithm.leximin_distribution`.
    """
    distribution = leximin_distribution(applicants, quotas, seats, progress=progress, households=households,
                                        time_limit=time_limit)
    pool = distribution.pool
    groups = None if households is None else pool.households
    if progress is not None:
        progress("rounding", 0.0, distribution.min_probability)
    if table_size is None:
        table_size = choose_table_size(distribution) if ALGORITHM_VERSION in PROMISE_VERSIONS else DEFAULT_TABLE_SIZE
    table = round_to_table(distribution, table_size)
    server = number_source.startswith("server")
    if public_value_source:
        rule = SERVER_PUBLIC_RULE if server else DICE_PUBLIC_RULE
    else:
        rule, public_value_source = (SERVER_RULE if server else DICE_RULE), None
    if rule == DICE_RULE and DICE_RANGE % table_size:
        raise LotteryError("bad_input", _l("A table drawn with dice needs a size that divides 10,000."),
                           {"table_size": table_size})
    applicants_hash = applicants_sha256(applicants, pool.features)
    table_hash = table_sha256(table.rows)
    server_value = secrets.token_hex(32) if rule == SERVER_PUBLIC_RULE else None
    server_hash = sha256_hex(server_value.encode("ascii")) if server_value else None
    # The certificate exists before the commitment, which binds it; hashed as it will be read back
    # from the stored JSON (the same floats, so the verifiers recompute the same hash).
    certificate = compute_certificate(distribution)
    try:
        certificate = None if certificate is None else json.loads(json.dumps(certificate, allow_nan=False))
    except ValueError:  # a number that is not finite: no certificate (the commitment never fails on it)
        log_event("lottery.certificate_failed", logging.WARNING, code="not_finite")
        certificate = None
    commit = commitment(applicants_hash, pool.quotas, seats, table_size, table_hash, number_source,
                        number_rule=rule, public_value_source=public_value_source, server_value_sha256=server_hash,
                        households=groups, time_limited=_limit_seconds(distribution),
                        certificate_hash=certificate_sha256(certificate))
    slack = max(0, int(round(table.bound * table_size)) - 1)
    return PreparedLottery(tuple(applicants), distribution, table, rounding_report(distribution.probabilities, table),
                           number_source, applicants_hash, table_hash, commit, rule, slack, public_value_source,
                           server_value, groups, certificate)


def _limit_seconds(distribution: Distribution) -> int | None:
    """The time limit that ended the computation, in whole seconds (None: it ended by itself)."""
    if distribution.limited is None:
        return None
    return max(1, int(round(distribution.limited["seconds"] or 0)))


def pool_counts(applicants: Sequence[Mapping[str, Any]], quotas: Quotas, pseudonyms: bool = True) -> dict[str, Any]:
    """How many applicants gave each answer vector (``types``, with their pseudonyms, sorted) and each
    quota option (``cells``): the published pool (issue 22, privacy), from which an observer checks the
    quotas and every panel without a list of each person's answers.

    :param applicants: canonical applicants (:func:`canonical_applicants`).
    :param pseudonyms: list the pseudonyms per type (format version 2; version 1 gave only counts).
    """
    members: dict[bytes, list[str]] = {}
    for a in applicants:
        members.setdefault(canonical_json(a["answers"]), []).append(a["pseudonym"])
    cells = Counter((f, v) for a in applicants for f, v in a["answers"].items())
    return {"types": [{"answers": json.loads(key), "count": len(people),
                       **({"pseudonyms": sorted(people)} if pseudonyms else {})}
                      for key, people in sorted(members.items())],
            "cells": [{**q, "pool": cells[(q["feature"], q["value"])]} for q in canonical_quotas(quotas)]}


def record_applicants(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The canonical applicant list of a record: version 1's ``applicants``, or version 2's types
    expanded (each pseudonym listed under a type has that type's answers), sorted by pseudonym."""
    if record.get("format_version") == 1:
        return list(record["applicants"])
    return sorted(({"pseudonym": p, "answers": dict(t["answers"])} for t in record["pool_counts"]["types"]
                   for p in t["pseudonyms"]), key=lambda item: item["pseudonym"])


def record_answers(record: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Pseudonym -> answers of a record (either format version)."""
    return {a["pseudonym"]: a["answers"] for a in record_applicants(record)}


def published_pool_form(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as published: a format 1 record (every applicant's answers, stored before format 2)
    in format 2 (the pool per type). Nothing hashed changes, so it verifies against the same commitment."""
    if record.get("format_version") != 1 or "applicants" not in record:
        return dict(record)
    quotas = quotas_from_canonical(record["quotas"])
    converted = {key: value for key, value in record.items() if key != "applicants"}
    converted.update(format_version=AUDIT_FORMAT_VERSION, pool_counts=pool_counts(record["applicants"], quotas))
    return converted


def record_before_draw(prepared: PreparedLottery) -> dict[str, Any]:
    """The part of the audit record that is fixed at commitment time (no number yet).

    Stored when the commitment is published; :func:`audit_from_record` completes
    it once the number is known.
    """
    pool = prepared.pool
    named = {"public_value_source": prepared.public_value_source} if prepared.public_value_source else {}
    if prepared.server_value:
        named["server_value_sha256"] = sha256_hex(prepared.server_value.encode("ascii"))
    if prepared.households is not None:
        named["households"] = [list(group) for group in prepared.households]
    limited = prepared.distribution.limited
    if limited is not None:
        named["time_limited"] = {"seconds": _limit_seconds(prepared.distribution),
                                 "minimum": round(float(limited["minimum"]), 12),
                                 "upper_bound": None if limited["upper_bound"] is None
                                 else round(float(limited["upper_bound"]), 12)}
    if prepared.certificate is not None:
        named["leximin_certificate"] = prepared.certificate
    named["certificate_sha256"] = certificate_sha256(prepared.certificate)  # null: none published
    return {
        **named,
        "format": AUDIT_FORMAT,
        "format_version": AUDIT_FORMAT_VERSION,
        "algorithm": {"name": ALGORITHM_NAME, "version": ALGORITHM_VERSION},
        "seats": pool.seats,
        "table_size": prepared.table.size,
        "number_source": prepared.number_source,
        "number_rule": prepared.number_rule,
        "quotas": canonical_quotas(pool.quotas),
        "applicants_sha256": prepared.applicants_hash,
        "probabilities": {p: round(v, 12) for p, v in prepared.probabilities.items()},
        "rounding": {
            "method": "dependent rounding (Flanigan, Kehne, Procaccia 2021), app/lottery/table.py",
            "slack": prepared.slack,
            "bound": prepared.table.bound,
            "max_deviation": prepared.report.max_deviation,
        },
        "table_shares": {p: round(v, 12) for p, v in prepared.report.rounded.items()},
        "table": [list(row) for row in prepared.table.rows],
        "table_sha256": prepared.table_hash,
        "commitment": prepared.commitment,
        "pool_counts": pool_counts(canonical_applicants(prepared.applicants, pool.features), pool.quotas),
    }


def draw_from_record(record: Mapping[str, Any], number: int) -> DrawResult:
    """Draw with a stored pre-draw record (see :func:`record_before_draw`).

    :raises LotteryError: ``bad_number``.
    """
    table = PanelTable(tuple(tuple(row) for row in record["table"]),
                       tuple(sorted(record_answers(record))),
                       float(record["rounding"]["bound"]))
    return draw(table, number, record["commitment"])


def _replacement_entry(replacement: Mapping[str, Any]) -> dict[str, Any]:
    entry = {"declined": sorted(replacement["declined"]), "admitted": replacement["admitted"]}
    if replacement.get("skipped"):
        entry["skipped"] = sorted(replacement["skipped"])
    for key in ("at", "evidence"):
        if replacement.get(key):
            entry[key] = replacement[key]
    return entry


def audit_from_record(record: Mapping[str, Any], number: int,
                      replacements: Sequence[Mapping[str, Any]] = (), dice: str | None = None,
                      draw_fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Complete a pre-draw record with the number, the selection, the waiting list and the replacements.

    :param replacements: in order, ``{"declined": [pseudonyms], "admitted": pseudonym}``
        for each seat filled from the waiting list, optionally with ``"skipped"``:
        waiting applicants who withdrew before this replacement (they are passed over),
        ``"at"`` (when) and ``"evidence"``: pseudonym -> ``{"reason", "at"}`` for
        every declined and skipped person.
    :param dice: the dice reading (four digits) under the record's :data:`DICE_RULE`.
    :param draw_fields: what :func:`combined_draw` adds (public value, dice or server value, seed).
    :raises LotteryError: ``bad_number``.
    """
    result = draw_from_record(record, number)
    audit = {
        **record,
        **(draw_fields or {}),
        "number": number,
        "selected": list(result.selected),
        "waiting_list": list(result.waiting_list),
        "replacements": [_replacement_entry(r) for r in replacements],
    }
    if dice is not None:
        audit["dice"] = dice
    return audit


def build_audit(prepared: PreparedLottery, number: int,
                replacements: Sequence[Mapping[str, Any]] = (), dice: str | None = None,
                draw_fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The audit record of a draw, JSON-serialisable.

    :param prepared: from :func:`prepare_lottery`.
    :param number: the number drawn, 1..M.
    :param replacements: see :func:`audit_from_record`.
    :param dice: the dice reading, if drawn with dice.
    :param draw_fields: see :func:`audit_from_record`.
    :return: the audit dict (write it with ``json.dump``).
    :raises LotteryError: ``bad_number``.
    """
    return audit_from_record(record_before_draw(prepared), number, replacements, dice, draw_fields)


@dataclass(frozen=True)
class Check:
    """One verification step: its name, whether it passed, and what was found."""

    name: str
    ok: bool
    detail: str


def load_audit(path: str | Path) -> dict[str, Any]:
    """Read an audit file.

    :raises LotteryError: ``audit_format`` if unreadable or not a JSON object.
    """
    try:
        data = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LotteryError("audit_format", _l("The audit file cannot be read: %(reason)s", reason=str(exc))) from None
    if not isinstance(data, dict):
        raise LotteryError("audit_format", _l("The audit file does not hold a JSON object."))
    return data


_REQUIRED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str, "format_version": int, "algorithm": dict, "seats": int, "table_size": int,
    "number_source": str, "quotas": list, "applicants_sha256": str,
    "probabilities": dict, "rounding": dict, "table": list, "table_sha256": str, "commitment": str,
}
#: Where each format version publishes the pool: every applicant's answers (1), or per type (2).
_POOL_FIELDS: dict[int, dict[str, type]] = {1: {"applicants": list}, 2: {"pool_counts": dict}}
#: Present together once the number is drawn; a record before the draw has none of them.
_DRAW_FIELDS: dict[str, type] = {"number": int, "selected": list, "waiting_list": list}


def _format_problems(audit: Mapping[str, Any]) -> list[str]:
    drawn = any(name in audit for name in _DRAW_FIELDS)
    version = audit.get("format_version")
    fields = {**_REQUIRED_FIELDS, **_POOL_FIELDS.get(version if isinstance(version, int) else 0, {}),
              **(_DRAW_FIELDS if drawn else {})}
    problems = [f"field {name!r} missing or not {kind.__name__ if isinstance(kind, type) else kind}"
                for name, kind in fields.items()
                if not isinstance(audit.get(name), kind) or isinstance(audit.get(name), bool)]
    if problems:
        return problems
    if audit["format"] != AUDIT_FORMAT or audit["format_version"] not in AUDIT_FORMAT_VERSIONS:
        problems.append(f"unknown format {audit['format']!r} version {audit['format_version']!r}")
        return problems
    try:
        if audit["format_version"] == 2:
            for t in audit["pool_counts"]["types"]:
                if not isinstance(t["pseudonyms"], list) or not isinstance(t["answers"], dict):
                    raise TypeError
            if not isinstance(audit["pool_counts"]["cells"], list):
                raise TypeError
        for a in record_applicants(audit):
            if not isinstance(a["pseudonym"], str) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in a["answers"].items()):
                raise TypeError
        for q in audit["quotas"]:
            if not (isinstance(q["feature"], str) and isinstance(q["value"], str)
                    and isinstance(q["min"], int) and isinstance(q["max"], int)):
                raise TypeError
        if not all(isinstance(row, list) and all(isinstance(p, str) for p in row) for row in audit["table"]):
            raise TypeError
        if drawn and not all(isinstance(p, str) for p in audit["selected"] + audit["waiting_list"]):
            raise TypeError
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in audit["probabilities"].values()):
            raise TypeError
        float(audit["rounding"]["bound"])
        if not all(isinstance(audit.get(name, ""), str) for name in (
                "number_rule", "dice", "public_value_source", "public_value", "server_value", "seed",
                "server_value_sha256")):
            raise TypeError
        if not isinstance(audit.get("certificate_sha256"), (str, type(None))):
            raise TypeError
        if not all(isinstance(group, list) and all(isinstance(p, str) for p in group)
                   for group in audit.get("households", [])):
            raise TypeError
    except (KeyError, TypeError, AttributeError, ValueError):
        problems.append("applicants (or pool_counts), quotas, table, probabilities, rounding, number rule or "
                        "certificate_sha256 malformed")
    return problems


def verify_audit(audit: Mapping[str, Any], recompute_table: bool = False, expected_commitment: str | None = None,
                 recompute: bool = True) -> list[Check]:
    """Re-check a draw (or a record before the draw) from its audit record alone.

    Checks, in order (each a :class:`Check`; all must pass):

    ``format``        all fields present with the right types (stops here if not);
                      ``number``, ``selected`` and ``waiting_list`` all or none
    ``schema``        valid against the JSON Schema of the format
                      (:mod:`app.lottery.schema`, ``schemas/audit.schema.json``)
    ``applicants``    pseudonyms unique, every answer an option of its quota
    ``applicants_sha256``  the canonical applicant list hashes to the recorded hash
    ``table_sha256``  the table hashes to the recorded hash
    ``certificate_sha256``  the LP dual certificate (or its absence) is the one the
                      commitment fixed; records committed before it was bound
                      pass, saying that their certificate is not bound
    ``commitment``    the commitment recomputed from the *recomputed* hashes
                      (the certificate's too, if the record binds it), quotas,
                      seats, M, number source, number rule and algorithm equals
                      the recorded one: any change to inputs, table or certificate breaks it
    ``published_commitment`` (with ``expected_commitment``) the record's
                      commitment is the value published earlier
    ``table_panels``  M rows, each of k distinct applicants meeting every quota
                      (and, with ``households``, at most one of each household)
    ``recorded_probabilities``  equal within each type, in [0, 1], summing to k
    ``equal_treatment``  members of one type are in row counts differing by at most one
    ``rounding``      every applicant's rows against the leximin probability, by
                      a bound computed from the table itself, never the recorded
                      one: version 2.1 ``|rows - M p| < 1 + slack`` (slack 0..2,
                      the bound ``(1 + slack)/M``); older versions
                      ``(1 + TV_t/(2 size_t))/M`` with TV_t the total variation
                      of the type's seat counts along the table, whose rows must
                      be in canonical order
    ``number``        (after the draw) 1 <= number <= M, and the dice reading
                      gives it under the committed rule; under a rule that
                      combines a public value (:data:`COMBINED_RULES`) the seed
                      recomputed from the commitment, the recorded public value
                      and the dice (or the server's value) equals the recorded
                      seed and gives the row
    ``selection``     the selected set is table row ``number``
    ``waiting_list``  everyone else, ordered by SHA-256(commitment:number:pseudonym)
    ``replacements``  each recorded replacement is the first fitting waiting
                      applicant, and every decline and skip carries its evidence
                      (reason and time; skips only for withdrawals)
    ``draw``          (before the draw) says that the draw is not checked yet
    ``certificate``   (if ``leximin_certificate`` is published, and the rows and probabilities are
                      whole) the LP dual certificates of the leximin stages, without recomputing:
                      the published distribution attains each stage value, each stage's dual bound
                      matches it (integer stages: proven with the panel integer program), so the
                      recorded probabilities are leximin-optimal (:mod:`app.lottery.certificates`)
    ``probabilities`` (``recompute``) recomputed leximin probabilities equal the
                      recorded ones within 1e-6 (robust across solver builds:
                      the leximin probabilities are unique)
    ``table_recomputed`` (only with ``recompute_table``) re-running the
                      algorithm yields the identical table; expected with the
                      same software, not guaranteed across solver builds

    :param audit: the audit dict (from :func:`build_audit` or a JSON file).
    :param recompute_table: also demand byte-identical recomputation.
    :param expected_commitment: the commitment published before the draw (hex).
    :param recompute: re-derive the leximin probabilities from the pool.
    :return: the checks.
    """
    problems = _format_problems(audit)
    if problems:
        return [Check("format", False, "; ".join(problems))]
    drawn = "number" in audit
    checks = [Check("format", True, f"{AUDIT_FORMAT} version {audit['format_version']}"
                    + ("" if drawn else "; record before the draw"))]
    broken = schema_problems(audit)
    checks.append(Check("schema", not broken, "; ".join(broken) or "valid against the published JSON Schema "
                                                                    "(app/lottery/schemas/audit.schema.json)"))

    seats, table_size = audit["seats"], audit["table_size"]
    quotas = quotas_from_canonical(audit["quotas"])
    applicants = [Applicant(a["pseudonym"], dict(a["answers"])) for a in record_applicants(audit)]
    answers = {a.pseudonym: a.answers for a in applicants}
    table = [tuple(row) for row in audit["table"]]
    algorithm = audit["algorithm"]
    version = str(algorithm.get("version"))
    households = audit.get("households")

    pool: Pool | None = None
    try:
        pool = build_pool(applicants, quotas, seats, households)
        checks.append(Check("applicants", True, f"{len(applicants)} applicants, {len(pool.types)} types"))
    except LotteryError as exc:
        checks.append(Check("applicants", False, str(exc)))

    features = sorted(quotas)
    applicants_hash = applicants_sha256(applicants, features)
    checks.append(Check("applicants_sha256", applicants_hash == audit["applicants_sha256"],
                        f"recomputed {applicants_hash}, recorded {audit['applicants_sha256']}"))
    table_hash = table_sha256(table)
    checks.append(Check("table_sha256", table_hash == audit["table_sha256"],
                        f"recomputed {table_hash}, recorded {audit['table_sha256']}"))
    try:
        certificate_hash = certificate_sha256(audit.get("leximin_certificate"))
    except ValueError:  # NaN or infinity in the file: no canonical JSON, so not the committed one
        certificate_hash = "unhashable (a number that is not finite)"
    checks.append(_check_certificate_hash(audit, certificate_hash))
    recomputed_commitment = commitment_of_record(audit, applicants_hash, table_hash, certificate_hash)
    checks.append(Check("commitment", recomputed_commitment == audit["commitment"],
                        f"recomputed {recomputed_commitment}, recorded {audit['commitment']}"))
    if expected_commitment is not None:
        expected = expected_commitment.strip().lower()
        checks.append(Check("published_commitment", expected == recomputed_commitment == audit["commitment"],
                            f"published {expected}, this record {audit['commitment']}"))

    bad_rows = []
    for index, row in enumerate(table, start=1):
        if (any(p not in answers for p in row) or quota_violations(row, answers, quotas, seats)
                or household_violations(row, households or [])):
            bad_rows.append(index)
    if "pool_counts" in audit:
        counted = audit["pool_counts"] == pool_counts(canonical_applicants(applicants, features), quotas,
                                                      pseudonyms=audit["format_version"] >= 2)
        checks.append(Check("pool_counts", counted, "counts per type and per quota option match the applicants"
                            if counted else "the published counts differ from the applicant list (or a type's "
                                            "pseudonyms, answers or order)"))
    checks.append(Check("table_panels", len(table) == table_size and not bad_rows,
                        f"{len(table)} rows (expected {table_size}); rows breaking a quota"
                        + (" or the household rule" if households is not None else "")
                        + f" or with unknown or repeated people: {bad_rows[:10] or 'none'}"))

    if pool is not None:
        checks.extend(_check_table(audit, pool, table, version))

    if drawn:
        checks.extend(_check_draw(audit, table, answers, quotas, seats, households))
    else:
        checks.append(Check("draw", True, "not drawn yet: the number, the selection and the waiting list are "
                                          "checked once they are recorded"))

    if pool is not None and not bad_rows and set(audit["probabilities"]) == set(pool.applicants):
        checks.append(_check_certificate(audit, pool, table))
    if pool is not None and recompute:
        checks.extend(_check_recomputed(audit, pool, recompute_table, version))
    return checks


def _check_certificate_hash(audit: Mapping[str, Any], recomputed: str | None) -> Check:
    """The certificate is the one the commitment fixed (``certificate_sha256``); records committed
    before the commitment covered it pass, saying that it is not bound."""
    if not certificate_bound(audit):
        return Check("certificate_sha256", True,
                     "not bound: this record was committed before the commitment covered the LP dual certificate "
                     "(no certificate_sha256)" + ("; the certificate is checked, but it could have been replaced "
                                                  "after the commitment" if recomputed is not None else ""))
    recorded = audit["certificate_sha256"]
    if recomputed != recorded:
        return Check("certificate_sha256", False,
                     f"the LP dual certificate is not the one fixed by the commitment: recomputed "
                     f"{recomputed or 'none (no certificate)'}, recorded {recorded or 'none (no certificate)'}")
    if recomputed is None:
        return Check("certificate_sha256", True, "no certificate published, as the commitment records")
    return Check("certificate_sha256", True, f"recomputed {recomputed}, recorded {recorded}: the commitment "
                                             f"covers the certificate")


def _check_certificate(audit: Mapping[str, Any], pool: Pool, table: list[tuple[str, ...]]) -> Check:
    """The LP dual certificates of the leximin stages (:mod:`app.lottery.certificates`), without
    recomputing the leximin: the published distribution attains every stage value and the dual
    bound of each stage matches it, so the recorded probabilities are leximin-optimal."""
    certificate = audit.get("leximin_certificate")
    if certificate is None:
        limited = audit.get("time_limited")
        if isinstance(limited, dict):
            reason = (f"the time limit of {limited.get('seconds')} s ended the computation at the commitment: the "
                      f"probabilities are the best found, not proven leximin-optimal, and there is no proof to check")
        elif certificate_bound(audit):
            reason = ("computing it failed at the commitment (the commitment records that none was published); "
                      "optimality is checked only by recomputing the probabilities")
        else:
            reason = "none published (committed before issue 22's certificates)"
        return Check("certificate", True, f"no LP dual certificate: {reason}")
    ok, detail = check_certificate(certificate, pool, audit["probabilities"], table)
    return Check("certificate", ok, detail)


def _check_draw(audit: Mapping[str, Any], table: list[tuple[str, ...]], answers: Mapping[str, Mapping[str, str]],
                quotas: Quotas, seats: int, households: Sequence[Sequence[str]] | None = None) -> list[Check]:
    number = audit["number"]
    number_ok = 1 <= number <= len(table)
    detail = f"number {number} of 1..{len(table)}"
    rule = audit.get("number_rule")
    if rule == DICE_RULE:
        try:
            from_dice = row_from_dice(audit.get("dice", ""), len(table) or 1)
        except LotteryError:
            from_dice = None
        number_ok = number_ok and from_dice == number
        detail += f"; dice {audit.get('dice')!r} give {from_dice} under the committed rule"
    elif rule == SERVER_RULE:
        detail += "; drawn by the server: not publicly verifiable"
    elif rule in COMBINED_RULES:
        ok, found = combined_number_check(audit, len(table) or 1)
        number_ok, detail = number_ok and ok, detail + "; " + found
    checks = [Check("number", number_ok, detail)]
    if not 1 <= number <= len(table):
        return checks
    expected_selected = sorted(table[number - 1])
    checks.append(Check("selection", sorted(audit["selected"]) == expected_selected,
                        f"row {number}: {', '.join(expected_selected)}"))
    chosen = set(expected_selected)
    expected_waiting = waiting_list_order([p for p in sorted(answers) if p not in chosen], audit["commitment"],
                                          number)
    recorded_waiting = list(audit["waiting_list"])
    waiting_ok = expected_waiting == recorded_waiting
    first_difference = next((i for i, (a, b) in enumerate(zip(expected_waiting, recorded_waiting)) if a != b),
                            min(len(expected_waiting), len(recorded_waiting)))
    checks.append(Check("waiting_list", waiting_ok,
                        f"{len(expected_waiting)} applicants in SHA-256 order" if waiting_ok
                        else f"differs from position {first_difference + 1} on"))
    checks.append(_check_replacements(audit.get("replacements", []), expected_selected, expected_waiting,
                                      answers, quotas, seats, require_evidence="number_rule" in audit,
                                      households=households))
    return checks


def combined_number_check(audit: Mapping[str, Any], size: int) -> tuple[bool, str]:
    """Recompute the seed and the row of a draw under one of the :data:`COMBINED_RULES`."""
    value = audit.get("public_value")
    if not audit.get("public_value_source") or not isinstance(value, str) or not value:
        return False, "the committed rule combines a public value, but none is named or recorded"
    if value != normal_public_value(value):
        return False, f"public value {value!r} is not written as the rule says"
    if audit["number_rule"] == DICE_PUBLIC_RULE:
        dice = audit.get("dice")
        if not isinstance(dice, str) or len(dice) != 4 or not dice.isascii() or not dice.isdigit():
            return False, f"dice {dice!r} are not four digits"
        seed, source = combined_seed(audit["commitment"], value, dice=dice), f"dice {dice}"
    else:
        server = audit.get("server_value")
        if not isinstance(server, str) or len(server) != 64:
            return False, "no server value of 64 hex digits"
        if sha256_hex(server.encode("utf-8")) != audit.get("server_value_sha256"):
            return False, "the server's value is not the one whose SHA-256 the commitment holds"
        seed, source = combined_seed(audit["commitment"], value, server=server), "the server's committed value"
    row = row_from_seed(seed, size)
    same_seed = audit.get("seed") == seed
    return same_seed and row == audit["number"], (
        f"{source} and the public value {value!r} give seed {seed[:16]}… and row {row} under the committed rule"
        + ("" if same_seed else f"; recorded seed {str(audit.get('seed'))[:16]}… differs"))


#: Why a seat may become free, and the only reason a waiting person may be passed over.
RELEASE_REASONS = ("declined", "expired", "withdrawn")


def _evidence_problem(step: int, replacement: Mapping[str, Any], people: Iterable[str], skipped: bool) -> str | None:
    evidence = replacement.get("evidence")
    if not isinstance(evidence, dict):
        return f"step {step}: no evidence of the declines and skips"
    for pseudonym in people:
        item = evidence.get(pseudonym)
        if not isinstance(item, dict) or not isinstance(item.get("at"), str) or not item["at"]:
            return f"step {step}: no evidence (reason and time) for {pseudonym}"
        if item.get("reason") not in (("withdrawn",) if skipped else RELEASE_REASONS):
            return f"step {step}: {pseudonym} recorded as {item.get('reason')!r}, which does not free a seat"
        if isinstance(replacement.get("at"), str) and item["at"] > replacement["at"]:
            return f"step {step}: {pseudonym}'s {item['reason']} is dated after the replacement"
    return None


def _check_replacements(replacements: Any, selected: list[str], waiting: list[str],
                        answers: Mapping[str, Mapping[str, str]], quotas: Quotas, seats: int,
                        require_evidence: bool = False, households: Sequence[Sequence[str]] | None = None) -> Check:
    """Replay the recorded replacements against the waiting list (and, for 2.1 records, their evidence)."""
    if not replacements:
        return Check("replacements", True, "none recorded")
    seated, remaining = set(selected), list(waiting)
    try:
        for step, replacement in enumerate(replacements, start=1):
            declined = set(replacement["declined"])
            if not declined <= seated:
                return Check("replacements", False, f"step {step}: a declining person was not seated")
            # Waiting applicants who withdrew before this step are passed over.
            skipped = set(replacement.get("skipped") or ())
            if skipped & seated:
                return Check("replacements", False, f"step {step}: a skipped person was seated")
            if require_evidence:
                problem = (_evidence_problem(step, replacement, sorted(declined), skipped=False)
                           or _evidence_problem(step, replacement, sorted(skipped), skipped=True))
                if problem:
                    return Check("replacements", False, problem)
            seated -= declined
            remaining = [p for p in remaining if p not in declined and p not in skipped]
            expected = find_replacement(seated, remaining, answers, quotas, seats, households)
            if replacement["admitted"] != expected:
                return Check("replacements", False,
                             f"step {step}: admitted {replacement['admitted']}, expected {expected}")
            seated.add(expected)
            remaining.remove(expected)
    except (LotteryError, KeyError, TypeError, AttributeError) as exc:
        return Check("replacements", False, f"cannot replay: {exc}")
    return Check("replacements", True, f"{len(replacements)} replacement(s) replayed")


def _check_table(audit: Mapping[str, Any], pool: Pool, table: list[tuple[str, ...]], version: str) -> list[Check]:
    """The recorded probabilities and the table against each other, with bounds from the table itself."""
    recorded = audit["probabilities"]
    groups = [group.members for group in pool.types]
    problems = []
    if set(recorded) != set(pool.applicants):
        problems.append("not one probability per applicant")
    else:
        for members in groups:
            values = [recorded[p] for p in members]
            if max(values) - min(values) > PROBABILITY_TOLERANCE:
                problems.append(f"{members[0]} and others of the same answers differ")
                break
        if any(not -PROBABILITY_TOLERANCE <= v <= 1 + PROBABILITY_TOLERANCE for v in recorded.values()):
            problems.append("a probability outside 0..1")
        if abs(sum(recorded.values()) - pool.seats) > 1e-6 * max(1, pool.size):
            problems.append(f"they add up to {sum(recorded.values()):.6f}, not {pool.seats}")
    checks = [Check("recorded_probabilities", not problems, "; ".join(problems) or
                    "equal within types, add up to the seats")]
    if problems:
        return checks

    size = len(table) or 1
    appearances = Counter(p for row in table for p in row)
    unequal, _ = table_promise(table, {}, groups)
    checks.append(Check("equal_treatment", not unequal,
                        "; ".join(unequal[:5]) or f"{len(groups)} types, counts within each differ by at most one"))
    if version in PROMISE_VERSIONS:
        slack = audit["rounding"].get("slack", 0)
        if isinstance(slack, bool) or not isinstance(slack, int) or not 0 <= slack <= 2:
            return checks + [Check("rounding", False, f"slack {slack!r} is not 0, 1 or 2")]
        _, outside = table_promise(table, recorded, groups, slack)
        deviation = max((abs(appearances[p] / size - q) for p, q in recorded.items()), default=0.0)
        checks.append(Check("rounding", not outside,
                            "; ".join(outside[:5]) or f"every share within {(1 + slack)}/{size} of its "
                                                      f"probability (largest |share - p| {deviation:.6f})"))
        return checks
    # Older versions: rows in canonical order, bound from the total variation along the table.
    vectors = [tuple(sum(1 for p in row if pool.type_of.get(p) == t) for t in range(len(groups))) for row in table]
    in_order = all(a <= b for a, b in zip(vectors, vectors[1:]))
    runs = [v for i, v in enumerate(vectors) if i == 0 or v != vectors[i - 1]]
    worst, offenders = 0.0, []
    for t, members in enumerate(groups):
        variation = sum(abs(a[t] - b[t]) for a, b in zip(runs, runs[1:]))
        bound = (1.0 + variation / (2 * len(members))) / size + 1e-9
        for p in members:
            deviation = abs(appearances[p] / size - recorded[p])
            worst = max(worst, deviation)
            if deviation > bound + PROBABILITY_TOLERANCE:
                offenders.append(f"{p}: share {appearances[p] / size:.4f}, probability {recorded[p]:.4f}, "
                                 f"bound {bound:.4f}")
    checks.append(Check("rounding", in_order and not offenders,
                        ("rows not in canonical order; " if not in_order else "") + ("; ".join(offenders[:5]) or
                        f"largest |share - p| {worst:.6f}, within each type's bound from the table")))
    return checks


def _check_recomputed(audit: Mapping[str, Any], pool: Pool, recompute_table: bool, version: str) -> list[Check]:
    """Recompute the leximin probabilities (and the table) from the pool.

    The recomputation runs the algorithm version the draw was committed with
    (its panels, and so a recomputed table, depend on it; the probabilities do not).
    """
    limited = audit.get("time_limited")
    try:
        distribution = leximin_distribution(pool, version=version,
                                            time_limit=limited.get("seconds") if isinstance(limited, dict) else None)
    except LotteryError as exc:
        return [Check("probabilities", False, f"cannot recompute: {exc}")]
    if isinstance(limited, dict):
        # The time limit ended the computation at the commitment (committed): the recorded
        # distribution is the best found then, not the proven optimum. What is checkable: it
        # cannot beat the optimum's upper bound, and (check rounding) the table realises it.
        recorded_minimum = min(audit["probabilities"].values(), default=0.0)
        bound = distribution.limited["upper_bound"] if distribution.limited else distribution.min_probability
        ok = bound is None or recorded_minimum <= bound + PROBABILITY_TOLERANCE
        return [Check("probabilities", ok,
                      f"time limit of {limited.get('seconds')} s reached at the commitment: not proven "
                      f"leximin-optimal; recorded minimum {recorded_minimum:.6f}, the optimum's minimum is at "
                      f"most {bound if bound is None else round(bound, 6)}; recomputed within the same limit: "
                      f"{distribution.min_probability:.6f}")]
    recomputed = distribution.probabilities
    recorded = audit["probabilities"]
    worst = max((abs(recorded.get(p, -1.0) - q) for p, q in recomputed.items()), default=0.0)
    same_people = set(recorded) == set(recomputed)
    checks = [Check("probabilities", same_people and worst <= PROBABILITY_TOLERANCE,
                    f"largest difference {worst:.2e} (tolerance {PROBABILITY_TOLERANCE:g}); "
                    f"minimum probability {distribution.min_probability:.6f}")]
    if recompute_table:
        try:
            rerun = round_to_table(distribution, int(audit["table_size"]), version=version)
            same = table_sha256(rerun.rows) == audit["table_sha256"]
            checks.append(Check("table_recomputed", same, "identical table" if same else "the table differs"))
        except LotteryError as exc:
            checks.append(Check("table_recomputed", False, str(exc)))
    return checks


def all_passed(checks: Iterable[Check]) -> bool:
    """Whether every check passed."""
    return all(check.ok for check in checks)
