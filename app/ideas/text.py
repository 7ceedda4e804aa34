"""Text folding for tags and duplicate detection (German and English).

``fold("Bürgerportal") == fold("BUERGERPORTAL") == "buergerportal"``: case-folded,
umlauts spelled out the German way (ä → ae, ß → ss), other accents dropped (é → e).
"""
from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})

#: ``#tag`` inside a text: letters, digits, "-" and "_" (Unicode letters included).
TAG_PATTERN = re.compile(r"(?<![\w#&])#([^\W_][\w-]*)", re.UNICODE)
_TRAILING_TAGS = re.compile(r"(?:\s*(?<![\w#&])#[^\W_][\w-]*)+\s*$", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

MAX_TAG_LENGTH = 60


def fold(value: str) -> str:
    """Case- and accent-insensitive form of ``value`` (German umlauts become ae/oe/ue)."""
    value = unicodedata.normalize("NFC", value).casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tag_key(label: str) -> str:
    """The identity of a tag: folded, letters and digits only (``Bürger-Portal`` → ``buergerportal``)."""
    return "".join(_WORD.findall(fold(label.lstrip("#"))))[:MAX_TAG_LENGTH]


def tag_label(label: str) -> str:
    """The display form of a typed tag: without ``#``, trimmed, at most 60 characters."""
    return label.strip().lstrip("#").strip()[:MAX_TAG_LENGTH]


def split_tags(raw: str) -> tuple[str, list[str]]:
    """Separate inline ``#tags`` from an idea's text.

    Tags at the end of the text are removed from it; a tag inside a sentence
    ("mehr #Datenschutz im Portal") keeps its word in the text, without the ``#``.

    :return: the text and the tag labels in typed order (duplicates by key removed).
    """
    labels: list[str] = []
    seen: set[str] = set()
    for match in TAG_PATTERN.finditer(raw):
        label = tag_label(match.group(1))
        key = tag_key(label)
        if key and key not in seen:
            seen.add(key)
            labels.append(label)
    text = _TRAILING_TAGS.sub("", raw)
    text = TAG_PATTERN.sub(lambda m: m.group(1), text)
    return " ".join(text.split()), labels


# -- duplicate detection ---------------------------------------------------------------

STOPWORDS = frozenset("""
aber alle als also am an auch auf aus bei beim bin bis bitte da damit dann das dass dem den der des die
dies diese dieser dort du durch ein eine einem einen einer eines es fuer ganz gerne gibt hat hier ich ihr im in
ist ja kann koennen koennte man mehr mit muss nach nicht noch nur oder ob sehr sich sie sind so soll sollte sollen
um und uns unter viel vom von vor war was wenn wer werden wie wir wird wo zu zum zur
a about all an and are as at be by can could for from has have in into is it its more of on or
should so than that the their there this to too was we were will with would
""".split())

_SUFFIXES = ("ungen", "ungs", "ung", "heit", "keit", "ing", "ern", "en", "er", "es", "ed", "e", "s")


def stem(word: str) -> str:
    """A deliberately simple stemmer for German and English word forms.

    Strips one common inflection suffix from words longer than four letters,
    so "Terminen", "Termine" and "Termin", or "forms" and "form", match.
    """
    if len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def normalise_for_matching(text: str) -> str:
    """Folded, stop words removed, stemmed tokens: what duplicate detection compares."""
    tokens = _WORD.findall(fold(text))
    return " ".join(stem(t) for t in tokens if t not in STOPWORDS)
