"""A new process's first request may be a check-in: what the hot paths build must work before any ORM query."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_objects_built_from_core_rows_work_as_a_new_process_first_act(tmp_path):
    """The hot paths build objects from Core rows (model_construct): their attributes need configured mappers."""
    script = ("from accueil.db import Database; from accueil.models import Site; "
              f"Database('sqlite:///{tmp_path / 'a.db'}'); print(Site.model_construct(id=7, slug='x').id)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "7", done.stderr[-2000:]
