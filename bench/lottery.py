"""Benchmark: our leximin lottery against the ``sortition-algorithms`` package.

Generates applicant pools with a fixed seed (1,000 and 10,000 people; three
criteria: gender 3 options, age 4 bands, district 6; self-selected, so the
pool is skewed against the census) with census-proportional quotas
(min = floor(share * k), max = ceil(share * k)) for 15 and 100 seats, and
prints per instance (first table):

* ours: time for the leximin probabilities, minimum and maximum probability,
  time to round to the table of 1,000 panels and its worst deviation;
* ``sortition-algorithms`` (pip install -r requirements-bench.txt), if
  importable: its maximin distribution (time, minimum, maximum), run in a
  subprocess with a time limit, and its legacy greedy algorithm's minimum
  selection probability estimated by simulation (per type of identical
  applicants, which the greedy treats alike, so the estimate is not
  swamped by per-person noise).

Numbers only, never pass/fail asserts; the "targets" column says whether
our minimum is at least theirs (maximin) and whether 10,000 people / 100
seats took under 5 seconds.

The second table (issue 21) has the pool families that are hard for
column generation, each generated with a fixed seed: ``census4`` (skewed
self-selected pools, census quotas on 4 criteria: 400 / 15, 2,500 / 30,
10,000 / 100), ``unique7`` (2,000 people, 7 criteria of 3-8 options, nearly
everyone their own type, 110 seats) and ``wide5`` (50,000 people, 5 criteria,
200 seats), and ``census4h`` (census4 10,000 / 100 with 1,500 two-person households
under the household rule). For each, in the same run and each in a subprocess with a time
limit (``--family-timeout``, default 120 s, so the bench stays bounded): our
default version (2.4, full leximin and the rounding to the table; CPU seconds, as
the machine is shared), the reference ``--reference`` (default 2.3: the code as it
was before 2.4, still shipped so old draws verify) and the largest difference
between their probabilities, and ``sortition-algorithms``' maximin with its minimum.

``--promise`` (issue 22) prints instead, for every bench pool up to 50,000 people
(:data:`PROMISE_INSTANCES`), the table as committed against its promise, checked from the table
itself (nobody with M p >= 1 in no row, every share within (1 + slack)/M, members of a type within
one row of each other), and whether the LP dual certificates of the leximin stages verify.

Usage: ``python bench/lottery.py [--timeout 120] [--legacy-seconds 20] [--quick] [--families-only]
[--family-timeout 120]
[--reference 2.3] [--only census4] [--promise [--time-limit 60]]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `app` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.lottery.algorithm import (  # noqa: E402
    ALGORITHM_VERSION,
    Applicant,
    build_pool,
    leximin_distribution,
    round_to_table,
    rounding_report,
)

SEED = 20190401  # the Esslingen workshop's date

CENSUS = {
    "gender": {"female": 0.50, "male": 0.48, "diverse": 0.02},
    "age": {"16-29": 0.20, "30-44": 0.25, "45-64": 0.33, "65+": 0.22},
    "district": {"Innenstadt": 0.25, "Mettingen": 0.20, "Pliensauvorstadt": 0.18, "Berkheim": 0.15,
                 "Zell": 0.12, "Sulzgries": 0.10},
}
#: Who applies: fewer young people, more older men, the centre over-represented.
APPLICANT_SHARES = {
    "gender": [0.44, 0.545, 0.015],
    "age": [0.10, 0.20, 0.42, 0.28],
    "district": [0.32, 0.22, 0.16, 0.13, 0.10, 0.07],
}
INSTANCES = [(1_000, 15), (1_000, 100), (10_000, 15), (10_000, 100)]

#: Issue 21's pool families: criterion -> (census shares, applicant shares).
FAMILIES = {
    "census4": {
        "gender": ([0.50, 0.48, 0.02], [0.42, 0.56, 0.02]),
        "age": ([0.13, 0.16, 0.24, 0.25, 0.22], [0.05, 0.10, 0.22, 0.33, 0.30]),
        "district": ([0.20, 0.16, 0.14, 0.13, 0.12, 0.10, 0.08, 0.07], [0.30, 0.20, 0.14, 0.11, 0.09, 0.07, 0.05, 0.04]),
        "education": ([0.30, 0.40, 0.30], [0.12, 0.33, 0.55]),
    },
    "unique7": {
        "gender": ([0.50, 0.48, 0.02], [0.44, 0.54, 0.02]),
        "age": ([0.13, 0.16, 0.24, 0.25, 0.22], [0.06, 0.12, 0.24, 0.31, 0.27]),
        "district": ([0.20, 0.16, 0.14, 0.13, 0.12, 0.10, 0.08, 0.07], [0.28, 0.19, 0.14, 0.12, 0.10, 0.08, 0.05, 0.04]),
        "education": ([0.30, 0.40, 0.30], [0.14, 0.34, 0.52]),
        "origin": ([0.70, 0.18, 0.12], [0.78, 0.14, 0.08]),
        "housing": ([0.45, 0.40, 0.15], [0.55, 0.36, 0.09]),
        "attitude": ([0.10, 0.20, 0.30, 0.25, 0.15], [0.20, 0.28, 0.27, 0.17, 0.08]),
    },
    "wide5": {
        "gender": ([0.50, 0.48, 0.02], [0.43, 0.55, 0.02]),
        "age": ([0.13, 0.16, 0.24, 0.25, 0.22], [0.06, 0.11, 0.23, 0.32, 0.28]),
        "district": ([0.20, 0.16, 0.14, 0.13, 0.12, 0.10, 0.08, 0.07], [0.29, 0.20, 0.14, 0.11, 0.10, 0.07, 0.05, 0.04]),
        "education": ([0.30, 0.40, 0.30], [0.13, 0.34, 0.53]),
        "origin": ([0.70, 0.18, 0.12], [0.77, 0.15, 0.08]),
    },
}
FAMILY_INSTANCES = [("census4", 400, 15), ("census4", 2_500, 30), ("census4", 10_000, 100),
                    ("unique7", 2_000, 110), ("wide5", 50_000, 200), ("census4h", 10_000, 100)]
#: ``census4h``: the census4 pool with this many two-person households (random pairs, fixed seed)
#: under the household rule (at most one seat per household); sortition-algorithms has no such rule.
HOUSEHOLD_PAIRS = 1_500


def make_pool(size: int, seats: int, seed: int = SEED) -> tuple[list[Applicant], dict]:
    """Applicants and census-proportional quotas for one instance (deterministic)."""
    rng = random.Random(f"{seed}:{size}")
    applicants = [
        Applicant(f"a{i:05d}", {feature: rng.choices(list(CENSUS[feature]), weights=APPLICANT_SHARES[feature])[0]
                                for feature in CENSUS})
        for i in range(size)
    ]
    quotas = {feature: {value: (math.floor(share * seats), math.ceil(share * seats))
                        for value, share in shares.items()}
              for feature, shares in CENSUS.items()}
    return applicants, quotas


def make_family_pool(family: str, size: int, seats: int, seed: int = SEED) -> tuple[list[Applicant], dict]:
    """A pool of one of :data:`FAMILIES` (deterministic), with census-proportional quotas."""
    criteria = FAMILIES[family]
    rng = random.Random(f"{seed}:{family}:{size}")
    options = {c: [f"{c[:3]}{i}" for i in range(len(census))] for c, (census, _) in criteria.items()}
    applicants = [Applicant(f"a{i:05d}", {c: rng.choices(options[c], weights=skew)[0]
                                          for c, (_, skew) in criteria.items()})
                  for i in range(size)]
    quotas = {c: {v: (math.floor(share * seats), math.ceil(share * seats)) for v, share in zip(options[c], census)}
              for c, (census, _) in criteria.items()}
    return applicants, quotas


def _pool(name: str, size: int, seats: int) -> tuple[list[Applicant], dict]:
    if name == "bench":
        return make_pool(size, seats)
    return make_family_pool(name.removesuffix("h") if name == "census4h" else name, size, seats)


def _households(name: str, applicants: list[Applicant], seed: int = SEED) -> list[list[str]] | None:
    """The households of ``census4h`` (:data:`HOUSEHOLD_PAIRS` random pairs), None for every other pool."""
    if name != "census4h":
        return None
    rng = random.Random(f"{seed}:households:{len(applicants)}")
    people = [a.pseudonym for a in applicants]
    rng.shuffle(people)
    return [people[2 * i:2 * i + 2] for i in range(HOUSEHOLD_PAIRS)]


def ours_version(name: str, size: int, seats: int, version: str) -> dict:
    """Our full leximin and rounding with one algorithm version (runs inside the child process)."""
    applicants, quotas = _pool(name, size, seats)
    pool = build_pool(applicants, quotas, seats, _households(name, applicants))
    wall, cpu = time.perf_counter(), time.process_time()
    limit = float(os.environ.get("BENCH_LOTTERY_TIME_LIMIT") or 0) or None  # --time-limit
    distribution = leximin_distribution(pool, version=version, time_limit=limit)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rounding = time.process_time()
    round_to_table(distribution, 1000, version=version)
    return {"time": wall, "cpu": cpu, "rounding_cpu": time.process_time() - rounding, "types": len(pool.types),
            "min": distribution.min_probability, "probabilities": list(distribution.type_probabilities),
            "limited": dict(distribution.limited) if distribution.limited else None}


def ours(size: int, seats: int) -> dict:
    applicants, quotas = make_pool(size, seats)
    start = time.perf_counter()
    distribution = leximin_distribution(applicants, quotas, seats)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    table = round_to_table(distribution, 1000)
    rounding_time = time.perf_counter() - start
    report = rounding_report(distribution.probabilities, table)
    return {"time": elapsed, "min": distribution.min_probability, "max": distribution.max_probability,
            "types": len(distribution.pool.types), "panels": len(distribution.panels),
            "rounding_time": rounding_time, "rounding_deviation": report.max_deviation, "rounding_bound": report.bound}


def _their_objects(size: int, seats: int, name: str = "bench"):
    """The pool as sortition-algorithms' FeatureCollection, People and Settings."""
    from sortition_algorithms import Settings, read_in_features, read_in_people

    applicants, quotas = _pool(name, size, seats)
    feature_rows = [{"feature": f, "value": v, "min": str(lo), "max": str(hi)}
                    for f, values in quotas.items() for v, (lo, hi) in values.items()]
    features, _, _ = read_in_features(["feature", "value", "min", "max"], feature_rows, seats)
    settings = Settings(id_column="id", columns_to_keep=[])
    head = ["id", *quotas]
    body = [{"id": a.pseudonym, **a.answers} for a in applicants]
    people, _ = read_in_people(head, body, features, settings)
    return applicants, features, people


