"""Cells for spreadsheets: what every CSV export writes goes through :func:`csv_safe`."""
from __future__ import annotations

#: Cells starting with these are formulas in Excel/LibreOffice; prefixed with ' on export.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text
