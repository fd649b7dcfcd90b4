"""Comparing policy scenarios (c2c-sim-compare, c2c_sim.compare) and scenario folders of one's own."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import c2c_sim
from c2c_sim import compare as C
from c2c_sim.storage import MARKER

TINY = ["world.partnerships_morocco=1", "world.partnerships_turkey=1", "world.unpartnered_north=1",
        "world.unpartnered_south=1", "world.staff_per_municipality=4", "world.migrants_per_city=6"]
SETS = [a for item in TINY for a in ("--set", item)]
RUN = ["--replications", "6", "--months", "24", "--workers", "2"]
POLICY = """# @package _global_
# a municipality-funded programme with migrant outreach (a user's own file, outside the checkout)
defaults:
  - override /programme: none
migrants:
  outreach: 0.05
municipality:
  proactivity_north: 0.6
"""
FILES = ("effects.parquet", "effects.csv", "replications.parquet", "replications.csv", "effects.pdf", "effects.png",
         "over_time.pdf", "over_time.png", "report.md", C.MANIFEST)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip("\n").split("\n")
    assert len(err) == 1 and err[0].startswith("c2c-sim-compare: error:"), err
    return err[0]


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """One comparison through the command and its sweep: no programme (given first), the default scenario as
    the baseline (--baseline), the default again, and a user's file in a folder outside the checkout."""
    mine = tmp_path_factory.mktemp("elsewhere") / "my_policy.yaml"
    mine.write_text(POLICY)
    out = tmp_path_factory.mktemp("compare") / "cmp"
    args = ["none=programme=none", "base=scenario=default", "same=default", f"mine={mine}", "--baseline", "base",
            *RUN, *SETS, "--results-dir", str(out)]
    assert C.main(args) == 0
    return out, args, mine


def test_the_command_writes_every_output(compared):
    out, _, _ = compared
    for name in FILES:
        assert (out / name).is_file(), name
    effects = pd.read_parquet(out / "effects.parquet")
    assert list(dict.fromkeys(effects["scenario"])) == ["none", "same", "mine"]  # the baseline is the reference
    assert set(effects["baseline"]) == {"base"}
    assert set(effects["outcome"]) == set(C.HEADLINE) and effects["caused"].sum() == 3 * len(C.CAUSED_HEADLINE)
    pd.testing.assert_frame_equal(effects, pd.read_csv(out / "effects.csv"), check_dtype=False)
    reps = pd.read_parquet(out / "replications.parquet")
    assert len(reps) == 4 * 6 * len(C.HEADLINE)
    assert set(reps.columns) == {"scenario", "replication", "seed", "outcome", "value", "baseline", "difference"}
    assert reps.groupby("replication")["seed"].nunique().eq(1).all()  # common random numbers: one seed a replication
    report = (out / "report.md").read_text()
    assert "Baseline: `base`" in report and "![effects](effects.png)" in report and "over_time.png" in report
    assert "| **programme.budget_per_year** | **0** (baseline 60) |" in report  # differences highlighted
    assert "nothing (same configuration)" in report
    for label in ("none", "base", "same", "mine"):
        cfg = (out / "configs" / "compare" / f"{label}.yaml").read_text()
        assert cfg.startswith("# @package _global_") and "caused: true" in cfg


def test_a_scenario_compared_with_itself_gives_exactly_zero(compared):
    out, _, _ = compared
    effects = pd.read_parquet(out / "effects.parquet")
    same = effects[effects["scenario"] == "same"]
    defined = same[same["effect"].notna()]
    assert {"learning_caused_north", "learning_caused_south", "exchange_events_total"} <= set(defined["outcome"])
    assert (defined["effect"] == 0.0).all() and (defined["ci95_lo"] == 0.0).all() and (defined["ci95_hi"] == 0.0).all()
    assert same["effect"].isna().equals(same["ci95_lo"].isna())  # an undefined outcome (no programme end yet) is NaN


def test_no_programme_lowers_learning_and_exchanges(compared):
    out, _, _ = compared
    e = pd.read_parquet(out / "effects.parquet").set_index(["scenario", "outcome"])
    for outcome in ("learning_caused_north", "learning_caused_south", "learning_gain_south", "exchange_events_total"):
        row = e.loc[("none", outcome)]
        assert row["effect"] < 0 and row["ci95_hi"] < 0, (outcome, row.to_dict())
        assert -1.0 <= row["relative"] < 0
    assert e.loc[("none", "learning_caused_south"), "relative"] == pytest.approx(
        e.loc[("none", "learning_caused_south"), "effect"] / e.loc[("none", "learning_caused_south"), "baseline_mean"])


