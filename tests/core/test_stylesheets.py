"""A page that uses a class of its feature's stylesheet loads that stylesheet (issue 16: the stands
page showed its wall link and moderator checkboxes unstyled, ideas.css was not linked there).

Static check: for each page template (one that extends a layout) of a feature, the classes written
in it (``class="…"``) that only the feature's own stylesheet defines, not the shared app.css; the
template or a template it extends must link that stylesheet. Macro files are checked through the
pages that import them only where the class is written in the page itself.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
CLASS_ATTR = re.compile(r'class="([^"{]*)"')
SELECTOR = re.compile(r"\.([a-z][a-z0-9_-]*)")
EXTENDS = re.compile(r'{%-?\s*extends\s+"([^"]+)"')


def _classes(css: Path) -> set[str]:
    text = re.sub(r"/\*.*?\*/", "", css.read_text(), flags=re.S)
    selectors = " ".join(re.findall(r"([^{}]+){", text))
    return set(SELECTOR.findall(selectors))


def _template(name: str) -> Path | None:
    feature, _, rest = name.partition("/")
    path = APP / feature / "templates" / name
    return path if path.exists() else None


def _chain(path: Path) -> list[str]:
    """The template's text and the texts of the templates it extends."""
    texts = []
    while path is not None:
        text = path.read_text()
        texts.append(text)
        match = EXTENDS.search(text)
        path = _template(match.group(1)) if match else None
    return texts


def pages_missing_their_stylesheet() -> list[str]:
    shared = _classes(APP / "core" / "static" / "css" / "app.css")
    missing = []
    for feature in sorted(p for p in APP.iterdir() if (p / "static").is_dir() and (p / "templates").is_dir()):
        if feature.name == "core":
            continue
        sheets = {css.name: _classes(css) - shared for css in (feature / "static").rglob("*.css")}
        for template in sorted((feature / "templates").rglob("*.html")):
            texts = _chain(template)
            if not EXTENDS.search(texts[0]):
                continue
            used = {c for attr in CLASS_ATTR.findall(texts[0]) for c in attr.split()}
            for sheet, own in sheets.items():
                needed = sorted(used & own)
                if needed and not any(sheet in text for text in texts):
                    missing.append(f"{template.relative_to(APP)} uses {', '.join(needed)} of {sheet} "
                                   f"but does not load it")
    return missing


def test_pages_load_the_stylesheet_of_the_classes_they_use():
    missing = pages_missing_their_stylesheet()
    assert not missing, "\n".join(missing)


def test_the_check_finds_a_page_without_its_stylesheet(tmp_path, monkeypatch):
    feature = tmp_path / "app" / "shop"
    (feature / "static").mkdir(parents=True)
    (feature / "templates" / "shop").mkdir(parents=True)
    (tmp_path / "app" / "core" / "static" / "css").mkdir(parents=True)
    (tmp_path / "app" / "core" / "static" / "css" / "app.css").write_text(".shared { color: red; }")
    (feature / "static" / "shop.css").write_text("/* .ignored */ .basket li, .shared { margin: 0; }")
    page = feature / "templates" / "shop" / "page.html"
    page.write_text('{% extends "core/base.html" %}<ul class="basket shared"></ul>')
    monkeypatch.setattr(sys.modules[__name__], "APP", tmp_path / "app")
    assert pages_missing_their_stylesheet() == [
        "shop/templates/shop/page.html uses basket of shop.css but does not load it"]
    page.write_text('{% extends "core/base.html" %}{% block head %}<link href="shop.css">{% endblock %}'
                    '<ul class="basket"></ul>')
    assert pages_missing_their_stylesheet() == []
