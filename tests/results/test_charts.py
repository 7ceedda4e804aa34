"""Chart geometry: bars scale to a round axis, segments stack, labels are shortened."""
from __future__ import annotations

from pathlib import Path

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


def test_board_and_online_bars_are_textured_not_only_coloured(app):
    """WCAG 1.4.1 (issue 16 item 10): board bars striped, online bars dotted, room bars plain, in
    the chart and in its legend."""
    from flask import render_template_string

    chart = charts.bar_chart("stands", "Dots", "Dots per stand",
                             [("Stand A", {"room": 3, "board": 2, "online": 1})], ("room", "board", "online"))
    with app.test_request_context():
        html = render_template_string('{% from "results/_macros.html" import bar_chart %}{{ bar_chart(chart) }}',
                                      chart=chart)
    assert '<pattern id="chart-stands-board"' in html and '<pattern id="chart-stands-online"' in html
    assert html.count('class="seg-texture"') == 2
    assert 'fill="url(#chart-stands-board)"' in html and 'fill="url(#chart-stands-online)"' in html
    css = (Path(app.root_path) / "results/static/results.css").read_text()
    assert ".swatch.seg-board { background-image" in css and ".swatch.seg-online { background-image" in css