def their_maximin(size: int, seats: int, name: str = "bench") -> dict:
    """sortition-algorithms' maximin (runs inside the child process)."""
    from sortition_algorithms.committee_generation.maximin import find_distribution_maximin

    _, features, people = _their_objects(size, seats, name)
    start = time.perf_counter()
    committees, weights, _ = find_distribution_maximin(features, people, seats, [])
    elapsed = time.perf_counter() - start
    probability = Counter()
    for committee, weight in zip(committees, weights):
        for pseudonym in committee:
            probability[pseudonym] += weight
    values = [probability[p] for p in people]
    return {"time": elapsed, "min": min(values), "max": max(values)}


def their_maximin_with_timeout(size: int, seats: int, timeout: float, name: str = "bench") -> dict:
    return _child(["--child-maximin", name, str(size), str(seats)], timeout)


#: The table's promise (issue 22) on every bench pool up to 50,000 people: name, size, seats.
PROMISE_INSTANCES = [("bench", size, seats) for size, seats in INSTANCES] + FAMILY_INSTANCES[:3] + [
    ("census4", 50_000, 100), *FAMILY_INSTANCES[3:5]]


def promise_check(name: str, size: int, seats: int, time_limit: float | None) -> dict:
    """The table as committed (M chosen to fit the pool, dependent rounding) against its promise,
    checked from the table itself (app/lottery/table.py ``table_promise``, as ``verify`` does):
    nobody with M p >= 1 in 0 rows, every share within the stated bound (1 + slack)/M, members of a
    type in row counts within one; and the LP dual certificate of the leximin stages (none when the
    time limit ended the computation). Runs inside the child process."""
    from app.lottery.certificates import check_certificate, compute_certificate
    from app.lottery.table import choose_table_size, table_promise

    applicants, quotas = _pool(name, size, seats)
    pool = build_pool(applicants, quotas, seats)
    cpu = time.process_time()
    distribution = leximin_distribution(pool, time_limit=time_limit)
    leximin_cpu, cpu = time.process_time() - cpu, time.process_time()
    table_size = choose_table_size(distribution)
    table = round_to_table(distribution, table_size)
    rounding_cpu, cpu = time.process_time() - cpu, time.process_time()
    slack = max(0, int(round(table.bound * table_size)) - 1)
    probabilities = distribution.probabilities
    groups = [group.members for group in pool.types]
    unequal, outside = table_promise(table.rows, probabilities, groups, slack)
    appearances = Counter(p for row in table.rows for p in row)
    zero = [p for p, q in probabilities.items() if table_size * q >= 1 - 1e-7 and appearances[p] == 0]
    deviation = max(abs(appearances[p] / table_size - q) for p, q in probabilities.items())
    certificate = compute_certificate(distribution)
    certificate_cpu, cpu = time.process_time() - cpu, time.process_time()
    if certificate is None:
        certified = "none (time limit)"
    else:
        ok, detail = check_certificate(json.loads(json.dumps(certificate)), pool, probabilities, table.rows)
        certified = f"{'ok' if ok else 'FAILED'}, {len(certificate['stages'])} stages" + ("" if ok else f": {detail}")
    return {"types": len(pool.types), "table_size": table_size, "slack": slack, "min": distribution.min_probability,
            "limited": distribution.limited is not None, "zero": len(zero), "outside": len(outside),
            "unequal": len(unequal), "max_deviation_rows": deviation * table_size,
            "min_rows": min(appearances[p] for p in probabilities), "leximin_cpu": leximin_cpu,
            "rounding_cpu": rounding_cpu, "certificate_cpu": certificate_cpu, "certificate_check_cpu":
            time.process_time() - cpu, "certificate": certified}


