"""Robustness of each experiment's main verdict (``c2c-sim-robustness <experiment>``): in how many
plausible worlds it holds, and where it flips.

A verdict of an experiment is read at one parameter point: the default scenario with the experiment's
levels. Here the same contrast is recomputed in many *worlds*, each a set of values of the uncertain
parameters (:data:`c2c_sim.priors.UNCERTAIN`):

1. **Worlds.** ``--worlds calibrated``: the accepted parameter sets of a calibration
   (``results/calibration/accepted.parquet``, ``c2c-sim-calibrate``), the worlds consistent with the
   field's patterns; ``--worlds prior``: a scrambled Sobol' sample over the priors' ranges; ``auto``
   (the default): calibrated when a calibration is found, else prior, and the report says which.
   Parameters the contrast itself sets (its levels, and anything that differs between its two cells)
   are not sampled.
2. **The verdict's effects in each world.** The experiment's main verdict (``ROBUSTNESS`` in its
   module: the question, the effects the verdict reads as treatment and control cells, the outcomes and
   the expected direction) is run in every world for ``--replications`` replications, every cell with
   the same seeds (common random numbers) and every world with the same seeds, so worlds differ by their
   parameters, not their luck. Each effect is the mean paired difference with its bootstrap interval,
   and its *size in bars* is ``expected * effect / bar`` with the outcome's smallest effect of interest
   (:func:`c2c_sim.stats.sesoi`). The claim **holds in a world** as the verdict rule would call it
   *supported* there: every effect beyond its bar in the expected direction, one-sided p under
   ``stats.ALPHA`` (not adjusted). *Undecided*: every point estimate beyond its bar, some interval not;
   *reversed*: some effect beyond its bar the other way.
3. **Share of worlds.** The share where the claim holds, with a Wilson 95 % interval
   (``scipy.stats.binomtest``); the shares undecided and reversed.
4. **What decides the effect.** PAWN indices (``SALib.analyze.pawn``, moment-independent, computed on
   any sample) of the smallest effect in bars on each sampled parameter, against a noise floor: the
   largest index of random columns no run reads. With calibrated worlds the parameters are correlated
   (the posterior ties them), so an index says how much the effect changes along a parameter in these
   worlds, not its effect alone.
5. **Where it flips.** PRIM (``ema_workbench.analysis.prim``) over the (at most three) parameters above
   the noise floor, on the worlds where the claim fails: the box that holds most of them (coverage: the
   share of failing worlds inside; density: the share of worlds inside that fail), reported as a region
   only when most worlds inside fail (:data:`MIN_WORLDS`); and the share where the claim holds in the
   lowest and highest quarter of worlds along the most influential parameter.

Outputs under ``<results>/<experiment>/robustness`` (``--out``): ``worlds.parquet`` (one row per
world: its parameters, effects, bars, sizes in bars, holds), ``prim.csv`` (the box), ``pawn.csv``,
``robustness.pdf/png``, ``report.md`` and ``DONE.json`` last. The experiment's own report and
``results/index.md`` gain a robustness section and column when they are (re)written. Finished chunks
of worlds are kept under ``chunks/``, so an interrupted run resumes; a folder holding another run
(other settings, another calibration, another version of the model) is refused with a message
naming what differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import inspect
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import priors, stats
from .config import Config, ConfigError, flatten, make_config
from .storage import MARKER, atomic_write, atomic_write_text, claim_folder, provenance, write_chunks

DEFAULT_SAMPLES = 256
DEFAULT_REPLICATIONS = 20
DEFAULT_CALIBRATION = Path("results") / "calibration"
WORLDS = ("auto", "calibrated", "prior")
CHUNK = 8
"""Worlds per chunk file: the unit of resumption."""
QUICK = {"samples": 16, "replications": 3}
QUICK_OVERRIDES = ("world.staff_per_municipality=4", "world.migrants_per_city=10")
DENSITY = 0.8
MAX_DIMS = 3
MIN_WORLDS = 10
"""PRIM runs on the (at most) ``MAX_DIMS`` parameters whose PAWN index stands above the noise floor (a
region a reader can name). The box reported is, on its peeling trajectory, the one with the best balance
of coverage and density (their harmonic mean) among those holding at least ``MIN_WORLDS`` worlds whose
density (the share of its worlds where the claim fails) reaches ``DENSITY`` and is at least halfway from
the share of all worlds that fail to 1: a *clear region*. When none is, the densest box is reported as
*no clear region*."""
DUMMIES = 3
"""PAWN's noise floor: the largest index of this many random columns that no run reads."""
BOOTSTRAP = {"method": "percentile", "n_resamples": 999, "seed": 0}
"""Each world's bootstrap of its paired differences: a percentile bootstrap, seeded."""


class RobustnessError(RuntimeError):
    """Bad settings, an experiment without a main contrast, or a results folder that holds another run."""


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split())


