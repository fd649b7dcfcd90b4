"""Writing and reading results folders: atomic files and a completion marker.

A job folder holds ``series.parquet``, ``summary.parquet``, ``summary.csv``,
``initiatives.parquet``, ``config.yaml`` and figures, and, written last,
``DONE.json`` with a hash of the configuration. Every file is written under a
temporary name and renamed into place, so a killed job leaves either a complete
file or none, and a folder without ``DONE.json`` is unfinished.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .config import RUN_KEYS, Config, flatten, to_dict

MARKER = "DONE.json"
FAILED = "FAILED.json"
"""Written instead of the marker when a job raised (the error, one line); removed when it later succeeds."""
TABLES = ("series", "summary", "initiatives", "partnerships", "countries", "channels")


class ResultsError(RuntimeError):
    """A results folder is missing, partial or corrupt (one-line message)."""


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text))


def claim_folder(meta_path: Path, key: str, settings: dict, error: type[Exception],
                 holds: Callable[[list[str]], str], ignore: tuple[str, ...] = ()) -> None:
    """Make ``meta_path`` (a resumable run's record: its ``key`` and ``settings``) this run's, or check that
    it is: a folder holding another run (another key) raises ``error`` naming ``holds(differing settings)``
    (the settings in ``ignore`` not counted); an unreadable record raises ``error`` too."""
    out = meta_path.parent
    if not meta_path.is_file():
        atomic_write_text(meta_path, json.dumps({"key": key, "settings": settings}, indent=1, default=str))
        return
    try:
        old = json.loads(meta_path.read_text())
    except json.JSONDecodeError:
        raise error(f"'{meta_path}' is corrupt: delete the folder {out} or use another --out") from None
    if old.get("key") != key:
        diff = [k for k, v in settings.items() if k not in ignore
                and json.dumps(old.get("settings", {}).get(k), default=str) != json.dumps(v, default=str)]
        raise error(f"'{out}' holds {holds(diff)}: use another --out, or delete it to start again")


def write_chunks(todo: list[tuple[Path, list[dict]]], compute: Callable[[list[dict]], list[dict]], *,
                 workers: int = 1, progress: bool = True, desc: str = "", unit: str = "row",
                 leave: bool = True) -> None:
    """Compute the chunks in ``todo`` (path, rows): ``compute(rows)`` in ``workers`` processes (joblib; it
    must pickle, e.g. a ``functools.partial`` of a module-level function), each chunk's rows written to its
    parquet file as soon as it is done, so an interrupted run keeps what it finished; a tqdm bar."""
    if not todo:
        return
    if workers > 1:
        from joblib import Parallel, delayed

        it = Parallel(n_jobs=workers, return_as="generator")(delayed(compute)(rows) for _, rows in todo)
    else:
        it = (compute(rows) for _, rows in todo)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(r) for _, r in todo), desc=desc, unit=unit, leave=leave)
    try:
        for (path, rows), result in zip(todo, it):
            atomic_write(path, lambda p, res=result: pd.DataFrame(res).to_parquet(p, index=False))
            if bar is not None:
                bar.update(len(rows))
    finally:
        if bar is not None:
            bar.close()


def config_hash(cfg: Config) -> str:
    """Hash of everything that changes what the replications compute (not the label or worker count): the
    configuration and the model's sources (:data:`c2c_sim.compiled.SOURCES`), so a job run by another
    version of the model is stale and a resumed sweep reruns it instead of reusing its results."""
    import importlib  # not "from .compiled import": storage is no model source (compiled.model_sources)

    flat = {k: v for k, v in flatten(cfg).items() if k not in RUN_KEYS or k == "replications"}
    flat["_model_sources"] = importlib.import_module(f"{__package__}.compiled").SOURCES
    return hashlib.sha256(json.dumps(flat, sort_keys=True, default=str).encode()).hexdigest()[:16]


def is_done(folder: Path, cfg: Config | None = None) -> bool:
    """True if ``folder`` holds a finished job (for ``cfg``, if given)."""
    marker = Path(folder) / MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return cfg is None or info.get("config_hash") == config_hash(cfg)


@functools.cache
def provenance() -> dict[str, str | None]:
    """What wrote a result: the package version and, in a git checkout, its commit (with ``-dirty`` when
    tracked files differ from it); None for the commit in an installed package or without git."""
    from . import __version__

    commit = None
    src = Path(__file__).resolve().parent
    try:
        run = lambda *a: subprocess.run(["git", "-C", str(src), *a], capture_output=True, text=True, timeout=10)
        head = run("rev-parse", "HEAD")
        if head.returncode == 0 and run("rev-parse", "--show-prefix").stdout.strip() == "c2c_sim/":
            commit = head.stdout.strip()
            if run("status", "--porcelain", "--untracked-files=no").stdout.strip():
                commit += "-dirty"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"c2c_sim_version": __version__, "git_commit": commit}


def read_provenance(folder: Path | str) -> dict[str, str | None]:
    """The provenance a run folder's ``DONE.json`` recorded (empty if none)."""
    try:
        info = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return {k: info[k] for k in ("c2c_sim_version", "git_commit") if k in info}


def config_text(cfg: Config) -> str:
    """``config.yaml``: the resolved configuration, headed by comments naming what wrote it."""
    info = provenance()
    head = (f"# c2c_sim {info['c2c_sim_version']}, git commit {info['git_commit'] or 'unknown (not a git checkout)'}\n"
            "# rerun: c2c-sim --rerun <this folder>, or c2c_sim.run_replications(c2c_sim.load_config(<this folder>))\n")
    return head + yaml.safe_dump(to_dict(cfg), sort_keys=False)


def write_job(folder: Path, cfg: Config, tables: dict[str, pd.DataFrame], extra: dict | None = None) -> None:
    """Write a job's tables and config atomically, then its marker."""
    folder = Path(folder)
    (folder / MARKER).unlink(missing_ok=True)
    for name, df in tables.items():
        atomic_write(folder / f"{name}.parquet", lambda p, df=df: df.to_parquet(p, index=False))
    if "summary" in tables:
        atomic_write(folder / "summary.csv", lambda p: tables["summary"].to_csv(p, index=False))
    atomic_write_text(folder / "config.yaml", config_text(cfg))
    info = {"config_hash": config_hash(cfg), "rows": {k: len(v) for k, v in tables.items()}, **provenance(),
            **(extra or {})}
    atomic_write_text(folder / MARKER, json.dumps(info, indent=2))
    (folder / FAILED).unlink(missing_ok=True)


def write_failure(folder: Path, exc: BaseException) -> None:
    """Record that the job in ``folder`` raised ``exc`` (``FAILED.json``), so a collector can tell why."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    info = {"error": f"{type(exc).__name__}: {message}" if message else type(exc).__name__}
    atomic_write_text(Path(folder) / FAILED, json.dumps(info, indent=2))


def read_table(folder: Path, name: str = "summary") -> pd.DataFrame:
    """Read one table of a finished job, or raise ResultsError saying what is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"results folder '{folder}' does not exist")
    if not is_done(folder):
        raise ResultsError(f"'{folder}' is unfinished or corrupt: no valid {MARKER} (rerun the job to complete it)")
    path = folder / f"{name}.parquet"
    try:
        df = pd.read_parquet(path)
    except FileNotFoundError:
        raise ResultsError(f"'{path}' is missing although the job is marked done") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ResultsError(f"'{path}' is corrupt ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    expected = json.loads((folder / MARKER).read_text()).get("rows", {}).get(name)
    if expected is not None and expected != len(df):
        raise ResultsError(f"'{path}' has {len(df)} rows, its marker says {expected}: the file is damaged")
    return df
