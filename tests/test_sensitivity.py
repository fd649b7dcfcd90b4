"""Sensitivity analysis (SALib) over the schema's ranges."""

import subprocess
import sys

import pandas as pd
import pytest

from c2c_sim import ConfigError, make_config
from c2c_sim.sensitivity import parse_param, run_sensitivity, with_values


def test_parse_param_defaults_to_schema_range_and_knows_integers():
    assert parse_param("trust.growth") == ("trust.growth", 0.0, 1.0, False)
    assert parse_param("programme_duration=6:120") == ("programme.duration", 6.0, 120.0, True)


@pytest.mark.parametrize("spec, words", [
    ("trust.grwth", "did you mean trust.growth"),
    ("network.model", "only numeric parameters"),
    ("migrants.facilitator", "only numeric parameters"),
    ("trust.growth=0.2:1.5", "out of range"),
    ("trust.growth=0.5:0.2", "lo < hi"),
    ("trust.growth=abc", "lo:hi"),
])
def test_parse_param_rejects_bad_specs(spec, words):
    with pytest.raises(ConfigError, match=words):
        parse_param(spec)


def test_with_values_replaces_and_validates():
    cfg = with_values(make_config(), {"trust.growth": 0.4, "programme.duration": 12})
    assert cfg.trust.growth == 0.4 and cfg.programme.duration == 12
    with pytest.raises(ConfigError):
        with_values(make_config(), {"trust.growth": 2.0})


def test_morris_separates_an_inert_parameter_from_an_influential_one():
    # with no support cut scheduled, the cut factor cannot matter; the programme budget must
    base = make_config(months=24, world_partnerships_morocco=2, world_partnerships_turkey=1)
    table, indices = run_sensitivity(["shocks.support_cut_factor", "programme.budget_per_year=0:240"],
                                     samples=4, replications=3, base=base, outcomes=("learning_gain_south",))
    mu = indices.set_index("parameter")["mu_star"]
    assert mu["shocks.support_cut_factor"] == 0.0
    assert mu["programme.budget_per_year"] > 0.0
    assert len(table) == 4 * 3  # Morris: trajectories x (parameters + 1)


def test_sobol_total_index_of_inert_parameter_is_zero():
    base = make_config(months=12, world_partnerships_morocco=1, world_partnerships_turkey=1)
    _, indices = run_sensitivity(["shocks.support_cut_factor", "trust.growth"], method="sobol", samples=4,
                                 replications=2, base=base, outcomes=("learning_gain_south",))
    st = indices.set_index("parameter")["ST"]
    assert st["shocks.support_cut_factor"] == pytest.approx(0.0, abs=1e-12)
    assert st["trust.growth"] > 0.0


def test_cli_writes_tables_figure_and_marker(tmp_path):
    out = tmp_path / "sens"
    r = subprocess.run([sys.executable, "-m", "c2c_sim.sensitivity", "--param", "trust.growth",
                        "--param", "migrants.involvement", "--samples", "2", "--replications", "2",
                        "--set", "months=12", "--outcome", "mutuality", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("samples.parquet", "indices.parquet", "indices.csv", "indices.pdf", "indices.png", "DONE.json"):
        assert (out / name).is_file(), name
    assert set(pd.read_parquet(out / "indices.parquet")["parameter"]) == {"trust.growth", "migrants.involvement"}


@pytest.mark.parametrize("args", [["--param", "trust.grwth", "--param", "trust.decay"],
                                  ["--param", "trust.growth", "--param", "trust.decay", "--set", "months=0"],
                                  ["--param", "trust.growth"]])
def test_cli_bad_input_is_one_line_exit_2_nothing_written(tmp_path, args):
    out = tmp_path / "sens"
    r = subprocess.run([sys.executable, "-m", "c2c_sim.sensitivity", *args, "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("c2c-sim-sensitivity: error:")
    assert not out.exists()
