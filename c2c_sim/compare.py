"""Comparing policy scenarios (``c2c-sim-compare``): paired effects against a baseline, a figure, a report.

``c2c-sim-compare baseline=scenario=default outreach="migrants.outreach=0.05 migrants.facilitator=true"
mine=my_policy.yaml --replications 50`` compares two or more scenarios, each given as ``LABEL=SCENARIO``,
where ``SCENARIO`` is any mix of

* a scenario preset's name (``default``, ``migrant_inclusive``, or one of one's own from ``--scenario-dir``),
* a YAML file of one's own, written like a preset (``configs/scenario/*.yaml``: ``# @package _global_``,
  then what changes), checked by the schema with its path in the message (:func:`c2c_sim.scenarios.check_file`),
* overrides as on the ``c2c-sim`` command line (``programme=none migrants.outreach=0.05``).

The first scenario (or ``--baseline LABEL``) is the reference. Each scenario is composed by Hydra as
``c2c-sim`` would compose it and checked before anything runs; its full resolved configuration is written
to ``<out>/configs/compare/<label>.yaml`` and the comparison runs as one Hydra sweep over them
(``c2c-sim -m +compare=<labels>``, :func:`c2c_sim.experiment.run_multirun`): the same machinery as the
experiments, so it runs in parallel (``--workers``), writes atomically and resumes after an interruption
(finished jobs are skipped, damaged ones rerun). Every scenario runs the same replications with the same
seeds (common random numbers: the same base seed, replications and horizon for all) and its twin without
partnership activity (``caused=true``), so each effect is a paired difference over replications with its
95 % BCa bootstrap interval (:func:`c2c_sim.stats.contrast`) and the effect relative to the baseline's mean.

The results folder (``results/compare/<name>`` or ``--results-dir``) holds ``effects.parquet``/``.csv``
(one row per scenario and headline outcome), ``replications.parquet``/``.csv`` (one row per scenario,
replication and outcome: the value, the baseline's in the same replication, their difference),
``effects.pdf/.png`` (a forest plot), ``over_time.pdf/.png`` (outcomes month by month per scenario with
95 % bands), ``report.md`` (the scenarios, their resolved configurations with the differences from the
baseline, the table) and ``compare.json`` (what was compared). From Python, :func:`compare`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import shlex
import sys
import tempfile
import time
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from . import scenarios as own
from . import stats
from .config import (
    GROUPS,
    PRESET_ALIASES,
    Config,
    ConfigError,
    check_value,
    flatten,
    to_dict,
    unflatten_params,
    validate,
)
from .metrics import CAUSED_NAMES

DEFAULT_REPLICATIONS = 100
GROUP = "compare"
"""The config group of a comparison's resolved scenarios (``<out>/configs/compare/<label>.yaml``)."""
MANIFEST = "compare.json"
LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
CAUSED_HEADLINE = ("learning_caused_north", "learning_caused_south", "mutuality_caused",
                   "learning_on_objectives_caused_north", "learning_on_objectives_caused_south",
                   "institutional_knowledge_caused", "circulation_caused", "policy_adoptions_caused",
                   "policy_adoptions_unpartnered_caused")
HEADLINE = (*CAUSED_HEADLINE, "learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
            "mean_trust", "trust_panel_partnership", "circulation", "policy_adoptions", "initiative_survival_months",
            "partnerships_alive", "exchange_events_total", "activity_after_programme")
"""The outcomes every comparison reports: what the partnership caused (run minus its twin), then levels."""
OVER_TIME = {"learning_caused_north": "caused learning, North", "learning_caused_south": "caused learning, South",
             "institutional_knowledge_caused": "caused institutional knowledge",
             "exchange_events": "exchange events a month", "partnerships_alive": "partnerships alive",
             "trust_panel_partnership": "trust on partnership ties"}
"""Outcomes drawn month by month (``over_time.pdf``), with their axis labels."""
PANELS = {"gain": "knowledge gain", "share": "share or trust (0-1)", "count": "count",
          "rate": "exchange events a month", "months": "months"}