# ---------------------------------------------------------------- the contrast an experiment declares
@dataclass(frozen=True)
class Effect:
    """One effect of a verdict: a treatment cell against a control cell (swept key -> level)."""

    label: str
    treatment: dict
    control: dict


@dataclass(frozen=True)
class Contrast:
    """An experiment's main verdict as its module's ``ROBUSTNESS`` declares it: the effects the verdict
    reads (every one must hold, as for ``supported``), on every outcome named."""

    question: str
    effects: tuple[Effect, ...]
    outcomes: tuple[str, ...]
    expected: int = 1  # +1: the claim expects an increase, -1 a decrease
    table: Callable | None = None  # Data -> per-replication table of the outcomes (default: the summary)
    tables: tuple[str, ...] = ("summary",)  # tables the runs must keep for ``table``

    def cells(self) -> list[dict]:
        """The distinct cells of the effects, in order."""
        out: list[dict] = []
        for e in self.effects:
            for c in (e.treatment, e.control):
                if c not in out:
                    out.append(c)
        return out

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for c in self.cells() for k in c))

    def describe(self) -> str:
        def cell(d):
            return ", ".join(f"{k}={v}" for k, v in d.items())
        return "; ".join(f"{cell(e.treatment)} against {cell(e.control)}" for e in self.effects)


def overrides_of(cell: dict) -> list[str]:
    return [f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in cell.items()]


def contrast_of(exp) -> Contrast:
    """The main verdict's effects declared by an experiment's module (``ROBUSTNESS``)."""
    spec = getattr(exp.module, "ROBUSTNESS", None)
    if not spec:
        raise RobustnessError(f"experiment '{exp.id}' declares no main contrast (ROBUSTNESS in "
                              f"experiments/{exp.id}.py)")
    spec = dict(spec)
    spec["effects"] = tuple(Effect(e.get("label", f"effect {i + 1}"), dict(e["treatment"]), dict(e["control"]))
                            for i, e in enumerate(spec["effects"]))
    spec["outcomes"] = tuple(spec["outcomes"])
    spec["tables"] = tuple(dict.fromkeys(("summary", *spec.get("tables", ()))))
    c = Contrast(**spec)
    keys = set(c.keys())
    if any(set(cell) != keys for cell in c.cells()):
        raise RobustnessError(f"experiments/{exp.id}.py: every cell of ROBUSTNESS must set the same keys "
                              f"({', '.join(sorted(keys))})")
    return c


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    experiment: str
    worlds: str = "auto"
    samples: int = DEFAULT_SAMPLES
    replications: int = DEFAULT_REPLICATIONS
    seed: int = 1  # the Sobol' sample's seed (prior) or the subsample's (calibrated)
    overrides: tuple[str, ...] = ()  # Hydra overrides fixed in every cell (e.g. a smaller world)
    calibration: str = str(DEFAULT_CALIBRATION)
    quick: bool = False  # a test of the command: the report says so

    def resolved(self) -> Settings:
        """``worlds=auto`` made definite: calibrated when the calibration's accepted sets exist."""
        if self.worlds != "auto":
            return self
        found = (Path(self.calibration) / "accepted.parquet").is_file()
        return dataclasses.replace(self, worlds="calibrated" if found else "prior")

    def recorded(self) -> dict:
        """The settings that change results (not where the calibration lies: its accepted sets enter the key
        through the hash of the worlds)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "calibration"}

    def key(self, extra: dict) -> str:
        d = {**self.recorded(), **extra}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def fixed_keys(self) -> list[str]:
        return [o.split("=", 1)[0].lstrip("+~") for o in self.overrides]


def check(settings: Settings) -> Settings:
    from .experiment import ExperimentError, available

    if settings.experiment not in available():
        raise RobustnessError(f"unknown experiment '{settings.experiment}': available {', '.join(available())}")
    if settings.worlds not in WORLDS:
        raise RobustnessError(f"--worlds {settings.worlds}: allowed {', '.join(WORLDS)}")
    if settings.samples < 4:
        raise RobustnessError(f"--samples {settings.samples}: at least 4 worlds are needed")
    if settings.replications < 2:
        raise RobustnessError(f"--replications {settings.replications}: at least 2 (a world's interval needs two)")
    if settings.seed < 0:
        raise RobustnessError(f"--seed {settings.seed}: a seed is a whole number from 0 on")
    settings = settings.resolved()
    if settings.worlds == "calibrated" and not (Path(settings.calibration) / "accepted.parquet").is_file():
        raise RobustnessError(f"--worlds calibrated: no accepted parameter sets in '{settings.calibration}' "
                              f"(run c2c-sim-calibrate, pass --calibration FOLDER, or use --worlds prior)")
    try:
        from .experiment import load

        contrast = contrast_of(load(settings.experiment))
    except ExperimentError as exc:
        raise RobustnessError(str(exc)) from None
    clash = [k for k in settings.fixed_keys() if k in contrast.keys()]
    if clash:
        raise RobustnessError(f"--set {clash[0]}: the contrast sets it in its cells "
                              f"({contrast.describe()}); fix another parameter")
    return settings


# ---------------------------------------------------------------- worlds
def cell_configs(settings: Settings, contrast: Contrast) -> list[tuple[dict, Config]]:
    """Each cell's (plain config, Config) on the experiment's preset under the fixed overrides."""
    from hydra.errors import HydraException

    from .experiment import cell_config

    out = []
    for cell in contrast.cells():
        try:
            out.append(cell_config(settings.experiment, [*settings.overrides, *overrides_of(cell)]))
        except (HydraException, ConfigError) as exc:
            raise RobustnessError(f"{settings.experiment}: the cell {', '.join(overrides_of(cell))} under "
                                  f"{', '.join(settings.overrides) or 'no overrides'}: {_one_line(exc)}") from None
    return out


def sampled_keys(configs: list[tuple[dict, Config]], contrast: Contrast, fixed: Sequence[str] = ()) -> list[str]:
    """The uncertain parameters the worlds vary: all of :data:`priors.UNCERTAIN` but those the contrast
    sets (its levels, and any parameter that differs between its cells) and those fixed by ``--set``."""
    flat = [flatten(c[1]) for c in configs]
    differ = {k for k in flat[0] if any(f.get(k) != flat[0][k] for f in flat[1:])}
    out = {*contrast.keys(), *fixed} | differ
    return [k for k in priors.UNCERTAIN if k not in out]


def worlds_table(settings: Settings, keys: Sequence[str]) -> pd.DataFrame:
    """One row per world: ``world`` (its number), ``source`` (``point`` of the calibration, or the Sobol'
    index) and the sampled parameters."""
    if settings.worlds == "prior":
        table = priors.sample(settings.samples, settings.seed, list(keys))
        table.insert(0, "source", np.arange(len(table)))
    else:
        acc = pd.read_parquet(Path(settings.calibration) / "accepted.parquet")
        missing = [k for k in keys if k not in acc.columns]
        if missing:  # a calibration over fewer parameters: the others at their defaults
            raise RobustnessError(f"the calibration in '{settings.calibration}' did not vary {', '.join(missing)}; "
                                  f"use --worlds prior, or calibrate every parameter of c2c_sim.priors.UNCERTAIN")
        if settings.samples < len(acc):
            acc = acc.sample(n=settings.samples, random_state=settings.seed).sort_values("point", kind="stable")
        table = acc[["point", *keys]].rename(columns={"point": "source"}).reset_index(drop=True)
        for k in keys:  # the accepted sets' values, checked against the schema as any value is
            table[k] = [priors.values({k: v})[k] for v in table[k]]
    table.insert(0, "world", np.arange(len(table)))
    return table


def effect_columns(contrast: Contrast) -> list[str]:
    """``<effect label>:<outcome>``: the name of each effect the claim needs, in the worlds' table."""
    return [f"{e.label}:{o}" for e in contrast.effects for o in contrast.outcomes]


