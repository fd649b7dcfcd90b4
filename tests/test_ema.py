"""The EMA Workbench adapter (c2c_sim.ema) with the real ema_workbench: 2.5 on Python 3.11, 3.0 on 3.12."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

ema = pytest.importorskip("ema_workbench", reason="EMA Workbench is a dependency: pip install -e .")

import c2c_sim  # noqa: E402
from c2c_sim import ConfigError, make_config  # noqa: E402
from c2c_sim import ema as adapter  # noqa: E402
from c2c_sim.config import lookup_field  # noqa: E402

EMA_3 = int(ema.__version__.split(".")[0]) >= 3
FIXED = {"months": 24, "world_partnerships_morocco": 1, "world_partnerships_turkey": 1, "world_unpartnered_north": 1,
         "world_unpartnered_south": 1, "world_staff_per_municipality": 4, "world_migrants_per_city": 6}
OUTCOMES = ["learning_gain_north", "learning_gain_south", "mutuality", "mean_trust"]


def tiny_model(**kwargs):
    return adapter.model(replications=3, seed=11, outcomes=OUTCOMES, **{**FIXED, **kwargs})


def experiments(model, n, evaluator=None):
    """``perform_experiments`` with ``n`` scenarios and 2 policies, sampled the same way every call."""
    if EMA_3:
        kw = {"uncertainty_sampling_kwargs": {"rng": 42}, "lever_sampling_kwargs": {"rng": 43}}
    else:  # EMA 2.5 samples with numpy's global generator
        np.random.seed(42)
        kw = {}
    if evaluator is None:
        return ema.perform_experiments(model, scenarios=n, policies=2, **kw)
    with evaluator as ev:
        return ev.perform_experiments(scenarios=n, policies=2, **kw)


def test_parameters_take_their_type_and_range_from_the_schema():
    m = adapter.model(replications=2)
    by_name = {p.name: p for p in [*m.levers, *m.uncertainties]}
    assert set(by_name) == {k.replace(".", "_") for k in [*adapter.LEVERS, *adapter.UNCERTAINTIES]}
    assert isinstance(by_name["programme_duration"], ema.IntegerParameter)
    assert isinstance(by_name["programme_mode"], ema.CategoricalParameter)
    assert isinstance(by_name["migrants_facilitator"], ema.BooleanParameter)
    trust = by_name["trust_initial"]
    f = lookup_field("trust.initial")
    assert isinstance(trust, ema.RealParameter)
    assert (trust.lower_bound, trust.upper_bound) == (f.metadata["lo"], f.metadata["hi"])
    assert [o.name for o in m.outcomes] == list(c2c_sim.OUTCOMES)


def test_replications_are_distinct_spawned_seeds_and_reproducible():
    m = tiny_model()
    seeds = [r["seed"] for r in m.replications]
    assert seeds == c2c_sim.replication_seeds(11, 3) and len(set(seeds)) == 3
    assert all(type(s) is int for s in seeds)  # exact: never through a float


@pytest.mark.parametrize("kwargs, words", [
    ({"levers": ["trust.intial"]}, ["trust.intial", "trust.initial"]),
    ({"levers": {"programme.duration": (0, 10**7)}}, ["programme.duration", "out of range"]),
    ({"levers": {"programme.duration": (0, 48.5)}}, ["48.5", "whole number"]),
    ({"levers": ["trust.initial"], "uncertainties": ["trust.initial"]}, ["trust.initial", "both"]),
    ({"trust_initial": 0.3}, ["trust_initial", "sampled and fixed"]),
    ({"outcomes": ["learning"]}, ["learning", "learning_gain_north"]),
    ({"replications": 0}, ["replications"]),
])
def test_bad_adapter_input_is_one_clear_error(kwargs, words):
    with pytest.raises(ConfigError) as exc:
        adapter.model(**kwargs)
    assert all(w in str(exc.value) for w in words), str(exc.value)


def test_a_whole_float_for_an_integer_lever_is_accepted():
    """A RealParameter over an int field (as a user may declare one) gives 48.0: it is 48; 48.5 is refused."""
    a, b = c2c_sim.run(programme_duration=48.0, **FIXED), c2c_sim.run(programme_duration=48, **FIXED)
    assert pd.Series(a).equals(pd.Series(b))  # NaN-aware
    with pytest.raises(ConfigError, match="whole number"):
        c2c_sim.run(programme_duration=48.5, **FIXED)


@pytest.fixture(scope="module")
def sequential():
    return experiments(tiny_model(), 50)


def test_perform_experiments_gives_one_row_per_experiment_with_the_mean_of_the_replications(sequential):
    table, outcomes = sequential
    assert len(table) == 100 and set(outcomes) == set(OUTCOMES)
    assert all(np.shape(v) == (100,) for v in outcomes.values())
    row = table.iloc[7]
    params = {p: row[p] for p in [n.replace(".", "_") for n in [*adapter.LEVERS, *adapter.UNCERTAINTIES]]}
    cfg = make_config({**FIXED, **params})
    seeds = c2c_sim.replication_seeds(11, 3)
    expected = np.mean([c2c_sim.run(cfg, seed=s)["learning_gain_south"] for s in seeds])
    assert outcomes["learning_gain_south"][7] == expected  # the same numbers as running it by hand


@pytest.mark.slow
def test_two_processes_give_the_same_table_as_one(sequential):
    table, outcomes = sequential
    table2, outcomes2 = experiments(tiny_model(), 50, ema.MultiprocessingEvaluator(tiny_model(), n_processes=2))
    order = np.argsort(table2.index.to_numpy())  # workers may finish in any order; rows keep their index
    labels = ["scenario", "policy"]  # EMA numbers its samples with a counter that runs on between calls
    pd.testing.assert_frame_equal(table.drop(columns=labels).reset_index(drop=True),
                                  table2.drop(columns=labels).iloc[order].reset_index(drop=True), check_dtype=False)
    for k in OUTCOMES:
        assert np.array_equal(outcomes[k], np.asarray(outcomes2[k])[order], equal_nan=True), k


def test_prim_finds_a_box_on_one_outcome(sequential):
    from ema_workbench.analysis import prim

    table, outcomes = sequential
    x = table.drop(columns=["scenario", "policy", "model"])
    # EMA 3.0.0 under pandas 3 fails on int64 columns (fixed upstream after 3.0.0): give PRIM floats
    x = x.astype({c: float for c in x.columns if pd.api.types.is_integer_dtype(x[c])})
    y = outcomes["learning_gain_south"] > np.quantile(outcomes["learning_gain_south"], 0.7)
    box = prim.Prim(x, y, **({} if EMA_3 else {"threshold": 0.5})).find_box()  # 3.0 dropped threshold
    assert 0 < box.coverage <= 1 and box.density >= y.mean()
