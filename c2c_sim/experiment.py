"""Experiments: each recommendation as a sweep, a verdict and a paper figure (``c2c-sim-experiment``).

One experiment is two files a newcomer can read on their own:

* ``configs/experiment/<id>.yaml``, the Hydra preset: what differs from the
  default scenario, the swept levels (``hydra.sweeper.params``) and the sweep
  folder ``results/<id>/sweep`` (fixed, so a rerun resumes);
* ``experiments/<id>.py``, the module: ``CLAIM``, ``SOURCE``, ``DESIGN``,
  ``TABLES`` (the job tables it reads), ``QUICK`` (overrides for ``--quick``),
  ``analyse(data) -> Analysis`` (effects with bootstrap intervals and verdicts,
  :mod:`c2c_sim.stats`) and ``figure(data, analysis, stem) -> paths``.

This module holds the machinery they share. ``c2c-sim-experiment r5`` runs, in
order: the Hydra sweep (``c2c-sim -m experiment=r5``, in parallel with the
joblib launcher; every job runs all replications of its cell, and finished jobs
are skipped, so an interrupted sweep resumes), the collection
(:mod:`c2c_sim.collect`; an incomplete sweep stops here with the jobs named),
the analysis, the figure, ``results/r5/report.md`` and the index of all
verdicts, ``results/index.md``. ``all`` runs every experiment; ``--quick`` runs a
small version (few replications, short horizon, fewer levels) under
``results/quick/`` for tests. The results root is ``results`` in the current
folder, or ``$C2C_SIM_RESULTS``, or ``--results-dir``.

Every cell of a design uses the same base seed, so replication ``i`` has the
same seed in every cell (common random numbers) and comparisons are paired by
replication. Every experiment reads caused outcomes (``caused: true`` in its
preset: each replication minus its twin without partnership activity).

The verdict rule (:mod:`c2c_sim.stats`): each effect is tested against a
smallest effect of interest fit for its outcome's kind, Holm-adjusted across
every effect behind the experiment's verdicts; a verdict that follows from an
assumption alone is reported "assumed, not tested", one the model has no
mechanism to make true "not testable here". Each experiment is run on
``--seeds`` base seeds (3 by default: the preset's seed and the next two, each
its own sweep folder, ``sweep`` and ``sweep-seed<s>``), and the report says
whether the verdicts agree. The replication rule (the coefficient of variation
of every outcome a verdict reads stable within 5 % over the last fifth of the
replications, Lee et al. 2015) is checked and printed. Each module names, per
question, the mechanisms that could make its verdict false (``FALSIFIERS``)
and a documented setting inside the schema's ranges where the main verdict
does not hold (``COUNTER``), which ``tests/test_experiments.py`` runs.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd
import yaml

from . import robustness, stats
from .cli import JOB_FIGURE_ENV, composing
from .collect import Collection, collect
from .config import CONFIG_DIR, Config
from .resources import data_dir
from .stats import KINDS, Estimate, Verdict
from .storage import MARKER, TABLES, ResultsError, atomic_write_text, read_table

EXPERIMENTS_DIR = data_dir("experiments")
ORDER = ("r1", "r2", "r3", "r4", "r5", "r6", "r7", "spillover", "timeline")
"""Experiments in the order of the recommendations (the index lists them so)."""
QUICK_REPLICATIONS = 6
QUICK_MONTHS = 36
SEEDS = 3
"""Base seeds each verdict is recomputed on (the preset's and the next ones)."""
ENV_RESULTS = "C2C_SIM_RESULTS"
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class ExperimentError(RuntimeError):
    """An experiment could not produce its verdict (failed or incomplete sweep, bad module)."""


# ---------------------------------------------------------------- what analyses receive and return
@dataclass
class Data:
    """The collected tables of one experiment's sweep."""

    tables: dict[str, pd.DataFrame]  # "summary", "series", "initiatives": one row per job and replication (...)
    params: list[str]  # the swept parameters (columns of every table)
    config: dict  # the configuration of the first job (nested, as config.yaml): the fixed values
    quick: bool = False

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def months(self) -> int:
        return int(self.config["months"])

    @property
    def replications(self) -> int:
        return int(self.config["replications"])

    def levels(self, param: str) -> list:
        """The sorted levels of a swept parameter."""
        return sorted(self.summary[param].unique().tolist())


@dataclass
class Analysis:
    """What an experiment found: verdicts, the table of effects, cell means and notes."""

    verdicts: list[Verdict]
    effects: pd.DataFrame  # from effects_table()
    cells: pd.DataFrame | None = None  # cell means with bootstrap intervals
    notes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # anything the figure needs
    table: pd.DataFrame | None = None  # the per-replication outcomes the verdicts read (default: the summary)


def _bar(e: Estimate) -> float:
    try:
        return stats.sesoi(e)
    except (ValueError, KeyError):  # not an effect (a threshold level, say): no bar
        return math.nan


def effects_table(rows: list[tuple[str, str, str, Estimate]]) -> pd.DataFrame:
    """A tidy table of effects from (question, outcome, comparison, estimate) rows, with each effect's
    smallest effect of interest (``bar``, :func:`c2c_sim.stats.sesoi`)."""
    return pd.DataFrame([{"question": q, "outcome": o, "comparison": c, "effect": e.estimate, "ci95_lo": e.lo,
                          "ci95_hi": e.hi, "relative": e.relative, "bar": _bar(e), "n": e.n}
                         for q, o, c, e in rows],
                        columns=["question", "outcome", "comparison", "effect", "ci95_lo", "ci95_hi", "relative",
                                 "bar", "n"])


# ---------------------------------------------------------------- the registry
@dataclass
class Experiment:
    """One experiment: its module (experiments/<id>.py) and its preset (configs/experiment/<id>.yaml)."""

    id: str
    module: ModuleType

    @property
    def title(self) -> str:
        return getattr(self.module, "TITLE", self.id)

    @property
    def preset(self) -> Path:
        return CONFIG_DIR / "experiment" / f"{self.id}.yaml"

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(getattr(self.module, "TABLES", ("summary",)))

    @property
    def falsifiers(self) -> dict[str, str]:
        """Question -> the mechanisms that could make its verdict false."""
        return dict(getattr(self.module, "FALSIFIERS", {}))

    @property
    def counter(self) -> dict:
        """The documented setting where the main verdict does not hold: question, overrides, why."""
        return dict(getattr(self.module, "COUNTER", {}))

    def quick_overrides(self) -> list[str]:
        extra = list(getattr(self.module, "QUICK", []))
        out = [f"replications={QUICK_REPLICATIONS}"]
        if not any(o.split("=", 1)[0] == "months" for o in extra):
            out.append(f"months={QUICK_MONTHS}")
        return out + extra


def available() -> list[str]:
    """Ids of all experiments (a module in experiments/ and a preset in configs/experiment/)."""
    mods = {p.stem for p in EXPERIMENTS_DIR.glob("*.py") if not p.stem.startswith("_")}
    presets = {p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml")}
    both = mods & presets
    return [i for i in ORDER if i in both] + sorted(both - set(ORDER))


@functools.cache
def load(exp_id: str) -> Experiment:
    """The experiment ``exp_id`` (raises ExperimentError naming the available ones); loaded once per process."""
    path = EXPERIMENTS_DIR / f"{exp_id}.py"
    if exp_id not in available():
        raise ExperimentError(f"unknown experiment '{exp_id}': available {', '.join(available())} or all")
    spec = importlib.util.spec_from_file_location(f"c2c_experiments.{exp_id}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    for name in ("CLAIM", "SOURCE", "DESIGN", "FALSIFIERS", "COUNTER", "analyse", "figure"):
        if not hasattr(module, name):
            raise ExperimentError(f"{path} defines no {name}")
    return Experiment(exp_id, module)


def results_root(path: Path | str | None = None) -> Path:
    """The results root: ``path``, else ``$C2C_SIM_RESULTS``, else ``./results``."""
    return Path(path or os.environ.get(ENV_RESULTS) or "results").resolve()


def output_dir(exp_id: str, root: Path, quick: bool) -> Path:
    return (root / "quick" if quick else root) / exp_id


# ---------------------------------------------------------------- running
def multirun_command(overrides: list[str], sweep_dir: Path, *, workers: int) -> list[str]:
    """The ``c2c-sim -m`` command line of a sweep of ``overrides`` into ``sweep_dir`` (joblib with ``workers`` > 1)."""
    cmd = [sys.executable, "-m", "c2c_sim.cli", "--multirun", *overrides,
           f"hydra.sweep.dir='{sweep_dir}'"]  # quoted: a path may hold characters Hydra's grammar reserves
    if workers > 1:
        cmd += ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={workers}"]
    return cmd


def sweep_command(exp: Experiment, sweep_dir: Path, *, quick: bool, workers: int,
                  seed: int | None = None) -> list[str]:
    """The ``c2c-sim -m`` command line of an experiment's sweep (``seed``: another base seed)."""
    overrides = [f"experiment={exp.id}", *([f"seed={seed}"] if seed is not None else []),
                 *(exp.quick_overrides() if quick else [])]
    return multirun_command(overrides, sweep_dir, workers=workers)


def repair(sweep_dir: Path, tables=TABLES, log=print) -> list[Path]:
    """Unmark finished jobs whose files are damaged, so the sweep reruns them; return their folders.

    Atomic writes mean a killed job leaves no half-written file behind, but a
    file damaged later would otherwise be skipped forever: each is reported.
    """
    fixed = []
    for marker in sorted(Path(sweep_dir).rglob(MARKER)):
        job = marker.parent
        for name in tables:
            try:
                read_table(job, name)
            except ResultsError as exc:
                log(f"  repairing {job.relative_to(sweep_dir)}: {exc}; the job will be rerun")
                marker.unlink(missing_ok=True)
                fixed.append(job)
                break
    return fixed


def run_sweep(exp: Experiment, sweep_dir: Path, *, quick: bool, workers: int, seed: int | None = None,
              log=print) -> None:
    """Run (or resume) the experiment's Hydra sweep; its console output goes to ``<out>/sweep.log``."""
    run_multirun(sweep_command(exp, sweep_dir, quick=quick, workers=workers, seed=seed), sweep_dir,
                 tables=exp.tables, what=exp.id, log=log)


def run_multirun(cmd: list[str], sweep_dir: Path, *, tables=TABLES, what: str = "sweep", log=print,
                 error: type[Exception] | None = None) -> None:
    """Run (or resume) the Hydra sweep ``cmd`` (from :func:`multirun_command`) into ``sweep_dir``: damaged
    finished jobs are unmarked first (:func:`repair`), finished ones are skipped, and the console output goes
    to ``<sweep_dir>/../sweep.log``. Raises ``error`` (ExperimentError) naming the unfinished jobs if it fails."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    repair(sweep_dir, tables, log=log)
    logfile = sweep_dir.parent / "sweep.log"
    with open(logfile, "a") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n")
        fh.flush()
        # each job's learning-over-time figure costs more than its simulation; the caller draws its own
        env = {**os.environ, JOB_FIGURE_ENV: "0"}
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=os.getcwd(), env=env)
    if proc.returncode != 0:
        tail = logfile.read_text().strip().splitlines()[-8:]
        try:
            state = collect(sweep_dir, write=False).describe()
        except Exception as exc:  # the sweep never started: nothing to collect
            state = str(exc)
        raise (error or ExperimentError)(f"{what}: the sweep exited with status {proc.returncode}\n{state}\n"
                                         f"last lines of {logfile}:\n  " + "\n  ".join(tail))


def gather(exp: Experiment, sweep_dir: Path, *, quick: bool) -> tuple[Data, Collection]:
    """Collect every table the experiment reads; raise ExperimentError unless the sweep is complete."""
    tables, first = collect_complete(sweep_dir, exp.tables, what=exp.id,
                                     rerun=f"c2c-sim-experiment {exp.id}{' --quick' if quick else ''}")
    return Data(tables=tables, params=first.params, config=first.base_config() or {}, quick=quick), first


def collect_complete(sweep_dir: Path, tables=("summary",), *, what: str, rerun: str,
                     error: type[Exception] | None = None) -> tuple[dict[str, pd.DataFrame], Collection]:
    """The collected ``summary`` and ``tables`` of a sweep and the summary's :class:`Collection`; raises
    ``error`` (ExperimentError) naming the unfinished jobs unless the sweep is complete."""
    out, first = {}, None
    for name in dict.fromkeys(("summary", *tables)):
        col = collect(sweep_dir, table=name)
        if not col.complete:
            raise (error or ExperimentError)(f"{what}: the sweep is incomplete; rerun `{rerun}` to resume it\n"
                                             f"{col.describe()}")
        out[name] = col.table
        first = first or col
    assert first is not None
    return out, first


def compose_preset(exp_id: str, overrides: list[str] | tuple[str, ...] = ()):
    """The experiment's composed Hydra config (with its ``hydra`` node) under ``overrides``."""
    with composing() as compose:
        return compose(config_name="config", overrides=[f"experiment={exp_id}", *overrides], return_hydra_config=True)


def design_cells(exp_id: str, overrides: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[list[str]],
                                                                                      list[str]]:
    """(swept keys, every cell's overrides, fixed overrides) of the design: an override of a swept key
    with commas replaces its levels (as ``QUICK`` does); any other override is fixed in every cell."""
    import itertools

    swept = {str(k): str(v).split(",") for k, v in compose_preset(exp_id).hydra.sweeper.params.items()}
    fixed = []
    for o in overrides:
        key, _, value = o.partition("=")
        if key in swept and "," in value:
            swept[key] = value.split(",")
        elif key in swept:
            swept[key] = [value]
        else:
            fixed.append(o)
    cells = [[f"{k}={v}" for k, v in zip(swept, combo)] for combo in itertools.product(*swept.values())]
    return list(swept), cells, fixed


def cell_config(exp_id: str, overrides: list[str] | tuple[str, ...] = ()) -> tuple[dict, Config]:
    """One cell of the experiment's design: (its plain resolved config as config.yaml holds it, the
    validated ``Config``) under Hydra ``overrides`` (levels of the swept keys, fixed values)."""
    from omegaconf import OmegaConf

    from .config import register_resolvers, validate

    register_resolvers()
    cfg = compose_preset(exp_id, overrides)
    plain = OmegaConf.to_container(OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"]), resolve=True)
    return plain, validate(plain)


def run_in_process(exp_id: str, overrides: list[str] | tuple[str, ...] = (), *, quick: bool = False,
                   replications: int | None = None, months: int | None = None, seed: int | None = None) -> Data:
    """The experiment's design run in this process (no Hydra sweep, nothing written): its ``Data``.

    ``quick`` applies the experiment's quick overrides first; ``overrides`` follow (levels of a swept key
    as ``key=a,b``, anything else fixed); ``replications``, ``months`` and ``seed`` override the preset's.
    The same seeds and tables as the sweep give (common random numbers across cells); meant for tests and
    for checking a setting before a full sweep.
    """
    from .collect import param_values
    from .runner import run_replications

    exp = load(exp_id)
    extra = [*(exp.quick_overrides() if quick else []), *overrides]
    for key, value in (("replications", replications), ("months", months), ("seed", seed)):
        if value is not None:
            extra.append(f"{key}={value}")
    params, cells, fixed = design_cells(exp_id, extra)
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in dict.fromkeys(("summary", *exp.tables))}
    first = None
    for cell in cells:
        plain, config = cell_config(exp_id, [*fixed, *cell])
        first = first or plain
        res = run_replications(config)
        values = param_values(cell)
        for name in tables:
            t = getattr(res, name).copy()
            for i, k in enumerate(params):
                t.insert(i, k, [values[k]] * len(t))
            tables[name].append(t)
    data = {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}
    return Data(tables=data, params=params, config=first or {}, quick=quick)


# ---------------------------------------------------------------- reporting
def _fmt(x, digits: int = 3) -> str:
    if isinstance(x, (bool,)) or x is None:
        return str(x)
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            return "n/a"
        if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
            return f"{x:.{digits}g}"
        return f"{x:.{digits}g}" if abs(x) >= 1 else f"{x:.{digits}f}".rstrip("0").rstrip(".") or "0"
    return str(x)


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured markdown table (no extra dependency)."""
    cols = [str(c) for c in df.columns]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        out.append("| " + " | ".join(_fmt(v, digits).replace("|", "/") for v in row) + " |")
    return "\n".join(out)


def _effects_for_report(effects: pd.DataFrame) -> pd.DataFrame:
    e = effects.copy()
    e["effect [95% CI]"] = [Estimate(a, b, c, 0).fmt() for a, b, c in zip(e.effect, e.ci95_lo, e.ci95_hi)]
    e["relative"] = [f"{r:+.0%}" if isinstance(r, float) and math.isfinite(r) else "n/a" for r in e.relative]
    return e[["question", "outcome", "comparison", "effect [95% CI]", "relative", "bar", "n"]]


def _cells_for_report(cells: pd.DataFrame) -> pd.DataFrame:
    by = [c for c in cells.columns if c not in ("outcome", "mean", "lo", "hi", "n")]
    c = cells.copy()
    c["mean [95% CI]"] = [f"{_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}]" for m, lo, hi in zip(c["mean"], c["lo"], c["hi"])]
    wide = c.pivot_table(index=by, columns="outcome", values="mean [95% CI]", aggfunc="first", sort=False)
    return wide.reset_index()


def _design_lines(exp: Experiment, data: Data, col: Collection, quick: bool) -> list[str]:
    levels = [f"`{p}` ∈ {{{', '.join(_fmt(v) for v in data.levels(p))}}}" for p in data.params]
    preset = yaml.safe_load(exp.preset.read_text()) or {}
    fixed = []

    def walk(prefix, node):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if key in ("hydra", "defaults", "name", "replications") or key in data.params:
                continue
            if isinstance(v, dict):
                walk(key, v)
            else:
                fixed.append(f"`{key}={v}`")

    walk("", preset)
    cmd = f"c2c-sim-experiment {exp.id}" + (" --quick" if quick else "")
    lines = [
        f"- Swept: {'; '.join(levels)} ({len(col.expected)} cells, one Hydra job each).",
        (f"- Fixed by the preset (`configs/experiment/{exp.id}.yaml`): {', '.join(fixed) or 'nothing'}; "
        f"everything else at the default scenario."),
        (f"- Horizon {data.months} months; {data.replications} replications per cell, seeds spawned from base seed "
        f"{data.config.get('seed')}: replication i has the same seed in every cell (common random numbers), so "
        f"effects are paired differences over replications with 95 % BCa bootstrap intervals "
        f"(`scipy.stats.bootstrap`, fixed generator)."),
        (f"- Verdicts: an effect counts when its one-sided bootstrap p-value against its smallest effect of "
         f"interest, in the direction the claim expects, is under {stats.ALPHA} after Holm's adjustment across "
         f"every effect behind this experiment's verdicts; supported when all of a question's effects count, "
         f"depends on a parameter when some do; assumed, not tested when the effect follows from an assumption "
         f"alone (or equals another by construction); not testable here when the model has no mechanism to make "
         f"it true (neither enters the Holm family). The p-values follow the BCa intervals. Smallest effects of "
         f"interest by outcome kind: "
         + "; ".join(f"{k}: {d.split(': ', 1)[1]}" for k, (_a, _r, d) in KINDS.items()) + " (judgement)."),
        f"- Rerun: `{cmd}` (resumes an interrupted sweep; results in `{output_dir(exp.id, Path('results'), quick)}`).",
    ]
    if quick:
        lines.append(f"- QUICK MODE (tests only; not for conclusions): overrides {' '.join(exp.quick_overrides())}.")
    return lines


def write_report(exp: Experiment, data: Data, col: Collection, analysis: Analysis, figures: list[Path],
                 out: Path, quick: bool, seeds: pd.DataFrame | None = None,
                 stability: pd.DataFrame | None = None) -> Path:
    """``<out>/report.md`` (claim, design, verdicts, tables, figure), ``effects.csv`` and ``verdicts.json``."""
    m = exp.module
    pngs = [p for p in figures if p.suffix == ".png"]
    parts = [f"# {exp.id.upper() if exp.id.startswith('r') else exp.id.title()}: {exp.title}", "",
             f"**Claim.** {m.CLAIM.strip()}", "", f"**Source.** {m.SOURCE.strip()}", "",
             "## Design", "", m.DESIGN.strip(), "", *_design_lines(exp, data, col, quick), "",
             "## Verdict (under the model's assumptions)", ""]
    for v in analysis.verdicts:
        parts.append(f"- **{v.word}**: {v.line}")
    if seeds is not None:
        parts += ["", "### The same verdicts on other base seeds", "", markdown_table(seeds), ""]
    parts += ["", "## What could make each verdict false", ""]
    for q, why in exp.falsifiers.items():
        parts.append(f"- *{q}*: {why.strip()}")
    c = exp.counter
    if c:
        parts += ["", (f"Where the main verdict (*{c['question']}*) does not hold, inside the schema's ranges: "
                       f"`{' '.join(c['overrides'])}`. {c['why'].strip()} (run by "
                       f"`tests/test_experiments.py::test_main_verdict_can_fail`.)")]
    if stability is not None:
        parts += ["", "## Replications", "", (f"Rule (Lee et al. 2015): the coefficient of variation of every outcome "
                  f"a verdict reads, in every cell, stays within {stats.STABILITY_TOLERANCE:.0%} of its final value "
                  f"over at least the last {stats.STABILITY_TAIL:.0%} of the {data.replications} replications. "
                  f"'stable from' is the worst cell's count."), "", markdown_table(stability), ""]
    parts += ["", "## Effects", "", ("Effect = treatment minus comparison cell, mean over paired replications, "
              "with its 95 % bootstrap interval; relative = effect / comparison mean; bar = the smallest effect of "
              "interest."), "",
              markdown_table(_effects_for_report(analysis.effects)), ""]
    if analysis.cells is not None and len(analysis.cells):
        parts += ["## Cell means", "", "Mean over replications [95 % bootstrap interval].", "",
                  markdown_table(_cells_for_report(analysis.cells)), ""]
    parts += ["## Figure", ""]
    for p in pngs:
        parts += [f"![{p.stem}]({p.name})", "", f"Vector version: [{p.stem}.pdf]({p.stem}.pdf)", ""]
    if analysis.notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in analysis.notes] + [""]
    text = "\n".join(parts)
    rob = robustness.read_summary(out / "robustness")  # c2c-sim-robustness's map, when it has been run
    if rob is not None:
        text = robustness.with_section(text, rob, "robustness/report.md")
    report = atomic_write_text(out / "report.md", text)
    atomic_write_text(out / "effects.csv", analysis.effects.to_csv(index=False))
    agree = {} if seeds is None else dict(zip(seeds["question"], seeds["agreement"]))
    atomic_write_text(out / "verdicts.json", json.dumps({
        "id": exp.id, "title": exp.title, "quick": quick, "seed": data.config.get("seed"),
        "seeds": [] if seeds is None else [c for c in seeds.columns if c.startswith("seed ")],
        "verdicts": [{"question": v.question, "word": v.word, "line": v.line, "agreement": agree.get(v.question, ""),
                      "effects": [{"label": lab, "estimate": e.estimate, "lo": e.lo, "hi": e.hi, "bar": b,
                                   "p_holm": pv} for (lab, e), b, pv in zip(v.effects, v.bars, v.p)]}
                     for v in analysis.verdicts]}, indent=2, allow_nan=True))
    return report


def write_index(root: Path) -> Path:
    """``<root>/index.md``: every experiment's verdicts found under ``root``."""
    rows = []
    for exp_id in [*ORDER, *sorted({p.parent.name for p in root.glob("*/verdicts.json")} - set(ORDER))]:
        f = root / exp_id / "verdicts.json"
        if not f.is_file():
            continue
        info = json.loads(f.read_text())
        rob = robustness.read_summary(root / exp_id / "robustness")
        for v in info["verdicts"]:
            where = (f"{rob['headline']} ([map]({exp_id}/robustness/report.md))"
                     if rob is not None and rob.get("question") == v["question"] else "")
            rows.append((f"[{exp_id}]({exp_id}/report.md)", info["title"], v["question"], f"**{v['word']}**",
                         v.get("agreement", "") or "one seed", where))
    lines = ["# Verdicts of all experiments", "",
             "Each verdict holds under the model's assumptions; see each report for the design, effects and figure. "
             "Base seeds: whether the verdict is the same on every base seed it was recomputed on. Robustness: for "
             "each experiment's main verdict, the share of plausible worlds in which its contrast holds and where "
             "it fails (`c2c-sim-robustness <experiment>`; empty where it has not been run).",
             "", "| Experiment | Title | Question | Verdict | Base seeds | Robustness |", "|---|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} | {g} |" for a, b, c, d, e, g in rows]
    return atomic_write_text(root / "index.md", "\n".join(lines) + "\n")


# ---------------------------------------------------------------- one experiment, end to end
@dataclass
class Outcome:
    id: str
    verdicts: list[Verdict]
    report: Path
    figures: list[Path]
    seconds: float
    jobs: int
    timing: dict = field(default_factory=dict)  # seconds per stage
    agreement: pd.DataFrame | None = None  # verdicts on every base seed (seeds > 1)


def analyse(exp: Experiment, data: Data) -> Analysis:
    """The experiment's analysis with its verdicts Holm-adjusted over the whole experiment."""
    analysis = exp.module.analyse(data)
    if not isinstance(analysis, Analysis) or not analysis.verdicts:
        raise ExperimentError(f"{exp.id}: analyse() must return an Analysis with at least one verdict")
    analysis.verdicts = stats.adjust(analysis.verdicts)
    return analysis


def stability_table(data: Data, analysis: Analysis) -> pd.DataFrame:
    """The replication rule for every outcome the tested verdicts read: the worst cell's 'stable from'."""
    table = analysis.table if analysis.table is not None else data.summary
    keys = [p for p in data.params if p in table.columns]
    outcomes = dict.fromkeys(e.outcome for v in analysis.verdicts if v.tested for _, e in v.effects)
    rows = []
    for o in outcomes:
        if o not in table.columns:
            continue
        worst, where = 0, ""
        for key, part in (table.groupby(keys, sort=True) if keys else [((), table)]):
            n = stats.stable_from(part.sort_values("replication")[o].to_numpy())
            if n > worst:
                worst, where = n, ", ".join(f"{k}={v}" for k, v in zip(keys, key if isinstance(key, tuple)
                                                                         else (key,)))
        n_rep = int(table.groupby(keys).size().min()) if keys else len(table)
        rows.append({"outcome": o, "replications": n_rep, "stable from": worst, "worst cell": where or "-",
                     "enough": stats.enough_replications(worst, n_rep)})
    return pd.DataFrame(rows, columns=["outcome", "replications", "stable from", "worst cell", "enough"])


def seed_agreement(runs: list[tuple[int, list[Verdict]]]) -> pd.DataFrame:
    """One row per question: its verdict on each base seed and whether they agree."""
    rows = []
    for v in runs[0][1]:
        words = {f"seed {seed}": next((w.word for w in vs if w.question == v.question), "missing")
                 for seed, vs in runs}
        same = sum(w == v.word for w in words.values())
        rows.append({"question": v.question, **words,
                     "agreement": f"agree ({same}/{len(runs)})" if same == len(runs) else
                     f"differ ({same}/{len(runs)} as seed {runs[0][0]})"})
    return pd.DataFrame(rows)


def run_experiment(exp_id: str, *, root: Path | str | None = None, quick: bool = False, workers: int | None = None,
                   sweep: bool = True, seeds: int = 1, log=print) -> Outcome:
    """Sweep (or resume), collect, analyse, draw and report one experiment; return its verdicts.

    With ``seeds`` > 1 the design also runs on the next base seeds (each its own sweep folder,
    ``sweep-seed<s>``) and the report and index say whether the verdicts agree.
    """
    t0 = time.perf_counter()
    exp = load(exp_id)
    root = results_root(root)
    out = output_dir(exp_id, root, quick)
    sweep_dir = out / "sweep"
    workers = workers or default_workers()
    timing = {}
    if sweep:
        run_sweep(exp, sweep_dir, quick=quick, workers=workers, log=log)
    elif not (sweep_dir / "multirun.yaml").is_file():
        raise ExperimentError(f"{exp_id}: no sweep in {sweep_dir}; run without --no-sweep first")
    timing["sweep"] = time.perf_counter() - t0
    data, col = gather(exp, sweep_dir, quick=quick)
    timing["collect"] = time.perf_counter() - t0 - sum(timing.values())
    analysis = analyse(exp, data)
    stability = stability_table(data, analysis)
    timing["analysis"] = time.perf_counter() - t0 - sum(timing.values())
    agreement = None
    if seeds > 1:
        base = int(data.config["seed"])
        runs = [(base, analysis.verdicts)]
        for seed in range(base + 1, base + seeds):
            other = out / f"sweep-seed{seed}"
            if sweep:
                run_sweep(exp, other, quick=quick, workers=workers, seed=seed, log=log)
            elif not (other / "multirun.yaml").is_file():
                raise ExperimentError(f"{exp_id}: no sweep in {other}; run without --no-sweep first")
            runs.append((seed, analyse(exp, gather(exp, other, quick=quick)[0]).verdicts))
        agreement = seed_agreement(runs)
        timing["other seeds"] = time.perf_counter() - t0 - sum(timing.values())
    figures = [Path(p) for p in exp.module.figure(data, analysis, out / exp_id)]
    report = write_report(exp, data, col, analysis, figures, out, quick, seeds=agreement, stability=stability)
    write_index(out.parent)
    timing["figure+report"] = time.perf_counter() - t0 - sum(timing.values())
    return Outcome(exp_id, analysis.verdicts, report, figures, time.perf_counter() - t0, len(col.expected), timing,
                   agreement)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``c2c-sim-experiment``."""
    ap = argparse.ArgumentParser(
        prog="c2c-sim-experiment",
        description="Run experiments (Hydra sweep, collection, statistics, figure, report) and print verdicts. "
                    "Experiments: " + ", ".join(available()) + ".")
    ap.add_argument("experiments", nargs="+", metavar="ID", help="experiment ids, or all")
    ap.add_argument("--quick", action="store_true", help="small version for tests (few replications, short horizon)")
    ap.add_argument("--workers", type=int, default=None,
                    help="parallel Hydra jobs (joblib launcher; 1 runs them in one process). Default: all CPUs")
    ap.add_argument("--results-dir", type=Path, default=None,
                    help=f"results root (default ${ENV_RESULTS} or ./results)")
    ap.add_argument("--no-sweep", action="store_true", help="only collect, analyse and report an existing sweep")
    ap.add_argument("--seeds", type=int, default=None,
                    help=f"base seeds each verdict is recomputed on (default {SEEDS}; 1 with --quick)")
    args = ap.parse_args(argv)
    ids = available() if "all" in args.experiments else list(dict.fromkeys(args.experiments))
    unknown = [i for i in ids if i not in available()]
    if unknown:
        print(f"c2c-sim-experiment: error: unknown experiment '{unknown[0]}': available "
              f"{', '.join(available())} or all", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.workers is not None and args.workers < 1:
        print("c2c-sim-experiment: error: --workers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.seeds is not None and args.seeds < 1:
        print("c2c-sim-experiment: error: --seeds must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    n_seeds = args.seeds or (1 if args.quick else SEEDS)
    root = results_root(args.results_dir)
    workers = args.workers or default_workers()
    t0 = time.perf_counter()
    failed = []
    for exp_id in ids:
        print(f"== {exp_id}: {load(exp_id).title}{' (quick)' if args.quick else ''}", flush=True)
        try:
            res = run_experiment(exp_id, root=root, quick=args.quick, workers=workers, sweep=not args.no_sweep,
                                 seeds=n_seeds)
        except ExperimentError as exc:
            print(f"c2c-sim-experiment: {exc}", file=sys.stderr, flush=True)
            failed.append(exp_id)
            continue
        agree = {} if res.agreement is None else dict(zip(res.agreement["question"], res.agreement["agreement"]))
        for v in res.verdicts:
            print(f"   {v.word:<20} {v.question}" + (f"  [{agree[v.question]}]" if v.question in agree else ""))
        stages = ", ".join(f"{k} {v:.1f}" for k, v in res.timing.items())
        print(f"   {res.jobs} cells -> {res.report} ({res.seconds:.1f} s: {stages})", flush=True)
    total = time.perf_counter() - t0
    index = (root / "quick" if args.quick else root) / "index.md"
    print(f"{len(ids) - len(failed)}/{len(ids)} experiments in {total:.1f} s on {workers} worker(s); index: {index}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def console() -> None:
    raise SystemExit(main())


if __name__ == "__main__":  # run as the package module, so experiments share its classes
    from c2c_sim.experiment import console as _console

    _console()
