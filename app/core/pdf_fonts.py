"""Fonts of the PDFs Ideenmarkt writes (the council report, the invitation letters).

DejaVu from Debian's fonts-dejavu-core (``DEJAVU_DIR``), registered with ReportLab once;
without them the PDF base fonts (Helvetica), which cover German text.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    mono: str = "Courier"


_fonts: Fonts | None = None


def fonts() -> Fonts:
    """DejaVu Sans when Debian's fonts are installed (registered once), else Helvetica."""
    global _fonts
    if _fonts is None:
        regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
        mono = DEJAVU_DIR / "DejaVuSansMono.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            # PDF/UA wants every font embedded: the hash in DejaVu Sans Mono, not Courier.
            if mono.is_file():
                pdfmetrics.registerFont(TTFont("DejaVuSansMono", str(mono)))
            _fonts = Fonts("DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono" if mono.is_file() else "Courier")
        else:
            _fonts = Fonts("Helvetica", "Helvetica-Bold")
    return _fonts
