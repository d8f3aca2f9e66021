"""The lock files `make` installs from (requirements/*.lock) hold what pyproject.toml asks for, with hashes.

A dependency changed in pyproject.toml without `make lock` would otherwise be installed at the
lock's old version (pip installs the lock only, --no-deps) and nobody would know.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+?)(?: \\)?\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.M)


def locked(name: str) -> dict[str, str]:
    """The lock file's packages (canonical name → version); each entry must carry its hashes."""
    text = (ROOT / "requirements" / name).read_text()
    entries = {canonicalize_name(m.group(1)): m.group(2) for m in ENTRY.finditer(text)}
    pinned = re.findall(r"^[A-Za-z0-9_.\-]+==", text, re.M)
    assert len(entries) == len(pinned), f"{name}: a package without a hash"
    return entries


def asked(*extras: str) -> dict[str, str]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    reqs += [Requirement(r) for extra in extras for r in PROJECT["optional-dependencies"][extra]]
    return {canonicalize_name(r.name): str(r.specifier).removeprefix("==") for r in reqs}


@pytest.mark.parametrize("lock, extras", [("run.lock", ()), ("dev.lock", ("test", "scaleout", "bench"))])
def test_each_lock_holds_every_pin_of_pyproject(lock, extras):
    lock_versions = locked(lock)
    wrong = {name: (version, lock_versions.get(name)) for name, version in asked(*extras).items()
             if lock_versions.get(name) != version}
    assert wrong == {}, "pyproject.toml and the lock disagree: run `make lock`"


def test_the_product_runs_on_the_versions_it_is_tested_with():
    run, dev = locked("run.lock"), locked("dev.lock")
    assert {name: (v, dev.get(name)) for name, v in run.items() if dev.get(name) != v} == {}