def promise_table(args) -> None:
    """``--promise``: the table's promise and the certificates on :data:`PROMISE_INSTANCES`."""
    header = (f"{'pool':>22} {'types':>6} {'M':>6} {'slack':>5} {'zero':>4} {'outside':>7} {'unequal':>7} "
              f"{'max |rows-Mp|':>13} {'min rows':>8} | {'leximin':>8} {'round':>7} {'cert':>7} | certificate")
    print(header)
    print("-" * len(header))
    for name, size, seats in PROMISE_INSTANCES:
        if args.only and args.only not in name:
            continue
        result = _child(["--child-promise", name, str(size), str(seats), str(args.time_limit or 60)],
                        args.family_timeout)
        label = f"{name} {size:,}/{seats}"
        if "types" not in result:
            print(f"{label:>22} {result}")
            continue
        print(f"{label:>22} {result['types']:>6} {result['table_size']:>6} {result['slack']:>5} {result['zero']:>4} "
              f"{result['outside']:>7} {result['unequal']:>7} {result['max_deviation_rows']:>13.3f} "
              f"{result['min_rows']:>8} | {result['leximin_cpu']:>7.1f}s{'*' if result['limited'] else ' '}"
              f"{result['rounding_cpu']:>6.1f}s {result['certificate_cpu'] + result['certificate_check_cpu']:>6.1f}s"
              f" | {result['certificate']}")
    print("* the time limit ended the leximin computation (best found, marked; no certificate). "
          "zero / outside / unequal: people with M p >= 1 in no row / outside (1 + slack)/M / types whose "
          "row counts differ by more than one (all must be 0). CPU seconds of the child.")


