"""Pattern-oriented validation (``c2c-sim-validate``): the field patterns of ``shared/domain.md`` as tests.

Each pattern found in the field (``shared/domain.md``, "Patterns found in the field") is written here
as a falsifiable test on what the partnership *caused* in the model: a plain statement, the
comparison that tests it, a pass criterion fixed in this file before any number is seen, the numbers
and PASS or FAIL. A pattern the model does not reproduce is reported as FAIL, with what in the rules
makes it so; nothing here tunes a mechanism or a default to make a pattern pass.

1. Asymmetric learning: the South learns more than the North from the partnership.
2. Exchanges without a learning strategy fall short; the absence of other actors limits learning.
3. Links between local governments and non-governmental actors strengthen over the partnership's years.
4. Activity declines after programme money stops, or ends abruptly through a funding cut.
5. Critical mass: about three partnerships in a country before spillover takes off.
6. Multi-actor and multilevel ties raise knowledge circulation beyond the people who travelled.

Design. Every condition runs the same replication seeds (spawned from ``--seed``: common random
numbers), 120 months, with ``caused=true`` where caused outcomes are read (each replication minus its
twin, the same seeds and world without partnership activity: :func:`c2c_sim.config.counterfactual`).
Where a test needs an outcome of the twin that the caused outcomes do not carry (trust, per-domain
learning), the twin runs as a condition of its own with the same seeds; the run minus that twin
reproduces the caused outcomes exactly (checked on every run). Effects are paired differences over
replications with 95 % BCa bootstrap intervals (:func:`c2c_sim.stats.mean_difference`, fixed
generator). A comparison passes when its whole interval lies beyond its smallest effect of interest
(:data:`BARS`) in the direction the pattern expects; a pattern passes when every one of its criterion
comparisons passes (an intersection-union test: no multiplicity adjustment is needed for the
conjunction). Context rows are reported beside them and decide nothing.

The command writes ``report.md``, ``patterns.csv`` (one row per pattern and comparison) and one
figure (``validation.pdf``/``.png``) into ``<results root>/validation`` (``--out``), atomically. The
same seed and replications give the same files, whatever the number of workers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import stats
from .config import Config, ConfigError, check_value, counterfactual, make_config, schema_keys
from .experiment import default_workers, markdown_table, results_root
from .storage import atomic_write_text

PROG = "c2c-sim-validate"
EXIT_BAD_INPUT = 2
EXIT_FAILED_PATTERN = 1  # only with --strict
DEFAULT_REPLICATIONS = 500
"""A full run takes 43 s on this project's 2 cores (2026-12-02, numba cache warm), so under 5 minutes
even on a day three times slower."""
QUICK_REPLICATIONS = 8
LEVELS = (0, 1, 2, 3, 4, 6)
"""Moroccan partnerships in the critical-mass design (issue 11 measured the same levels)."""
QUICK_LEVELS = (0, 1, 2, 3)
FIELD_THRESHOLD = 3
"""LOGO South's evaluation advised at least three projects in a country before a country programme."""

CRITERION = "criterion"
CONTEXT = "context"
BARS: dict[str, tuple[float, float, str]] = {
    "gain": (0.001, stats.MIN_RELATIVE, "knowledge gain: 5 % of the comparison mean, at least 0.001"),
    "trust": (0.02, 0.0, "trust on a 0-1 scale: 0.02"),
    "rate": (0.05, 0.0, "exchange events per partnership per month: 0.05"),
    "count": (0.5, 0.0, "count: half a unit"),
}
"""Kind of outcome -> (absolute bar, relative bar, description): a comparison's smallest effect of
interest is ``max(absolute, relative * |comparison mean|)``. Judgement, stated in every report."""

SERIES_COLUMNS = ("exchange_events", "trust_panel_local", "trust_entered_local", "trust_panel_transnational",
                  "partnerships_alive")
"""Monthly outcomes kept from each condition (the rest of the series is dropped to keep results small)."""


# ---------------------------------------------------------------- comparisons and their verdicts
@dataclass(frozen=True)
class Check:
    """One comparison of a pattern: an effect with its interval, its bar and whether it passes."""

    comparison: str
    outcome: str
    estimate: stats.Estimate
    bar: float
    expected: int = 1  # +1: the pattern expects an increase, -1 a decrease
    role: str = CRITERION

    @property
    def passed(self) -> bool:
        """The whole 95 % interval lies beyond the bar on the expected side."""
        lo, hi = self.estimate.lo, self.estimate.hi
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        return lo > self.bar if self.expected > 0 else hi < -self.bar


def bar_for(kind: str, reference: float) -> float:
    """The smallest effect of interest of a comparison of ``kind`` (:data:`BARS`) against ``reference``."""
    absolute, relative, _ = BARS[kind]
    return max(absolute, relative * abs(reference) if math.isfinite(reference) else 0.0)


def compare(comparison: str, outcome: str, treatment, control, *, kind: str = "gain", expected: int = 1,
            role: str = CRITERION) -> Check:
    """The paired effect ``treatment - control`` (replication ``i`` of both from the same seed) as a Check."""
    e = stats.mean_difference(np.asarray(treatment, float), np.asarray(control, float), paired=True)
    return Check(comparison, outcome, e, bar_for(kind, e.reference), expected, role)


@dataclass
class PatternResult:
    """What one pattern's test found."""

    key: str
    title: str
    statement: str
    source: str
    design: str
    criterion: str
    checks: list[Check]
    notes: list[str] = field(default_factory=list)
    plot: dict = field(default_factory=dict)  # what the figure's panel needs

    @property
    def passed(self) -> bool:
        crit = [c for c in self.checks if c.role == CRITERION]
        return bool(crit) and all(c.passed for c in crit)

    @property
    def word(self) -> str:
        return "PASS" if self.passed else "FAIL"


