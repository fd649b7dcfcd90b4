"""Running the model: one run, replications with independent seeds, and their tidy tables.

Replication ``i`` of base seed ``s`` gets its own integer seed, spawned with
``numpy.random.SeedSequence(s).spawn``; the summary row records it, so
``c2c_sim.run(seed=<that seed>, ...)`` or ``C2CModel(seed=<that seed>)``
reproduces that replication alone. Replications are stepped in batches by one
:class:`~c2c_sim.engine.Engine` (much faster than one by one), each with its
own generator: results do not depend on the batch size or the number of
workers, and rows are ordered by replication index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .calendar import dates
from .config import DOMAINS, Config, counterfactual, make_config
from .engine import Engine
from .metrics import SERIES_ONLY, activity_after_programme, caused_outcomes, mean_initiative_months
from .state import CHANNELS, MUNICIPALITY_FIELDS, PARTNERSHIP_FIELDS
from .world import Country

BATCH_SIZE = 64
"""Replications stepped together by one engine (a speed setting only)."""


def month_dates(T: int) -> np.ndarray:
    """The ``date`` column of months ``0 .. T - 1``: the first day of each one's calendar month (month 1
    is January 2000, :mod:`c2c_sim.calendar`)."""
    return dates(np.arange(T)).values


def replication_seeds(base_seed: int, n: int) -> list[int]:
    """Independent integer seeds for ``n`` replications, spawned from ``base_seed``."""
    return [int(s.generate_state(1, np.uint64)[0] >> np.uint64(1)) for s in np.random.SeedSequence(base_seed).spawn(n)]


def programme_end(cfg: Config) -> int:
    """The last month that can receive programme money (0 without a programme), the successor's included:
    the first programme ends at ``start + duration``, or at ``c - 1`` with a funding cut in month ``c``;
    a successor programme (``programme.successor_start`` >= 0, its own programme whatever the cut) paying
    after it moves the end to ``successor_start + successor_duration``. So ``activity_after_programme``
    counts only the months after all programme money, not the successor's months."""
    p = cfg.programme
    if p.budget_per_year <= 0:
        return 0
    end = p.start + p.duration
    if cfg.shocks.funding_cut_month >= 0:
        end = min(end, cfg.shocks.funding_cut_month - 1)
    if p.successor_start >= 0 and p.successor_duration > 0 and p.successor_budget > 0:
        end = max(end, p.successor_start + p.successor_duration)
    return max(end, 0)


@dataclass
class RunResult:
    """Tidy tables of one configuration's replications."""

    series: pd.DataFrame  # one row per replication and month
    summary: pd.DataFrame  # one row per replication
    initiatives: pd.DataFrame  # one row per CSO initiative
    partnerships: pd.DataFrame  # one row per replication, month and partnership
    countries: pd.DataFrame  # one row per replication, month, country and partnered or not
    channels: pd.DataFrame  # one row per replication, side, domain and channel: where learning came from

    @staticmethod
    def concat(parts: list[RunResult]) -> RunResult:
        return RunResult(*(pd.concat([getattr(p, f) for p in parts], ignore_index=True)
                           for f in ("series", "summary", "initiatives", "partnerships", "countries",
                                     "channels")))


def _simulate(cfg: Config, seeds: list[int]) -> tuple[Engine, dict[str, np.ndarray], dict[str, np.ndarray],
                                                      np.ndarray]:
    """Run the replications with ``seeds`` as one batch: the engine, every month's outcomes
    (name -> (T, R)), the whole-run outcomes (name -> (R,), in the summary's column order) and the
    initiative records (:meth:`~c2c_sim.engine.Engine.initiative_records`)."""
    engine = Engine(cfg, [np.random.default_rng(s) for s in seeds]).run()
    history = engine.history()  # name -> (T, R)
    final = {k: v for k, v in engine.metrics.items() if k not in SERIES_ONLY}
    if cfg.caused:  # each replication's twin: the same seeds, no partnership activity
        twin = Engine(counterfactual(cfg), [np.random.default_rng(s) for s in seeds]).run()
        history.update(caused_outcomes(history, twin.history()))
        final.update(caused_outcomes(engine.metrics, twin.metrics))
        # circulation is over the staff who never took part: measure the twin on the run's people (its own
        # staff never travel); the run's population changes month by month, so the series has no such column
        final["circulation_caused"] = final["circulation"] - twin.circulation_among(engine.state.actors.participated)
        del history["circulation_caused"]
    R = len(seeds)
    rec = engine.initiative_records()
    events = np.ascontiguousarray(history["exchange_events"].T)  # (R, T): events of each month, month 0 = 0
    P = engine.world.n_partnerships // R
    final["initiative_survival_months"] = mean_initiative_months(rec[:, 3] - rec[:, 2], rec[:, 0], R)
    final["activity_after_programme"] = activity_after_programme(events, programme_end(cfg), P)
    final["exchange_events_total"] = events.sum(axis=1).astype(float)
    return engine, history, final, rec


