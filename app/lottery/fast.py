"""Algorithm version 2.2: the probabilities of version 2.0/2.1, the panels found much faster.

What it computes is unchanged: the leximin probabilities over the relaxed type polytope
(:func:`app.lottery.relaxed.relaxed_leximin`), proven exact by writing them as a mixture of
quota-satisfying panels, and the exact staged column generation of version 1.0 where that
mixture does not exist. Only how the panels are found differs from 2.0/2.1 (so the panels
and thus the table differ, and the version is new):

* Peeling (:func:`app.lottery.relaxed.peel`) needs one panel on each face of the polytope.
  2.0 rounds the face LP's vertex and, when that fails (nearly always on pools with many
  types), solves the panel integer program to optimality, although any panel on the face
  will do. :class:`FastPricer` first *dives*: it fixes the fractional count closest to an
  integer, re-solves the warm-started LP (a few simplex steps) and repeats until the vertex
  is integral; only if the dive runs dry does it ask the integer program, and then for the
  first panel it finds (``mip_max_improving_sols = 1``), not the best.
* Before that, the panel of the previous face is moved onto the new face by the LP with the
  previous panel as its objective (usually a few swaps, and integral).

Everything stays deterministic (no time limits; HiGHS with a fixed seed, canonical orders).
"""

from __future__ import annotations

from typing import Sequence

import highspy
import numpy as np

from app.lottery import algorithm, relaxed

#: How many LP re-solves one dive may take before the integer program is asked.
_DIVE_STEPS = 400
_INTEGRAL = 1e-7
#: Branch-and-bound nodes the face integer program may use before peeling gives up on the face.
_FACE_NODE_LIMIT = 200


class FastPricer(relaxed._Pricer):
    """:class:`app.lottery.relaxed._Pricer` with diving in faces and first-found integer programs."""

    def __init__(self, pool) -> None:
        super().__init__(pool)
        self.first = algorithm._PanelPolytope(self.sizes, pool.seats, self.rows[1:])
        self.first.highs.setOptionValue("mip_max_improving_sols", 1)
        # A face without a panel would make HiGHS prove it: stop early instead (a node count,
        # not a time, so the result stays the same every run); peeling then hands over to decompose.
        self.first.highs.setOptionValue("mip_max_nodes", _FACE_NODE_LIMIT)
        self.stats = {"lp": 0, "dive": 0, "dive_failed": 0, "mip": 0, "near": 0}
        self.last: np.ndarray | None = None
        #: called with the number of faces done so far (progress during the peeling)
        self.on_face = None
        self.faces = 0

    def _dive(self, prices: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[int, ...] | None:
        """Fix fractional counts one at a time (the one nearest an integer first), re-solving the LP."""
        low, high = low.copy(), high.copy()
        for _ in range(_DIVE_STEPS):
            self.stats["dive"] += 1
            values = np.asarray(self.lp.getSolution().col_value)
            nearest = np.round(values)
            distance = np.abs(values - nearest)
            fractional = distance > _INTEGRAL
            if not fractional.any():
                return tuple(int(v) for v in nearest)
            candidates = np.flatnonzero(fractional)
            # round up the count with the largest fractional part (ties: higher price, lower index)
            part = values - np.floor(values)
            t = int(min(candidates, key=lambda t: (-round(float(part[t]), 9), -float(prices[t]), int(t))))
            value = float(np.ceil(values[t]))
            self.lp.changeColBounds(t, value, value)
            low[t] = high[t] = value
            self.lp.run()
            if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                # the other way round once, then give up
                other = float(np.floor(values[t])) if value > values[t] else float(np.ceil(values[t]))
                self.lp.changeColBounds(t, other, other)
                low[t] = high[t] = other
                self.lp.run()
                if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                    break
        self.stats["dive_failed"] += 1
        return None

    def in_face(self, prices: Sequence[float], low: np.ndarray, high: np.ndarray,
                row_bounds: Sequence[tuple[float, float]]) -> tuple[int, ...] | None:
        rows = [(lo, hi, members) for (lo, hi), (_, _, members) in zip(row_bounds, self.rows)]
        count = len(rows)
        row_indices = np.arange(count, dtype=np.int32)
        row_low = np.asarray([lo for lo, _ in row_bounds], dtype=np.float64)
        row_high = np.asarray([hi for _, hi in row_bounds], dtype=np.float64)
        original_low = np.asarray([lo for lo, _, _ in self.rows], dtype=np.float64)
        original_high = np.asarray([hi for _, hi, _ in self.rows], dtype=np.float64)
        upper = np.asarray(self.sizes, dtype=np.float64)
        prices = np.asarray(prices, dtype=np.float64)
        self.faces += 1
        if self.on_face is not None:
            self.on_face(self.faces)
        try:
            self.lp.changeColsBounds(self.count, self.indices, low, high)
            self.lp.changeRowsBounds(count, row_indices, row_low, row_high)
            if self.last is not None:
                near, _ = self._vertex(self.last / upper + 1e-3 * prices, prices, rows)
                if near is not None:
                    self.stats["near"] += 1
                    self.last = np.asarray(near, dtype=np.float64)
                    return near
            found = self._face_panel(prices, low, high, rows, row_indices, row_low, row_high)
            if found is not None:
                self.last = np.asarray(found, dtype=np.float64)
            return found
        finally:
            self.lp.changeColsBounds(self.count, self.indices, np.zeros(self.count), upper)
            self.lp.changeRowsBounds(count, row_indices, original_low, original_high)
            self.first.highs.changeColsBounds(self.count, self.indices, np.zeros(self.count), upper)
            self.first.highs.changeRowsBounds(count, row_indices, original_low, original_high)

    def _vertex(self, costs: np.ndarray, prices: np.ndarray, rows) -> tuple[tuple[int, ...] | None, bool]:
        """The face LP's vertex for ``costs``, if it is integral or rounds; and whether the LP solved."""
        self.lp.changeColsCost(self.count, self.indices, costs)
        self.lp.run()
        self.stats["lp"] += 1
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, False
        values = np.asarray(self.lp.getSolution().col_value)
        nearest = np.round(values)
        fractional = np.abs(values - nearest) > _INTEGRAL
        if not fractional.any():
            return tuple(int(v) for v in nearest), True
        found = self._round(values, nearest, fractional, prices, 1, rows)
        return (found[0] if found else None), True

    def _face_panel(self, prices, low, high, rows, row_indices, row_low, row_high) -> tuple[int, ...] | None:
        """The vertex for ``prices``, else a dive, else the integer program's first panel."""
        count = len(rows)
        found, solved = self._vertex(prices, prices, rows)
        if not solved or found is not None:
            return found
        dived = self._dive(prices, low, high)
        if dived is not None:
            return dived
        self.stats["mip"] += 1
        mip = self.first.highs
        mip.changeColsBounds(self.count, self.indices, low, high)
        mip.changeRowsBounds(count, row_indices, row_low, row_high)
        mip.changeColsCost(self.count, self.indices, prices)
        mip.run()
        status = mip.getModelStatus()
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kSolutionLimit):
            return None
        return tuple(int(round(v)) for v in mip.getSolution().col_value)


def leximin_distribution_fast(pool, progress: algorithm.Progress | None = None):
    """Version 2.2: :func:`app.lottery.relaxed.leximin_distribution_v2` with :class:`FastPricer`.

    :param pool: a feasible pool with at least two types.
    :param progress: optional callback (:data:`~app.lottery.algorithm.Progress`).
    :return: the :class:`~app.lottery.algorithm.Distribution`.
    """
    return relaxed.leximin_distribution_v2(pool, progress, FastPricer)
