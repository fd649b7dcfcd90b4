"""Collecting a Hydra multirun folder into one tidy table (``c2c-sim-collect``).

A sweep folder written by ``c2c-sim -m ...`` holds ``multirun.yaml`` (the
sweep's configuration, saved before any job starts) and one folder per job
with ``.hydra/overrides.yaml`` (written when the job starts) and, once the job
has finished, its tables and ``DONE.json`` (:mod:`c2c_sim.storage`).

:func:`collect` expands the sweep from ``multirun.yaml`` exactly as Hydra's
basic sweeper does, so it knows every job the sweep should have, and sorts each
into one of:

* done: its marker is valid, belongs to the job's configuration, and its table
  reads back with the number of rows the marker recorded;
* missing: no folder yet (the sweep never reached it);
* failed: the folder exists but the job did not finish (it raised, see
  ``FAILED.json``, or it was killed or is still running);
* corrupt: marked done but a file is damaged, or the results belong to a
  different configuration than the job's (a stale folder from an earlier sweep).

It writes the rows of the done jobs, in sweep order and replication order, to
``<sweep>/collected.parquet`` (``collected_<table>.parquet`` for the series and
initiatives tables): one row per job and replication (and month or initiative),
the swept parameters as the first columns, then ``job`` (the job folder). Rows
never depend on the order in which jobs finished, so a sweep that was
interrupted and resumed collects to the same table as an uninterrupted one.
Problems are listed, never silently dropped; the exit status says whether the
sweep is complete.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .config import ConfigError, check_value, lookup_field, validate
from .storage import FAILED, MARKER, TABLES, ResultsError, atomic_write, config_hash, read_table

SWEEP_FILE = "multirun.yaml"
EXIT_INCOMPLETE = 1
EXIT_BAD_INPUT = 2


class SweepError(RuntimeError):
    """The folder is not a readable sweep (one-line message)."""


@dataclass
class Collection:
    """The tidy table of a sweep and what is missing from it."""

    sweep: Path
    table: pd.DataFrame
    params: list[str]  # swept parameter columns
    expected: list[str]  # every job of the sweep, named by its swept overrides ("a=1 b=2"), in sweep order
    done: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (job, reason)
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (job, reason)
    extra: list[str] = field(default_factory=list)  # job folders that are not part of this sweep (ignored)
    folders: dict[str, Path] = field(default_factory=dict)  # job -> its folder, for jobs that have one
    output: Path | None = None
    expected_known: bool = True  # False when the sweep could not be expanded (jobs found on disk only)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.failed or self.corrupt) and self.expected_known

    def base_config(self) -> dict | None:
        """The configuration of the first done job (config.yaml), or None."""
        for job in self.done:
            path = self.folders[job] / "config.yaml"
            if path.is_file():
                return yaml.safe_load(path.read_text())
        return None

    def describe(self) -> str:
        """A multi-line account of the sweep: counts, then every missing, failed, corrupt or extra job."""
        n = len(self.expected)
        head = (f"{self.sweep}: {len(self.done)}/{n} jobs done" if self.expected_known else
                f"{self.sweep}: {len(self.done)} jobs done (the sweep's job list is unknown: {SWEEP_FILE} unreadable)")
        lines = [head + (f", {len(self.table)} rows" + (f" -> {self.output}" if self.output else ""))]
        for job in self.missing:
            lines.append(f"  missing: {job or '(no overrides)'}")
        for job, why in self.failed:
            lines.append(f"  failed:  {job or '(no overrides)'}: {why}")
        for job, why in self.corrupt:
            lines.append(f"  corrupt: {job or '(no overrides)'}: {why}")
        for job in self.extra:
            lines.append(f"  ignored: {job} (not part of this sweep)")
        return "\n".join(lines)


def _label(overrides: list[str], params: list[str] | None = None) -> str:
    """A job's name: its swept overrides (``a=1 b=2``); overrides shared by every job are left out."""
    if params:
        keys = {p: i for i, p in enumerate(params)}
        mine = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") in keys]
        mine.sort(key=lambda o: keys[o.split("=", 1)[0].lstrip("+~")])
        if mine:
            return " ".join(mine)
    return " ".join(overrides)


