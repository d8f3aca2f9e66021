"""The office's look on its pages: an accent colour people can read, and a logo that cannot carry a script.

Visitors type their social security number into a page they reached from a QR code: the page must look
like their office's (its name and logo on every visitor page, the kiosk and the display). The colour must
keep text readable (white on it, and it on white: 4.5:1, RGAA 3.2 / WCAG 1.4.3); a logo is a PNG, or an
SVG made only of drawing (no script, no event attribute, no outside reference), small enough for a header.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
from datetime import datetime

from sqlmodel import Session

from accueil.errors import InvalidInput, NotFound
from accueil.history import site_changed
from accueil.i18n import N_
from accueil.models import Site, SiteLogo

LOGO_MAX = 60 * 1024
"""Bytes of a logo at most (a header's logo; the form's body is capped at 64 kB)."""
LOGO_SIDE_MAX = 2000
MIN_CONTRAST = 4.5
PNG, SVG = "image/png", "image/svg+xml"
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN = {"script", "foreignobject", "iframe", "embed", "object", "use", "image", "a", "animate", "set",
              "handler", "listener"}
"""SVG elements a logo does without: what runs, embeds or links (a drawing needs none of them)."""


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(hex_colour: str) -> float:
    """The contrast ratio of *hex_colour* against white (1 to 21)."""
    return 1.05 / (_luminance(hex_colour) + 0.05)


def read_accent(value: object) -> str | None:
    """A colour as the form's colour field gives it (« #004c97 »), or None for the product's own."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _HEX.fullmatch(value.strip()):
        raise InvalidInput(N_("Choisissez une couleur dans la liste."), field="accent")
    colour = value.strip().lower()
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        raise InvalidInput(N_("Cette couleur est trop claire : le texte blanc ne se lit pas dessus (contraste %(ratio)s "
                              "pour 4,5 au moins). Choisissez une couleur plus foncée."), field="accent",
                           ratio=f"{ratio:.1f}".replace(".", ","))
    return colour


def _png(data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise ValueError(image.format)
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError):
        raise InvalidInput(N_("Ce fichier n'est pas une image PNG lisible."), field="logo") from None
    if width > LOGO_SIDE_MAX or height > LOGO_SIDE_MAX:
        raise InvalidInput(N_("Le logo est trop grand : %(max)s points de côté au plus."), field="logo",
                           max=LOGO_SIDE_MAX)


def _svg(data: bytes) -> None:
    refused = InvalidInput(N_("Ce fichier SVG contient autre chose qu'un dessin (un script, un lien, une image "
                              "extérieure). Enregistrez le logo en PNG, ou en SVG simple."), field="logo")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise refused  # entities can expand or reach files: a drawing has none
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise InvalidInput(N_("Ce fichier n'est pas une image SVG lisible."), field="logo") from None
    if root.tag not in (f"{_SVG_NS}svg", "svg"):
        raise InvalidInput(N_("Ce fichier n'est pas une image SVG lisible."), field="logo")
    for element in root.iter():
        name = str(element.tag).rsplit("}", 1)[-1].lower()
        if name in _FORBIDDEN:
            raise refused
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on") or (local == "href" and not value.startswith("#")) \
                    or "url(" in value.replace(" ", "").lower() and "url(#" not in value.replace(" ", "").lower():
                raise refused
        if name == "style" and element.text and ("@import" in element.text or "url(" in element.text):
            raise refused


def read_logo(data: object, media_type: object) -> tuple[bytes, str]:
    """A logo file as uploaded: its bytes and type, checked (PNG, or an SVG of drawing only), else InvalidInput."""
    if not isinstance(data, bytes) or not data:
        raise InvalidInput(N_("Choisissez le fichier du logo (PNG ou SVG)."), field="logo")
    if len(data) > LOGO_MAX:
        raise InvalidInput(N_("Le logo est trop lourd : %(max)s ko au plus."), field="logo", max=LOGO_MAX // 1024)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        _png(data)
        return data, PNG
    if media_type == SVG or data.lstrip()[:5].lower() in (b"<?xml", b"<svg ", b"<svg>"):
        _svg(data)
        return data, SVG
    raise InvalidInput(N_("Le logo doit être une image PNG ou SVG."), field="logo")


def set_branding(session: Session, *, site_id: int, accent: object, logo: tuple[object, object] | None = None,
                 remove_logo: bool = False, now: datetime) -> Site:
    """Set the office's colour, and its new logo (*logo*: the file's bytes and type) or none (*remove_logo*)."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(N_("Ce site n'existe pas."))
    site.accent = read_accent(accent)
    stored = session.get(SiteLogo, site_id)
    if logo is not None and logo[0]:
        data, media_type = read_logo(*logo)
        if stored is None:
            stored = SiteLogo(site_id=site_id, data=data, media_type=media_type)
        else:
            stored.data, stored.media_type = data, media_type
        session.add(stored)
        site.logo_version = abs(site.logo_version) + 1  # a new address: no browser shows a cached old logo
    elif remove_logo and stored is not None:
        session.delete(stored)
        site.logo_version = -abs(site.logo_version)
    session.add(site)
    site_changed(session, site_id, now)
    return site


def logo_of(session: Session, site_id: int) -> SiteLogo | None:
    """The office's logo, if it has one."""
    return session.get(SiteLogo, site_id)
