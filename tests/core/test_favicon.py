"""Browsers ask every site for /favicon.ico; the pages link an SVG icon as well."""
from __future__ import annotations

from PIL import Image
import io


def test_favicon_ico_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert "max-age" in response.headers.get("Cache-Control", "")
    assert Image.open(io.BytesIO(response.data)).format == "ICO"


def test_pages_link_the_svg_icon(client):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert client.get("/static/core/img/favicon.svg").status_code == 200
