"""Every catalogue is complete: each French message has its English and Arabic text, placeholders kept,
and the templates (.pot) hold every message the code has (scripts/translations.sh update)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PARTS = [".", "kiosk", "display", "agent_console"]
LOCALES = ["en", "ar"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _messages(path: Path):
    with path.open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_with_its_placeholders(part, locale):
    template = _messages(ROOT / part / "translations" / "messages.pot")
    catalogue = _messages(ROOT / part / "translations" / locale / "LC_MESSAGES" / "messages.po")
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
