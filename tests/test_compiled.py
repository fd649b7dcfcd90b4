"""The compiled month: the same code runs uncompiled, draws each replication's fixed row of numbers, sees
edits of the world between months, and recompiles after any edit of the sources."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import pytest

import c2c_sim
from c2c_sim import compiled
from c2c_sim.engine import Engine
from c2c_sim.world import TieType

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"world_partnerships_morocco": 1, "world_partnerships_turkey": 1, "world_unpartnered_north": 1,
         "world_unpartnered_south": 1, "world_staff_per_municipality": 4, "world_migrants_per_city": 6,
         "months": 12, "network": "multilevel_hybrid", "migrants_outreach": 0.1,
         "dissemination_turnover_rate": 0.1, "shocks_termination_month": 8, "shocks_terminated_share": 0.5}
SUMMARY_SCRIPT = ("import json, sys\n"
                  "import c2c_sim\n"
                  "params = json.loads(sys.argv[1])\n"
                  "res = c2c_sim.run_replications(c2c_sim.make_config(params), replications=2, seed=3)\n"
                  "print(json.dumps({'series': res.series.drop(columns=['seed', 'date']).to_numpy().tolist(),\n"
                  "                  'inits': res.initiatives.to_numpy().tolist()}))\n")


def series_of(params: dict, env: dict | None = None, cwd: Path | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-c", SUMMARY_SCRIPT, json.dumps(params)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_uncompiled_rules_give_the_compiled_numbers():
    """NUMBA_DISABLE_JIT=1 runs the same functions as Python (the debugger's path): the same numbers."""
    res = c2c_sim.run_replications(c2c_sim.make_config(SMALL), replications=2, seed=3)
    plain = series_of(SMALL, {"NUMBA_DISABLE_JIT": "1"})
    got = np.array(plain["series"], float)
    want = res.series.drop(columns=["seed", "date"]).to_numpy(float)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=0, atol=1e-12, equal_nan=True)
    assert plain["inits"] == res.initiatives.to_numpy().tolist()
    assert res.series["exchange_events"].sum() > 0 and res.summary["migrants_involved"].min() > 0


def test_step_by_step_and_run_give_the_same_numbers(make_tiny):
    cfg = make_tiny(**{k: v for k, v in SMALL.items() if not k.startswith("world")})
    stepped = Engine(cfg, [np.random.default_rng(s) for s in (5, 6)])
    for _ in range(cfg.months):
        stepped.step()
    ran = Engine(cfg, [np.random.default_rng(s) for s in (5, 6)]).run()
    for k, v in stepped.history().items():
        assert np.array_equal(v, ran.history()[k], equal_nan=True), k
    assert np.array_equal(stepped.initiative_records(), ran.initiative_records())


def test_each_month_draws_the_replications_row_in_order(make_tiny):
    """Outreach (one per migrant), events (per partnership), ties, staff, CSO uniforms, then the noise: the
    first numbers of each replication's own generator, whatever else is in the batch."""
    cfg = make_tiny(migrants_outreach=0.2)
    eng = Engine(cfg, [np.random.default_rng(s) for s in (7, 8)])
    copies = [np.random.default_rng(s) for s in (7, 8)]
    for g in copies:  # what building the world drew, and the second stream's spawn
        Engine(cfg, [g])
    eng.step()
    w, d, lay = eng.world, eng.state.draws, eng.state.layout
    from c2c_sim.state import replication

    for r, g in enumerate(copies):
        rep = replication(lay, r)
        n = [rep.mig1 - rep.mig0, rep.p1 - rep.p0, rep.tie1 - rep.tie0, rep.staff1 - rep.staff0,
             rep.cso1 - rep.cso0]
        u = g.random(sum(n))
        parts = np.split(u, np.cumsum(n)[:-1])
        assert np.array_equal(d.outreach[rep.mig0:rep.mig1], parts[0])
        assert np.array_equal(d.events[rep.p0:rep.p1], parts[1])
        assert np.array_equal(d.ties[rep.tie0:rep.tie1], parts[2])
        assert np.array_equal(d.staff[rep.staff0:rep.staff1], parts[3])
        i0, i1 = rep.cso0 - rep.first_cso, rep.cso1 - rep.first_cso
        assert np.array_equal(d.csos[i0:i1], parts[4])
        assert np.array_equal(d.noise[i0:i1], cfg.cso.momentum_noise * g.standard_normal(i1 - i0))
    assert w.n_reps == 2


def test_month_rows_do_not_depend_on_rates_or_roles(make_tiny):
    """Common random numbers: a replication's monthly row is the same whatever outreach, noise or the
    facilitator role, so comparing such settings compares them on the same draws."""
    rows = []
    for params in ({}, {"migrants_outreach": 0.3, "cso_momentum_noise": 0.0, "migrants_facilitator": False}):
        eng = Engine(make_tiny(**params), [np.random.default_rng(21)])
        for _ in range(4):
            eng.step()
        rows.append([a.copy() for a in eng.state.draws])
    assert rows[1][0].size and rows[1][2].size
    for i in range(5):  # every uniform of month 4 is the same; the noise differs only by its scale (0 here)
        assert np.array_equal(rows[0][i], rows[1][i]), i
    assert not rows[1][5].any() and rows[0][5].any()


