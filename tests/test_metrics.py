"""Outcomes: the compiled measurement (metrics.measure, the only place outcomes are computed) against the
definitions in metrics.py's docstring, recomputed here with plain numpy group-bys from the world's arrays."""

from __future__ import annotations

import numpy as np
import pytest

from c2c_sim.config import DOMAINS
from c2c_sim.engine import Engine
from c2c_sim.state import CHANNELS
from c2c_sim.world import Kind, TieType

RUN = {"months": 18, "network": "multilevel_hybrid", "migrants_outreach": 0.2, "world_unpartnered_north": 1,
       "world_unpartnered_south": 1, "shocks_termination_month": 9, "shocks_terminated_share": 0.5}


def gains_of(w) -> np.ndarray:
    """(A, D) gain: mean of explicit and tacit knowledge minus its starting value."""
    return 0.5 * ((w.explicit - w.explicit0) + (w.tacit - w.tacit0))


def by_hand(eng: Engine) -> dict[str, np.ndarray]:
    """The outcomes of every replication, recomputed from the world's arrays with numpy."""
    w, R = eng.world, eng.R
    g = gains_of(w)
    org = np.isin(w.kind, (Kind.STAFF, Kind.CSO))
    partnered = org & (w.partnership >= 0)
    staff = w.kind == Kind.STAFF
    out: dict[str, list] = {k: [] for k in ("north", "south", "circulation", "alive", "involved", "adopted",
                                              "adopted_unpartnered", "trust", "trust_partnership", "memory")}
    enabled = eng.state.use.enabled
    for r in range(R):
        mine = w.rep == r
        out["north"].append(g[mine & partnered & (w.country == 0)].mean())
        out["south"].append(g[mine & partnered & (w.country != 0)].mean())
        out["circulation"].append(g[mine & staff & ~w.participated].mean())
        out["alive"].append(w.alive[w.p_rep == r].sum())
        out["involved"].append((w.involved & mine & (w.kind == Kind.MIGRANT)).sum())
        munis = w.muni_rep == r
        out["adopted"].append((w.adoption_month[munis] >= 0).sum())
        out["adopted_unpartnered"].append((w.adoption_month[munis & (w.muni_partnership < 0)] >= 0).sum())
        in_use = enabled & (w.tie_rep == r) & (w.tie_programme < 0)  # country programme ties are left out
        out["trust"].append(w.trust[in_use].mean())
        out["trust_partnership"].append(w.trust[in_use & (w.tie_type == TieType.PARTNERSHIP)].mean())
        pm = munis & (w.muni_partnership >= 0)
        out["memory"].append((w.memory[pm] - w.memory0[pm]).mean())
        for side, sel in (("north", w.country == 0), ("south", w.country != 0)):
            rows = np.flatnonzero(mine & partnered & sel)
            weighted = (g[rows] * w.objectives[w.city[rows]]).sum(axis=1)  # each actor on its city's objectives
            out.setdefault(f"objectives_{side}", []).append(weighted.mean())
        for name, tie_type in (("partnership", TieType.PARTNERSHIP), ("transnational", TieType.TRANSNATIONAL)):
            mask = (w.tie_rep == r) & (w.tie_type == tie_type)
            for key, which in (("panel", eng.state.use.panel), ("entered", eng.state.use.ever)):
                values = w.trust[mask & which]
                out.setdefault(f"{key}_{name}", []).append(values.mean() if values.size else np.nan)
    return {k: np.array(v, float) for k, v in out.items()}


@pytest.mark.parametrize("overrides", [{}, {"programme": "none"}, {"network": "classic", "migrants_outreach": 0.6}])
def test_measured_outcomes_follow_their_definitions(make_tiny, overrides):
    cfg = make_tiny(**{**RUN, **overrides})
    eng = Engine(cfg, [np.random.default_rng(s) for s in (1, 2, 3)]).run()
    want, got = by_hand(eng), eng.metrics
    assert np.allclose(got["learning_gain_north"], want["north"], rtol=1e-12, atol=1e-15)
    assert np.allclose(got["learning_gain_south"], want["south"], rtol=1e-12, atol=1e-15)
    assert np.allclose(got["circulation"], want["circulation"], rtol=1e-12, atol=1e-15)
    assert np.allclose(got["mean_trust"], want["trust"], rtol=1e-12, equal_nan=True)
    assert np.allclose(got["mean_trust_partnership"], want["trust_partnership"], rtol=1e-12, equal_nan=True)
    assert np.allclose(got["institutional_knowledge_gain"], want["memory"], rtol=1e-12, atol=1e-15)
    assert np.array_equal(got["partnerships_alive"], want["alive"])
    assert np.array_equal(got["migrants_involved"], want["involved"])
    assert np.array_equal(got["policy_adoptions"], want["adopted"])
    assert np.array_equal(got["policy_adoptions_unpartnered"], want["adopted_unpartnered"])
    lo = np.minimum(want["north"], want["south"])
    hi = np.maximum(want["north"], want["south"])
    assert np.allclose(got["mutuality"], np.where((hi > 1e-12) & (lo > 0), lo / hi, 0.0), rtol=1e-12)
    for side in ("north", "south"):
        assert np.allclose(got[f"learning_on_objectives_{side}"], want[f"objectives_{side}"], rtol=1e-12, atol=1e-15)
    for name in ("partnership", "transnational"):
        assert np.allclose(got[f"trust_panel_{name}"], want[f"panel_{name}"], rtol=1e-12, equal_nan=True)
        assert np.allclose(got[f"trust_entered_{name}"], want[f"entered_{name}"], rtol=1e-12, equal_nan=True)
    # the per-domain gains average to the side's gain
    for side in ("north", "south"):
        per_domain = np.mean([got[f"learning_gain_{side}__{d}"] for d in DOMAINS], axis=0)
        assert np.allclose(per_domain, want[side], rtol=1e-12, atol=1e-15)
    assert (want["north"] > 0).all() or overrides.get("programme") == "none"


