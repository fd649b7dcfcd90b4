"""Global sensitivity analysis (SALib): which parameters drive an outcome, over their allowed ranges.

``c2c-sim-sensitivity`` samples the named parameters (Morris elementary
effects for screening, or Sobol' indices), runs each sample point for a number
of replications with common seeds, and writes, under ``--out``:

* ``samples.parquet``: one row per sample point, the parameter values and the
  mean of each outcome over replications;
* ``indices.parquet`` / ``indices.csv``: one row per parameter and outcome
  (Morris: ``mu``, ``mu_star``, ``sigma``, ``mu_star_conf``; Sobol':
  ``S1``, ``S1_conf``, ``ST``, ``ST_conf``);
* ``indices.pdf`` / ``indices.png``: the indices with their 95 % intervals;
* ``DONE.json`` last.

Bounds default to each parameter's allowed range in the schema; narrow them
with ``name=lo:hi``. Integer parameters are rounded; booleans and choices
cannot be sampled (compare them with a sweep or an experiment instead).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .config import Config, ConfigError, check_value, lookup_field, make_config, unflatten_params

METHODS = ("morris", "sobol")
DEFAULT_OUTCOMES = ("learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
                    "initiative_survival_months", "circulation")


def parse_param(spec: str) -> tuple[str, float, float, bool]:
    """``name`` or ``name=lo:hi`` -> (dotted key, lo, hi, is_integer), checked against the schema."""
    key, _, bounds = spec.partition("=")
    key = key.strip()
    if "." not in key:
        key = next(iter(unflatten_params({key: None})))
    f = lookup_field(key)
    default = f.default
    if isinstance(default, bool) or not isinstance(default, (int, float)) or f.metadata.get("choices"):
        raise ConfigError(f"cannot sample '{key}': only numeric parameters can be sampled "
                          f"(booleans and choices belong in a sweep or experiment)")
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    if bounds:
        try:
            a, b = (float(x) for x in bounds.split(":"))
        except ValueError:
            raise ConfigError(f"bounds '{bounds}' for '{key}' must be lo:hi, e.g. {key}=0.1:0.5") from None
        check_value(key, type(default)(a) if isinstance(default, int) else a, f)
        check_value(key, type(default)(b) if isinstance(default, int) else b, f)
        lo, hi = a, b
    if not lo < hi:
        raise ConfigError(f"bounds for '{key}' must satisfy lo < hi (got {lo}:{hi})")
    return key, float(lo), float(hi), isinstance(default, int)


def _problem(names: list[str], bounds: list[tuple[float, float]]) -> dict:
    """SALib's problem definition."""
    return {"num_vars": len(names), "names": names, "bounds": [list(b) for b in bounds]}


def sample(method: str, names: list[str], bounds: list[tuple[float, float]], n: int, seed: int) -> np.ndarray:
    """The SALib sample matrix (rows: points, columns: parameters)."""
    problem = _problem(names, bounds)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=4, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=False, seed=seed)


def analyse(method: str, names: list[str], bounds: list[tuple[float, float]], X: np.ndarray,
            Y: np.ndarray, seed: int) -> pd.DataFrame:
    """SALib indices of one outcome ``Y`` (one value per row of ``X``) as a table."""
    problem = _problem(names, bounds)
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, X, Y, num_levels=4, seed=seed)
        cols = ("mu", "mu_star", "sigma", "mu_star_conf")
    else:
        from SALib.analyze import sobol

        si = sobol.analyze(problem, Y, calc_second_order=False, seed=seed)
        cols = ("S1", "S1_conf", "ST", "ST_conf")
    return pd.DataFrame({"parameter": names, **{c: np.asarray(si[c], dtype=float) for c in cols}})


def with_values(base: Config, values: dict[str, float]) -> Config:
    """``base`` with the dotted keys in ``values`` replaced, validated."""
    return make_config(values, base=base)


def _point(base: Config, keys: list[str], row: np.ndarray, integer: list[bool], replications: int,
           outcomes: tuple[str, ...]) -> dict[str, float]:
    from .runner import run_replications

    values = {k: (int(round(v)) if is_int else float(v)) for k, v, is_int in zip(keys, row, integer)}
    summary = run_replications(with_values(base, values), replications=replications, workers=1).summary
    return {**values, **{o: float(summary[o].mean()) for o in outcomes}}


