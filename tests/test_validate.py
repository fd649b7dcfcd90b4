"""Pattern-oriented validation (c2c_sim.validate, ``c2c-sim-validate``): outputs, determinism, bad input,
and pass criteria that respond to the data (synthetic numbers where a pattern must pass or fail)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from c2c_sim import validate as V
from c2c_sim.experiment import ENV_RESULTS

TITLES = ("Asymmetric learning", "Exchanges without a learning strategy fall short",
          "Links between local governments and non-governmental actors strengthen",
          "Decline after programme money stops", "Critical mass of partnerships in a country",
          "Multi-actor and multilevel ties raise circulation")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick run into the results root of $C2C_SIM_RESULTS (its default folder), one worker."""
    root = tmp_path_factory.mktemp("results")
    old = os.environ.get(ENV_RESULTS)
    os.environ[ENV_RESULTS] = str(root)
    try:
        status = V.main(["--quick", "--workers", "1"])
    finally:
        if old is None:
            os.environ.pop(ENV_RESULTS)
        else:
            os.environ[ENV_RESULTS] = old
    return status, root / "quick" / "validation"


def test_quick_run_writes_report_table_and_figure(quick):
    status, out = quick
    assert status == 0  # failing patterns are findings, not errors
    report = (out / "report.md").read_text()
    for i, title in enumerate(TITLES, 1):
        assert re.search(rf"^## {i}\. {re.escape(title)}: (PASS|FAIL)$", report, re.M), title
    assert report.index("**Pass criterion (fixed before the run).**") < report.index("**Numbers.**")
    assert "QUICK MODE" in report
    table = pd.read_csv(out / "patterns.csv")
    assert sorted(table["pattern"].unique()) == list(range(1, len(TITLES) + 1))
    assert set(table["role"]) == {V.CRITERION, V.CONTEXT}
    for _, part in table.groupby("pattern"):
        crit = part[part.role == V.CRITERION]
        assert len(crit) >= 1 and part["pattern_pass"].nunique() == 1
        assert bool(part["pattern_pass"].iloc[0]) == bool(crit["pass"].all())  # all criterion rows decide
    assert np.all(table["ci95_lo"] <= table["effect"]) and np.all(table["effect"] <= table["ci95_hi"])
    n_pass = int(table.groupby("pattern")["pattern_pass"].first().sum())
    assert f"{n_pass} of {len(TITLES)} field patterns" in report
    for suffix in (".pdf", ".png"):
        assert (out / f"validation{suffix}").stat().st_size > 1000
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary file


def test_same_seed_gives_identical_files_whatever_the_workers(quick, tmp_path):
    _, first = quick
    assert V.main(["--quick", "--workers", "2", "--out", str(tmp_path)]) == 0
    for name in ("report.md", "patterns.csv"):
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), name