def evaluate(exp_id: str, contrast: Contrast, configs: list[tuple[dict, Config]], keys: Sequence[str],
             rows: list[dict], replications: int) -> list[dict]:
    """The verdict's effects in each world of ``rows`` (one dict per world: its sampled values): every cell
    run with the same seeds; per effect and outcome its paired mean difference, bootstrap interval, bar
    (:func:`c2c_sim.stats.sesoi`), size in bars and the one-sided p-values of being beyond the bar in the
    expected direction (``p``) and in the other (``p_rev``)."""
    from .experiment import Data
    from .runner import run_replications

    params = contrast.keys()
    out = []
    for row in rows:
        t0 = time.perf_counter()
        values = priors.values({k: row[k] for k in keys})
        tables: dict[str, list[pd.DataFrame]] = {n: [] for n in contrast.tables}
        for cell, (_, base) in zip(contrast.cells(), configs):
            res = run_replications(make_config(values, base=base), replications=replications, workers=1)
            for n in tables:  # the preset's seed in every cell and world: common random numbers
                t = getattr(res, n).copy()
                for i, k in enumerate(params):
                    t.insert(i, k, [cell[k]] * len(t))
                tables[n].append(t)
        data = Data(tables={n: pd.concat(v, ignore_index=True) for n, v in tables.items()}, params=params,
                    config=configs[0][0])
        table = contrast.table(data) if contrast.table is not None else data.summary
        rec = {"world": row["world"]}
        for eff in contrast.effects:
            for o in contrast.outcomes:
                e = stats.contrast(table, o, eff.treatment, eff.control, **BOOTSTRAP)
                bar = stats.sesoi(e)
                c = f"{eff.label}:{o}"
                rec.update({f"effect|{c}": e.estimate, f"lo|{c}": e.lo, f"hi|{c}": e.hi, f"bar|{c}": bar,
                            f"reference|{c}": e.reference, f"bars|{c}": contrast.expected * e.estimate / bar,
                            f"p|{c}": e.p_beyond(bar, contrast.expected),
                            f"p_rev|{c}": e.p_beyond(bar, -contrast.expected)})
        rec["seconds"] = time.perf_counter() - t0
        out.append(rec)
    return out


