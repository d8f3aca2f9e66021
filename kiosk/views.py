"""Kiosk and visitor pages."""
from flask import Blueprint, abort

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/kiosk")


@bp.get("/kiosk/<site>")
def screen(site: str):
    abort(404)  # built by the visitor-journey issue
