"""The model's hot rules against the idiomatic Mesa reference, and the benchmark's quick mode.

The oracle (``benchmarks/mesa_reference.py``, outside the package): on 20 seeds
the model's own compiled rules driven on a synthetic population
(:class:`VectorKernel`, calling :func:`c2c_sim.rules.transfer_knowledge` and the
others) and the Mesa reference (:class:`ReferenceModel`, each agent's ``step``
looping over its ties in Python) give the same mean trajectories, |z| < 3 at every
step, with synchronous updates in both. Fed the same contacts they agree to
rounding, also off the default parameters; and the oracle does catch the classic
fancy-index trust bug.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mesa_reference import (
    OUTCOMES,
    KernelParams,
    ReferenceModel,
    VectorKernel,
    compare,
    make_population,
    random_ties,
    z_scores,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench.py"


def reference_state(ref: ReferenceModel) -> tuple[np.ndarray, ...]:
    return (np.array([a.explicit for a in ref.people]), np.array([a.tacit for a in ref.people]),
            np.array([t.trust for t in ref.ties]), np.array([o.memory for o in ref.orgs]))


# ---------------------------------------------------------------- the shared setup
def test_population_is_the_kernel_described():
    pop = make_population(1000, 3)
    assert pop.n == 1000 and pop.n_orgs == 100 and pop.n_domains == 6
    assert pop.n_ties == 3000  # mean degree 6
    keys = pop.src.astype(np.int64) * pop.n + pop.dst
    assert len(np.unique(keys)) == pop.n_ties and np.all(pop.src < pop.dst)
    assert np.array_equal(pop.f2f, pop.country[pop.src] == pop.country[pop.dst])
    assert pop.agenda.mean() == pytest.approx(1.0)
    assert np.array_equal(pop.memory0, pop.explicit0.reshape(100, 10, 6).mean(axis=1))
    with pytest.raises(ValueError):
        make_population(1001, 3)
    with pytest.raises(ValueError):
        random_ties(np.random.default_rng(0), 4, 7)


def test_contact_draws_have_the_reference_distribution():
    """Both ends of every tie reach out with probability p: contacts per tie ~ Binomial(2, p)."""
    pop = make_population(500, 1)
    k = VectorKernel(pop, seed=4)
    counts = np.stack([np.bincount(k.draw_contacts(), minlength=pop.n_ties) for _ in range(400)])
    p = pop.params.p_contact
    assert counts.max() <= 2
    share = np.bincount(counts.ravel(), minlength=3) / counts.size
    expected = np.array([(1 - p) ** 2, 2 * p * (1 - p), p ** 2])
    assert np.allclose(share, expected, atol=0.004)


# ---------------------------------------------------------------- exact agreement
def test_same_contacts_same_numbers():
    """Fed the same contacts, the model's rules and the Mesa reference agree to rounding."""
    pop = make_population(300, 7)
    ref = ReferenceModel(pop, seed=1)
    eng = VectorKernel(pop, seed=2)
    for _ in range(12):
        tie = eng.draw_contacts()
        ref.apply(tie)
        eng.apply(tie)
    for mine, theirs in zip((eng.explicit, eng.tacit, eng.trust, eng.memory), reference_state(ref)):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-12)
    assert eng.trust.mean() != pytest.approx(pop.trust0.mean())  # something happened


def test_second_contact_on_a_tie_counts():
    """The trap of the issue: two contacts on one tie in a step grow trust twice, on both sides."""
    pop = make_population(100, 2)
    e = 5
    g = pop.params.growth * (1 - pop.distance[e])
    expected = 1 - (1 - pop.trust0[e]) * (1 - g) ** 2
    ref = ReferenceModel(pop, seed=1)
    ref.apply(np.array([e, e]))
    eng = VectorKernel(pop, seed=1)
    eng.apply(np.array([e, e]))
    assert eng.trust[e] == pytest.approx(expected, abs=1e-15)
    assert ref.ties[e].trust == pytest.approx(expected, abs=1e-15)


# ---------------------------------------------------------------- the oracle
def test_oracle_mean_trajectories_agree():
    """20 seeds, every step, every outcome: |z| < 3 (synchronous updates on both sides)."""
    r = compare(n=300, steps=12, seeds=20)
    assert set(r.max_abs_z) == set(OUTCOMES)
    assert r.overall < 3.0, r.max_abs_z
    assert r.seconds < 30


