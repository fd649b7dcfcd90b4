"""Caused outcomes: each replication minus its twin (the same seeds and world, no partnership activity)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import c2c_sim
from c2c_sim.config import counterfactual
from c2c_sim.engine import Engine
from c2c_sim.metrics import CAUSED, CAUSED_NAMES

RUN = {"months": 24, "network": "multilevel_hybrid", "migrants_outreach": 0.1, "world_unpartnered_north": 1,
       "world_unpartnered_south": 1, "caused": True}


def test_without_partnership_activity_nothing_is_caused(make_tiny):
    """No programme, no own exchanges, no partnership or CSO-CSO contacts: run and twin are the same
    computation, so every caused outcome is exactly 0 in every month (any seed mix-up would show)."""
    cfg = make_tiny(**RUN, programme="none", municipality_own_activity_rate=0.0, network_partnership_contacts=False)
    res = c2c_sim.run_replications(cfg, replications=3, seed=5)
    for name in CAUSED_NAMES:
        assert (res.summary[name] == 0.0).all(), name
        if name != "circulation_caused":  # final month only (its population moves month by month)
            assert (res.series[name] == 0.0).all(), name
    assert "circulation_caused" not in res.series
    assert (res.summary["learning_gain_south"] > 0).all()  # learning happened, just not from the partnership


def test_caused_is_the_run_minus_its_own_twin(make_tiny):
    """Caused outcomes equal run minus the twin run separately with the same replication seeds."""
    cfg = make_tiny(**RUN)
    both = c2c_sim.run_replications(cfg, replications=3, seed=5)
    run = c2c_sim.run_replications(dataclasses.replace(cfg, caused=False), replications=3, seed=5)
    twin = c2c_sim.run_replications(counterfactual(cfg), replications=3, seed=5)
    assert (both.summary["seed"] == twin.summary["seed"]).all()
    for name, source in CAUSED.items():
        if name == "circulation_caused":  # measured on the run's people: see the next test
            continue
        want = run.summary[source].to_numpy() - twin.summary[source].to_numpy()
        assert np.array_equal(both.summary[name].to_numpy(), want), name
        assert np.array_equal(both.summary[source].to_numpy(), run.summary[source].to_numpy())
    wrong = c2c_sim.run_replications(counterfactual(cfg), replications=3, seed=6)  # another seed: not the twin
    assert not np.allclose(both.summary["learning_caused_south"],
                           run.summary["learning_gain_south"] - wrong.summary["learning_gain_south"])


def test_caused_circulation_measures_the_twin_on_the_runs_people(make_tiny):
    """circulation is over the staff who never took part; the twin's staff never travel, so its circulation
    over all staff would compare other people. The caused circulation takes the twin's gains over the
    run's non-participants, recomputed here from the two engines' knowledge with numpy."""
    cfg = make_tiny(**RUN)
    both = c2c_sim.run_replications(cfg, replications=2, seed=5).summary
    seeds = [int(s) for s in both["seed"]]
    run = Engine(dataclasses.replace(cfg, caused=False), [np.random.default_rng(s) for s in seeds]).run()
    twin = Engine(counterfactual(cfg), [np.random.default_rng(s) for s in seeds]).run()
    lay = run.state.layout
    never = ~run.state.actors.participated
    for r in range(2):
        staff = np.zeros(never.size, bool)
        staff[r * lay.staff:(r + 1) * lay.staff] = True  # replication r's municipal staff
        pop = staff & never
        assert 0 < pop.sum() < staff.sum()  # some travelled, some did not
        kn = twin.state.knowledge
        gain = 0.5 * ((kn.explicit - kn.explicit0) + (kn.tacit - kn.tacit0)).mean(axis=1)
        want = run.metrics["circulation"][r] - gain[pop].mean()
        assert both["circulation_caused"][r] == pytest.approx(want, rel=1e-12), r
        assert twin.metrics["circulation"][r] != pytest.approx(gain[pop].mean())  # all staff: other people


def test_the_twin_lives_in_the_same_world(make_tiny):
    cfg = make_tiny(**RUN)
    a = Engine(cfg, [np.random.default_rng(s) for s in (1, 2)]).world
    b = Engine(counterfactual(cfg), [np.random.default_rng(s) for s in (1, 2)]).world
    for name in ("explicit", "tacit", "src", "dst", "tie_type", "trust", "openness", "objectives", "involved"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_caused_outcomes_do_not_depend_on_batching(make_tiny):
    """Replication 2 of a batch of 4 with 2 workers has the caused outcomes of the same seed run alone."""
    cfg = make_tiny(**RUN)
    batch = c2c_sim.run_replications(cfg, replications=4, seed=9, workers=2, batch_size=2)
    alone = c2c_sim.run(cfg, seed=int(batch.summary["seed"][2]))
    for name in CAUSED_NAMES:
        assert batch.summary[name][2] == pytest.approx(alone[name], rel=0, abs=0), name


def test_the_partnership_causes_learning_on_both_sides(make_tiny):
    """With the default programme the partnership adds learning on both sides, and less than all of it:
    some learning comes from local ties and higher government, which the twin has too."""
    res = c2c_sim.run_replications(make_tiny(**RUN), replications=6, seed=3).summary
    for side in ("north", "south"):
        caused, gain = res[f"learning_caused_{side}"], res[f"learning_gain_{side}"]
        assert (caused > 0).all() and (caused < gain).all(), side
    assert "learning_caused_north" not in c2c_sim.run_replications(make_tiny(**{**RUN, "caused": False}),
                                                                   replications=1).summary
