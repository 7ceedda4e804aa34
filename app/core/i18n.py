"""Languages: German by default, English second; the choice is kept in a cookie.

Parameters of translated messages are data, escaped whatever the message: ``_()`` in
templates escapes them (Jinja's new-style gettext), a plain ``gettext`` result is a ``str``
that Jinja escapes whole, and a lazily translated string (``lazy_gettext``, the domain
errors' messages) escapes its parameters when it is put into HTML (:func:`lazy_html`).
"""
from __future__ import annotations

from numbers import Number
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import format_decimal, get_locale
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from app.core import formatting, labels
from app.extensions import babel

LANG_COOKIE = "ideenmarkt_lang"
APP_DIR = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    """The language switch's cookie; without it the browser's Accept-Language (``en-GB`` gives
    English), else German. API clients have no cookie: for them Accept-Language decides."""
    languages = current_app.config["LANGUAGES"]
    if not request:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages and not request.path.startswith("/api/"):
        return chosen
    asked = request.accept_languages.best_match(languages)
    if asked:
        return asked
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def translation_directories() -> list[str]:
    """One catalogue per feature (``app/<feature>/translations``), merged by Flask-Babel."""
    dirs = [str(APP_DIR / "translations")]
    dirs += sorted(str(p) for p in APP_DIR.glob("*/translations") if p.is_dir())
    return dirs


def lazy_html(self: LazyString) -> Markup:
    """A lazily translated string as HTML: its text is trusted (the programmer's and the
    translator's, as in templates), its parameters are escaped (numbers stay numbers for
    ``%(n)d``; Markup parameters, such as another lazy message, stay as they are)."""
    variables = {name: value if isinstance(value, Number) else escape(value)
                 for name, value in self._kwargs.items()}
    return Markup(self._func(*self._args, **variables))


# Flask-Babel's LazyString.__html__ returns the formatted text unescaped, so Jinja and
# markupsafe.escape() take any parameter (an event title, a criterion label) as markup.
# Replaced here, once for every lazy string of every module (features, WTForms labels).
LazyString.__html__ = lazy_html


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    formatting.init_app(app)
    labels.init_app(app)
    app.jinja_env.globals.update(
        get_locale=get_locale,
        format_decimal=format_decimal,
        content_lang=content_lang,
        content_lang_code=content_lang_code,
    )
    app.jinja_env.filters["content"] = content


def content_language(process=None) -> str:
    """The language people wrote a process's content in (titles, stands, ideas, criteria).

    A process may say (``content_language``); otherwise the site's ``CONTENT_LANGUAGE``,
    German. Ideas typed by residents are taken to be in that language too: their language is
    not known one by one, and the process's is the best guess a screen reader can get.
    """
    return getattr(process, "content_language", None) or current_app.config.get("CONTENT_LANGUAGE") or "de"


def content_lang_code(process=None) -> str | None:
    """The content's language when the page is in another one (for a ``lang`` argument), else None."""
    language = content_language(process)
    locale = get_locale()
    return None if locale is not None and locale.language == language else language


def content_lang(process=None):
    """`` lang="de"`` for an element with content when the page is in another language (WCAG 3.1.2),
    else nothing: ``<h1{{ content_lang() }}>{{ event.title }}</h1>``."""
    language = content_lang_code(process)
    return Markup(' lang="%s"') % escape(language) if language else Markup("")


def content(text, process=None) -> Markup:
    """Content (a title, a stand's name, an idea) inside a sentence of the page's language, marked
    with its language when that differs: ``_("Stands of %(event)s", event=event.title|content)`` or
    ``{{ _("Voting") }}: {{ event.title|content }}``. Not for ``<title>`` or attributes (text only)."""
    marked = content_lang(process)
    if not marked:
        return escape(text)
    return Markup("<span%s>%s</span>") % (marked, text)
