"""The Mesa face (C2CModel, mesa.batch_run), the runner's tables, and determinism across every door."""

from __future__ import annotations

import inspect
import math
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest

import c2c_sim
from c2c_sim import OUTCOMES, C2CModel, make_config, replication_seeds, run_replications
from c2c_sim.agents import CSO, HigherGovernment, KnowledgeInstitution, LocalGovernment, Migrant
from c2c_sim.config import DOMAINS
from c2c_sim.metrics import DOMAIN_OUTCOMES, SOURCE_OUTCOMES, STEP_OUTCOMES
from c2c_sim.world import Kind


def assert_tables_equal(a, b):
    for name in ("series", "summary", "initiatives"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


# ============================================================================================== determinism
@pytest.fixture(scope="module")
def reference(tiny_params):
    """run_replications of the tiny config with 9 replications (batch 64, one worker)."""
    cfg = make_config({**tiny_params, "replications": 9})
    return cfg, run_replications(cfg)


def test_tables_have_the_promised_shape(reference):
    cfg, res = reference
    assert len(res.summary) == 9 and len(res.series) == 9 * (cfg.months + 1)
    assert res.summary["replication"].tolist() == list(range(9))
    assert res.summary["seed"].tolist() == replication_seeds(cfg.seed, 9)
    assert set(res.summary.columns) == {"replication", "seed", *OUTCOMES}
    for name in STEP_OUTCOMES + DOMAIN_OUTCOMES:
        assert name in res.series.columns, name
    assert res.series.groupby("replication")["month"].apply(list).map(lambda m: m == list(range(13))).all()
    assert set(res.initiatives.columns) >= {"replication", "cso", "start", "end", "stalled", "months"}
    assert (res.initiatives["end"] >= res.initiatives["start"]).all()
    # the summary is the series' last month
    last = res.series[res.series["month"] == cfg.months].reset_index(drop=True)
    for name in ("learning_gain_north", "learning_gain_south", "mean_trust", "mutuality"):
        assert np.array_equal(last[name].to_numpy(), res.summary[name].to_numpy()), name
    # events counted per month add up to the summary's total
    total = res.series.groupby("replication")["exchange_events"].sum().to_numpy()
    assert np.array_equal(total, res.summary["exchange_events_total"].to_numpy())


def test_every_outcome_is_in_a_summary_row_and_run(reference):
    """c2c_sim.OUTCOMES names exactly the outcomes of a summary row and of c2c_sim.run."""
    cfg, res = reference
    assert set(res.summary.columns) - {"replication", "seed"} == set(OUTCOMES)
    assert set(c2c_sim.run(cfg, seed=1)) == set(OUTCOMES)


def test_same_seed_same_outputs(reference):
    cfg, res = reference
    assert_tables_equal(res, run_replications(cfg))


def test_other_seeds_give_other_outputs(reference):
    cfg, res = reference
    other = run_replications(cfg, seed=cfg.seed + 1)
    assert not res.summary["learning_gain_south"].equals(other.summary["learning_gain_south"])
    assert set(other.summary["seed"]).isdisjoint(res.summary["seed"])
    # replications within one run differ from each other too
    assert res.summary["learning_gain_south"].nunique() == 9
    assert res.summary["mean_trust"].nunique() > 1


def test_replication_seeds_are_reproducible_and_distinct():
    a = replication_seeds(5, 100)
    assert a == replication_seeds(5, 100) and len(set(a)) == 100
    assert replication_seeds(5, 10) == a[:10]  # more replications extend, never reshuffle
    assert set(a).isdisjoint(replication_seeds(6, 100))
    assert all(0 <= s < 2**63 for s in a)


@pytest.mark.parametrize("batch_size, workers", [(1, 1), (7, 1), (64, 2), (4, 2)])
def test_results_do_not_depend_on_batch_size_or_workers(reference, batch_size, workers):
    cfg, res = reference
    assert_tables_equal(res, run_replications(cfg, batch_size=batch_size, workers=workers))


def test_prefix_of_replications_is_unchanged(reference):
    cfg, res = reference
    few = run_replications(cfg, replications=3)
    pd.testing.assert_frame_equal(few.summary, res.summary.iloc[:3], check_exact=True)


def test_c2cmodel_with_a_replication_seed_reproduces_that_replication(reference, tiny_world):
    cfg, res = reference
    i = 4
    seed = int(res.summary["seed"].iloc[i])
    model = C2CModel(config=cfg, seed=seed).run()
    mine = model.series()
    theirs = res.series[res.series["replication"] == i].reset_index(drop=True)
    columns = [c for c in mine.columns if c in theirs.columns]
    assert len(columns) == 2 + len(STEP_OUTCOMES) + len(DOMAIN_OUTCOMES) + len(SOURCE_OUTCOMES)  # + month, seed
    pd.testing.assert_frame_equal(mine[columns], theirs[columns], check_exact=True, check_dtype=False)
    # the same through flat keyword parameters
    flat = C2CModel(seed=seed, months=cfg.months, **tiny_world).run().series()
    pd.testing.assert_frame_equal(flat, mine, check_exact=True)


def test_run_with_a_replication_seed_equals_its_summary_row(reference, tiny_params):
    cfg, res = reference
    for i in (0, 7):
        row = res.summary.iloc[i]  # (a float Series: read the seed from its int64 column)
        out = c2c_sim.run(cfg, seed=int(res.summary["seed"].iloc[i]))
        assert set(out) == set(res.summary.columns) - {"replication", "seed"}
        for k, v in out.items():
            assert (math.isnan(v) and math.isnan(row[k])) or v == row[k], k
    a, b = c2c_sim.run(seed=123, **tiny_params), c2c_sim.run(cfg, seed=123)
    assert a.keys() == b.keys()
    assert all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


# ============================================================================================== Mesa
@pytest.fixture(scope="module")
def model(tiny_params):
    return C2CModel(**{**tiny_params, "months": 6, "network_model": "multilevel_hybrid"}, seed=3)


def test_agents_exist_by_type(model):
    w = model.world
    cfg = model.config
    n_munis = 2 * 2 + 1 + 2
    P = cfg.world.partnerships_morocco + cfg.world.partnerships_turkey
    expected = {LocalGovernment: n_munis, CSO: n_munis * cfg.world.csos_per_municipality,
                Migrant: P * cfg.world.migrants_per_city, HigherGovernment: 3, KnowledgeInstitution: 3}
    for cls, n in expected.items():
        assert len(model.agents_by_type[cls]) == n, cls.__name__
    assert len(model.agents) == sum(expected.values())
    for cls, kind in ((CSO, Kind.CSO), (Migrant, Kind.MIGRANT), (HigherGovernment, Kind.HIGHER_GOVERNMENT),
                      (KnowledgeInstitution, Kind.KNOWLEDGE_INSTITUTION)):
        rows = sorted(a.row for a in model.agents_by_type[cls])
        assert rows == np.flatnonzero(w.kind == kind).tolist()
    assert sorted(a.municipality for a in model.agents_by_type[LocalGovernment]) == list(range(w.n_munis))


def test_agent_state_is_a_view_of_the_world(model):
    w = model.world
    cso = model.agents_by_type[CSO][0]
    assert np.shares_memory(cso.knowledge, model.world.explicit)
    assert np.array_equal(cso.knowledge, w.explicit[cso.row])
    assert np.shares_memory(cso.tacit, model.world.tacit)
    gov = model.agents_by_type[LocalGovernment][0]
    S = w.staff_per_muni
    assert gov.staff_knowledge.shape == (S, len(DOMAINS))
    assert np.shares_memory(gov.staff_knowledge, model.world.explicit)
    assert np.array_equal(gov.staff_knowledge, w.explicit[gov.municipality * S:(gov.municipality + 1) * S])
    assert np.shares_memory(gov.memory, model.world.memory)
    assert cso.knowledge_by_domain() == dict(zip(DOMAINS, w.explicit[cso.row].tolist()))


def test_agent_views_follow_the_model_as_it_steps(tiny_params):
    m = C2CModel(**{**tiny_params, "months": 4}, seed=1)
    migrants = list(m.agents_by_type[Migrant])
    govs = list(m.agents_by_type[LocalGovernment])
    for _ in range(4):
        m.step()
        for a in migrants[:3]:
            assert np.shares_memory(a.knowledge, m.world.explicit)
            assert np.array_equal(a.knowledge, m.world.explicit[a.row])
            assert a.involved == bool(m.world.involved[a.row])
        for g in govs:
            assert np.array_equal(g.staff_knowledge, m.world.explicit[g.staff_rows])
    assert not m.running and m.month == 4


def test_agent_properties(model):
    w = model.world
    for gov in model.agents_by_type[LocalGovernment]:
        assert gov.partnership == w.muni_partnership[gov.municipality]
        assert gov.country.value == w.muni_country[gov.municipality]
        assert gov.openness == pytest.approx(model.config.municipality.openness_north if gov.country.value == 0
                                             else model.config.municipality.openness_south)
    for m in model.agents_by_type[Migrant]:
        assert m.employed_by_municipality == bool(w.employed[m.row])
        assert m.roles == (["initiator", "facilitator", "contributor"] if m.involved else [])
    for c in model.agents_by_type[CSO]:
        assert c.is_migrant_organisation == bool(w.migrant_org[c.row])
        if c.is_migrant_organisation:
            assert c.country.value == 0  # migrant organisations are Dutch


def test_model_runs_to_its_horizon_and_reports(tiny_params):
    m = C2CModel(**{**tiny_params, "months": 5}, seed=2).run()
    s = m.series()
    assert s["month"].tolist() == list(range(6))
    assert not m.running
    assert set(m.metrics) >= set(STEP_OUTCOMES)
    g = m.network()
    assert g.number_of_nodes() == m.world.n_actors
    assert g.number_of_edges() <= len(m.world.src)


def test_a_copied_model_branches_from_the_same_state(tiny_params):
    """copy.deepcopy of a model mid-run (to branch a scenario) continues exactly as the original would,
    and advancing the copy leaves the original untouched; an engine also survives pickling."""
    import copy
    import pickle

    m = C2CModel(**{**tiny_params, "months": 10}, seed=5)
    for _ in range(4):
        m.step()
    branch = copy.deepcopy(m)
    for _ in range(3):
        branch.step()
    assert m.engine.month == 4  # the original did not move
    for _ in range(3):
        m.step()
    pd.testing.assert_frame_equal(branch.series(), m.series())
    restored = pickle.loads(pickle.dumps(m.engine))
    restored.step()
    m.step()
    for k, v in m.engine.metrics.items():
        assert np.array_equal(restored.metrics[k], v, equal_nan=True), k


def test_model_rejects_config_and_params_together(tiny_config):
    with pytest.raises(TypeError):
        C2CModel(config=tiny_config, trust_initial=0.3)


def test_model_accepts_mesa_rng(tiny_params):
    a = C2CModel(**tiny_params, rng=np.random.default_rng(5)).run().series()
    b = C2CModel(**tiny_params, rng=np.random.default_rng(5)).run().series()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


BATCH_PARAMS = {"months": 6, "programme": ["none", "logo_south"]}


@pytest.fixture(scope="module")
def batch(tiny_world):
    rows = mesa.batch_run(C2CModel, parameters={**BATCH_PARAMS, **tiny_world}, iterations=2, max_steps=6,
                          display_progress=False)
    return pd.DataFrame(rows)


def test_batch_run_returns_outcome_columns(batch):
    assert len(batch) == 4
    for name in STEP_OUTCOMES + DOMAIN_OUTCOMES:
        assert name in batch.columns, name
    assert sorted(batch["programme"].unique()) == ["logo_south", "none"]
    for name in ("learning_gain_north", "learning_gain_south", "mean_trust", "mutuality"):
        assert batch[name].notna().all(), name
    budget = batch.groupby("programme")["programme_budget"].first()
    assert budget["none"] == 0.0 and budget["logo_south"] == pytest.approx(60.0 / 12)


def test_batch_run_steps_match_the_models_months(tiny_world):
    rows = pd.DataFrame(mesa.batch_run(C2CModel, parameters={"months": 4, "seed": 9, **tiny_world}, iterations=1,
                                       max_steps=4, data_collection_period=1, display_progress=False))
    series = C2CModel(months=4, seed=9, **tiny_world).run().series()
    for _, row in rows.iterrows():
        month = series.iloc[int(row["Step"])]
        for name in ("learning_gain_south", "mean_trust", "exchange_events"):
            assert row[name] == month[name], (row["Step"], name)


BATCH_RUN_READS_LAST_STEP_EARLY = "_collection_steps" not in inspect.getsource(mesa.batchrunner)
"""Mesa 3.3's batch_run reads the DataCollector at ``model.steps - 1``; Mesa 3.5's reads its recorded steps."""


@pytest.mark.xfail(BATCH_RUN_READS_LAST_STEP_EARLY, reason="BUG (Mesa 3.3 batch_run, mesa issue #2514): batch_run reads the DataCollector at index "
                          "model.steps - 1, but C2CModel also collects the starting state, so the final month of a "
                          "run is never reported: months=6 returns month 5's outcomes", strict=True,
                   raises=AssertionError)
def test_batch_run_reports_the_final_month(tiny_world):
    rows = pd.DataFrame(mesa.batch_run(C2CModel, parameters={"months": 6, "seed": 9, **tiny_world}, iterations=1,
                                       max_steps=6, display_progress=False))
    final = C2CModel(months=6, seed=9, **tiny_world).run().metrics
    assert rows["learning_gain_south"].iloc[-1] == final["learning_gain_south"]


def test_batch_run_with_seeds_gives_distinct_replications(tiny_world):
    rows = pd.DataFrame(mesa.batch_run(C2CModel, parameters={"months": 3, "seed": [1, 2], **tiny_world},
                                       iterations=1, max_steps=3, display_progress=False))
    assert rows["learning_gain_south"].nunique() == 2


def test_batch_run_iterations_are_independent(batch):
    lg = batch[batch["programme"] == "logo_south"]["learning_gain_south"]
    assert lg.nunique() == 2


def test_every_batch_run_row_can_be_rerun_alone(batch, tiny_world):
    """Iterations without seeds draw fresh ones; the seed column of each row reruns it exactly."""
    assert batch["seed"].notna().all() and batch["seed"].nunique() == len(batch)
    for _, row in batch.iterrows():
        alone = C2CModel(rng=int(row["seed"]), months=6, programme=row["programme"], **tiny_world).run().series()
        month = alone.iloc[int(row["Step"])]
        for name in ("learning_gain_south", "mean_trust", "exchange_events"):
            assert row[name] == month[name], name


def test_a_seed_in_batch_run_parameters_is_honoured(tiny_world):
    """Mesa >= 3.4's batch_run passes its own rng under the name 'seed' if the model's signature has one,
    overwriting parameters={'seed': ...}; C2CModel takes seed through **params, so it survives."""
    assert "seed" not in inspect.signature(C2CModel).parameters
    rows = pd.DataFrame(mesa.batch_run(C2CModel, parameters={"months": 2, "seed": [9, 10], **tiny_world},
                                       max_steps=2, display_progress=False))
    assert sorted(rows["seed"].unique()) == [9, 10]


@pytest.mark.skipif("rng" not in inspect.signature(mesa.batch_run).parameters, reason="Mesa < 3.4: no batch_run rng")
def test_batch_run_rng_seeds_the_models(tiny_world):
    rows = pd.DataFrame(mesa.batch_run(C2CModel, parameters={"months": 2, **tiny_world}, rng=[5, 6], max_steps=2,
                                       display_progress=False))
    assert sorted(rows["seed"].unique()) == [5, 6]
    alone = C2CModel(seed=5, months=2, **tiny_world).run().series()
    assert rows[rows["seed"] == 5]["learning_gain_south"].iloc[-1] == alone["learning_gain_south"].iloc[-1]


def test_seed_and_rng_give_the_same_model_without_a_warning(tiny_params):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Mesa >= 3.4 deprecates seed= for mesa.Model: C2CModel must not trip it
        a = C2CModel(**tiny_params, seed=5).run()
        b = C2CModel(**tiny_params, rng=5).run()
        c = C2CModel(**tiny_params, rng=np.int64(5)).run()
    assert a.seed == b.seed == c.seed == 5
    pd.testing.assert_frame_equal(a.series(), b.series(), check_exact=True)
    pd.testing.assert_frame_equal(a.series(), c.series(), check_exact=True)
    with pytest.raises(TypeError, match="either seed or rng"):
        C2CModel(**tiny_params, seed=5, rng=5)


def test_scenario_preset_keyword_and_its_deprecated_old_name(tiny_world):
    new = C2CModel(scenario_preset="zeist_berkane", seed=1, **tiny_world)
    with pytest.warns(DeprecationWarning, match="scenario_preset='zeist_berkane'"):
        old = C2CModel(scenario="zeist_berkane", seed=1, **tiny_world)
    assert new.config == old.config == make_config(scenario="zeist_berkane", **tiny_world)
    assert make_config(scenario_preset="zeist_berkane", **tiny_world) == new.config


def test_a_mesa_scenario_goes_to_mesa(tiny_world):
    """Mesa >= 3.4 (SolaraViz's Reset, for one) passes its own Scenario objects as scenario=."""
    scenarios = pytest.importorskip("mesa.experimental.scenarios")
    m = C2CModel(scenario=scenarios.Scenario(rng=7), months=2, **tiny_world)
    assert m.seed == 7
    assert isinstance(m.scenario, scenarios.Scenario)
    assert m.config == make_config(months=2, **tiny_world)


def test_a_caused_model_reports_what_run_replications_reports(tiny_params):
    """caused=true: the model steps its twin alongside and reports the caused outcomes month by month."""
    cfg = make_config({**tiny_params, "caused": True, "replications": 1})
    res = run_replications(cfg)
    series = C2CModel(config=cfg, seed=int(res.summary["seed"].iloc[0])).run().series()
    for name in ("learning_caused_north", "learning_caused_south", "mutuality_caused"):
        assert series[name].tolist() == res.series[name].tolist(), name
    # circulation_caused: the summary's (final month) value, the twin measured on the run's people
    assert series["circulation_caused"].iloc[-1] == res.summary["circulation_caused"].iloc[0]
