"""c2c-sim-calibrate: ABC rejection recovers a known parameter, resumes, is worker-independent, refuses bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from c2c_sim import calibrate as C
from c2c_sim import priors
from c2c_sim.config import make_config

SMALL = (("world.staff_per_municipality", 4), ("world.migrants_per_city", 10))
KEY = "municipality.own_activity_rate"
TRUTH = 1.4  # not the default (0.6): the defaults' own point must not be the truth


def recovery_settings(**kw) -> C.Settings:
    return C.Settings(**{"samples": 32, "replications": 4, "accept": 0.2, "params": (KEY,),
                         "targets": ("activity_after_cut",), "overrides": SMALL, "synthetic": ((KEY, TRUTH),), **kw})


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "recovery"
    summary = C.run(recovery_settings(), out, workers=1, progress=False, log=lambda s: None)
    return out, summary


def test_recovers_a_known_parameter_from_a_synthetic_target(recovered):
    """Targets made by the model at own_activity_rate = 1.4: the posterior holds 1.4, sits around it and is much
    narrower than the prior [0, 2] (ABC rejection on the Sobol' sample suffices for this). The statistic
    flattens above 1 (activity after the cut changes little with more own means), so the posterior is
    wider there than at low rates, and its median (1.26 with these 32 points) lies a little below the truth."""
    out, summary = recovered
    acc = pd.read_parquet(out / "accepted.parquet")
    x = acc[KEY].to_numpy()
    assert x.min() <= TRUTH <= x.max() and abs(np.median(x) - TRUTH) < 0.2, x
    lo, hi = priors.bounds(KEY)
    assert (x.max() - x.min()) < 0.3 * (hi - lo)
    assert summary["accepted"] == len(acc) >= 6
    # every output is there and readable
    for name in ("samples.parquet", "defaults.parquet", "targets.csv", "posterior.csv", "posterior.png", "posterior.pdf",
                 "calibrated.yaml", "report.md", C.MARKER):
        assert (out / name).is_file(), name
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 32 and {KEY, "distance", *C.TARGET_NAMES} <= set(samples.columns)
    assert (acc["distance"] <= samples["distance"].quantile(0.25)).all()
    # the defaults (0.6) are not the truth: their point misses the synthetic target, and the report says how far
    assert summary["defaults_distance"] > 0
    assert f"The defaults lie at distance {summary['defaults_distance']:.3g} " in (out / "report.md").read_text()


def test_calibrated_preset_is_the_timeline_with_the_medians(recovered):
    import yaml
    from omegaconf import OmegaConf

    from c2c_sim.config import validate

    out, summary = recovered

    data = yaml.safe_load((out / "calibrated.yaml").read_text())
    assert data["name"] == "calibrated"
    assert data["municipality"]["own_activity_rate"] == pytest.approx(summary["medians"][KEY], abs=1e-6)
    timeline = make_config(scenario="timeline")
    cfg = validate(OmegaConf.to_container(OmegaConf.create(data), resolve=True))  # it stands alone
    assert cfg.municipality.own_activity_rate == pytest.approx(summary["medians"][KEY], abs=1e-6)
    assert (cfg.months, cfg.shocks.funding_cut_month, cfg.programme.successor_start) == \
        (timeline.months, timeline.shocks.funding_cut_month, timeline.programme.successor_start)
    # the world the calibration ran in (its --set overrides, here the small world), not the timeline's
    assert (cfg.world.staff_per_municipality, cfg.world.migrants_per_city) == (4, 10) != \
        (timeline.world.staff_per_municipality, timeline.world.migrants_per_city)
    assert "world.staff_per_municipality=4" in (out / "calibrated.yaml").read_text()


def test_calibrated_preset_keeps_dated_and_preset_overrides():
    import yaml
    from omegaconf import OmegaConf

    from c2c_sim.config import validate

    settings = C.Settings(overrides=(("shocks.funding_cut_month", "2013-01"), ("programme.successor_start", "2013-01"),
                                     ("network", "multilevel_hybrid"), ("months", 210)))
    text = C.preset_text(settings, {k: float(np.mean(priors.bounds(k))) for k in settings.params})
    cfg = validate(OmegaConf.to_container(OmegaConf.create(yaml.safe_load(text)), resolve=True))
    assert cfg.shocks.funding_cut_month == 157 and cfg.programme.successor_start == 156  # 2013-01 both, as on the CLI
    assert cfg.network.model == "multilevel_hybrid" and cfg.months == 210
    assert cfg.network == settings.base().network


def test_resumes_only_missing_chunks_and_workers_do_not_matter(recovered, tmp_path):
    out, _ = recovered
    again = tmp_path / "again"
    shutil.copytree(out, again)
    (again / "chunks" / "chunk-0001.parquet").unlink()  # an interrupted run: one chunk missing
    logs = []
    C.run(recovery_settings(), again, workers=2, progress=False, log=logs.append)
    assert any("resuming: 1 of 2 chunks" in line for line in logs)
    a = pd.read_parquet(out / "samples.parquet")
    b = pd.read_parquet(again / "samples.parquet")
    # the rerun chunk (2 workers) equals the first run's (1 worker), all but its compute time
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    # the resumed run reports the compute time of every chunk, the kept one included, not only its own
    done = json.loads((again / C.MARKER).read_text())
    assert (b["seconds"] > 0).all()
    assert done["seconds"] == pytest.approx(b["seconds"].sum(), abs=0.06)
    assert done["seconds"] > b["seconds"].iloc[C.CHUNK:].sum() + 0.5 * a["seconds"].iloc[:C.CHUNK].sum()
    assert "wall_seconds" in done


def test_report_says_which_targets_barely_constrain():
    tt = pd.DataFrame({"target": ["south_share", "pair_ten_years", "circulation_multilevel", "turkish_end_2017"],
                       "prior_inside": [0.602, 0.996338, 0.967773, 0.82]})
    weak, turkish = C.constraint_notes(tt)
    assert "pair_ten_years (99.6% of the prior points inside), circulation_multilevel (96.8%" in weak
    assert "south_share" not in weak and "turkish_end_2017" not in weak
    assert turkish.startswith("turkish_end_2017 (82.0%") and "2017-03 terminations" in turkish
    assert C.constraint_notes(tt.iloc[:1]) == []  # none above 90 %, no Turkish target: nothing to say


def test_acceptance_is_worded_as_it_was_chosen():
    assert C.acceptance_text(4096, 264, 0.05, 0.0).startswith("all 264 points at distance 0")
    assert "the 205 points closest to the targets (the 5% with the smallest distance" in \
        C.acceptance_text(4096, 205, 0.05, 0.3)
    assert C.acceptance_text(100, 9, 0.05, 0.2).startswith("the 9 points at distance at most 0.2 (more than")


def test_refuses_a_folder_of_another_calibration_and_bad_settings(recovered, tmp_path, capsys):
    out, _ = recovered
    with pytest.raises(C.CalibrationError, match=r"other settings \(samples\)"):
        C.run(recovery_settings(samples=40), out, progress=False)
    assert (out / C.MARKER).is_file()  # nothing of the finished calibration was touched
    for argv, msg in ((["--samples", "2"], "at least 4"), (["--target", "nope"], "unknown target 'nope'"),
                      (["--param", "trust.nope"], "unknown parameter 'trust.nope'"),
                      (["--param", "network.model"], "cannot sample 'network.model'"),
                      (["--accept", "0"], "share in"), (["--set", "months"], "KEY=VALUE"),
                      (["--workers", "0"], "--workers 0 must be at least 1")):
        assert C.main([*argv, "--out", str(tmp_path / "bad")]) == 2
        assert msg in capsys.readouterr().err
    assert not (tmp_path / "bad" / "samples.parquet").exists()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "calibration.json").write_text("{")
    with pytest.raises(C.CalibrationError, match="corrupt"):
        C.run(recovery_settings(), tmp_path / "corrupt", progress=False)


def test_the_key_covers_the_calibration_sources_and_the_scenario(recovered, tmp_path, monkeypatch):
    """A changed target (calibrate.py), prior, runner, timeline file or resolved timeline changes the key, so a
    folder of the old calibration is refused rather than resumed."""
    from c2c_sim import config

    names = {p.name for p in C.KEY_FILES}
    assert {"calibrate.py", "priors.py", "runner.py", "timeline.yaml"} <= names
    assert all(p.is_file() for p in C.KEY_FILES)
    settings = recovery_settings()
    key = settings.key()
    edited = tmp_path / "calibrate.py"
    edited.write_text(C.KEY_FILES[0].read_text() + "\n# another target\n")
    monkeypatch.setattr(C, "KEY_FILES", (edited, *C.KEY_FILES[1:]))
    assert settings.key() != key
    monkeypatch.undo()
    assert settings.key() == key
    load = config.load_preset

    def other_timeline(group, name):  # the scenario's values changed (e.g. the successor's budget)
        data = load(group, name)
        return {**data, "programme": {**data["programme"], "successor_budget": 0.5}} if name == "timeline" else data

    monkeypatch.setattr(config, "load_preset", other_timeline)
    assert settings.base().programme.successor_budget == 0.5 and settings.key() != key
    out, _ = recovered
    with pytest.raises(C.CalibrationError, match="another version of the model, its targets or the timeline"):
        C.run(settings, out, progress=False)
    assert (out / C.MARKER).is_file()


def test_quick_gives_way_to_explicit_samples_and_replications(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(C, "run", lambda settings, out, workers: seen.append((settings, workers)) or
                        {"accepted": 0, "samples": 0, "distance_threshold": 0, "seconds": 0, "wall_seconds": 0,
                         "targets": []})
    out = ["--out", str(tmp_path)]
    assert C.main(["--quick", *out]) == 0
    assert C.main(["--quick", "--samples", "4096", "--replications", "6", "--workers", "1", *out]) == 0
    assert C.main(["--samples", "64", "--workers", "2", *out]) == 0
    (quick, _), (explicit, w1), (plain, w2) = seen
    assert (quick.samples, quick.replications) == (C.QUICK["samples"], C.QUICK["replications"])
    assert (explicit.samples, explicit.replications, w1) == (4096, 6, 1)  # given explicitly: they win over --quick
    assert dict(explicit.overrides)["world.staff_per_municipality"] == 4  # still the quick world
    assert (plain.samples, plain.replications, w2) == (64, C.DEFAULT_REPLICATIONS, 2) and plain.overrides == ()


def test_distance_counts_only_what_lies_outside_the_targets():
    t = C.TARGETS[0]
    inside = {n: 0.0 for n in C.TARGET_NAMES} | {t.name: (t.lo + t.hi) / 2}
    assert C.distance(inside, [t]) == 0
    above = dict(inside) | {t.name: t.hi + 2 * t.scale}
    assert C.distance(above, [t]) == pytest.approx(2.0)
    assert C.distance(dict(inside) | {t.name: float("nan")}, [t]) == 10.0
    assert json.dumps([c.name for c in C.TARGETS]) and len(set(C.TARGET_NAMES)) == len(C.TARGETS)
