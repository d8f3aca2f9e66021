"""Old code against new, side by side: bench/checkin_http.py on a git revision and on the work tree, alternated.

The machine is shared and noisy: a figure from one run and a figure from another cannot be compared.
This runs `checkin_http.py` (check-in, call-next and the bare endpoint, each run with its own bare
baseline) on the *base* revision (exported to a temporary folder, the work tree's compiled
translations copied in) and on the work tree as it is, in turn, for *rounds* rounds (the order
flips each round), and prints each run's ratios to its bare endpoint and their medians.

    .venv/bin/python bench/checkin_ab.py [--base HEAD] [--rounds 3] [--seconds 10]

Both trees run on this virtual environment (PYTHONPATH puts each tree first) and this tree's bench
script (ACCUEIL_BENCH_TREE names the code under test). Besides requests/s it compares the server's
CPU time per request, which the other work on the machine disturbs less.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(check-in|call-next|bare Flask)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)"
                  r"\s+([\d.]+)\s+([\d.]+)$")


def export(revision: str, into: Path) -> Path:
    """The tree of *revision* in *into*, with the work tree's compiled catalogues (they are not committed)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for mo in ROOT.glob("**/translations/*/LC_MESSAGES/*.mo"):
        if ".venv" not in mo.parts and "node_modules" not in mo.parts:
            target = into / mo.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(mo, target)
    return into


def run(tree: Path, seconds: float, connections: int) -> dict:
    """This tree's bench/checkin_http.py (the same for both) on the code of *tree*."""
    env = dict(os.environ) | {"PYTHONPATH": str(tree), "ACCUEIL_BENCH_TREE": str(tree)}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "checkin_http.py"), "--seconds", f"{seconds:g}",
                          "--connections", str(connections)], cwd=tree, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{tree}: {out.stderr[-2000:]}")
    rows = {}
    for line in out.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            rows[m.group(1)] = {"rps": float(m.group(3)), "p50": float(m.group(4)), "p99": float(m.group(5)),
                                "ratio": float(m.group(7)), "cpu": float(m.group(8)), "cpu_ratio": float(m.group(9))}
    twice = re.search(r"(\d+) numbers given twice", out.stdout)
    rows["twice"] = int(twice.group(1)) if twice else -1
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="HEAD", help="the old code: a git revision")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--connections", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="accueil-ab-"))
    trees = {"old": export(args.base, tmp / "old"), "new": ROOT}
    results: dict[str, list[dict]] = {"old": [], "new": []}
    try:
        for r in range(args.rounds):
            for name in (("old", "new") if r % 2 == 0 else ("new", "old")):
                rows = run(trees[name], args.seconds, args.connections)
                results[name].append(rows)
                c, n, b = rows["check-in"], rows["call-next"], rows["bare Flask"]
                print(f"round {r + 1} {name}: check-in {c['rps']:.0f}/s ({c['ratio']:.3f}x, p50 {c['p50']:.0f} ms,"
                      f" p99 {c['p99']:.0f} ms, {c['cpu']:.0f} us CPU), call-next {n['rps']:.0f}/s ({n['ratio']:.3f}x,"
                      f" p99 {n['p99']:.0f} ms, {n['cpu']:.0f} us), bare {b['rps']:.0f}/s ({b['cpu']:.0f} us),"
                      f" numbers twice {rows['twice']}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"medians over {args.rounds} rounds, {args.seconds:g} s each (old = {args.base}, new = the work tree):")
    for name in ("old", "new"):
        runs = results[name]

        def med(kind, key):
            return statistics.median(x[kind][key] for x in runs)

        print(f"  {name}: check-in {med('check-in', 'ratio'):.3f}x bare (p99 {med('check-in', 'p99'):.0f} ms;"
              f" CPU {med('check-in', 'cpu'):.0f} us/req, {med('check-in', 'cpu_ratio'):.3f}x bare's), "
              f"call-next {med('call-next', 'ratio'):.3f}x (p99 {med('call-next', 'p99'):.0f} ms;"
              f" CPU {med('call-next', 'cpu'):.0f} us/req), bare {med('bare Flask', 'rps'):.0f}/s")
    ratio = [n["check-in"]["ratio"] / o["check-in"]["ratio"] for o, n in zip(results["old"], results["new"])]
    print(f"  new / old, check-in ratio, per round: {', '.join(f'{x:.2f}' for x in ratio)}"
          f" (median {statistics.median(ratio):.2f})")
    cpu = [o["check-in"]["cpu"] / n["check-in"]["cpu"] for o, n in zip(results["old"], results["new"])]
    print(f"  old / new, check-in CPU per request, per round: {', '.join(f'{x:.2f}' for x in cpu)}"
          f" (median {statistics.median(cpu):.2f})")


if __name__ == "__main__":
    main()
