"""Access to the app's database and vault from views and socket handlers."""
from __future__ import annotations

from flask import current_app

from accueil.db import Database
from accueil.identity import Vault


def database() -> Database:
    """Return the current app's database."""
    return current_app.extensions["accueil.db"]


def vault() -> Vault:
    """Return the current app's vault (encryption and NIR hashing)."""
    return current_app.extensions["accueil.vault"]