def expected_jobs(sweep: Path) -> list[list[str]]:
    """Every job of the sweep as its list of overrides, in Hydra's order (raises SweepError)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    path = Path(sweep) / SWEEP_FILE
    try:
        cfg = OmegaConf.load(path)
        target = str(OmegaConf.select(cfg, "hydra.sweeper._target_", default=""))
        if target and not target.endswith("BasicSweeper"):
            raise SweepError(f"{path}: sweeper {target} is not Hydra's basic sweeper; its job list is unknown")
        params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
        args = [f"{k}={v}" for k, v in params.items()]
        args += list(OmegaConf.select(cfg, "hydra.overrides.task", default=[]) or [])
        overrides = OverridesParser.create().parse_overrides(args)
        return sweep_jobs(overrides)
    except SweepError:
        raise
    except FileNotFoundError:
        raise SweepError(f"'{sweep}' is not a sweep folder: no {SWEEP_FILE}") from None
    except Exception as exc:  # malformed YAML or overrides Hydra cannot expand (e.g. glob over groups)
        raise SweepError(f"{path}: cannot expand the sweep ({type(exc).__name__}: {str(exc).splitlines()[0]})") \
            from None


def sweep_jobs(overrides: list) -> list[list[str]]:
    """The jobs of a basic-sweeper multirun, in its order, from parsed overrides (Hydra's public
    ``Override`` API): the product of the values of every key, later overrides of a key replacing
    earlier ones, each job a list of ``key=value`` strings (what Hydra's ``BasicSweeper`` launches)."""
    choices: dict[str, list[str]] = {}
    for ov in overrides:
        key = ov.get_key_element()
        if ov.is_sweep_override():
            if not ov.is_discrete_sweep():
                raise SweepError(f"{key}: the basic sweeper cannot expand a {ov.value_type.name} sweep")
            choices[key] = [f"{key}={v}" for v in ov.sweep_string_iterator()]
        else:
            choices[key] = [f"{key}={ov.get_value_element_as_str()}"]
    return [list(job) for job in itertools.product(*choices.values())]


def _job_folders(sweep: Path) -> tuple[dict[frozenset, Path], list[Path]]:
    """Job folders under ``sweep`` keyed by their set of overrides; folders whose overrides are unreadable."""
    found: dict[frozenset, Path] = {}
    unreadable: list[Path] = []
    for hydra_dir in sorted(sweep.rglob(".hydra")):
        if not hydra_dir.is_dir():
            continue
        job = hydra_dir.parent
        try:
            ovs = yaml.safe_load((hydra_dir / "overrides.yaml").read_text())
            if not isinstance(ovs, list):
                raise ValueError("not a list")
        except Exception:
            unreadable.append(job)
            continue
        found[frozenset(str(o) for o in ovs)] = job
    return found, unreadable


def param_values(overrides: list[str]) -> dict[str, Any]:
    """Typed values of a job's overrides: schema keys coerced to their type, group choices as strings."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    out: dict[str, Any] = {}
    for line in overrides:
        ov = parser.parse_override(line)
        key = ov.key_or_group
        value = ov.value()
        try:
            value = check_value(key, value, lookup_field(key))
        except ConfigError:
            value = value if isinstance(value, (int, float, bool)) else str(value)
        out[key] = value
    return out


def _swept_keys(sweep: Path, jobs: list[list[str]]) -> list[str]:
    """Keys given as sweeps (in hydra.sweeper.params or as comma lists) or that vary between jobs."""
    from omegaconf import OmegaConf

    keys: list[str] = []
    try:
        cfg = OmegaConf.load(sweep / SWEEP_FILE)
        params = OmegaConf.select(cfg, "hydra.sweeper.params", default=None) or {}
        keys += [str(k).lstrip("+~") for k in params]
        from hydra.core.override_parser.overrides_parser import OverridesParser

        for ov in OverridesParser.create().parse_overrides(list(cfg.hydra.overrides.task)):
            if ov.is_sweep_override():
                keys.append(ov.key_or_group)
    except Exception:
        pass
    values: dict[str, set] = {}
    for job in jobs:
        for k, v in param_values(job).items():
            values.setdefault(k, set()).add(repr(v))
    keys += [k for k, vs in values.items() if len(vs) > 1]
    seen: list[str] = []
    for k in keys:
        if k not in seen and k in values:
            seen.append(k)
    return seen


def _check_job(folder: Path, table: str) -> tuple[str, str | None, pd.DataFrame | None]:
    """('done'|'failed'|'corrupt', reason, rows) for one job folder."""
    marker = folder / MARKER
    if not marker.is_file():
        failed = folder / FAILED
        if failed.is_file():
            try:
                info = json.loads(failed.read_text())
                return "failed", f"raised {info.get('error', 'an error')}", None
            except Exception:
                return "failed", f"raised an error ({FAILED} unreadable)", None
        partial = sorted(p.name for p in folder.glob("*.parquet"))
        why = "started but not finished: interrupted, still running, or failed"
        return "failed", why + (f" (partial files: {', '.join(partial)})" if partial else ""), None
    try:
        info = json.loads(marker.read_text())
    except Exception:
        return "corrupt", f"{MARKER} is unreadable", None
    hydra_cfg = folder / ".hydra" / "config.yaml"
    if hydra_cfg.is_file():
        from omegaconf import OmegaConf

        try:
            want = config_hash(validate(OmegaConf.load(hydra_cfg)))
        except Exception:  # e.g. ${hydra:...} interpolations only Hydra resolves: the check is skipped
            want = info.get("config_hash")
        if info.get("config_hash") != want:
            return "corrupt", (f"stale: its results are for another configuration or another version of the model "
                               f"(marker {info.get('config_hash')}, job {want}); rerun the sweep"), None
    try:
        rows = read_table(folder, table)
    except ResultsError as exc:
        return "corrupt", str(exc), None
    return "done", None, rows


def collect(sweep: Path | str, table: str = "summary", write: bool = True) -> Collection:
    """Collect one table of every finished job of ``sweep`` into a tidy DataFrame (see the module doc).

    Raises SweepError if ``sweep`` is not a folder. With ``write``, the table is
    written atomically to ``<sweep>/collected.parquet`` (summary) or
    ``<sweep>/collected_<table>.parquet``.
    """
    sweep = Path(sweep)
    if table not in TABLES:
        raise SweepError(f"unknown table '{table}': allowed {', '.join(TABLES)}")
    if not sweep.is_dir():
        raise SweepError(f"sweep folder '{sweep}' does not exist")
    found, unreadable = _job_folders(sweep)
    expected_known = True
    try:
        jobs = expected_jobs(sweep)
    except SweepError:
        if not found and not unreadable:
            raise
        expected_known = False
        jobs = [sorted(k) for k in found]
    params = _swept_keys(sweep, jobs)
    col = Collection(sweep=sweep, table=pd.DataFrame(), params=params, expected=[_label(j, params) for j in jobs],
                     expected_known=expected_known)
    parts = []
    claimed: set[frozenset] = set()
    for job in jobs:
        key = frozenset(job)
        label = _label(job, params)
        folder = found.get(key)
        if folder is None:
            col.missing.append(label)
            continue
        claimed.add(key)
        col.folders[label] = folder
        status, why, rows = _check_job(folder, table)
        if status == "failed":
            col.failed.append((label, why or ""))
        elif status == "corrupt":
            col.corrupt.append((label, why or ""))
        else:
            values = param_values(job)
            front = {k: values.get(k) for k in params}
            front["job"] = folder.relative_to(sweep).as_posix()
            rows = rows.copy()
            for i, (k, v) in enumerate(front.items()):
                rows.insert(i, k, [v] * len(rows))
            parts.append(rows)
            col.done.append(label)
    col.extra = sorted(p.relative_to(sweep).as_posix() for k, p in found.items() if k not in claimed)
    for p in unreadable:  # killed while Hydra wrote the job's files: its job also shows as missing
        col.failed.append((p.relative_to(sweep).as_posix(),
                           "its .hydra/overrides.yaml is unreadable (killed while starting); rerun the sweep"))
    col.table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*params, "job"])
    if write:
        name = "collected.parquet" if table == "summary" else f"collected_{table}.parquet"
        col.output = atomic_write(sweep / name, lambda p: col.table.to_parquet(p, index=False))
    return col


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``c2c-sim-collect <sweep folder>``."""
    ap = argparse.ArgumentParser(
        prog="c2c-sim-collect",
        description="Collect a c2c-sim multirun folder into <sweep>/collected.parquet (one row per job and "
                    "replication, swept parameters as columns). Exit status 0: complete; 1: jobs missing, failed "
                    "or corrupt (the table of the finished ones is still written); 2: not a sweep folder.")
    ap.add_argument("sweep", type=Path, help="the multirun folder (holds multirun.yaml)")
    ap.add_argument("--table", choices=TABLES, default="summary",
                    help="which job table to collect (default summary; others go to collected_<table>.parquet)")
    args = ap.parse_args(argv)
    try:
        col = collect(args.sweep, table=args.table)
    except SweepError as exc:
        print(f"c2c-sim-collect: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(col.describe())
    return 0 if col.complete else EXIT_INCOMPLETE


def console() -> None:
    raise SystemExit(main())


if __name__ == "__main__":  # run as the package module, so experiments share its classes
    from c2c_sim.collect import console as _console

    _console()