def test_oracle_catches_fancy_index_trust():
    """An engine that updates trust by fancy-index assignment (a second contact lost) fails the oracle."""

    class FancyIndexTrust(VectorKernel):
        def apply(self, tie):
            before, met = self.trust.copy(), self.ever.copy()
            super().apply(tie)
            g = np.clip(self.p.growth * (1 - self.pop.distance), 0, 1)
            trust = np.where(met, before * (1 - self.p.decay), before)
            trust[tie] = 1 - (1 - before[tie]) * (1 - g[tie])  # the bug: repeated ties assigned once
            self.trust[:] = trust

    r = compare(n=300, steps=12, seeds=20, engine=lambda p, s: FancyIndexTrust(p, seed=s))
    assert r.max_abs_z["trust"] > 3.0


def test_z_scores():
    a = {"x": np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])}
    b = {"x": np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]]) + 1e-15}
    assert np.all(z_scores(a, b)["x"] == 0)  # rounding-level differences count as none
    c = {"x": a["x"] + np.array([[0.0, 10.0]])}
    assert z_scores(c, a)["x"][1] > 3
    assert np.isinf(z_scores(c, a, paired=True)["x"][1])  # a constant shift: infinitely significant when paired
    d = {"x": a["x"] + np.array([[0.0, 1.0], [0.0, 1.1], [0.0, 0.9]])}
    assert z_scores(d, a, paired=True)["x"][1] > 3


# ---------------------------------------------------------------- off the defaults
def test_rules_agree_with_the_reference_off_defaults_and_on_edge_cases():
    """Fed the same contacts, the model's rules and the Mesa reference agree step by step off the default
    parameters (a bounded gap that binds, other rates and exponent) and on edge cases: steps without
    contacts (everyone forgets, no organisation has a sharer), ties contacted two and three times, every
    tie at once, unsorted contacts."""
    params = KernelParams(p_contact=0.3, explicit_rate=0.5, tacit_rate=0.25, absorptive_base=0.1, bounded_gap=0.35,
                          tacit_exponent=1.5, growth=0.35, decay=0.05, forget_rate=0.1, internal_rate=0.2,
                          institutionalisation_rate=0.1)
    pop = make_population(200, 5, params=params)
    E = pop.n_ties
    rng = np.random.default_rng(11)
    none = np.zeros(0, np.int64)
    steps = [none, rng.integers(0, E, 40), none, np.repeat(rng.integers(0, E, 20), 2),
             np.repeat(rng.integers(0, E, 10), 3), rng.permutation(E), none]
    drive = VectorKernel(pop, seed=3)
    steps += [drive.draw_contacts() for _ in range(8)]
    eng, ref = VectorKernel(pop, seed=1), ReferenceModel(pop, seed=1)
    for i, tie in enumerate(steps):
        eng.apply(tie)
        ref.apply(tie)
        for name, theirs in zip(("explicit", "tacit", "trust", "memory"), reference_state(ref)):
            np.testing.assert_allclose(getattr(eng, name), theirs, rtol=0, atol=1e-12,
                                       err_msg=f"{name} after step {i + 1}")
    assert np.abs(eng.explicit - pop.explicit0).max() > 1e-3  # something was learned


# ---------------------------------------------------------------- the benchmark stays runnable
def _bench(tmp_path: Path, *only: str) -> tuple[str, dict]:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(BENCH), "--quick", "--json", str(out)] + (["--only", *only] if only else [])
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_bench_quick_runs_and_prints_each_section(tmp_path):
    text, res = _bench(tmp_path, "oracle", "speed", "default", "state")
    for header in ("machine: nproc", "(1) ORACLE", "SYNCHRONOUS", "(2) HOT RULES", "(3) DEFAULT SCENARIO",
                   "(5) STATE BYTES", "SUMMARY", "PASS", "target"):
        assert header in text, header
    assert res["quick"] is True
    assert res["oracle"]["overall"] < 3
    assert res["speed"]["rows"][0]["reference"] > 0
    assert res["default"]["default_runs_per_s_core"] > 0
    assert res["state"]["state_bytes_per_agent"] > 0


@pytest.mark.slow
def test_bench_quick_hydra_sweep(tmp_path):
    text, res = _bench(tmp_path, "sweep")
    assert "(4) HYDRA SWEEP" in text and "runs/s" in text
    assert res["sweep"]["runs"] == res["sweep"]["jobs"] * res["sweep"]["replications"]
    assert res["sweep"]["sweep_runs_per_s"] > 0
