"""The c2c-sim command end to end (subprocesses in temporary folders)."""

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

from c2c_sim import make_config, run_replications
from c2c_sim.config import Config, flatten

TINY = ["months=6", "replications=3", "world.partnerships_morocco=1", "world.partnerships_turkey=1",
        "world.unpartnered_north=1", "world.unpartnered_south=1", "world.staff_per_municipality=4",
        "world.migrants_per_city=6"]
TINY_FLAT = {"months": 6, "replications": 3, "world_partnerships_morocco": 1, "world_partnerships_turkey": 1,
             "world_unpartnered_north": 1, "world_unpartnered_south": 1, "world_staff_per_municipality": 4,
             "world_migrants_per_city": 6}
JOB_FILES = ("series.parquet", "summary.parquet", "summary.csv", "initiatives.parquet", "config.yaml",
             "learning_over_time.pdf", "learning_over_time.png", "DONE.json")
TIMEOUT = 300


def command() -> list[str]:
    exe = shutil.which("c2c-sim")
    return [exe] if exe else [sys.executable, "-c", "from c2c_sim.cli import main; main()"]


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("C2C_SIM_JOB_FIGURE", "HYDRA_FULL_ERROR")}
    env["MPLBACKEND"] = "Agg"
    return env


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command() + args, cwd=cwd, env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def c2c_sim(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return finish(start(args, cwd))


BAD_INPUTS = {
    "out_of_range": (["trust.initial=1.5"], ["trust.initial", "1.5", "0.0 <= value <= 1.0"]),
    "wrong_type": (["months=abc"], ["months", "abc", "int"]),
    "unknown_key": (["trust.inital=0.3"], ["trust.inital", "trust.initial"]),
    "unknown_preset": (["programme=longterm"], ["programme", "longterm", "long_term"]),
    "bad_sweep_value": (["-m", "programme.duration=6,-5"], ["programme.duration", "-5"]),
    "bad_domain": (["knowledge.staff_north.sport=0.3"], ["knowledge.staff_north.sport"]),
    "bad_choice": (["network.model=star"], ["network.model", "star", "multi_actor"]),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start the good run and every bad input at once (they are independent); finish them lazily."""
    procs = {}
    good = tmp_path_factory.mktemp("good")
    procs["good"] = (start(TINY, good), good)
    for name, (args, _) in BAD_INPUTS.items():
        cwd = tmp_path_factory.mktemp(name)
        procs[name] = (start(TINY + args, cwd), cwd)
    done: dict = {}

    def get(name):
        if name not in done:
            proc, cwd = procs[name]
            done[name] = (finish(proc), cwd)
        return done[name]

    yield get
    for proc, _ in procs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def job_dir(cwd: Path) -> Path:
    dirs = [p.parent for p in (cwd / "results" / "runs").glob("*/*/DONE.json")]
    assert len(dirs) == 1, dirs
    return dirs[0]


def test_run_writes_a_complete_job_folder(runs):
    res, cwd = runs("good")
    assert res.returncode == 0, res.stderr
    folder = job_dir(cwd)
    assert folder.parent.name == "default"  # results/runs/<name>/<time stamp>
    for name in JOB_FILES:
        assert (folder / name).is_file() and (folder / name).stat().st_size > 0, name
    info = json.loads((folder / "DONE.json").read_text())
    assert info["rows"] == {"series": 3 * 7, "summary": 3, "initiatives": len(pd.read_parquet(folder /
                                                                                            "initiatives.parquet"))}
    assert "learning_gain_south" in res.stdout  # the summary table is printed


def test_run_results_equal_the_python_api(runs):
    res, cwd = runs("good")
    assert res.returncode == 0, res.stderr
    folder = job_dir(cwd)
    cfg = make_config(TINY_FLAT)
    expected = run_replications(cfg)
    for name in ("series", "summary", "initiatives"):
        got = pd.read_parquet(folder / f"{name}.parquet")
        pd.testing.assert_frame_equal(got, getattr(expected, name), check_exact=True, check_dtype=False, obj=name)
    csv = pd.read_csv(folder / "summary.csv")
    assert csv["seed"].tolist() == expected.summary["seed"].tolist()
    assert csv["learning_gain_south"].to_numpy() == pytest.approx(expected.summary["learning_gain_south"], rel=1e-12)
    written = yaml.safe_load((folder / "config.yaml").read_text())
    assert flatten(make_config(written_to_params(written))) == flatten(cfg)


def written_to_params(tree: dict) -> dict:
    """A config.yaml tree as dotted make_config parameters."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            for k, v in value.items():
                out[f"{key}.{k}"] = v
        else:
            out[key] = value
    return out


def test_rerun_into_a_done_folder_skips(runs, tmp_path):
    res, cwd = runs("good")
    assert res.returncode == 0, res.stderr
    folder = job_dir(cwd)
    stamps = {name: (folder / name).stat().st_mtime_ns for name in JOB_FILES}
    again = c2c_sim(TINY + [f"hydra.run.dir={folder}"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already done" in again.stdout
    assert {name: (folder / name).stat().st_mtime_ns for name in JOB_FILES} == stamps
    assert not (tmp_path / "results").exists()


def test_rerun_with_another_config_does_not_skip(runs, tmp_path):
    res, cwd = runs("good")
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "job"
    shutil.copytree(job_dir(cwd), folder)
    args = [a if not a.startswith("replications=") else "replications=2" for a in TINY]
    again = c2c_sim(args + [f"hydra.run.dir={folder}"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already done" not in again.stdout
    assert len(pd.read_parquet(folder / "summary.parquet")) == 2
    assert json.loads((folder / "DONE.json").read_text())["rows"]["summary"] == 2


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(runs, case):
    res, cwd = runs(case)
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    lines = res.stderr.strip("\n").split("\n")
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("c2c-sim: error:"), lines[0]
    for word in BAD_INPUTS[case][1]:
        assert word in lines[0], (word, lines[0])
    assert list(cwd.iterdir()) == [], "bad input left files behind"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("sweep")
    sweep_dir = cwd / "sweep"
    args = ["-m", "programme.duration=6,12", "replications=2", f"hydra.sweep.dir={sweep_dir}"]
    args += [a for a in TINY if not a.startswith("replications=")]
    return c2c_sim(args, cwd), cwd, sweep_dir


def test_sweep_writes_one_done_job_per_value(sweep):
    res, cwd, sweep_dir = sweep
    assert res.returncode == 0, res.stderr[-3000:]
    markers = sorted(sweep_dir.glob("*/DONE.json"))
    assert len(markers) == 2, [str(m) for m in sweep_dir.rglob("*")]
    durations = set()
    for marker in markers:
        job = marker.parent
        cfg = Config()
        written = yaml.safe_load((job / "config.yaml").read_text())
        durations.add(written["programme"]["duration"])
        assert written["months"] == 6 and written["replications"] == 2
        assert json.loads(marker.read_text())["rows"]["summary"] == 2
        assert "programme.duration" in job.name  # readable job folder names
        assert cfg.programme.duration == 48  # the default was overridden, not changed
    assert durations == {6, 12}
    assert not (cwd / "results").exists()