def judge(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Adds, from the effects ``columns`` (:func:`effect_columns`): ``size`` (the smallest size in bars),
    ``holds`` (every effect beyond its bar by the verdict rule: one-sided p under ``stats.ALPHA``, not
    adjusted), ``point`` (every point estimate beyond its bar), ``undecided`` (point but not holds) and
    ``reversed`` (some effect beyond its bar the other way by the same rule)."""
    t = table.copy()
    sizes = np.column_stack([t[f"bars|{c}"].to_numpy(float) for c in columns])
    ps = np.column_stack([t[f"p|{c}"].to_numpy(float) for c in columns])
    prev = np.column_stack([t[f"p_rev|{c}"].to_numpy(float) for c in columns])
    t["size"] = np.min(sizes, axis=1)
    t["holds"] = np.all(ps < stats.ALPHA, axis=1)
    t["point"] = np.all(sizes > 1, axis=1)
    t["undecided"] = t["point"] & ~t["holds"]
    t["reversed"] = np.any(prev < stats.ALPHA, axis=1)
    return t


# ---------------------------------------------------------------- analysis
def share(k: int, n: int) -> tuple[float, float, float]:
    """``k / n`` with its Wilson 95 % interval."""
    from scipy.stats import binomtest

    if n == 0:
        return math.nan, math.nan, math.nan
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return k / n, float(ci.low), float(ci.high)


def flip_box(x: pd.DataFrame, fails: np.ndarray, density: float = DENSITY) -> dict | None:
    """PRIM's box around the worlds where the claim fails, on the columns of ``x`` (None when it fails
    nowhere or everywhere): ``limits`` (parameter -> (lo, hi), only the restricted ones, with ``None`` for
    an unrestricted side), ``coverage``, ``density``, ``mass``, ``worlds`` inside, ``base`` (the share of
    all worlds that fail) and ``clear`` (see :data:`MIN_WORLDS`)."""
    fails = np.asarray(fails, bool)
    if fails.sum() == 0 or fails.all() or len(x.columns) == 0:
        return None
    from ema_workbench.analysis import prim

    xf = x.astype(float).reset_index(drop=True)
    # EMA 2.5 discards the whole peeling trajectory when its last box misses ``threshold``: give it the
    # base rate, which the first box meets, and choose the box on the trajectory here (3.0 has no threshold)
    kw = {"threshold": float(fails.mean())} if "threshold" in inspect.signature(prim.Prim.__init__).parameters \
        else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(xf, fails, **kw).find_box()
        traj = box.peeling_trajectory.copy()
        traj["balance"] = 2 * traj["coverage"] * traj["density"] / (traj["coverage"] + traj["density"])
        small = traj[(traj["res_dim"] >= 1) & (traj["res_dim"] <= MAX_DIMS)]
        if small.empty:
            return None
        base = float(fails.mean())  # a clear box also halves the gap between the base rate and 1
        good = small[(small["density"] >= max(density, base + (1 - base) / 2))
                     & (small["mass"] * len(xf) >= min(MIN_WORLDS, len(xf)) - 1e-9)]
        clear = len(good) > 0
        pick = (good.sort_values(["balance", "coverage", "id"], ascending=[False, False, True]) if clear else
                small.sort_values(["density", "coverage", "id"], ascending=[False, False, True])).iloc[0]
        box.select(int(pick["id"]))
        lim = box.box_lim
    limits = {}
    for k in xf.columns:
        lo, hi = float(lim[k].iloc[0]), float(lim[k].iloc[1])
        lo_r, hi_r = lo > float(xf[k].min()), hi < float(xf[k].max())
        if lo_r or hi_r:
            limits[k] = (lo if lo_r else None, hi if hi_r else None)
    inside = np.ones(len(xf), bool)
    for k, (lo, hi) in limits.items():
        inside &= (xf[k] >= lo).to_numpy() if lo is not None else True
        inside &= (xf[k] <= hi).to_numpy() if hi is not None else True
    return {"limits": limits, "coverage": float(pick["coverage"]), "density": float(pick["density"]),
            "mass": float(pick["mass"]), "worlds": int(inside.sum()), "clear": bool(clear),
            "base": float(fails.mean())}


def box_text(box: dict | None, digits: int = 3) -> str:
    """``trust.decay > 0.08 and cso.start_rate < 0.03``."""
    if not box or not box["limits"]:
        return ""
    parts = []
    for k, (lo, hi) in box["limits"].items():
        if lo is not None and hi is not None:
            parts.append(f"{lo:.{digits}g} <= {k} <= {hi:.{digits}g}")
        elif lo is not None:
            parts.append(f"{k} >= {lo:.{digits}g}")
        else:
            parts.append(f"{k} <= {hi:.{digits}g}")
    return " and ".join(parts)


def pawn(x: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, float]:
    """PAWN indices (SALib) of ``y`` on each column of ``x``, sorted (largest first), and the noise floor:
    the largest index of :data:`DUMMIES` random columns (seeded) that no run reads; an index at or under it
    says nothing. Empty (and NaN) when too few worlds (under 20) or no variation."""
    from SALib.analyze import pawn as salib_pawn

    y = np.asarray(y, float)
    ok = np.isfinite(y)
    cols = [c for c in x.columns if x[c].nunique() > 1]
    empty = pd.DataFrame(columns=["parameter", "median", "minimum", "maximum", "CV", "above_noise"])
    if ok.sum() < 20 or not cols or np.nanstd(y[ok]) == 0:
        return empty, math.nan
    X = x.loc[ok, cols].to_numpy(float)
    dummies = [f"(random {i + 1})" for i in range(DUMMIES)]
    X = np.column_stack([X, np.random.default_rng(0).random((len(X), DUMMIES))])
    names = [*cols, *dummies]
    problem = {"num_vars": len(names), "names": names,
               "bounds": [[float(X[:, i].min()), float(X[:, i].max())] for i in range(len(names))]}
    slices = 10 if ok.sum() >= 200 else max(3, int(ok.sum()) // 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = salib_pawn.analyze(problem, X, y[ok], S=slices, seed=1)
    df = res.to_df().reset_index().rename(columns={"index": "parameter"})
    floor = float(df.loc[df["parameter"].isin(dummies), "median"].max())
    df = df[~df["parameter"].isin(dummies)].copy()
    df["above_noise"] = df["median"] > floor
    return df[["parameter", "median", "minimum", "maximum", "CV", "above_noise"]].sort_values(
        ["median", "parameter"], ascending=[False, True], kind="stable").reset_index(drop=True), floor


def summarise(table: pd.DataFrame, keys: Sequence[str]) -> dict:
    """Shares, the PAWN indices and the PRIM box (on the most influential parameters) of a judged table."""
    n = len(table)
    k = int(table["holds"].sum())
    p, lo, hi = share(k, n)
    ind, floor = pawn(table[list(keys)], table["size"].to_numpy(float))
    top = list(ind.loc[ind["above_noise"], "parameter"][:MAX_DIMS]) if len(ind) else []
    box = flip_box(table[top], ~table["holds"].to_numpy(bool)) if top else None
    along = None
    if top and 0 < k < n:  # the claim's share in the quarters of the worlds along the most influential one
        q = table[top[0]].rank(method="first") / n
        along = {"parameter": top[0], "low": float(table.loc[q <= 0.25, "holds"].mean()),
                 "high": float(table.loc[q > 0.75, "holds"].mean()),
                 "low_upto": float(table.loc[q <= 0.25, top[0]].max()),
                 "high_from": float(table.loc[q > 0.75, top[0]].min())}
    return {"worlds": n, "holds": k, "share": p, "lo": lo, "hi": hi, "along": along, "prim_on": top,
            "point": float(table["point"].mean()), "undecided": float(table["undecided"].mean()),
            "reversed": float(table["reversed"].mean()), "median_size": float(np.nanmedian(table["size"])),
            "box": box, "box_text": box_text(box), "pawn": ind.head(8).to_dict("records"), "pawn_floor": floor}


def headline(summary: dict, worlds: str) -> str:
    """``holds in 83 % [78, 88] of 256 calibrated worlds; fails mostly when trust.decay >= 0.08 ...``."""
    what = "calibrated worlds" if worlds == "calibrated" else "worlds of the prior ranges"
    s = (f"holds in {summary['share']:.0%} [{summary['lo']:.0%}, {summary['hi']:.0%}] of {summary['worlds']} "
         f"{what}")
    if summary["holds"] == summary["worlds"]:
        return s + "; fails in none"
    if summary["holds"] == 0:
        return s
    b, a = summary["box"], summary.get("along")
    if b and b["clear"] and summary["box_text"]:
        return s + (f"; fails mostly when {summary['box_text']} ({b['density']:.0%} of the {b['worlds']} worlds "
                    f"there fail, {b['base']:.0%} of all)")
    if a:
        return s + (f"; no clear region where it fails, but it holds in {a['low']:.0%} of the quarter of worlds "
                    f"with the lowest {a['parameter']} (up to {a['low_upto']:.3g}) and {a['high']:.0%} of those "
                    f"with the highest (from {a['high_from']:.3g})")
    return s + "; no parameter's influence on the effect stands out from the noise"


# ---------------------------------------------------------------- running
def run(settings: Settings, out: Path | None = None, *, workers: int = 1, progress: bool = True,
        log: Callable[[str], None] = print) -> dict:
    """Run (or resume) the robustness map of one experiment into ``out``; returns the summary (DONE.json)."""
    import importlib  # not "from . import compiled": this module is no model source (compiled.model_sources)

    from .experiment import load, results_root

    t0 = time.perf_counter()
    settings = check(settings)
    exp = load(settings.experiment)
    contrast = contrast_of(exp)
    out = Path(out) if out is not None else results_root() / settings.experiment / "robustness"
    configs = cell_configs(settings, contrast)
    keys = sampled_keys(configs, contrast, settings.fixed_keys())
    worlds = worlds_table(settings, keys)
    from . import runner

    code = [inspect.getsource(evaluate), json.dumps(BOOTSTRAP, sort_keys=True), Path(runner.__file__).read_text(),
            Path(stats.__file__).read_text(), repr(getattr(exp.module, "ROBUSTNESS", None))]
    if contrast.table is not None:
        code.append(inspect.getsource(contrast.table))
    extra = {"sources": importlib.import_module(f"{__package__}.compiled").SOURCES,
             "cells": [{k: v for k, v in flatten(c[1]).items() if k not in ("replications", "workers", "name")}
                       for c in configs],
             "contrast": contrast.describe(), "outcomes": contrast.outcomes, "keys": keys,
             "code": hashlib.sha256("\n".join(code).encode()).hexdigest()[:16],
             "worlds_hash": hashlib.sha256(pd.util.hash_pandas_object(worlds, index=False).values.tobytes())
             .hexdigest()[:16]}
    key = settings.key(extra)
    meta_path = out / "robustness.json"
    claim_folder(meta_path, key, {**settings.recorded(), **extra}, RobustnessError,
                 lambda diff: f"another robustness run (differs in: {', '.join(diff) or 'key'})")
    (out / MARKER).unlink(missing_ok=True)
    chunks = out / "chunks"
    n_chunks = math.ceil(len(worlds) / CHUNK)
    todo = [(chunks / f"chunk-{i:04d}.parquet", worlds.iloc[i * CHUNK:(i + 1) * CHUNK].to_dict("records"))
            for i in range(n_chunks) if not (chunks / f"chunk-{i:04d}.parquet").is_file()]
    if len(todo) < n_chunks:
        log(f"c2c-sim-robustness: resuming: {n_chunks - len(todo)} of {n_chunks} chunks already done")
    try:
        write_chunks(todo, functools.partial(_evaluate_in_worker, settings.experiment, configs, keys,
                                             replications=settings.replications),
                     workers=workers, progress=progress, desc=f"{settings.experiment} robustness: worlds",
                     unit="world", leave=False)
    except (ValueError, KeyError, ConfigError, RuntimeError) as exc:
        if not any(chunks.glob("chunk-*.parquet")):  # nothing computed: leave no folder that refuses the fix
            meta_path.unlink(missing_ok=True)
        raise RobustnessError(f"{settings.experiment}: the contrast could not be computed "
                              f"({type(exc).__name__}: {_one_line(exc)})") from None
    effects = pd.concat([pd.read_parquet(chunks / f"chunk-{i:04d}.parquet") for i in range(n_chunks)],
                        ignore_index=True)
    table = judge(worlds.merge(effects, on="world", how="left", validate="one_to_one"), effect_columns(contrast))
    summary = summarise(table, keys)
    summary.update({"experiment": settings.experiment, "question": contrast.question, "worlds_from": settings.worlds,
                    "contrast": contrast.describe(), "outcomes": list(contrast.outcomes),
                    "effects": [e.label for e in contrast.effects], "quick": settings.quick,
                    "expected": contrast.expected, "replications": settings.replications,
                    "compute_seconds": round(float(table["seconds"].sum()), 1),
                    "wall_seconds": round(time.perf_counter() - t0, 1), "workers": workers,
                    "headline": headline(summary, settings.worlds), "overrides": list(settings.overrides),
                    "calibration": settings.calibration if settings.worlds == "calibrated" else None})
    write_outputs(out, table, summary, keys)
    summary["provenance"] = {**provenance(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    summary["key"] = key
    atomic_write_text(out / MARKER, json.dumps(summary, indent=1, default=str))
    if out.name == "robustness" and out.parent.name == settings.experiment:  # the map beside its experiment
        _update_experiment_report(out, summary)
    return summary


def _evaluate_in_worker(exp_id, configs, keys, rows, replications):
    """``evaluate`` of the experiment ``exp_id``, also in a joblib worker: experiment modules are loaded
    from their files, so the contrast (and its ``table`` function) is read there rather than sent."""
    from .experiment import load

    return evaluate(exp_id, contrast_of(load(exp_id)), configs, keys, rows, replications)


# ---------------------------------------------------------------- outputs
def section(summary: dict, link: str = "") -> list[str]:
    """The robustness section of a report (markdown lines) from a run's summary."""
    src = ("the accepted parameter sets of the calibration (`c2c-sim-calibrate`: worlds consistent with the "
           "field patterns)" if summary["worlds_from"] == "calibrated" else
           "a Sobol' sample over the priors' ranges (`c2c_sim.priors.UNCERTAIN`; no calibration used)")
    n_eff = len(summary.get("effects", [])) * len(summary["outcomes"])
    lines = ["## Robustness of the main verdict", ""]
    if summary.get("quick"):
        lines += ["*A quick run (a test of the command on a small world with few worlds and replications), not a "
                  "result.*", ""]
    lines += [f"**{summary['question']}** {summary['headline']}.", "",
              f"The verdict's {n_eff} effect(s) ({summary['contrast']}; on "
              f"{', '.join(f'`{o}`' for o in summary['outcomes'])}), recomputed in {summary['worlds']} worlds drawn "
              f"from {src}, {summary['replications']} replications per world and cell, every cell and world with "
              f"the same seeds. The claim holds in a world as the verdict rule would say *supported* there: every "
              f"effect beyond its smallest effect of interest in the expected direction, one-sided bootstrap p "
              f"under {stats.ALPHA} (not adjusted across effects or worlds). In {summary['undecided']:.0%} of the "
              f"worlds every point estimate clears its bar but some interval does not (undecided; the point "
              f"estimates clear in {summary['point']:.0%}); some effect is reversed (beyond its bar the other way, "
              f"by the same rule) in {summary['reversed']:.0%}. The median of the smallest effect over the "
              f"effects is {summary['median_size']:.2g} bars. The interval of the share treats the worlds as "
              f"independent; all of them share the same replication seeds, so luck common to those seeds is not "
              f"in it."]
    b = summary.get("box")
    on = ", ".join(f"`{k}`" for k in summary.get("prim_on", []))
    if b and b["clear"]:
        lines += ["", f"Where it fails (PRIM on the failing worlds, over {on}, the parameters PAWN ranks above its "
                  f"noise floor): {summary['box_text']}: coverage {b['coverage']:.0%} (of the failing worlds inside "
                  f"the box), density {b['density']:.0%} (of the {b['worlds']} worlds inside that fail; "
                  f"{b['base']:.0%} of all worlds fail)."]
    elif 0 < summary["holds"] < summary["worlds"]:
        lines += ["", (f"No clear region where it fails: PRIM over {on} (the parameters PAWN ranks above its noise "
                       f"floor) finds no box of at least {MIN_WORLDS} worlds in which {DENSITY:.0%} of them fail, "
                       f"at least halfway from the share of all worlds that fail to 100 %"
                       + (f" (the densest: {summary['box_text']}, density {b['density']:.0%} against {b['base']:.0%} "
                          f"overall, coverage {b['coverage']:.0%})." if b and summary["box_text"] else "."))
                  if on else "No clear region where it fails: no parameter's PAWN index stands above its noise floor."]
    if summary.get("pawn"):
        floor = summary.get("pawn_floor", math.nan)
        lines += ["", f"What decides the effect (PAWN index of the smallest effect in bars, SALib; median over "
                  f"slices; the noise floor, the largest index of {DUMMIES} random columns no run reads, is "
                  f"{floor:.3f}):", "", "| parameter | PAWN (median) | min | max | above the noise floor |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{r['parameter']}` | {r['median']:.3f} | {r['minimum']:.3f} | {r['maximum']:.3f} | "
                  f"{'yes' if r['above_noise'] else 'no'} |" for r in summary["pawn"][:5]]
    if link:
        lines += ["", f"Details, figure and the worlds' table: [{link}]({link})."]
    return lines