def test_another_seed_gives_other_numbers(quick, tmp_path):
    _, first = quick
    assert V.main(["--quick", "--workers", "1", "--seed", "7", "--out", str(tmp_path)]) == 0
    a, b = pd.read_csv(first / "patterns.csv"), pd.read_csv(tmp_path / "patterns.csv")
    assert list(a["comparison"]) == list(b["comparison"])
    assert not np.allclose(a["effect"], b["effect"])
    assert "--seed 7" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("args, word", [
    (["--replications", "1"], "--replications"),
    (["--replications", "many"], "--replications"),
    (["--workers", "0"], "--workers"),
    (["--seed", "-1"], "--seed"),
    (["--bogus"], "--bogus"),
])
def test_bad_option_exits_2_with_one_line(args, word, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own errors exit through SystemExit
        status = V.main([*args, "--quick", "--out", str(tmp_path / "out")])
        raise SystemExit(status)
    assert exc.value.code == V.EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "error" in err[0] and word in err[0], err
    assert not (tmp_path / "out").exists()


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("not a folder")
    assert V.main(["--quick", "--out", str(target)]) == V.EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--out" in err[0]


def test_console_script_bad_input():
    exe = shutil.which("c2c-sim-validate")
    assert exe, "c2c-sim-validate is not installed (pip install -e .)"
    proc = subprocess.run([exe, "--replications", "0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "--replications" in proc.stderr


def _result(passed: bool) -> V.PatternResult:
    e = V.compare("t - c", "x", np.full(5, 1.0) + (0.5 if passed else -0.5) + np.arange(5) * 0.01,
                  np.full(5, 1.0))
    return V.PatternResult("k", "synthetic", "s", "src", "design", "criterion", [e])


def test_strict_exits_1_only_when_a_pattern_fails(monkeypatch, tmp_path):
    def fake(results):
        return lambda **kw: V.Validation(results, tmp_path / "report.md", 0.0)

    monkeypatch.setattr(V, "validate", fake([_result(True), _result(False)]))
    assert V.main(["--quick", "--out", str(tmp_path)]) == 0
    assert V.main(["--quick", "--strict", "--out", str(tmp_path)]) == V.EXIT_FAILED_PATTERN
    monkeypatch.setattr(V, "validate", fake([_result(True)]))
    assert V.main(["--quick", "--strict", "--out", str(tmp_path)]) == 0


# ---------------------------------------------------------------- the criteria respond to the data
RNG = np.random.default_rng(3)


def noisy(mean: float, n: int = 30, sd: float = 0.002) -> np.ndarray:
    return mean + RNG.normal(0.0, sd, n)


def test_compare_needs_the_whole_interval_beyond_the_bar():
    base = noisy(0.1)
    assert V.compare("up", "learning", base + 0.05, base).passed
    assert not V.compare("down", "learning", base - 0.05, base).passed
    assert not V.compare("too small", "learning", base + 0.002, base).passed  # bar: 5 % of 0.1 = 0.005
    assert V.compare("decrease", "rate", base - 0.2, base, kind="rate", expected=-1).passed
    assert not V.compare("decrease too small", "rate", base - 0.01, base, kind="rate", expected=-1).passed
    assert not V.compare("no data", "learning", np.full(5, np.nan), np.full(5, np.nan)).passed
    assert V.bar_for("gain", 0.0) == 0.001 and V.bar_for("gain", 1.0) == pytest.approx(0.05)


def _summary(north: float, south: float, n: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run and its twin whose caused learning is ``north``/``south`` on average (all domains alike)."""
    twin = {"seed": np.arange(n)}
    run = {"seed": np.arange(n)}
    for side, caused in (("north", north), ("south", south)):
        t = noisy(0.05, n)
        c = noisy(caused, n)
        twin[f"learning_gain_{side}"], run[f"learning_gain_{side}"] = t, t + c
        run[f"learning_caused_{side}"] = run[f"learning_gain_{side}"] - t
        run[f"learning_on_objectives_caused_{side}"] = c
        for d in V.SOUTH_DOMAINS:
            td = noisy(0.05, n)
            twin[f"learning_gain_{side}__{d}"], run[f"learning_gain_{side}__{d}"] = td, td + noisy(caused, n)
    return pd.DataFrame(run), pd.DataFrame(twin)


def test_asymmetry_fails_when_the_north_learns_more():
    assert V.asymmetry(*_summary(north=0.01, south=0.10)).passed
    r = V.asymmetry(*_summary(north=0.10, south=0.01))
    assert not r.passed and r.word == "FAIL"
    assert not V.asymmetry(*_summary(north=0.05, south=0.05)).passed


def test_asymmetry_refuses_a_twin_that_is_not_the_pair():
    run, twin = _summary(north=0.01, south=0.10)
    with pytest.raises(RuntimeError, match="seeds"):
        V.asymmetry(run, twin.assign(seed=twin["seed"] + 1))
    with pytest.raises(RuntimeError, match="reproduce"):
        V.asymmetry(run, twin.assign(learning_gain_north=twin["learning_gain_north"] + 0.01))


def test_critical_mass_passes_a_threshold_and_fails_diminishing_returns():
    levels = (0, 1, 2, 3, 4)
    threshold = {0: 0.0, 1: 0.001, 2: 0.002, 3: 0.02, 4: 0.025}  # little until the third partnership
    diminishing = {0: 0.0, 1: 0.009, 2: 0.013, 3: 0.016, 4: 0.018}  # the shape issue 11 measured
    for shape, expected in ((threshold, True), (diminishing, False)):
        gains = {k: noisy(v, sd=0.0005) for k, v in shape.items()}
        r = V.critical_mass(levels, gains)
        assert r.passed is expected, shape
    r = V.critical_mass(levels, {k: noisy(v, sd=0.0005) for k, v in diminishing.items()})
    assert any("diminishing returns" in n for n in r.notes)
    with pytest.raises(ValueError, match="levels"):
        V.critical_mass((0, 2, 4), {k: noisy(0.01) for k in (0, 2, 4)})


def _trust_runs(gap_growth: float, n: int = 20) -> tuple[V.CondData, V.CondData]:
    """Monthly trust on local ties: the twin rises alike in both; the run gains ``gap_growth`` a month more."""
    months = np.arange(121)
    rows_run, rows_twin = [], []
    for r in range(n):
        base = 0.5 + 0.27 * (1 - np.exp(-months / 20)) + RNG.normal(0, 0.005, len(months))
        extra = np.minimum(months, 48) * gap_growth
        for col_rows, trust in ((rows_twin, base), (rows_run, base + extra)):
            col_rows.append(pd.DataFrame({"replication": r, "month": months, "trust_panel_local": trust,
                                          "trust_entered_local": trust, "trust_panel_transnational": trust}))
    run = V.CondData(series=pd.concat(rows_run, ignore_index=True), programme_end=48)
    twin = V.CondData(series=pd.concat(rows_twin, ignore_index=True), programme_end=48)
    return run, twin


def test_lg_ngo_links_can_pass_when_the_partnership_adds_trust():
    r = V.lg_ngo_links(*_trust_runs(0.002))  # +0.096 by month 48, growing from +0.024 at month 12
    assert r.passed and not any("exactly unchanged" in n for n in r.notes)
    r = V.lg_ngo_links(*_trust_runs(0.0))
    assert not r.passed and any("exactly unchanged" in n for n in r.notes)  # the structural note: exact zeros


def test_circulation_fails_when_broader_networks_do_not_add():
    def cell(caused: float) -> pd.DataFrame:
        return pd.DataFrame({"circulation_caused": noisy(caused), "circulation": noisy(caused + 0.02)})

    assert V.circulation({"classic": cell(0.005), "multi_actor": cell(0.008), "multilevel_hybrid": cell(0.012)}).passed
    assert not V.circulation({"classic": cell(0.009), "multi_actor": cell(0.008),
                              "multilevel_hybrid": cell(0.009)}).passed


def test_the_registry_covers_the_six_field_patterns():
    assert len(V.PATTERNS) == 6 and len({p.key for p in V.PATTERNS}) == 6
    for p in V.PATTERNS:
        for q in (True, False):
            assert all(isinstance(c, V.Condition) for c in p.conditions(q))
