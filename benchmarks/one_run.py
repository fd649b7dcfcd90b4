#!/usr/bin/env python3
"""One run at a time against a batch: the per-run cost of ``c2c_sim.run(**params, seed=s)`` (the EMA
Workbench way) as a multiple of the per-run cost of ``run_replications`` of the same configuration.

Both are timed in this one process, alternating rounds (so a busy machine slows both alike), and the
ratio of the medians is printed (target: at most 2). Also printed, as shares of one run: where its time
goes (configuration, building the engine, the months, the outcome table).

Usage::

    python3 benchmarks/one_run.py              # default scenario, 7 rounds
    python3 benchmarks/one_run.py --quick      # seconds (a smoke run)
    python3 benchmarks/one_run.py --set months=60 --set network=classic
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import c2c_sim  # noqa: E402
from c2c_sim.engine import Engine  # noqa: E402
from c2c_sim.runner import replication_seeds  # noqa: E402

TARGET = 2.0


def per_run(fn, n: int) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="few runs and rounds")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter (flat or dotted)")
    args = ap.parse_args(argv)
    params = dict(kv.split("=", 1) for kv in args.set)
    n_one, n_batch, rounds = (5, 16, 2) if args.quick else (40, 128, args.rounds)
    cfg = c2c_sim.make_config(params)
    seeds = replication_seeds(cfg.seed, max(n_one, n_batch))
    c2c_sim.run(seed=seeds[0], **params)  # compile or load the rules, warm the caches
    c2c_sim.run_replications(cfg, replications=8)

    one, batch = [], []
    for _ in range(rounds):
        one.append(per_run(lambda: [c2c_sim.run(seed=s, **params) for s in seeds[:n_one]], n_one))
        batch.append(per_run(lambda: c2c_sim.run_replications(cfg, replications=n_batch), n_batch))
    ratio = statistics.median(one) / statistics.median(batch)

    import numpy as np

    parts = {"configuration": lambda: c2c_sim.make_config(params),
             "engine construction": lambda: Engine(cfg, [np.random.default_rng(seeds[0])]),
             "construction and months": lambda: Engine(cfg, [np.random.default_rng(seeds[0])]).run()}
    cost = {k: statistics.median(per_run(lambda f=f: [f() for _ in range(n_one)], n_one) for _ in range(rounds))
            for k, f in parts.items()}
    whole = statistics.median(one)
    print(f"c2c_sim {c2c_sim.__version__}: one run at a time vs a batch of {n_batch}, {rounds} alternating rounds")
    print(f"  c2c_sim.run per run / run_replications per run: {ratio:.2f}x (target <= {TARGET:g}x: "
          f"{'met' if ratio <= TARGET else 'missed'})")
    print("  where one run's time goes (shares of c2c_sim.run):")
    print(f"    configuration (make_config)      {cost['configuration'] / whole:6.1%}")
    print(f"    engine construction (the world)  {cost['engine construction'] / whole:6.1%}")
    print(f"    the months                       {(cost['construction and months'] - cost['engine construction']) / whole:6.1%}")
    rest = whole - cost["configuration"] - cost["construction and months"]
    print(f"    outcomes and the rest            {rest / whole:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