def simulate(cfg: Config, seeds: list[int], first_replication: int = 0) -> RunResult:
    """Run the replications with ``seeds`` as one batch and return their tables."""
    engine, history, final, rec = _simulate(cfg, seeds)
    R, T = len(seeds), cfg.months + 1
    reps = np.arange(first_replication, first_replication + R)
    cols = {k: v.T.ravel() for k, v in history.items() if k != "programme_budget"}  # (R, T) -> rep-major
    series = pd.DataFrame({"replication": np.repeat(reps, T), "seed": np.repeat(np.asarray(seeds, np.int64), T),
                           "month": np.tile(np.arange(T), R), "date": np.tile(month_dates(T), R), **cols,
                           "programme_budget": np.tile(history["programme_budget"][:, 0], R)})
    summary = pd.DataFrame({"replication": reps, "seed": np.asarray(seeds, np.int64), **final})
    inits = pd.DataFrame({"replication": reps[rec[:, 0]] if len(rec) else np.zeros(0, np.int64),
                          "cso": rec[:, 1], "start": rec[:, 2], "end": rec[:, 3], "stalled": rec[:, 4].astype(bool)})
    inits["months"] = inits["end"] - inits["start"]
    partnerships, countries = place_tables(engine, reps, seeds)
    return RunResult(series, summary, inits, partnerships, countries, channel_table(engine, reps, seeds))


def channel_table(engine: Engine, reps: np.ndarray, seeds: list[int]) -> pd.DataFrame:
    """Where each side's learning came from, per domain, at the end of the run: one row per replication,
    side, domain and channel, ``learning`` = the channel's part of ``learning_gain_<side>__<domain>``
    (:data:`c2c_sim.state.CHANNELS`; the channels of a domain add up to its gain, and their mean over
    domains is ``learning_<side>_from_<channel>``)."""
    g = engine.state.channel_gains  # (2, D, C, R)
    S, D, C, R = g.shape
    side = pd.Categorical.from_codes(np.arange(S), categories=["north", "south"])
    domain = pd.Categorical.from_codes(np.arange(D), categories=list(DOMAINS))
    channel = pd.Categorical.from_codes(np.arange(C), categories=list(CHANNELS))
    n = S * D * C
    return pd.DataFrame({"replication": np.repeat(reps, n), "seed": np.repeat(np.asarray(seeds, np.int64), n),
                         "side": side.take(np.tile(np.repeat(np.arange(S), D * C), R)),
                         "domain": domain.take(np.tile(np.repeat(np.arange(D), C), S * R)),
                         "channel": channel.take(np.tile(np.arange(C), S * D * R)),
                         "learning": g.transpose(3, 0, 1, 2).reshape(-1)})


COUNTRY_NAMES = {int(c): c.name.lower() for c in Country}


