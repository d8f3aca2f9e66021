"""Visitors' needs, desks' capabilities and the priority rule: written once, shown in plain words."""
from __future__ import annotations

from typing import Iterable

from accueil.errors import InvalidInput
from accueil.i18n import N_

# A need is met by the desk capability of the same bit.
LSF = "lsf"              # sign language: a desk with LSF video interpretation equipment
INTERPRETER = "interpreter"  # a language interpreter: a desk with the translator device
MOBILITY = "mobility"    # reduced mobility: a ground-floor desk
NEEDS = {LSF: 1, INTERPRETER: 2, MOBILITY: 4}
ALL = sum(NEEDS.values())

NEED_LABELS = {
    LSF: N_("Langue des signes (LSF)"),
    INTERPRETER: N_("Interprète"),
    MOBILITY: N_("Mobilité réduite"),
}
CAPABILITY_LABELS = {
    LSF: N_("Matériel de visio en langue des signes"),
    INTERPRETER: N_("Appareil de traduction"),
    MOBILITY: N_("Rez-de-chaussée"),
}
# Languages offered for an interpreter (ISO 639-1), named in their own language.
INTERPRETER_LANGUAGES = {
    "ar": "العربية", "en": "English", "es": "Español", "pt": "Português", "tr": "Türkçe", "ru": "Русский",
    "uk": "Українська", "ro": "Română", "fa": "فارسی", "ps": "پښتو", "ta": "தமிழ்", "so": "Soomaali",
}

# How priority tickets (pregnancy, disability card) are ordered within their queue.
PRIORITY_FIRST = "first"
APPOINTMENT_TIME_FIRST = "time"
PRIORITY_RULES = {
    PRIORITY_FIRST: N_("Les personnes prioritaires passent en premier dans leur file, "
                       "puis l'heure du rendez-vous, puis l'heure d'arrivée."),
    APPOINTMENT_TIME_FIRST: N_("L'heure du rendez-vous d'abord, puis les personnes prioritaires, "
                               "puis l'heure d'arrivée."),
}


def noted(needs: int, interpreter_language: str | None, priority: int) -> list[tuple[str, dict]]:
    """What the visitor's ticket says back of their needs (« Nous avons noté : … »): French phrases and their values.

    The interpreter's language is named in that language (« العربية »), as the form offered it.
    """
    said: list[tuple[str, dict]] = []
    if needs & NEEDS[LSF]:
        said.append((N_("la langue des signes (LSF)"), {}))
    if needs & NEEDS[INTERPRETER]:
        language = INTERPRETER_LANGUAGES.get(interpreter_language or "")
        said.append((N_("un interprète : %(language)s"), {"language": language}) if language
                    else (N_("un interprète"), {}))
    if needs & NEEDS[MOBILITY]:
        said.append((N_("un bureau au rez-de-chaussée"), {}))
    if priority:
        said.append((N_("un passage prioritaire"), {}))
    return said


def mask(codes: Iterable[str]) -> int:
    """Return the bit mask of needs (or capabilities) *codes*; refuse unknown ones."""
    value = 0
    for code in codes or ():
        if code not in NEEDS:
            raise InvalidInput(N_("Besoin inconnu."), field="needs")
        value |= NEEDS[code]
    return value


def codes(value: int) -> list[str]:
    """Return the codes set in a mask, in a stable order."""
    return [code for code, bit in NEEDS.items() if value & bit]


def check_language(code: str | None) -> str | None:
    """Return an offered interpreter language, None for none; refuse others."""
    if code in (None, ""):
        return None
    if code not in INTERPRETER_LANGUAGES:
        raise InvalidInput(N_("Cette langue n'est pas proposée."), field="interpreter_language")
    return code


def check_rule(rule: str) -> str:
    if rule not in PRIORITY_RULES:
        raise InvalidInput(N_("Règle de priorité inconnue."), field="priority_rule")
    return rule
