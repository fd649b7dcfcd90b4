"""Pattern-oriented calibration (``c2c-sim-calibrate``): which parameter values reproduce the field's patterns.

Approximate Bayesian computation by rejection on a quasi-random sample:

1. **Priors.** Uniform over each uncertain parameter's range (:data:`c2c_sim.priors.UNCERTAIN`, the
   schema's range or a stated narrower one), sampled with a scrambled Sobol' sequence
   (:func:`c2c_sim.priors.sample`): ``--samples`` points, the same points for the same ``--seed``.
2. **Simulation.** Each point runs the 2000-2017 history (``scenario=timeline``, caused outcomes on:
   each replication minus its twin without partnership activity) for ``--replications`` replications,
   and the same history in the multilevel network; every point uses the same replication seeds
   (common random numbers), so points differ by their parameters, not their luck.
3. **Summary statistics and targets** (:data:`TARGETS`): one number per pattern of
   ``../shared/domain.md``, each with the interval the field supports, its source, and whether that
   interval is a fact or a judgement (the field gives directions, rarely numbers).
4. **Distance.** Per target, how far the point's statistic (the mean over replications) lies outside
   its interval, in units of the target's ``scale``; the distance is the root mean square over targets
   (0: every pattern reproduced).
5. **Acceptance.** The points within the tolerance, the distance of the ``--accept`` quantile (at least
   the 2 closest points), are the posterior sample (ABC rejection with a quantile tolerance; when more
   points than that reproduce every target, all of them).

Why rejection on a Sobol' sample rather than pyabc's ABC-SMC: every point is deterministic and
independent, so the run is resumable chunk by chunk, identical whatever the number of workers, and
the whole prior sample stays on disk for the robustness maps (``c2c-sim-robustness --worlds
calibrated``). That it suffices is tested: on a synthetic target made by the model itself at a known
parameter value, the posterior concentrates around that value (``tests/test_calibrate.py``); with
many parameters and few points the posterior is wide, and the report says how much each marginal
narrowed.

Outputs under ``--out`` (default ``results/calibration``): ``samples.parquet`` (every point: its
parameters, statistics, distance), ``accepted.parquet`` (the posterior sample), ``targets.csv``
(each target with the posterior's median and 90 % interval of its statistic and the share of
accepted points inside the target), ``posterior.pdf/png`` (marginals against the prior, and pairs of
the most narrowed parameters), ``calibrated.yaml`` (a scenario preset of the posterior medians on
the timeline), ``report.md``, and ``DONE.json`` last. Finished chunks under ``chunks/`` are kept, so
an interrupted calibration resumes; a folder holding another calibration (other settings or another
model version) is refused with a message naming what differs.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import functools
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import calendar, priors
from .config import Config, ConfigError, make_config
from .storage import MARKER, atomic_write, atomic_write_text, claim_folder, provenance, write_chunks

DEFAULT_OUT = Path("results") / "calibration"
DEFAULT_SAMPLES = 4096
DEFAULT_REPLICATIONS = 6
DEFAULT_ACCEPT = 0.05
CHUNK = 16
"""Points per chunk file: the unit of resumption."""
QUICK = {"samples": 24, "replications": 3, "world.staff_per_municipality": 4, "world.migrants_per_city": 10}


@dataclass(frozen=True)
class Target:
    """One field pattern as a number: ``statistic`` of the runs should lie in ``[lo, hi]``."""

    name: str
    pattern: str
    statistic: str  # what is computed (plain words)
    lo: float
    hi: float
    scale: float  # distance outside [lo, hi] is counted in these units
    source: str
    judgement: str  # what in the interval is judgement, not a number from the field


TARGETS: tuple[Target, ...] = (
    Target("south_share", "Learning is asymmetric: the South learns more",
           "learning_caused_south / (learning_caused_north + learning_caused_south) in 2017-12", 0.55, 0.85, 0.1,
           "shared/domain.md, first pattern (Bontenbal 2013: learning was not mutual; the South partner learns "
           "more in governance and service delivery)",
           "the direction is the field's; the interval (the South's share between 55 % and 85 %) is judgement"),
    Target("activity_2008_2010", "Activity peaked 2000-2008 and then declined",
           "exchange events per partnership per month in 2008-2010 / in 2003-2007", 0.0, 1.0, 0.2,
           "shared/domain.md, fourth pattern (activity peaked 2000-2008)",
           "the peak's timing is the field's; reading it as 'no more activity in 2008-2010 than in 2003-2007' "
           "is judgement"),
    Target("activity_after_cut", "Activity fell after the 2011 cut",
           "exchange events per partnership per month in 2012-2016 / in 2008-2010", 0.0, 0.7, 0.2,
           "shared/domain.md (the 2011 cut to zero, a successor with 35 % less budget and no co-financing of "
           "Dutch initiatives)",
           "that activity declined is the field's; 'by at least 30 %' is judgement"),
    Target("pair_ten_years", "A Zeist-Berkane-like partnership lives ten years or more",
           "share of replications in which partnership 0 (a large community from its partner city) was alive "
           "120 months or more", 0.8, 1.0, 0.2,
           "shared/domain.md (Zeist-Berkane lasted ten years or more; 3,500 of Zeist's 60,000 inhabitants of "
           "Moroccan origin)",
           "ten years is the field's; 'in at least 80 % of the replications' is judgement"),
    Target("turkish_end_2017", "The Dutch-Turkish partnerships end in 2017",
           "share of the Dutch-Turkish partnerships alive in 2017-12", 0.0, 0.2, 0.2,
           "shared/domain.md (March 2017: Istanbul-Rotterdam, Denizli-Almelo ended)",
           "both named partnerships ended; allowing a fifth to survive (local support shields some) is judgement"),
    Target("circulation_multilevel", "Multilevel ties raise circulation beyond those who travelled",
           "circulation_caused in the multilevel network / in the multi-actor network (the same history)",
           1.1, math.inf, 0.2,
           "shared/domain.md, sixth pattern (LOGO South: multilevel governance networks strengthened knowledge "
           "circulation)",
           "the direction is the field's; 'at least 10 % higher' is judgement"),
)
"""The quantitative targets. Critical mass (at least three partnerships per country before a country
programme, LOGO South's advice) is not a target: the model assumes it (``country_programme.min_partnerships``
= 3), so a run cannot test it; the report says so."""
TARGET_NAMES = tuple(t.name for t in TARGETS)


def _key_files() -> tuple[Path, ...]:
    from .config import CONFIG_DIR

    here = Path(__file__).resolve().parent
    return (here / "calibrate.py", here / "priors.py", here / "runner.py",
            Path(CONFIG_DIR) / "scenario" / "timeline.yaml")


KEY_FILES: tuple[Path, ...] = _key_files()
"""Files whose text is part of a calibration's key (:meth:`Settings.key`), besides the compiled model's."""


class CalibrationError(RuntimeError):
    """Bad settings or a results folder that holds something else (one-line message)."""


# ---------------------------------------------------------------- statistics of one point
def _window(series: pd.DataFrame, first: str, last: str, partnerships: int) -> float:
    a, b = calendar.month_of(first), calendar.month_of(last)
    part = series[(series.month >= a) & (series.month <= b)]
    return float(part["exchange_events"].mean()) / max(partnerships, 1) if len(part) else float("nan")


def statistics(history, multilevel, cfg: Config) -> dict[str, float]:
    """The summary statistics of :data:`TARGETS` from one point's runs (``RunResult`` of the history in its
    network and in the multilevel network; ``multilevel`` may be None when that target is not used)."""
    s, series, pt = history.summary, history.series, history.partnerships
    P = cfg.world.partnerships_morocco + cfg.world.partnerships_turkey
    north, south = float(s["learning_caused_north"].mean()), float(s["learning_caused_south"].mean())
    out = {"south_share": south / (north + south) if north + south > 0 else float("nan")}
    early = _window(series, "2003-01", "2007-12", P)
    late = _window(series, "2008-01", "2010-12", P)
    after = _window(series, "2012-01", "2016-12", P)
    out["activity_2008_2010"] = late / early if early > 0 else float("nan")
    out["activity_after_cut"] = after / late if late > 0 else float("nan")
    first = pt[(pt.partnership == 0) & pt.alive]
    lived = first.groupby("replication").month.max().reindex(s.replication).fillna(0)
    out["pair_ten_years"] = float((lived >= 120).mean()) if cfg.world.partnerships_morocco > 0 else float("nan")
    end = pt[(pt.month == cfg.months) & (pt.country.astype(str).str.upper() == "TURKEY")]
    out["turkish_end_2017"] = float(end.alive.mean()) if len(end) else float("nan")
    if multilevel is not None:
        c_hist, c_ml = float(s["circulation_caused"].mean()), float(multilevel.summary["circulation_caused"].mean())
        out["circulation_multilevel"] = c_ml / c_hist if c_hist > 0 else float("nan")
    else:
        out["circulation_multilevel"] = float("nan")
    return out


def distance(stats: dict[str, float], targets: Sequence[Target]) -> float:
    """Root mean square, over targets, of how far each statistic lies outside its interval in units of its
    scale (a statistic that cannot be computed counts as 10 scales away)."""
    d = []
    for t in targets:
        x = stats[t.name]
        if not np.isfinite(x):
            d.append(10.0)
        else:
            d.append(max(t.lo - x, x - t.hi, 0.0) / t.scale)
    return float(np.sqrt(np.mean(np.square(d))))


# ---------------------------------------------------------------- the settings of one calibration
@dataclass(frozen=True)
class Settings:
    samples: int = DEFAULT_SAMPLES
    replications: int = DEFAULT_REPLICATIONS
    accept: float = DEFAULT_ACCEPT
    seed: int = 1
    params: tuple[str, ...] = tuple(priors.UNCERTAIN)
    targets: tuple[str, ...] = TARGET_NAMES
    overrides: tuple[tuple[str, object], ...] = ()  # fixed values on the timeline (e.g. a smaller world)
    synthetic: tuple[tuple[str, float], ...] = ()  # targets made by the model at these values (a recovery test)

    def base(self) -> Config:
        return make_config({"scenario": "timeline", "caused": True, **dict(self.overrides)})

    def targets_used(self) -> tuple[Target, ...]:
        unknown = [t for t in self.targets if t not in TARGET_NAMES]
        if unknown:
            raise CalibrationError(f"unknown target '{unknown[0]}': allowed {', '.join(TARGET_NAMES)}")
        return tuple(t for t in TARGETS if t.name in self.targets)

    def key(self) -> str:
        """Hash of everything that changes the results (not the acceptance share): the settings, the model's
        compiled sources, the sources of the calibration itself (:data:`KEY_FILES`: its targets and
        statistics, the priors, the runner, the timeline scenario) and the resolved base configuration, so a
        changed target or scenario refuses to resume a folder of the old one."""
        import importlib

        d = dataclasses.asdict(self)
        d.pop("accept")
        d["_model_sources"] = importlib.import_module(f"{__package__}.compiled").SOURCES
        d["_calibration_sources"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in KEY_FILES}
        d["_base_config"] = dataclasses.asdict(self.base())
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def check(settings: Settings) -> Settings:
    if settings.samples < 4:
        raise CalibrationError(f"--samples {settings.samples}: at least 4 points are needed")
    if settings.replications < 1:
        raise CalibrationError(f"--replications {settings.replications} must be at least 1")
    if not 0 < settings.accept <= 1:
        raise CalibrationError(f"--accept {settings.accept} must be a share in (0, 1]")
    try:
        priors.keys_and_bounds(settings.params)
        settings.base()
        for k, v in settings.synthetic:
            make_config({k: v})
    except ConfigError as exc:
        raise CalibrationError(str(exc)) from None
    settings.targets_used()
    return settings


# ---------------------------------------------------------------- running points
def _run_point(base: Config, values: dict, replications: int, need_multilevel: bool) -> dict[str, float]:
    from .runner import run_replications

    cfg = make_config(values, base=base)
    hist = run_replications(cfg, replications=replications, workers=1)
    ml = None
    if need_multilevel:
        ml = run_replications(make_config({"network": "multilevel_hybrid", **values}, base=base),
                              replications=replications, workers=1)
    return statistics(hist, ml, cfg)


def synthetic_targets(settings: Settings) -> tuple[Target, ...]:
    """Point targets made by the model itself at the values ``settings.synthetic`` (the same seeds and the same
    number of replications as every point), each with a tolerance of a tenth of its scale."""
    base = settings.base()
    used = settings.targets_used()
    stats = _run_point(base, dict(settings.synthetic), settings.replications,
                       any(t.name == "circulation_multilevel" for t in used))
    tol = {t.name: t.scale / 10 for t in used}
    return tuple(dataclasses.replace(t, lo=stats[t.name] - tol[t.name], hi=stats[t.name] + tol[t.name],
                                     statistic=f"{t.statistic} (synthetic)",
                                     judgement="a synthetic target: the model's own value at "
                                               + ", ".join(f"{k}={v}" for k, v in settings.synthetic))
                 for t in used if np.isfinite(stats[t.name]))


def _chunk(base: Config, rows: list[dict], replications: int, need_multilevel: bool) -> list[dict]:
    """The points' statistics, each with ``seconds``: its compute time (kept in the chunk file, so the total
    of a resumed calibration counts every invocation's work)."""
    out = []
    for r in rows:
        t0 = time.perf_counter()
        stats = _run_point(base, priors.values(r), replications, need_multilevel)
        out.append({**r, **stats, "seconds": time.perf_counter() - t0})
    return out


