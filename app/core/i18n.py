"""Languages: German by default, English second; the choice is kept in a cookie."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import format_decimal, get_locale

from app.core import formatting, labels
from app.extensions import babel

LANG_COOKIE = "ideenmarkt_lang"
APP_DIR = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if request and request.path.startswith("/api/"):
        # API clients have no language cookie: they say what they want with Accept-Language.
        asked = request.accept_languages.best_match(languages)
        if asked:
            return asked
    chosen = request.cookies.get(LANG_COOKIE) if request else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translation_directories() -> list[str]:
    """One catalogue per feature (``app/<feature>/translations``), merged by Flask-Babel."""
    dirs = [str(APP_DIR / "translations")]
    dirs += sorted(str(p) for p in APP_DIR.glob("*/translations") if p.is_dir())
    return dirs


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    formatting.init_app(app)
    labels.init_app(app)
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_decimal=format_decimal,
    )
