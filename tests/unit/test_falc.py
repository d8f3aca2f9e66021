"""What a visitor reads in French follows the easy-to-read (FALC) rules the README lists, those a program can check:
short sentences, no abbreviation left unexplained, simple punctuation, the same word for the same thing.

The texts checked are the kiosk surface's (check-in, ticket, survey: its whole catalogue) and the shared messages
a visitor can meet (the check-in's refusals, the presence code's, the messages sent to the phone).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
VISITOR_SOURCES = ["accueil/identity.py", "accueil/checkin.py", "accueil/presence.py", "accueil/documents.py",
                   "notify/texts.py"]
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}

MAX_WORDS = 15
"""Words in one sentence at most (one idea a sentence)."""
KNOWN_CAPITALS = {"SMS", "QR", "LSF", "CNIL", "TSA"}
"""Capitals a visitor may read: SMS and QR are everyday words; LSF stands beside « Langue des signes »; CNIL is
explained in the sentence after it; TSA is part of its postal address."""
PLACEHOLDER = re.compile(r"%\(\w+\)s")
BANNED = {
    "an abbreviation of the NIR or of an appointment": re.compile(r"\b(NIR|RDV|INSEE|n°|etc)\b", re.IGNORECASE),
    "a special character": re.compile(r"[&#§;/*_]"),
    "a plural in brackets": re.compile(r"\(s\)|\(e\)"),
    "the office's name in capitals (it is « Caf »)": re.compile(r"\bCAF\b"),
}
ALLOWED_BRACKETS = {"(pas obligatoire)", "(LSF)"}


def visitor_texts() -> list[str]:
    with (ROOT / "kiosk" / "translations" / "messages.pot").open("rb") as f:
        texts = [m.id for m in read_po(f) if m.id]
    for source in VISITOR_SOURCES:
        texts += [m if isinstance(m, str) else m[0]
                  for _, m, _, _ in extract_from_file("python", str(ROOT / source), keywords=KEYWORDS)]
    return [PLACEHOLDER.sub("X", t) for t in texts]


TEXTS = visitor_texts()


def test_the_texts_are_found():
    assert len(TEXTS) > 120
    assert "Prendre mon ticket" in TEXTS


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", text) if s]


@pytest.mark.parametrize("text", TEXTS)
def test_one_short_sentence_for_each_idea(text):
    long = [s for s in sentences(text) if len(s.split()) > MAX_WORDS]
    assert long == [], f"more than {MAX_WORDS} words: split the sentence"


@pytest.mark.parametrize("text", TEXTS)
def test_no_abbreviation_or_sign_a_reader_must_know(text):
    capitals = set(re.findall(r"\b[A-Z]{2,}\b", text)) - KNOWN_CAPITALS - {"X"}
    assert capitals == set(), "an abbreviation: write the words, or explain it"
    found = [what for what, pattern in BANNED.items() if pattern.search(text)]
    assert found == []
    brackets = set(re.findall(r"\([^)]*\)", text)) - ALLOWED_BRACKETS
    assert brackets == set(), "brackets: write a sentence of its own"


def test_the_rules_catch_what_they_name():
    """Each rule refuses a text written against it (the checks above can fail)."""
    assert [s for s in sentences("Un. " + " ".join(["mot"] * 16) + ".") if len(s.split()) > MAX_WORDS]
    assert re.findall(r"\b[A-Z]{2,}\b", "Votre NIR") == ["NIR"]
    assert BANNED["a plural in brackets"].search("ticket(s)")
    assert BANNED["the office's name in capitals (it is « Caf »)"].search("La CAF vous appelle.")
    assert BANNED["a special character"].search("vous & nous")
