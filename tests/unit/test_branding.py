"""The office's look: colours people can read, logos that are only drawings, and their life on the site."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from accueil import branding
from accueil.errors import InvalidInput
from accueil.models import Site, SiteLogo
from tests.conftest import act


def png(width=120, height=40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 76, 151)).save(out, "PNG")
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#004c97"/></svg>'


@pytest.mark.parametrize("colour,stored", [("#004C97", "#004c97"), ("#1b5e20", "#1b5e20"), ("", None), (None, None)])
def test_a_dark_enough_colour_is_kept(colour, stored):
    assert branding.read_accent(colour) == stored


@pytest.mark.parametrize("colour", ["#ffd43b", "#7fbfff", "#ffffff"])
def test_a_colour_white_text_cannot_be_read_on_is_refused_with_its_contrast(colour):
    with pytest.raises(InvalidInput) as caught:
        branding.read_accent(colour)
    assert caught.value.field == "accent" and "4,5" in caught.value.message_id and "," in caught.value.params["ratio"]


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "rgb(0,0,0)", "#00ff0g", 12])
def test_anything_but_a_colour_is_refused(colour):
    with pytest.raises(InvalidInput):
        branding.read_accent(colour)


def test_a_png_and_a_plain_svg_are_logos():
    data = png()
    assert branding.read_logo(data, "image/png") == (data, branding.PNG)
    assert branding.read_logo(SVG, "image/svg+xml") == (SVG, branding.SVG)
    assert branding.read_logo(b'<?xml version="1.0"?>\n' + SVG, "application/octet-stream")[1] == branding.SVG


@pytest.mark.parametrize("data", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><use x:href="http://evil/a.svg#b"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/pixel.png"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil/x)"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://evil/x.css);</style></svg>',
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://evil"><rect/></a></svg>',
])
def test_an_svg_that_is_more_than_a_drawing_is_refused(data):
    with pytest.raises(InvalidInput) as caught:
        branding.read_logo(data, "image/svg+xml")
    assert caught.value.field == "logo"


@pytest.mark.parametrize("data,media_type", [
    (b"", "image/png"), (b"\x89PNG\r\n\x1a\n" + b"not a png at all", "image/png"), (b"GIF89a....", "image/gif"),
    (b"<html><body>x</body></html>", "text/html"), (b"<svg", "image/svg+xml"), (png(2400, 10), "image/png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (branding.LOGO_MAX + 1), "image/png"), ("text", "image/png"),
])
def test_a_file_that_is_not_a_small_png_or_svg_is_refused(data, media_type):
    with pytest.raises(InvalidInput):
        branding.read_logo(data, media_type)


def test_a_new_logo_gets_a_new_address_and_a_removed_one_is_gone(database, office):
    act(database, branding.set_branding, site_id=office.site_id, accent="#1b5e20", logo=(png(), "image/png"))
    with database.session() as s:
        site = s.get(Site, office.site_id)
        assert (site.accent, site.logo_version) == ("#1b5e20", 1) and s.get(SiteLogo, office.site_id).media_type == "image/png"
    act(database, branding.set_branding, site_id=office.site_id, accent="", remove_logo=True)
    with database.session() as s:
        site = s.get(Site, office.site_id)
        assert site.accent is None and site.logo_version <= 0 and s.get(SiteLogo, office.site_id) is None
    act(database, branding.set_branding, site_id=office.site_id, accent="", logo=(SVG, "image/svg+xml"))
    with database.session() as s:
        assert s.get(Site, office.site_id).logo_version == 2  # never the address of the first logo again


def test_a_refused_logo_stores_nothing(database, office):
    from tests.conftest import table_counts

    before = table_counts(database)
    with database.write_session() as s, pytest.raises(InvalidInput):
        branding.set_branding(s, site_id=office.site_id, accent="#004c97", logo=(b"<svg onload='x'/>", "image/svg+xml"),
                              now=None)
    assert table_counts(database) == before