"""Forest-plot panels: an outcome's kind (:func:`c2c_sim.stats.outcome_kind`) and its axis label."""


class CompareError(ValueError):
    """Bad input to a comparison (one line naming what is wrong and what is allowed)."""


class Comparison(NamedTuple):
    """What :func:`compare` returns: the effects table and the tidy per-replication table."""

    effects: pd.DataFrame
    replications: pd.DataFrame


@dataclasses.dataclass
class Scenario:
    """One scenario of a comparison: its label, what was given, the Hydra overrides and files it stands for."""

    label: str
    given: str  # as the user gave it (for the report)
    overrides: list[str]
    file: Path | None = None  # a YAML file of one's own
    config: Config | None = None
    notes: list[str] = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------- reading what the user gave
def check_label(label: str, what: str = "label") -> str:
    if not LABEL.fullmatch(label):
        raise CompareError(f"{what} '{label}' is not allowed: a letter, then letters, digits, '_' or '-' "
                           f"(at most 64 characters), e.g. baseline or outreach_5pc")
    return label


def parse_argument(arg: str) -> tuple[str, str]:
    """``LABEL=SCENARIO`` -> (label, scenario)."""
    label, eq, spec = arg.partition("=")
    if not eq or not spec.strip() or not LABEL.fullmatch(label):
        raise CompareError(f"'{arg}' is not LABEL=SCENARIO: give each scenario a label (a letter, then letters, "
                           f"digits, '_' or '-'), e.g. baseline=default, outreach=\"migrants.outreach=0.05\" or "
                           f"mine=my_policy.yaml")
    return label, spec


def _is_file(token: str) -> bool:
    return token.endswith((".yaml", ".yml"))


def scenario(label: str, spec: str | Mapping | Sequence[str]) -> Scenario:
    """A :class:`Scenario` from what the user gave: a string of preset names, YAML files and overrides
    (split as a shell would), a list of them, or a mapping of parameters (``make_config``'s names:
    ``migrants_outreach``, ``"migrants.outreach"`` or a group's preset, ``programme="none"``)."""
    from .cli import override_value

    check_label(label)
    if isinstance(spec, Mapping):
        try:
            dotted = unflatten_params({PRESET_ALIASES.get(k, k): v for k, v in spec.items()})
        except ConfigError as exc:
            raise CompareError(f"scenario '{label}': {exc}") from None
        tokens = []
        for key, value in dotted.items():
            if isinstance(value, Mapping):  # a domain profile: one override per domain
                tokens += [f"{key}.{d}={override_value(v)}" for d, v in value.items()]
            elif key in GROUPS:
                tokens.append(f"{key}={value}")
            else:
                tokens.append(f"{key}={override_value(value)}")
        given = ", ".join(f"{k}={v!r}" for k, v in spec.items()) or "the defaults"
    else:
        if isinstance(spec, str):
            try:
                tokens = shlex.split(spec)
            except ValueError as exc:
                raise CompareError(f"scenario '{label}': cannot split {spec!r} ({exc})") from None
        else:
            tokens = [str(t) for t in spec]
        given = " ".join(tokens)
    sc = Scenario(label, given, [])
    chosen = []
    for token in tokens:
        key, eq, value = token.partition("=")
        if not eq:
            key, value = "scenario", token
        if key.lstrip("+~") == "scenario" and _is_file(value):
            path = Path(value).expanduser()
            if not path.is_file():
                raise CompareError(f"scenario '{label}': no such file '{value}' (a scenario file is a YAML file "
                                   f"like configs/scenario/*.yaml)")
            sc.file = path.resolve()
            chosen.append(value)
        elif key.lstrip("+~") == "scenario":
            sc.overrides.append(f"scenario={value}")
            chosen.append(value)
        else:
            if key.startswith("hydra") or key in ("experiment", GROUP):
                raise CompareError(f"scenario '{label}': '{token}' cannot be part of a scenario (allowed: scenario "
                                   f"presets, YAML files, network=, programme= and parameters key=value)")
            sc.overrides.append(token)
    if len(chosen) > 1:
        raise CompareError(f"scenario '{label}' names {len(chosen)} scenarios ({', '.join(chosen)}): give at most "
                           f"one preset or file per label, and parameters key=value")
    return sc