@pytest.mark.parametrize("edit", ["involve_all", "end_partnership", "replace_trust"])
def test_edits_of_the_world_between_months_are_seen(make_tiny, edit):
    """A researcher may edit the world between months (a branched scenario, an intervention), in place or by
    replacing an array: the next month works on the edited world."""
    cfg = make_tiny(migrants_involvement=0.0, months=6, dissemination_transnational_contact_rate=1.0)
    eng = Engine(cfg, [np.random.default_rng(s) for s in (3, 4)])
    eng.step()
    w = eng.world
    migrant_ties = np.isin(w.src, np.flatnonzero(w.kind == 2)) | np.isin(w.dst, np.flatnonzero(w.kind == 2))
    assert not eng.state.use.enabled[migrant_ties].any()
    if edit == "involve_all":
        w.involved[w.kind == 2] = True
        eng.step()
        assert eng.state.use.enabled[migrant_ties].all()
        assert eng.metrics["migrants_involved"].tolist() == [12.0, 12.0]
        assert (w.last_contact[migrant_ties] == 2).any()  # they had contacts this month
    elif edit == "end_partnership":
        w.alive[0] = False
        eng.step()
        ended = (w.tie_partnership == 0) & (w.tie_type == TieType.PARTNERSHIP)
        assert not eng.state.use.enabled[ended].any() and eng.metrics["partnerships_alive"].tolist() == [1.0, 2.0]
    else:
        w.trust = np.full_like(w.trust, 0.999)
        eng.step()
        assert eng.state.ties.trust is w.trust  # the month worked on the new array
        assert eng.metrics["mean_trust"].min() > 0.85  # not the 0.2-0.5 trust ties start with


def test_the_compile_notice_speaks_only_when_a_first_call_is_slow(monkeypatch):
    monkeypatch.setattr(compiled, "NOTICE_AFTER", 0.05)
    monkeypatch.setattr(compiled, "_noticed", set())
    err = io.StringIO()
    with redirect_stderr(err):
        with compiled.compile_notice("a slow thing"):
            time.sleep(0.3)
        with compiled.compile_notice("a slow thing"):  # the second time: silent
            time.sleep(0.3)
        with compiled.compile_notice("a quick thing"):
            pass
    text = err.getvalue()
    assert text.count("numba is compiling") == 1 and "compiled in" in text


def test_the_cache_folder_is_named_after_every_model_source(tmp_path):
    """Any edit of a source compiled code depends on gives another cache folder, so no compiled function
    keeps an old callee; an edit of the command line or the plotting recompiles nothing."""
    names = {p.name for p in compiled.model_sources()}
    assert {"rules.py", "engine.py", "metrics.py", "state.py", "world.py", "config.py", "compiled.py"} <= names
    assert not names & {"cli.py", "plotting.py", "storage.py", "experiment.py"}
    copy = tmp_path / "c2c_sim"
    shutil.copytree(ROOT / "c2c_sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    code = "import c2c_sim.compiled as c; print(c.cache_dir())"

    def folder() -> str:
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=True, timeout=120)
        return proc.stdout.strip()

    before = folder()
    assert Path(before).name == f"numba-{compiled.SOURCES}"  # the same sources as this checkout
    with open(copy / "plotting.py", "a") as f:
        f.write("\n# an edit\n")
    assert folder() == before
    with open(copy / "metrics.py", "a") as f:
        f.write("\n# an edit\n")
    assert folder() != before


@pytest.mark.slow
def test_an_edited_rule_is_what_the_next_run_runs(tmp_path):
    """The trap of a second copy of a rule, and of a stale compiled cache: edit the initiative rule in a copy
    of the package (double the volunteer decay inside rules.update_initiatives) and the default compiled run
    of that copy sees it (initiatives stall sooner)."""
    copy = tmp_path / "c2c_sim"
    shutil.copytree(ROOT / "c2c_sim", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("configs", "experiments"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    src = (copy / "rules.py").read_text()
    old = "m = min(1.0, m - decay + "
    assert src.count(old) == 1
    (copy / "rules.py").write_text(src.replace(old, "m = min(1.0, m - 2 * decay + "))
    params = {**SMALL, "months": 36}
    edited = series_of(params, {"PYTHONPATH": str(tmp_path)}, cwd=tmp_path)
    original = c2c_sim.run_replications(c2c_sim.make_config(params), replications=2, seed=3)
    stalled = list(original.series.columns.drop(["seed", "date"])).index("initiatives_stalled")
    edited_stalls = np.array(edited["series"], float)[:, stalled].sum()
    assert edited_stalls > original.series["initiatives_stalled"].sum()


def _summary(cfg, n: int = 8) -> dict[str, float]:
    return c2c_sim.run_replications(cfg, replications=n, seed=11).summary.mean(numeric_only=True)


def test_the_initiative_rule_is_wired_to_the_default_run(make_tiny):
    """rules.update_initiatives: faster loss of volunteer momentum -> initiatives stall sooner in the default
    (compiled) run."""
    base = dict(months=36, cso_start_rate=0.2, cso_support=0.3)
    slow = _summary(make_tiny(**base, cso_volunteer_decay=0.02))
    fast = _summary(make_tiny(**base, cso_volunteer_decay=0.2))
    assert fast["initiative_survival_months"] < 0.8 * slow["initiative_survival_months"]
    assert fast["initiatives_stalled"] > slow["initiatives_stalled"]


def test_the_trust_rule_is_wired_to_the_default_run(make_tiny):
    """rules.update_trust: a larger share of missing trust gained per interaction -> higher partnership trust."""
    low = _summary(make_tiny(months=24, trust_growth=0.05))
    high = _summary(make_tiny(months=24, trust_growth=0.5))
    assert high["mean_trust_partnership"] > low["mean_trust_partnership"] + 0.05
    no_decay = _summary(make_tiny(months=24, trust_growth=0.2, trust_decay=0.0))
    decay = _summary(make_tiny(months=24, trust_growth=0.2, trust_decay=0.2))
    assert decay["mean_trust_partnership"] < no_decay["mean_trust_partnership"]
