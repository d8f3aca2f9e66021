"""Mark domain strings for translation without importing Flask.

The domain cannot call gettext (it has no request, hence no language). It marks its
French message ids with ``N_`` so that pybabel extracts them; each surface translates
them at render time with ``gettext(error.message_id) % error.params``.
"""


VISITOR_LOCALES = ("fr", "en", "ar", "es", "pt", "tr", "ro", "uk")
"""The languages of everything a visitor reads (check-in, ticket, survey, their messages); French first, the default."""

STAFF_LOCALES = ("fr", "en", "ar")
"""The languages of the agents' console and the waiting-room screen: a subset of the visitors'."""


def visitor_locale(code: str | None) -> str:
    """Return *code* when visitors are offered that language, else French."""
    return code if code in VISITOR_LOCALES else VISITOR_LOCALES[0]


def N_(message: str) -> str:
    """Return *message* unchanged; the call marks it for extraction."""
    return message
