"""The seat lottery's fair-selection core: pure functions, no database, no Flask app.

What happens, in order
======================

1. :func:`build_pool` validates the applicants, quotas and seat count and
   groups the applicants into **types**: applicants with the same answers to
   every criterion that has quotas are interchangeable, so everything below
   works on types (at most the product of the option counts, e.g. 3*4*6 = 72)
   instead of people. A *panel* is a vector of seat counts per type, each
   between 0 and the type's size, summing to the seats and meeting every
   quota. An applicant's selection probability is E[count of their type] / size.

2. :func:`leximin_distribution` finds the **leximin-fair** distribution over
   panels of Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for
   selecting citizens' assemblies", Nature 596 (2021): the smallest selection
   probability as large as possible, then the second smallest, and so on.
   It first checks with an integer program that any panel exists; if not it
   raises ``LotteryError("infeasible")`` naming the conflicting quotas and the
   nearest feasible relaxation (:func:`diagnose_infeasible`). Then it runs
   column generation: a master LP over the panels found so far (maximise the
   lowest probability among the types not yet fixed), and a pricing integer
   program (the panel that the LP's dual prices value most) that adds panels
   until none improves the LP. Types whose dual price is positive cannot rise
   above the current level in any optimal solution (complementary slackness),
   so they are fixed at it and the loop continues with the others. HiGHS
   (``highspy``) solves both, warm-started.

3. :func:`round_to_table` rounds the distribution to a **table of M panels of
   people** (Flanigan, Kehne and Procaccia, "Fair sortition made transparent",
   NeurIPS 2021), so a uniform number 1..M picks the panel. See
   :func:`round_to_table` for the method and the bound it guarantees:
   every applicant's chance in the table differs from the leximin chance by
   less than ``(1 + TV/2) / M`` (TV explained there), never more than
   ``(1 + T/2) / M`` for T types; in practice close to ``1/M``.

4. :func:`draw` picks ``table[number - 1]`` and orders everyone else into a
   waiting list by ``SHA-256(f"{commitment}:{number}:{pseudonym}")``.
   :func:`find_replacement` fills a declined seat from that list without
   breaking a quota.

Determinism: what is recomputed, what is checked
================================================

Given the same applicants, quotas, seats, M and the same software (this
algorithm version and the same HiGHS build), the table is byte-for-byte the
same: types, panels and people are sorted canonically, the distribution is
quantised to integers (units of 1e-9) before rounding, the rounding and the
assignment of people to panels are pure integer arithmetic, and HiGHS runs
without time limits (its results do not depend on timing). What no one can
promise is that *another* HiGHS version or CPU picks the same optimal vertex:
the leximin *probabilities* are unique, the distribution realising them is
not. So the table itself is the committed object: its SHA-256 goes into the
commitment published before the number is drawn, and the audit file
(:mod:`app.lottery.audit`) contains it. Verification therefore *checks* the
table rather than trusting a recomputation: every row is a valid panel that
meets every quota, its hash matches the commitment, the selection is row
``number``, the waiting list follows from the number; and it *recomputes*
what is robust: the leximin probabilities (within a tolerance of 1e-6) and
each applicant's share of table rows against them within the promised
rounding bound. Byte-for-byte recomputation of the table is offered as an
extra check for verifiers with the same software.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable, Mapping, Sequence

import highspy
import numpy as np
from flask_babel import lazy_gettext as _l

from app.lottery.errors import LotteryError
from app.lottery.explain import InfeasibleMessage, NoReplacementMessage

#: Name and version of the algorithm, recorded in every commitment and audit.
#: Bump the version whenever the table for the same input could change.
ALGORITHM_NAME = "ideenmarkt-leximin-types"
#: ``progress(stage, fraction done 0..1, lowest probability fixed so far or None)``: how far a
#: long computation got (the job page shows it). Optional everywhere; it never changes a result.
Progress = Callable[[str, float, "float | None"], None]


def _no_progress(stage: str, fraction: float, minimum: float | None) -> None:
    return None


class TimeUp(Exception):
    """The time limit of a leximin computation ran out; carries the panels found so far."""

    def __init__(self, panels: Sequence[tuple[int, ...]] = ()) -> None:
        super().__init__("time limit")
        self.panels = list(panels)


class Budget:
    """The time limit of one leximin computation (``LOTTERY_TIME_LIMIT``): the loops of every
    version call :meth:`check` with the panels they hold, which raises :class:`TimeUp` once the
    limit has passed. ``bound`` is the best upper bound on the minimum known so far (the relaxed
    leximin's first level)."""

    def __init__(self, seconds: float | None) -> None:
        self._clock = time.monotonic
        self.seconds = seconds
        self.deadline = None if not seconds else self._clock() + float(seconds)
        self.bound: float | None = None

    def check(self, panels: Iterable[tuple[int, ...]] = ()) -> None:
        if self.deadline is not None and self._clock() > self.deadline:
            raise TimeUp(list(panels))


#: The budget of the computation running now (set by :func:`leximin_distribution`; none: no limit).
_budget = Budget(None)


def budget() -> Budget:
    return _budget


def solve_fairness_lp(highs) -> "highspy.HighsSolution":
    """Run a fairness LP to optimality and return its solution.

    :raises LotteryError: ``solver`` if HiGHS does not reach optimality.
    """
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise LotteryError("solver", _l("The fairness LP failed (%(status)s).",
                                        status=highs.modelStatusToString(status)))
    return highs.getSolution()


#: 2.1: the probabilities of 2.0, the table by dependent rounding (app/lottery/table.py): equal
#: treatment within types and every share within (1 + slack)/M of the leximin probability.
#: 2.2: the same probabilities and rounding, the panels found faster (app/lottery/fast.py), so
#: the panels and the table for the same input can differ from 2.1's.
#: 2.3: the same probabilities and rounding, peeling moves the previous panel onto the next face by
#: exchanging seats before it asks an LP (app/lottery/fast.py), so the panels and the table can differ.
#: 2.4: the same probabilities and panels as 2.3, the table's rest split into the distribution's own
#: panels where they fit before any integer program (app/lottery/table.py), so the table can differ.
ALGORITHM_VERSION = "2.4"
#: Versions that :func:`leximin_distribution` can still run (old draws verify with their own).
ALGORITHM_VERSIONS = ("1.0", "2.0", "2.1", "2.2", "2.3", "2.4")
#: Versions whose table keeps the per-person promise of app/lottery/table.py.
PROMISE_VERSIONS = ("2.1", "2.2", "2.3", "2.4")

#: Default number of panels in the published table (a number 1..M is drawn).
DEFAULT_TABLE_SIZE = 1000

#: The distribution is quantised to integer multiples of 1/WEIGHT_SCALE of a
#: table row before rounding, so the rounding is exact integer arithmetic.
WEIGHT_SCALE = 10**9

# Numerical tolerances. LP values are probabilities (0..1).
_LP_TOLERANCE = 1e-9  # HiGHS primal/dual feasibility
_PRICING_TOLERANCE = 1e-9  # a new panel must improve the LP by more than this
_DUAL_FIX_THRESHOLD = 1e-6  # a type with a larger dual price is fixed
_FIX_SLACK = 1e-9  # fixed types may fall this far below their level (LP noise)
_MAX_COLUMN_GENERATION_ROUNDS = 100_000
#: Node limit of the rounding's binary program, per algorithm version. 2.0 stops
#: after 10 nodes: on the pools of issue 21 the incumbent after 10 nodes was as
#: good as after 500 (sometimes better) at a fifth of the time.
_ROUNDING_ILP_NODE_LIMIT = {"1.0": 500, "2.0": 10}  # 2.1 rounds by app/lottery/table.py

#: Quotas: feature -> option -> (minimum seats, maximum seats).
Quotas = Mapping[str, Mapping[str, tuple[int, int]]]


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """One applicant as the lottery sees them: a pseudonym and their answers.

    :param pseudonym: fixed, unique, public identifier (never the name).
    :param answers: criterion (feature) -> chosen option (value).
    """

    pseudonym: str
    answers: Mapping[str, str]


@dataclass(frozen=True)
class TypeGroup:
    """Applicants with identical answers to every quota feature (and the same kind of household).

    Under the household rule (at most one seat per household) the people of one answer key
    are split further by their household's *signature*, the sorted answer keys of all its
    members: people in single-person households (or without a household) form one group per
    key as before, and e.g. the members with key a of households of signature (a, b) another.
    Members of one group are interchangeable, so they get the same leximin probability.

    :param key: the answers, in the order of :attr:`Pool.features`.
    :param members: their pseudonyms, sorted.
    :param household: the signature of their households; empty for single-person households.
    """

    key: tuple[str, ...]
    members: tuple[str, ...]
    household: tuple[tuple[str, ...], ...] = ()

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Pool:
    """A validated lottery instance in canonical order.

    :param features: quota features, sorted.
    :param options: feature -> its options, sorted.
    :param quotas: feature -> option -> (min, max), normalised to ints.
    :param seats: number of seats k.
    :param types: the types, sorted by key.
    :param applicants: pseudonym -> answers restricted to the quota features.
    :param households: the households of at least two applicants (each a sorted tuple of
        pseudonyms, sorted); empty without the household rule.
    :param household_rows: per household signature, ``(households of it, type indices)``: a
        panel seats at most that many of those types together (one per household).
    """

    features: tuple[str, ...]
    options: Mapping[str, tuple[str, ...]]
    quotas: Mapping[str, Mapping[str, tuple[int, int]]]
    seats: int
    types: tuple[TypeGroup, ...]
    applicants: Mapping[str, Mapping[str, str]]
    type_of: Mapping[str, int] = field(repr=False)
    households: tuple[tuple[str, ...], ...] = ()
    household_rows: tuple[tuple[int, tuple[int, ...]], ...] = ()

    @property
    def size(self) -> int:
        return len(self.applicants)

    def quota_rows(self) -> list[tuple[str, str, int, int, list[int]]]:
        """Each quota with the indices of the types it counts.

        :return: ``(feature, value, min, max, type indices)`` in canonical order.
        """
        rows = []
        for f_index, feature in enumerate(self.features):
            for value in self.options[feature]:
                low, high = self.quotas[feature][value]
                members = [t for t, group in enumerate(self.types) if group.key[f_index] == value]
                rows.append((feature, value, low, high, members))
        return rows

    def panel_rows(self) -> list[tuple[int, int, list[int]]]:
        """Every row of the panel polytope but the seat total: ``(min, max, type indices)``.

        The quota rows (:meth:`quota_rows`), then one row per household signature: at most
        one seat per household, so the types of households of that signature take at most
        as many seats together as there are such households.
        """
        rows = [(low, high, members) for _, _, low, high, members in self.quota_rows()]
        rows += [(0, count, list(members)) for count, members in self.household_rows]
        return rows

    @property
    def household_of(self) -> dict[str, int]:
        """pseudonym -> index of their household in :attr:`households` (only those sharing one)."""
        return {p: h for h, members in enumerate(self.households) for p in members}


def normalise_quotas(quotas: Quotas) -> dict[str, dict[str, tuple[int, int]]]:
    """Check the quotas and return them with int bounds and sorted keys.

    :param quotas: feature -> option -> (min, max).
    :return: the same quotas, as plain dicts of int tuples.
    :raises LotteryError: ``bad_quota`` on a non-integer, negative or
        inverted bound, or a feature without options.
    """
    normalised: dict[str, dict[str, tuple[int, int]]] = {}
    for feature in sorted(quotas):
        options = quotas[feature]
        if not isinstance(feature, str) or not feature or not options:
            raise LotteryError(
                "bad_quota",
                _l("The criterion %(feature)s has no options.", feature=str(feature)),
                {"feature": str(feature)},
            )
        normalised[feature] = {}
        for value in sorted(options):
            bounds = options[value]
            try:
                low, high = bounds
                if isinstance(low, bool) or isinstance(high, bool) or int(low) != low or int(high) != high:
                    raise ValueError
                low, high = int(low), int(high)
            except (TypeError, ValueError):
                raise LotteryError(
                    "bad_quota",
                    _l("The quota for %(feature)s = %(value)s must be two whole numbers (min, max).",
                       feature=feature, value=value),
                    {"feature": feature, "value": value},
                ) from None
            if low < 0 or high < low:
                raise LotteryError(
                    "bad_quota",
                    _l("The quota for %(feature)s = %(value)s needs 0 <= min <= max (got %(low)s, %(high)s).",
                       feature=feature, value=value, low=low, high=high),
                    {"feature": feature, "value": value, "min": low, "max": high},
                )
            normalised[feature][value] = (low, high)
    return normalised


def build_pool(applicants: Sequence[Applicant], quotas: Quotas, seats: int,
               households: Mapping[str, Any] | Iterable[Iterable[str]] | None = None) -> Pool:
    """Validate an instance and group the applicants into types.

    Answers to features without quotas are ignored (people files carry
    other columns too).

    :param applicants: the applicants; pseudonyms must be unique.
    :param quotas: feature -> option -> (min, max); may be empty (uniform draw).
    :param seats: number of seats k, at least 1.
    :param households: the household rule, at most one seat per household: pseudonym ->
        household key (people without a key, or with None, are their own household), or
        the households as groups of pseudonyms. None: no rule.
    :return: the canonical :class:`Pool`.
    :raises LotteryError: ``bad_input`` (seats < 1, duplicate or empty
        pseudonym), ``empty``, ``too_few``, ``bad_quota``, ``bad_answer``.
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise LotteryError("bad_input", _l("The number of seats must be a whole number of at least 1."),
                           {"seats": repr(seats)})
    if not applicants:
        raise LotteryError("empty", _l("There are no applicants to draw from."))
    normalised = normalise_quotas(quotas)
    features = tuple(normalised)
    options = {feature: tuple(normalised[feature]) for feature in features}

    answers_of: dict[str, dict[str, str]] = {}
    for applicant in applicants:
        pseudonym = applicant.pseudonym
        if not isinstance(pseudonym, str) or not pseudonym.strip():
            raise LotteryError("bad_input", _l("Every applicant needs a non-empty pseudonym."))
        if pseudonym in answers_of:
            raise LotteryError("bad_input", _l("The pseudonym %(pseudonym)s occurs twice.", pseudonym=pseudonym),
                               {"pseudonym": pseudonym})
        restricted = {}
        for feature in features:
            value = applicant.answers.get(feature)
            if value is None or value == "":
                raise LotteryError(
                    "bad_answer",
                    _l("Applicant %(pseudonym)s has not answered %(feature)s.", pseudonym=pseudonym, feature=feature),
                    {"pseudonym": pseudonym, "feature": feature},
                )
            if value not in normalised[feature]:
                raise LotteryError(
                    "bad_answer",
                    _l("Applicant %(pseudonym)s answered %(feature)s with %(value)s, which is not one of its "
                       "options (%(options)s).", pseudonym=pseudonym, feature=feature, value=value,
                       options=", ".join(options[feature])),
                    {"pseudonym": pseudonym, "feature": feature, "value": value, "options": list(options[feature])},
                )
            restricted[feature] = value
        answers_of[pseudonym] = restricted

    if len(answers_of) < seats:
        raise LotteryError(
            "too_few",
            _l("Applicants: %(count)s, seats: %(seats)s. A lottery needs at least as many applicants as seats.",
               count=len(answers_of), seats=seats),
            {"applicants": len(answers_of), "seats": seats},
        )

    key_of = {pseudonym: tuple(answers[f] for f in features) for pseudonym, answers in answers_of.items()}
    groups = household_groups(households, answers_of)
    types, household_rows = _classes(key_of, groups)
    type_of = {pseudonym: t for t, group in enumerate(types) for pseudonym in group.members}
    return Pool(features, options, normalised, seats, types, answers_of, type_of, groups, household_rows)


def household_groups(households: Mapping[str, Any] | Iterable[Iterable[str]] | None,
                     people: Collection[str]) -> tuple[tuple[str, ...], ...]:
    """The households of at least two of ``people``, canonical (each sorted, then sorted).

    :param households: pseudonym -> household key (None or missing: their own household),
        or groups of pseudonyms; None for no household rule.
    :raises LotteryError: ``bad_input`` if a pseudonym is in two groups.
    """
    if not households:
        return ()
    if isinstance(households, Mapping):
        by_key: dict[Any, list[str]] = {}
        for pseudonym, key in households.items():
            if key is not None and key != "" and pseudonym in people:
                by_key.setdefault(key, []).append(pseudonym)
        groups = list(by_key.values())
    else:
        groups = [[p for p in group if p in people] for group in households]
    seen: set[str] = set()
    for group in groups:
        for pseudonym in group:
            if pseudonym in seen:
                raise LotteryError("bad_input", _l("The pseudonym %(pseudonym)s is in two households.",
                                                   pseudonym=pseudonym), {"pseudonym": pseudonym})
            seen.add(pseudonym)
    return tuple(sorted(tuple(sorted(set(group))) for group in groups if len(set(group)) > 1))


def _classes(key_of: Mapping[str, tuple[str, ...]], households: Sequence[Sequence[str]]
             ) -> tuple[tuple[TypeGroup, ...], tuple[tuple[int, tuple[int, ...]], ...]]:
    """Types (key and household signature) and the household rows, in canonical order."""
    signature_of: dict[str, tuple[tuple[str, ...], ...]] = {}
    households_of_signature: Counter = Counter()
    for members in households:
        signature = tuple(sorted(key_of[p] for p in members))
        households_of_signature[signature] += 1
        for pseudonym in members:
            signature_of[pseudonym] = signature
    members_by_class: dict[tuple, list[str]] = {}
    for pseudonym, key in key_of.items():
        members_by_class.setdefault((key, signature_of.get(pseudonym, ())), []).append(pseudonym)
    types = tuple(TypeGroup(key, tuple(sorted(members)), signature)
                  for (key, signature), members in sorted(members_by_class.items()))
    rows = tuple((households_of_signature[signature],
                  tuple(t for t, group in enumerate(types) if group.household == signature))
                 for signature in sorted(households_of_signature))
    return types, rows


# --------------------------------------------------------------------------
# Integer programs over type counts
# --------------------------------------------------------------------------


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance with tight tolerances and no time limit."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("primal_feasibility_tolerance", _LP_TOLERANCE)
    highs.setOptionValue("dual_feasibility_tolerance", _LP_TOLERANCE)
    return highs


def _add_columns(highs: highspy.Highs, costs: Sequence[float], lower: Sequence[float], upper: Sequence[float],
                 columns: Sequence[Sequence[tuple[int, float]]] | None = None) -> None:
    """Add columns (with their matrix entries) to a HiGHS model."""
    count = len(costs)
    starts, indices, values = [], [], []
    for entries in columns or [[] for _ in range(count)]:
        starts.append(len(indices))
        for row, value in entries:
            indices.append(row)
            values.append(value)
    highs.addCols(count, np.asarray(costs, dtype=np.float64), np.asarray(lower, dtype=np.float64),
                  np.asarray(upper, dtype=np.float64), len(indices), np.asarray(starts, dtype=np.int32),
                  np.asarray(indices, dtype=np.int32), np.asarray(values, dtype=np.float64))


def _add_row(highs: highspy.Highs, lower: float, upper: float, entries: Sequence[tuple[int, float]]) -> None:
    """Add one constraint row ``lower <= sum(value * x[col]) <= upper``."""
    highs.addRow(float(lower), float(upper), len(entries), np.asarray([c for c, _ in entries], dtype=np.int32),
                 np.asarray([v for _, v in entries], dtype=np.float64))


class _PanelPolytope:
    """The integer panels of a pool as a reusable HiGHS integer program.

    Variables are the seat counts per type (integers 0..size); rows are the
    seat total and one row per quota. Only the objective changes between
    solves, so the model is built once.
    """

    def __init__(self, sizes: Sequence[int], seats: int,
                 quota_rows: Sequence[tuple[float, float, Sequence[int]]]) -> None:
        self.size = len(sizes)
        self.highs = _new_highs()
        self.highs.setOptionValue("mip_rel_gap", 1e-9)
        self.highs.setOptionValue("mip_abs_gap", 1e-11)
        _add_columns(self.highs, [0.0] * self.size, [0.0] * self.size, [float(s) for s in sizes])
        self.highs.changeColsIntegrality(self.size, np.arange(self.size, dtype=np.int32),
                                         np.array([highspy.HighsVarType.kInteger] * self.size))
        _add_row(self.highs, seats, seats, [(t, 1.0) for t in range(self.size)])
        for low, high, members in quota_rows:
            _add_row(self.highs, low, high, [(t, 1.0) for t in members])
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def best(self, weights: Sequence[float]) -> tuple[float, tuple[int, ...]] | None:
        """The panel maximising ``sum(weights[t] * count[t])``.

        :param weights: one weight per type.
        :return: ``(objective value, counts)``, or None if no panel exists.
        :raises LotteryError: ``solver`` if HiGHS fails.
        """
        self.highs.changeColsCost(self.size, np.arange(self.size, dtype=np.int32),
                                  np.asarray(weights, dtype=np.float64))
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise LotteryError("solver", _l("The panel search failed (%(status)s).",
                                            status=self.highs.modelStatusToString(status)))
        counts = tuple(int(round(v)) for v in self.highs.getSolution().col_value)
        return float(np.dot(weights, counts)), counts


def _pool_polytope(pool: Pool) -> _PanelPolytope:
    return _PanelPolytope([g.size for g in pool.types], pool.seats, pool.panel_rows())


def diagnose_infeasible(pool: Pool, flex: Mapping[str, Mapping[str, tuple[int, int]]] | None = None
                        ) -> LotteryError:
    """Explain why no panel meets the quotas and suggest the nearest fix.

    Names simple conflicts directly (an option needs more seats than it has
    applicants; a feature's minima add up to more than the seats; its maxima
    to fewer) and finds the nearest feasible relaxation with an integer
    program: integer slacks on every min and max, minimising the total number
    of seats by which bounds move.

    :param pool: an instance for which no panel exists.
    :param flex: feature -> option -> (min_flex, max_flex), the Sortition
        Foundation's limits of a relaxation: a min is never suggested below
        its min_flex, a max never above its max_flex (default 0 and the seats).
        Without a relaxation inside them, ``relaxation`` is empty and
        ``within_flex`` False.
    :return: a ``LotteryError("infeasible")`` whose details hold
        ``conflicts`` (feature, value, problem) and ``relaxation`` (feature,
        value, bound "min"/"max", from, to).
    """
    conflicts: list[dict[str, Any]] = []
    available = Counter()
    for f_index, feature in enumerate(pool.features):
        for group in pool.types:
            available[(feature, group.key[f_index])] += group.size
    for feature in pool.features:
        sum_min = sum(pool.quotas[feature][v][0] for v in pool.options[feature])
        sum_max = sum(min(pool.quotas[feature][v][1], available[(feature, v)]) for v in pool.options[feature])
        for value in pool.options[feature]:
            low = pool.quotas[feature][value][0]
            if low > available[(feature, value)]:
                conflicts.append({"feature": feature, "value": value, "kind": "short", "min": low,
                                  "available": available[(feature, value)],
                                  "problem": f"min {low} but only {available[(feature, value)]} applicants"})
        if sum_min > pool.seats:
            conflicts.append({"feature": feature, "value": None, "kind": "sum_min", "total": sum_min,
                              "seats": pool.seats, "problem": f"minimums add up to {sum_min} > {pool.seats} seats"})
        if sum_max < pool.seats:
            conflicts.append({"feature": feature, "value": None, "kind": "sum_max", "total": sum_max,
                              "seats": pool.seats,
                              "problem": f"at most {sum_max} seats can be filled within the maximums"})

    # Relaxation ILP: counts c_t, then per quota a slack below min and above max.
    quota_rows = pool.quota_rows()
    type_count = len(pool.types)
    highs = _new_highs()
    _add_columns(highs, [0.0] * type_count, [0.0] * type_count, [float(g.size) for g in pool.types])
    slack_costs, slack_upper = [], []
    for feature, value, low, high, _ in quota_rows:
        low_flex, high_flex = (flex or {}).get(feature, {}).get(value, (0, max(high, pool.seats)))
        slack_costs += [1.0, 1.0]
        slack_upper += [float(max(0, low - low_flex)), float(max(0, high_flex - high))]
    _add_columns(highs, slack_costs, [0.0] * len(slack_costs), slack_upper)
    total = type_count + len(slack_costs)
    highs.changeColsIntegrality(total, np.arange(total, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * total))
    _add_row(highs, pool.seats, pool.seats, [(t, 1.0) for t in range(type_count)])
    for q, (_, _, low, high, members) in enumerate(quota_rows):
        under, over = type_count + 2 * q, type_count + 2 * q + 1
        _add_row(highs, low, math.inf, [(t, 1.0) for t in members] + [(under, 1.0)])
        _add_row(highs, -math.inf, high, [(t, 1.0) for t in members] + [(over, -1.0)])
    for count, members in pool.household_rows:  # the household rule is never relaxed
        _add_row(highs, 0.0, count, [(t, 1.0) for t in members])
    highs.run()
    relaxation: list[dict[str, Any]] = []
    if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        values = highs.getSolution().col_value
        for q, (feature, value, low, high, _) in enumerate(quota_rows):
            under = int(round(values[type_count + 2 * q]))
            over = int(round(values[type_count + 2 * q + 1]))
            if under:
                relaxation.append({"feature": feature, "value": value, "bound": "min", "from": low, "to": low - under})
            if over:
                relaxation.append({"feature": feature, "value": value, "bound": "max", "from": high, "to": high + over})
    for change in relaxation:
        if not any(c["feature"] == change["feature"] and c["value"] in (None, change["value"]) for c in conflicts):
            conflicts.append({"feature": change["feature"], "value": change["value"], "kind": "relaxed",
                              "bound": change["bound"], "from": change["from"],
                              "problem": f"{change['bound']} {change['from']} conflicts with other quotas"})
    if pool.households and _PanelPolytope([g.size for g in pool.types], pool.seats,
                                          [(low, high, m) for _, _, low, high, m in quota_rows]).best(
            [0.0] * type_count) is not None:
        # Without the rule a panel exists: say so first, the changes below keep the rule.
        conflicts.insert(0, {"feature": None, "value": None, "kind": "households",
                             "households": len(pool.households),
                             "problem": "no panel meets the quotas with at most one seat per household"})
    # The sentences (translated, with plurals, naming criteria and options by their labels once
    # the service has applied them) are made from these details: app/lottery/explain.py.
    details = {"conflicts": conflicts, "relaxation": relaxation, "within_flex": bool(relaxation) or not flex}
    return LotteryError("infeasible", InfeasibleMessage(pool.seats, details, flex=bool(flex)), details)


def check_feasible(pool: Pool) -> tuple[int, ...]:
    """Find one panel, or explain why none exists.

    :param pool: the validated instance.
    :return: the seat counts per type of some quota-satisfying panel.
    :raises LotteryError: ``infeasible`` with the conflict and a relaxation.
    """
    found = _pool_polytope(pool).best([0.0] * len(pool.types))
    if found is None:
        raise diagnose_infeasible(pool)
    return found[1]


# --------------------------------------------------------------------------
# Leximin distribution (column generation)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """A leximin-fair distribution over panels, at the level of types.

    :param pool: the instance.
    :param panels: seat counts per type of each panel in the support, sorted.
    :param weights: probability of each panel (sums to 1).
    :param type_probabilities: each type's members' selection probability.
    """

    pool: Pool
    panels: tuple[tuple[int, ...], ...]
    weights: tuple[float, ...]
    type_probabilities: tuple[float, ...]
    #: None if exact; else the time limit ran out: ``{"seconds", "minimum", "upper_bound"}`` (the best
    #: distribution over the panels found by then, and what the optimum's minimum cannot exceed)
    limited: Mapping[str, Any] | None = None

    @property
    def probabilities(self) -> dict[str, float]:
        """Selection probability per pseudonym, in pseudonym order."""
        return {p: self.type_probabilities[self.pool.type_of[p]] for p in sorted(self.pool.applicants)}

    @property
    def min_probability(self) -> float:
        return min(self.type_probabilities)

    @property
    def max_probability(self) -> float:
        return max(self.type_probabilities)


class _MasterLP:
    """The restricted master LP of the leximin column generation.

    Columns: ``level`` (the lowest probability among unfixed types, maximised)
    and one weight per known panel. Rows: weights sum to 1; for each type t
    ``sum_P weight_P * count_Pt / size_t - level >= 0`` while unfixed, and
    ``... >= fixed_t - slack`` once fixed (its ``level`` coefficient zeroed).
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = list(sizes)
        self.highs = _new_highs()
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        type_count = len(sizes)
        _add_row(self.highs, 1.0, 1.0, [])
        for _ in range(type_count):
            _add_row(self.highs, 0.0, math.inf, [])
        # The level column; capped at 1 so the LP stays bounded once all are fixed.
        _add_columns(self.highs, [1.0], [0.0], [1.0], [[(1 + t, -1.0) for t in range(type_count)]])
        self.panels: list[tuple[int, ...]] = []
        self.known: set[tuple[int, ...]] = set()

    def add_panel(self, counts: tuple[int, ...]) -> bool:
        """Add a panel column; False if it is already there."""
        if counts in self.known:
            return False
        entries = [(0, 1.0)] + [(1 + t, c / self.sizes[t]) for t, c in enumerate(counts) if c]
        _add_columns(self.highs, [0.0], [0.0], [math.inf], [entries])
        self.panels.append(counts)
        self.known.add(counts)
        return True

    def fix(self, type_index: int, level: float) -> None:
        """Keep the type's probability at ``level`` from now on."""
        self.highs.changeCoeff(1 + type_index, 0, 0.0)
        self.highs.changeRowBounds(1 + type_index, max(0.0, level - _FIX_SLACK), math.inf)

    def solve(self) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Solve the LP.

        :return: ``(level, type duals, sum-row dual, panel weights)``; duals are
            the values of a unit of each row, signed so that a panel with
            counts c improves the LP iff ``sum_t dual_t c_t/size_t + sum_dual > 0``.
        :raises LotteryError: ``solver`` if HiGHS does not reach optimality.
        """
        solution = solve_fairness_lp(self.highs)
        row_dual = np.asarray(solution.row_dual)
        # HiGHS reports duals of a maximisation as d(objective)/d(bound) <= 0 for
        # active lower bounds; negate to get the usual nonnegative prices.
        prices = -row_dual
        weights = np.asarray(solution.col_value[1:])
        return float(solution.col_value[0]), prices[1:], float(prices[0]), weights


def leximin_distribution(applicants: Sequence[Applicant] | Pool, quotas: Quotas | None = None,
                         seats: int | None = None, version: str = ALGORITHM_VERSION,
                         progress: Progress | None = None,
                         households: Mapping[str, Any] | Iterable[Iterable[str]] | None = None,
                         time_limit: float | None = None) -> Distribution:
    """Compute the leximin-fair distribution over quota-satisfying panels.

    Without quotas every applicant gets exactly ``seats / n``. Applicants
    with identical answers get identical probabilities by construction, and
    the probabilities sum to the seats up to float rounding.

    :param applicants: the applicants, or an already built :class:`Pool`
        (then ``quotas`` and ``seats`` are ignored).
    :param quotas: feature -> option -> (min, max).
    :param seats: number of seats k.
    :param version: the algorithm version (one of :data:`ALGORITHM_VERSIONS`):
        "2.0" and "2.1" solve the leximin LPs over the relaxed type
        polytope and decompose the result into panels
        (:func:`app.lottery.relaxed.leximin_distribution_v2`), "2.2", "2.3" and "2.4" (the default;
        2.4 differs from 2.3 only in the table, see :func:`round_to_table`)
        do the same with a faster panel search (:func:`app.lottery.fast.leximin_distribution_fast`),
        "1.0" runs the staged column generation alone; all give the same probabilities,
        but not the same panels, so verifying a draw uses its own version.
    :param progress: optional :data:`Progress` callback (stages ``fairness`` and ``panels``).
    :param households: the household rule (see :func:`build_pool`); with a built pool, its own.
        Every version keeps it as a constraint of the panels, so the probabilities are exact.
    :param time_limit: seconds (``LOTTERY_TIME_LIMIT``); once they have passed the computation stops
        and returns the leximin distribution over the panels found so far, marked in
        :attr:`Distribution.limited` (not the optimum; never a timeout). None or 0: no limit, and
        the result is deterministic.
    :return: the :class:`Distribution`.
    :raises LotteryError: any code of :func:`build_pool`, ``infeasible``,
        ``solver``, or ``bad_input`` for an unknown version.
    """
    if version not in ALGORITHM_VERSIONS:
        raise LotteryError("bad_input", _l("Unknown algorithm version %(version)s.", version=str(version)),
                           {"version": str(version)})
    if isinstance(applicants, Pool):
        pool = applicants
    else:
        pool = build_pool(applicants, quotas or {}, seats, households)  # type: ignore[arg-type]
    first = check_feasible(pool)
    if len(pool.types) == 1:
        return Distribution(pool, (first,), (1.0,), (pool.seats / pool.size,))
    global _budget
    outer, _budget = _budget, Budget(time_limit)
    try:
        if version == "1.0":
            return _leximin_column_generation(pool, [first], progress)
        if version not in ("2.0", "2.1"):
            from app.lottery.fast import leximin_distribution_fast  # cycle: fast.py builds on this module's LPs

            return leximin_distribution_fast(pool, progress, version)
        from app.lottery.relaxed import leximin_distribution_v2  # cycle: relaxed.py reuses this module's pool and LPs

        return leximin_distribution_v2(pool, progress)
    except TimeUp as up:
        grace = time.monotonic() + max(5.0, 0.1 * float(time_limit or 0))
        found = leximin_over_panels(pool, [first] + up.panels, grace)
        limited = {"seconds": time_limit, "minimum": found.min_probability, "upper_bound": _budget.bound}
        return Distribution(pool, found.panels, found.weights, found.type_probabilities, limited)
    finally:
        _budget = outer


def leximin_over_panels(pool: Pool, panels: Sequence[tuple[int, ...]], until: float | None = None) -> Distribution:
    """The leximin distribution over the given panels only (no new ones): what a time limit keeps.

    :param until: a ``time.monotonic()`` value; the stages after the first (the maximin over these
        panels) stop there and keep the last solution (every stage's solution is a valid distribution).
    """
    master = _MasterLP([g.size for g in pool.types])
    for panel in panels:
        master.add_panel(tuple(panel))
    unfixed = set(range(len(pool.types)))
    weights = np.ones(len(master.panels))
    level, prices, _, weights = master.solve()  # the maximin over these panels
    while True:
        to_fix = [t for t in unfixed if prices[t] > _DUAL_FIX_THRESHOLD] or [max(unfixed, key=lambda t: (prices[t], -t))]
        for t in to_fix:
            master.highs.changeCoeff(1 + t, 0, 0.0)
            master.highs.changeRowBounds(1 + t, max(0.0, level - 1e-7), math.inf)
            unfixed.discard(t)
        if not unfixed or (until is not None and time.monotonic() > until):
            break
        try:
            level, prices, _, weights = master.solve()
        except LotteryError:  # numerically stuck: keep the last (valid) solution
            break
    return _distribution_from_weights(pool, master.panels, weights)


def _leximin_column_generation(pool: Pool, start: Sequence[tuple[int, ...]],
                               progress: Progress | None = None) -> Distribution:
    """Staged column generation (version 1.0; the exact fallback of 2.0), starting from the panels ``start``."""
    sizes = [g.size for g in pool.types]
    polytope = _pool_polytope(pool)
    master = _MasterLP(sizes)
    for panel in start:
        master.add_panel(tuple(panel))
    unfixed = set(range(len(sizes)))
    weights = np.ones(len(master.panels))
    rounds = 0
    report = progress or _no_progress
    minimum: float | None = None
    while unfixed:
        while True:
            _budget.check(master.panels)
            rounds += 1
            if rounds > _MAX_COLUMN_GENERATION_ROUNDS:
                raise LotteryError("solver", _l("The fairness computation did not converge."))
            level, prices, sum_price, weights = master.solve()
            pricing = polytope.best([prices[t] / sizes[t] for t in range(len(sizes))])
            assert pricing is not None  # the pool is feasible
            value, counts = pricing
            if value - sum_price <= _PRICING_TOLERANCE or not master.add_panel(counts):
                break
        # Types with a positive price are at `level` in every optimal solution.
        to_fix = [t for t in unfixed if prices[t] > _DUAL_FIX_THRESHOLD]
        if not to_fix:  # numerically flat duals: fix the most constrained type
            to_fix = [max(unfixed, key=lambda t: (prices[t], -t))]
        for t in to_fix:
            master.fix(t, level)
            unfixed.discard(t)
        minimum = level if minimum is None else minimum
        report("fairness", 1 - len(unfixed) / len(sizes), minimum)
    return _distribution_from_weights(pool, master.panels, weights)


def _distribution_from_weights(pool: Pool, panels: Sequence[tuple[int, ...]], weights: np.ndarray) -> Distribution:
    """Drop zero weights, renormalise, sort panels canonically, derive probabilities."""
    clipped = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    clipped[clipped < 1e-12] = 0.0
    clipped /= clipped.sum()
    support = sorted((panels[i], float(clipped[i])) for i in range(len(panels)) if clipped[i] > 0)
    sizes = np.array([g.size for g in pool.types], dtype=np.float64)
    expected = np.zeros(len(sizes))
    for counts, weight in support:
        expected += weight * np.asarray(counts, dtype=np.float64)
    probabilities = tuple(float(p) for p in np.minimum(expected / sizes, 1.0))
    return Distribution(pool, tuple(c for c, _ in support), tuple(w for _, w in support), probabilities)


def selection_probabilities(applicants: Sequence[Applicant], quotas: Quotas, seats: int,
                            households: Mapping[str, Any] | Iterable[Iterable[str]] | None = None
                            ) -> dict[str, float]:
    """Each applicant's leximin selection probability (``households``: see :func:`build_pool`).

    :return: pseudonym -> probability, in pseudonym order.
    :raises LotteryError: as :func:`leximin_distribution`.
    """
    return leximin_distribution(applicants, quotas, seats, households=households).probabilities


# --------------------------------------------------------------------------
# Rounding to a table of M panels
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PanelTable:
    """A uniform lottery over M panels of people: number j picks ``rows[j-1]``.

    :param rows: M panels, each a sorted tuple of pseudonyms.
    :param applicants: every pseudonym of the pool, sorted (also those in no row).
    :param bound: the promised bound on ``|rows share - leximin probability|``.
    :param type_rows: the table at type level: (seat counts per type, rows).
    """

    rows: tuple[tuple[str, ...], ...]
    applicants: tuple[str, ...]
    bound: float
    type_rows: tuple[tuple[tuple[int, ...], int], ...] = ()

    @property
    def size(self) -> int:
        return len(self.rows)


def _quantise_weights(weights: Sequence[float], table_size: int) -> list[int]:
    """Weights times M in integer units of 1/WEIGHT_SCALE, summing exactly to M."""
    total = table_size * WEIGHT_SCALE
    units = [int(round(w * total)) for w in weights]
    # Put the float residue on the largest weight (first on ties) so the sum is exact.
    largest = max(range(len(units)), key=lambda i: (units[i], -i))
    units[largest] += total - sum(units)
    return units


def _systematic_rounding(units: Sequence[int]) -> list[int]:
    """Round x_j = units_j / WEIGHT_SCALE to integers keeping every prefix sum
    within 1/2: m_j = round(X_j) - round(X_{j-1}), X the prefix sums."""
    rounded, prefix, previous = [], 0, 0
    for u in units:
        prefix += u
        current = (2 * prefix + WEIGHT_SCALE) // (2 * WEIGHT_SCALE)  # round half up, exact
        rounded.append(current - previous)
        previous = current
    return rounded


def _type_deviation(panels: Sequence[tuple[int, ...]], units: Sequence[int], rounded: Sequence[int],
                    sizes: Sequence[int]) -> float:
    """max over types of |seats in table - M * expected seats| / size."""
    worst = 0.0
    for t, size in enumerate(sizes):
        delta = sum((m * WEIGHT_SCALE - u) * p[t] for p, u, m in zip(panels, units, rounded))
        worst = max(worst, abs(delta) / WEIGHT_SCALE / size)
    return worst


def _improve_rounding(panels: Sequence[tuple[int, ...]], units: Sequence[int], start: Sequence[int],
                      sizes: Sequence[int], node_limit: int) -> list[int]:
    """Choose floor or ceil of each x_j (sum M) minimising the worst type deviation.

    A small binary program, started from the systematic rounding, which is
    feasible; so the result is never worse than it.
    """
    count = len(panels)
    floors = [u // WEIGHT_SCALE for u in units]
    fractions = [u / WEIGHT_SCALE - f for u, f in zip(units, floors)]
    table_size = sum(start)
    highs = _new_highs()
    highs.setOptionValue("mip_max_nodes", node_limit)
    # Columns: b_j in {0,1} (ceil instead of floor), then delta >= 0.
    _add_columns(highs, [0.0] * count + [1.0], [0.0] * (count + 1), [1.0] * count + [math.inf])
    highs.changeColsIntegrality(count, np.arange(count, dtype=np.int32),
                                np.array([highspy.HighsVarType.kInteger] * count))
    _add_row(highs, table_size - sum(floors), table_size - sum(floors), [(j, 1.0) for j in range(count)])
    for t, size in enumerate(sizes):
        # sum_j (b_j - frac_j) * c_jt within +-delta * size
        offset = sum(fr * p[t] for fr, p in zip(fractions, panels))
        entries = [(j, float(p[t])) for j, p in enumerate(panels) if p[t]]
        if not entries:
            continue
        _add_row(highs, -math.inf, offset, entries + [(count, -float(size))])
        _add_row(highs, offset, math.inf, entries + [(count, float(size))])
    solution = highspy.HighsSolution()
    solution.col_value = [float(m - f) for m, f in zip(start, floors)] + [
        _type_deviation(panels, units, start, sizes)]
    highs.setSolution(solution)
    highs.run()
    if highs.getModelStatus() not in (highspy.HighsModelStatus.kOptimal,
                                      highspy.HighsModelStatus.kSolutionLimit,
                                      highspy.HighsModelStatus.kIterationLimit):
        return list(start)
    values = highs.getSolution().col_value
    candidate = [f + int(round(values[j])) for j, f in enumerate(floors)]
    if sum(candidate) != table_size or any(c < 0 for c in candidate):
        return list(start)
    if _type_deviation(panels, units, candidate, sizes) < _type_deviation(panels, units, start, sizes):
        return candidate
    return list(start)


def rounding_bound(distribution: Distribution, table_size: int = DEFAULT_TABLE_SIZE) -> float:
    """The bound :func:`round_to_table` promises, computed before rounding.

    With the support panels P_1..P_r in canonical order and TV_t the total
    variation ``sum_j |c_{j,t} - c_{j+1,t}|`` of type t's seat counts along
    that order, every applicant of type t gets a table share within
    ``(1 + TV_t / (2 size_t)) / M`` of their leximin probability. Since
    ``c <= size_t``, ``TV_t / size_t <= r - 1 <= T``, so the bound never
    exceeds ``(1 + T/2) / M`` (see :func:`universal_rounding_bound`).

    :return: ``max_t (1 + TV_t / (2 size_t)) / M`` plus 1e-9 for float noise.
    """
    panels = distribution.panels
    worst = 0.0
    for t, group in enumerate(distribution.pool.types):
        variation = sum(abs(panels[j][t] - panels[j + 1][t]) for j in range(len(panels) - 1))
        worst = max(worst, variation / (2 * group.size))
    return (1.0 + worst) / table_size + 1e-9


def universal_rounding_bound(type_count: int, table_size: int = DEFAULT_TABLE_SIZE) -> float:
    """Instance-independent cap on :func:`rounding_bound`: ``(1 + T/2) / M``.

    It holds because the final LP solution is basic, so at most T + 1 panels
    carry weight, and each step of the total variation is at most the type's size.
    """
    return (1.0 + type_count / 2) / table_size + 1e-9


def round_to_table(distribution: Distribution, table_size: int = DEFAULT_TABLE_SIZE,
                   version: str = ALGORITHM_VERSION) -> PanelTable:
    """Round a distribution to M panels of people, picked uniformly.

    Method (after Flanigan, Kehne, Procaccia, NeurIPS 2021, specialised to types):

    1. Type level. Each support panel P_j should fill x_j = M * weight_j rows.
       Quantise x_j to multiples of 1e-9 (exact integers from here on) and
       round systematically: m_j = round(X_j) - round(X_{j-1}) for the prefix
       sums X, so each m_j is floor or ceil of x_j, they sum to M and every
       prefix error D_j = round(X_j) - X_j is within 1/2. By summation by
       parts, type t's seats in the table differ from M * E[count_t] by
       ``sum_j D_j (c_{j,t} - c_{j+1,t})``, at most TV_t / 2 in absolute
       value. A small binary program then picks floor/ceil per panel to
       minimise the worst per-type error; it starts from the systematic
       rounding and is only used if strictly better, so the bound stands.
    2. Person level. Each type's S_t seats in the table are dealt to its
       members round-robin in pseudonym order, continuing across rows, so no
       row repeats a person (counts <= size) and each member appears
       floor(S_t/size_t) or ceil(S_t/size_t) times.

    Guarantee: every applicant's share of rows differs from their leximin
    probability by less than ``(1 + TV_t / (2 size_t)) / M`` (see
    :func:`rounding_bound`), at most ``(1 + T/2) / M`` for T types.
    Every row meets every quota because every type-level panel does.

    :param distribution: from :func:`leximin_distribution`.
    :param table_size: M, at least 1.
    :param version: the algorithm version (the binary program's node limit depends on it).
    :return: the :class:`PanelTable`, rows in canonical order.
    :raises LotteryError: ``bad_input`` if M < 1.
    """
    if isinstance(table_size, bool) or not isinstance(table_size, int) or table_size < 1:
        raise LotteryError("bad_input", _l("The table needs at least one panel."), {"table_size": repr(table_size)})
    if version in PROMISE_VERSIONS:
        from app.lottery.table import RoundingFailed, dependent_rounding  # cycle: table.py reads Distribution from here

        try:
            return dependent_rounding(distribution, table_size, version not in ("2.1", "2.2"),
                                      version not in ("2.1", "2.2", "2.3"))[0]
        except RoundingFailed:
            raise LotteryError("solver", _l("The table of panels could not be rounded within the bound.")) from None
    pool = distribution.pool
    sizes = [g.size for g in pool.types]
    panels = list(distribution.panels)
    units = _quantise_weights(distribution.weights, table_size)
    rounded = _systematic_rounding(units)
    if len(panels) > 1:
        rounded = _improve_rounding(panels, units, rounded, sizes,
                                    _ROUNDING_ILP_NODE_LIMIT.get(version, _ROUNDING_ILP_NODE_LIMIT["2.0"]))

    type_rows = tuple((p, m) for p, m in zip(panels, rounded) if m)
    return PanelTable(deal_to_members(pool, type_rows), tuple(sorted(pool.applicants)),
                      rounding_bound(distribution, table_size), type_rows)


def deal_to_members(pool: Pool, type_rows: Sequence[tuple[tuple[int, ...], int]]) -> tuple[tuple[str, ...], ...]:
    """Rows of people from rows of seat counts per type: each type's seats are dealt to its
    members round-robin in pseudonym order, continuing across rows, so no row repeats a person
    and the members' row counts differ by at most one.

    Types of households of several applicants (the household rule) are dealt by
    :func:`_deal_households`, which also keeps every row to one seat per household.

    :param type_rows: ``(seat counts per type, how many rows)`` in table order.
    """
    sizes = [g.size for g in pool.types]
    plain = [t for t, g in enumerate(pool.types) if not g.household]
    next_member = [0] * len(sizes)
    rows: list[list[str]] = []
    members_of = [g.members for g in pool.types]
    for counts, repeat in type_rows:
        seated = [(t, counts[t]) for t in plain if counts[t]]  # the same rows as over every type
        for _ in range(repeat):
            row: list[str] = []
            for t, count in seated:
                members, start = members_of[t], next_member[t]
                end = start + count
                if end <= sizes[t]:
                    row.extend(members[start:end])
                else:  # wraps around to the first members
                    row.extend(members[start:])
                    row.extend(members[:end - sizes[t]])
                next_member[t] = end % sizes[t]
            rows.append(row)
    if pool.households:
        _deal_households(pool, type_rows, rows)
    return tuple(tuple(sorted(row)) for row in rows)


def _deal_households(pool: Pool, type_rows: Sequence[tuple[tuple[int, ...], int]], rows: list[list[str]]) -> None:
    """Add the seats of household types to ``rows``: one seat per household and row.

    Row by row, each type's seats go to its members with the fewest rows so far whose
    household has no seat in the row yet (every household of a signature has a member of
    each of its types, and a row seats at most as many of them as there are households, so
    there are always enough). Then, while two members of a type differ by more than one row,
    a row of the one with more moves to the other where that keeps one seat per household.
    Deterministic: ties go by a fixed order (first members of every household, then second).
    """
    household_of = pool.household_of
    classes = [t for t, g in enumerate(pool.types) if g.household]
    rank: dict[str, int] = {}
    for t in classes:
        members = pool.types[t].members
        position: Counter = Counter()
        keyed = []
        for p in members:  # the i-th member of its household in this type
            keyed.append((position[household_of[p]], household_of[p], p))
            position[household_of[p]] += 1
        for order, (_, _, p) in enumerate(sorted(keyed)):
            rank[p] = order
    appearances: Counter = Counter()
    seat_rows: dict[str, list[int]] = {}
    index = 0
    for counts, repeat in type_rows:
        wanted = sorted((t for t in classes if counts[t]), key=lambda t: (-counts[t], t))
        for _ in range(repeat):
            used: set[int] = set()
            for t in wanted:
                free = sorted(pool.types[t].members, key=lambda p: (appearances[p], rank[p]))
                taken = 0
                for p in free:
                    if taken == counts[t]:
                        break
                    if household_of[p] in used:
                        continue
                    taken += 1
                    rows[index].append(p)
                    used.add(household_of[p])
                    appearances[p] += 1
                    seat_rows.setdefault(p, []).append(index)
            index += 1
    row_households = [Counter(household_of[p] for p in row if p in household_of) for row in rows]
    type_of = {p: t for t in classes for p in pool.types[t].members}
    for t in classes:
        members = pool.types[t].members
        for _ in range(len(rows) * len(members)):
            if not _move_one_seat(members, rows, seat_rows, row_households, household_of, appearances, rank,
                                  pool, type_of):
                break


def _move_one_seat(members, rows, seat_rows, row_households, household_of, appearances, rank, pool,
                   type_of) -> bool:
    """Move one row of a member of a type with the most rows to one with at least two fewer, where
    that keeps one seat per household; every such pair is tried, the widest apart first. Where the
    other's household is taken in every row of the first, an exchange over two rows (see
    :func:`_exchange_over_two_rows`). False when the type is balanced (row counts within one) or no
    move exists."""
    by_rows = sorted(members, key=lambda p: (appearances[p], rank[p]))
    if appearances[by_rows[-1]] - appearances[by_rows[0]] <= 1:
        return False
    pairs = sorted(((high, low) for high in by_rows for low in by_rows
                    if appearances[high] - appearances[low] >= 2),
                   key=lambda pair: (appearances[pair[1]] - appearances[pair[0]], rank[pair[0]], rank[pair[1]]))
    for high, low in pairs:
        for r in seat_rows.get(high, []):
            if row_households[r][household_of[low]] == 0:
                _swap_in_row(rows, seat_rows, row_households, household_of, r, high, low)
                appearances[high] -= 1
                appearances[low] += 1
                return True
    for high, low in pairs:
        if _exchange_over_two_rows(high, low, rows, seat_rows, row_households, household_of, rank, pool, type_of):
            appearances[high] -= 1
            appearances[low] += 1
            return True
    return False


def _swap_in_row(rows, seat_rows, row_households, household_of, r, out, into) -> None:
    """Row ``r`` seats ``into`` instead of ``out`` (the row lists, the rows of each person and the
    seats per household of the row follow)."""
    rows[r].remove(out)
    rows[r].append(into)
    row_households[r][household_of[out]] -= 1
    row_households[r][household_of[into]] += 1
    seat_rows[out].remove(r)
    seat_rows.setdefault(into, []).append(r)


def _exchange_over_two_rows(high, low, rows, seat_rows, row_households, household_of, rank, pool,
                            type_of) -> bool:
    """``low`` takes a row of ``high`` (same type) in which ``low``'s household is taken by ``q``:
    in that row ``q`` gives way to ``q2`` of ``q``'s type, and in another row ``q2`` gives way to
    ``q``. Every row keeps its seats per type (so its quotas) and one seat per household; only
    ``high`` and ``low`` change their row counts. Deterministic (rows and people in a fixed order)."""
    def swap(r, out, into):
        _swap_in_row(rows, seat_rows, row_households, household_of, r, out, into)

    for r in sorted(seat_rows.get(high, [])):
        if low in rows[r]:
            continue
        blockers = [q for q in rows[r] if q in type_of and household_of[q] == household_of[low]]
        if len(blockers) != 1:
            continue
        q = blockers[0]
        in_r = set(rows[r])
        for q2 in sorted(pool.types[type_of[q]].members, key=lambda p: rank[p]):
            if q2 == q or q2 in in_r:
                continue
            free_in_r = household_of[q2] == household_of[high] or row_households[r][household_of[q2]] == 0
            if not free_in_r or household_of[q2] == household_of[low]:
                continue
            for s_ in sorted(seat_rows.get(q2, [])):
                if s_ == r or q in rows[s_]:
                    continue
                if household_of[q] != household_of[q2] and row_households[s_][household_of[q]] != 0:
                    continue
                swap(r, high, low)
                swap(r, q, q2)
                swap(s_, q2, q)
                return True
    return False


@dataclass(frozen=True)
class RoundingReport:
    """How far the table's chances are from the leximin chances.

    :param rounded: pseudonym -> rows containing them / M.
    :param deviation: pseudonym -> |rounded - leximin|.
    :param max_deviation: the largest deviation.
    :param bound: the bound the rounding promised.
    """

    rounded: dict[str, float]
    deviation: dict[str, float]
    max_deviation: float
    bound: float

    @property
    def within_bound(self) -> bool:
        return self.max_deviation <= self.bound


def table_shares(rows: Sequence[Sequence[str]], applicants: Iterable[str]) -> dict[str, float]:
    """Each applicant's share of the table's rows (their chance in the table).

    :return: pseudonym -> appearances / number of rows.
    """
    appearances = Counter(p for row in rows for p in row)
    return {p: appearances[p] / len(rows) for p in sorted(applicants)}


def rounding_report(probabilities: Mapping[str, float], table: PanelTable) -> RoundingReport:
    """Compare a table with the leximin probabilities.

    :param probabilities: pseudonym -> leximin probability.
    :param table: the rounded table.
    :return: the :class:`RoundingReport`.
    """
    rounded = table_shares(table.rows, table.applicants)
    deviation = {p: abs(rounded[p] - probabilities[p]) for p in rounded}
    return RoundingReport(rounded, deviation, max(deviation.values(), default=0.0), table.bound)


# --------------------------------------------------------------------------
# Quotas on concrete panels, the draw, replacements
# --------------------------------------------------------------------------


def quota_violations(panel: Collection[str], answers: Mapping[str, Mapping[str, str]], quotas: Quotas,
                     seats: int | None = None) -> list[dict[str, Any]]:
    """The quotas a set of people breaks.

    :param panel: pseudonyms.
    :param answers: pseudonym -> feature -> value.
    :param quotas: feature -> option -> (min, max).
    :param seats: if given, also require exactly this many distinct people.
    :return: one dict per broken rule (feature, value, min, max, count), or
        ``{"feature": None, ...}`` for a wrong seat count / duplicate; empty if fine.
    """
    problems: list[dict[str, Any]] = []
    if seats is not None and (len(panel) != seats or len(set(panel)) != len(panel)):
        problems.append({"feature": None, "value": None, "min": seats, "max": seats, "count": len(set(panel))})
    for feature in sorted(quotas):
        counts = Counter(answers[p].get(feature) for p in panel)
        for value in sorted(quotas[feature]):
            low, high = quotas[feature][value]
            if not low <= counts[value] <= high:
                problems.append({"feature": feature, "value": value, "min": low, "max": high, "count": counts[value]})
    return problems


def waiting_list_order(pseudonyms: Iterable[str], commitment: str, number: int) -> list[str]:
    """Order applicants by ``SHA-256(f"{commitment}:{number}:{pseudonym}")`` (hex, then pseudonym).

    Nobody can predict or steer it before the number is known, and anyone
    can recompute it afterwards.
    """

    def key(pseudonym: str) -> tuple[str, str]:
        digest = hashlib.sha256(f"{commitment}:{number}:{pseudonym}".encode("utf-8")).hexdigest()
        return digest, pseudonym

    return sorted(pseudonyms, key=key)


@dataclass(frozen=True)
class DrawResult:
    """The outcome of a draw.

    :param number: the number drawn, 1..M.
    :param selected: the pseudonyms of row ``number``, sorted.
    :param waiting_list: everyone else, in drawn order.
    """

    number: int
    selected: tuple[str, ...]
    waiting_list: tuple[str, ...]


def draw(table: PanelTable, number: int, commitment: str) -> DrawResult:
    """Pick the panel for a number and order the rest into a waiting list.

    :param table: the published table.
    :param number: 1..M (1-based row number).
    :param commitment: the published commitment; it seeds the waiting-list order.
    :return: the :class:`DrawResult`.
    :raises LotteryError: ``bad_number`` if the number is not in 1..M.
    """
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= table.size:
        raise LotteryError("bad_number", _l("The number must be a whole number from 1 to %(size)s.", size=table.size),
                           {"number": repr(number), "table_size": table.size})
    selected = table.rows[number - 1]
    chosen = set(selected)
    rest = [p for p in table.applicants if p not in chosen]
    return DrawResult(number, tuple(sorted(selected)), tuple(waiting_list_order(rest, commitment, number)))


def server_random_number(table_size: int = DEFAULT_TABLE_SIZE) -> int:
    """A uniform number 1..M from the operating system's cryptographic source."""
    if table_size < 1:
        raise LotteryError("bad_input", _l("The table needs at least one panel."))
    return secrets.randbelow(table_size) + 1


def household_violations(panel: Collection[str], households: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The households with more than one seat in ``panel`` (their members in it), for the household rule."""
    chosen = set(panel)
    return [tuple(p for p in members if p in chosen) for members in households
            if sum(1 for p in members if p in chosen) > 1]


def find_replacement(seated: Collection[str], waiting_list: Sequence[str],
                     applicants: Sequence[Applicant] | Mapping[str, Mapping[str, str]], quotas: Quotas,
                     seats: int, households: Mapping[str, Any] | Iterable[Iterable[str]] | None = None) -> str:
    """The first waiting applicant whose admission keeps every quota reachable.

    With one free seat, admitting w must give exactly ``seats`` people that
    meet every min and max. With several free seats (several declines at
    once), admitting w must keep all maxima and leave a way to fill the
    other free seats from the rest of the waiting list meeting all quotas.

    :param seated: pseudonyms holding seats now (after declines).
    :param waiting_list: pseudonyms in drawn order; seated ones are skipped.
    :param applicants: the applicants, or pseudonym -> answers.
    :param quotas: feature -> option -> (min, max).
    :param seats: total seats k.
    :param households: the household rule (as for :func:`build_pool`): nobody whose household
        already holds a seat is offered one, nor does the completion count on two of a household.
    :return: the pseudonym to offer the seat to.
    :raises LotteryError: ``bad_input`` if no seat is free or someone is
        unknown; ``no_replacement`` naming the blocking quotas.
    """
    answers = (dict(applicants) if isinstance(applicants, Mapping)
               else {a.pseudonym: a.answers for a in applicants})
    quotas = normalise_quotas(quotas)
    seated_set = set(seated)
    free = seats - len(seated_set)
    if free < 1:
        raise LotteryError("bad_input", _l("No seat is free."), {"seated": len(seated_set), "seats": seats})
    unknown = [p for p in list(seated_set) + list(waiting_list) if p not in answers]
    if unknown:
        raise LotteryError("bad_input", _l("Unknown pseudonym %(pseudonym)s.", pseudonym=sorted(unknown)[0]))

    seated_counts = Counter((f, answers[p].get(f)) for p in seated_set for f in quotas)
    candidates = [p for p in dict.fromkeys(waiting_list) if p not in seated_set]
    blocked_by: Counter[tuple[str, str, str]] = Counter()
    groups = household_groups(households, set(answers))
    household_of = {p: h for h, members in enumerate(groups) for p in members}
    if groups:
        taken = {household_of[p] for p in seated_set if p in household_of}
        blocked = [p for p in candidates if household_of.get(p, -1) in taken]
        if blocked:
            blocked_by[("*", "*", "household")] += len(blocked)
            candidates = [p for p in candidates if household_of.get(p, -1) not in taken]
    for index, candidate in enumerate(candidates):
        counts = seated_counts.copy()
        for feature in quotas:
            counts[(feature, answers[candidate].get(feature))] += 1
        broken = [(f, v, "max") for f in quotas for v, (low, high) in quotas[f].items() if counts[(f, v)] > high]
        if free == 1:
            broken += [(f, v, "min") for f in quotas for v, (low, high) in quotas[f].items() if counts[(f, v)] < low]
        elif not broken and not _can_complete(counts, [p for p in candidates[:index] + candidates[index + 1:]
                                                       if candidate not in household_of
                                                       or household_of.get(p) != household_of[candidate]],
                                              answers, quotas, free - 1, groups):
            broken = [(f, v, "min") for f in quotas for v, (low, high) in quotas[f].items() if counts[(f, v)] < low]
            broken = broken or [("*", "*", "completion")]
        if not broken:
            return candidate
        blocked_by.update(broken)

    blocking = [{"feature": f, "value": v, "bound": b, "min": quotas.get(f, {}).get(v, (None, None))[0],
                 "max": quotas.get(f, {}).get(v, (None, None))[1], "seated": seated_counts[(f, v)],
                 "candidates_blocked": n}
                for (f, v, b), n in sorted(blocked_by.items(), key=lambda item: (-item[1], item[0]))]

    details = {"blocking": blocking, "free_seats": free, "waiting": len(candidates)}
    raise LotteryError("no_replacement", NoReplacementMessage(details), details)


def _can_complete(counts: Counter, pool: Sequence[str], answers: Mapping[str, Mapping[str, str]], quotas: Quotas,
                  free: int, households: Sequence[Sequence[str]] = ()) -> bool:
    """Whether ``free`` more people from ``pool`` can join a group with these quota counts and meet all quotas
    (at most one of each of ``households``)."""
    features = sorted(quotas)
    people = set(pool)
    classes, household_rows = _classes({p: tuple(answers[p].get(f) for f in features) for p in pool},
                                       household_groups(households, people))
    if len(classes) == 0:
        return free == 0
    rows = []
    for f_index, feature in enumerate(features):
        for value, (low, high) in quotas[feature].items():
            members = [t for t, group in enumerate(classes) if group.key[f_index] == value]
            rows.append((low - counts[(feature, value)], high - counts[(feature, value)], members))
    rows += [(0, count, list(members)) for count, members in household_rows]
    polytope = _PanelPolytope([g.size for g in classes], free, rows)
    return polytope.best([0.0] * len(classes)) is not None