def ours_with_timeout(name: str, size: int, seats: int, version: str, timeout: float) -> dict:
    return _child(["--child-ours", name, str(size), str(seats), version], timeout)


def _child(arguments: list[str], timeout: float) -> dict:
    """Run this script with ``arguments`` in a subprocess; its last stdout line is JSON."""
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def their_legacy(size: int, seats: int, budget_seconds: float, max_runs: int = 2000) -> dict:
    """Estimate the legacy greedy algorithm's minimum selection probability by simulation."""
    from sortition_algorithms.committee_generation.legacy import find_random_sample_legacy
    from scipy.stats import beta
    from sortition_algorithms.utils import set_random_provider

    applicants, features, people = _their_objects(size, seats)
    set_random_provider(SEED)
    type_of = {a.pseudonym: tuple(a.answers[f] for f in CENSUS) for a in applicants}
    type_size = Counter(type_of.values())
    hits: Counter = Counter()
    runs, failures = 0, 0
    start = time.perf_counter()
    while runs < max_runs and time.perf_counter() - start < budget_seconds:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # it prints "Trial number: ..."
                committees, _ = find_random_sample_legacy(people, features, seats, [], max_attempts=100)
        except Exception:  # a failed greedy run: counts as a run without a panel
            failures += 1
            runs += 1
            continue
        runs += 1
        for pseudonym in committees[0]:
            hits[type_of[pseudonym]] += 1
    per_type = {t: hits[t] / (runs * type_size[t]) for t in type_size}
    # The smallest estimate is biased low by noise; the smallest 95% upper confidence
    # bound (Clopper-Pearson per type) is a sound "legacy min <= x" statement.
    upper = {t: float(beta.ppf(0.95, hits[t] + 1, runs * type_size[t] - hits[t])) for t in type_size}
    return {"runs": runs, "failures": failures, "min": min(per_type.values()), "min_upper": min(upper.values()),
            "min_type": "/".join(min(per_type, key=per_type.get))}


