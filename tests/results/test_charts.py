"""Chart geometry: bars scale to a round axis, segments stack, labels are shortened."""
from __future__ import annotations

from app.results import charts


def test_nice_steps():
    assert [charts.nice_step(n) for n in (0, 1, 4, 6, 12, 20, 21, 99, 1000, 123_456)] == [
        1, 1, 1, 2, 5, 5, 10, 50, 500, 50_000]


def test_stacked_bars_scale_to_the_axis():
    chart = charts.bar_chart("x", "Titel", "Beschreibung", [
        ("Bürgerportal", {"room": 5, "board": 6, "online": 1}),
        ("Ein sehr, sehr langer Standname über vieles", {"room": 0, "board": 0, "online": 3}),
        ("Leer", {}),
    ], ("room", "board", "online"))
    assert [t[1] for t in chart.ticks] == [0, 5, 10, 15]
    first = chart.rows[0]
    assert first.total == 12 and [s.kind for s in first.segments] == ["room", "board", "online"]
    assert first.segments[0].x == charts.LABEL_WIDTH
    assert abs(sum(s.width for s in first.segments) - charts.BAR_AREA * 12 / 15) < 0.05
    assert first.segments[1].x == round(first.segments[0].x + first.segments[0].width, 2)
    assert chart.rows[1].label.endswith("…") and len(chart.rows[1].label) == charts.LABEL_CHARS
    assert chart.rows[2].segments == () and chart.rows[2].total == 0
    assert chart.height > chart.rows[2].y


def test_empty_chart():
    chart = charts.bar_chart("x", "t", "d", [], ("people",))
    assert chart.rows == () and [t[1] for t in chart.ticks] == [0, 1]