def _stage(sc: Scenario, root: Path) -> str:
    """Copy a scenario file of one's own into a temporary search-path folder (with the package line a scenario
    file needs) and return the ``scenario=`` override that picks it."""
    own.check_file(sc.file, "scenario")  # the user's own path in the message
    name = f"_file_{sc.label}"
    text = sc.file.read_text()
    (root / "scenario").mkdir(parents=True, exist_ok=True)
    (root / "scenario" / f"{name}.yaml").write_text(text)
    return f"scenario={name}"


def resolve(scens: list[Scenario], *, common: Sequence[str] = (), dirs: Sequence[Path] = ()) -> None:
    """Compose and check every scenario as ``c2c-sim <common> <its overrides>`` would (Hydra, the schema),
    setting ``sc.config``; raises CompareError naming the scenario (and the file) at the first problem."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from .cli import check_override, composing

    dirs = [Path(d) for d in dirs]
    groups = own.groups(dirs)
    parser = OverridesParser.create()
    with tempfile.TemporaryDirectory(prefix="c2c_sim_compare_") as tmp, composing() as compose:
        stage = Path(tmp)
        for sc in scens:
            where = f"scenario '{sc.label}'" + (f" ({sc.file})" if sc.file else "")
            try:
                overrides = [*common, *sc.overrides]
                for ov in parser.parse_overrides(overrides):
                    if ov.is_sweep_override():
                        raise ConfigError(f"'{ov.input_line}' is a sweep: a scenario takes one value per key")
                    check_override(ov, dirs, groups)
                if sc.file is not None:
                    overrides.append(_stage(sc, stage))
                search = [own.searchpath_override([*dirs, stage])] if dirs or sc.file else []
                sc.config = validate(compose(config_name="config", overrides=[*search, *overrides]))
            except ConfigError as exc:
                raise CompareError(f"{where}: {exc}") from None
            except (HydraException, OmegaConfBaseException) as exc:
                text = " ".join(str(exc).split("\n")[:2]).strip().replace(str(stage / "scenario"), "")
                raise CompareError(f"{where}: {text}") from None


def align(scens: list[Scenario], *, replications: int, months: int | None, seed: int | None) -> dict:
    """Give every scenario the same replications, horizon and base seed (common random numbers; the
    baseline's horizon and seed unless given), caused outcomes on and its label as name; return them."""
    base = scens[0].config
    assert base is not None
    run = {"replications": replications, "months": base.months if months is None else months,
           "seed": base.seed if seed is None else seed, "caused": True, "workers": 1}
    for key in ("replications", "months", "seed"):
        try:
            run[key] = check_value(key, run[key])
        except ConfigError as exc:
            raise CompareError(str(exc)) from None
    if run["replications"] < 2:
        raise CompareError(f"replications={replications}: a bootstrap interval needs at least 2 replications")
    for sc in scens:
        assert sc.config is not None
        for key in ("months", "seed"):  # a scenario that sets its own horizon or seed is told it is not used
            mine = getattr(sc.config, key)
            if mine != getattr(base, key) and sc is not scens[0]:
                sc.notes.append(f"its {key}={mine} is set to {run[key]}, as for every scenario (common random "
                                f"numbers)")
        sc.config = validate({**to_dict(sc.config), **run, "name": sc.label})
    return run


# ---------------------------------------------------------------- running
def _config_file(cfg: Config, label: str, given: str) -> str:
    from .storage import config_text

    return (f"{own.GLOBAL_HEADER}\n# c2c-sim-compare scenario '{label}': {given}\n# the full resolved "
            f"configuration (written by c2c-sim-compare; rerun the comparison to change it)\n" + config_text(cfg))


def check_folder(out: Path) -> None:
    """A comparison writes into a new folder, an empty one, or one it wrote before; anything else is refused."""
    if out.exists() and not out.is_dir():
        raise CompareError(f"results folder '{out}' is a file: give a folder (--results-dir) or another --name")
    if not out.is_dir() or not any(out.iterdir()):
        return
    manifest = out / MANIFEST
    if not manifest.is_file():
        raise CompareError(f"results folder '{out}' is not empty and holds no {MANIFEST}, so it is not a "
                           f"comparison's: give another --name or --results-dir (or empty it)")
    try:
        info = json.loads(manifest.read_text())
        if not isinstance(info, dict) or "scenarios" not in info:
            raise ValueError("no scenarios")
    except Exception as exc:
        raise CompareError(f"results folder '{out}' is broken: {manifest.name} is unreadable ({type(exc).__name__}); "
                           f"delete the folder to start again, or give another --name or --results-dir") from None


def write_inputs(out: Path, scens: list[Scenario], run: dict, argv: Sequence[str] | None) -> Path:
    """The manifest (first: it marks the folder as a comparison's) and each scenario's resolved configuration."""
    from .storage import atomic_write_text, config_hash

    atomic_write_text(out / MANIFEST, json.dumps({
        "baseline": scens[0].label, "run": run, "command": list(argv) if argv is not None else None,
        "scenarios": [{"label": sc.label, "given": sc.given, "config_hash": config_hash(sc.config),
                       "notes": sc.notes} for sc in scens]}, indent=2))
    root = out / "configs"
    for sc in scens:
        atomic_write_text(root / GROUP / f"{sc.label}.yaml", _config_file(sc.config, sc.label, sc.given))
    return root


def run_sweep(out: Path, scens: list[Scenario], *, workers: int, rerun: str, log=print) -> dict[str, pd.DataFrame]:
    """Run (or resume) the comparison's sweep and return its collected ``summary`` and ``series`` tables."""
    from .experiment import collect_complete, multirun_command, run_multirun

    labels = ",".join(sc.label for sc in scens)
    cmd = multirun_command([own.searchpath_override([out / "configs"]), f"+{GROUP}={labels}"], out / "sweep",
                           workers=min(workers, len(scens)))
    run_multirun(cmd, out / "sweep", tables=("summary", "series"), what=f"compare {out.name}", log=log)
    tables, _ = collect_complete(out / "sweep", ("series",), what=f"compare {out.name}", rerun=rerun)
    return {name: t.rename(columns={GROUP: "scenario"}).drop(columns="job") for name, t in tables.items()}


def run_in_process(scens: list[Scenario], *, workers: int = 1) -> dict[str, pd.DataFrame]:
    """The same tables as :func:`run_sweep`, run in this process (nothing written)."""
    from .runner import run_replications

    parts: dict[str, list[pd.DataFrame]] = {"summary": [], "series": []}
    for sc in scens:
        res = run_replications(sc.config, workers=workers)
        for name in parts:
            t = getattr(res, name)
            t.insert(0, "scenario", sc.label)
            parts[name].append(t)
    return {name: pd.concat(p, ignore_index=True) for name, p in parts.items()}


# ---------------------------------------------------------------- analysis
def effects_table(summary: pd.DataFrame, labels: Sequence[str], baseline: str,
                  outcomes: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """Paired effect of every scenario against the baseline on every outcome (common random numbers: paired on
    the replication): ``scenario, baseline, outcome, caused, effect, ci95_lo, ci95_hi, relative,
    baseline_mean, n``; ``relative`` = effect / |baseline mean|, NaN where that mean is 0."""
    from .experiment import effects_table as tidy

    rows, means = [], []
    for label in labels:
        if label == baseline:
            continue
        for o in outcomes:
            if o not in summary.columns:
                continue
            e = stats.contrast(summary, o, {"scenario": label}, {"scenario": baseline})
            rows.append((label, o, f"{label} - {baseline}", e))
            means.append(e.reference)
    t = tidy(rows).rename(columns={"question": "scenario"}).drop(columns=["comparison", "bar"])
    t.insert(1, "baseline", baseline)
    t.insert(3, "caused", t["outcome"].isin(CAUSED_NAMES))
    t.insert(len(t.columns) - 1, "baseline_mean", means)
    return t


def replication_table(summary: pd.DataFrame, baseline: str, outcomes: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """One row per scenario, replication and outcome: ``value``, the baseline's ``baseline`` value in the same
    replication (same seed) and their ``difference`` (what the effects are bootstrapped from)."""
    cols = [o for o in outcomes if o in summary.columns]
    long = summary.melt(id_vars=["scenario", "replication", "seed"], value_vars=cols, var_name="outcome")
    base = long[long["scenario"] == baseline][["replication", "outcome", "value"]].rename(columns={"value": "baseline"})
    t = long.merge(base, on=["replication", "outcome"], how="left", validate="many_to_one")
    t["difference"] = t["value"] - t["baseline"]
    order = {label: i for i, label in enumerate(dict.fromkeys(summary["scenario"]))}
    rank = {o: i for i, o in enumerate(cols)}
    t = t.sort_values(["scenario", "outcome", "replication"], key=lambda s: s.map(order) if s.name == "scenario"
                      else s.map(rank) if s.name == "outcome" else s, kind="stable")
    return t.reset_index(drop=True)


def _panel(outcome: str) -> str:
    kind = "count" if outcome == "exchange_events_total" else stats.outcome_kind(outcome)
    return PANELS[kind]


def figures(out: Path, effects: pd.DataFrame, series: pd.DataFrame, labels: Sequence[str], baseline: str) -> list[Path]:
    from .plotting import forest, series_panels

    e = effects.assign(panel=[_panel(o) for o in effects["outcome"]])
    others = [lab for lab in labels if lab != baseline]
    paths = forest(e, out / "effects", group="scenario", order=others, panels=list(dict.fromkeys(PANELS.values())),
                   xlabel=f"effect against {baseline} (paired mean difference, 95 % bootstrap interval)")
    paths += series_panels(series, {k: v for k, v in OVER_TIME.items() if k in series.columns}, "scenario",
                           out / "over_time", order=list(labels))
    return paths


# ---------------------------------------------------------------- the report
def _diff(cfg: Config, base: Config) -> dict[str, tuple[Any, Any]]:
    a, b = flatten(cfg), flatten(base)
    return {k: (v, b.get(k)) for k, v in a.items() if k != "name" and v != b.get(k)}


def report(out: Path, scens: list[Scenario], run: dict, effects: pd.DataFrame, figs: list[Path],
           seconds: float) -> Path:
    """``report.md``: the design, the table of effects, the figures and each scenario's resolved configuration."""
    from .experiment import _fmt, markdown_table
    from .storage import atomic_write_text

    base = scens[0]
    labels = ", ".join(f"`{sc.label}`" for sc in scens)
    parts = [f"# Comparison: {labels}", "",
             f"Baseline: `{base.label}`. Every scenario ran the same {run['replications']} replications (seeds "
             f"spawned from base seed {run['seed']}: replication i has the same seed in every scenario, common "
             f"random numbers) over {run['months']} months, each with its twin without partnership activity "
             f"(`caused=true`: the *caused* outcomes are the run minus its twin).", "",
             "| label | given as | differs from the baseline in |", "|---|---|---|"]
    for sc in scens:
        d = _diff(sc.config, base.config)
        parts.append(f"| `{sc.label}` | `{sc.given}` | "
                     + ("baseline" if sc is base else ", ".join(f"`{k}`" for k in d) or "nothing (same configuration)")
                     + " |")
    notes = [f"`{sc.label}`: {n}" for sc in scens for n in sc.notes]
    if notes:
        parts += ["", "Notes: " + "; ".join(notes) + "."]
    table = effects.copy()
    table["effect [95% CI]"] = [stats.Estimate(a, b, c, 0).fmt() for a, b, c in
                                zip(table.effect, table.ci95_lo, table.ci95_hi)]
    table["relative"] = [f"{r:+.1%}" if math.isfinite(r) else "n/a" for r in table.relative]
    parts += ["", "## Effects against the baseline", "",
              (f"Effect = scenario minus `{base.label}`, the mean over paired replications, with its 95 % BCa "
               f"bootstrap interval (`c2c_sim.stats`); relative = effect / |baseline mean|. The first "
               f"{len(CAUSED_HEADLINE)} outcomes are what the partnership caused. A scenario compared with "
               f"itself gives 0 [0, 0]. Tables: `effects.parquet`/`.csv`, per replication `replications.parquet`/"
               f"`.csv`."), "",
              markdown_table(table[["scenario", "outcome", "effect [95% CI]", "relative", "baseline_mean", "n"]]), ""]
    parts += ["## Figures", ""]
    for p in figs:
        if p.suffix == ".png":
            parts += [f"![{p.stem}]({p.name})", "", f"Vector version: [{p.stem}.pdf]({p.stem}.pdf)", ""]
    parts += ["## Resolved configurations", "",
              f"Each scenario's full configuration as it ran (`configs/{GROUP}/<label>.yaml`); values that differ "
              f"from the baseline's are in bold, with the baseline's value beside them.", ""]
    keys = list(flatten(base.config))
    for sc in scens:
        d = _diff(sc.config, base.config)
        rows = ["| parameter | value |", "|---|---|"]
        for k in keys:
            v = flatten(sc.config)[k]
            rows.append(f"| **{k}** | **{_fmt(v)}** (baseline {_fmt(d[k][1])}) |" if k in d else f"| {k} | {_fmt(v)} |")
        head = "baseline" if sc is base else f"{len(d)} value(s) differ from the baseline"
        parts += [f"<details><summary><code>{sc.label}</code>: {head}</summary>", "", *rows, "", "</details>", ""]
    parts += [f"Run in {seconds:.0f} s. Rerun: `c2c-sim-compare` with the same scenarios and options (finished "
              f"scenarios are skipped; see `{MANIFEST}`)."]
    return atomic_write_text(out / "report.md", "\n".join(parts) + "\n")


def write_tables(out: Path, effects: pd.DataFrame, reps: pd.DataFrame) -> None:
    from .storage import atomic_write, atomic_write_text

    for name, t in (("effects", effects), ("replications", reps)):
        atomic_write(out / f"{name}.parquet", lambda p, t=t: t.to_parquet(p, index=False))
        atomic_write_text(out / f"{name}.csv", t.to_csv(index=False))


# ---------------------------------------------------------------- the doors
def prepare(specs: Mapping[str, Any] | Sequence[tuple[str, Any]], *, baseline: str | None = None,
            replications: int = DEFAULT_REPLICATIONS, months: int | None = None, seed: int | None = None,
            common: Sequence[str] = (), scenario_dirs: Sequence[str | Path] = ()) -> tuple[list[Scenario], dict]:
    """The scenarios, checked and resolved (baseline first), and the run settings they share."""
    items = list(specs.items()) if isinstance(specs, Mapping) else list(specs)
    labels = [lab for lab, _ in items]
    for lab in labels:
        check_label(lab)
    dup = next((lab for i, lab in enumerate(labels) if lab in labels[:i]), None)
    if dup:
        raise CompareError(f"label '{dup}' is given twice: each scenario needs a label of its own")
    if len(items) < 2:
        raise CompareError(f"a comparison needs at least two scenarios, LABEL=SCENARIO each (the first is the "
                           f"baseline); got {len(items)}")
    if baseline is not None and baseline not in labels:
        raise CompareError(f"--baseline '{baseline}' is not one of the labels: {', '.join(labels)}")
    if baseline is not None:
        items.sort(key=lambda kv: kv[0] != baseline)
    try:
        dirs = [own.config_root(d) for d in scenario_dirs]
    except ConfigError as exc:
        raise CompareError(str(exc)) from None
    scens = [scenario(lab, spec) for lab, spec in items]
    resolve(scens, common=list(common), dirs=dirs)
    return scens, align(scens, replications=replications, months=months, seed=seed)


def compare(scenarios: Mapping[str, Any], *, baseline: str | None = None, replications: int = DEFAULT_REPLICATIONS,
            months: int | None = None, seed: int | None = None, workers: int = 1, common: Sequence[str] = (),
            scenario_dirs: Sequence[str | Path] = (), results_dir: str | Path | None = None,
            log=print) -> Comparison:
    """Compare scenarios against the first (or ``baseline``): ``(effects, replications)`` tables.

    ``scenarios`` maps a label to a mapping of parameters (as :func:`c2c_sim.make_config` takes them:
    ``{"migrants_outreach": 0.05}``, ``{"programme": "none"}``, ``{}`` for the defaults) or to a string as on
    the command line (a preset name, a YAML file, overrides). Without ``results_dir`` everything runs in this
    process and nothing is written; with it, the comparison runs as ``c2c-sim-compare`` does (a resumable
    Hydra sweep, figures, report) into that folder. Both give the same tables.
    """
    if results_dir is None:
        scens, _ = prepare(scenarios, baseline=baseline, replications=replications, months=months, seed=seed,
                           common=common, scenario_dirs=scenario_dirs)
        tables = run_in_process(scens, workers=workers)
        labels = [sc.label for sc in scens]
        return Comparison(effects_table(tables["summary"], labels, labels[0]),
                          replication_table(tables["summary"], labels[0]))
    return run_comparison(scenarios, Path(results_dir), baseline=baseline, replications=replications,
                          months=months, seed=seed, workers=workers, common=common, scenario_dirs=scenario_dirs,
                          log=log)


def run_comparison(specs, out: Path, *, baseline: str | None = None, replications: int = DEFAULT_REPLICATIONS,
                   months: int | None = None, seed: int | None = None, workers: int = 1, common: Sequence[str] = (),
                   scenario_dirs: Sequence[str | Path] = (), argv: Sequence[str] | None = None,
                   log=print) -> Comparison:
    """The whole comparison into ``out``: check everything, then sweep (or resume), analyse, draw, report."""
    t0 = time.perf_counter()
    out = Path(out).resolve()
    scens, run = prepare(specs, baseline=baseline, replications=replications, months=months, seed=seed,
                         common=common, scenario_dirs=scenario_dirs)
    check_folder(out)  # nothing is written before every scenario and the folder are checked
    write_inputs(out, scens, run, argv)
    rerun = "c2c-sim-compare " + (" ".join(shlex.quote(a) for a in argv) if argv else "... (the same arguments)")
    tables = run_sweep(out, scens, workers=workers, rerun=rerun, log=log)
    labels = [sc.label for sc in scens]
    effects = effects_table(tables["summary"], labels, labels[0])
    reps = replication_table(tables["summary"], labels[0])
    write_tables(out, effects, reps)
    figs = figures(out, effects, tables["series"], labels, labels[0])
    report(out, scens, run, effects, figs, time.perf_counter() - t0)
    return Comparison(effects, reps)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not the usage block
        raise CompareError(f"{message} (see {self.prog} --help)")


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``c2c-sim-compare``."""
    from .experiment import QUICK_MONTHS, QUICK_REPLICATIONS, ExperimentError, default_workers, results_root

    argv = list(sys.argv[1:] if argv is None else argv)
    ap = _Parser(prog="c2c-sim-compare", formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False,
                 description="Compare two or more policy scenarios with paired effects against a baseline (the "
                             "first, or --baseline), the same replication seeds for all, caused outcomes on.",
                 epilog="SCENARIO is a preset name (default, migrant_inclusive, ... or one of --scenario-dir), a "
                        "YAML file of your own, overrides as for c2c-sim, or a mix, quoted as one argument:\n"
                        "  c2c-sim-compare baseline=default outreach=\"migrants.outreach=0.05 "
                        "migrants.facilitator=true\" mine=my_policy.yaml --replications 50\n"
                        "Results: results/compare/<name>/ (report.md, effects.csv, effects.png, over_time.png).")
    ap.add_argument("scenarios", nargs="*", metavar="LABEL=SCENARIO")
    ap.add_argument("--baseline", metavar="LABEL", help="the reference scenario (default: the first)")
    ap.add_argument("--replications", type=int, default=None, help=f"per scenario (default {DEFAULT_REPLICATIONS})")
    ap.add_argument("--months", type=int, default=None, help="horizon for every scenario (default: the baseline's)")
    ap.add_argument("--seed", type=int, default=None, help="base seed of the replication seeds (default: the "
                                                           "baseline's)")
    ap.add_argument("--workers", type=int, default=None, help="scenarios run in parallel (default: all CPUs)")
    ap.add_argument("--quick", action="store_true", help=f"a small run for tests ({QUICK_REPLICATIONS} replications, "
                                                         f"{QUICK_MONTHS} months, under results/quick/compare/)")
    ap.add_argument("--name", default=None, help="the comparison's name (default: its labels joined by '-')")
    ap.add_argument("--results-dir", type=Path, default=None, help="the results folder (default "
                                                                    "results/compare/<name>)")
    ap.add_argument(own.DIR_FLAG, action="append", default=[], metavar="DIR", dest="scenario_dirs",
                    help="a folder of your own scenarios (DIR/scenario/<name>.yaml); repeatable")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="common",
                    help="a parameter for every scenario, e.g. --set world.partnerships_morocco=1; repeatable")
    try:
        args = ap.parse_args(argv)
        specs = [parse_argument(a) for a in args.scenarios]
        if args.workers is not None and args.workers < 1:
            raise CompareError("--workers must be at least 1")
        for item in args.common:
            if "=" not in item:
                raise CompareError(f"--set '{item}' must be KEY=VALUE")
        name = args.name or "-".join(lab for lab, _ in specs)
        if args.name is not None:
            check_label(name, "--name")
        root = results_root()
        out = args.results_dir or (root / "quick" / "compare" / name if args.quick else root / "compare" / name)
        reps = args.replications if args.replications is not None else \
            QUICK_REPLICATIONS if args.quick else DEFAULT_REPLICATIONS
        months = args.months if args.months is not None else QUICK_MONTHS if args.quick else None
        t0 = time.perf_counter()
        res = run_comparison(specs, out, baseline=args.baseline, replications=reps, months=months, seed=args.seed,
                             workers=args.workers or default_workers(), common=args.common,
                             scenario_dirs=args.scenario_dirs, argv=argv)
    except CompareError as exc:
        print(f"c2c-sim-compare: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ExperimentError as exc:
        print(f"c2c-sim-compare: {exc}", file=sys.stderr)
        return EXIT_FAILED
    e = res.effects
    show = e[e["outcome"].isin(("learning_caused_north", "learning_caused_south", "exchange_events_total"))]
    for row in show.itertuples():
        est = stats.Estimate(row.effect, row.ci95_lo, row.ci95_hi, row.n).fmt()
        rel = f" ({row.relative:+.0%})" if math.isfinite(row.relative) else ""
        print(f"  {row.scenario} - {row.baseline}: {row.outcome} {est}{rel}")
    print(f"{len(e)} effects -> {Path(out).resolve() / 'report.md'} ({time.perf_counter() - t0:.1f} s)")
    return 0


def console() -> None:
    raise SystemExit(main())


class _CallableModule(types.ModuleType):
    """``c2c_sim.compare`` is this module once it is imported (Python binds a package's submodule under its
    name), so the module itself is callable: ``c2c_sim.compare(...)`` is :func:`compare`."""

    def __call__(self, *args, **kwargs) -> Comparison:
        return compare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    console()