def test_a_user_file_outside_the_checkout_runs_and_is_compared(compared):
    out, _, mine = compared
    cfg = c2c_sim.load_config(out / "configs" / "compare" / "mine.yaml")
    assert cfg.migrants.outreach == 0.05 and cfg.municipality.proactivity_north == 0.6
    assert cfg.programme.name == "none" and cfg.programme.budget_per_year == 0.0  # its defaults list ran
    assert cfg.world.partnerships_morocco == 1 and cfg.months == 24 and cfg.caused  # --set, --months, caused on
    e = pd.read_parquet(out / "effects.parquet").set_index(["scenario", "outcome"])
    assert math.isfinite(e.loc[("mine", "learning_caused_south"), "effect"])
    assert str(mine) in (out / "report.md").read_text()


def test_the_python_api_gives_the_same_tables_in_process(compared):
    """c2c_sim.compare() without a results folder runs in this process and writes nothing: the same tables."""
    out, _, mine = compared
    res = c2c_sim.compare({"none": {"programme": "none"}, "base": {}, "same": "default", "mine": str(mine)},
                          baseline="base", replications=6, months=24, common=TINY)
    effects, reps = res
    pd.testing.assert_frame_equal(effects, pd.read_parquet(out / "effects.parquet"), check_exact=True)
    pd.testing.assert_frame_equal(reps, pd.read_parquet(out / "replications.parquet"), check_exact=True)


def test_the_command_resumes_after_an_interruption_to_the_same_table(compared, tmp_path):
    out, args, _ = compared
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    jobs = sorted(p.parent for p in (copy / "sweep").rglob(MARKER))
    assert len(jobs) == 4
    shutil.rmtree(jobs[0])  # as if the sweep was killed before this job ran
    (jobs[1] / "summary.parquet").write_bytes(b"damaged")  # and a finished file damaged later
    for name in ("effects.parquet", "effects.csv", "report.md"):
        (copy / name).unlink()
    assert C.main([*args[:args.index("--results-dir")], "--results-dir", str(copy)]) == 0
    assert (copy / "effects.csv").read_text() == (out / "effects.csv").read_text()
    pd.testing.assert_frame_equal(pd.read_parquet(copy / "effects.parquet"), pd.read_parquet(out / "effects.parquet"),
                                  check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(copy / "replications.parquet"),
                                  pd.read_parquet(out / "replications.parquet"), check_exact=True)
    untouched = json.loads((jobs[2] / MARKER).read_text())
    assert untouched == json.loads((out / "sweep" / jobs[2].relative_to(copy / "sweep") / MARKER).read_text())


# ---------------------------------------------------------------- bad input: one line, exit 2, nothing written
def test_a_user_file_with_a_typo_is_rejected_with_its_name(tmp_path, capsys):
    bad = tmp_path / "typo_policy.yaml"
    bad.write_text("# @package _global_\ntrust:\n  intial: 0.3\n")
    out = tmp_path / "out"
    assert C.main(["base=default", f"mine={bad}", "--results-dir", str(out), *SETS]) == 2
    line = one_line_error(capsys)
    assert str(bad) in line and "trust.intial" in line and "trust.initial" in line
    assert not out.exists()