# ---------------------------------------------------------------- conditions: what runs
@dataclass(frozen=True)
class Condition:
    """One configuration run for ``replications`` seeds: ``overrides`` for make_config; ``twin`` runs the
    counterfactual twin of that configuration instead; ``measure="unpartnered"`` returns the caused gain of
    staff in unpartnered Moroccan municipalities instead of tables."""

    name: str
    overrides: tuple[tuple[str, Any], ...] = ()
    twin: bool = False
    measure: str = "tables"

    def config(self, seed: int) -> Config:
        cfg = make_config({**dict(self.overrides), "caused": not self.twin, "seed": seed})
        return counterfactual(cfg) if self.twin else cfg


def _cond(name: str, twin: bool = False, measure: str = "tables", **overrides: Any) -> Condition:
    return Condition(name, tuple(sorted(overrides.items())), twin, measure)


DEFAULT = _cond("default")
EQUAL = _cond("equal_openness_coherent", **{"municipality.openness_north": Config().municipality.openness_south,
                                            "programme.coherence": 1.0})
DEFAULT_TWIN = _cond("default_twin", twin=True)
STRATEGY = _cond("learning_strategy", **{"programme.learning_strategy": True})
CLASSIC = _cond("classic", network="classic")
MULTILEVEL = _cond("multilevel_hybrid", network="multilevel_hybrid")
BUDGET_CUT = _cond("budget_cut_2011", scenario="budget_cut_2011")
BUDGET_UNCUT = _cond("budget_cut_2011_uncut", scenario="budget_cut_2011", **{"shocks.funding_cut_month": -1})


def critical_mass_condition(k: int, network: str = "multilevel_hybrid") -> Condition:
    return _cond(f"morocco_{k}_{network}", measure="unpartnered", network=network,
                 **{"world.partnerships_morocco": k})


@dataclass
class CondData:
    """A condition's results: summary (one row per replication) and selected monthly series, or the
    per-replication caused gain of unpartnered Moroccan staff."""

    summary: pd.DataFrame | None = None
    series: pd.DataFrame | None = None
    unpartnered: np.ndarray | None = None
    programme_end: int = 0
    partnerships: int = 0


def staff_gain(world, country: int) -> np.ndarray:
    """Per replication of an engine's world: the mean knowledge gain (mean of explicit and tacit minus the
    start, over domains, as in :mod:`c2c_sim.metrics`) of the staff of unpartnered municipalities of
    ``country``. The model's outcomes have no per-country breakdown yet (issue 10, item 5)."""
    from .world import Kind

    unpartnered = (world.muni_partnership < 0) & (world.muni_country == country)
    staff = (world.kind == Kind.STAFF) & (world.city >= 0)
    sel = np.flatnonzero(staff & unpartnered[np.maximum(world.city, 0)])
    gain = 0.5 * ((world.explicit[sel] - world.explicit0[sel]) + (world.tacit[sel] - world.tacit0[sel])).mean(axis=1)
    return pd.Series(gain).groupby(world.rep[sel]).mean().reindex(range(world.n_reps)).to_numpy(float)


def unpartnered_caused(cfg: Config, seeds: list[int], country: int) -> np.ndarray:
    """Caused gain of unpartnered staff of ``country`` per replication: the run's :func:`staff_gain` minus
    that of its twin (:func:`c2c_sim.config.counterfactual`, the same seeds), at the end of the run."""
    from .engine import Engine
    from .runner import BATCH_SIZE

    out = []
    for i in range(0, len(seeds), BATCH_SIZE):
        batch = seeds[i:i + BATCH_SIZE]
        run = Engine(cfg, [np.random.default_rng(s) for s in batch]).run()
        twin = Engine(counterfactual(cfg), [np.random.default_rng(s) for s in batch]).run()
        out.append(staff_gain(run.world, country) - staff_gain(twin.world, country))
    return np.concatenate(out)


def run_condition(cond: Condition, replications: int, seed: int) -> CondData:
    """Run one condition (in this process): every condition uses the same replication seeds."""
    from .runner import programme_end, replication_seeds, run_replications
    from .world import Country

    cfg = cond.config(seed)
    P = cfg.world.partnerships_morocco + cfg.world.partnerships_turkey
    if cond.measure == "unpartnered":
        return CondData(unpartnered=unpartnered_caused(cfg, replication_seeds(seed, replications), Country.MOROCCO),
                        partnerships=P)
    res = run_replications(cfg, replications=replications, seed=seed, workers=1)
    cols = ["replication", "month", *[c for c in SERIES_COLUMNS if c in res.series.columns]]
    return CondData(summary=res.summary, series=res.series[cols].reset_index(drop=True),
                    programme_end=programme_end(cfg), partnerships=P)


class Runs:
    """Conditions run once and kept: patterns that share a condition read the same replications."""

    def __init__(self, replications: int, seed: int, workers: int) -> None:
        self.replications, self.seed, self.workers = replications, seed, workers
        self.data: dict[str, CondData] = {}

    def need(self, conditions: Sequence[Condition]) -> int:
        """Run the conditions not run yet (in parallel over ``workers`` processes); return how many ran."""
        todo = [c for c in dict.fromkeys(conditions) if c.name not in self.data]
        if self.workers > 1 and len(todo) > 1:
            from joblib import Parallel, delayed

            out = Parallel(n_jobs=min(self.workers, len(todo)))(
                delayed(run_condition)(c, self.replications, self.seed) for c in todo)
        else:
            out = [run_condition(c, self.replications, self.seed) for c in todo]
        self.data.update({c.name: d for c, d in zip(todo, out)})
        return len(todo)

    def __getitem__(self, cond: Condition) -> CondData:
        return self.data[cond.name]


# ---------------------------------------------------------------- helpers on tables
def at_month(series: pd.DataFrame, column: str, month: int) -> np.ndarray:
    """``column`` at ``month``, one value per replication (in replication order)."""
    part = series[series["month"] == month].sort_values("replication")
    return part[column].to_numpy(float)


