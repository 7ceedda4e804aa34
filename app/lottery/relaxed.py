"""Algorithm version 2: leximin over the relaxed type polytope, then decomposition into panels.

Why it is exact
===============

A panel is an integer vector of seat counts per type; the leximin
distribution's type probabilities are ``E[count_t] / size_t`` and thus lie in
the convex hull H of the integer panels (scaled by the sizes). H is contained
in the **relaxed polytope** R: the same constraints (seat total, quotas,
``0 <= count_t <= size_t``) with continuous counts. Leximin over R is a
sequence of small LPs over T variables, with no panels at all
(:func:`relaxed_leximin`). Its result p* is the leximin-optimal point of R;
if p* also lies in H, it is the leximin-optimal point of H (nothing in H
beats it, since nothing in R does), i.e. the exact answer.

:func:`peel` first writes p* as a mixture of panels face by face (a
Carathéodory walk, no master LP); :func:`decompose` then checks, constructively
and starting from those panels, that p* is in H: column generation
finds panels whose convex combination has marginals p* (a master LP that
minimises the deviation from p*, priced by an integer program over panels).
If the deviation reaches (numerically) zero, the panels and weights are the
distribution. If it does not (p* outside H: the quota matrix is not totally
unimodular from three criteria on, so this can happen, mostly on tiny pools),
:func:`leximin_distribution_v2` falls back to the exact staged column
generation of version 1 (:func:`app.lottery.algorithm._leximin_column_generation`),
started with the panels found so far.

Everything is deterministic for the same input and HiGHS build (no time
limits; canonical order of types and panels), as the table requires.
"""

from __future__ import annotations

import math
from typing import Sequence

import highspy
import numpy as np
from flask_babel import lazy_gettext as _l

from app.lottery import algorithm  # imports this module only inside a function
from app.lottery.errors import LotteryError

#: Largest |decomposed probability - relaxed leximin probability| accepted.
DECOMPOSITION_TOLERANCE = 1e-7
_RELAXED_FIX_SLACK = 1e-10
_DUAL_FIX_THRESHOLD = 1e-7
_PRICING_TOLERANCE = 1e-10
_MAX_DECOMPOSITION_ROUNDS = 5_000
_ROUNDING_NODE_BUDGET = 2_000
_PANELS_PER_ROUND = 4
_TIGHT = 1e-9  # a constraint this close to its bound counts as tight when peeling


def relaxed_leximin(sizes: Sequence[int], seats: int,
                    quota_rows: Sequence[tuple[float, float, Sequence[int]]],
                    progress: algorithm.Progress | None = None) -> np.ndarray:
    """Leximin type probabilities over the relaxed polytope (continuous seat counts).

    One persistent LP: columns p_t in [0, 1] (type t's probability) and the
    level z; rows ``sum size_t p_t = seats``, one per quota, and
    ``p_t - z >= 0`` per unfixed type. Each stage maximises z; every type whose
    row has a positive dual price cannot rise above z in any optimal solution
    (complementary slackness), so it is fixed there (its lower bound set to
    z, its row dropped) and the next stage raises the others.

    :return: p*, one probability per type.
    :raises LotteryError: ``solver`` if HiGHS fails (the pool must be feasible).
    """
    count = len(sizes)
    highs = algorithm._new_highs()
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    level_column = count
    columns = [[] for _ in range(count)]
    row = 0
    for t, s in enumerate(sizes):
        columns[t].append((row, float(s)))
    rows = [(float(seats), float(seats))]
    for low, high, members in quota_rows:
        row += 1
        for t in members:
            columns[t].append((row, float(sizes[t])))
        rows.append((float(low), float(high)))
    first_type_row = row + 1
    for t in range(count):
        columns[t].append((first_type_row + t, 1.0))
        rows.append((0.0, math.inf))
    for low, high in rows:
        algorithm._add_row(highs, low, high, [])
    algorithm._add_columns(highs, [0.0] * count, [0.0] * count, [1.0] * count, columns)
    algorithm._add_columns(highs, [1.0], [0.0], [1.0], [[(first_type_row + t, -1.0) for t in range(count)]])

    fixed = np.full(count, np.nan)
    unfixed = set(range(count))
    while unfixed:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise LotteryError("solver", _l("The fairness LP failed (%(status)s).",
                                            status=highs.modelStatusToString(highs.getModelStatus())))
        solution = highs.getSolution()
        level = float(solution.col_value[level_column])
        budget = algorithm.budget()
        if budget.bound is None:
            budget.bound = level  # the relaxation's minimum: no panel mixture does better
        budget.check()
        prices = -np.asarray(solution.row_dual)[first_type_row:first_type_row + count]
        to_fix = [t for t in sorted(unfixed) if prices[t] > _DUAL_FIX_THRESHOLD]
        if not to_fix:  # numerically flat duals: fix the most constrained type
            to_fix = [max(unfixed, key=lambda t: (prices[t], -t))]
        for t in to_fix:
            fixed[t] = level
            unfixed.discard(t)
            highs.changeCoeff(first_type_row + t, level_column, 0.0)
            highs.changeRowBounds(first_type_row + t, -math.inf, math.inf)
            highs.changeColBounds(t, max(0.0, level - _RELAXED_FIX_SLACK), 1.0)
        if progress is not None:
            progress("fairness", 1 - len(unfixed) / count, float(np.nanmin(fixed)))
    return fixed


