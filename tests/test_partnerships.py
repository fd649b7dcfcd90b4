"""The long tables: one row per replication, month and partnership, and per country (runner.place_tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import c2c_sim
from c2c_sim.engine import Engine
from c2c_sim.state import CHANNELS

RUN = {"months": 30, "world_unpartnered_north": 2, "world_unpartnered_south": 2, "world_partnerships_morocco": 2,
       "world_partnerships_turkey": 1}


def test_partnership_rows_add_up_to_the_series(make_tiny):
    res = c2c_sim.run_replications(make_tiny(**RUN), replications=3, seed=4)
    pt, series = res.partnerships, res.series
    assert len(pt) == 3 * 31 * 3  # replications x months (with month 0) x partnerships
    assert set(pt.country) == {"morocco", "turkey"} and (pt.groupby("partnership").country.nunique() == 1).all()
    events = pt.groupby(["replication", "month"]).exchange_events.sum()
    want = series.set_index(["replication", "month"]).exchange_events
    assert np.array_equal(events.to_numpy(), want.loc[events.index].to_numpy())
    alive = pt.groupby(["replication", "month"]).alive.sum()
    assert np.array_equal(alive.to_numpy(), series.set_index(["replication", "month"]).partnerships_alive
                          .loc[alive.index].to_numpy())
    assert (pt[pt.month == 0].exchange_events == 0).all() and pt[pt.month == 0].alive.all()
    assert (pt.seed.groupby(pt.replication).nunique() == 1).all()


def test_an_ended_partnership_stays_in_the_table_with_decaying_trust(make_tiny):
    cfg = make_tiny(**{**RUN, "shocks_termination_month": 10, "shocks_terminated_country": "turkey",
                       "municipality_dormancy_months": 1000})
    pt = c2c_sim.run_replications(cfg, replications=2, seed=1).partnerships
    turkish = pt[pt.country == "turkey"].sort_values(["replication", "month"])
    assert turkish[turkish.month >= 10].alive.eq(False).all() and turkish[turkish.month < 10].alive.all()
    for _, one in turkish[turkish.month >= 10].groupby("replication"):
        trust = one.trust.to_numpy()
        assert len(trust) == 21 and np.all(np.diff(trust) <= 1e-15) and trust[-1] < trust[0]  # kept, decaying
    assert (pt[pt.country == "morocco"].alive).all()


def test_place_outcomes_follow_their_definitions(make_tiny):
    """Staff learning per municipality and trust per partnership at the end, recomputed with numpy."""
    cfg = make_tiny(**RUN)
    res = c2c_sim.run_replications(cfg, replications=2, seed=8)
    seeds = [int(s) for s in res.summary.seed]
    eng = Engine(cfg, [np.random.default_rng(s) for s in seeds]).run()
    w, st = eng.world, eng.state
    kn = st.knowledge
    gain = 0.5 * ((kn.explicit - kn.explicit0) + (kn.tacit - kn.tacit0)).mean(axis=1)
    S, M, P = w.staff_per_muni, w.n_munis // 2, w.n_partnerships // 2
    staff_of = gain[:w.n_munis * S].reshape(w.n_munis, S).mean(axis=1)  # staff rows come first, municipality-major
    last = res.partnerships[res.partnerships.month == cfg.months]
    for r in range(2):
        mine = last[last.replication == r].sort_values("partnership")
        assert np.allclose(mine.staff_learning_north, staff_of[r * M + mine.north.to_numpy()], rtol=1e-12)
        assert np.allclose(mine.staff_learning_south, staff_of[r * M + mine.south.to_numpy()], rtol=1e-12)
        pt = st.partnerships
        for j in range(P):
            p = r * P + j
            ties = pt.event_ties[pt.event_index[p]:pt.event_index[p + 1]]
            assert mine.trust.iloc[j] == pytest.approx(st.ties.trust[ties].mean(), rel=1e-12)


def test_country_rows_agree_with_the_partnership_rows(make_tiny):
    res = c2c_sim.run_replications(make_tiny(**RUN), replications=2, seed=3)
    pt, co = res.partnerships, res.countries
    assert set(co.country) == {"netherlands", "morocco", "turkey"}
    nl = co[(co.country == "netherlands") & co.partnered].set_index(["replication", "month"])
    assert (nl.municipalities == 3).all() and (co[(co.country == "netherlands") & ~co.partnered].municipalities
                                               == 2).all()
    mean_north = pt.groupby(["replication", "month"]).staff_learning_north.mean()
    assert np.allclose(nl.staff_learning.loc[mean_north.index], mean_north)
    ma = co[(co.country == "morocco") & co.partnered].set_index(["replication", "month"])
    alive_ma = pt[pt.country == "morocco"].groupby(["replication", "month"]).alive.sum()
    assert np.array_equal(ma.partnerships_alive.loc[alive_ma.index].to_numpy(), alive_ma.to_numpy())
    assert (co[~co.partnered].partnerships_alive == 0).all()


def test_long_tables_do_not_depend_on_batching(make_tiny):
    cfg = make_tiny(**RUN)
    a = c2c_sim.run_replications(cfg, replications=3, seed=2, batch_size=3)
    b = c2c_sim.run_replications(cfg, replications=3, seed=2, batch_size=1, workers=2)
    pd.testing.assert_frame_equal(a.partnerships, b.partnerships)
    pd.testing.assert_frame_equal(a.countries, b.countries)


def test_every_job_writes_the_long_tables(tmp_path):
    from c2c_sim.cli import run_job
    from c2c_sim.storage import read_table

    cfg = c2c_sim.make_config(months=6, replications=2)
    run_job(cfg, tmp_path / "job", figure=False)
    for name in ("partnerships", "countries", "channels"):
        t = read_table(tmp_path / "job", name)
        assert len(t) and {"replication", "seed"} <= set(t.columns)


def test_channels_per_domain_add_up_to_the_domain_gains_and_the_channel_outcomes(make_tiny):
    res = c2c_sim.run_replications(make_tiny(**RUN, network="multilevel_hybrid"), replications=2, seed=6)
    ch, summary = res.channels, res.summary.set_index("replication")
    assert len(ch) == 2 * 2 * 6 * len(CHANNELS)  # replications x sides x domains x channels
    by_domain = ch.groupby(["replication", "side", "domain"], observed=True).learning.sum()
    for (r, side, domain), v in by_domain.items():
        assert v == pytest.approx(summary.loc[r, f"learning_gain_{side}__{domain}"], rel=1e-9, abs=1e-15)
    by_channel = ch.groupby(["replication", "side", "channel"], observed=True).learning.mean()
    for (r, side, channel), v in by_channel.items():
        assert v == pytest.approx(summary.loc[r, f"learning_{side}_from_{channel}"], rel=1e-9, abs=1e-15)
    assert (ch[ch.channel == "forgetting"].learning <= 0).all() and (ch[ch.channel == "exchange"].learning >= 0).all()
