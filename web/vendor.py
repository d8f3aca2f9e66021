"""Serve the third-party front-end files installed from the npm registry (node_modules)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

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
