"""Mark domain strings for translation without importing Flask.

The domain cannot call gettext (it has no request, hence no language). It marks its
French message ids with ``N_`` so that pybabel extracts them; each surface translates
them at render time with ``gettext(error.message_id) % error.params``.
"""


LOCALES = ("fr", "en", "ar")
"""The languages of the catalogues (translations/); French first, the default."""


def N_(message: str) -> str:
    """Return *message* unchanged; the call marks it for extraction."""
    return message
