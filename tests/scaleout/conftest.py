"""Fixtures of the scale-out tests: a real Redis server (PostgreSQL comes from tests/conftest.py)."""
from __future__ import annotations

import pytest

from tests.redis_server import RedisServer


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()
