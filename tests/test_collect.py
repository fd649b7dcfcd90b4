"""The sweep collector (c2c_sim.collect, ``c2c-sim-collect``) on complete, partial, failed and corrupt sweeps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from c2c_sim.collect import SweepError, collect, expected_jobs, main
from c2c_sim.storage import FAILED, MARKER, write_failure

TINY = ["months=4", "replications=2", "world.partnerships_morocco=1", "world.partnerships_turkey=1",
        "world.unpartnered_north=1", "world.unpartnered_south=1", "world.staff_per_municipality=4",
        "world.migrants_per_city=6"]
SWEPT = ["network=classic,multi_actor", "trust.initial=0.2,0.4"]


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory) -> Path:
    """A real four-job Hydra sweep of a tiny world, run once per module (copy it before changing it)."""
    sweep = tmp_path_factory.mktemp("sweep") / "multirun"
    env = {**os.environ, "C2C_SIM_JOB_FIGURE": "0"}
    proc = subprocess.run([sys.executable, "-m", "c2c_sim.cli", "--multirun", *SWEPT, *TINY,
                           f"hydra.sweep.dir={sweep}"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return sweep


@pytest.fixture
def sweep(tiny_sweep, tmp_path) -> Path:
    """A private copy of the tiny sweep."""
    return Path(shutil.copytree(tiny_sweep, tmp_path / "multirun"))


def job_folder(sweep: Path, network: str, trust: float) -> Path:
    col = collect(sweep, write=False)
    label = f"network={network} trust.initial={trust}"
    return col.folders[label]


def test_complete_sweep_collects_one_row_per_job_and_replication(sweep):
    col = collect(sweep)
    assert col.complete
    assert len(col.expected) == 4 and len(col.done) == 4
    assert not (col.missing or col.failed or col.corrupt or col.extra)
    t = col.table
    assert len(t) == 4 * 2
    assert list(t.columns[:3]) == ["network", "trust.initial", "job"]
    assert col.params == ["network", "trust.initial"]
    assert t["trust.initial"].dtype == float
    assert set(t["network"]) == {"classic", "multi_actor"}
    # sweep order, then replication order
    assert list(zip(t["network"], t["trust.initial"], t["replication"])) == [
        (n, x, r) for n in ("classic", "multi_actor") for x in (0.2, 0.4) for r in (0, 1)]
    assert "learning_gain_north" in t.columns and "months" not in t.columns  # constants are not swept columns
    saved = pd.read_parquet(sweep / "collected.parquet")
    pd.testing.assert_frame_equal(saved, t)
    assert col.base_config()["months"] == 4


def test_other_tables(sweep):
    col = collect(sweep, table="initiatives")
    assert (sweep / "collected_initiatives.parquet").is_file()
    assert {"network", "trust.initial", "job", "cso", "start", "end", "stalled", "months"} <= set(col.table.columns)
    series = collect(sweep, table="series", write=False).table
    assert len(series) == 4 * 2 * 5  # jobs x replications x months 0..4


def test_partial_sweep_names_missing_jobs(sweep, capsys):
    shutil.rmtree(job_folder(sweep, "multi_actor", 0.4))
    col = collect(sweep)
    assert not col.complete
    assert col.missing == ["network=multi_actor trust.initial=0.4"]
    assert len(col.table) == 3 * 2
    assert pd.read_parquet(sweep / "collected.parquet").shape[0] == 6  # what is there is still collected
    assert main([str(sweep)]) == 1
    out = capsys.readouterr().out
    assert "3/4 jobs done" in out and "missing: network=multi_actor trust.initial=0.4" in out


def test_failed_and_interrupted_jobs_are_named(sweep):
    failed = job_folder(sweep, "classic", 0.2)
    (failed / MARKER).unlink()
    write_failure(failed, ValueError("boom"))
    interrupted = job_folder(sweep, "classic", 0.4)
    (interrupted / MARKER).unlink()
    col = collect(sweep)
    reasons = dict(col.failed)
    assert "ValueError: boom" in reasons["network=classic trust.initial=0.2"]
    assert "not finished" in reasons["network=classic trust.initial=0.4"]
    assert len(col.done) == 2 and len(col.table) == 4
    assert not col.complete


def test_corrupt_files_are_reported_not_dropped(sweep, capsys):
    half = job_folder(sweep, "classic", 0.2) / "summary.parquet"
    half.write_bytes(half.read_bytes()[: len(half.read_bytes()) // 2])  # a half-written file
    short = job_folder(sweep, "multi_actor", 0.2)
    df = pd.read_parquet(short / "summary.parquet")
    df.iloc[:1].to_parquet(short / "summary.parquet", index=False)  # rows lost
    col = collect(sweep)
    reasons = dict(col.corrupt)
    assert "corrupt" in reasons["network=classic trust.initial=0.2"]
    assert "has 1 rows, its marker says 2" in reasons["network=multi_actor trust.initial=0.2"]
    assert len(col.done) == 2 and not col.complete
    assert main([str(sweep)]) == 1
    assert "corrupt: network=classic trust.initial=0.2" in capsys.readouterr().out


def test_unreadable_marker_and_stale_results_are_corrupt(sweep):
    (job_folder(sweep, "classic", 0.2) / MARKER).write_text("{not json")
    stale = job_folder(sweep, "classic", 0.4) / MARKER
    info = json.loads(stale.read_text())
    info["config_hash"] = "0" * 16
    stale.write_text(json.dumps(info))
    reasons = dict(collect(sweep).corrupt)
    assert "unreadable" in reasons["network=classic trust.initial=0.2"]
    assert "stale" in reasons["network=classic trust.initial=0.4"]


def test_folders_outside_the_sweep_are_ignored(sweep):
    stray = sweep / "stray"
    shutil.copytree(job_folder(sweep, "classic", 0.2), stray)
    (stray / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(["network=classic", "trust.initial=0.9"]))
    col = collect(sweep)
    assert col.complete and col.extra == ["stray"]
    assert len(col.table) == 8


def test_not_a_sweep(tmp_path, capsys):
    with pytest.raises(SweepError, match="does not exist"):
        collect(tmp_path / "nowhere")
    with pytest.raises(SweepError, match="no multirun.yaml"):
        collect(tmp_path)
    assert main([str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


def test_expected_jobs_follow_hydra_sweeper_semantics(tmp_path):
    """Config params first, command-line overrides replace them, product in order."""
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump({
        "hydra": {"sweeper": {"_target_": "hydra._internal.core_plugins.basic_sweeper.BasicSweeper",
                              "params": {"a": "1,2", "b": "x,y"}},
                  "overrides": {"task": ["b=z", "c=5,6"]}}}))
    assert expected_jobs(tmp_path) == [["a=1", "b=z", "c=5"], ["a=1", "b=z", "c=6"],
                                       ["a=2", "b=z", "c=5"], ["a=2", "b=z", "c=6"]]
    col = collect(tmp_path, write=False)
    assert len(col.missing) == 4 and col.params == ["a", "b", "c"] and col.table.empty


def test_failure_marker_is_cleared_by_success(sweep):
    from c2c_sim.config import make_config
    from c2c_sim.storage import write_job

    folder = job_folder(sweep, "classic", 0.2)
    write_failure(folder, RuntimeError("first attempt"))
    write_job(folder, make_config(), {"summary": pd.DataFrame({"x": [1.0]})})
    assert not (folder / FAILED).exists()
