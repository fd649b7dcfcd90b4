"""The compiled numba kernels (c2c_sim.fast) compute the same numbers as the numpy rules (c2c_sim.rules)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from c2c_sim import fast, rules
from c2c_sim.engine import Engine
from c2c_sim.metrics import Measures
from c2c_sim.world import NEVER

pytestmark = pytest.mark.skipif(not fast.AVAILABLE, reason=f"numba not available: {fast.REASON}")

TOL = 1e-12
STATE = ("explicit", "tacit", "memory", "trust", "last_contact", "participated", "involved", "alive", "momentum",
         "initiative_start", "cooldown_until", "adopted", "adoption_month", "last_exchange")

CONFIGS = {
    "default": {},
    "donor": {"programme_mode": "donor", "programme_coherence": 0.5},
    "outreach": {"migrants_outreach": 0.2, "migrants_involvement": 0.0, "trust_bridge_boost": 3.0},
    "turnover": {"dissemination_turnover_rate": 0.15, "dissemination_socialisation": 0.8},
    "multilevel_hybrid": {"network_model": "multilevel_hybrid", "dissemination_external_rate": 3.0,
                          "dissemination_adoption_threshold": 0.5},
    "termination": {"shocks_termination_month": 5, "shocks_terminated_share": 0.5, "shocks_support_cut_month": 3},
    "busy": {"programme_budget_per_year": 5000.0},  # over 30 events a month: scipy draws the counts
    "classic_bursts": {"network_model": "classic", "programme": "piecemeal", "migrants_facilitator": False,
                       "programme_learning_strategy": True, "knowledge_bounded_gap": 0.3,
                       "knowledge_heterogeneity": 0.2, "municipality_delegation_size": 2},
}


def assert_close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "biu":
        assert np.array_equal(a, b), what
    else:
        assert np.allclose(a, b, rtol=0.0, atol=TOL, equal_nan=True), (what, np.nanmax(np.abs(a - b)))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_compiled_and_numpy_engines_agree(make_tiny, name):
    cfg = make_tiny(**CONFIGS[name], months=12)
    seeds = [3, 4, 5]
    compiled = Engine(cfg, [np.random.default_rng(s) for s in seeds], compiled=True)
    numpy_ = Engine(cfg, [np.random.default_rng(s) for s in seeds], compiled=False)
    assert compiled._compiled and not numpy_._compiled
    events = 0.0
    for month in range(cfg.months + 1):
        if month:
            compiled.step()
            numpy_.step()
        for field in STATE:
            assert_close(getattr(compiled.world, field), getattr(numpy_.world, field), f"{field} in month {month}")
        assert compiled.metrics.keys() == numpy_.metrics.keys()
        for k in compiled.metrics:
            assert_close(compiled.metrics[k], numpy_.metrics[k], f"{k} in month {month}")
        events += float(compiled.metrics["exchange_events"].sum())
    assert np.array_equal(compiled.initiative_records(), numpy_.initiative_records())
    assert events > 0  # the configs do exchange


def test_configs_exercise_what_they_name(make_tiny):
    """Guard that the comparison configs really reach the code paths they are named after."""
    eng = Engine(make_tiny(**CONFIGS["turnover"]), [np.random.default_rng(3)], compiled=True)
    before = eng.world.participated.copy()
    left = 0
    for _ in range(12):
        eng.step()
        left += int((before & ~eng.world.participated).sum())
        before = eng.world.participated.copy()
    assert left > 0
    eng = Engine(make_tiny(**CONFIGS["outreach"]), [np.random.default_rng(3)], compiled=True)
    eng.run()
    assert eng.metrics["migrants_involved"][0] > 0
    eng = Engine(make_tiny(**CONFIGS["termination"]), [np.random.default_rng(3)], compiled=True)
    eng.run()
    assert eng.metrics["partnerships_alive"][0] == 1


def test_busy_config_reaches_the_scipy_event_counts(make_tiny):
    eng = Engine(make_tiny(**CONFIGS["busy"]), [np.random.default_rng(3)], compiled=True)
    eng.step()
    assert eng._rate.max() > 30 and eng.metrics["exchange_events"][0] > 60


@pytest.mark.parametrize("edit", ["involve_all", "end_partnership", "cso_knowledge"])
def test_state_edited_between_months_is_seen_by_both_paths(make_tiny, edit):
    """A researcher may edit the world between months (a branched scenario, an intervention): the compiled
    path must see the edit as the numpy path does (no cache of enabled ties or untouched rows goes stale)."""
    cfg = make_tiny(migrants_involvement=0.0, months=6)
    engines = [Engine(cfg, [np.random.default_rng(s) for s in (3, 4)], compiled=c) for c in (True, False)]
    for eng in engines:
        eng.step()
        eng.step()
        w = eng.world
        if edit == "involve_all":
            w.involved[eng._mig] = True
        elif edit == "end_partnership":
            w.alive[0] = False
        else:
            w.explicit[eng._cso] = np.minimum(w.explicit0[eng._cso] + 0.2, 1.0)
        eng.step()
    compiled, numpy_ = engines
    for field in STATE:
        assert_close(getattr(compiled.world, field), getattr(numpy_.world, field), field)
    for k in compiled.metrics:
        assert_close(compiled.metrics[k], numpy_.metrics[k], k)


def test_compiled_month_draws_the_numbers_of_month_draws(make_tiny):
    """The kernels draw each replication's row from its own generator: the numbers Engine.month_draws gives."""
    cfg = make_tiny(**CONFIGS["outreach"])
    seeds = [7, 8, 9]
    compiled = Engine(cfg, [np.random.default_rng(s) for s in seeds], compiled=True)
    numpy_ = Engine(cfg, [np.random.default_rng(s) for s in seeds], compiled=False)
    for _ in range(3):
        compiled.step()
        expected = numpy_.month_draws()  # numpy_ is not stepped: only its main generators advance
        assert len(compiled._draws) == len(expected) == 6
        for got, want in zip(compiled._draws, expected):
            assert got.shape == want.shape and np.array_equal(got, want)
    assert expected[5].std() > 0 and expected[0].size > 0  # the noise is drawn; the outreach uniforms exist