def events_matrix(series: pd.DataFrame) -> np.ndarray:
    """Exchange events per replication (rows) and month (columns, month 0 first)."""
    return series.pivot(index="replication", columns="month", values="exchange_events").sort_index().to_numpy(float)


def window_activity(events: np.ndarray, first: int, last: int, partnerships: int) -> np.ndarray:
    """Exchange events per partnership per month in months ``first..last``, per replication
    (:func:`c2c_sim.metrics.activity_after_programme` on the window)."""
    from .metrics import activity_after_programme

    return activity_after_programme(events[:, :last + 1], first - 1, partnerships)


def check_twin(run: pd.DataFrame, twin: pd.DataFrame) -> None:
    """The twin condition is the caused outcomes' twin: same replication seeds, and run minus twin
    reproduces ``learning_caused_<side>`` exactly. RuntimeError otherwise (the pairing would be broken)."""
    if not np.array_equal(run["seed"].to_numpy(), twin["seed"].to_numpy()):
        raise RuntimeError("the twin condition's replication seeds differ from the run's")
    for side in ("north", "south"):
        diff = run[f"learning_gain_{side}"].to_numpy() - twin[f"learning_gain_{side}"].to_numpy()
        if not np.array_equal(diff, run[f"learning_caused_{side}"].to_numpy()):
            raise RuntimeError(f"run minus twin does not reproduce learning_caused_{side}")


# ---------------------------------------------------------------- the patterns
SIDES = {"north": "North (Netherlands)", "south": "South (Morocco, Turkey)"}
SOUTH_DOMAINS = ("local_governance", "service_delivery")


def asymmetry(run: pd.DataFrame, twin: pd.DataFrame, equal: pd.DataFrame | None = None) -> PatternResult:
    """Pattern 1 from the default run (caused) and its twin (same seeds); ``equal``: a run with equal
    openness on both sides and a fully coherent programme (context: does the asymmetry survive?)."""
    check_twin(run, twin)
    checks = [compare("South - North, caused learning (all domains)", "learning_caused_south - learning_caused_north",
                      run["learning_caused_south"], run["learning_caused_north"])]
    for d in SOUTH_DOMAINS:
        south = run[f"learning_gain_south__{d}"] - twin[f"learning_gain_south__{d}"]
        north = run[f"learning_gain_north__{d}"] - twin[f"learning_gain_north__{d}"]
        checks.append(compare(f"South - North, caused learning in {d.replace('_', ' ')}",
                              f"learning_gain_<side>__{d} (run - twin)", south, north))
    checks.append(compare("South - North, caused learning valued on each side's own objectives",
                          "learning_on_objectives_caused_south - _north", run["learning_on_objectives_caused_south"],
                          run["learning_on_objectives_caused_north"], role=CONTEXT))
    notes = ["The model values knowledge only: the political and strategic benefits the field found on the Dutch "
             "side are not represented."]
    if equal is not None:
        checks.append(compare("South - North, caused learning, equal openness on both sides and "
                              "`programme.coherence`=1", "learning_caused_south - learning_caused_north",
                              equal["learning_caused_south"], equal["learning_caused_north"], role=CONTEXT))
    k, m = Config().knowledge, Config().municipality
    ahead = sum(k.staff_north[d] > k.staff_south[d] for d in k.staff_north)
    notes.append(f"Partly built in: the default starting profiles give Dutch staff more knowledge than southern staff "
                 f"in {ahead} of {len(k.staff_north)} domains, and openness to learn is {m.openness_north:g} in the "
                 f"North against {m.openness_south:g} in the South, so the asymmetry follows largely from the inputs "
                 f"(see docs/odd.md, section 1.2); the context row with equal openness and a coherent programme "
                 f"shows whether it survives without the openness gap.")
    cells = []
    for label, (s, n) in {"all domains": (run["learning_caused_south"], run["learning_caused_north"]), **{
            d.replace("_", " "): (run[f"learning_gain_south__{d}"] - twin[f"learning_gain_south__{d}"],
                                  run[f"learning_gain_north__{d}"] - twin[f"learning_gain_north__{d}"])
            for d in SOUTH_DOMAINS}}.items():
        for side, x in (("north", n), ("south", s)):
            e = stats.bootstrap_mean(x)
            cells.append({"what": label, "side": side, "mean": e.estimate, "lo": e.lo, "hi": e.hi})
    return PatternResult(
        "asymmetric_learning", "Asymmetric learning",
        "Learning between North and South is asymmetric: the South partner learns more, in governance and "
        "service delivery above all; Dutch benefits were often political and strategic rather than technical "
        "(Bontenbal 2013: learning was not mutual).",
        "shared/domain.md, Patterns found in the field (first item).",
        "Default scenario (five partnerships, four-year LOGO South-like programme, 120 months), caused=true. "
        "Each replication's South minus North caused learning at month 120 (paired within the replication); per "
        "domain, each side's gain in the run minus its twin's.",
        "PASS when South minus North caused learning lies above its bar (5 % of the North's caused learning, at "
        "least 0.001) over all domains, in local governance and in service delivery (three comparisons, all "
        "must pass).",
        checks, notes, plot={"cells": pd.DataFrame(cells)})


