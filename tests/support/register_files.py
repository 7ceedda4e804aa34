"""Register extracts as a registration office exports them, in several encodings and layouts
(tests/invitations, the register journey, bench-like sizes)."""
from __future__ import annotations

import io

HEADER = ["Vorname", "Familienname", "Titel", "Straße", "Hausnummer", "PLZ", "Ort", "Geburtsjahr", "Geschlecht",
          "Stadtteil"]
DISTRICTS = ("Innenstadt", "Mettingen", "Berkheim", "Zell")


def register_rows(n: int = 40, start: int = 0) -> list[list[str]]:
    """``n`` residents; every second row shares the household of the one before it."""
    rows = []
    for i in range(start, start + n):
        house = i // 2
        rows.append([f"Jürgen{i}", f"Weiß{i}", "Dr." if i % 7 == 0 else "", "Hauptstraße" if house % 2 else "Hauptstr.",
                     f"{house} a" if house % 3 == 0 else str(house), "73728", "Esslingen am Neckar",
                     str(1940 + i % 65), "w" if i % 2 else "m", DISTRICTS[house % len(DISTRICTS)]])
    return rows


def csv_bytes(rows, header=HEADER, delimiter=";", encoding="utf-8") -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in [header, *rows]) + "\r\n"
    return text.encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([int(v) if v.isdigit() and len(v) == 4 else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