def run_sensitivity(params: list[str], *, method: str = "morris", samples: int = 10, replications: int = 10,
                    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES, base: Config | None = None, seed: int = 1,
                    workers: int = 1, out: Path | None = None, progress: bool = False
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample, run and analyse; returns (samples table, indices table) and writes them if ``out`` is given."""
    from .metrics import OUTCOMES

    if method not in METHODS:
        raise ConfigError(f"method '{method}' is not allowed: one of {', '.join(METHODS)}")
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ConfigError(f"unknown outcome '{unknown[0]}': allowed {', '.join(OUTCOMES)}")
    parsed = [parse_param(p) for p in params]
    if len(parsed) < 2:
        raise ConfigError("name at least two parameters to compare (--param NAME[=lo:hi], repeated)")
    keys = [p[0] for p in parsed]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"a parameter is named twice: {', '.join(keys)}")
    bounds = [(p[1], p[2]) for p in parsed]
    integer = [p[3] for p in parsed]
    base = base or make_config()
    X = sample(method, keys, bounds, samples, seed)
    rows_iter = _points(base, keys, X, integer, replications, outcomes, workers)
    if progress:
        from tqdm.auto import tqdm

        rows_iter = tqdm(rows_iter, total=len(X), desc=f"sensitivity ({method})", unit="point")
    table = pd.DataFrame(list(rows_iter))
    Xr = table[keys].to_numpy(dtype=float)
    indices = pd.concat([analyse(method, keys, bounds, Xr if method == "morris" else X,
                                 table[o].to_numpy(dtype=float), seed).assign(outcome=o)
                         for o in outcomes], ignore_index=True)
    if out is not None:
        write(Path(out), method, table, indices, {"params": params, "samples": samples,
                                                    "replications": replications, "seed": seed})
    return table, indices


def _points(base, keys, X, integer, replications, outcomes, workers):
    if workers > 1:
        from joblib import Parallel, delayed

        return Parallel(n_jobs=workers, return_as="generator")(
            delayed(_point)(base, keys, row, integer, replications, outcomes) for row in X)
    return (_point(base, keys, row, integer, replications, outcomes) for row in X)


def write(out: Path, method: str, table: pd.DataFrame, indices: pd.DataFrame, meta: dict) -> None:
    from .plotting import sensitivity_indices
    from .storage import MARKER, atomic_write, atomic_write_text

    (out / MARKER).unlink(missing_ok=True)
    atomic_write(out / "samples.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "indices.parquet", lambda p: indices.to_parquet(p, index=False))
    atomic_write(out / "indices.csv", lambda p: indices.to_csv(p, index=False))
    sensitivity_indices(indices, method, out / "indices")
    atomic_write_text(out / MARKER, json.dumps({"method": method, **meta}, indent=2))


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``c2c-sim-sensitivity``."""
    ap = argparse.ArgumentParser(prog="c2c-sim-sensitivity", description=__doc__.split("\n\n")[0])
    ap.add_argument("--param", action="append", required=True, metavar="NAME[=lo:hi]",
                    help="parameter to vary (dotted or flat name), bounds default to its allowed range")
    ap.add_argument("--method", default="morris", choices=METHODS)
    ap.add_argument("--samples", type=int, default=10, help="Morris trajectories or Sobol' base samples (N)")
    ap.add_argument("--replications", type=int, default=10, help="replications averaged per sample point")
    ap.add_argument("--outcome", action="append", help=f"outcome to analyse (default: {', '.join(DEFAULT_OUTCOMES)})")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="fixed parameter for every point, e.g. --set network=classic --set months=60")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default results/sensitivity/<method>)")
    args = ap.parse_args(argv)
    try:
        if args.samples < 2 or args.replications < 1 or args.workers < 1:
            raise ConfigError("--samples must be >= 2, --replications and --workers >= 1")
        fixed = {}
        for item in args.set:
            k, sep, v = item.partition("=")
            if not sep:
                raise ConfigError(f"--set '{item}' must be KEY=VALUE")
            fixed[k] = v
        base = make_config(fixed)
        out = args.out or Path("results") / "sensitivity" / args.method
        t0 = time.perf_counter()
        table, indices = run_sensitivity(args.param, method=args.method, samples=args.samples,
                                         replications=args.replications,
                                         outcomes=tuple(args.outcome or DEFAULT_OUTCOMES), base=base,
                                         seed=args.seed, workers=args.workers, out=out,
                                         progress=sys.stderr.isatty())
    except ConfigError as exc:
        print(f"c2c-sim-sensitivity: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    key = "mu_star" if args.method == "morris" else "ST"
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 140):
        print(indices.pivot(index="parameter", columns="outcome", values=key).to_string())
    print(f"{len(table)} points x {args.replications} replications in {time.perf_counter() - t0:.1f} s -> {out}")


if __name__ == "__main__":
    main()