def learning_strategy(off: pd.DataFrame, on: pd.DataFrame, classic: pd.DataFrame) -> PatternResult:
    """Pattern 2 from the default run (strategy off, multi-actor), the strategy run and the classic network."""
    checks = []
    for side in SIDES:
        col = f"learning_on_objectives_caused_{side}"
        checks.append(compare(f"learning strategy on - off, {side}, caused learning on own objectives", col,
                              on[col], off[col]))
    for side in SIDES:
        col = f"learning_caused_{side}"
        checks.append(compare(f"multi-actor - classic network (other actors present - absent), {side}", col,
                              off[col], classic[col]))
    for side in SIDES:
        col = f"learning_caused_{side}"
        checks.append(compare(f"learning strategy on - off, {side}, caused learning (all domains, unweighted)", col,
                              on[col], off[col], role=CONTEXT))
    from .config import DOMAINS

    shift = {d: float((on[f"learning_gain_south__{d}"] - off[f"learning_gain_south__{d}"]).mean()) for d in DOMAINS}
    notes = ["With the strategy the South's gain changes by domain (same seeds, mean): " + ", ".join(
        f"{d.replace('_', ' ')} {v:+.4f}" for d, v in shift.items()) + "; the strategy concentrates the agenda "
        "(`programme.strategy_focus`) on the programme's content, so it moves learning between domains."]
    cells = []
    for label, df in (("without strategy", off), ("with strategy", on)):
        for side in SIDES:
            e = stats.bootstrap_mean(df[f"learning_on_objectives_caused_{side}"])
            cells.append({"side": side, "strategy": label, "mean": e.estimate, "lo": e.lo, "hi": e.hi})
    return PatternResult(
        "learning_strategy", "Exchanges without a learning strategy fall short",
        "Exchanges without a learning strategy fall short of their potential; language barriers and the absence "
        "of other actors limit mutual learning.",
        "shared/domain.md, Patterns found in the field (second item); recommendation 5 (clear objectives).",
        "Default scenario with `programme.learning_strategy` false (default) against true, and the default "
        "multi-actor network against the classic local-government network (no CSOs or migrants), caused=true, "
        "month 120. The strategy is judged on each side's caused learning valued on its own objectives (what a "
        "learning strategy aims at); other actors on each side's caused learning.",
        "PASS when (a) the learning strategy raises both sides' caused learning on their own objectives and (b) "
        "the multi-actor network raises both sides' caused learning over the classic one, each beyond its bar "
        "(5 % of the comparison mean, at least 0.001): four comparisons, all must pass. Language barriers are "
        "not tested: cultural and language distance enters the transfer rule (Rule 2) directly, so its effect "
        "is an assumption of the model, not a finding.",
        checks, notes, plot={"cells": pd.DataFrame(cells)})


def lg_ngo_links(run: CondData, twin: CondData) -> PatternResult:
    """Pattern 3 from the default run's and its twin's monthly trust on local and transnational ties."""
    end = run.programme_end
    last = int(run.series["month"].max())
    checks, curves = [], {}
    for col, role in (("trust_panel_local", CRITERION), ("trust_entered_local", CONTEXT),
                      ("trust_panel_transnational", CONTEXT)):
        def caused(m: int, col: str = col) -> np.ndarray:
            return at_month(run.series, col, m) - at_month(twin.series, col, m)

        checks.append(compare(f"partnership - twin, {col} at month {end} (programme end)", col, caused(end),
                              np.zeros_like(caused(end)), kind="trust", role=role))
        checks.append(compare(f"growth of the partnership's effect on {col}, month {end} - month 12", col,
                              caused(end), caused(12), kind="trust", role=role))
        both = run.series[["replication", "month", col]].merge(twin.series[["replication", "month", col]],
                                                               on=["replication", "month"], suffixes=("", "_twin"))
        curves[col] = both.assign(caused=both[col] - both[f"{col}_twin"])[["replication", "month", "caused"]]
    notes = []
    gross = {m: (at_month(run.series, "trust_panel_local", m).mean(), at_month(twin.series, "trust_panel_local",
                                                                            m).mean()) for m in (0, end, last)}
    notes.append("Trust on the month-0 panel of local ties, mean with partnership / twin: " + "; ".join(
        f"month {m}: {a:.3f} / {b:.3f}" for m, (a, b) in gross.items()) + ".")
    local = curves["trust_panel_local"]["caused"].to_numpy()
    if np.all(local == 0):
        notes.append("The partnership leaves trust on local ties exactly unchanged, in every replication and month: "
                     "local ties (a CSO's contact person in its municipality, a migrant's tie to the home "
                     "municipality) have routine contacts at `dissemination.local_contact_rate` whether or not there "
                     "is a partnership, and trust changes only with contacts (Rule 4); no rule lets exchanges, "
                     "remote contacts, CSO initiatives or facilitation add contacts on them. The gross rise of local "
                     "trust over the years is the same with and without the partnership, so it is not about the "
                     "partnership. Transnational ties (migrants and CSOs with the partner city, which include "
                     "migrants' ties to staff of the city of origin) are shown as context.")
    return PatternResult(
        "lg_ngo_links", "Links between local governments and non-governmental actors strengthen",
        "Links between local governments and non-governmental actors strengthen over the years of a partnership.",
        "shared/domain.md, Patterns found in the field (third item); recommendation 4.",
        "Default scenario and its twin (the same seeds and world, no partnership activity), trust every 12 "
        "months on the fixed panel of local ties in use at month 0 (LG-CSO and LG-citizen ties; "
        "`trust_panel_local`, ended partnerships' ties kept in). The partnership's effect is run minus twin, "
        "paired by replication.",
        f"PASS when the partnership's effect on panel trust of local ties at the programme's end (month {end}) "
        f"exceeds 0.02 and grows from month 12 to month {end} by more than 0.02 (two comparisons, both must "
        f"pass).",
        checks, notes, plot={"curves": curves, "end": end})


