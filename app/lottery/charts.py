"""Server-rendered SVG bar charts for the representativeness report (no JavaScript).

The geometry is computed here; ``lottery/_share_chart.html`` draws it. The
table next to each chart is its text alternative.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.formatting import format_share
from app.lottery.representativeness import GROUPS, CriterionReport

WIDTH = 640
LABEL_WIDTH = 170
BAR_AREA = 400
BAR_HEIGHT = 12
BAR_GAP = 3
OPTION_GAP = 14
TOP = 8


@dataclass
class Bar:
    group: str
    y: float
    width: float
    share: float


@dataclass
class OptionBars:
    label: str
    y: float
    bars: list[Bar]


@dataclass
class Chart:
    key: str
    label: str
    width: int
    height: int
    label_width: int
    bar_area: int
    bar_height: int
    options: list[OptionBars]
    groups: list[str]
    ticks: list[tuple[float, str]]
    #: group → legend text; None: the lottery's group labels.
    labels: dict[str, str] | None = None


def share_chart(report: CriterionReport, groups: Sequence[str] = GROUPS, labels: dict[str, str] | None = None,
                key_prefix: str = "") -> Chart:
    """One group of bars per option: a bar per compared group that has data.

    ``groups``, ``labels`` and ``key_prefix`` serve other comparisons drawn the same way (the stages of
    an invitation draw, app/invitations/stages.py: anything with ``key``, ``label`` and options with
    ``label`` and ``shares``)."""
    groups = [g for g in groups if any(o.shares.get(g) is not None for o in report.options)]
    options, y = [], TOP
    for option in report.options:
        bars, bar_y = [], y
        for group in groups:
            share = option.shares.get(group) or 0.0
            bars.append(Bar(group, bar_y, round(share * BAR_AREA, 2), share))
            bar_y += BAR_HEIGHT + BAR_GAP
        options.append(OptionBars(option.label, y, bars))
        y = bar_y + OPTION_GAP
    ticks = [(LABEL_WIDTH + BAR_AREA * t / 4, format_share(t / 4, digits=0)) for t in range(5)]
    return Chart(key_prefix + report.key, report.label, WIDTH, int(y + 16), LABEL_WIDTH, BAR_AREA, BAR_HEIGHT,
                 options, groups, ticks, labels)
