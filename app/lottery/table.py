"""The table of M panels that keeps the promise (algorithm version 2.1).

After Flanigan, Kehne & Procaccia, "Fair sortition made transparent"
(NeurIPS 2021): a uniform lottery over M panels whose per-person chances stay
within 1/M of the leximin probabilities, built by dependent rounding at the
level of types, generating further panels where the rounding needs them.

Guarantees (checked by :func:`table_promise` and by ``flask lottery verify``):

* **equal treatment**: members of one type appear in row counts that differ
  by at most one;
* **the bound**: every person with leximin probability p appears in more
  than ``M p - 1 - slack`` and fewer than ``M p + 1 + slack`` rows, so
  ``|share - p| < (1 + slack) / M``; in particular everyone with ``M p >= 1``
  is in at least ``floor(M p)`` rows (slack 0, the normal case; slack 1 only
  if the quotas' panels cannot add up to the tight counts);
* every row meets every quota.

Method:

1. Type level. Each type t should fill ``A*_t = M size_t p_t`` seats of the
   table; aim for an integer total ``A_t`` between ``size_t floor(M p_t)`` and
   ``size_t ceil(M p_t)`` (wider by ``size_t`` per unit of slack). Keep
   ``floor(M w_P)`` rows of each support panel P (weight w_P), and find the
   remaining ``s = M - sum floor(M w_P)`` rows as an integer vector Y of seat
   counts per type that lies in s times the quota polytope and brings every
   total into its interval (one small integer program); then split Y into s
   panels, one integer program per distinct panel (each panel taken as often
   as the rest stays splittable). Version 2.4 first takes a panel of the
   distribution itself where one fits (the highest cost among them), else an
   integral LP vertex, else a panel moved into the bounds by exchanging seats,
   and asks the integer program only when all of these fail.
2. Person level. Each type's ``A_t`` seats are dealt to its members
   round-robin in pseudonym order, continuing across rows, so no row repeats
   a person and counts differ by at most one.

The table size M is chosen to fit the pool (:func:`choose_table_size`): the
smallest of :data:`TABLE_SIZES` (all divide 10,000, so four ten-sided dice
pick a row uniformly) at which everyone with a positive probability has
``M p >= 1``, else 10,000.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Mapping, Sequence

import highspy
import numpy as np

from app.lottery.algorithm import (
    Distribution,
    PanelTable,
    Pool,
    _add_columns,
    _add_row,
    _new_highs,
    deal_to_members,
)
from app.lottery.fast import SwapPricer

#: Table sizes to choose from; each divides 10,000 (four ten-sided dice).
TABLE_SIZES = (1000, 2000, 5000, 10000)
#: How close M p must be to an integer to count as that integer (LP noise).
INTEGER_TOLERANCE = 1e-7


class RoundingFailed(Exception):
    """The panels of this pool cannot be rounded within the given slack."""


def choose_table_size(distribution: Distribution) -> int:
    """The smallest of :data:`TABLE_SIZES` giving everyone with p > 0 at least one row's worth (M p >= 1)."""
    positive = [p for p in distribution.type_probabilities if p > 1e-9]
    smallest = min(positive, default=1.0)
    for size in TABLE_SIZES:
        if size * smallest >= 1.0 - INTEGER_TOLERANCE:
            return size
    return TABLE_SIZES[-1]


def type_intervals(pool: Pool, type_probabilities: Sequence[float], table_size: int, slack: int = 0
                   ) -> list[tuple[int, int]]:
    """Per type, the interval of seat totals in the table that keeps the bound."""
    intervals = []
    for group, p in zip(pool.types, type_probabilities):
        target = table_size * p
        low = math.floor(target + INTEGER_TOLERANCE)
        high = math.ceil(target - INTEGER_TOLERANCE)
        intervals.append((group.size * max(0, low - slack), group.size * (high + slack)))
    return intervals