def decline(default: CondData, cut: CondData, uncut: CondData, twin: CondData | None = None) -> PatternResult:
    """Pattern 4 from the default run and the budget-cut scenario with and without its cut."""
    end, P = default.programme_end, default.partnerships
    ev = events_matrix(default.series)
    before = window_activity(ev, end - 11, end, P)
    after = window_activity(ev, end + 1, end + 12, P)
    cut_from, planned = cut.programme_end + 1, uncut.programme_end
    ev_cut, ev_uncut = events_matrix(cut.series), events_matrix(uncut.series)
    checks = [
        compare(f"default: first year after the programme (months {end + 1}-{end + 12}) - its last year "
                f"(months {end - 11}-{end})", "exchange events per partnership per month", after, before,
                kind="rate", expected=-1),
        compare(f"budget_cut_2011: cut at month {cut_from} - the same programme uncut, months "
                f"{cut_from}-{planned}", "exchange events per partnership per month",
                window_activity(ev_cut, cut_from, planned, cut.partnerships),
                window_activity(ev_uncut, cut_from, planned, uncut.partnerships), kind="rate", expected=-1),
        compare("budget_cut_2011: cut - uncut, partnerships alive at the end", "partnerships_alive",
                cut.summary["partnerships_alive"], uncut.summary["partnerships_alive"], kind="count", expected=-1,
                role=CONTEXT),
        compare(f"default: the rest of the run after the programme (months {end + 1}-{ev.shape[1] - 1}) - its last "
                f"year", "exchange events per partnership per month",
                window_activity(ev, end + 1, ev.shape[1] - 1, P), before, kind="rate", expected=-1, role=CONTEXT),
    ]
    notes = []
    if twin is not None and twin.summary is not None:
        n = float(twin.summary["exchange_events_total"].sum())
        notes.append(f"Exchange events are caused outcomes as they stand: the twins hold {n:g} exchange events in "
                     f"all (no programme, no own-means exchanges).")
    curves = {}
    for label, d in ((f"default (programme to month {end})", default), ("budget_cut_2011 (cut)", cut),
                     ("budget_cut_2011 without the cut", uncut)):
        s = d.series[["replication", "month", "exchange_events"]]
        curves[label] = s.assign(rate=s["exchange_events"] / d.partnerships)
    return PatternResult(
        "decline", "Decline after programme money stops",
        "Activity peaked 2000-2008 and then declined, or ended abruptly through a funding cut or a diplomatic shock.",
        "shared/domain.md, Patterns found in the field (fourth item); the 2011 LOGO South budget cut.",
        "Exchange events per partnership per month (the twin holds none, so they are caused as they are): in the "
        "default scenario, the programme's last year against the first year after it (paired within the "
        "replication); and the `budget_cut_2011` scenario (support planned 2000-01 to 2014-12, money cut to zero "
        "from 2011-01, month 133) "
        "against the same scenario without the cut, over the months the cut took away (paired by replication).",
        "PASS when activity in the first year after the programme lies below its last year's by more than 0.05 "
        "events per partnership per month, and the cut scenario's activity over the months the cut took away "
        "lies below the uncut programme's by more than 0.05 (two comparisons, both must pass).",
        checks, notes, plot={"curves": curves, "end": end, "cut": cut_from})


def critical_mass(levels: Sequence[int], gains: dict[int, np.ndarray], default_network: np.ndarray | None = None,
                  threshold: int = FIELD_THRESHOLD) -> PatternResult:
    """Pattern 5 from the caused gain of unpartnered Moroccan staff at each number of Moroccan partnerships
    (``gains[k]``: one value per replication, the same seeds at every level)."""
    levels = sorted(levels)
    if not {0, 1, threshold - 1, threshold} <= set(levels):
        raise ValueError(f"the critical-mass design needs the levels 0, 1, {threshold - 1} and {threshold}")
    step = {k: gains[k] - gains[prev] for prev, k in zip(levels, levels[1:])}
    first, third = step[1], step[threshold]
    checks = [compare(f"added by partnership {threshold} ({threshold - 1}->{threshold}) - added by the first (0->1)",
                      "caused gain of unpartnered Moroccan staff", third, first)]
    for prev, k in zip(levels, levels[1:]):
        checks.append(compare(f"{prev} -> {k} Moroccan partnerships", "caused gain of unpartnered Moroccan staff",
                              gains[k], gains[prev], role=CONTEXT))
    if default_network is not None:
        checks.append(compare(f"default multi-actor network, {threshold} Moroccan partnerships (against zero)",
                              "caused gain of unpartnered Moroccan staff", default_network,
                              np.zeros_like(default_network), role=CONTEXT))
    notes = []
    Y = np.column_stack([gains[k] for k in levels])
    sat = stats.saturation_level(levels, Y)
    notes.append(f"90 % of the largest mean caused gain is reached at {sat.fmt()} Moroccan partnerships (95 % "
                 f"percentile interval, resampling replications).")
    incr = np.diff(Y.mean(axis=0)) / np.diff(levels)  # per added partnership
    if np.all(incr[1:] <= incr[:-1]):
        notes.append("The mean gain per added partnership shrinks from each level to the next ("
                     + ", ".join(f"{x:+.4f}" for x in incr) + "): diminishing returns from the first partnership "
                     "on, no threshold.")
    if not any(("country_programme" in k or "critical" in k) for k in schema_keys()):
        notes.append("No parameter of the model switches anything on at a number of partnerships per country (no "
                     "country programme: issue 11 proposes `country_programme.min_partnerships`); practices reach "
                     "unpartnered municipalities only through multilevel ties to the higher government and the "
                     "knowledge institution, a channel that adds up partnership by partnership.")
    if default_network is not None and np.all(default_network == 0):
        notes.append("In the default multi-actor network the caused gain of unpartnered Moroccan staff is exactly 0: "
                     "unpartnered municipalities have no tie beyond their own city, so the test runs the multilevel "
                     "hybrid network.")
    cells = []
    for k in levels:
        e = stats.bootstrap_mean(gains[k])
        cells.append({"partnerships": k, "mean": e.estimate, "lo": e.lo, "hi": e.hi})
    return PatternResult(
        "critical_mass", "Critical mass of partnerships in a country",
        "A critical mass matters: the LOGO South evaluation advised at least three projects in a country before a "
        "country programme.",
        "shared/domain.md, Patterns found in the field (fifth item).",
        f"Multilevel hybrid network (the only network in which anything reaches municipalities outside a "
        f"partnership), `world.partnerships_morocco` in {{{', '.join(map(str, levels))}}} (Turkish partnerships at "
        f"the default, two unpartnered municipalities per southern country), caused=true. Outcome: the mean "
        f"knowledge gain of the staff of unpartnered Moroccan municipalities at month 120, run minus twin "
        f"(computed from the engine's final state, as the model has no per-country outcome yet). Critical mass "
        f"means a threshold: returns that rise up to about {threshold} partnerships rather than diminish from the "
        f"first.",
        f"PASS when partnership {threshold} adds more to the unpartnered staff's caused gain than the first "
        f"partnership did (the paired difference of the two increments above its bar: 5 % of the first "
        f"increment, at least 0.001). Diminishing returns from the first partnership on give FAIL.",
        checks, notes, plot={"cells": pd.DataFrame(cells), "threshold": threshold})