class _DecompositionMaster:
    """Master LP: panel weights whose marginals are as close to p* as possible.

    Columns: one weight per panel, then deviations d+_t, d-_t >= 0 (cost 1).
    Rows: weights sum to 1; per type ``sum_P w_P c_Pt / size_t + d+_t - d-_t = p*_t``.
    """

    def __init__(self, sizes: Sequence[int], targets: np.ndarray) -> None:
        self.sizes = list(sizes)
        self.highs = algorithm._new_highs()
        self.highs.setOptionValue("simplex_strategy", 4)  # primal: new columns keep the basis feasible
        count = len(sizes)
        algorithm._add_row(self.highs, 1.0, 1.0, [])
        for t in range(count):
            algorithm._add_row(self.highs, float(targets[t]), float(targets[t]), [])
        deviations = [[(1 + t, 1.0)] for t in range(count)] + [[(1 + t, -1.0)] for t in range(count)]
        algorithm._add_columns(self.highs, [1.0] * (2 * count), [0.0] * (2 * count), [math.inf] * (2 * count),
                               deviations)
        self.offset = 2 * count
        self.panels: list[tuple[int, ...]] = []
        self.known: set[tuple[int, ...]] = set()

    def add(self, panels: Sequence[tuple[int, ...]]) -> int:
        """Add the new ones among ``panels``; return how many were new."""
        new = [p for p in dict.fromkeys(panels) if p not in self.known]
        if new:
            columns = [[(0, 1.0)] + [(1 + t, c / self.sizes[t]) for t, c in enumerate(p) if c] for p in new]
            algorithm._add_columns(self.highs, [0.0] * len(new), [0.0] * len(new), [math.inf] * len(new), columns)
            self.panels.extend(new)
            self.known.update(new)
        return len(new)

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray, np.ndarray]:
        """:return: (total deviation, type duals, sum-row dual, panel weights, marginals)."""
        solution = algorithm.solve_fairness_lp(self.highs)
        duals = np.asarray(solution.row_dual)
        values = np.asarray(solution.col_value)
        weights = values[self.offset:]
        deviation = float(self.highs.getInfo().objective_function_value)
        return deviation, duals[1:], float(duals[0]), weights, values[:self.offset]