def write_outputs(out: Path, table: pd.DataFrame, summary: dict, keys: Sequence[str]) -> None:
    from . import plotting

    atomic_write(out / "worlds.parquet", lambda p: table.to_parquet(p, index=False))
    box = summary.get("box") or {"limits": {}}
    atomic_write_text(out / "prim.csv", pd.DataFrame(
        [{"parameter": k, "lo": lo, "hi": hi} for k, (lo, hi) in box["limits"].items()],
        columns=["parameter", "lo", "hi"]).to_csv(index=False))
    atomic_write_text(out / "pawn.csv", pd.DataFrame(summary["pawn"]).to_csv(index=False))
    top = [r["parameter"] for r in summary["pawn"][:2]] or list(keys)[:2]
    figures = plotting.robustness(table, top, box["limits"] if box.get("clear") else {}, out / "robustness",
                                  title=summary["question"])
    lines = [f"# Robustness: {summary['experiment']}", "", *section(summary), "",
             f"![robustness]({figures[-1].name})", "",
             f"{summary['compute_seconds']:.0f} s of compute over the worlds (summed over every chunk, whichever "
             f"invocation and worker computed it)."
             + (f" Fixed in both cells: {', '.join(f'`{o}`' for o in summary['overrides'])}."
                if summary["overrides"] else ""), ""]
    atomic_write_text(out / "report.md", "\n".join(lines))


