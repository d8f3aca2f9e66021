"""A live server and real python-socketio clients for the socket tests."""
from __future__ import annotations

import pytest

from tests.live import start_live_server


@pytest.fixture
def live(tmp_path, app_database):
    server = start_live_server(tmp_path / "instance", **app_database)
    yield server
    server.stop()
