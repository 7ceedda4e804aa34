"""Server-rendered SVG bar charts (no JavaScript, nothing fetched).

The geometry is computed here; ``results/_bar_chart.html`` draws it with a
``<title>`` and ``<desc>``, and every chart is followed by a table with the same
numbers (its text alternative).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 540
LABEL_WIDTH = 220
VALUE_WIDTH = 56
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH
BAR_HEIGHT = 22
#: Taller bars when a row has a second, smaller label line (e.g. the event of a stand).
TALL_BAR_HEIGHT = 30
ROW_GAP = 8
TOP = 4
AXIS_HEIGHT = 22
#: Characters of a label drawn in the chart (the table has the full text).
LABEL_CHARS = 28


@dataclass(frozen=True)
class Segment:
    kind: str
    value: int
    x: float
    width: float


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]
    #: Where the total is written (right of the bar).
    value_x: float
    #: A second, smaller line under the label ("" for none).
    sublabel: str = ""


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart; each bar may be stacked from several kinds (room, board, online)."""

    key: str
    title: str
    desc: str
    width: int
    height: int
    label_width: int
    bar_height: int
    rows: tuple[BarRow, ...]
    kinds: tuple[str, ...]
    ticks: tuple[tuple[float, int], ...]
    axis_y: float


def nice_step(largest: int, intervals: int = 4) -> int:
    """A round tick step (1, 2 or 5 × 10ⁿ) so that about ``intervals`` steps cover ``largest``."""
    raw = max(1.0, largest / intervals)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return int(step * power)
    return int(10 * power)  # pragma: no cover


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(key: str, title: str, desc: str, rows: Sequence[tuple[str, Mapping[str, int]]],
              kinds: Sequence[str], sublabels: Sequence[str] | None = None) -> BarChart:
    """Lay out one bar per row, stacked from ``kinds`` in order.

    :param key: unique on the page (used for element ids).
    :param rows: ``(label, {kind: value})``, drawn top to bottom.
    :param sublabels: a second label line per row (then the bars are taller).
    """
    bar_height = TALL_BAR_HEIGHT if sublabels else BAR_HEIGHT
    largest = max((sum(int(v.get(k, 0)) for k in kinds) for _, v in rows), default=0)
    step = nice_step(largest)
    top_value = max(step, -(-largest // step) * step)
    scale = BAR_AREA / top_value
    laid_out, y = [], TOP
    for n, (label, values) in enumerate(rows):
        x, segments = float(LABEL_WIDTH), []
        for kind in kinds:
            value = int(values.get(kind, 0))
            if value > 0:
                width = round(value * scale, 2)
                segments.append(Segment(kind, value, round(x, 2), width))
                x += width
        total = sum(int(values.get(k, 0)) for k in kinds)
        laid_out.append(BarRow(_short(label), y, total, tuple(segments), round(x + 6, 2),
                               _short(sublabels[n]) if sublabels else ""))
        y += bar_height + ROW_GAP
    axis_y = y
    ticks = tuple((round(LABEL_WIDTH + value * scale, 2), value) for value in range(0, top_value + 1, step))
    return BarChart(key, title, desc, WIDTH, int(axis_y + AXIS_HEIGHT), LABEL_WIDTH, bar_height,
                    tuple(laid_out), tuple(kinds), ticks, axis_y)
