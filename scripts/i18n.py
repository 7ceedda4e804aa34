"""Translation catalogues, one per feature (``app/<feature>/translations``).

    python scripts/i18n.py update [FEATURE ...]   # extract strings, update the German catalogues
                                     # (only the features named; all without a name)
    python scripts/i18n.py compile   # build the .mo files (make run / make test do this)
    python scripts/i18n.py check     # fail if a German translation is missing or fuzzy, or if
                                     # two catalogues translate one msgid (and context) differently
    python scripts/i18n.py fill FEATURE FILE.json   # set German texts from {"msgid": "msgstr"}
                                     # (plural: {"msgid": ["singular", "plural"]};
                                     # with a context: {"context\\u0004msgid": ...})

Source strings are English; German (the default language) is a translation.
English needs no catalogue: an untranslated string is shown as written.

Flask-Babel merges all catalogues into one (a later feature's translation replaces an earlier
one), so one English text must have one translation everywhere. Where one English word means two
things ("Place": the venue or a seat), the code gives it a context (``pgettext("venue", "Place")``,
``{% trans "venue" %}Place{% endtrans %}``) and each context is translated on its own.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
LOCALES = ("de",)
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "ngettext:1,2",
            "-k", "pgettext:1c,2", "-k", "npgettext:1c,2,3", "-k", "lazy_pgettext:1c,2",
            "-k", "lazy_npgettext:1c,2,3", "-k", "_lp:1c,2"]


def feature_dirs() -> list[Path]:
    return sorted(p for p in APP.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(done.returncode)


def extract(feature: Path) -> Path:
    pot = feature / "translations" / "messages.pot"
    pot.parent.mkdir(exist_ok=True)
    run("extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS, "--no-location", "--omit-header",
        "--sort-output", "-o", str(pot), str(feature))
    return pot


def update(names: list[str] | None = None) -> None:
    features = feature_dirs()
    if names:
        unknown = sorted(set(names) - {f.name for f in features})
        if unknown:
            raise SystemExit(f"unknown feature(s): {', '.join(unknown)}")
        features = [f for f in features if f.name in names]
    for feature in features:
        pot = extract(feature)
        with pot.open("rb") as fh:
            empty = not any(m.id for m in read_po(fh))
        if empty:  # a package without strings gets no catalogue
            pot.unlink()
            continue
        for locale in LOCALES:
            po = feature / "translations" / locale / "LC_MESSAGES" / "messages.po"
            if po.exists():
                run("update", "-i", str(pot), "-d", str(feature / "translations"), "-l", locale,
                    "--no-fuzzy-matching", "--ignore-obsolete", "--ignore-pot-creation-date",
                    "--width", "100")
            else:
                run("init", "-i", str(pot), "-d", str(feature / "translations"), "-l", locale,
                    "--width", "100")
        pot.unlink()


def compile_all() -> None:
    for po in APP.glob("*/translations/*/LC_MESSAGES/messages.po"):
        run("compile", "-i", str(po), "-o", str(po.with_suffix(".mo")), "--use-fuzzy")


def missing_translations() -> list[str]:
    """Every extracted string that has no (or a fuzzy) German translation."""
    problems: list[str] = []
    for feature in feature_dirs():
        pot = extract(feature)
        with pot.open("rb") as fh:
            template = read_po(fh)
        pot.unlink()
        ids = [(m.id, m.context) for m in template if m.id]
        if not ids:
            continue
        for locale in LOCALES:
            po = feature / "translations" / locale / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                problems.append(f"{feature.name}: no {locale} catalogue ({len(ids)} strings)")
                continue
            with po.open("rb") as fh:
                catalog = read_po(fh)
            for msgid, context in ids:
                message = catalog.get(msgid, context=context)
                text = message.string if message else None
                if isinstance(text, tuple):
                    text = all(text) and text[0]
                if not message or not text or message.fuzzy:
                    shown = msgid if isinstance(msgid, str) else msgid[0]
                    where = f" (context {context!r})" if context else ""
                    problems.append(f"{feature.name} [{locale}]: {shown!r}{where}")
    return problems


def catalogue_files(locale: str) -> list[Path]:
    return sorted(APP.glob(f"*/translations/{locale}/LC_MESSAGES/messages.po"))


def conflicting_translations(files: list[Path] | None = None) -> list[str]:
    """Every msgid (with its context) that two catalogues translate differently.

    The catalogues are merged at run time, so only one of the translations would ever be shown.
    """
    problems: list[str] = []
    for locale in LOCALES:
        seen: dict[tuple, dict[str, object]] = {}
        for po in files if files is not None else catalogue_files(locale):
            with po.open("rb") as fh:
                catalog = read_po(fh)
            for message in catalog:
                if not message.id or not message.string or message.fuzzy:
                    continue
                seen.setdefault((message.context, message.id), {})[po.parts[-5]] = message.string
        for (context, msgid), by_feature in sorted(seen.items(), key=lambda item: str(item[0])):
            if len({str(text) for text in by_feature.values()}) > 1:
                shown = msgid if isinstance(msgid, str) else msgid[0]
                where = f" (context {context!r})" if context else ""
                texts = "; ".join(f"{feature}: {text!r}" for feature, text in sorted(by_feature.items()))
                problems.append(f"[{locale}] {shown!r}{where} has different translations: {texts}")
    return problems


def fill(feature: str, mapping_file: str) -> None:
    import json

    from babel.messages.pofile import write_po

    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
    for locale in LOCALES:
        po = APP / feature / "translations" / locale / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if message.context:  # a message with a context is keyed "context\u0004msgid"
                key = f"{message.context}\u0004{key}"
            if key in mapping:
                value = mapping[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "compile"
    if command == "update":
        update(argv[2:])
    elif command == "compile":
        compile_all()
    elif command == "fill":
        fill(argv[2], argv[3])
    elif command == "check":
        problems = missing_translations()
        for p in problems:
            print("missing translation:", p)
        conflicts = conflicting_translations()
        for p in conflicts:
            print("conflicting translation:", p)
        return 1 if problems or conflicts else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
