"""Ticket QR codes: one computation per code, rendered as SVG (pages) and PNG (mails) (issue 24:
the ticket mail computed it twice, 1.6 s of the demo's load)."""
from __future__ import annotations

import io

from PIL import Image

from app.voting import codes


def test_the_qr_code_is_computed_once_for_svg_and_png():
    url = "https://beteiligung.example/events/7/vote/t/ABCDEFGH"
    codes._qr_matrix.cache_clear()
    svg = codes.qr_svg(url, "QR-Code Ihres Tickets")
    png = codes.qr_png(url)
    assert codes._qr_matrix.cache_info().misses == 1
    assert svg.startswith('<svg class="qr" role="img" aria-label="QR-Code Ihres Tickets"')
    image = Image.open(io.BytesIO(png))
    modules = codes._qr_matrix(url).modules_count
    assert image.size == ((modules + 2 * 4) * 8,) * 2  # border 4 and 8 px a module, as before
    # The same input gives the same bytes; another gives another code.
    assert codes.qr_png(url) == png and codes.qr_png(url + "X") != png