class _Pricer:
    """Pricing for the decomposition: the best panel for given per-type prices.

    :meth:`heuristic` solves the LP relaxation (one persistent, warm-started
    model; only the costs change), keeps its integral counts and solves the
    panel integer program over the few fractional types only. It is fast
    but may miss the best panel; :meth:`exact` solves the full integer program.
    """

    def __init__(self, pool) -> None:
        self.sizes = [g.size for g in pool.types]
        self.count = len(self.sizes)
        self.indices = np.arange(self.count, dtype=np.int32)
        rows = pool.panel_rows()
        self.mip = algorithm._PanelPolytope(self.sizes, pool.seats, rows)
        self.lp = algorithm._new_highs()
        self.lp.changeObjectiveSense(highspy.ObjSense.kMaximize)
        algorithm._add_columns(self.lp, [0.0] * self.count, [0.0] * self.count, [float(s) for s in self.sizes])
        algorithm._add_row(self.lp, pool.seats, pool.seats, [(t, 1.0) for t in range(self.count)])
        for low, high, members in rows:
            algorithm._add_row(self.lp, low, high, [(t, 1.0) for t in members])
        self.rows = [(float(pool.seats), float(pool.seats), list(range(self.count)))] + rows

    def heuristic(self, prices: Sequence[float], wanted: int = 1) -> list[tuple[int, ...]]:
        self.lp.changeColsCost(self.count, self.indices, np.asarray(prices, dtype=np.float64))
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return []
        values = np.asarray(self.lp.getSolution().col_value)
        nearest = np.round(values)
        fractional = np.abs(values - nearest) > 1e-7
        if not fractional.any():
            return [tuple(int(v) for v in nearest)]
        return self._round(values, nearest, fractional, prices, wanted, self.rows)

    def in_face(self, prices: Sequence[float], low: np.ndarray, high: np.ndarray,
                row_bounds: Sequence[tuple[float, float]]) -> tuple[int, ...] | None:
        """A panel within the given count bounds and row bounds (a face of the polytope), or None.

        The LP relaxation and a rounding of its vertex first, the integer
        program if they find nothing; the models are restored afterwards.
        """
        rows = [(lo, hi, members) for (lo, hi), (_, _, members) in zip(row_bounds, self.rows)]
        count = len(rows)
        row_indices = np.arange(count, dtype=np.int32)
        row_low = np.asarray([lo for lo, _ in row_bounds], dtype=np.float64)
        row_high = np.asarray([hi for _, hi in row_bounds], dtype=np.float64)
        original_low = np.asarray([lo for lo, _, _ in self.rows], dtype=np.float64)
        original_high = np.asarray([hi for _, hi, _ in self.rows], dtype=np.float64)
        upper = np.asarray(self.sizes, dtype=np.float64)
        try:
            self.lp.changeColsBounds(self.count, self.indices, low, high)
            self.lp.changeRowsBounds(count, row_indices, row_low, row_high)
            self.lp.changeColsCost(self.count, self.indices, np.asarray(prices, dtype=np.float64))
            self.lp.run()
            if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            values = np.asarray(self.lp.getSolution().col_value)
            nearest = np.round(values)
            fractional = np.abs(values - nearest) > 1e-7
            if not fractional.any():
                return tuple(int(v) for v in nearest)
            found = self._round(values, nearest, fractional, prices, 1, rows)
            if found:
                return found[0]
            mip = self.mip.highs
            mip.changeColsBounds(self.count, self.indices, low, high)
            mip.changeRowsBounds(count, row_indices, row_low, row_high)
            best = self.mip.best(prices)
            return None if best is None else best[1]
        finally:
            self.lp.changeColsBounds(self.count, self.indices, np.zeros(self.count), upper)
            self.lp.changeRowsBounds(count, row_indices, original_low, original_high)
            self.mip.highs.changeColsBounds(self.count, self.indices, np.zeros(self.count), upper)
            self.mip.highs.changeRowsBounds(count, row_indices, original_low, original_high)

    def _round(self, values: np.ndarray, nearest: np.ndarray, fractional: np.ndarray,
               prices: Sequence[float], wanted: int,
               rows: Sequence[tuple[float, float, Sequence[int]]]) -> list[tuple[int, ...]]:
        """Keep the integral counts, choose floor or ceil of the fractional ones.

        A depth-first search over the few fractional types (highest price
        first, ceil before floor) with the quota rows as pruning; returns up
        to ``wanted`` panels, or none when it runs out of its node budget.
        """
        free = [int(t) for t in np.flatnonzero(fractional)]
        free.sort(key=lambda t: (-prices[t], t))
        base = np.where(fractional, np.floor(values), nearest)
        row_of: list[list[int]] = [[] for _ in free]
        need_low, need_high, remaining = [], [], []
        position = {t: j for j, t in enumerate(free)}
        for r, (low, high, members) in enumerate(rows):
            used = float(sum(base[t] for t in members))
            need_low.append(low - used)
            need_high.append(high - used)
            remaining.append(sum(1 for t in members if t in position))
            for t in members:
                if t in position:
                    row_of[position[t]].append(r)
        if any(lo > rem + 1e-9 or hi < -1e-9 for lo, hi, rem in zip(need_low, need_high, remaining)):
            return []
        found: list[tuple[int, ...]] = []
        chosen = [0] * len(free)
        taken = [0] * len(rows)
        budget = [_ROUNDING_NODE_BUDGET]

        def search(j: int) -> None:
            if len(found) >= wanted or budget[0] <= 0:
                return
            budget[0] -= 1
            if j == len(free):
                counts = base.copy()
                for k, t in enumerate(free):
                    counts[t] += chosen[k]
                found.append(tuple(int(c) for c in counts))
                return
            rows = row_of[j]
            for r in rows:
                remaining[r] -= 1
            for bit in (1, 0):
                if all(taken[r] + bit <= need_high[r] + 1e-9 and taken[r] + bit + remaining[r] >= need_low[r] - 1e-9
                       for r in rows):
                    chosen[j] = bit
                    for r in rows:
                        taken[r] += bit
                    search(j + 1)
                    for r in rows:
                        taken[r] -= bit
            chosen[j] = 0
            for r in rows:
                remaining[r] += 1

        search(0)
        return found

    def exact(self, prices: Sequence[float]) -> tuple[float, tuple[int, ...]]:
        found = self.mip.best(prices)
        assert found is not None  # the pool is feasible
        return found


