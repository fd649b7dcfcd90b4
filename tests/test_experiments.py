"""Experiments (c2c_sim.experiment, experiments/, configs/experiment/): presets, quick runs, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from c2c_sim import experiment as X
from c2c_sim.config import CONFIG_DIR, ProgrammeConfig, ShockConfig, make_config, validate
from c2c_sim.storage import MARKER, read_table, write_job

IDS = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "spillover", "timeline"]
WORDS = ("supported", "not supported", "assumed, not tested", "not testable here")


def compose(exp_id: str, overrides: list[str] = ()):
    return X.compose_preset(exp_id, overrides)


def task(cfg):
    """The task part of a composed config (without the hydra node)."""
    from omegaconf import OmegaConf

    return OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])


# ---------------------------------------------------------------- the registry and the presets
def test_every_experiment_is_registered():
    assert X.available() == IDS
    for exp_id in IDS:
        exp = X.load(exp_id)
        m = exp.module
        for name in ("CLAIM", "SOURCE", "DESIGN"):
            assert isinstance(getattr(m, name), str) and len(getattr(m, name).strip()) > 40, (exp_id, name)
        assert m.MAIN in exp.falsifiers and exp.counter["question"] == m.MAIN, exp_id
        assert all(len(why) > 40 for why in exp.falsifiers.values()), exp_id
        assert exp.counter["overrides"] and len(exp.counter["why"]) > 40, exp_id
        assert m.__doc__ and "Design" in m.__doc__, exp_id  # the module docstring explains the design
        assert isinstance(m.TITLE, str) and m.TITLE
        assert callable(m.analyse) and callable(m.figure)
        assert set(exp.tables) <= {"summary", "series", "initiatives", "partnerships"}
    with pytest.raises(X.ExperimentError, match="unknown experiment"):
        X.load("r9")


@pytest.mark.parametrize("exp_id", IDS)
def test_preset_composes_validates_and_sweeps_valid_levels(exp_id):
    preset = (CONFIG_DIR / "experiment" / f"{exp_id}.yaml").read_text().splitlines()
    assert preset[0] == "# @package _global_"
    for line in preset:
        if line.strip() and not line.strip().startswith("#") and not line.rstrip().endswith(":"):
            assert "#" in line, f"uncommented line in {exp_id}.yaml: {line!r}"
    cfg = compose(exp_id)
    assert str(cfg.hydra.sweep.dir).endswith(f"{exp_id}/sweep")
    base = validate(task(cfg))
    assert base.replications >= 30
    assert base.name == exp_id
    params = dict(cfg.hydra.sweeper.params)
    assert params
    for key, values in params.items():
        for v in str(values).split(","):
            job = compose(exp_id, [f"{key}={v}"])
            validate(task(job))


def test_full_designs_stay_moderate():
    cells = 0
    for exp_id in IDS:
        n = 1
        for values in compose(exp_id).hydra.sweeper.params.values():
            n *= len(str(values).split(","))
        cells += n
    assert cells <= 100  # Hydra costs a fraction of a second per job


def test_equal_total_budget_pays_the_same_money():
    """configs/programme/fixed_total.yaml pays 240 k EUR whatever the duration and pattern."""
    from c2c_sim.rules import programme_budget
    from c2c_sim.state import params_from_config

    for duration in (3, 6, 12, 24, 48, 96, 120):
        for pattern in ("continuous", "bursts"):
            cfg = make_config(programme="fixed_total", programme_duration=duration, programme_pattern=pattern,
                              months=200)
            prm = params_from_config(cfg)
            paid = sum(programme_budget(prm, t) for t in range(1, cfg.months + 1))
            assert paid == pytest.approx(240.0), (duration, pattern)
    assert make_config(programme="fixed_total", programme_duration=0).programme.budget_per_year == 0.0
    assert isinstance(ProgrammeConfig(), ProgrammeConfig) and isinstance(ShockConfig(), ShockConfig)


def test_command_line_rejects_bad_input(capsys):
    assert X.main(["r9"]) == 2
    assert "unknown experiment 'r9'" in capsys.readouterr().err
    assert X.main(["r1", "--workers", "0"]) == 2


# ---------------------------------------------------------------- helpers
def test_markdown_table_and_index(tmp_path):
    t = X.markdown_table(pd.DataFrame({"a": [1, 2], "b": [0.12345, float("nan")], "c": ["x|y", "z"]}))
    assert t.splitlines()[0] == "| a | b | c |"
    assert "| 1 | 0.123 | x/y |" in t and "n/a" in t
    for exp_id, word in (("r5", "supported"), ("r1", "depends on openness")):
        (tmp_path / exp_id).mkdir()
        (tmp_path / exp_id / "verdicts.json").write_text(json.dumps(
            {"id": exp_id, "title": exp_id.upper(), "quick": False,
             "verdicts": [{"question": f"q {exp_id}", "word": word, "line": "..."}]}))
    index = X.write_index(tmp_path).read_text()
    assert index.index("[r1]") < index.index("[r5]")  # recommendation order
    assert "**depends on openness**" in index


def test_repair_unmarks_damaged_jobs(tmp_path):
    job = tmp_path / "sweep" / "job"
    write_job(job, make_config(), {"summary": pd.DataFrame({"x": [1.0, 2.0]})})
    assert X.repair(tmp_path / "sweep", ("summary",), log=lambda m: None) == []
    (job / "summary.parquet").write_bytes(b"garbage")
    messages = []
    assert X.repair(tmp_path / "sweep", ("summary",), log=messages.append) == [job]
    assert not (job / MARKER).exists() and "rerun" in messages[0]


def test_network_snapshot_takes_any_graph(tmp_path):
    import networkx as nx

    from c2c_sim.plotting import network_snapshot

    g = nx.Graph()
    people = [("NETHERLANDS", 0, "STAFF"), ("NETHERLANDS", 0, "CSO"), ("NETHERLANDS", 0, "MIGRANT"),
              ("MOROCCO", 1, "STAFF"), ("MOROCCO", 1, "STAFF"), ("NETHERLANDS", -1, "HIGHER_GOVERNMENT")]
    for i, (country, city, kind) in enumerate(people):
        g.add_node(i, kind=kind, country=country, city=city, involved=kind != "MIGRANT")
    g.add_edge(0, 3, type="PARTNERSHIP", trust=0.8)
    g.add_edge(0, 1, type="LOCAL", trust=0.4)
    g.add_edge(2, 4, type="TRANSNATIONAL", trust=0.2)
    g.add_edge(0, 5, type="MULTILEVEL", trust=0.5)
    paths = network_snapshot(g, tmp_path / "snap", title="hand-made")
    assert [p.suffix for p in paths] == [".pdf", ".png"] and all(p.stat().st_size > 0 for p in paths)


def test_plotting_never_imports_the_model():
    src = (Path(X.__file__).parent / "plotting.py").read_text()
    for name in ("model", "engine", "world", "runner", "rules"):
        assert f"from .{name} import" not in src and f"c2c_sim.{name}" not in src


# ---------------------------------------------------------------- every experiment in quick mode
@pytest.fixture(scope="module")
def quick_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("results")


@pytest.mark.parametrize("exp_id", IDS)
def test_quick_run_produces_report_figure_and_verdicts(exp_id, quick_root):
    res = X.run_experiment(exp_id, root=quick_root, quick=True, workers=1)
    out = quick_root / "quick" / exp_id
    assert res.report == out / "report.md"
    for suffix in (".pdf", ".png"):
        assert (out / f"{exp_id}{suffix}").stat().st_size > 1000
    report = res.report.read_text()
    for heading in ("**Claim.**", "**Source.**", "## Design", "## Verdict", "## Effects", "## Figure",
                    f"![{exp_id}]({exp_id}.png)", "QUICK MODE"):
        assert heading in report, heading
    assert res.verdicts
    for v in res.verdicts:
        assert v.word in WORDS or v.word.startswith("depends on "), v.word
        assert f"**{v.word}**" in report
        assert v.question in X.load(exp_id).falsifiers, (exp_id, v.question)  # each verdict names what could refute it
        assert v.adjusted or not v.tested  # Holm across the experiment
    for heading in ("## What could make each verdict false", "## Replications", "Holm"):
        assert heading in report, heading
    effects = pd.read_csv(out / "effects.csv")
    assert {"question", "outcome", "comparison", "effect", "ci95_lo", "ci95_hi", "n"} <= set(effects.columns)
    assert (effects.ci95_lo.fillna(-1e9) <= effects.effect + 1e-12).all()
    collected = pd.read_parquet(out / "sweep" / "collected.parquet")
    assert len(collected) == res.jobs * X.QUICK_REPLICATIONS  # one row per job and replication
    assert collected.groupby("job").replication.nunique().eq(X.QUICK_REPLICATIONS).all()
    index = (quick_root / "quick" / "index.md").read_text()
    assert f"[{exp_id}]({exp_id}/report.md)" in index
    if exp_id == "spillover":
        assert (out / "network_snapshot.png").is_file() and (out / "network_snapshot.pdf").is_file()
        # a second run skips every finished job and reproduces the same report
        markers = {p: p.stat().st_mtime_ns for p in (out / "sweep").rglob(MARKER)}
        before = (res.report.read_text(), (out / "effects.csv").read_text())
        X.run_experiment(exp_id, root=quick_root, quick=True, workers=1)
        assert {p: p.stat().st_mtime_ns for p in (out / "sweep").rglob(MARKER)} == markers
        assert (res.report.read_text(), (out / "effects.csv").read_text()) == before


# ---------------------------------------------------------------- each verdict can come out either way
def _main_word(exp_id: str, overrides: list[str]) -> tuple[str, str]:
    """The main verdict's word at ``overrides`` (20 replications, the preset's horizon), judged on its
    numbers even where the report calls it an assumption (then unadjusted), and its line."""
    from c2c_sim import stats

    exp = X.load(exp_id)
    analysis = X.analyse(exp, X.run_in_process(exp_id, overrides, replications=20))
    v = next(v for v in analysis.verdicts if v.question == exp.module.MAIN)
    if not v.tested:
        v = stats.verdict(v.question, v.effects, expected=v.expected, moderator=v.moderator)
    return v.word, v.line


@pytest.mark.parametrize("exp_id", IDS)
def test_main_verdict_can_fail(exp_id):
    """The documented setting (COUNTER, inside the schema's ranges) gives the main verdict another word than
    the default does: the verdict comes from the model's numbers, not from its construction."""
    exp = X.load(exp_id)
    for o in exp.counter["overrides"]:  # inside the schema's ranges
        validate(task(compose(exp_id, [o])))
    default, line = _main_word(exp_id, [])
    counter, counter_line = _main_word(exp_id, exp.counter["overrides"])
    assert default != counter, f"{exp_id}: {line} | {counter_line}"
    assert "supported" in (default, counter) or default.startswith("depends") or counter.startswith("depends")


def test_in_process_design_matches_the_sweep(quick_root):
    """run_in_process gives the sweep's rows: same seeds, same outcomes (r3, and r5 whose equal-total budget
    is an interpolation; quick)."""
    for exp_id, keys, cols in (
            ("r3", ["programme.mode", "municipality.openness_north"],
             ("seed", "learning_caused_north", "mutuality_caused", "circulation_caused")),
            ("r5", ["programme", "programme.pattern", "programme.duration"],  # fixed_total: an interpolation
             ("seed", "learning_caused_north", "exchange_events_total", "institutional_knowledge_caused"))):
        X.run_experiment(exp_id, root=quick_root, quick=True, workers=1)  # resumes the quick run's sweep
        swept = pd.read_parquet(quick_root / "quick" / exp_id / "sweep" / "collected.parquet")
        local = X.run_in_process(exp_id, quick=True).summary
        a = swept.sort_values([*keys, "replication"]).reset_index(drop=True)
        b = local.sort_values([*keys, "replication"]).reset_index(drop=True)
        for col in cols:
            assert a[col].tolist() == b[col].tolist(), (exp_id, col)


def test_verdicts_are_recomputed_on_other_base_seeds(tmp_path):
    """--seeds 2 runs a second sweep on the next base seed; the report and index show the agreement."""
    res = X.run_experiment("spillover", root=tmp_path, quick=True, workers=1, seeds=2)
    out = tmp_path / "quick" / "spillover"
    base = int(yaml.safe_load((out / "sweep" / "multirun.yaml").read_text())["seed"])
    other = pd.read_parquet(out / f"sweep-seed{base + 1}" / "collected.parquet")
    first = pd.read_parquet(out / "sweep" / "collected.parquet")
    assert set(other.seed).isdisjoint(first.seed)  # other seeds, not a copy
    assert list(res.agreement.columns[:3]) == ["question", f"seed {base}", f"seed {base + 1}"]
    report = res.report.read_text()
    assert "### The same verdicts on other base seeds" in report
    info = json.loads((out / "verdicts.json").read_text())
    assert all(v["agreement"].startswith(("agree", "differ")) for v in info["verdicts"])
    assert "Base seeds" in (tmp_path / "quick" / "index.md").read_text()
    assert X.main(["spillover", "--seeds", "0"]) == 2


# ---------------------------------------------------------------- interrupted and resumed
@pytest.mark.slow
def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path):
    """Kill a parallel sweep as soon as one job has finished, resume it, compare with an uninterrupted run."""
    exp = X.load("r2")
    whole = X.run_experiment("r2", root=tmp_path / "whole", quick=True, workers=1)
    broken_out = X.output_dir("r2", (tmp_path / "broken").resolve(), quick=True)
    sweep = broken_out / "sweep"
    cmd = X.sweep_command(exp, sweep, quick=True, workers=2)
    env = {**os.environ, "C2C_SIM_JOB_FIGURE": "0"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env=env)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not any(sweep.rglob(MARKER)):
        time.sleep(0.02)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its joblib workers, mid-flight
    proc.wait()
    from c2c_sim.collect import collect

    partial = collect(sweep, write=False)
    assert 1 <= len(partial.done) < len(partial.expected)  # killed mid-sweep
    assert not partial.complete and (partial.missing or partial.failed)
    resumed = X.run_experiment("r2", root=tmp_path / "broken", quick=True, workers=2)
    a = pd.read_parquet(X.output_dir("r2", (tmp_path / "whole").resolve(), True) / "sweep" / "collected.parquet")
    b = pd.read_parquet(sweep / "collected.parquet")
    pd.testing.assert_frame_equal(a, b)  # no job lost or doubled, same rows in the same order
    assert [v.line for v in resumed.verdicts] == [v.line for v in whole.verdicts]
    assert (broken_out / "effects.csv").read_text() == \
        (X.output_dir("r2", (tmp_path / "whole").resolve(), True) / "effects.csv").read_text()
    for marker in sweep.rglob(MARKER):
        read_table(marker.parent, "summary")


@pytest.mark.slow
def test_console_script_runs_one_experiment(tmp_path):
    exe = shutil.which("c2c-sim-experiment")
    assert exe, "pip install -e . registers c2c-sim-experiment"
    proc = subprocess.run([exe, "r3", "--quick", "--workers", "1", "--results-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "experiments in" in proc.stdout and (tmp_path / "quick" / "r3" / "report.md").is_file()
    assert yaml.safe_load((tmp_path / "quick" / "r3" / "verdicts.json").read_text())["id"] == "r3"
    assert subprocess.run([shutil.which("c2c-sim-collect"), str(tmp_path / "quick" / "r3" / "sweep")],
                          capture_output=True).returncode == 0