NETWORKS = ("classic", "multi_actor", "multilevel_hybrid")


def circulation(by_network: dict[str, pd.DataFrame]) -> PatternResult:
    """Pattern 6 from the caused runs of the three network models."""
    col = "circulation_caused"
    c, m, h = (by_network[n][col] for n in NETWORKS)
    checks = [compare("multi-actor - classic", col, m, c), compare("multilevel hybrid - multi-actor", col, h, m),
              compare("multilevel hybrid - classic", col, h, c, role=CONTEXT)]
    gc, gm, gh = (by_network[n]["circulation"] for n in NETWORKS)
    checks += [compare("multi-actor - classic, gross circulation (not caused)", "circulation", gm, gc, role=CONTEXT),
               compare("multilevel hybrid - multi-actor, gross circulation (not caused)", "circulation", gh, gm,
                       role=CONTEXT)]
    notes = []
    twin_share = {n: float((by_network[n]["circulation"] - by_network[n][col]).mean()
                           / by_network[n]["circulation"].mean()) for n in NETWORKS}
    notes.append("Share of gross circulation that the twin (no partnership activity) already has: " + "; ".join(
        f"{n.replace('_', '-')} {v:.0%}" for n, v in twin_share.items()) + ". Broader networks carry knowledge to "
        "non-travellers with or without a partnership; the pattern is about what the partnership's knowledge does.")
    cells = []
    for n in NETWORKS:
        e = stats.bootstrap_mean(by_network[n][col])
        cells.append({"network": n, "mean": e.estimate, "lo": e.lo, "hi": e.hi})
    from .metrics import CIRCULATION_NOTE

    return PatternResult(
        "circulation", "Multi-actor and multilevel ties raise circulation",
        "Multi-actor and multilevel ties raise knowledge circulation beyond the people who travelled.",
        "shared/domain.md, Patterns found in the field (sixth item); LOGO South (Urban Studies 2015).",
        "The network model at three levels (classic: local governments only; multi-actor: plus CSOs and "
        "migrants, the default; multilevel hybrid: plus higher government and knowledge institutions), "
        "caused=true, month 120. Outcome: `circulation_caused`, the circulation of the run minus its twin's. "
        + CIRCULATION_NOTE,
        "PASS when caused circulation rises from the classic to the multi-actor network and from the multi-actor "
        "to the multilevel hybrid network, each beyond its bar (5 % of the comparison mean, at least 0.001): two "
        "comparisons, both must pass.",
        checks, notes, plot={"cells": pd.DataFrame(cells)})


# ---------------------------------------------------------------- the registry: conditions and analysis per pattern
@dataclass(frozen=True)
class Pattern:
    key: str
    short: str
    conditions: Callable[[bool], list[Condition]]
    analyse: Callable[[Runs, bool], PatternResult]


def _levels(quick: bool) -> tuple[int, ...]:
    return QUICK_LEVELS if quick else LEVELS


PATTERNS: tuple[Pattern, ...] = (
    Pattern("asymmetric_learning", "asymmetric learning", lambda q: [DEFAULT, DEFAULT_TWIN, EQUAL],
            lambda r, q: asymmetry(r[DEFAULT].summary, r[DEFAULT_TWIN].summary, r[EQUAL].summary)),
    Pattern("learning_strategy", "learning strategy", lambda q: [DEFAULT, STRATEGY, CLASSIC],
            lambda r, q: learning_strategy(r[DEFAULT].summary, r[STRATEGY].summary, r[CLASSIC].summary)),
    Pattern("lg_ngo_links", "LG-NGO links", lambda q: [DEFAULT, DEFAULT_TWIN],
            lambda r, q: lg_ngo_links(r[DEFAULT], r[DEFAULT_TWIN])),
    Pattern("decline", "decline", lambda q: [DEFAULT, BUDGET_CUT, BUDGET_UNCUT, DEFAULT_TWIN],
            lambda r, q: decline(r[DEFAULT], r[BUDGET_CUT], r[BUDGET_UNCUT], r[DEFAULT_TWIN])),
    Pattern("critical_mass", "critical mass",
            lambda q: [critical_mass_condition(k) for k in _levels(q)]
            + [critical_mass_condition(FIELD_THRESHOLD, "multi_actor")],
            lambda r, q: critical_mass(_levels(q), {k: r[critical_mass_condition(k)].unpartnered for k in _levels(q)},
                                       r[critical_mass_condition(FIELD_THRESHOLD, "multi_actor")].unpartnered)),
    Pattern("circulation", "circulation", lambda q: [CLASSIC, DEFAULT, MULTILEVEL],
            lambda r, q: circulation({"classic": r[CLASSIC].summary, "multi_actor": r[DEFAULT].summary,
                                      "multilevel_hybrid": r[MULTILEVEL].summary})),
)


