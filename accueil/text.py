"""Free text as the domain accepts it: one reader for every name, label and comment a person types.

Control characters (a NUL byte among them, which PostgreSQL refuses outright) are refused
with a message, never stored; spaces are folded; a text made only of invisible characters
(zero-width spaces and the like) counts as empty.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from accueil.errors import InvalidInput
from accueil.i18n import N_

_SPACING = {"\n", "\r", "\t"}
"""Control characters that are only spacing: folded into spaces (or kept as line breaks, *lines*)."""


def read_link(value: object, *, field: str, limit: int) -> str:
    """Return a web address as typed (``https://…``), or "" when none; raise InvalidInput naming *field* for
    anything that is not an http or https address of a host (a script, a file, spaces inside), or is too long."""
    text = read_text(value, field=field, limit=limit)
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise InvalidInput(N_("Écrivez une adresse internet complète, qui commence par https://"), field=field)
    return text


def read_text(value: object, *, field: str, limit: int, lines: bool = False) -> str:
    """Return *value* cleaned ("" if empty or not text); raise InvalidInput naming *field* if it holds a
    control character or is longer than *limit*. *lines*: keep line breaks (a comment), else fold them."""
    if not isinstance(value, str):
        return ""
    if any(unicodedata.category(c) == "Cc" and c not in _SPACING for c in value):
        raise InvalidInput(N_("Ce texte contient un caractère qui ne s'écrit pas. Écrivez-le à nouveau."),
                           field=field)
    text = "\n".join(" ".join(line.split()) for line in value.strip().splitlines()) if lines else " ".join(value.split())
    if not any(unicodedata.category(c) not in ("Cf", "Zs", "Zl", "Zp") and not c.isspace() for c in text):
        return ""
    if len(text) > limit:
        raise InvalidInput(N_("Le texte est trop long : %(max)s caractères au plus."), field=field, max=limit)
    return text
