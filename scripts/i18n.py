"""Translation catalogues, one per feature (``app/<feature>/translations``).

    python scripts/i18n.py update    # extract strings, update the German catalogues
    python scripts/i18n.py compile   # build the .mo files (make run / make test do this)
    python scripts/i18n.py check     # fail if a German translation is missing or fuzzy
    python scripts/i18n.py fill FEATURE FILE.json   # set German texts from {"msgid": "msgstr"}
                                     # (plural: {"msgid": ["singular", "plural"]})

Source strings are English; German (the default language) is a translation.
English needs no catalogue: an untranslated string is shown as written.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
LOCALES = ("de",)
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "ngettext:1,2"]


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


def update() -> None:
    for feature in feature_dirs():
        pot = extract(feature)
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
        ids = [m.id for m in template if m.id]
        if not ids:
            continue
        for locale in LOCALES:
            po = feature / "translations" / locale / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                problems.append(f"{feature.name}: no {locale} catalogue ({len(ids)} strings)")
                continue
            with po.open("rb") as fh:
                catalog = read_po(fh)
            for msgid in ids:
                message = catalog.get(msgid)
                text = message.string if message else None
                if isinstance(text, tuple):
                    text = all(text) and text[0]
                if not message or not text or message.fuzzy:
                    shown = msgid if isinstance(msgid, str) else msgid[0]
                    problems.append(f"{feature.name} [{locale}]: {shown!r}")
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
            if key in mapping:
                value = mapping[key]
                message.string = tuple(value) if isinstance(message.id, tuple) else value
                message.flags.discard("fuzzy")
        with po.open("wb") as fh:
            write_po(fh, catalog, width=100)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "compile"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "fill":
        fill(argv[2], argv[3])
    elif command == "check":
        problems = missing_translations()
        for p in problems:
            print("missing translation:", p)
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
