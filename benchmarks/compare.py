#!/usr/bin/env python3
"""Speed of this checkout against another commit, measured side by side in one run.

This machine's absolute timings move by 2x between runs, so a change's speed is judged by a ratio
of two trees measured in the same run: each workload runs in a fresh process for the working tree
and for the other commit (a temporary ``git worktree``), alternately, ``--repeats`` times; the
figure of a tree is its best process CPU time (other load only ever adds time). Each tree has its
own numba cache, warmed before timing.

Workloads (``--only`` to choose):

* ``batched``: ``run_replications(make_config(), replications=200, workers=1)``, the default scenario;
* ``single``: ``c2c_sim.run(seed=s)`` for 40 seeds (one run at a time, the EMA Workbench way);
* ``model``: ``C2CModel(seed=s).run()`` for 10 seeds (Mesa, DataCollector every month);
* ``caused``: ``batched`` with ``caused=true`` (each replication and its twin; trees from d61ce9b on).
  With ``batched`` in the same run, the cost of the twin in each tree is printed (caused / batched).

Usage::

    python3 benchmarks/compare.py                    # against HEAD (the last commit)
    python3 benchmarks/compare.py --against HEAD~3 --repeats 7
    python3 benchmarks/compare.py --against HEAD --only batched --only caused   # and the twin's cost
    python3 benchmarks/compare.py --against 62d257b --patch benchmarks/no_outputs.patch --only batched

``--patch`` applies a patch to the other tree before timing it: ``benchmarks/no_outputs.patch`` takes
issue 10's outputs out of the model (the ledger's bookings, the per-municipality and per-partnership
measurements, the channel and place tables, learning on objectives, the trust panels), so the comparison
says what those outputs cost. It is written against the model of 62d257b (it applies to later commits as
long as those parts are unchanged; the script says when it does not).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKLOADS = {
    "batched": ("import c2c_sim\ncfg = c2c_sim.make_config()\nc2c_sim.run_replications(cfg, replications=4)\n",
                "c2c_sim.run_replications(cfg, replications=200, workers=1)", 200),
    "single": ("import c2c_sim\nc2c_sim.run(seed=0)\n", "for s in range(40):\n    c2c_sim.run(seed=s)", 40),
    "model": ("import c2c_sim\nc2c_sim.C2CModel(seed=0, months=2).run()\n",
              "for s in range(10):\n    c2c_sim.C2CModel(seed=s).run()", 10),
    "caused": ("import c2c_sim\ncfg = c2c_sim.make_config({'caused': True})\nc2c_sim.run_replications(cfg, replications=4)\n",
               "c2c_sim.run_replications(cfg, replications=200, workers=1)", 200),
}

TIMER = """
import gc, json, sys, time, warnings
warnings.simplefilter("ignore")
{setup}
best = float("inf")
for _ in range(3):  # the best of three blocks: a garbage collection or other load only ever adds time
    gc.collect()
    c0 = time.process_time()
{body}
    best = min(best, time.process_time() - c0)
print(json.dumps({{"cpu": best}}))
"""


def run_once(tree: Path, cache: Path, name: str) -> dict:
    setup, body, _ = WORKLOADS[name]
    body = "\n".join("    " + line for line in body.splitlines())
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", TIMER.format(setup=setup, body=body)], env=env, cwd=tree,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{name} failed in {tree}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", default="HEAD", help="commit to compare with (default: HEAD)")
    ap.add_argument("--repeats", type=int, default=5, help="timed processes per tree and workload")
    ap.add_argument("--only", action="append", choices=sorted(WORKLOADS), help="workloads to run (default: all)")
    ap.add_argument("--patch", type=Path, help="a patch applied to the other tree before it is timed")
    args = ap.parse_args(argv)
    names = args.only or list(WORKLOADS)
    with tempfile.TemporaryDirectory(prefix="c2c_compare_") as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(other), args.against],
                       check=True, capture_output=True)
        try:
            sha = subprocess.run(["git", "-C", str(other), "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, check=True).stdout.strip()
            if args.patch:
                applied = subprocess.run(["git", "-C", str(other), "apply", str(args.patch.resolve())],
                                         capture_output=True, text=True, check=False)
                if applied.returncode:
                    raise SystemExit(f"{args.patch} does not apply to {args.against}: {applied.stderr.strip()}")
                sha += f" + {args.patch.name}"
            trees = {"this checkout": (ROOT, Path(tmp) / "cache_this"), f"{args.against} ({sha})":
                     (other, Path(tmp) / "cache_other")}
            print(f"comparing this checkout with {args.against} ({sha}); best CPU seconds of {args.repeats} "
                  "alternating processes each", flush=True)
            seen = {}
            for name in names:
                for tree, cache in trees.values():
                    run_once(tree, cache, name)  # compile or load the numba cache; not timed
                best = {label: float("inf") for label in trees}
                for _ in range(args.repeats):
                    for label, (tree, cache) in trees.items():
                        best[label] = min(best[label], run_once(tree, cache, name)["cpu"])
                runs = WORKLOADS[name][2]
                mine, theirs = best.values()
                seen[name] = best
                print(f"  {name:8s}: " + "; ".join(f"{label} {t:.3f} s ({1e3 * t / runs:.2f} ms a run)"
                                                   for label, t in best.items())
                      + f"  ->  this / other = {mine / theirs:.3f}", flush=True)
            if "batched" in seen and "caused" in seen:
                print("  the twin's cost (caused / batched): " + "; ".join(
                    f"{label} {seen['caused'][label] / seen['batched'][label]:.2f}x" for label in trees), flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           capture_output=True, check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
