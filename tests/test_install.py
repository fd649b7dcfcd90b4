"""A plain (not editable) ``pip install .`` works from any folder: configs/ and experiments/ ship inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["months=6", "replications=3", "world.partnerships_morocco=1", "world.partnerships_turkey=1",
        "world.unpartnered_north=1", "world.unpartnered_south=1", "world.staff_per_municipality=4"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh virtual environment with this checkout pip-installed into it (a wheel, not editable). It sees
    this interpreter's packages for the dependencies (a ``.pth`` line naming their folders, after its own,
    so its own copy of c2c_sim comes first; this works from a virtual environment too, where
    ``--system-site-packages`` would see the base interpreter's packages instead)."""
    import site
    import sysconfig

    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    here = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    (Path(purelib) / "dependencies.pth").write_text("\n".join(dict.fromkeys(here)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUMBA_CACHE_DIR")}
    env["MPLBACKEND"] = "Agg"
    res = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(ROOT)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return venv, env


@pytest.mark.slow
def test_a_plain_install_runs_the_cli_and_an_experiment_from_another_folder(installed, tmp_path):
    venv, env = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import c2c_sim.config as c; print(c.__file__); "
                            "print(c.CONFIG_DIR); from c2c_sim.resources import hydra_config_path as h; print(h())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where[:2]), where  # the installed copy, not the checkout
    assert where[2] == "pkg://c2c_sim.configs"
    run = subprocess.run([str(venv / "bin" / "c2c-sim"), *TINY, "scenario=zeist_berkane"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    done = list((tmp_path / "results" / "runs").glob("*/*/DONE.json"))
    assert len(done) == 1 and len(pd.read_parquet(done[0].parent / "summary.parquet")) == 3
    exp = subprocess.run([str(venv / "bin" / "c2c-sim-experiment"), "r3", "--quick", "--workers", "1"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert exp.returncode == 0, exp.stderr[-3000:]
    assert (tmp_path / "results" / "quick" / "r3" / "report.md").is_file()


@pytest.mark.slow
def test_a_plain_install_runs_own_scenarios_and_compares_them(installed, tmp_path):
    """A folder of one's own scenarios (--scenario-dir) and a scenario file serve c2c-sim and c2c-sim-compare."""
    venv, env = installed
    (tmp_path / "my_scenarios" / "scenario").mkdir(parents=True)
    (tmp_path / "my_scenarios" / "scenario" / "outreach.yaml").write_text(
        "# @package _global_\nmigrants:\n  outreach: 0.05\n")
    (tmp_path / "typo.yaml").write_text("# @package _global_\nmigrants:\n  outrech: 0.05\n")
    run = subprocess.run([str(venv / "bin" / "c2c-sim"), "--scenario-dir", "my_scenarios", "scenario=outreach", *TINY],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    done = list((tmp_path / "results" / "runs").glob("*/*/DONE.json"))
    assert len(done) == 1 and "outreach: 0.05" in (done[0].parent / "config.yaml").read_text()
    sets = [a for item in TINY[2:] for a in ("--set", item)]
    cmp = subprocess.run([str(venv / "bin" / "c2c-sim-compare"), "base=default", "mine=outreach", "--scenario-dir",
                          "my_scenarios", "--replications", "3", "--months", "6", "--workers", "1", *sets],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert cmp.returncode == 0, cmp.stderr[-3000:]
    assert (tmp_path / "results" / "compare" / "base-mine" / "effects.png").is_file()
    bad = subprocess.run([str(venv / "bin" / "c2c-sim-compare"), "base=default", "mine=typo.yaml"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 2 and "typo.yaml" in bad.stderr and "migrants.outrech" in bad.stderr, bad.stderr