BAD = {
    "one_scenario": (["base=default"], ["at least two scenarios"]),
    "no_label": (["base=default", "migrants.outreach=0.05"], ["'migrants.outreach=0.05'", "LABEL=SCENARIO"]),
    "duplicate": (["a=default", "a=programme=none"], ["label 'a' is given twice"]),
    "bad_label": (["base=default", "2x=default"], ["'2x=default' is not LABEL=SCENARIO"]),
    "unknown_preset": (["base=default", "b=nowhere"], ["scenario 'b'", "unknown scenario preset 'nowhere'",
                                                       "migrant_inclusive"]),
    "bad_parameter": (["base=default", "b=trust.initial=1.5"], ["scenario 'b'", "trust.initial", "0.0 <= value"]),
    "unknown_parameter": (["base=default", "b=trust.intial=0.3"], ["trust.intial", "trust.initial"]),
    "sweep": (["base=default", "b=trust.initial=0.1,0.2"], ["a sweep"]),
    "two_scenarios_in_one": (["base=default", "b=default migrant_inclusive"], ["at most one preset or file"]),
    "missing_file": (["base=default", "b=nowhere.yaml"], ["no such file 'nowhere.yaml'"]),
    "bad_baseline": (["a=default", "b=default", "--baseline", "c"], ["--baseline 'c'", "a, b"]),
    "one_replication": (["a=default", "b=default", "--replications", "1"], ["at least 2 replications"]),
    "bad_option": (["a=default", "b=default", "--replication", "3"], ["--replication"]),
    "zero_months": (["a=default", "b=default", "--months", "0"], ["months=0", "1 <= value"]),
    "bad_name": (["a=default", "b=default", "--name", "my comparison"], ["--name 'my comparison'"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args, words = BAD[case]
    assert C.main(args) == 2
    line = one_line_error(capsys)
    for word in words:
        assert word in line, (word, line)
    assert list(tmp_path.iterdir()) == []


def test_a_broken_or_foreign_results_folder_is_refused(tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert C.main(["a=default", "b=default", "--results-dir", str(foreign), *SETS]) == 2
    assert "not empty and holds no compare.json" in one_line_error(capsys)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / C.MANIFEST).write_text("{not json")
    assert C.main(["a=default", "b=default", "--results-dir", str(broken), *SETS]) == 2
    line = one_line_error(capsys)
    assert "is broken" in line and "compare.json" in line
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert C.main(["a=default", "b=default", "--results-dir", str(a_file), *SETS]) == 2
    assert "is a file" in one_line_error(capsys)


# ---------------------------------------------------------------- scenario folders of one's own
@pytest.fixture
def own_dir(tmp_path) -> Path:
    (tmp_path / "mine" / "scenario").mkdir(parents=True)
    (tmp_path / "mine" / "scenario" / "my_policy.yaml").write_text(POLICY)
    (tmp_path / "mine" / "scenario" / "typo.yaml").write_text("# @package _global_\nmigrants:\n  outrech: 0.1\n")
    (tmp_path / "mine" / "scenario" / "default.yaml").write_text("# @package _global_\nname: shadowed\n")
    return tmp_path / "mine"


def test_a_scenario_folder_serves_c2c_sim_and_its_sweeps(own_dir, capsys):
    from c2c_sim.cli import expand_scenario_dirs, preflight

    argv = expand_scenario_dirs(["--scenario-dir", str(own_dir), "scenario=my_policy", *TINY])
    assert argv[-1] == f"hydra.searchpath=['file://{own_dir}']"
    preflight(argv)
    preflight(["-m", "scenario=migrant_inclusive,my_policy", *argv[1:]])  # a sweep over a built-in and one's own
    assert capsys.readouterr().err == ""
    assert expand_scenario_dirs(["--scenario-dir", str(own_dir / "scenario")]) == argv[-1:]  # the scenario/ folder
    for args, words in (([*argv[1:], "scenario=typo"], [str(own_dir / "scenario" / "typo.yaml"), "migrants.outrech",
                                                        "migrants.outreach"]),
                        ([*argv[1:], "scenario=default"], [str(own_dir / "scenario" / "default.yaml"), "shadowed"]),
                        ([*argv[1:], "scenario=nope"], ["unknown scenario preset 'nope'", "my_policy"])):
        with pytest.raises(SystemExit) as info:
            preflight(args)
        assert info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and all(w in err[0] for w in words), err
    with pytest.raises(SystemExit):
        expand_scenario_dirs(["--scenario-dir", str(own_dir / "nowhere")])
    assert "is not a folder" in capsys.readouterr().err


def test_a_scenario_folder_serves_the_comparison(own_dir, tmp_path, capsys):
    (own_dir / "scenario" / "default.yaml").unlink()  # a built-in name in ones own folder is refused (above)
    scens, run = C.prepare({"base": "default", "mine": "my_policy"}, scenario_dirs=[own_dir], replications=3,
                           common=TINY)
    assert scens[1].config.migrants.outreach == 0.05 and scens[1].config.name == "mine"
    assert run == {"replications": 3, "months": 120, "seed": 20240601, "caused": True, "workers": 1}
    assert C.main(["base=default", "mine=typo", C.own.DIR_FLAG, str(own_dir), "--results-dir",
                   str(tmp_path / "out")]) == 2
    assert str(own_dir / "scenario" / "typo.yaml") in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_a_scenario_file_needs_the_global_package_line(tmp_path):
    f = tmp_path / "no_header.yaml"
    f.write_text("migrants:\n  outreach: 0.1\n")
    with pytest.raises(C.CompareError, match=f"{f}.*# @package _global_"):
        C.prepare({"a": "default", "b": str(f)})


def test_python_scenarios_take_make_config_names_and_presets():
    scens, run = C.prepare({"a": {}, "b": {"scenario_preset": "migrant_inclusive", "trust_initial": 0.3},
                            "c": {"programme": "none", "knowledge.staff_north": {"environment": 0.9}}}, seed=7)
    a, b, c = (sc.config for sc in scens)
    assert b.migrants.involvement == 0.3 and b.trust.initial == 0.3 and b.name == "b"
    assert c.programme.budget_per_year == 0.0 and c.knowledge.staff_north["environment"] == 0.9
    assert a.seed == b.seed == c.seed == 7 and run["seed"] == 7
    with pytest.raises(C.CompareError, match="scenario 'b'.*trust_intial"):
        C.prepare({"a": {}, "b": {"trust_intial": 0.3}})