def place_tables(engine: Engine, reps: np.ndarray, seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long tables of a run: one row per replication, month and partnership (its municipalities'
    staff learning and institutional knowledge, alive, trust, exchange events), and one per replication,
    month, country and partnered-or-not (municipalities, their mean staff learning and institutional
    knowledge, partnerships alive), from :meth:`Engine.places` (:func:`c2c_sim.metrics.measure`,
    :func:`~c2c_sim.metrics.measure_partnerships`)."""
    w, R = engine.world, engine.R
    munis, pts = engine.places()  # (T, M R, k), (T, P R, k): replication r's rows are r M ... (r + 1) M - 1
    T, M, P = munis.shape[0], munis.shape[1] // R, pts.shape[1] // R
    names = pd.Categorical.from_codes(np.arange(len(COUNTRY_NAMES)), categories=list(COUNTRY_NAMES.values()))
    seeds_a = np.asarray(seeds, np.int64)
    north, south = w.p_north[:P], w.p_south[:P]  # replication 0's: the municipalities of each replication
    mu = munis.reshape(T, R, M, -1).transpose(1, 0, 2, 3)  # (R, T, M, k)
    pt = pts.reshape(T, R, P, -1).transpose(1, 0, 2, 3)  # (R, T, P, k)
    n = R * T * P
    rows = {"replication": np.repeat(reps, T * P), "seed": np.repeat(seeds_a, T * P),
            "month": np.tile(np.repeat(np.arange(T), P), R), "date": np.tile(np.repeat(month_dates(T), P), R),
            "partnership": np.tile(np.arange(P), R * T),
            "country": names.take(np.tile(w.muni_country[south], R * T)),
            "north": np.tile(north, R * T), "south": np.tile(south, R * T)}
    for k, name in enumerate(PARTNERSHIP_FIELDS):
        rows[name] = pt[..., k].reshape(n)
    rows["alive"] = rows["alive"].astype(bool)
    for k, name in enumerate(MUNICIPALITY_FIELDS):
        rows[f"{name}_north"] = mu[:, :, north, k].reshape(n)
        rows[f"{name}_south"] = mu[:, :, south, k].reshape(n)
    # countries: each municipality's group is its country and whether it is in a partnership
    country = w.muni_country[:M].astype(np.int64)
    partnered = w.muni_partnership[:M] >= 0
    group = country * 2 + partnered
    used = np.unique(group)
    member = (group[:, None] == used[None, :]).astype(float)  # (M, G)
    count = member.sum(axis=0)
    G = len(used)
    cols = {"replication": np.repeat(reps, T * G), "seed": np.repeat(seeds_a, T * G),
            "month": np.tile(np.repeat(np.arange(T), G), R), "date": np.tile(np.repeat(month_dates(T), G), R),
            "country": names.take(np.tile(used // 2, R * T)),
            "partnered": np.tile((used % 2).astype(bool), R * T),
            "municipalities": np.tile(count.astype(np.int64), R * T)}
    for k, name in enumerate(MUNICIPALITY_FIELDS):
        cols[name] = (mu[..., k] @ member / count).reshape(R * T * G)
    alive = pt[..., 0]  # (R, T, P): partnerships alive, counted for the Dutch side and for their southern country
    per_country = np.zeros((R, T, G))
    for gi, gv in enumerate(used):
        c, is_partnered = divmod(int(gv), 2)
        if is_partnered:
            mine = np.ones(P, bool) if c == 0 else w.muni_country[south] == c
            per_country[..., gi] = alive[..., mine].sum(axis=-1)
    cols["partnerships_alive"] = per_country.reshape(R * T * G).astype(np.int64)
    return pd.DataFrame(rows), pd.DataFrame(cols)


def run(config: Config | None = None, *, seed: int | None = None, **params: Any) -> dict[str, float]:
    """Run one replication and return its outcomes as a dict (EMA Workbench style).

    ``params`` are flat names or presets (``run(programme="long_term", trust_initial=0.3, seed=1)``).
    Without a ``seed``, the configuration's ``seed`` is used (the same every call: for replications,
    give each its own, e.g. from :func:`replication_seeds`). The tables of :func:`simulate` are not
    built, which keeps one run at a time close to the per-run cost of a batch.
    """
    cfg = config if config is not None else make_config(params)
    final = _simulate(cfg, [cfg.seed if seed is None else seed])[2]
    return {k: float(v[0]) for k, v in final.items()}


def run_replications(config: Config | None = None, *, replications: int | None = None, seed: int | None = None,
                     workers: int | None = None, progress: bool = False, batch_size: int = BATCH_SIZE,
                     **params: Any) -> RunResult:
    """Run ``replications`` independent replications of one configuration.

    ``workers`` > 1 runs batches in processes (joblib); the tables are identical
    whatever the number of workers or the batch size. ``progress`` shows a tqdm bar.
    """
    cfg = config if config is not None else make_config(params)
    n = replications or cfg.replications
    seeds = replication_seeds(cfg.seed if seed is None else seed, n)
    nw = workers or cfg.workers
    size = max(1, min(batch_size, -(-n // nw)))
    size = -(-n // -(-n // size))  # as many batches, evenly filled (a small last batch pays the month's overhead)
    batches = [(i, seeds[i:i + size]) for i in range(0, n, size)]
    if nw > 1 and len(batches) > 1:
        from joblib import Parallel, delayed

        it = Parallel(n_jobs=nw, return_as="generator")(delayed(simulate)(cfg, s, i) for i, s in batches)
    else:
        it = (simulate(cfg, s, i) for i, s in batches)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=f"{cfg.name}: replications", unit="run", leave=False)
        parts = []
        for part in it:
            parts.append(part)
            bar.update(len(part.summary))
        bar.close()
    else:
        parts = list(it)
    return RunResult.concat(parts)
