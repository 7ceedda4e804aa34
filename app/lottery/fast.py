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

Version 2.3 (:class:`SwapPricer`, the default) keeps 2.2's probabilities and changes how the
panels are found again (so the panels and the table differ from 2.2's):

* On each face the previous panel is first moved over by exchanging seats (one type's seat
  for another's, or two at once where two types swap answers between them), no LP at all;
  the LP, dive and integer program of 2.2 follow only where that fails. On issue 21's
  unique7 pool (1,403 types) nearly every face is done so: the peeling fell from about
  100 s to about 8 s CPU.
* The peeled mixture is taken as the result when its probabilities meet p* within the
  decomposition's tolerance (1e-7), instead of starting the decomposition's master LP
  over all its panels (which alone took minutes on unique7).
* The table's rest is split into the first panels found (:mod:`app.lottery.table`).
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
#: Version 2.3: exchanges of one seat tried per face, and the types considered for giving a seat up.
_SWAP_STEPS = 20
_SWAP_OUTS = 40
_DOUBLE_OUTS = 8


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
        if self.last is not None:
            swapped = self._swap_onto_face(self.last, low, high, row_low, row_high, prices)
            if swapped is not None:
                self.last = np.asarray(swapped, dtype=np.float64)
                return swapped
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

    def _swap_onto_face(self, panel, low, high, row_low, row_high, prices) -> tuple[int, ...] | None:
        """Version 2.2 moves the previous panel onto the new face by an LP only (None here)."""
        return None

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


class SwapPricer(FastPricer):
    """Version 2.3: :class:`FastPricer` that first moves the previous face's panel onto the new face
    by exchanging seats, one seat of a type for one of another at a time (no LP at all).

    Peeling makes one more constraint tight per face, so the previous panel usually breaks only
    that one (a type whose expected count ran out, a quota that reached its bound); on pools of
    many small types (nearly everyone their own type) the LP's vertex on the face is rarely
    integral and each face cost a dive of dozens of LP solves. An exchange keeps the seat total;
    each step takes the exchange that reduces the total violation of the face's bounds (column
    bounds and row bounds, in seats) the most, ties to the type with the higher price coming in,
    then the lower price going out, then the lower indices. Deterministic, integer arithmetic.
    """

    def __init__(self, pool) -> None:
        super().__init__(pool)
        self.matrix = np.zeros((len(self.rows), self.count), dtype=np.float64)
        for r, (_, _, members) in enumerate(self.rows):
            self.matrix[r, list(members)] = 1.0
        self.stats["swap"] = 0
        #: the peeled mixture is the result when it meets p* within the decomposition's tolerance
        #: (:func:`app.lottery.relaxed.leximin_distribution_v2`), without the decomposition's master LP
        self.accepts_peel = True
        # answers as option indices, for the two exchanges of :meth:`_two_exchanges`
        self.keys = np.asarray([[pool.options[f].index(value) for f, value in zip(pool.features, g.key)]
                                for g in pool.types], dtype=np.int64).reshape(self.count, len(pool.features))
        radix = np.cumprod([1] + [len(pool.options[f]) for f in pool.features][:-1]).astype(np.int64)
        self.codes = self.keys @ radix  # one integer per answer key (types of one key: the first)
        order = np.lexsort((np.arange(self.count), self.codes))
        self.sorted_codes = self.codes[order]
        self.code_type = order
        # each type's answers as one bit per (criterion, option): u's answers are each t's or v's
        # iff bits[u] has no bit outside bits[t] | bits[v] (one integer test instead of one per criterion)
        offsets = np.cumsum([0] + [len(pool.options[f]) for f in pool.features][:-1]).astype(np.int64)
        self.bits = None
        if int(sum(len(pool.options[f]) for f in pool.features)) <= 63:
            self.bits = np.bitwise_or.reduce(np.left_shift(np.int64(1), self.keys + offsets[None, :]), axis=1) \
                if len(pool.features) else np.zeros(self.count, dtype=np.int64)

    def _swap_onto_face(self, panel, low, high, row_low, row_high, prices) -> tuple[int, ...] | None:
        matrix = self.matrix
        counts = np.asarray(panel, dtype=np.float64).copy()
        for _ in range(_SWAP_STEPS):
            sums = matrix @ counts
            row_over = np.maximum(sums - row_high, 0.0)
            row_under = np.maximum(row_low - sums, 0.0)
            column_violation = np.maximum(counts - high, 0.0) + np.maximum(low - counts, 0.0)
            total = row_over.sum() + row_under.sum() + column_violation.sum()
            if total < 0.5:
                self.stats["swap"] += 1
                return tuple(np.rint(counts).astype(np.int64).tolist())
            can_leave = counts > low
            outs = np.flatnonzero((counts > high) | (can_leave & (matrix[row_over > 0].sum(axis=0) > 0)))
            if not len(outs):
                outs = np.flatnonzero(can_leave)
            ins = np.flatnonzero(counts < high)
            if not len(outs) or not len(ins):
                return None
            if len(outs) > _SWAP_OUTS:  # the cheapest to lose first
                outs = outs[np.lexsort((outs, prices[outs]))[:_SWAP_OUTS]]
            # violation of the columns after one seat of t leaves / one of u comes in
            def column(values):
                return np.maximum(values - high, 0.0) + np.maximum(low - values, 0.0)
            leave = column(counts - 1.0) - column_violation
            enter = (column(counts + 1.0) - column_violation)[ins]
            # every (t out, u in) at once: outs x rows x ins; all terms are whole seats, so the sums are exact
            after = (sums[None, :, None] - matrix[:, outs].T[:, :, None]) + matrix[:, ins][None, :, :]
            rows_after = (np.maximum(after - row_high[None, :, None], 0.0)
                          + np.maximum(row_low[None, :, None] - after, 0.0)).sum(axis=1)
            value = rows_after + column_violation.sum() + leave[outs][:, None] + enter[None, :]
            value[outs[:, None] == ins[None, :]] = np.inf
            shape = value.shape
            out_index = np.broadcast_to(outs[:, None], shape).ravel()
            in_index = np.broadcast_to(ins[None, :], shape).ravel()
            # the lowest violation, then the highest price coming in, the lowest going out, the lower indices
            k = int(np.lexsort((in_index, out_index, prices[out_index], -prices[in_index], value.ravel()))[0])
            if value.ravel()[k] < total - 0.5:
                counts[out_index[k]] -= 1.0
                counts[in_index[k]] += 1.0
                continue
            double = self._two_exchanges(counts, outs, ins, low, high, row_low, row_high, prices, total)
            if double is None:
                return None
            counts = double
        return None

    def _two_exchanges(self, counts, outs, ins, low, high, row_low, row_high, prices, total):
        """Two exchanges at once, t and v out, u and w in, where u and w split t's and v's answers
        between them (so every criterion keeps its counts): the move a single exchange cannot make
        when the face holds most quotas at their bounds. The one that lowers the violation the most
        (ties: the highest price gained, then the lowest indices); None if none lowers it."""
        keys, codes = self.keys, self.codes
        leaving = np.flatnonzero(counts > low)
        outs = outs[:_DOUBLE_OUTS]
        found = []
        for t in outs:
            others = leaving[leaving != t]
            if not len(others):
                continue
            # u's answers each from t or from v
            if self.bits is not None:
                bits = self.bits
                mix = (bits[ins][None, :] & ~(bits[t] | bits[others])[:, None]) == 0
            else:
                mix = ((keys[ins][None, :, :] == keys[t][None, None, :])
                       | (keys[ins][None, :, :] == keys[others][:, None, :])).all(axis=2)
            i, j = np.nonzero(mix)
            v, u = others[i], ins[j]
            keep = (u != t) & (u != v)
            v, u = v[keep], u[keep]
            if not len(u):
                continue
            wanted = (codes[t] + codes[v] - codes[u])  # the complementary answers, as a code
            position = np.searchsorted(self.sorted_codes, wanted)
            position = np.minimum(position, len(self.sorted_codes) - 1)
            hit = self.sorted_codes[position] == wanted
            w = self.code_type[position]
            keep = hit & (w != t) & (w != u) & (w != v)
            v, u, w = v[keep], u[keep], w[keep]
            keep = counts[w] < high[w]
            if keep.any():
                found.append((np.full(int(keep.sum()), t), v[keep], u[keep], w[keep]))
        if not found:
            return None
        t, v, u, w = (np.concatenate(parts) for parts in zip(*found))
        matrix = self.matrix
        sums = matrix @ counts
        after = sums[:, None] - matrix[:, t] - matrix[:, v] + matrix[:, u] + matrix[:, w]
        value = (np.maximum(after - row_high[:, None], 0.0) + np.maximum(row_low[:, None] - after, 0.0)).sum(axis=0)

        def column(index, change):
            before = counts[index]
            return (np.maximum(before + change - high[index], 0.0) + np.maximum(low[index] - before - change, 0.0)
                    - np.maximum(before - high[index], 0.0) - np.maximum(low[index] - before, 0.0))
        value += (np.maximum(counts - high, 0.0) + np.maximum(low - counts, 0.0)).sum()
        value += column(t, -1.0) + column(v, -1.0) + column(u, 1.0) + column(w, 1.0)
        gain = prices[u] + prices[w] - prices[t] - prices[v]
        best = int(np.lexsort((w, u, v, t, -gain, value))[0])
        if value[best] >= total - 0.5:
            return None
        moved = counts.copy()
        moved[t[best]] -= 1.0
        moved[v[best]] -= 1.0
        moved[u[best]] += 1.0
        moved[w[best]] += 1.0
        return moved


def leximin_distribution_fast(pool, progress: algorithm.Progress | None = None, version: str = "2.2"):
    """Version 2.2: :func:`app.lottery.relaxed.leximin_distribution_v2` with :class:`FastPricer`;
    2.3 and 2.4 (the same panels; 2.4 differs in the table only) with :class:`SwapPricer`.

    :param pool: a feasible pool with at least two types.
    :param progress: optional callback (:data:`~app.lottery.algorithm.Progress`).
    :return: the :class:`~app.lottery.algorithm.Distribution`.
    """
    return relaxed.leximin_distribution_v2(pool, progress, FastPricer if version == "2.2" else SwapPricer)
