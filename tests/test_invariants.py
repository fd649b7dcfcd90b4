"""Invariants that hold for any valid parameters (hypothesis), and the structure of the network presets."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c_sim import ConfigError, make_config
from c2c_sim.engine import Engine
from c2c_sim.world import TIE_TYPES_BY_MODEL, Kind, TieType, build_world, build_worlds, stack_worlds, to_networkx

MAIN_OUTCOMES = ("learning_gain_north", "learning_gain_south", "mean_trust", "mutuality")

unit = st.floats(0.0, 1.0, allow_nan=False)

PARAMS = st.fixed_dictionaries({
    "trust_initial": unit,
    "trust_initial_local": unit,
    "trust_growth": unit,
    "trust_decay": unit,
    "trust_bridge_boost": st.floats(0.0, 10.0),
    "trust_tacit_exponent": st.floats(1.0, 10.0),
    "knowledge_explicit_rate": unit,
    "knowledge_tacit_rate": unit,
    "knowledge_absorptive_base": unit,
    "knowledge_bounded_gap": unit,
    "knowledge_forget_rate": unit,
    "knowledge_distance_north_south": unit,
    "knowledge_distance_within": unit,
    "knowledge_heterogeneity": st.floats(0.0, 0.5),
    "municipality_openness_north": unit,
    "municipality_openness_south": unit,
    "municipality_proactivity_north": unit,
    "municipality_own_activity_rate": st.floats(0.0, 100.0),
    "municipality_delegation_size": st.integers(1, 6),
    "municipality_dormancy_months": st.integers(1, 12),
    "programme_duration": st.integers(0, 24),
    "programme_budget_per_year": st.sampled_from([0.0, 12.0, 60.0, 600.0]),
    "programme_coherence": unit,
    "programme_mode": st.sampled_from(["peer", "donor"]),
    "programme_pattern": st.sampled_from(["continuous", "bursts"]),
    "programme_learning_strategy": st.booleans(),
    "network_model": st.sampled_from(["classic", "multi_actor", "multilevel_hybrid"]),
    "network_partnership_density": unit,
    "migrants_involvement": unit,
    "migrants_outreach": unit,
    "migrants_facilitator": st.booleans(),
    "migrants_bridge": unit,
    "cso_support": unit,
    "cso_momentum_noise": st.floats(0.0, 1.0),
    "dissemination_turnover_rate": unit,
    "dissemination_internal_rate": unit,
    "dissemination_institutionalisation_rate": unit,
    "dissemination_socialisation": unit,
    "dissemination_external_rate": st.floats(0.0, 10.0),
    "shocks_termination_month": st.sampled_from([-1, 3, 8]),
    "shocks_funding_cut_month": st.sampled_from([-1, 2, 6]),
    "shocks_terminated_share": unit,
    "shocks_terminated_country": st.sampled_from(["any", "morocco", "turkey"]),
    "months": st.integers(1, 12),
})


@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(params=PARAMS, seed=st.integers(0, 2**32 - 1))
def test_state_and_outcomes_stay_valid_for_any_parameters(tiny_world, params, seed):
    cfg = make_config({**tiny_world, **params})
    eng = Engine(cfg, [np.random.default_rng(seed), np.random.default_rng(seed + 1)])
    w = eng.world
    alive, involved, adopted = w.alive.copy(), w.involved.copy(), w.adopted.copy()
    for month in range(cfg.months + 1):
        if month:
            eng.step()
        w = eng.world
        for name in ("explicit", "tacit"):
            level, start = getattr(w, name), getattr(w, name + "0")
            assert np.all((level >= 0) & (level <= 1)), f"{name} left [0, 1] in month {month}"
            assert np.all(level >= start), f"{name} fell below its starting value in month {month}"
        assert np.all((w.trust >= 0) & (w.trust <= 1)), f"trust left [0, 1] in month {month}"
        assert np.all(w.memory >= w.memory0)
        assert not np.any(w.alive & ~alive), "a partnership revived"
        assert not np.any(involved & ~w.involved), "a migrant dropped out"
        assert not np.any(adopted & ~w.adopted), "a practice was un-adopted"
        alive, involved, adopted = w.alive.copy(), w.involved.copy(), w.adopted.copy()
        m = eng.metrics
        for key in MAIN_OUTCOMES:
            assert not np.isnan(m[key]).any(), f"{key} is NaN in month {month}"
        assert np.all((m["mutuality"] >= 0) & (m["mutuality"] <= 1))
        assert np.all(m["learning_gain_north"] >= 0) and np.all(m["learning_gain_south"] >= 0)
        assert np.all((m["mean_trust"] >= 0) & (m["mean_trust"] <= 1))
        assert np.all(m["partnerships_alive"] <= 2)


def test_institutional_memory_stays_in_unit_interval(make_tiny):
    cfg = make_tiny(months=12, knowledge_heterogeneity=0.3, dissemination_institutionalisation_rate=1.0,
                    dissemination_internal_rate=1.0, trust_initial=1.0, knowledge_explicit_rate=1.0,
                    municipality_openness_north=1.0, municipality_openness_south=1.0,
                    knowledge_distance_north_south=0.0, knowledge_forget_rate=0.0, dissemination_turnover_rate=0.0)
    eng = Engine(cfg, [np.random.default_rng(s) for s in range(4)])
    for _ in range(cfg.months):
        eng.step()
        assert np.all(eng.world.memory <= 1.0), f"memory reached {eng.world.memory.max():.3f}"


def test_termination_at_month_zero_ends_partnerships_in_the_first_month(make_tiny):
    cfg = make_tiny(months=3, shocks_termination_month=0, shocks_terminated_share=1.0)
    eng = Engine(cfg, [np.random.default_rng(1)])
    assert eng.world.alive.all()
    eng.step()
    assert not eng.world.alive.any()
    eng.run()
    assert not eng.world.alive.any() and eng.metrics["exchange_events"][0] == 0


def test_partnership_density_extremes(make_tiny):
    """Density 0 gives no partnership ties, 1 all S x S per partnership, a tiny positive one builds too."""
    for density, expected in ((0.0, 0), (1e-20, 0), (1.0, 2 * 4 * 4)):
        w = build_world(make_tiny(network_partnership_density=density), np.random.default_rng(0))
        assert np.sum(w.tie_type == TieType.PARTNERSHIP) == expected, density


def test_partnership_density_is_the_share_of_staff_pairs_tied(make_tiny):
    cfg = make_tiny(world_partnerships_morocco=10, world_partnerships_turkey=10, world_staff_per_municipality=10,
                    network_partnership_density=0.3)
    w = build_world(cfg, np.random.default_rng(1))
    share = np.sum(w.tie_type == TieType.PARTNERSHIP) / (20 * 10 * 10)
    assert abs(share - 0.3) < 0.03  # 2000 pairs: sd ~ 0.01


def test_world_without_partnerships_runs(make_tiny):
    cfg = make_tiny(months=3, world_partnerships_morocco=0, world_partnerships_turkey=0)
    eng = Engine(cfg, [np.random.default_rng(0)])
    eng.run()
    assert eng.month == 3 and np.all(eng.metrics["exchange_events"] == 0)


def test_empty_world_is_rejected_naming_the_keys(make_tiny):
    with pytest.raises(ConfigError, match="no municipality.*world.partnerships_morocco.*world.unpartnered_south"):
        make_tiny(months=2, world_partnerships_morocco=0, world_partnerships_turkey=0,
                  world_unpartnered_north=0, world_unpartnered_south=0)


def test_termination_shock_ends_the_share_of_partnerships(make_tiny):
    cfg = make_tiny(months=6, world_partnerships_morocco=3, world_partnerships_turkey=2,
                    shocks_termination_month=4, shocks_terminated_share=0.4, municipality_dormancy_months=100,
                    partnership_support_shield=0.0)
    eng = Engine(cfg, [np.random.default_rng(s) for s in range(5)])
    alive = []
    while eng.month < cfg.months:
        eng.step()
        alive.append(eng.metrics["partnerships_alive"].copy())
    assert np.all(alive[2] == 5) and np.all(alive[3] == 3) and np.all(alive[5] == 3)


@pytest.mark.parametrize("country, code", [("morocco", 1), ("turkey", 2)])
def test_termination_targets_a_country(make_tiny, country, code):
    cfg = make_tiny(months=4, world_partnerships_morocco=3, world_partnerships_turkey=2, shocks_termination_month=2,
                    shocks_terminated_share=1.0, shocks_terminated_country=country,
                    municipality_dormancy_months=100, partnership_support_shield=0.0)
    eng = Engine(cfg, [np.random.default_rng(s) for s in range(3)]).run()
    w = eng.world
    target = w.muni_country[w.p_south] == code
    assert target.any() and (~target).any()
    assert not w.alive[target].any() and w.alive[~target].all()


def test_classic_model_involves_only_employed_migrants(make_tiny):
    cfg = make_tiny(network_model="classic", migrants_involvement=1.0, migrants_outreach=1.0,
                    migrants_employed_share=0.5, world_migrants_per_city=20, months=3)
    eng = Engine(cfg, [np.random.default_rng(4)])
    w = eng.world
    mig = w.kind == Kind.MIGRANT
    assert w.employed[mig].any() and not w.employed[mig].all()
    for _ in range(3):
        assert np.array_equal(w.involved[mig], w.employed[mig])
        eng.step()
    # the multi-actor model draws everyone in
    eng = Engine(make_tiny(migrants_involvement=0.0, migrants_outreach=1.0, months=1), [np.random.default_rng(4)])
    eng.step()
    assert eng.world.involved[eng.world.kind == Kind.MIGRANT].all()


def test_ties_of_ended_partnerships_leave_the_outcomes_the_month_they_end(make_tiny):
    cfg = make_tiny(months=4, programme="none", municipality_own_activity_rate=0.0, municipality_dormancy_months=1,
                    dissemination_remote_contact_rate=1.0)
    eng = Engine(cfg, [np.random.default_rng(0)])
    eng.step()
    assert eng.metrics["partnerships_alive"][0] == 2 and eng.metrics["mean_trust_partnership"][0] > 0
    eng.step()  # no exchange since month 0: dormant for 2 > 1 months
    assert eng.metrics["partnerships_alive"][0] == 0
    assert np.isnan(eng.metrics["mean_trust_partnership"][0])
    assert not eng.state.use.enabled[eng.world.tie_type == TieType.PARTNERSHIP].any()


# ============================================================================================== network presets
def world_for(make_tiny, model: str, seed: int = 0, **kw):
    cfg = make_tiny(network_model=model, **kw)
    return cfg, build_world(cfg, np.random.default_rng(seed))


@pytest.mark.parametrize("model", sorted(TIE_TYPES_BY_MODEL))
def test_network_presets_give_the_tie_types_they_promise(make_tiny, model):
    for seed in range(4):
        _, w = world_for(make_tiny, model, seed)
        assert {TieType(t) for t in np.unique(w.tie_type)} == TIE_TYPES_BY_MODEL[model], (model, seed)


@pytest.mark.parametrize("preset", sorted(TIE_TYPES_BY_MODEL))
def test_network_preset_file_selects_its_model(make_tiny, preset):
    cfg = make_tiny(network=preset)
    assert cfg.network.model == preset


@pytest.mark.parametrize("model", sorted(TIE_TYPES_BY_MODEL))
def test_ties_connect_the_actors_their_type_says(make_tiny, model):
    cfg, w = world_for(make_tiny, model, 3, world_migrants_per_city=8, migrants_employed_share=0.5)
    src, dst, tt = w.src, w.dst, w.tie_type
    cross = w.country[src] != w.country[dst]
    part = tt == TieType.PARTNERSHIP
    assert np.all(w.kind[src[part]] == Kind.STAFF) and np.all(w.kind[dst[part]] == Kind.STAFF)
    p = w.tie_partnership[part]
    assert np.array_equal(w.city[src[part]], w.p_north[p]) and np.array_equal(w.city[dst[part]], w.p_south[p])
    local = tt == TieType.LOCAL
    assert np.array_equal(w.city[src[local]], w.city[dst[local]])  # a local tie stays within a city
    assert np.all(cross[part]) and not np.any(cross[local])
    assert np.all(cross[tt == TieType.TRANSNATIONAL])
    ml = tt == TieType.MULTILEVEL
    staff_ml = ml & (w.kind[src] == Kind.STAFF)
    assert np.all(w.country[src[staff_ml]] == w.country[dst[staff_ml]])  # staff meet their own national bodies
    prog = w.tie_programme >= 0  # country programme ties join municipalities (staff 0) of one southern country
    assert np.all(w.kind[dst[ml & ~prog]] >= Kind.HIGHER_GOVERNMENT)
    assert np.all(w.kind[dst[prog]] == Kind.STAFF) and np.all(w.country[src[prog]] == w.tie_programme[prog])
    assert np.all(w.country[dst[prog]] == w.tie_programme[prog])
    assert np.all(w.distance[cross] == cfg.knowledge.distance_north_south)
    assert np.all(w.distance[~cross] == cfg.knowledge.distance_within)
    assert np.all(w.trust[part | (tt == TieType.TRANSNATIONAL)] == cfg.trust.initial)
    assert np.all(w.trust[local | ml] == cfg.trust.initial_local)
    if model == "classic":  # only migrants employed by the municipality are linked
        mig = np.flatnonzero(w.kind == Kind.MIGRANT)
        linked = np.isin(mig, np.concatenate([src, dst]))
        assert np.array_equal(linked, w.employed[mig])


def unpartnered_staff(w) -> list[int]:
    return [int(r) for r in np.flatnonzero((w.kind == Kind.STAFF) & (w.partnership < 0))]


@pytest.mark.parametrize("model, reaches", [("classic", False), ("multi_actor", False), ("multilevel_hybrid", True)])
def test_only_multilevel_reaches_unpartnered_municipalities(make_tiny, model, reaches):
    _, w = world_for(make_tiny, model, 1)
    g = to_networkx(w)
    partnered = set(np.flatnonzero(w.partnership >= 0).tolist())
    unp = unpartnered_staff(w)
    assert len(unp) == 3 * 4  # one unpartnered municipality per country, four staff each
    component = set().union(*(nx.node_connected_component(g, r) for r in unp))
    assert bool(component & partnered) is reaches
    if reaches:
        ml = w.tie_type == TieType.MULTILEVEL
        tied = set(w.src[ml].tolist()) | set(w.dst[ml].tolist())
        for m in np.flatnonzero(w.muni_partnership < 0):  # every unpartnered municipality has a multilevel contact
            assert tied & set(range(m * w.staff_per_muni, (m + 1) * w.staff_per_muni)), m


def test_multilevel_contacts_per_municipality(make_tiny):
    _, w = world_for(make_tiny, "multilevel_hybrid", 2, network_multilevel_contacts=3)
    higher = np.flatnonzero(w.kind == Kind.HIGHER_GOVERNMENT)
    to_higher = (w.tie_type == TieType.MULTILEVEL) & np.isin(w.dst, higher) & (w.kind[w.src] == Kind.STAFF)
    per_city = np.bincount(w.city[w.src[to_higher]], minlength=w.n_munis)
    assert np.all(per_city == 3)


def test_networks_are_built_from_the_seed(make_tiny):
    cfg = make_tiny(network_model="multilevel_hybrid")
    a = build_world(cfg, np.random.default_rng(11))
    b = build_world(cfg, np.random.default_rng(11))
    c = build_world(cfg, np.random.default_rng(12))
    for name in ("src", "dst", "tie_type", "tie_partnership", "explicit", "involved", "migrant_org"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    same_ties = len(a.src) == len(c.src) and np.array_equal(a.src, c.src) and np.array_equal(a.dst, c.dst)
    assert not same_ties
    assert not np.array_equal(a.explicit, c.explicit)


@pytest.mark.parametrize("params", [{"network_model": "classic", "migrants_employed_share": 0.5},
                                    {"network_model": "multi_actor", "world_migrant_org_share": 0.5},
                                    {"network_model": "multilevel_hybrid"},
                                    {"world_csos_per_municipality": 0},
                                    {"network_model": "classic", "world_partnerships_morocco": 0,
                                     "world_partnerships_turkey": 0}])
def test_worlds_built_together_equal_worlds_built_alone_and_stacked(make_tiny, params):
    """The batched builder gives each replication exactly the world (and the generator state) it gets alone."""
    cfg = make_tiny(**params)
    together_rngs = [np.random.default_rng(s) for s in (1, 2, 3)]
    alone_rngs = [np.random.default_rng(s) for s in (1, 2, 3)]
    together = build_worlds(cfg, together_rngs)
    alone = stack_worlds([build_world(cfg, g) for g in alone_rngs])
    for name, value in vars(alone).items():
        got = getattr(together, name)
        if isinstance(value, np.ndarray):
            assert got.dtype == value.dtype and np.array_equal(got, value), name
        else:
            assert got == value, name
    assert [g.random() for g in together_rngs] == [g.random() for g in alone_rngs]  # the same draws were used
    if together.n_partnerships:  # replications of different sizes were put together
        assert len(np.unique(np.diff(together.tie_ptr))) > 1


def test_world_layout(make_tiny):
    cfg = make_tiny()
    w = build_world(cfg, np.random.default_rng(0))
    S, M = w.staff_per_muni, w.n_munis
    assert M == 2 * 2 + 1 + 2  # partners on both sides, 1 unpartnered Dutch, 1 per southern country
    assert np.array_equal(w.city[:M * S], np.repeat(np.arange(M), S))
    assert np.all(w.kind[:M * S] == Kind.STAFF)
    assert np.all(w.kind[w.migrant_start:w.migrant_start + 2 * 6] == Kind.MIGRANT)
    assert np.all(w.country[w.migrant_start:w.migrant_start + 12] == 0)  # migrants live in the Dutch city
    assert np.sum(w.kind == Kind.HIGHER_GOVERNMENT) == 3 and np.sum(w.kind == Kind.KNOWLEDGE_INSTITUTION) == 3
    assert np.allclose(w.objectives.sum(axis=1), 1.0)
    assert np.allclose(w.memory, w.explicit[:M * S].reshape(M, S, -1).mean(axis=1))
    # migrants involved: round(involvement * Mc) per partnership, employed ones first
    inv = w.involved[w.migrant_start:w.migrant_start + 12].reshape(2, 6)
    assert np.all(inv.sum(axis=1) == round(cfg.migrants.involvement * 6))
