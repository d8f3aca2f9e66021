"""Waiting-room display pages."""
from flask import Blueprint, abort

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/display")


@bp.get("/display/<site>")
def screen(site: str):
    abort(404)  # built by the waiting-room display issue
