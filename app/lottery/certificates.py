"""LP dual certificates of the leximin stages: optimality that anyone can check (issue 22).

What a certificate proves
=========================

A panel is an integer vector ``c`` of seat counts per type (``0 <= c_t <= n_t``, ``sum c_t = k``,
every quota row ``L_q <= sum_{t in q} c_t <= U_q``, every household row ``sum_{t in h} c_t <= H_h``).
A distribution over panels gives type t the probability ``pi_t = E[c_t] / n_t``. Leximin proceeds in
stages: stage s maximises the lowest probability among the types not fixed yet (``U_s``), keeping
every type fixed earlier at least at its published probability (``f_t``, within the tolerance the
value of the stage that fixed it; using the stage value instead lets the tolerances add up from
stage to stage).

The certificate of stage s holds its value ``value`` (ℓ_s), the types it fixes, weights ``w_t >= 0``
(summing to 1 over ``U_s``; the types fixed earlier may carry weight too) and a dual solution of the
**pricing problem** ``max sum_t (w_t / n_t) x_t`` over the *relaxed* panel polytope (continuous
counts): ``seats`` (α, free), per quota row ``[lower, upper]`` (β⁻, β⁺ >= 0), per household row
``upper`` (β⁺ >= 0). With ``γ_t = max(0, w_t/n_t - α - sum_{q ∋ t}(β⁺_q - β⁻_q))`` the number

    D = α k + sum_q (β⁺_q U_q - β⁻_q L_q) + sum_h β⁺_h H_h + sum_t γ_t n_t

is, by weak LP duality, at least ``sum_t (w_t / n_t) c_t`` for every panel (every integer point lies
in the relaxed polytope), so for every distribution keeping the earlier stages

    min_{t in U_s} pi_t <= sum_{U_s} w_t pi_t / sum_{U_s} w_t
                       <= (D - sum_{t fixed} w_t f_t) / sum_{U_s} w_t  =: bound.

**The check** (no LP solver needed; :func:`check_certificate`, and the same arithmetic in
``scripts/verify_lottery.py``): (a) the primal: the published distribution (``distribution``:
panels as sparse type counts with weights) consists of feasible panels with weights >= 0 summing to
1, its marginals are the recorded probabilities, every type of ``U_s`` has ``pi_t >= ℓ_s``, and the
types the stage fixes have ``pi_t <= ℓ_s`` (within :data:`TOLERANCE`); (b) the dual bound: the bound
computed as above from the published numbers is at most ``ℓ_s + TOLERANCE``. Then no distribution
does better at stage s, and every type fixed there (it needs ``w_t >= MIN_FIX_WEIGHT``) has
``pi_t <= ℓ_s + TOLERANCE / w_t`` in every distribution that is as good: fixing it is forced. By
induction over the stages, the recorded probabilities are leximin-optimal up to the tolerance.
(b) also holds for every published panel (the table's rows and the distribution's panels are
checked against D directly, a sanity check of the arithmetic).

The relaxation is exact when the leximin over the relaxed polytope is realised by panels (algorithm
versions 2.x decompose it, see :mod:`app.lottery.relaxed`). Where it is not (the rare fallback to
the exact column generation), the relaxed bound of some stage exceeds its value: that stage gets an
``integer`` certificate instead, ``max_panel_value`` μ >= ``sum_t (w_t/n_t) c_t`` for every panel,
proven by an integer program (``flask lottery verify`` solves it with HiGHS; the single-file
verifier checks μ on the published panels only and says that the rest needs a MILP solver).

The certificates are computed afterwards from the final probabilities (the algorithm's result is not
changed): one persistent dual LP, warm-started from stage to stage.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Mapping, Sequence

import numpy as np

from app.lottery import algorithm
from app.lottery.algorithm import Distribution, Pool
from app.core.logs import log_event
from app.lottery.errors import LotteryError

#: Certificate format name, in the audit file (``leximin_certificate.method``).
METHOD = "leximin stage duals over the relaxed panel polytope (issue 22), app/lottery/certificates.py"
#: Primal and dual comparisons allow this much (probabilities are 0..1; the recorded ones are rounded
#: to 12 digits, the decomposition is exact to 1e-7).
TOLERANCE = 1e-6
#: A type fixed by a stage needs at least this weight (complementary slackness forces it then).
MIN_FIX_WEIGHT = 1e-6
_WEIGHT_ZERO = 1e-12
#: Column generation rounds of an integer stage (the last dual found is published; if it is not yet
#: optimal, its bound exceeds the value and the check says so).
_MAX_INTEGER_ROUNDS = 2_000


def _rows(pool: Pool) -> tuple[list[tuple[int, int, list[int]]], list[tuple[int, list[int]]]]:
    quota_rows = [(low, high, list(members)) for _, _, low, high, members in pool.quota_rows()]
    household_rows = [(count, list(members)) for count, members in pool.household_rows]
    return quota_rows, household_rows


class _StageDual:
    """The dual of one leximin stage over the relaxed polytope, as a persistent HiGHS model.

    Columns: w_t (t = 0..T-1, >= 0), α (free), β⁻_q, β⁺_q (>= 0), β⁺_h (>= 0), γ_t (>= 0).
    Rows: ``sum_{t unfixed} w_t = 1``; per type ``w_t/n_t - α - sum_q (β⁺_q - β⁻_q) - sum_h β⁺_h - γ_t <= 0``.
    Objective (minimise): ``α k + sum(β⁺U - β⁻L) + sum β⁺_h H_h + sum γ_t n_t - sum_{fixed} w_t f_t``.
    """

    def __init__(self, pool: Pool) -> None:
        sizes = [g.size for g in pool.types]
        count = len(sizes)
        quota_rows, household_rows = _rows(pool)
        self.count, self.quotas, self.households = count, len(quota_rows), len(household_rows)
        highs = algorithm._new_highs()
        algorithm._add_row(highs, 1.0, 1.0, [])
        for _ in range(count):
            algorithm._add_row(highs, -math.inf, 0.0, [])
        algorithm._add_columns(highs, [0.0] * count, [0.0] * count, [math.inf] * count,
                               [[(0, 1.0), (1 + t, 1.0 / sizes[t])] for t in range(count)])
        algorithm._add_columns(highs, [float(pool.seats)], [-math.inf], [math.inf],
                               [[(1 + t, -1.0) for t in range(count)]])
        columns, costs = [], []
        for low, high, members in quota_rows:
            columns += [[(1 + t, 1.0) for t in members], [(1 + t, -1.0) for t in members]]
            costs += [-float(low), float(high)]
        for cap, members in household_rows:
            columns.append([(1 + t, -1.0) for t in members])
            costs.append(float(cap))
        columns += [[(1 + t, -1.0)] for t in range(count)]
        costs += [float(s) for s in sizes]
        algorithm._add_columns(highs, costs, [0.0] * len(costs), [math.inf] * len(costs), columns)
        self.highs = highs

    def fix(self, t: int, value: float) -> None:
        """Type t is fixed at ``value``: it leaves the sum row and its weight earns ``-value``."""
        self.highs.changeCoeff(0, t, 0.0)
        self.highs.changeColCost(t, -float(value))

    def solve(self) -> tuple[float, np.ndarray]:
        solution = algorithm.solve_fairness_lp(self.highs)
        return float(self.highs.getInfo().objective_function_value), np.asarray(solution.col_value)


def _sparse(values: Sequence[float], start: int = 0) -> list[list]:
    return [[start + i, float(v)] for i, v in enumerate(values) if abs(v) > _WEIGHT_ZERO]


def compute_certificate(distribution: Distribution) -> dict[str, Any] | None:
    """The certificates of every leximin stage of ``distribution`` (None if the time limit ended it:
    such a distribution is not the optimum and has none, or if HiGHS fails on a stage's dual: the
    commitment never waits for or fails on its certificate)."""
    if distribution.limited is not None:
        return None
    try:
        return _certificate(distribution)
    except LotteryError as exc:
        log_event("lottery.certificate_failed", logging.WARNING, code=exc.code)
        return None


def _certificate(distribution: Distribution) -> dict[str, Any]:
    pool = distribution.pool
    count = len(pool.types)
    pi = np.asarray(distribution.type_probabilities, dtype=np.float64)
    dual = _StageDual(pool)
    unfixed = set(range(count))
    fixed_at: dict[int, float] = {}
    stages = []
    while unfixed:
        bound, x = dual.solve()
        weights = x[:count]
        value = float(min(pi[t] for t in unfixed))
        newly = sorted(t for t in unfixed if weights[t] >= MIN_FIX_WEIGHT and pi[t] <= value + TOLERANCE)
        kind = "relaxed"
        offset = count
        alpha = float(x[offset])
        betas = x[offset + 1:offset + 1 + 2 * dual.quotas + dual.households]
        stage: dict[str, Any] = {
            "value": value,
            "fixes": newly,
            "weights": _sparse(weights),
            "pricing": {"seats": alpha,
                        "quotas": [[float(betas[2 * q]), float(betas[2 * q + 1])] for q in range(dual.quotas)],
                        "households": [float(b) for b in betas[2 * dual.quotas:]]},
            "bound": bound,
        }
        if bound > value + TOLERANCE or not newly:
            kind = "integer"
            stage = _integer_stage(pool, distribution, unfixed, fixed_at, value)
            newly = stage["fixes"]
            if not newly:  # no certificate exists (the distribution is not leximin): publish what fails
                newly = stage["fixes"] = [min(unfixed, key=lambda t: (pi[t], t))]
        stage["kind"] = kind
        stages.append(stage)
        for t in newly:
            fixed_at[t] = float(pi[t])
            unfixed.discard(t)
            dual.fix(t, pi[t])
    return {
        "method": METHOD,
        "tolerance": TOLERANCE,
        "types": [{"first": g.members[0], "size": g.size} for g in pool.types],
        "distribution": [{"weight": float(w), "counts": [[t, int(c)] for t, c in enumerate(panel) if c]}
                         for panel, w in zip(distribution.panels, distribution.weights)],
        "stages": stages,
    }


def _integer_stage(pool: Pool, distribution: Distribution, unfixed: set[int], fixed_at: Mapping[int, float],
                   value: float) -> dict[str, Any]:
    """The stage's certificate over integer panels, by column generation: the restricted dual
    ``min μ - sum_{fixed} w_t f_t`` s.t. ``sum_U w_t = 1``, ``sum_t w_t c_Pt/n_t <= μ`` per known panel,
    priced by the panel integer program until no panel exceeds μ."""
    count = len(pool.types)
    sizes = np.array([g.size for g in pool.types], dtype=np.float64)
    polytope = algorithm._pool_polytope(pool)
    highs = algorithm._new_highs()
    algorithm._add_row(highs, 1.0, 1.0, [])
    costs = [(-fixed_at[t] if t in fixed_at else 0.0) for t in range(count)]
    algorithm._add_columns(highs, costs, [0.0] * count, [math.inf] * count,
                           [[(0, 1.0)] if t in unfixed else [] for t in range(count)])
    algorithm._add_columns(highs, [1.0], [-math.inf], [math.inf], [[]])
    known: set[tuple[int, ...]] = set()

    def add(panel: tuple[int, ...]) -> None:
        known.add(panel)
        entries = [(t, c / sizes[t]) for t, c in enumerate(panel) if c] + [(count, -1.0)]
        algorithm._add_row(highs, -math.inf, 0.0, entries)

    for panel in distribution.panels:
        add(tuple(panel))
    for _ in range(_MAX_INTEGER_ROUNDS):
        algorithm.solve_fairness_lp(highs)
        x = np.asarray(highs.getSolution().col_value)
        weights, mu = x[:count], float(x[count])
        best, panel = polytope.best(list(weights / sizes))
        if best <= mu + 1e-10 or panel in known:
            break
        add(panel)
    mu = max(mu, best)
    bound = (mu - sum(weights[t] * f for t, f in fixed_at.items())) / sum(weights[t] for t in unfixed)
    pi = distribution.type_probabilities
    fixes = sorted(t for t in unfixed if weights[t] >= MIN_FIX_WEIGHT and pi[t] <= value + TOLERANCE)
    return {"value": value, "fixes": fixes, "weights": _sparse(weights), "max_panel_value": mu,
            "bound": bound}


# --------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------


def check_certificate(certificate: Any, pool: Pool, recorded: Mapping[str, float],
                      panels: Sequence[Sequence[str]] = (), solve_integer: bool = True) -> tuple[bool, str]:
    """Check a published certificate against the pool and the recorded probabilities (see the module
    docstring for what is proven). ``panels``: the table's rows (people), also checked against each
    stage's bound. ``solve_integer``: prove an ``integer`` stage's μ with the panel integer program.

    :return: ``(ok, detail)``.
    """
    try:
        return _check(certificate, pool, recorded, panels, solve_integer)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return False, f"certificate malformed ({type(exc).__name__}: {exc})"


def _check(certificate, pool, recorded, panels, solve_integer) -> tuple[bool, str]:
    count = len(pool.types)
    sizes = [g.size for g in pool.types]
    if [(t["first"], t["size"]) for t in certificate["types"]] != [(g.members[0], g.size) for g in pool.types]:
        return False, "the certificate's types are not the pool's types"
    quota_rows, household_rows = _rows(pool)
    rows = [(float(low), float(high), members) for low, high, members in quota_rows]
    rows += [(0.0, float(cap), members) for cap, members in household_rows]
    # (a) the primal: the distribution.
    marginal = [0.0] * count
    total = 0.0
    published: set[tuple[int, ...]] = set()  # every published panel, as seat counts per type
    for item in certificate["distribution"]:
        weight = float(item["weight"])
        counts = [0] * count
        for t, c in item["counts"]:
            if (isinstance(c, bool) or not isinstance(c, int) or isinstance(t, bool) or not isinstance(t, int)
                    or not 0 <= t < count):
                return False, "a panel of the distribution is malformed"
            counts[t] = c
        if weight < 0 or not _feasible(counts, sizes, pool.seats, rows):
            return False, "a panel of the distribution breaks the quotas or has a negative weight"
        total += weight
        for t, c in enumerate(counts):
            marginal[t] += weight * c / sizes[t]
        published.add(tuple(counts))
    if abs(total - 1.0) > TOLERANCE:
        return False, f"the distribution's weights add up to {total:.9f}, not 1"
    for t, group in enumerate(pool.types):
        if any(abs(recorded[p] - marginal[t]) > TOLERANCE for p in group.members):
            return False, f"the distribution gives {group.members[0]} {marginal[t]:.9f}, the record " \
                          f"{recorded[group.members[0]]:.9f}"
    type_of = pool.type_of
    for row in panels:
        counts = [0] * count
        for p in row:
            counts[type_of[p]] += 1
        published.add(tuple(counts))
    # The stages.
    unfixed = set(range(count))
    fixed_at: dict[int, float] = {}
    integer_stages = 0
    for number, stage in enumerate(certificate["stages"], start=1):
        value = float(stage["value"])
        weights = [0.0] * count
        for t, w in stage["weights"]:
            if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < count or float(w) < 0:
                return False, f"stage {number}: a weight is negative or of no type"
            weights[t] = float(w)
        fixes = list(stage["fixes"])
        if not fixes or not set(fixes) <= unfixed or len(set(fixes)) != len(fixes):
            return False, f"stage {number}: fixes no type, or one fixed already"
        if any(weights[t] < MIN_FIX_WEIGHT for t in fixes):
            return False, f"stage {number}: a fixed type has no weight"
        if min(marginal[t] for t in unfixed) < value - TOLERANCE:
            return False, f"stage {number}: a type's probability is below the stage value {value:.9f}"
        if any(marginal[t] > value + TOLERANCE for t in fixes):
            return False, f"stage {number}: a type fixed at {value:.9f} has a higher probability"
        unfixed_weight = sum(weights[t] for t in unfixed)
        if unfixed_weight < 1 - TOLERANCE:
            return False, f"stage {number}: the weights of the open types add up to {unfixed_weight:.9f}, not 1"
        if stage.get("kind") == "integer":
            integer_stages += 1
            mu = float(stage["max_panel_value"])
            if solve_integer:
                found = algorithm._pool_polytope(pool).best([weights[t] / sizes[t] for t in range(count)])
                if found is not None and found[0] > mu + TOLERANCE:
                    return False, f"stage {number}: a panel has dual value {found[0]:.9f} > {mu:.9f}"
        else:
            mu = _relaxed_dual_value(stage["pricing"], weights, sizes, pool.seats, rows)
        weighted = [(t, weights[t] / sizes[t]) for t in range(count) if weights[t]]
        for counts in published:
            if sum(w * counts[t] for t, w in weighted) > mu + TOLERANCE:
                return False, f"stage {number}: a published panel exceeds the dual bound"
        bound = (mu - sum(weights[t] * f for t, f in fixed_at.items())) / unfixed_weight
        if bound > value + TOLERANCE:
            return False, f"stage {number}: the dual bound {bound:.9f} exceeds the stage value {value:.9f}"
        for t in fixes:
            fixed_at[t] = marginal[t]
            unfixed.discard(t)
    if unfixed:
        return False, f"{len(unfixed)} type(s) fixed by no stage"
    return True, (f"{len(certificate['stages'])} stage(s), each value attained by the distribution and "
                  f"matched by its dual bound (tolerance {TOLERANCE:g})"
                  + (f"; {integer_stages} integer stage(s) proven with the panel integer program"
                     if integer_stages else ""))


def _feasible(counts, sizes, seats, rows) -> bool:
    if sum(counts) != seats or any(not 0 <= c <= s for c, s in zip(counts, sizes)):
        return False
    return all(low <= sum(counts[t] for t in members) <= high for low, high, members in rows)


def _relaxed_dual_value(pricing, weights, sizes, seats, rows) -> float:
    """D of the module docstring: an upper bound on ``sum_t (w_t/n_t) x_t`` over the relaxed polytope."""
    alpha = float(pricing["seats"])
    quota_duals = [(float(a), float(b)) for a, b in pricing["quotas"]]
    household_duals = [float(b) for b in pricing["households"]]
    if len(quota_duals) + len(household_duals) != len(rows):
        raise ValueError("pricing duals do not match the rows")
    duals = [(-lower, upper) for lower, upper in quota_duals] + [(0.0, upper) for upper in household_duals]
    if any(lower > 0 or upper < 0 for lower, upper in duals):
        raise ValueError("a negative row dual")
    value = alpha * seats
    reduced = [weights[t] / sizes[t] - alpha for t in range(len(sizes))]
    for (low, high, members), (minus, plus) in zip(rows, duals):
        # minus = -β⁻ <= 0, plus = β⁺ >= 0; row dual β⁺ - β⁻ enters each member's reduced cost.
        value += plus * high + minus * low
        for t in members:
            reduced[t] -= plus + minus
    return value + sum(max(0.0, r) * s for r, s in zip(reduced, sizes))
