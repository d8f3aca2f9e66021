"""Every catalogue is complete: each French message has its text in every language of its part (eight for what
visitors read, three for the staff's screens), placeholders kept, each concept named by the glossary's one
term; and the templates (.pot) hold every message the code has (scripts/translations.sh update)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from accueil.i18n import STAFF_LOCALES, VISITOR_LOCALES

ROOT = Path(__file__).resolve().parents[2]
PARTS = [".", "kiosk", "display", "agent_console"]
VISITOR_PARTS = [".", "kiosk"]
CATALOGUES = [(part, locale) for part in PARTS
              for locale in (VISITOR_LOCALES if part in VISITOR_PARTS else STAFF_LOCALES)[1:]]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _messages(path: Path):
    with path.open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def _catalogue(part: str, locale: str) -> dict:
    return _messages(ROOT / part / "translations" / locale / "LC_MESSAGES" / "messages.po")


def _glossary() -> list[dict]:
    """Read translations/GLOSSARY.md: one row per concept, its French words and each language's forms."""
    lines = (ROOT / "translations" / "GLOSSARY.md").read_text(encoding="utf-8").splitlines()
    table = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines if line.startswith("|")]
    header, rows = table[0], table[2:]
    return [{"fr": row[0], **{lang: [f.strip() for f in cell.split("/") if f.strip()]
                              for lang, cell in zip(header[1:], row[1:])}} for row in rows]


def _texts(message) -> tuple[str, str]:
    """Return the French text and its translation (the singular's, for a plural message)."""
    key, string = message.id, message.string
    return (key if isinstance(key, str) else key[0]), (string if isinstance(string, str) else string[0])


@pytest.mark.parametrize(("part", "locale"), CATALOGUES)
def test_every_message_is_translated_with_its_placeholders(part, locale):
    template = _messages(ROOT / part / "translations" / "messages.pot")
    catalogue = _catalogue(part, locale)
    missing = sorted(str(k) for k in template if k not in catalogue or not catalogue[k].string)
    assert missing == [], f"{len(missing)} untranslated in {part}/{locale}: scripts/translations.sh update, then translate"
    fuzzy = sorted(str(k) for k, m in catalogue.items() if m.fuzzy)
    assert fuzzy == []
    for key, message in catalogue.items():
        if isinstance(key, str) and message.string:
            assert sorted(PLACEHOLDER.findall(key)) == sorted(PLACEHOLDER.findall(message.string)), key


@pytest.mark.parametrize("part", PARTS)
def test_the_templates_hold_every_message_of_the_code(part, tmp_path):
    cfg = "babel.cfg" if part == "." else f"{part}/babel.cfg"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "extract", "-F", cfg, "-k", "N_", "-k", "_", "-k", "gettext", "-k", "ngettext:1,2",
                    "--no-location", "-o", str(tmp_path / "now.pot"), "."], cwd=ROOT, check=True, capture_output=True)
    missing = sorted(str(k) for k in _messages(tmp_path / "now.pot").keys() - _messages(
        ROOT / part / "translations" / "messages.pot").keys())
    assert missing == [], f"not extracted in {part}: scripts/translations.sh update, then translate"


def test_the_glossary_names_every_concept_in_every_visitor_language():
    rows = _glossary()
    assert len(rows) >= 7
    for row in rows:
        assert [lang for lang in VISITOR_LOCALES[1:] if not row.get(lang)] == [], row["fr"]


@pytest.mark.parametrize("locale", VISITOR_LOCALES[1:])
@pytest.mark.parametrize("part", VISITOR_PARTS)
def test_each_concept_has_one_term_in_each_language(part, locale):
    """« Espace numérique » is « digital area » on every English screen, never « digital space » on the next."""
    rows = _glossary()
    stray = []
    for message in _catalogue(part, locale).values():
        french, text = _texts(message)
        for row in rows:
            if row["fr"].lower() in french.lower() and not any(f.lower() in text.lower() for f in row[locale]):
                stray.append(f"{row['fr']!r} -> {row[locale]}: {french!r} = {text!r}")
    assert stray == []
