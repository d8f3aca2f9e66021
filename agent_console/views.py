"""Agent console pages."""
from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent", template_folder="templates", static_folder="static",
               static_url_path="/static/agent")