def run(settings: Settings, out: Path = DEFAULT_OUT, *, workers: int = 1, progress: bool = True,
        log: Callable[[str], None] = print) -> dict:
    """Run (or resume) a calibration into ``out``; returns the summary written to ``DONE.json``."""
    t0 = time.perf_counter()
    settings = check(settings)
    out = Path(out)
    key = settings.key()
    claim_folder(out / "calibration.json", key, dataclasses.asdict(settings), CalibrationError,
                 lambda diff: "a calibration with " + (f"other settings ({', '.join(diff)})" if diff else
                                                       "another version of the model, its targets or the timeline "
                                                       "scenario"), ignore=("accept",))
    (out / MARKER).unlink(missing_ok=True)  # a new acceptance share rewrites the outputs
    targets = synthetic_targets(settings) if settings.synthetic else settings.targets_used()
    need_ml = any(t.name == "circulation_multilevel" for t in targets)
    points = priors.sample(settings.samples, settings.seed, list(settings.params))
    base = settings.base()
    chunks = out / "chunks"
    todo = []
    for i in range(0, len(points), CHUNK):
        path = chunks / f"chunk-{i // CHUNK:04d}.parquet"
        if not path.is_file():
            todo.append((path, points.iloc[i:i + CHUNK].to_dict("records")))
    done_before = math.ceil(len(points) / CHUNK) - len(todo)
    if done_before:
        log(f"c2c-sim-calibrate: resuming: {done_before} of {math.ceil(len(points) / CHUNK)} chunks already done")
    write_chunks(todo, functools.partial(_chunk, base, replications=settings.replications, need_multilevel=need_ml),
                 workers=workers, progress=progress, desc="calibration: points", unit="point")
    ref_path = out / "defaults.parquet"  # the defaults as one more point: how far the uncalibrated model is
    if not ref_path.is_file():
        ref = _chunk(base, [{k: getattr(getattr(base, k.split(".")[0]), k.split(".")[1]) for k in settings.params}],
                     settings.replications, need_ml)
        atomic_write(ref_path, lambda p: pd.DataFrame(ref).to_parquet(p, index=False))
    reference = pd.read_parquet(ref_path).iloc[0].to_dict()
    reference["distance"] = distance(reference, targets)
    table = pd.concat([pd.read_parquet(chunks / f"chunk-{i:04d}.parquet")
                       for i in range(math.ceil(len(points) / CHUNK))], ignore_index=True)
    table.insert(0, "point", np.arange(len(table)))
    table["distance"] = [distance(r, targets) for r in table.to_dict("records")]
    summary = write_outputs(out, settings, targets, table, time.perf_counter() - t0, reference)
    return summary