def decompose(pool, targets: np.ndarray, start: Sequence[tuple[int, ...]], pricer: _Pricer | None = None,
              progress: algorithm.Progress | None = None) -> tuple[list[tuple[int, ...]], np.ndarray, float]:
    """Panels and weights whose type probabilities equal ``targets`` as closely as possible.

    Column generation on :class:`_DecompositionMaster`: a panel c improves the
    LP iff ``sum_t y_t c_t / size_t + y_0 > 0`` for the row duals y, so the
    pricing problem is the best panel for weights ``y_t / size_t``, solved on
    the reusable panel integer program. It stops when the deviation is zero
    (``targets`` decomposed) or no panel improves (``targets`` outside the
    hull of the panels, up to numerics).

    :return: (panels, weights, largest |marginal - target| over types).
    """
    sizes = [g.size for g in pool.types]
    pricer = pricer or _Pricer(pool)
    master = _DecompositionMaster(sizes, targets)
    master.add(list(start))
    weights = np.zeros(0)
    first_deviation = None
    for _ in range(_MAX_DECOMPOSITION_ROUNDS):
        algorithm.budget().check(master.panels)
        deviation, duals, sum_dual, weights, _ = master.solve()
        if deviation <= DECOMPOSITION_TOLERANCE / 10:
            break
        if progress is not None:  # the deviation falls towards 0; its logarithm is a fair measure of the way
            first_deviation = first_deviation or deviation
            ratio = math.log(first_deviation / deviation) / math.log(first_deviation * 10 / DECOMPOSITION_TOLERANCE)
            progress("panels", min(max(ratio, 0.0), 0.99), None)
        prices = [duals[t] / sizes[t] for t in range(len(sizes))]
        candidates = [c for c in pricer.heuristic(prices, _PANELS_PER_ROUND)
                      if np.dot(prices, c) + sum_dual > _PRICING_TOLERANCE]
        if master.add(candidates):
            continue
        value, counts = pricer.exact(prices)
        if value + sum_dual <= _PRICING_TOLERANCE or not master.add([counts]):
            break
    marginals = np.zeros(len(sizes))
    for panel, weight in zip(master.panels, weights):
        if weight > 0:
            marginals += weight * np.asarray(panel, dtype=np.float64)
    marginals /= np.asarray(sizes, dtype=np.float64)
    return master.panels, np.asarray(weights), float(np.max(np.abs(marginals - targets)))


