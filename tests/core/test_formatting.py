"""One format per language for dates, times and percentages (app.core.formatting)."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from app.core import formatting

# Naive UTC, as stored: 17:00 UTC is 18:00 in Esslingen in winter.
NEW_YEAR = datetime(2027, 1, 1, 17, 0, 59)
SUMMER = datetime(2019, 3, 1, 7, 5)  # 08:05 in Berlin (CET)


@pytest.fixture
def in_locale(app):
    def run(language, fn, *args, **kwargs):
        with app.test_request_context(), force_locale(language):
            return fn(*args, **kwargs)
    return run


@pytest.mark.parametrize("language, style, expected", [
    ("de", "long", "Freitag, 1. Januar 2027, 18:00 Uhr"),
    ("de", "short", "01.01.2027, 18:00"),
    ("en", "long", "Friday, 1 January 2027, 18:00"),
    ("en", "short", "01/01/2027, 18:00"),
])
def test_moment_in_both_languages_without_seconds(in_locale, language, style, expected):
    assert in_locale(language, formatting.format_moment, NEW_YEAR, style) == expected


def test_short_form_keeps_four_digit_years_and_local_time(in_locale):
    assert in_locale("de", formatting.format_moment, SUMMER) == "01.03.2019, 08:05"
    assert in_locale("en", formatting.format_moment, SUMMER) == "01/03/2019, 08:05"


@pytest.mark.parametrize("language, style, expected", [
    ("de", "long", "Freitag, 1. Januar 2027"), ("de", "short", "01.01.2027"),
    ("en", "long", "Friday, 1 January 2027"), ("en", "short", "01/01/2027"),
])
def test_day_of_a_date_and_of_a_datetime(in_locale, language, style, expected):
    assert in_locale(language, formatting.format_day, date(2027, 1, 1), style) == expected
    assert in_locale(language, formatting.format_day, NEW_YEAR, style) == expected


def test_day_follows_the_local_date_not_the_utc_date(in_locale):
    late = datetime(2026, 12, 31, 23, 30)  # already 1 January in Berlin
    assert in_locale("de", formatting.format_day, late) == "01.01.2027"


def test_clock(in_locale):
    assert in_locale("de", formatting.format_clock, NEW_YEAR, "long") == "18:00 Uhr"
    assert in_locale("de", formatting.format_clock, NEW_YEAR) == "18:00"
    assert in_locale("en", formatting.format_clock, NEW_YEAR, "long") == "18:00"


def test_missing_values_and_unknown_style(in_locale):
    assert in_locale("de", formatting.format_moment, None) == ""
    assert in_locale("de", formatting.format_day, None) == ""
    assert in_locale("de", formatting.format_share, None) == "–"
    with pytest.raises(ValueError):
        in_locale("de", formatting.format_moment, NEW_YEAR, "medium")


@pytest.mark.parametrize("language, value, digits, expected", [
    ("de", 0.125, 1, "12,5\u00a0%"), ("en", 0.125, 1, "12.5%"),
    ("de", 0.5, 1, "50,0\u00a0%"), ("en", 0.5, 1, "50.0%"),
    ("de", 0.4567, 2, "45,67\u00a0%"), ("en", 0.4567, 2, "45.67%"),
    ("de", 0.45, 0, "45\u00a0%"), ("en", 0.45, 0, "45%"),
])
def test_percentages(in_locale, language, value, digits, expected):
    assert in_locale(language, formatting.format_share, value, digits) == expected


def test_numbers_use_the_language_separators(in_locale):
    assert in_locale("de", formatting.format_number, 1234.5) == "1.234,5"
    assert in_locale("en", formatting.format_number, 1234.5) == "1,234.5"


def test_template_filters(in_locale):
    source = ('{{ when|datetime }} | {{ when|datetime("long") }} | {{ when|date }} | {{ when|time }} | '
              '{{ share|percent }} | {{ share|percent(0) }}')
    rendered = in_locale("de", render_template_string, source, when=NEW_YEAR, share=0.125)
    assert rendered == ("01.01.2027, 18:00 | Freitag, 1. Januar 2027, 18:00 Uhr | 01.01.2027 | 18:00 | "
                        "12,5\u00a0% | 12\u00a0%")
    rendered = in_locale("en", render_template_string, source, when=NEW_YEAR, share=0.125)
    assert rendered == "01/01/2027, 18:00 | Friday, 1 January 2027, 18:00 | 01/01/2027 | 18:00 | 12.5% | 12%"