def compute_seconds(table: pd.DataFrame) -> float:
    """The points' compute time, summed over every chunk (whichever invocation and worker ran it); chunks
    written before points carried ``seconds`` count 0 (:func:`acceptance_text` says so)."""
    return float(table["seconds"].fillna(0).sum()) if "seconds" in table else 0.0


# ---------------------------------------------------------------- outputs
def accepted(table: pd.DataFrame, accept: float) -> pd.DataFrame:
    """The points within the tolerance: the distance of the ``accept`` quantile (at least the 2 closest
    points), and every point as close (when many reproduce every target, all of those at distance 0)."""
    n = max(2, int(round(accept * len(table))))
    tolerance = float(np.sort(table["distance"].to_numpy())[min(n, len(table)) - 1])
    return table[table["distance"] <= tolerance].sort_values(["distance", "point"], kind="stable") \
        .reset_index(drop=True)


def target_table(acc: pd.DataFrame, prior: pd.DataFrame, targets: Sequence[Target],
                 reference: dict | None = None) -> pd.DataFrame:
    rows = []
    for t in targets:
        x, p = acc[t.name].to_numpy(float), prior[t.name].to_numpy(float)
        inside = (x >= t.lo) & (x <= t.hi)
        rows.append({"target": t.name, "pattern": t.pattern, "statistic": t.statistic, "lo": t.lo, "hi": t.hi,
                     "posterior_median": float(np.nanmedian(x)), "posterior_q05": float(np.nanquantile(x, 0.05)),
                     "posterior_q95": float(np.nanquantile(x, 0.95)),
                     "posterior_inside": float(np.mean(inside)),
                     "prior_inside": float(np.mean((p >= t.lo) & (p <= t.hi))),
                     "defaults": float(reference[t.name]) if reference else float("nan"),
                     "source": t.source, "judgement": t.judgement})
    return pd.DataFrame(rows)


