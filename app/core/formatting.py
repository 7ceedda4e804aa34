"""Dates, times, numbers and percentages in the visitor's language: one format per locale.

Every page, mail, export and the PDF formats through these functions (the templates through
the filters ``datetime``, ``date``, ``time``, ``number`` and ``percent``), so the same moment
reads the same everywhere:

- German: ``Freitag, 1. Januar 2027, 18:00 Uhr`` (long) or ``01.01.2027, 18:00`` (short);
- English (formatted as en-GB): ``Friday, 1 January 2027, 18:00`` or ``01/01/2027, 18:00``.

Never seconds, never two-digit years. Stored datetimes are naive UTC and are shown in the
configured time zone (``BABEL_DEFAULT_TIMEZONE``); dates are shown as they are.
"""
from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date as _babel_date, format_time as _babel_time
from babel.numbers import format_decimal as _babel_decimal, format_percent as _babel_percent
from flask import Flask
from flask_babel import get_locale, to_user_timezone

#: Patterns per language. English follows British usage (day before month, 24-hour clock).
_PATTERNS = {
    "de": {
        "long_date": "EEEE, d. MMMM y",
        "short_date": "dd.MM.y",
        "time": "HH:mm",
        "long_time_suffix": " Uhr",
    },
    "en": {
        "long_date": "EEEE, d MMMM y",
        "short_date": "dd/MM/y",
        "time": "HH:mm",
        "long_time_suffix": "",
    },
}
#: The locale whose names (months, weekdays) and number symbols each language uses.
_FORMAT_LOCALES = {"de": "de_DE", "en": "en_GB"}
#: How a percentage is written: German with a (non-breaking) space before the sign, English without.
_PERCENT_PATTERNS = {"de": "#,##0{digits}\u00a0%", "en": "#,##0{digits}%"}
STYLES = ("short", "long")


def _language() -> str:
    locale = get_locale()
    language = locale.language if locale else "de"
    return language if language in _PATTERNS else "de"


#: The parsed locales of :data:`_FORMAT_LOCALES` (parsed once: a page formats a hundred dates)
_LOCALES = {language: Locale.parse(name) for language, name in _FORMAT_LOCALES.items()}


def format_locale() -> Locale:
    """The locale used for formatting: ``en`` is formatted as ``en_GB``."""
    return _LOCALES[_language()]


def _check(style: str) -> None:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}, expected one of {STYLES}")


def _local(value: datetime) -> datetime:
    return to_user_timezone(value)


def _date_text(value: date, style: str, language: str) -> str:
    return _babel_date(value, _PATTERNS[language][f"{style}_date"], locale=_LOCALES[language])


def _time_text(local: datetime, style: str, language: str) -> str:
    """The time of day of ``local`` (already in the shown time zone)."""
    patterns = _PATTERNS[language]
    text = _babel_time(local.time(), patterns["time"], locale=_LOCALES[language])
    return text + patterns["long_time_suffix"] if style == "long" else text


def format_day(value: date | datetime | str | None, style: str = "short") -> str:
    """A date: ``Freitag, 1. Januar 2027`` (long) or ``01.01.2027`` (short); ``""`` for ``None``.

    ``value`` may also be a date in ISO text (``2026-12-01``), as configuration keeps it.
    """
    _check(style)
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = _local(value).date()
    return _date_text(value, style, _language())


def format_clock(value: datetime | None, style: str = "short") -> str:
    """A time of day: ``18:00`` (short) or ``18:00 Uhr`` (long, in German)."""
    _check(style)
    if value is None:
        return ""
    return _time_text(_local(value), style, _language())


def format_moment(value: datetime | None, style: str = "short") -> str:
    """A date with its time: ``Freitag, 1. Januar 2027, 18:00 Uhr`` or ``01.01.2027, 18:00``."""
    _check(style)
    if value is None:
        return ""
    local, language = _local(value), _language()  # once for both parts
    return f"{_date_text(local.date(), style, language)}, {_time_text(local, style, language)}"


def format_number(value: int | float | None) -> str:
    """A number with the language's grouping and decimal sign (``1.234,5`` / ``1,234.5``)."""
    if value is None:
        return "–"
    return _babel_decimal(value, locale=format_locale())


def format_share(value: float | None, digits: int = 1) -> str:
    """A share (0.125) as a percentage: ``12,5 %`` / ``12.5%``; ``–`` for ``None``.

    :param digits: decimals shown, always that many (1 by default; 0 for whole percentages
        such as a measure's progress).
    """
    if value is None:
        return "–"
    pattern = _PERCENT_PATTERNS[_language()].format(digits="." + "0" * digits if digits else "")
    return _babel_percent(value, pattern, locale=format_locale())


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        datetime=format_moment,
        date=format_day,
        time=format_clock,
        number=format_number,
        percent=format_share,
    )