def test_month_rows_do_not_depend_on_rates_or_roles(make_tiny):
    """Common random numbers: a replication's monthly row is the same whatever outreach, noise or the
    facilitator role, so comparing such settings compares them on the same draws."""
    rows = []
    for params in ({}, {"migrants_outreach": 0.3, "cso_momentum_noise": 0.0, "migrants_facilitator": False}):
        eng = Engine(make_tiny(**params), [np.random.default_rng(21)], compiled=True)
        for _ in range(4):
            eng.step()
        rows.append([a.copy() for a in eng._draws])
    assert rows[1][0].size and rows[1][2].size
    for i in range(5):  # every uniform of month 4 is the same; the noise differs only by its scale (0 here)
        assert np.array_equal(rows[0][i], rows[1][i]), i
    assert not rows[1][5].any() and rows[0][5].any()


# ---------------------------------------------------------------------------------------------- kernel by kernel
def random_ties(rng, A=30, T=60, I=80):
    src = rng.integers(0, A, T)
    dst = (src + rng.integers(1, A, T)) % A
    tie = rng.integers(0, T, I)
    tie[:10] = tie[10:20]  # repeated contacts on the same tie
    return src, dst, tie


def test_update_trust_kernel_matches_rule(rng):
    T = 60
    _, _, tie = random_ties(rng, T=T)
    facilitated = rng.random(len(tie)) < 0.3
    trust = rng.random(T)
    distance = rng.random(T)
    bridge, growth, decay, boost = 0.6, 0.25, 0.05, 1.5
    contacts = np.bincount(tie, minlength=T)
    bridged = np.bincount(tie, weights=facilitated, minlength=T) > 0
    never = NEVER
    last = np.where(rng.random(T) < 0.5, 3, never).astype(np.int32)  # half the ties met before
    expected = rules.update_trust(trust, contacts, bridged, distance * (1 - bridge * bridged), growth=growth,
                                  decay=decay, bridge_boost=boost, ever_contacted=last > never)
    got, got_last = trust.copy(), last.copy()
    counts, bridged_scratch = np.zeros(T, np.int64), np.zeros(T, bool)
    fast.update_trust(got, got_last, tie, facilitated, distance, bridge, growth, decay, boost, 7, never, counts,
                      bridged_scratch)
    assert np.allclose(got, expected, rtol=0, atol=TOL)
    assert np.array_equal(got_last == 7, contacts > 0)
    assert np.array_equal(got_last[contacts == 0], last[contacts == 0])
    assert np.any((contacts == 0) & (last == never)) and np.any((contacts == 0) & (last > never))
    assert not counts.any() and not bridged_scratch.any()  # scratch left clean


