"""Running the model: one run, replications with independent seeds, and their tidy tables.

Replication ``i`` of base seed ``s`` gets its own integer seed, spawned with
``numpy.random.SeedSequence(s).spawn``; the summary row records it, so
``c2c_sim.run(seed=<that seed>, ...)`` reproduces that replication alone.
Results do not depend on how many workers run them: each replication depends
only on its seed, and rows are ordered by replication index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .config import Config, make_config
from .metrics import activity_after_programme, restricted_mean_survival
from .model import C2CModel


def replication_seeds(base_seed: int, n: int) -> list[int]:
    """Independent integer seeds for ``n`` replications, spawned from ``base_seed``."""
    return [int(s.generate_state(1, np.uint64)[0] >> np.uint64(1)) for s in np.random.SeedSequence(base_seed).spawn(n)]


def summarise(model: C2CModel) -> dict[str, float]:
    """One run's outcomes: the final month's values plus whole-run outcomes."""
    cfg = model.config
    out = dict(model.metrics)
    for k in ("exchange_events", "programme_budget"):
        out.pop(k, None)
    inits = model.initiatives()
    out["initiative_survival_months"] = restricted_mean_survival(
        inits.loc[inits.stalled, "months"].to_numpy(), inits.loc[~inits.stalled, "months"].to_numpy())
    end = cfg.programme.start + cfg.programme.duration if cfg.programme.budget_per_year > 0 else 0
    if 0 <= cfg.shocks.funding_cut_month:
        end = min(end, cfg.shocks.funding_cut_month)
    events = np.asarray(model.events_per_month)
    out["activity_after_programme"] = activity_after_programme(events, end, model.world.n_partnerships)
    out["exchange_events_total"] = float(events.sum())
    return out


def run(config: Config | None = None, *, seed: int | None = None, **params: Any) -> dict[str, float]:
    """Run one replication and return its outcomes as a dict (EMA Workbench style).

    ``params`` are flat names or presets (``run(programme="long_term", trust_initial=0.3, seed=1)``).
    """
    model = C2CModel(config, seed=seed, **params)
    return summarise(model.run())


@dataclass
class RunResult:
    """Tidy tables of one configuration's replications."""

    series: pd.DataFrame  # one row per replication and month
    summary: pd.DataFrame  # one row per replication
    initiatives: pd.DataFrame  # one row per CSO initiative


def _one(cfg: Config, rep: int, seed: int) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    model = C2CModel(cfg, seed=seed).run()
    series = model.series()
    series.insert(0, "seed", seed)
    series.insert(0, "replication", rep)
    summary = {"replication": rep, "seed": seed, **summarise(model)}
    inits = model.initiatives()
    inits.insert(0, "replication", rep)
    return series, summary, inits


def run_replications(config: Config | None = None, *, replications: int | None = None, seed: int | None = None,
                     workers: int | None = None, progress: bool = False, **params: Any) -> RunResult:
    """Run ``replications`` independent replications of one configuration.

    ``workers`` > 1 runs them in processes (joblib); the tables are identical
    whatever the number of workers. ``progress`` shows a tqdm bar.
    """
    cfg = config if config is not None else make_config(params)
    n = replications or cfg.replications
    seeds = replication_seeds(cfg.seed if seed is None else seed, n)
    nw = workers or cfg.workers
    if nw > 1 and n > 1:
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=nw, return_as="generator")
        it = par(delayed(_one)(cfg, i, s) for i, s in enumerate(seeds))
    else:
        it = (_one(cfg, i, s) for i, s in enumerate(seeds))
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, total=n, desc=f"{cfg.name}: replications", unit="run", leave=False)
    parts = list(it)
    parts.sort(key=lambda p: p[1]["replication"])
    return RunResult(series=pd.concat([p[0] for p in parts], ignore_index=True),
                     summary=pd.DataFrame([p[1] for p in parts]),
                     initiatives=pd.concat([p[2] for p in parts], ignore_index=True))
