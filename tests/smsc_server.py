"""A real SMSC for a test: tests/smsc/smsc.js (the npm `smpp` package's server side) on a loopback port.

It prints every submit_sm it receives; the test reads them as the operator would see them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "smsc" / "smsc.js"
SYSTEM_ID, PASSWORD = "accueil", "s3cret"


class Smsc:
    def __init__(self, port: int = 0, **behaviour: str) -> None:
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "smpp").is_dir():
            raise RuntimeError("node or the npm smpp package is missing: make setup-test")
        env = {**os.environ, "SMSC_PORT": str(port), "SMSC_SYSTEM_ID": SYSTEM_ID, "SMSC_PASSWORD": PASSWORD,
               "NODE_PATH": str(ROOT / "node_modules"), **{f"SMSC_{k.upper()}": str(v) for k, v in behaviour.items()}}
        self.process = subprocess.Popen([node, str(SCRIPT)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        first = json.loads(self.process.stdout.readline() or "{}")
        if "port" not in first:
            self.stop()
            raise RuntimeError("the test SMSC did not start")
        self.port = first["port"]
        self.records: list[dict] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            record = json.loads(line) | {"received_at": time.time()}
            with self.changed:
                self.records.append(record)
                self.changed.notify_all()

    def submits(self, accepted_only: bool = False) -> list[dict]:
        with self.changed:
            return [r for r in self.records if r.get("event") == "submit_sm" and (not accepted_only or r["status"] == 0)]

    def messages(self) -> list[str]:
        """The texts the SMSC accepted whole: a one-part message, or every part of a long one, rejoined."""
        whole, parts = [], {}
        for r in self.submits(accepted_only=True):
            if not r["udh"]:
                whole.append(r["text"])
                continue
            header = bytes.fromhex(r["udh"][0])  # 00 03 reference total rank
            parts.setdefault((r["destination_addr"], header[2], header[3]), {})[header[4]] = r["text"]
        for (_dest, _ref, total), got in parts.items():
            if len(got) == total:
                whole.append("".join(got[i] for i in range(1, total + 1)))
        return whole

    def wait_for(self, predicate, timeout: float = 15.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


def settings(port: int, **extra):
    from notify.sms import SmppSettings

    return SmppSettings(host="127.0.0.1", port=port, system_id=SYSTEM_ID, password=PASSWORD, sender="CAF52",
                        rate=extra.pop("rate", 200.0), timeout=extra.pop("timeout", 5.0), **extra)