def peel(pool, targets: np.ndarray, pricer: _Pricer) -> tuple[list[tuple[int, ...]], list[float], float]:
    """Write the expected counts as a mixture of panels, one face of the polytope at a time.

    With y the remaining expected counts (first ``p*_t size_t``) and the weight
    still to place b (first 1): find a panel c on the smallest face of the
    relaxed polytope that contains y (every bound and quota that is tight at y
    is tight at c), give it the largest weight ``theta * b`` for which
    ``y' = (y - theta c) / (1 - theta)`` stays in the polytope, and go on with
    y'. Each step makes one more constraint tight, so after at most ``T + 1 +
    quotas`` steps y is a panel itself, unless a face has no panel (y left the
    panels' hull): then it stops and returns what it has, with the weight
    still unplaced; :func:`decompose` finishes from there.

    :return: (panels, weights, weight not placed).
    """
    sizes = np.asarray([g.size for g in pool.types], dtype=np.float64)
    remaining = np.clip(targets * sizes, 0.0, sizes)
    rows = pricer.rows
    members_of = [np.asarray(members, dtype=np.int64) for _, _, members in rows]
    panels: list[tuple[int, ...]] = []
    weights: list[float] = []
    budget = 1.0
    for _ in range(len(sizes) + len(rows) + 2):
        algorithm.budget().check(panels)
        sums = np.asarray([remaining[m].sum() for m in members_of])
        low = np.where(remaining <= _TIGHT, 0.0, np.where(sizes - remaining <= _TIGHT, sizes, 0.0))
        high = np.where(remaining <= _TIGHT, 0.0, sizes)
        bounds = []
        for (row_low, row_high, _), value in zip(rows, sums):
            if value - row_low <= _TIGHT:
                bounds.append((row_low, row_low))
            elif row_high - value <= _TIGHT:
                bounds.append((row_high, row_high))
            else:
                bounds.append((row_low, row_high))
        prices = remaining - np.floor(remaining)
        counts = pricer.in_face(prices, low, high, bounds)
        if counts is None:
            break
        panel = np.asarray(counts, dtype=np.float64)
        if np.max(np.abs(panel - remaining)) <= _TIGHT:
            panels.append(counts)
            weights.append(budget)
            budget = 0.0
            break
        # Largest theta with lo (1 - theta) <= a.y - theta a.c <= hi (1 - theta) for every row and bound.
        theta = 1.0
        for (row_low, row_high, _), value, members in zip(rows, sums, members_of):
            used = panel[members].sum()
            if used > row_low + _TIGHT:
                theta = min(theta, (value - row_low) / (used - row_low))
            if used < row_high - _TIGHT:
                theta = min(theta, (row_high - value) / (row_high - used))
        above = panel > _TIGHT
        if above.any():
            theta = min(theta, float(np.min(remaining[above] / panel[above])))
        below = panel < sizes - _TIGHT
        if below.any():
            theta = min(theta, float(np.min((sizes[below] - remaining[below]) / (sizes[below] - panel[below]))))
        if theta <= 1e-12 or theta >= 1.0:
            break
        panels.append(counts)
        weights.append(budget * theta)
        budget *= 1.0 - theta
        remaining = np.clip((remaining - theta * panel) / (1.0 - theta), 0.0, sizes)
    return panels, weights, budget