def main() -> None:
    logging.disable(logging.WARNING)  # sortition-algorithms logs every committee it finds
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120, help="time limit for their maximin, seconds")
    parser.add_argument("--legacy-seconds", type=float, default=20, help="simulation budget for legacy, seconds")
    parser.add_argument("--quick", action="store_true", help="only our algorithm")
    parser.add_argument("--families-only", action="store_true", help="only the second table (issue 21's pools)")
    parser.add_argument("--family-timeout", type=float, default=120,
                        help="time limit per algorithm and pool on the second table, seconds")
    parser.add_argument("--reference", default="2.3",
                        help="the version to compare with on the second table (2.3: the code before 2.4; 2.2; 2.1; "
                             "1.0)")
    parser.add_argument("--only", help="second table: only the pools whose name contains this (e.g. census4)")
    parser.add_argument("--time-limit", type=float, default=0,
                        help="second table: LOTTERY_TIME_LIMIT for our versions, seconds (0: none); a pool that "
                             "reaches it shows its minimum with the upper bound on the optimum")
    parser.add_argument("--child-maximin", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--child-ours", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--promise", action="store_true",
                        help="only the table's promise and the LP certificates on every pool up to 50,000 people "
                             "(issue 22; --time-limit applies, default 60 s; --family-timeout caps each pool)")
    parser.add_argument("--child-promise", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_promise:
        name, size, seats, limit = args.child_promise
        print(json.dumps(promise_check(name, int(size), int(seats), float(limit) or None)))
        return
    if args.promise:
        promise_table(args)
        return
    if args.child_maximin:
        name, size, seats = args.child_maximin
        print(json.dumps(their_maximin(int(size), int(seats), name)))
        return
    if args.child_ours:
        name, size, seats, version = args.child_ours
        print(json.dumps(ours_version(name, int(size), int(seats), version)))
        return

    try:
        import sortition_algorithms  # noqa: F401
        theirs_available = not args.quick
    except ImportError:
        theirs_available = False
        print("sortition-algorithms not importable: pip install -r requirements-bench.txt", file=sys.stderr)

    if args.time_limit:
        os.environ["BENCH_LOTTERY_TIME_LIMIT"] = str(args.time_limit)  # the children read it
    if not args.families_only:
        first_table(args, theirs_available)
    families_table(args, theirs_available)


def first_table(args, theirs_available: bool) -> None:
    header = (f"{'instance':>14} | {'ours s':>7} {'min':>8} {'max':>8} {'round s':>7} {'dev':>7} {'bound':>7} | "
              f"{'maximin s':>12} {'min':>8} {'max':>8} | {'legacy min':>10} {'<= (95%)':>8} {'runs':>5} | targets")
    print(header)
    print("-" * len(header))
    for size, seats in INSTANCES:
        mine = ours(size, seats)
        name = f"{size:,}/{seats}"
        line = (f"{name:>14} | {mine['time']:7.2f} {mine['min']:8.5f} {mine['max']:8.5f} "
                f"{mine['rounding_time']:7.2f} {mine['rounding_deviation']:7.5f} {mine['rounding_bound']:7.5f} | ")
        targets = []
        if theirs_available:
            maximin = their_maximin_with_timeout(size, seats, args.timeout)
            if "timeout" in maximin:
                label = "timeout %.0fs" % maximin["timeout"]
                line += f"{label:>12} {'-':>8} {'-':>8} | "
                targets.append("min vs maximin: n/a (timeout)")
            elif "error" in maximin:
                line += f"{'error':>12} {'-':>8} {'-':>8} | "
                targets.append(f"maximin error: {maximin['error'][:60]}")
            else:
                line += f"{maximin['time']:12.2f} {maximin['min']:8.5f} {maximin['max']:8.5f} | "
                met = mine["min"] >= maximin["min"] - 1e-6
                targets.append(f"min >= maximin: {'yes' if met else 'NO'}")
            legacy = their_legacy(size, seats, args.legacy_seconds)
            line += f"{legacy['min']:10.5f} {legacy['min_upper']:8.5f} {legacy['runs']:5d} | "
        else:
            line += f"{'-':>12} {'-':>8} {'-':>8} | {'-':>10} {'-':>8} {'-':>5} | "
        if (size, seats) == (10_000, 100):
            targets.append(f"< 5 s: {'yes' if mine['time'] < 5 else 'NO'}")
        print(line + "; ".join(targets), flush=True)
    print("\nours: leximin over types (column generation, HiGHS); round = table of 1,000 panels, "
          "dev = worst |table share - leximin|, bound = promised bound.\n"
          "legacy min: smallest per-type selection frequency of its greedy algorithm over `runs` draws;\n"
          "<= (95%): the smallest 95% upper confidence bound, so legacy's true minimum is at most this.")


def _seconds(result: dict, key: str = "cpu") -> str:
    if "timeout" in result:
        return "> %.0f" % result["timeout"]
    if "error" in result:
        return "error"
    return f"{result[key]:.2f}"


def families_table(args, theirs_available: bool) -> None:
    """Issue 21's pools: the default version beside the reference (version 2.3, the code before
    2.4, run unchanged in the same bench), and sortition-algorithms' maximin; each time-limited."""
    print()
    header = (f"{'pool':>22} {'types':>5} | {ALGORITHM_VERSION + ' cpu s':>9} {'wall s':>7} {'round s':>7} "
              f"{'min':>8} | {args.reference + ' cpu s':>9} {'round s':>7} {'max |diff|':>10} | "
              f"{'their maximin s':>15} {'min':>8}")
    print(header)
    print("-" * len(header))
    for name, size, seats in FAMILY_INSTANCES:
        if args.only and args.only not in f"{name} {size}/{seats}":
            continue
        new = ours_with_timeout(name, size, seats, ALGORITHM_VERSION, args.family_timeout)
        old = ours_with_timeout(name, size, seats, args.reference, args.family_timeout)
        types = new.get("types", old.get("types", "-"))
        line = f"{f'{name} {size:,}/{seats}':>22} {types:>5} | {_seconds(new):>9} {_seconds(new, 'time'):>7} "
        line += f"{_seconds(new, 'rounding_cpu'):>7} "
        line += f"{new['min']:8.5f} | " if "min" in new else f"{'-':>8} | "
        line += f"{_seconds(old):>9} {_seconds(old, 'rounding_cpu'):>7} "
        if "probabilities" in new and "probabilities" in old:
            difference = max(abs(a - b) for a, b in zip(new["probabilities"], old["probabilities"]))
            line += f"{difference:10.1e} | "
        else:
            line += f"{'-':>10} | "
        if theirs_available and name != "census4h":
            theirs = their_maximin_with_timeout(size, seats, args.timeout, name)
            line += f"{_seconds(theirs, 'time'):>15} " + (f"{theirs['min']:8.5f}" if "min" in theirs else f"{'-':>8}")
        else:
            line += f"{'-':>15} {'-':>8}"
        for label, result in ((ALGORITHM_VERSION, new), (args.reference, old)):
            if result.get("limited"):
                bound = result["limited"]["upper_bound"]
                line += (f"  [{label}: time limit reached, min {result['min']:.5f}, optimum <= "
                         f"{'-' if bound is None else f'{bound:.5f}'}]")
        print(line, flush=True)
    print(f"\n{ALGORITHM_VERSION}: our default version, {args.reference}: the reference (full leximin, CPU seconds of "
          "the child process;\nwall s beside); round s: rounding to the table of 1,000 panels (CPU); max |diff|: "
          "largest difference\nbetween the two versions' probabilities; their maximin: sortition-algorithms "
          "(wall seconds, --timeout).\n'> N': stopped at the time limit (--family-timeout).")


if __name__ == "__main__":
    main()