def test_measurement_reads_the_state_as_it_is(make_tiny):
    """Edit the knowledge of one replication's staff by hand: the next measurement sees exactly that edit."""
    cfg = make_tiny(**RUN)
    eng = Engine(cfg, [np.random.default_rng(s) for s in (4, 5)])
    eng.step()
    w = eng.world
    before = eng.metrics["learning_gain_north"].copy()
    target = (w.rep == 1) & (w.kind == Kind.STAFF) & (w.partnership >= 0) & (w.country == 0)
    w.explicit[target] = w.explicit0[target] + 0.2
    w.tacit[target] = w.tacit0[target] + 0.2
    eng.step()
    after = eng.metrics["learning_gain_north"]
    want = by_hand(eng)["north"]
    assert np.allclose(after, want, rtol=1e-12)
    assert after[1] > before[1] + 0.05 and abs(after[0] - before[0]) < 0.05


def test_uniform_objectives_value_learning_as_the_plain_gain(make_tiny):
    flat = {d: 1.0 for d in DOMAINS}
    cfg = make_tiny(**RUN, municipality_objectives_north=flat, municipality_objectives_south=flat)
    m = Engine(cfg, [np.random.default_rng(s) for s in (1, 2)]).run().metrics
    assert np.allclose(m["learning_on_objectives_north"], m["learning_gain_north"], rtol=1e-12)
    assert np.allclose(m["learning_on_objectives_south"], m["learning_gain_south"], rtol=1e-12)
    skewed = make_tiny(**RUN)  # the default objectives are not uniform: the two differ
    d = Engine(skewed, [np.random.default_rng(s) for s in (1, 2)]).run().metrics
    assert not np.allclose(d["learning_on_objectives_south"], d["learning_gain_south"])


def test_trust_panel_keeps_the_ties_of_ended_partnerships(make_tiny):
    """A termination shock takes ties out of use: mean_trust_partnership forgets them, the month-0 panel
    keeps them, with their decaying trust; before the shock the two agree."""
    cfg = make_tiny(months=24, shocks_termination_month=12, shocks_terminated_share=0.5,
                    world_partnerships_morocco=2, world_partnerships_turkey=2)
    eng = Engine(cfg, [np.random.default_rng(s) for s in (7, 8, 9)]).run()
    h = eng.history()
    assert np.allclose(h["trust_panel_partnership"][:12], h["mean_trust_partnership"][:12], equal_nan=True)
    assert (eng.metrics["partnerships_alive"] < 4).all()
    assert not np.allclose(h["trust_panel_partnership"][-1], h["mean_trust_partnership"][-1])
    panel, use = eng.state.use.panel, eng.state.use.enabled
    assert (panel & ~use).any() and not (use & ~eng.state.use.ever).any()


@pytest.mark.parametrize("overrides", [{}, {"network": "classic"}, {"dissemination_turnover_rate": 0.05}])
def test_the_channels_add_up_to_the_learning_gain(make_tiny, overrides):
    """Every change of a side's knowledge is booked to one channel: per side and domain the ledger adds up
    to the gain, and the per-side channel outcomes to learning_gain_<side>, in every month."""
    cfg = make_tiny(**{**RUN, **overrides})
    eng = Engine(cfg, [np.random.default_rng(s) for s in (1, 2, 3)]).run()
    st, w = eng.state, eng.world
    g = gains_of(w)
    partnered = np.isin(w.kind, (Kind.STAFF, Kind.CSO)) & (w.partnership >= 0)
    for r in range(eng.R):
        for side, sel in ((0, w.country == 0), (1, w.country != 0)):
            rows = (w.rep == r) & partnered & sel
            booked = st.ledger.book[r, side].sum(axis=-1)  # (D,) over channels
            assert np.allclose(booked, g[rows].sum(axis=0), rtol=1e-9, atol=1e-12)
    h = eng.history()
    for side in ("north", "south"):
        total = sum(h[f"learning_{side}_from_{ch}"] for ch in CHANNELS)
        assert np.allclose(total, h[f"learning_gain_{side}"], rtol=1e-9, atol=1e-12)
        assert (h[f"learning_{side}_from_forgetting"] <= 0).all() and (h[f"learning_{side}_from_exchange"] >= 0).all()
    assert (h["learning_south_from_exchange"][-1] > 0).all()


@pytest.mark.parametrize("overrides, silent", [
    ({"programme": "none", "municipality_own_activity_rate": 0.0}, ("exchange",)),
    ({"network": "classic"}, ("multilevel", "cso_cso", "transnational")),
    ({"network_partnership_contacts": False}, ("remote", "cso_cso")),
    ({"dissemination_turnover_rate": 0.0}, ("turnover",)),
])
def test_a_channel_that_is_switched_off_books_nothing(make_tiny, overrides, silent):
    cfg = make_tiny(**{**RUN, "dissemination_turnover_rate": 0.05, **overrides})
    h = Engine(cfg, [np.random.default_rng(s) for s in (1, 2)]).run().history()
    for ch in silent:
        for side in ("north", "south"):
            assert (h[f"learning_{side}_from_{ch}"] == 0).all(), (ch, side)
    for ch in ("exchange", "remote", "local", "internal", "forgetting"):  # the channels of every network
        if ch not in silent:
            assert (h[f"learning_south_from_{ch}"][-1] != 0).any(), ch