def systematic_panels(pool, targets: np.ndarray, orders: int = 4) -> list[tuple[int, ...]]:
    """Quota-satisfying panels from systematic sampling of the expected seat counts.

    Lay the types' expected counts ``x_t = p_t size_t`` end to end in an order
    (sorted by one criterion first) and read the counts off at ``u, u+1, ...,
    u+k-1`` for every breakpoint u: each panel has floor or ceil of every x_t,
    the first criterion's quotas hold automatically, and together the panels
    (weighted by the gaps between breakpoints) have exactly the marginals x.
    Those that meet every quota are a good starting set for :func:`decompose`.
    """
    sizes = np.asarray([g.size for g in pool.types], dtype=np.float64)
    expected = targets * sizes
    keys = [g.key for g in pool.types]
    rows = pool.panel_rows()
    membership = np.zeros((len(rows), len(keys)))
    for r, (_, _, members) in enumerate(rows):
        membership[r, list(members)] = 1.0
    row_low = np.asarray([low for low, _, _ in rows], dtype=np.float64)
    row_high = np.asarray([high for _, high, _ in rows], dtype=np.float64)
    found: dict[tuple[int, ...], None] = {}
    for first in range(min(orders, len(pool.features))):
        order = np.asarray(sorted(range(len(keys)), key=lambda t: (keys[t][first:] + keys[t][:first], t)))
        ends = np.cumsum(expected[order])
        starts = ends - expected[order]
        # every breakpoint at once (one row each), in the same float operations as one at a time
        u = np.unique(np.round(np.mod(ends, 1.0), 12))[:, None] + 1e-9
        counts = np.zeros((len(u), len(keys)))
        counts[:, order] = np.floor(ends[None, :] - u + 1.0) - np.floor(starts[None, :] - u + 1.0)
        counts = np.clip(counts, 0, sizes[None, :])
        # a panel's row sums are sums of whole seat counts, so exact in floats
        totals = counts @ membership.T
        keep = ((counts.sum(axis=1) == pool.seats) & (totals >= row_low).all(axis=1) & (totals <= row_high).all(axis=1))
        for row in counts[keep]:
            found[tuple(int(c) for c in row)] = None
    return list(found)


def leximin_distribution_v2(pool, progress: algorithm.Progress | None = None, pricer_class: type | None = None):
    """Versions 2.0 to 2.3: :func:`relaxed_leximin`, :func:`peel` and :func:`decompose`, else the exact
    column generation. The versions differ only in how panels are found: ``pricer_class`` (2.0/2.1:
    :class:`_Pricer`; 2.2: :class:`app.lottery.fast.FastPricer`, whose faces fill the first half of
    the progress bar; 2.3: :class:`app.lottery.fast.SwapPricer`, whose peeled mixture is the result
    when it meets p* within :data:`DECOMPOSITION_TOLERANCE`).

    :param pool: a feasible pool with at least two types.
    :param progress: optional callback (:data:`~app.lottery.algorithm.Progress`).
    :return: the :class:`~app.lottery.algorithm.Distribution`.
    """
    sizes = [g.size for g in pool.types]
    rows = pool.panel_rows()
    targets = relaxed_leximin(sizes, pool.seats, rows, progress)
    minimum = float(np.min(targets))
    if progress is not None:
        progress("panels", 0.0, minimum)
    pricer = (pricer_class or _Pricer)(pool)
    counts_faces = hasattr(pricer, "on_face")
    if progress is not None and counts_faces:  # peeling takes at most about one face per type: half the bar
        faces = len(sizes) + len(rows) + 2
        pricer.on_face = lambda done: progress("panels", min(0.5, 0.5 * done / faces), minimum)
    peeled, peeled_weights, _ = peel(pool, targets, pricer)
    if counts_faces:
        pricer.on_face = None
    if getattr(pricer, "accepts_peel", False) and peeled:  # 2.3: the peeled mixture, if it is p* already
        weights = np.asarray(peeled_weights, dtype=np.float64)
        if weights.sum() > 0.5:
            weights = weights / weights.sum()
            marginals = (weights[:, None] * np.asarray(peeled, dtype=np.float64)).sum(axis=0) / np.asarray(sizes)
            if float(np.max(np.abs(marginals - targets))) <= DECOMPOSITION_TOLERANCE:
                return algorithm._distribution_from_weights(pool, peeled, weights)
    start = [algorithm.check_feasible(pool)] + peeled + systematic_panels(pool, targets)
    share, offset = (0.5, 0.5) if counts_faces else (1.0, 0.0)
    panels, weights, deviation = decompose(
        pool, targets, start, pricer,
        None if progress is None else (lambda stage, fraction, _m: progress(stage, offset + share * fraction,
                                                                            minimum)))
    if deviation <= DECOMPOSITION_TOLERANCE:
        return algorithm._distribution_from_weights(pool, panels, weights)
    # The relaxed optimum is not a mixture of panels: solve exactly, starting from the panels found.
    return algorithm._leximin_column_generation(pool, panels, progress)
