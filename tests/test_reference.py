"""The engine's hot rules against the idiomatic Mesa reference (issue 4), and the benchmark's quick mode.

The oracle: on 20 seeds the array engine (:class:`c2c_sim.reference.VectorKernel`
over :mod:`c2c_sim.rules`, and over the engine's numba kernels) and the Mesa
reference (:class:`c2c_sim.reference.ReferenceModel`, each agent's ``step``
looping over its ties in Python) give the same mean trajectories, |z| < 3 at
every step, with synchronous updates in both. Fed the same contacts they agree
to rounding; and the oracle does catch the classic fancy-index trust bug.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from c2c_sim import kernels, rules
from c2c_sim.reference import OUTCOMES, ReferenceModel, VectorKernel, compare, make_population, random_ties, z_scores

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
@pytest.mark.parametrize("backend", VectorKernel.BACKENDS)
def test_same_contacts_same_numbers(backend):
    """Fed the same contacts, every engine backend and the Mesa reference agree to rounding."""
    pop = make_population(300, 7)
    ref = ReferenceModel(pop, seed=1)
    eng = VectorKernel(pop, seed=2, backend=backend)
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
    for backend in VectorKernel.BACKENDS:
        eng = VectorKernel(pop, seed=1, backend=backend)
        eng.apply(np.array([e, e]))
        assert eng.trust[e] == pytest.approx(expected, abs=1e-15)
    assert ref.ties[e].trust == pytest.approx(expected, abs=1e-15)


# ---------------------------------------------------------------- the oracle
@pytest.mark.parametrize("backend", ["numpy", "fast"])
def test_oracle_mean_trajectories_agree(backend):
    """20 seeds, every step, every outcome: |z| < 3 (synchronous updates on both sides)."""
    r = compare(n=300, steps=12, seeds=20, engine=lambda p, s: VectorKernel(p, seed=s, backend=backend))
    assert set(r.max_abs_z) == set(OUTCOMES)
    assert r.overall < 3.0, r.max_abs_z
    assert r.seconds < 30


def test_oracle_catches_fancy_index_trust():
    """An engine that updates trust by fancy-index assignment (a second contact lost) fails the oracle."""

    class FancyIndexTrust(VectorKernel):
        def apply(self, tie):
            before = self.trust.copy()
            super().apply(tie)
            g = np.clip(self.p.growth * (1 - self.pop.distance), 0, 1)
            trust = before * (1 - self.p.decay)
            trust[tie] = 1 - (1 - before[tie]) * (1 - g[tie])  # the bug: repeated ties assigned once
            self.trust = trust

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


# ---------------------------------------------------------------- the numba prototypes
def test_kernels_match_rules_on_random_inputs():
    rng = np.random.default_rng(11)
    A, D, I = 60, 6, 400
    e, t = rng.random((A, D)), rng.random((A, D)) * 0.8
    r, s = rng.integers(0, A, I), rng.integers(0, A, I)
    kw = dict(explicit_rate=0.3, tacit_rate=0.15, absorptive_base=0.3, bounded_gap=0.6, tacit_exponent=2.0)
    args = (e, t, r, s, rng.random(I), rng.random(I) * 0.5, rng.random(I) < 0.5, rng.random((I, D)) * 2,
            (rng.random(I) < 0.8).astype(float), rng.random(A))
    for got, want in zip(kernels.transfer_knowledge(*args, **kw), rules.transfer_knowledge(*args, **kw)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
    empty = np.zeros(0, np.int64)
    got = kernels.transfer_knowledge(e, t, empty, empty, np.zeros(0), np.zeros(0), np.zeros(0, bool),
                                     np.zeros((0, D)), np.zeros(0), rng.random(A), **kw)
    assert np.array_equal(got[0], e) and np.array_equal(got[1], t)
    T = 300
    targs = (rng.random(T), rng.integers(0, 4, T), rng.random(T) < 0.3, rng.random(T))
    tkw = dict(growth=0.2, decay=0.02, bridge_boost=1.0)
    np.testing.assert_allclose(kernels.update_trust(*targs, **tkw), rules.update_trust(*targs, **tkw), atol=1e-14)
    used = rng.random(A) < 0.5
    np.testing.assert_array_equal(kernels.forget_unused(e, t, used, 0.02), rules.forget_unused(e, t, used, 0.02))
    dargs = (rng.random((7, 10, D)), rng.random((7, 10, D)), rng.random((7, 10)) < 0.3, rng.random((7, D)) * 0.2)
    dkw = dict(internal_rate=0.1, institutionalisation_rate=0.05)
    dargs[2][0] = False  # an organisation where no one took part
    for got, want in zip(kernels.disseminate_internally(*dargs, **dkw), rules.disseminate_internally(*dargs, **dkw)):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


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