@pytest.mark.parametrize("donor", [False, True])
def test_transfer_and_forget_kernel_matches_rules(rng, donor):
    A, D, P = 30, 6, 3
    src, dst, tie = random_ties(rng, A=A)
    explicit0 = rng.random((A, D)) * 0.6
    tacit0 = explicit0 * 0.8
    explicit = np.minimum(explicit0 + rng.random((A, D)) * 0.3, 1.0)
    tacit = np.minimum(tacit0 + rng.random((A, D)) * 0.3, 1.0)
    trust, distance = rng.random(len(src)), rng.random(len(src)) * 0.6
    north = rng.random(A) < 0.5
    agenda = np.vstack([rng.random((P, D)) * 2, np.ones((1, D))])
    openness = rng.random(A)
    people = rng.random(A) < 0.9
    I = len(tie)
    facilitated, f2f = rng.random(I) < 0.3, rng.random(I) < 0.6
    context = rng.integers(-1, P, I)
    k = {"explicit_rate": 0.4, "tacit_rate": 0.3, "absorptive_base": 0.3, "bounded_gap": 0.5, "tacit_exponent": 2.0}
    bridge, forget = 0.6, 0.1
    # the numpy chain, as Engine.exchange_knowledge applies it
    a, b = src[tie], dst[tie]
    receiver, source = np.concatenate([a, b]), np.concatenate([b, a])
    t2, fac2, ctx2, f2f2 = (np.concatenate([x, x]) for x in (tie, facilitated, context, f2f))
    weight = rules.direction_weights(north[receiver], north[source], ctx2 >= 0, "donor" if donor else "peer")
    e, tc = rules.transfer_knowledge(explicit, tacit, receiver, source, trust[t2], distance[t2] * (1 - bridge * fac2),
                                     f2f2, agenda[ctx2], weight, openness, **k)
    used = ~people.copy()
    used[receiver] = True
    exp_e = rules.forget_unused(e, explicit0, used, forget)
    exp_t = rules.forget_unused(tc, tacit0, used, forget)
    # the kernel, in place
    got_e, got_t = explicit.copy(), tacit.copy()
    scratch = (np.zeros((A, D)), np.zeros((A, D)), np.full((A, D), -1.0), np.full((A, D), -1.0), np.zeros(A, bool))
    fast.transfer_and_forget(got_e, got_t, explicit0, tacit0, tie, facilitated, f2f, context, src, dst, trust,
                             distance, north, agenda, donor, bridge, openness, people, k["explicit_rate"],
                             k["tacit_rate"], k["absorptive_base"], k["bounded_gap"], k["tacit_exponent"], forget,
                             *scratch)
    assert np.allclose(got_e, exp_e, rtol=0, atol=TOL) and np.allclose(got_t, exp_t, rtol=0, atol=TOL)
    assert not np.allclose(got_e, explicit)  # something happened
    assert not scratch[0].any() and not scratch[1].any() and np.all(scratch[2] == -1) and np.all(scratch[3] == -1)
    assert not scratch[4].any()


def test_disseminate_and_turnover_kernel_matches_rules(rng):
    M, S, D = 4, 5, 6
    explicit0 = rng.random((M * S, D)) * 0.6
    tacit0 = explicit0 * 0.8
    explicit = np.minimum(explicit0 + rng.random((M * S, D)) * 0.4, 1.0)
    tacit = np.minimum(tacit0 + rng.random((M * S, D)) * 0.4, 1.0)
    memory0 = explicit0.reshape(M, S, D).mean(axis=1)
    memory = memory0 + rng.random((M, D)) * 0.2
    participated = rng.random(M * S) < 0.4  # the sharers: participants and boundary spanners
    participated[S:2 * S] = False  # a municipality without sharers
    leave = rng.random(M * S) < 0.2
    leave[0] = True
    rate, inst, soc = 0.1, 0.05, 0.5
    gain, tgain, mem = rules.disseminate_internally(
        (explicit - explicit0).reshape(M, S, D), (tacit - tacit0).reshape(M, S, D), participated.reshape(M, S),
        memory - memory0, internal_rate=rate, institutionalisation_rate=inst)
    gain, tgain = gain.reshape(M * S, D), tgain.reshape(M * S, D)
    gain[leave] = soc * mem[np.repeat(np.arange(M), S)[leave]]
    tgain[leave] = 0.0
    exp_e, exp_t, exp_m = np.minimum(explicit0 + gain, 1), np.minimum(tacit0 + tgain, 1), memory0 + mem
    got_e, got_t, got_m, got_p = explicit.copy(), tacit.copy(), memory.copy(), participated.copy()
    fast.disseminate_and_turnover(got_e, got_t, explicit0, tacit0, got_m, memory0, got_p, leave, M, S, rate, inst,
                                  soc)
    assert np.allclose(got_e, exp_e, rtol=0, atol=TOL)
    assert np.allclose(got_t, exp_t, rtol=0, atol=TOL)
    assert np.allclose(got_m, exp_m, rtol=0, atol=TOL)
    assert np.array_equal(got_p, participated)  # sharers are read, not written (the engine resets leavers)


def test_compiled_measures_match_numpy_measures(make_tiny):
    """The compiled month's outcomes equal :class:`Measures` (numpy) on the same state."""
    eng = Engine(make_tiny(network_model="multilevel_hybrid"), [np.random.default_rng(s) for s in range(3)],
                 compiled=True)
    for _ in range(6):
        eng.step()
    w = eng.world
    expected = Measures(w)(w, eng._enabled, eng.month, 12, eng.counters)
    assert eng.metrics.keys() == expected.keys() and list(eng.metrics) == list(expected)
    for k in expected:
        assert_close(eng.metrics[k], expected[k], k)
    assert eng.metrics["exchange_events"].sum() > 0 and eng.metrics["policy_adoptions"].sum() >= 0


def test_numba_can_be_switched_off():
    code = ("import warnings, numpy as np\n"
            "from c2c_sim import fast, make_config\n"
            "from c2c_sim.engine import Engine\n"
            "assert not fast.AVAILABLE\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    eng = Engine(make_config(months=1, world_staff_per_municipality=2), [np.random.default_rng(0)])\n"
            "assert not eng._compiled\n"
            "assert any('numba' in str(w.message) for w in caught)\n"
            "eng.run()\n")
    env = {**os.environ, "C2C_SIM_NUMBA": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