BEGIN, END = "<!-- robustness -->", "<!-- /robustness -->"


def _update_experiment_report(out: Path, summary: dict) -> None:
    """Put (or replace) the robustness section in the experiment's report next to this folder, and the
    column in the index of the results root, when they exist."""
    from .experiment import write_index

    report = out.parent / "report.md"
    if report.is_file():
        atomic_write_text(report, with_section(report.read_text(), summary, f"{out.name}/report.md"))
    if (out.parent / "verdicts.json").is_file():
        write_index(out.parent.parent)


def with_section(text: str, summary: dict, link: str) -> str:
    block = "\n".join([BEGIN, *section(summary, link), END])
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def read_summary(folder: Path) -> dict | None:
    """The summary of a finished robustness run in ``folder`` (None when there is none)."""
    f = Path(folder) / MARKER
    if not f.is_file():
        return None
    try:
        summary = json.loads(f.read_text())
    except json.JSONDecodeError:
        return None
    return summary if "undecided" in summary else None  # a map of an older version: rerun it


# ---------------------------------------------------------------- command line
class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, as every other bad input
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = _Parser(prog="c2c-sim-robustness", description=__doc__.split("\n\n")[0],
                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", help="experiment id (c2c-sim-experiment's), or all")
    ap.add_argument("--worlds", default="auto", help=f"where the worlds come from: {', '.join(WORLDS)} "
                    "(auto: calibrated when a calibration is found, else prior)")
    ap.add_argument("--samples", type=int, default=None, help=f"worlds (default {DEFAULT_SAMPLES}; "
                    "calibrated: at most the accepted sets)")
    ap.add_argument("--replications", type=int, default=None, help=f"replications per world and cell "
                    f"(default {DEFAULT_REPLICATIONS})")
    ap.add_argument("--seed", type=int, default=1, help="seed of the prior sample or the calibrated subsample")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a Hydra override fixed in both cells (repeat), e.g. world.staff_per_municipality=4")
    ap.add_argument("--calibration", type=Path, default=None,
                    help="folder of a calibration (its accepted.parquet; default <results root>/calibration)")
    ap.add_argument("--results-dir", type=Path, default=None, help="results root (default $C2C_SIM_RESULTS or "
                    "./results); the output goes to <root>/<experiment>/robustness")
    ap.add_argument("--out", type=Path, default=None, help="output folder (overrides --results-dir; one experiment)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ap.add_argument("--quick", action="store_true", help=f"a small run for tests ({QUICK['samples']} worlds, "
                    f"{QUICK['replications']} replications, a small world) under <root>/quick/")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from .experiment import EXIT_BAD_INPUT, EXIT_FAILED, available, default_workers, results_root

    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help, or a malformed argument (one line printed)
        return int(exc.code or 0)
    ids = available() if args.experiment == "all" else [args.experiment]
    if args.out is not None and len(ids) > 1:
        print("c2c-sim-robustness: error: --out names one folder: give one experiment", file=sys.stderr)
        return EXIT_BAD_INPUT
    workers = args.workers if args.workers is not None else default_workers()
    if workers < 1:
        print(f"c2c-sim-robustness: error: --workers {workers} must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    base_root = results_root(args.results_dir)
    root = base_root / "quick" if args.quick else base_root
    calibration = args.calibration if args.calibration is not None else base_root / "calibration"
    samples = args.samples if args.samples is not None else (QUICK["samples"] if args.quick else DEFAULT_SAMPLES)
    reps = args.replications if args.replications is not None else (
        QUICK["replications"] if args.quick else DEFAULT_REPLICATIONS)
    overrides = (*(QUICK_OVERRIDES if args.quick else ()), *args.set)
    for o in overrides:
        if "=" not in o or o.startswith("="):
            print(f"c2c-sim-robustness: error: --set '{o}' must be KEY=VALUE", file=sys.stderr)
            return EXIT_BAD_INPUT
    failed = []
    for exp_id in ids:
        settings = Settings(experiment=exp_id, worlds=args.worlds, samples=samples, replications=reps,
                            seed=args.seed, overrides=tuple(overrides), calibration=str(calibration),
                            quick=args.quick)
        out = args.out or root / exp_id / "robustness"
        try:
            summary = run(settings, out, workers=workers)
        except (RobustnessError, ConfigError) as exc:
            print(f"c2c-sim-robustness: error: {_one_line(exc)}", file=sys.stderr)
            if len(ids) == 1:
                return EXIT_BAD_INPUT
            failed.append(exp_id)
            continue
        print(f"c2c-sim-robustness: {exp_id}: '{summary['question']}' {summary['headline']} "
              f"({summary['compute_seconds']:.0f} s of compute) -> {out / 'report.md'}", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def console() -> None:
    sys.exit(main())



if __name__ == "__main__":  # run as the package module, so experiments share its classes
    from c2c_sim.robustness import console as _console

    _console()