class _Splitter:
    """An integer program over one panel's seat counts per type, whose bounds are
    changed between solves (the quota rows and the type columns)."""

    def __init__(self, pool: Pool, first_found: bool = False,
                 candidates: Sequence[tuple[int, ...]] = ()) -> None:
        self.sizes = [g.size for g in pool.types]
        self.rows = pool.panel_rows()
        self.count = len(self.sizes)
        # the rows as a 0/1 matrix (without the seat total), for the integer bookkeeping of the split
        self.membership = np.zeros((len(self.rows), self.count), dtype=np.int64)
        for r, (_, _, members) in enumerate(self.rows):
            self.membership[r, list(members)] = 1
        self.size_vector = np.asarray(self.sizes, dtype=np.int64)
        self.row_low = np.asarray([low for low, _, _ in self.rows], dtype=np.int64)
        self.row_high = np.asarray([high for _, high, _ in self.rows], dtype=np.int64)
        #: version 2.4: the distribution's own panels, tried before any solve in the split (any panel
        #: within the split's bounds will do; these are panels already, and usually fit)
        self.candidates = np.asarray(candidates, dtype=np.int64).reshape(len(candidates), self.count)
        self.candidate_rows = self.candidates @ self.membership.T
        self.alive = np.ones(len(self.candidates), dtype=bool)
        self.pool = pool
        self._swapper = None
        self.highs = _new_highs()
        self.highs.setOptionValue("mip_rel_gap", 1e-6)
        _add_columns(self.highs, [0.0] * self.count, [0.0] * self.count, [float(s) for s in self.sizes])
        self.highs.changeColsIntegrality(self.count, np.arange(self.count, dtype=np.int32),
                                         np.array([highspy.HighsVarType.kInteger] * self.count))
        _add_row(self.highs, pool.seats, pool.seats, [(t, 1.0) for t in range(self.count)])
        for low, high, members in self.rows:
            _add_row(self.highs, low, high, [(t, 1.0) for t in members])
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.seats = pool.seats
        #: version 2.3: the split's panels are the integer program's first found (any panel that leaves
        #: a splittable rest will do; the costs only prefer some), the aggregate stays optimal
        self.first_found = first_found
        self.lp = None
        if first_found:  # the same rows with continuous counts: an integral vertex is a panel at once
            self.lp = _new_highs()
            _add_columns(self.lp, [0.0] * self.count, [0.0] * self.count, [float(s) for s in self.sizes])
            _add_row(self.lp, pool.seats, pool.seats, [(t, 1.0) for t in range(self.count)])
            for low, high, members in self.rows:
                _add_row(self.lp, low, high, [(t, 1.0) for t in members])
            self.lp.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def _solve(self, lower, upper, row_lower, row_upper, costs, first: bool = False,
               exchanged=None) -> tuple[int, ...] | None:
        if any(lo > up for lo, up in zip(lower, upper)) or any(lo > up for lo, up in zip(row_lower, row_upper)):
            return None
        index = np.arange(self.count, dtype=np.int32)
        self.highs.changeColsBounds(self.count, index, np.asarray(lower, dtype=np.float64),
                                    np.asarray(upper, dtype=np.float64))
        rows = len(row_lower)
        self.highs.changeRowsBounds(rows, np.arange(rows, dtype=np.int32), np.asarray(row_lower, dtype=np.float64),
                                    np.asarray(row_upper, dtype=np.float64))
        if first and self.lp is not None:
            found = self._vertex(index, lower, upper, rows, row_lower, row_upper, costs)
            if found is None and exchanged is not None:  # version 2.4: exchanges before the integer program
                found = exchanged()
            if found is not None:
                return found
        self.highs.changeColsCost(self.count, index, np.asarray(costs, dtype=np.float64))
        self.highs.setOptionValue("mip_max_improving_sols", 1 if first else 2**31 - 1)
        self.highs.run()
        accepted = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kSolutionLimit) if first else (
            highspy.HighsModelStatus.kOptimal,)
        if self.highs.getModelStatus() not in accepted:
            return None
        return tuple(int(round(v)) for v in self.highs.getSolution().col_value)

    def _vertex(self, index, lower, upper, rows, row_lower, row_upper, costs) -> tuple[int, ...] | None:
        """The LP relaxation's vertex (warm-started), if it is integral."""
        self.lp.changeColsBounds(self.count, index, np.asarray(lower, dtype=np.float64),
                                 np.asarray(upper, dtype=np.float64))
        self.lp.changeRowsBounds(rows, np.arange(rows, dtype=np.int32), np.asarray(row_lower, dtype=np.float64),
                                 np.asarray(row_upper, dtype=np.float64))
        self.lp.changeColsCost(self.count, index, np.asarray(costs, dtype=np.float64))
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        values = np.asarray(self.lp.getSolution().col_value)
        nearest = np.round(values)
        if np.any(np.abs(values - nearest) > INTEGER_TOLERANCE):
            return None
        return tuple(int(v) for v in nearest)

    def aggregate(self, rows: int, intervals: Sequence[tuple[int, int]], base: Sequence[int],
                  targets: Sequence[float]) -> tuple[int, ...] | None:
        """An integer Y in ``rows`` times the quota polytope with ``base + Y`` in the intervals."""
        lower = [max(0, lo - b) for (lo, _), b in zip(intervals, base)]
        upper = [min(rows * s, hi - b) for (_, hi), b, s in zip(intervals, base, self.sizes)]
        row_lower = [rows * self.seats] + [rows * low for low, _, _ in self.rows]
        row_upper = [rows * self.seats] + [rows * high for _, high, _ in self.rows]
        # Prefer totals near the exact targets (a linear stand-in: reward each type's deficit).
        costs = [(t - b) / max(1.0, rows * s) - 0.5 for t, b, s in zip(targets, base, self.sizes)]
        return self._solve(lower, upper, row_lower, row_upper, costs)

    def split(self, remaining: Sequence[int], rows: int) -> list[tuple[tuple[int, ...], int]]:
        """Split ``remaining`` (in ``rows`` times the quota polytope) into ``rows`` panels.

        :raises RoundingFailed: if no panel leaves a splittable rest.
        """
        remaining = np.asarray(remaining, dtype=np.int64)
        sizes = self.size_vector
        panels: list[tuple[tuple[int, ...], int]] = []
        while rows > 0:
            rest = rows - 1
            lower = np.maximum(0, remaining - rest * sizes)
            upper = np.minimum(sizes, remaining)
            totals = self.membership @ remaining
            row_lower = np.maximum(self.row_low, totals - rest * self.row_high)
            row_upper = np.minimum(self.row_high, totals - rest * self.row_low)
            costs = [int(y) / (rows * s) for y, s in zip(remaining, self.sizes)]
            panel = self._candidate(lower, upper, row_lower, row_upper, costs)
            if panel is None:
                exchanged = None if not len(self.candidates) or not self.pool.features else (
                    lambda: self._exchanged(lower, upper, row_lower, row_upper, costs))
                panel = self._solve(lower.tolist(), upper.tolist(), [self.seats] + row_lower.tolist(),
                                    [self.seats] + row_upper.tolist(), costs, self.first_found, exchanged)
            if panel is None:
                raise RoundingFailed
            times = self._repeat(panel, remaining, rows)
            panels.append((panel, times))
            remaining = remaining - times * np.asarray(panel, dtype=np.int64)
            rows -= times
        return panels

    def _candidate(self, lower, upper, row_lower, row_upper, costs) -> tuple[int, ...] | None:
        """Version 2.4: the candidate panel within the split's bounds with the highest cost (ties: the
        first in canonical order), or None."""
        if not len(self.candidates):
            return None
        # a candidate with more seats of a type than the rest holds never fits again (the rest only falls)
        self.alive &= (self.candidates <= upper).all(axis=1)
        costs = np.asarray(costs, dtype=np.float64)
        alive = np.flatnonzero(self.alive)
        fits = alive[((self.candidates[alive] >= lower).all(axis=1)
                      & (self.candidate_rows[alive] >= row_lower).all(axis=1)
                      & (self.candidate_rows[alive] <= row_upper).all(axis=1))]
        if len(fits):
            values = self.candidates[fits].astype(np.float64) @ costs
            return tuple(int(c) for c in self.candidates[int(fits[int(np.argmax(values))])])
        return None

    def _exchanged(self, lower, upper, row_lower, row_upper, costs) -> tuple[int, ...] | None:
        """Version 2.4: the candidate nearest the bounds (ties: the higher cost, then the first) moved into
        them by exchanging seats (:meth:`app.lottery.fast.SwapPricer._swap_onto_face`), or None."""
        costs = np.asarray(costs, dtype=np.float64)
        candidates, candidate_rows = self.candidates, self.candidate_rows
        violation = ((np.maximum(lower - candidates, 0) + np.maximum(candidates - upper, 0)).sum(axis=1)
                     + (np.maximum(row_lower - candidate_rows, 0)
                        + np.maximum(candidate_rows - row_upper, 0)).sum(axis=1))
        values = candidates.astype(np.float64) @ costs
        best = int(np.lexsort((np.arange(len(values)), -values, violation))[0])
        return self._exchange(candidates[best], lower, upper, row_lower, row_upper, costs)

    def _exchange(self, start, lower, upper, row_lower, row_upper, costs) -> tuple[int, ...] | None:
        """``start`` moved into the bounds by exchanging seats; a panel found so is a candidate from then on."""
        if self._swapper is None:  # moves a panel into the bounds by exchanging seats; built when first needed
            self._swapper = SwapPricer(self.pool)
        seats = np.full(1, float(self.seats))
        moved = self._swapper._swap_onto_face(
            np.asarray(start, dtype=np.float64), np.asarray(lower, dtype=np.float64),
            np.asarray(upper, dtype=np.float64), np.concatenate([seats, np.asarray(row_lower, dtype=np.float64)]),
            np.concatenate([seats, np.asarray(row_upper, dtype=np.float64)]), costs)
        if moved is None:
            return None
        self.candidates = np.vstack([self.candidates, np.asarray(moved, dtype=np.int64)[None, :]])
        self.candidate_rows = np.vstack([self.candidate_rows,
                                         (self.membership @ np.asarray(moved, dtype=np.int64))[None, :]])
        self.alive = np.append(self.alive, True)
        return moved

    def _repeat(self, panel: Sequence[int], remaining: Sequence[int], rows: int) -> int:
        """How often ``panel`` can be taken while the rest stays in the scaled polytope.

        Every condition is linear in the repetitions and holds for one, so each
        one that tightens caps the repetitions at ``floor(a / -b)``.
        """
        remaining = np.asarray(remaining, dtype=np.int64)
        panel = np.asarray(panel, dtype=np.int64)
        sizes = self.size_vector
        totals = self.membership @ remaining
        seats = self.membership @ panel
        a = np.concatenate([remaining, rows * sizes - remaining, totals - rows * self.row_low,
                            rows * self.row_high - totals])
        b = np.concatenate([-panel, panel - sizes, self.row_low - seats, seats - self.row_high])
        tightening = b < 0
        times = rows
        if tightening.any():
            times = min(times, int(np.min(a[tightening] // -b[tightening])))
        return max(1, times)


def _type_rows(distribution: Distribution, table_size: int, slack: int, first_found: bool = False,
               reuse: bool = False) -> list[tuple[tuple[int, ...], int]]:
    pool = distribution.pool
    intervals = type_intervals(pool, distribution.type_probabilities, table_size, slack)
    targets = [table_size * g.size * p for g, p in zip(pool.types, distribution.type_probabilities)]
    splitter = _Splitter(pool, first_found, distribution.panels if reuse else ())
    floors = [(panel, int(math.floor(table_size * w + 1e-9))) for panel, w in
              zip(distribution.panels, distribution.weights)]
    for start in (floors, []):
        kept = [(panel, m) for panel, m in start if m > 0]
        base = (np.asarray([m for _, m in kept], dtype=np.int64)
                @ np.asarray([panel for panel, _ in kept], dtype=np.int64).reshape(len(kept), len(pool.types))
                ).tolist()
        rows = table_size - sum(m for _, m in kept)
        if rows == 0:
            if all(lo <= b <= hi for b, (lo, hi) in zip(base, intervals)):
                return kept
            continue
        aggregate = splitter.aggregate(rows, intervals, base, targets)
        if aggregate is None:
            continue
        try:
            return kept + splitter.split(aggregate, rows)
        except RoundingFailed:
            continue
    raise RoundingFailed


def dependent_rounding(distribution: Distribution, table_size: int, first_found: bool = True,
                       reuse: bool = True) -> tuple[PanelTable, int]:
    """Round a distribution to a table of ``table_size`` panels of people (see the module docstring).

    :param first_found: split the rest into the first panels found (see :class:`_Splitter`): version 2.3
        and later; False for versions 2.1 and 2.2 (their tables, byte for byte).
    :param reuse: split the rest into the distribution's own panels where they fit, before any integer
        program: version 2.4 and later; False for 2.1 to 2.3 (their tables, byte for byte).

    :return: ``(table, slack)``; the table's ``bound`` is ``(1 + slack) / M``.
    :raises RoundingFailed: if even slack 2 fails (not seen on any pool).
    """
    pool = distribution.pool
    for slack in (0, 1, 2):
        try:
            type_rows = _type_rows(distribution, table_size, slack, first_found, reuse)
            break
        except RoundingFailed:
            continue
    else:
        raise RoundingFailed
    merged: Counter = Counter()
    for panel, times in type_rows:
        merged[panel] += times
    ordered = tuple(sorted(merged.items()))
    rows = deal_to_members(pool, ordered)
    table = PanelTable(rows, tuple(sorted(pool.applicants)), (1 + slack) / table_size + 1e-9, ordered)
    return table, slack


def table_promise(rows: Sequence[Sequence[str]], probabilities: Mapping[str, float],
                  groups: Sequence[Sequence[str]], slack: int = 0, tolerance: float = 1e-6
                  ) -> tuple[list[str], list[str]]:
    """Check a table against the promise, from the table itself.

    :param rows: the table.
    :param probabilities: pseudonym -> leximin probability.
    :param groups: the types (pseudonyms of identical answers).
    :param slack: the rounding slack (0 normally).
    :param tolerance: how far recomputed probabilities may be off.
    :return: ``(unequal types, people outside the bound)``, each a list of descriptions.
    """
    size = len(rows) or 1
    appearances = Counter(p for row in rows for p in row)
    unequal = []
    for members in groups:
        counts = [appearances[p] for p in members]
        if counts and max(counts) - min(counts) > 1:
            unequal.append(f"{members[counts.index(max(counts))]} in {max(counts)} rows, "
                           f"{members[counts.index(min(counts))]} in {min(counts)}")
    outside = []
    limit = 1 + slack + size * tolerance
    for pseudonym, p in probabilities.items():
        if abs(appearances[pseudonym] - size * p) >= limit:
            outside.append(f"{pseudonym} in {appearances[pseudonym]} rows, expected {size * p:.2f}")
    return unequal, outside