# ---------------------------------------------------------------- outputs
def checks_table(results: Sequence[PatternResult]) -> pd.DataFrame:
    """``patterns.csv``: one row per pattern and comparison."""
    rows = []
    for i, r in enumerate(results, 1):
        for c in r.checks:
            e = c.estimate
            rows.append({"pattern": i, "key": r.key, "title": r.title, "comparison": c.comparison,
                         "outcome": c.outcome, "role": c.role, "expected": "increase" if c.expected > 0 else "decrease",
                         "effect": e.estimate, "ci95_lo": e.lo, "ci95_hi": e.hi, "bar": c.bar, "reference": e.reference,
                         "n": e.n, "pass": c.passed, "pattern_pass": r.passed})
    return pd.DataFrame(rows)


def _fmt_bar(c: Check) -> str:
    return f"{'>' if c.expected > 0 else '<'} {'+' if c.expected > 0 else '-'}{c.bar:.3g}"


def _fmt_relative(e: stats.Estimate) -> str:
    """The effect as a share of the comparison mean; n/a when that mean is (near) zero (beyond 1000 %)."""
    rel = e.relative
    return f"{rel:+.0%}" if math.isfinite(rel) and abs(rel) <= 10 else "n/a"


def write_report(results: Sequence[PatternResult], out: Path, *, replications: int, seed: int, quick: bool,
                 figure: Sequence[Path]) -> Path:
    """``report.md`` and ``patterns.csv`` in ``out`` (atomically)."""
    cmd = f"{PROG} --replications {replications} --seed {seed}" + (" --quick" if quick else "")
    n_pass = sum(r.passed for r in results)
    summary = pd.DataFrame([{"#": i, "pattern": r.title, "result": f"**{r.word}**",
                             "criterion effects [95 % CI]": "; ".join(
                                 f"{c.estimate.fmt()} (bar {_fmt_bar(c)})" for c in r.checks if c.role == CRITERION)}
                            for i, r in enumerate(results, 1)])
    parts = ["# Validation against field patterns", "",
             f"{n_pass} of {len(results)} field patterns of `shared/domain.md` reproduced (PASS); a FAIL is a "
             f"finding about the model, reported as it is. Every test reads what the partnership caused in the "
             f"model (each replication minus its twin without partnership activity), under the model's assumptions.",
             "", markdown_table(summary), "", "## Design", "",
             f"- Command: `{cmd}`; {replications} replications per condition, 120 months, replication seeds spawned "
             f"from base seed {seed}: replication i has the same seed in every condition (common random numbers), "
             f"so effects are paired differences over replications, with 95 % BCa bootstrap intervals "
             f"(`scipy.stats.bootstrap` through `c2c_sim.stats`, fixed generator).",
             "- A comparison passes when its whole 95 % interval lies beyond its smallest effect of interest in the "
             "direction the pattern expects: " + "; ".join(d for _, _, d in BARS.values()) + ".",
             "- A pattern passes when all of its criterion comparisons pass (an intersection-union test, so no "
             "multiplicity adjustment is needed for the conjunction); context rows are shown and decide nothing.",
             "- Criteria are fixed in `c2c_sim/validate.py` before the run; no mechanism or default was changed "
             "to make a pattern pass.", ""]
    if quick:
        parts += [f"**QUICK MODE** (tests only, {replications} replications, fewer critical-mass levels): not for "
                  f"conclusions.", ""]
    for i, r in enumerate(results, 1):
        table = pd.DataFrame([{"comparison": c.comparison, "role": c.role, "effect [95 % CI]": c.estimate.fmt(),
                               "relative": _fmt_relative(c.estimate), "bar": _fmt_bar(c),
                               "result": "pass" if c.passed else "fail"} for c in r.checks])
        parts += [f"## {i}. {r.title}: {r.word}", "", f"**Field pattern.** {r.statement}", "",
                  f"**Source.** {r.source}", "", f"**Test.** {r.design}", "",
                  f"**Pass criterion (fixed before the run).** {r.criterion}", "", "**Numbers.**", "",
                  markdown_table(table), "", f"**Result: {r.word}.**", ""]
        parts += [f"- {n}" for n in r.notes] + ([""] if r.notes else [])
    pngs = [p for p in figure if p.suffix == ".png"]
    parts += ["## Figure", ""]
    for p in pngs:
        parts += [f"![{p.stem}]({p.name})", "", f"Vector version: [{p.stem}.pdf]({p.stem}.pdf)", ""]
    atomic_write_text(out / "patterns.csv", checks_table(results).to_csv(index=False))
    return atomic_write_text(out / "report.md", "\n".join(parts))


