"""Serve the third-party front-end files installed from the npm registry (node_modules)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory
from markupsafe import Markup

from accueil.documents import PICTOGRAMS

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
}

bp = Blueprint("vendor", __name__)


@bp.get("/vendor/<name>")
def asset(name: str):
    """Return one allow-listed file; never browse node_modules."""
    if name not in FILES:
        abort(404)
    path = NODE_MODULES / FILES[name]
    return send_from_directory(path.parent, path.name, max_age=86400)


ICONS = NODE_MODULES / "@tabler" / "icons" / "icons" / "outline"
_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@functools.lru_cache(maxsize=128)
def pictogram(name: str) -> Markup:
    """Return the pictogram *name* of the icon set (npm @tabler/icons, MIT) as an inline SVG hidden from screen
    readers, its words being always beside it; only the names of ``accueil.documents.PICTOGRAMS``."""
    if name not in PICTOGRAMS:
        raise KeyError(name)
    svg = _COMMENT.sub("", (ICONS / f"{name}.svg").read_text(encoding="utf-8"))
    opening = ('<svg class="pictogram" viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" '
               'stroke="currentColor" stroke-width="1.75" stroke-linecap="round" stroke-linejoin="round">')
    return Markup(_SVG_OPEN.sub(opening, svg, count=1).strip())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(pictogram)