def narrowing(acc: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Per parameter: the posterior median, 90 % interval, and its width as a share of the prior range."""
    rows = []
    for k in params:
        lo, hi = priors.bounds(k)
        x = acc[k].to_numpy(float)
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        rows.append({"parameter": k, "prior_lo": lo, "prior_hi": hi, "median": q50, "q05": q05, "q95": q95,
                     "width_share": (q95 - q05) / (hi - lo)})
    return pd.DataFrame(rows).sort_values("width_share", kind="stable").reset_index(drop=True)


def preset_text(settings: Settings, medians: dict[str, float]) -> str:
    """A scenario preset: the timeline's own values (interpolations kept, so it stands alone) with the
    posterior medians."""
    from omegaconf import OmegaConf

    from .config import CONFIG_DIR, _deep_merge, _set, flatten, load_preset

    tree = OmegaConf.to_container(OmegaConf.load(CONFIG_DIR / "scenario" / "timeline.yaml"), resolve=False)
    tree["name"] = "calibrated"
    # the values the calibration ran with (--set, --quick's small world), as the validated config holds them
    # (a date given to --set is its month number): the preset reproduces the calibrated world
    base, fixed = flatten(settings.base()), []
    for k, v in settings.overrides:
        if k in ("network", "programme"):  # a preset of a group: its values
            _deep_merge(tree, {k: copy.deepcopy(load_preset(k, str(v)))})
        elif k in base:
            _set(tree, k, base[k])
        else:  # a whole domain profile (municipality.objectives_north)
            _set(tree, k, dict(v))
        fixed.append(f"{k}={v}")
    for k, v in priors.values(medians).items():
        sec, name = k.split(".")
        tree.setdefault(sec, {})[name] = round(v, 6) if isinstance(v, float) else v
    head = ("# @package _global_\n"
            "# The calibrated scenario: the 2000-2017 timeline (scenario=timeline) with the posterior medians of\n"
            "# c2c-sim-calibrate (ABC rejection against the field patterns; its report.md says how wide the\n"
            f"# posterior is). Written by c2c-sim-calibrate ({settings.samples} points, {settings.replications} "
            f"replications, accept {settings.accept:g}, seed {settings.seed}).\n")
    if fixed:
        head += f"# Fixed on the timeline for every point (--set / --quick), kept here: {', '.join(fixed)}.\n"
    return head + yaml.safe_dump({"name": "calibrated", **{k: v for k, v in tree.items() if k != "name"}},
                                 sort_keys=False)


def write_outputs(out: Path, settings: Settings, targets: Sequence[Target], table: pd.DataFrame,
                  seconds: float, reference: dict | None = None) -> dict:
    from . import plotting

    params = list(settings.params)
    acc = accepted(table, settings.accept)
    tt = target_table(acc, table, targets, reference)
    nar = narrowing(acc, params)
    medians = {k: float(np.median(acc[k])) for k in params}
    atomic_write(out / "samples.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "accepted.parquet", lambda p: acc.to_parquet(p, index=False))
    atomic_write_text(out / "targets.csv", tt.to_csv(index=False))
    atomic_write_text(out / "posterior.csv", nar.to_csv(index=False))
    atomic_write_text(out / "calibrated.yaml", preset_text(settings, medians))
    figures = plotting.posterior(table, acc, nar, out / "posterior")
    report = report_text(settings, targets, table, acc, tt, nar, seconds, reference)
    atomic_write_text(out / "report.md", report)
    summary = {"samples": len(table), "accepted": len(acc), "distance_threshold": float(acc.distance.max()),
               "defaults_distance": reference["distance"] if reference else None,
               "seconds": round(compute_seconds(table), 1), "wall_seconds": round(seconds, 1), "targets": tt[["target", "posterior_inside", "prior_inside", "defaults"]]
               .to_dict("records"), "medians": medians, "figures": [p.name for p in figures],
               "provenance": provenance(), "key": settings.key()}
    atomic_write_text(out / MARKER, json.dumps(summary, indent=1, default=str))
    return summary


def acceptance_text(n_samples: int, n_accepted: int, accept: float, threshold: float) -> str:
    """How the posterior sample was chosen, in words: the ``accept`` share closest to the targets, or, when
    ties at the tolerance make more points accepted than that share, all the points at that distance."""
    quantile = max(2, int(round(accept * n_samples)))
    if n_accepted > quantile and threshold == 0:
        return (f"all {n_accepted} points at distance 0 (every target reproduced; more than the {accept:.0%} "
                f"quantile of {quantile} points, as ties are all accepted)")
    if n_accepted > quantile:
        return (f"the {n_accepted} points at distance at most {threshold:.3g} (more than the {accept:.0%} "
                f"quantile of {quantile} points, as ties at the tolerance are all accepted)")
    return f"the {n_accepted} points closest to the targets (the {accept:.0%} with the smallest distance, at most " \
           f"{threshold:.3g})"


WEAK_PRIOR_INSIDE = 0.9
"""A target that more than this share of the prior points already meets barely constrains the posterior."""


def constraint_notes(tt: pd.DataFrame) -> list[str]:
    """Sentences on what the targets constrain, from their ``prior_inside`` (:func:`target_table`): those the
    prior mostly meets already, and the target the scenario itself imposes (the 2017-03 terminations)."""
    out = []
    weak = [r for r in tt.to_dict("records") if r["prior_inside"] > WEAK_PRIOR_INSIDE]
    if weak:
        out.append("Barely constraining the posterior (more than " f"{WEAK_PRIOR_INSIDE:.0%} of the prior points "
                   "already inside): " + ", ".join(f"{r['target']} ({r['prior_inside']:.1%} of the prior points "
                                                   "inside)" for r in weak) + ".")
    turkish = [r for r in tt.to_dict("records") if r["target"] == "turkish_end_2017"]
    if turkish:
        out.append(f"turkish_end_2017 ({turkish[0]['prior_inside']:.1%} of the prior points inside) is mostly imposed "
                   "by the scenario: its 2017-03 terminations end the Dutch-Turkish partnerships in every point; "
                   "the target only tests how many of them local support shields.")
    return out


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else f"{x:.3g}"


def report_text(settings: Settings, targets: Sequence[Target], table: pd.DataFrame, acc: pd.DataFrame,
                tt: pd.DataFrame, nar: pd.DataFrame, seconds: float, reference: dict | None = None) -> str:
    lines = ["# Calibration to the field patterns", "",
             f"ABC rejection: {len(table)} points of a scrambled Sobol' sample over the priors (uniform over "
             f"the ranges of `c2c_sim.priors.UNCERTAIN`, seed {settings.seed}), each run on the 2000-2017 "
             f"history (`scenario=timeline`, caused outcomes) for {settings.replications} replications with "
             f"common seeds; {acceptance_text(len(table), len(acc), settings.accept, float(acc.distance.max()))} "
             f"are the posterior sample. Computing time {compute_seconds(table):.0f} s, summed over every point "
             f"(whichever worker and invocation ran it"
             + ("; chunks from before points carried their time count 0" if "seconds" not in table
                or table["seconds"].isna().any() else "")
             + f"); this invocation took {seconds:.0f} s of wall time.", ""]
    if settings.overrides:
        lines += ["Fixed on the timeline: " + ", ".join(f"`{k}={v}`" for k, v in settings.overrides) + ".", ""]
    if settings.synthetic:
        lines += ["**Synthetic targets** (a recovery check, not the field): the model's own statistics at "
                  + ", ".join(f"`{k}={v}`" for k, v in settings.synthetic) + ".", ""]
    lines += ["## Targets", "",
              "Each target is a number the runs should reach. 'posterior' is the accepted points' statistic "
              "(median [5 %, 95 %]); 'inside' the share of accepted (prior) points inside the target; "
              "'defaults' the statistic at the schema's default values (the uncalibrated model, same seeds).", "",
              "| target | pattern | statistic | target interval | defaults | posterior | inside (prior) | source | "
              "judgement |", "|---|---|---|---|---|---|---|---|---|"]
    for r in tt.to_dict("records"):
        lines.append(f"| {r['target']} | {r['pattern']} | {r['statistic']} | [{_fmt(r['lo'])}, {_fmt(r['hi'])}] | "
                     f"{r['defaults']:.3g} | "
                     f"{r['posterior_median']:.3g} [{r['posterior_q05']:.3g}, {r['posterior_q95']:.3g}] | "
                     f"{r['posterior_inside']:.0%} ({r['prior_inside']:.0%}) | {r['source']} | {r['judgement']} |")
    lines += [""] + constraint_notes(tt)
    missed = [r["target"] for r in tt.to_dict("records") if r["posterior_inside"] < 0.5]
    if reference is not None:
        off = [t.name for t in targets if not (t.lo <= reference[t.name] <= t.hi)]
        lines += ["", f"The defaults lie at distance {reference['distance']:.3g} from the targets"
                  + (f", outside {', '.join(off)}." if off else ": inside every target.")]
    zero = int((table["distance"] == 0).sum())
    lines += [f"{zero} of the {len(table)} prior points ({zero / len(table):.0%}) reproduce every target (distance "
              "0). With interval targets a point either reproduces a pattern or not, so a sequential sampler "
              "(pyabc's ABC-SMC) could not shrink the tolerance below 0 either: where many points reach 0 the "
              "patterns, not the sampler, are what leaves the posterior wide."]
    lines += ["", ("Reproduced by most of the posterior: every target." if not missed else
                   "**Not reproduced** by most of the posterior (under half of the accepted points inside): "
                   + ", ".join(missed) + ". The model as built does not reach these patterns anywhere in the "
                   "priors it was sampled from, or only in few points; this is reported, not tuned away."), "",
              "Critical mass (at least three partnerships in a country before a country programme, LOGO "
              "South's advice) is not a target: the model assumes it (`country_programme.min_partnerships` = "
              "3), so no run can test it.", "",
              "## Posterior", "",
              "Per parameter, the accepted points' median and 90 % interval; 'width' is that interval as a share "
              "of the prior range (1: the data say nothing about it). Sorted from the most to the least narrowed.",
              "", "| parameter | prior | median | 90 % interval | width |", "|---|---|---|---|---|"]
    for r in nar.to_dict("records"):
        lines.append(f"| `{r['parameter']}` | [{r['prior_lo']:.3g}, {r['prior_hi']:.3g}] | {r['median']:.3g} | "
                     f"[{r['q05']:.3g}, {r['q95']:.3g}] | {r['width_share']:.2f} |")
    lines += ["", "![posterior](posterior.png)", "",
              "`calibrated.yaml` is the timeline with these medians: copy it to `configs/scenario/` (or pass "
              "`--scenario-dir` with this folder) to run `scenario=calibrated`. The medians of a wide posterior "
              "are one plausible world, not the world: `c2c-sim-robustness <experiment> --worlds calibrated` "
              "reads the whole accepted sample.", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- command line
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="c2c-sim-calibrate", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=None,
                    help=f"points of the prior sample (default {DEFAULT_SAMPLES}; {QUICK['samples']} with --quick)")
    ap.add_argument("--replications", type=int, default=None,
                    help=f"replications per point (default {DEFAULT_REPLICATIONS}; {QUICK['replications']} with --quick)")
    ap.add_argument("--accept", type=float, default=DEFAULT_ACCEPT, help="share of points accepted")
    ap.add_argument("--seed", type=int, default=1, help="seed of the Sobol' sample")
    ap.add_argument("--param", action="append", default=None, metavar="KEY",
                    help="a parameter to calibrate (repeat; default: all of c2c_sim.priors.UNCERTAIN)")
    ap.add_argument("--target", action="append", default=None, metavar="NAME",
                    help=f"a target to use (repeat; default all: {', '.join(TARGET_NAMES)})")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="fix a parameter on the timeline for every point (e.g. world.staff_per_municipality=4)")
    ap.add_argument("--synthetic", action="append", default=[], metavar="KEY=VALUE",
                    help="targets made by the model at these values instead of the field (a recovery check)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder (resumed if it holds this run)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ap.add_argument("--quick", action="store_true", help="a small calibration for tests (24 points, 3 replications, "
                    "small world; an explicit --samples, --replications or --set wins)")
    return ap.parse_args(argv)


def _pairs(items: Sequence[str], what: str) -> tuple[tuple[str, object], ...]:
    out = []
    for s in items:
        k, sep, v = s.partition("=")
        if not sep or not k:
            raise CalibrationError(f"{what} '{s}' must be KEY=VALUE")
        out.append((k.strip(), yaml.safe_load(v)))
    return tuple(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        overrides = _pairs(args.set, "--set")
        samples = args.samples if args.samples is not None else QUICK["samples"] if args.quick else DEFAULT_SAMPLES
        reps = args.replications if args.replications is not None else \
            QUICK["replications"] if args.quick else DEFAULT_REPLICATIONS
        if args.quick:
            overrides = tuple({**{k: v for k, v in QUICK.items() if "." in k}, **dict(overrides)}.items())
        settings = Settings(samples=samples, replications=reps, accept=args.accept, seed=args.seed,
                            params=tuple(args.param) if args.param else tuple(priors.UNCERTAIN),
                            targets=tuple(args.target) if args.target else TARGET_NAMES, overrides=overrides,
                            synthetic=tuple((k, float(v)) for k, v in _pairs(args.synthetic, "--synthetic")))
        import os

        workers = args.workers if args.workers is not None else os.cpu_count() or 1
        if workers < 1:
            raise CalibrationError(f"--workers {workers} must be at least 1")
        summary = run(settings, args.out, workers=workers)
    except (CalibrationError, ConfigError) as exc:
        print(f"c2c-sim-calibrate: error: {exc}", file=sys.stderr)
        return 2
    print(f"c2c-sim-calibrate: {summary['accepted']} of {summary['samples']} points accepted "
          f"(distance <= {summary['distance_threshold']:.3g}); {summary['seconds']} s of computing in all, "
          f"{summary['wall_seconds']} s wall time now -> {args.out / 'report.md'}")
    for t in summary["targets"]:
        print(f"   {t['target']:<24} inside the target: {t['posterior_inside']:.0%} of the posterior "
              f"({t['prior_inside']:.0%} of the prior)")
    return 0


def console() -> None:
    sys.exit(main())