def draw(results: Sequence[PatternResult], stem: Path) -> list[Path]:
    """One figure, a panel per pattern (paper style), its title the pattern's result."""
    from . import plotting

    by = {r.key: r for r in results}
    fig, axes = plotting.panels(6, ncols=3, height=2.3)
    letters = "abcdef"
    short = {p.key: p.short for p in PATTERNS}
    for i, (ax, r) in enumerate(zip(axes, results)):
        ax.set_title(f"{i + 1}. {short.get(r.key, r.key)}: {r.word}")
        plotting.panel_label(ax, letters[i])
    side_labels = {"north": "North", "south": "South"}
    if "asymmetric_learning" in by:
        ax = axes[list(by).index("asymmetric_learning")]
        cells = by["asymmetric_learning"].plot["cells"]
        plotting.categorical_points(ax, cells, "what", group="side", group_labels=side_labels,
                                    labels={"all domains": "all", "local governance": "local\ngovernance",
                                            "service delivery": "service\ndelivery"},
                                    ylabel="caused knowledge gain", zero=True)
        ax.legend(loc="best")
    if "learning_strategy" in by:
        ax = axes[list(by).index("learning_strategy")]
        plotting.categorical_points(ax, by["learning_strategy"].plot["cells"], "side", group="strategy",
                                    labels=side_labels, ylabel="caused learning on own objectives", zero=True)
        ax.legend(loc="best")
    if "lg_ngo_links" in by:
        ax = axes[list(by).index("lg_ngo_links")]
        p = by["lg_ngo_links"].plot
        for j, (col, label) in enumerate((("trust_panel_local", "local (LG-CSO, LG-citizen)"),
                                          ("trust_panel_transnational", "transnational"))):
            plotting.band_plot(ax, p["curves"][col], "month", "caused", label, plotting.PALETTE[j])
        ax.axvline(p["end"], color="0.6", linewidth=0.6, linestyle=":")
        ax.axhline(0.0, color="0.6", linewidth=0.5)
        ax.set_xlabel("month")
        ax.set_ylabel("trust: partnership - twin")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.08))
    if "decline" in by:
        ax = axes[list(by).index("decline")]
        p = by["decline"].plot
        for j, (label, df) in enumerate(p["curves"].items()):
            yearly = df.assign(year=(df["month"] - 1) // 12 * 12 + 6.5)[df["month"] > 0]
            yearly = yearly.groupby(["replication", "year"], as_index=False)["rate"].mean()
            plotting.band_plot(ax, yearly, "year", "rate", label, plotting.PALETTE[j])
        ax.set_xlabel("month (yearly means)")
        ax.set_ylabel("events per partnership per month")
        ax.legend(loc="center right", fontsize=6)
    if "critical_mass" in by:
        ax = axes[list(by).index("critical_mass")]
        p = by["critical_mass"].plot
        c = p["cells"]
        plotting.line_band(ax, c["partnerships"], c["mean"], c["lo"], c["hi"])
        ax.axvline(p["threshold"], color="0.6", linewidth=0.6, linestyle=":")
        ax.set_xlabel("Moroccan partnerships (multilevel hybrid)")
        ax.set_ylabel("caused gain,\nunpartnered Moroccan staff")
    if "circulation" in by:
        ax = axes[list(by).index("circulation")]
        plotting.categorical_points(ax, by["circulation"].plot["cells"], "network", order=list(NETWORKS),
                                    labels={"classic": "classic", "multi_actor": "multi-actor",
                                            "multilevel_hybrid": "multilevel\nhybrid"},
                                    ylabel="caused circulation", zero=True)
    return plotting.save(fig, stem)


# ---------------------------------------------------------------- the command
@dataclass
class Validation:
    results: list[PatternResult]
    report: Path
    seconds: float


def validate(*, replications: int, seed: int, quick: bool = False, workers: int = 1, out: Path,
             log: Callable[[str], None] = print) -> Validation:
    """Run every pattern's conditions and tests; write report, table and figure into ``out``."""
    t0 = time.perf_counter()
    runs = Runs(replications, seed, workers)
    results = []
    for i, pat in enumerate(PATTERNS, 1):
        t = time.perf_counter()
        conds = pat.conditions(quick)
        ran = runs.need(conds)
        res = pat.analyse(runs, quick)
        results.append(res)
        crit = "; ".join(f"{c.estimate.fmt()} vs bar {_fmt_bar(c)} {'ok' if c.passed else 'no'}"
                         for c in res.checks if c.role == CRITERION)
        log(f"[{i}/{len(PATTERNS)}] {res.word}  {res.title} ({ran} new of {len(set(conds))} conditions, "
            f"{time.perf_counter() - t:.1f} s): {crit}")
    figure = draw(results, out / "validation")
    report = write_report(results, out, replications=replications, seed=seed, quick=quick, figure=figure)
    return Validation(results, report, time.perf_counter() - t0)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point ``c2c-sim-validate``; returns the exit status."""
    ap = _Parser(prog=PROG, description="Pattern-oriented validation: test the field patterns of shared/domain.md "
                 "on the model's caused outcomes; writes report.md, patterns.csv and a figure.")
    ap.add_argument("--replications", type=int, default=None,
                    help=f"replications per condition (default {DEFAULT_REPLICATIONS}; {QUICK_REPLICATIONS} with "
                         f"--quick; at least 2)")
    ap.add_argument("--seed", type=int, default=None, help="base seed of the replication seeds (default: the "
                    "model's default seed)")
    ap.add_argument("--quick", action="store_true", help="small run for tests (few replications, fewer levels)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all CPUs)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default <results root>/validation, <results root>/quick/validation with "
                         "--quick; results root $C2C_SIM_RESULTS or ./results)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a pattern fails")
    args = ap.parse_args(argv)
    n = args.replications if args.replications is not None else (QUICK_REPLICATIONS if args.quick
                                                                 else DEFAULT_REPLICATIONS)
    try:
        if n < 2:
            raise ConfigError(f"--replications={n} is out of range: allowed at least 2 (intervals need pairs)")
        check_value("replications", n)
        seed = check_value("seed", args.seed) if args.seed is not None else Config().seed
        if args.workers is not None and args.workers < 1:
            raise ConfigError(f"--workers={args.workers} is out of range: allowed at least 1")
    except ConfigError as exc:  # the schema's message names the option's key: "seed=-1 is out of range..."
        print(f"{PROG}: error: {'' if str(exc).startswith('--') else '--'}{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = args.out or (results_root() / "quick" / "validation" if args.quick else results_root() / "validation")
    if out.exists() and not out.is_dir():
        print(f"{PROG}: error: --out {out} exists and is not a folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    workers = args.workers or default_workers()
    print(f"{PROG}: {len(PATTERNS)} field patterns, {n} replications per condition, base seed {seed}, "
          f"{workers} worker(s){' (quick)' if args.quick else ''}", flush=True)
    v = validate(replications=n, seed=seed, quick=args.quick, workers=workers, out=out,
                 log=lambda s: print(s, flush=True))
    failed = [r.title for r in v.results if not r.passed]
    print(f"{len(v.results) - len(failed)}/{len(v.results)} patterns PASS in {v.seconds:.1f} s; report: {v.report}",
          flush=True)
    if failed and args.strict:
        print(f"{PROG}: failed patterns (--strict): {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED_PATTERN
    return 0


def console() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    console()
