"""Cluster launchers: a sweep through Hydra's submitit launcher (its local mode, the SLURM code path without a
cluster) collects to the same table as the basic launcher's."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import yaml
from test_cli import TIMEOUT, TINY, environment  # the CLI tests' tiny world and environment

from c2c_sim.collect import collect

pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e '.[slurm]' (in the test extra)")


def c2c_sim(args, cwd):
    """c2c-sim with this interpreter (whose packages have the launcher plugin)."""
    return subprocess.run([sys.executable, "-m", "c2c_sim.cli", *args], cwd=cwd, env=environment(),
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.mark.slow
def test_a_submitit_sweep_collects_to_the_basic_launchers_table(tmp_path):
    sweep = ["-m", "programme.duration=6,12", "trust.initial=0.3,0.4", *TINY]
    basic = c2c_sim([*sweep, f"hydra.sweep.dir={tmp_path / 'basic'}"], tmp_path)
    assert basic.returncode == 0, basic.stderr[-3000:]
    submitit = c2c_sim([*sweep, "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10",
                        "hydra.launcher.cpus_per_task=1", f"hydra.sweep.dir={tmp_path / 'submitit'}"], tmp_path)
    assert submitit.returncode == 0, submitit.stderr[-3000:]
    assert (tmp_path / "submitit" / ".submitit").is_dir()  # the jobs really went through submitit
    a, b = collect(tmp_path / "basic"), collect(tmp_path / "submitit")
    assert a.complete and b.complete and len(a.done) == 4
    pd.testing.assert_frame_equal(a.table.drop(columns="job"), b.table.drop(columns="job"), check_exact=True)


def test_the_slurm_preset_composes(tmp_path):
    """configs/hydra/launcher/slurm.yaml: partition, wall time and CPUs per task on top of submitit_slurm."""
    res = c2c_sim(["hydra/launcher=slurm", "hydra.launcher.partition=short", "--cfg", "hydra", "-p",
                   "hydra.launcher"], tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    launcher = yaml.safe_load(res.stdout)
    assert launcher["_target_"].endswith("SlurmLauncher") and launcher["partition"] == "short"
    assert launcher["timeout_min"] == 60 and launcher["cpus_per_task"] == 4
