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
from c2c_sim.config import flatten
from c2c_sim.state import CHANNELS

TINY = ["months=6", "replications=3", "world.partnerships_morocco=1", "world.partnerships_turkey=1",
        "world.unpartnered_north=1", "world.unpartnered_south=1", "world.staff_per_municipality=4",
        "world.migrants_per_city=6"]
TINY_FLAT = {"months": 6, "replications": 3, "world_partnerships_morocco": 1, "world_partnerships_turkey": 1,
             "world_unpartnered_north": 1, "world_unpartnered_south": 1, "world_staff_per_municipality": 4,
             "world_migrants_per_city": 6}
JOB_FILES = ("series.parquet", "summary.parquet", "summary.csv", "initiatives.parquet", "partnerships.parquet",
             "countries.parquet", "channels.parquet", "config.yaml",
             "learning_over_time.pdf", "learning_over_time.png", "learning_by_channel.pdf",
             "learning_by_channel.png", "DONE.json")
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
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start the good run and every bad input at once (they are independent); finish them lazily."""
    procs = {}
    good = tmp_path_factory.mktemp("good")
    procs["good"] = (start(TINY, good), good)
    sweep = tmp_path_factory.mktemp("sweep")
    args = ["-m", "programme.duration=6,12", "replications=2", f"hydra.sweep.dir={sweep / 'sweep'}"]
    procs["sweep"] = (start(args + [a for a in TINY if not a.startswith("replications=")], sweep), sweep)
    for name, (args, _) in BAD_INPUTS.items():
        cwd = tmp_path_factory.mktemp(name)
        procs[name] = (start(args + TINY, cwd), cwd)  # flags (-m) before the overrides
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
                                                                                            "initiatives.parquet")),
                            "partnerships": 3 * 7 * len(pd.read_parquet(folder / "partnerships.parquet")
                                                         .partnership.unique()),
                            "countries": len(pd.read_parquet(folder / "countries.parquet")),
                            "channels": 3 * 2 * 6 * len(CHANNELS)}  # replications x sides x domains x channels
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


def test_a_job_of_another_model_version_is_stale(tmp_path, monkeypatch):
    """A finished job records the model's sources in its configuration hash: after a change to the model
    (here: another value of c2c_sim.compiled.SOURCES) the folder is no longer done, so a resumed sweep
    reruns it instead of reusing results the old model computed."""
    import c2c_sim.compiled as compiled
    from c2c_sim.cli import run_job
    from c2c_sim.storage import is_done

    monkeypatch.setenv("C2C_SIM_JOB_FIGURE", "0")
    cfg = make_config({**TINY_FLAT, "replications": 2})
    run_job(cfg, tmp_path / "job", figure=False)
    assert is_done(tmp_path / "job", cfg)
    monkeypatch.setattr(compiled, "SOURCES", "another-model-version")
    assert not is_done(tmp_path / "job", cfg)


def test_rerun_with_another_config_does_not_skip(runs, tmp_path, monkeypatch):
    """The skip is not blind: a done folder of another configuration is recomputed (run_job, in-process)."""
    from omegaconf import OmegaConf

    from c2c_sim.cli import run_job
    from c2c_sim.config import to_dict

    res, cwd = runs("good")
    assert res.returncode == 0, res.stderr
    folder = tmp_path / "job"
    shutil.copytree(job_dir(cwd), folder)
    monkeypatch.setenv("C2C_SIM_JOB_FIGURE", "0")
    same = run_job(OmegaConf.create(to_dict(make_config(TINY_FLAT))), folder, progress=False)
    assert len(same) == 3  # skipped: read back from the folder
    assert json.loads((folder / "DONE.json").read_text())["rows"]["summary"] == 3
    other = run_job(OmegaConf.create(to_dict(make_config({**TINY_FLAT, "replications": 2}))), folder,
                    progress=False)
    assert len(other) == 2
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


def test_sweep_writes_one_done_job_per_value(runs):
    res, cwd = runs("sweep")
    sweep_dir = cwd / "sweep"
    assert res.returncode == 0, res.stderr[-3000:]
    markers = sorted(sweep_dir.glob("*/DONE.json"))
    assert len(markers) == 2, [str(m) for m in sweep_dir.rglob("*")]
    durations, summaries = set(), []
    for marker in markers:
        job = marker.parent
        written = yaml.safe_load((job / "config.yaml").read_text())
        durations.add(written["programme"]["duration"])
        assert written["months"] == 6 and written["replications"] == 2
        assert json.loads(marker.read_text())["rows"]["summary"] == 2
        assert "programme.duration" in job.name  # readable job folder names
        summaries.append(pd.read_parquet(job / "summary.parquet"))
    assert durations == {6, 12}
    assert not (cwd / "results").exists()
    # over a 6-month horizon a 6- and a 12-month programme pay the same months: same seeds, same results
    pd.testing.assert_frame_equal(summaries[0], summaries[1], check_exact=True)


# ---------------------------------------------------------------------------------------------- preflight in-process
PREFLIGHT_BAD = {
    "bad_domain": (["knowledge.staff_north.sport=0.3"], ["knowledge.staff_north.sport"]),
    "bad_choice": (["network.model=star"], ["network.model", "star", "multi_actor"]),
    "null": (["trust.initial=null"], ["trust.initial"]),
    "append_unknown": (["+trust.foo=1"], ["trust.foo"]),
    "section_as_value": (["trust=0.3"], ["trust"]),
    "bool_as_int": (["programme.learning_strategy=1"], ["programme.learning_strategy", "bool"]),
    "name_as_int": (["name=42"], ["name", "str"]),
    "workers_zero": (["workers=0"], ["workers", "1 <= value <= 256"]),
    "huge_seed": (["seed=1180591620717411303424"], ["seed"]),
    "list_for_float": (["trust.initial=[0.1,0.2]"], ["trust.initial", "float"]),
    "sweep_bad_preset": (["-m", "network=classic,star"], ["network", "star", "multilevel_hybrid"]),
    "sweep_bad_value_in_range": (["-m", "months=range(0,3)"], ["months", "0"]),
    "unknown_experiment": (["experiment=nope"], ["experiment", "nope", "spillover"]),
    "domain_dict_missing": (["knowledge.staff_north={youth_participation:0.5}"],
                            ["knowledge.staff_north", "missing"]),
}


@pytest.mark.parametrize("case", sorted(PREFLIGHT_BAD))
def test_preflight_rejects_bad_input_with_one_line(capsys, case):
    from c2c_sim.cli import EXIT_BAD_INPUT, preflight

    args, words = PREFLIGHT_BAD[case]
    with pytest.raises(SystemExit) as info:
        preflight(args)
    assert info.value.code == EXIT_BAD_INPUT == 2
    err = capsys.readouterr().err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("c2c-sim: error:"), err
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("args", [
    TINY,
    ["-m", "months=range(1,3)"],
    ["programme=long_term", "programme.duration=12"],
    ["-m", "network=classic,multi_actor,multilevel_hybrid", "programme=none,piecemeal"],
    ["scenario=zeist_berkane", "knowledge.staff_north.environment=0.3"],
    ["hydra.run.dir=somewhere", "hydra.job.chdir=true"],
    ["--cfg", "job"],
])
def test_preflight_accepts_valid_input(capsys, args):
    from c2c_sim.cli import preflight

    preflight(args)  # returns without exiting
    assert capsys.readouterr().err == ""


def test_integer_given_as_a_whole_float_is_accepted_the_same_way_by_both_doors(capsys):
    """A sampler's 6.0 is 6 in make_config and on the command line (Hydra's schema is given 6); 6.5 is refused."""
    from c2c_sim.cli import preflight

    assert make_config(months=6.0).months == 6
    assert preflight(["months=6.0", "-m", "programme.duration=12.0,24"]) == \
        ["months=6", "-m", "programme.duration=12,24"]
    with pytest.raises(SystemExit) as exc:
        preflight(["months=6.5"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "months=6.5 has the wrong type: expected int" in err[0]


@pytest.mark.parametrize("args, words", [
    (["--rerunn", "x"], ["unknown option '--rerunn'", "--rerun"]),
    (["--config-dir", "results/runs/x", "--config-name", "config"], ["--config-dir", "--rerun"]),
    (["-cp", "elsewhere"], ["-cp", "--rerun"]),
])
def test_preflight_refuses_unknown_and_config_search_options(capsys, args, words):
    from c2c_sim.cli import preflight

    with pytest.raises(SystemExit) as exc:
        preflight(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and all(w in err[0] for w in words), err


def test_preflight_knows_every_flag_hydra_lists(tmp_path):
    """The preflight tells Hydra's flags from overrides with its own table (Hydra's parser is private): it
    must name exactly the flags that this Hydra's --hydra-help lists."""
    import re

    from c2c_sim.cli import HYDRA_FLAGS

    res = c2c_sim(["--hydra-help"], tmp_path)
    assert res.returncode == 0, res.stderr
    listed = {f for line in res.stdout.splitlines() if (m := re.match(r"^(-[-a-z]+(?:,-[-a-z]+)?) :", line))
              for f in m.group(1).split(",")}
    assert listed == set(HYDRA_FLAGS)


def test_a_run_folder_reruns_bit_for_bit(tmp_path):
    """c2c-sim --rerun <folder> composes exactly the saved configuration (values off the defaults, a preset,
    a domain weight, a whole float) and gives the same tables; load_config reads the same file."""
    import c2c_sim as api

    args = TINY + ["name=mine", "programme=long_term", "trust.initial=0.35", "programme.duration=5.0",
                   "knowledge.staff_north.environment=0.3", "migrants.facilitator=false"]
    first = c2c_sim(args + [f"hydra.run.dir={tmp_path / 'first'}"], tmp_path)
    assert first.returncode == 0, first.stderr
    again = c2c_sim(["--rerun", str(tmp_path / "first"), f"hydra.run.dir={tmp_path / 'again'}"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "rerunning" in again.stderr
    for name in ("series", "summary", "initiatives"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "again" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "first" / f"{name}.parquet"), check_exact=True)
    cfg = api.load_config(tmp_path / "first")
    assert cfg == api.load_config(tmp_path / "again" / "config.yaml") == api.load_config(tmp_path / "first" /
                                                                                         ".hydra" / "config.yaml")
    assert cfg.programme.duration == 5 and cfg.trust.initial == 0.35 and cfg.name == "mine"
    pd.testing.assert_frame_equal(api.run_replications(cfg).summary,
                                  pd.read_parquet(tmp_path / "first" / "summary.parquet"), check_exact=True)
    head = (tmp_path / "first" / "config.yaml").read_text().splitlines()[0]
    info = json.loads((tmp_path / "first" / "DONE.json").read_text())
    assert head.startswith(f"# c2c_sim {api.__version__}, git commit ") and info["c2c_sim_version"] == api.__version__
    assert info["git_commit"] is None or info["git_commit"].split("-")[0] in head
    more = c2c_sim(["--rerun", str(tmp_path / "first"), "replications=2", f"hydra.run.dir={tmp_path / 'more'}"],
                   tmp_path)
    assert more.returncode == 0, more.stderr
    assert len(pd.read_parquet(tmp_path / "more" / "summary.parquet")) == 2  # later overrides change the rerun


def test_rerun_of_a_folder_without_a_config_exits_2(tmp_path):
    res = c2c_sim(["--rerun", str(tmp_path)], tmp_path)
    assert res.returncode == 2 and "no saved configuration" in res.stderr and len(res.stderr.splitlines()) == 1
