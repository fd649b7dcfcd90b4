"""The mechanisms the recommendations name (issue 11): each rule on a small hand-made state (direction
and size), an invariant under hypothesis, and the parameter value that turns it off."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import c2c_sim
from c2c_sim import rules
from c2c_sim.config import Config
from c2c_sim.engine import Engine
from c2c_sim.state import Partnerships, Rep, params_from_config

OBJ_NORTH = np.array([0.15, 0.45, 0.1, 0.1, 0.1, 0.1])
OBJ_SOUTH = np.array([0.2, 0.05, 0.3, 0.25, 0.1, 0.1])


def prm(**kw):
    return params_from_config(Config())._replace(**kw)


def partnerships(P: int, familiarity=0.0, support=0.0, last_exchange=0) -> Partnerships:
    return Partnerships(north=np.arange(P, dtype=np.int32), south=np.arange(P, 2 * P, dtype=np.int32),
                        alive=np.ones(P, bool), last_exchange=np.full(P, last_exchange, np.int32),
                        familiarity=np.full(P, familiarity, float), support=np.full(P, support, float),
                        country=np.ones(P, np.int8),
                        event_index=np.zeros(P + 1, np.int64), event_ties=np.zeros(0, np.int64))


# ------------------------------------------------------------------ R5 (a): absorptive capacity per month
def test_monthly_intake_saturates_and_zero_is_no_limit():
    p = prm(monthly_intake=0.05)
    small, big = rules.absorbed(0.001, p), rules.absorbed(0.2, p)
    assert small == pytest.approx(0.001, rel=0.02) and small < 0.001  # nearly all of a small increment
    assert 0.98 * 0.05 < big < 0.05  # never more than the limit
    assert rules.absorbed(0.0, p) == 0.0
    # one month of four contacts takes in less than the same contacts over four months
    assert rules.absorbed(0.08, p) < 4 * rules.absorbed(0.02, p)
    assert rules.absorbed(0.2, prm(monthly_intake=0.0)) == 0.2  # off


@settings(max_examples=200, deadline=None)
@given(x=st.floats(0.0, 5.0), limit=st.floats(1e-4, 1.0))
def test_intake_is_between_zero_and_the_increment_and_the_limit(x, limit):
    got = rules.absorbed(x, prm(monthly_intake=limit))
    assert 0.0 <= got <= min(x, limit) + 1e-15


# ------------------------------------------------------------------ R5 (b): familiarity
def test_familiarity_grows_with_events_and_fades_without():
    pt = partnerships(3, familiarity=0.5)
    rules.update_familiarity(pt, np.array([0, 1, 3]), 0, 3, prm(familiarity_growth=0.2, familiarity_decay=0.1))
    assert pt.familiarity == pytest.approx([0.45, 1 - 0.5 * 0.8, 1 - 0.5 * 0.8 ** 3])


@settings(max_examples=100, deadline=None)
@given(f=st.floats(0.0, 1.0), k=st.integers(0, 50), g=st.floats(0.0, 1.0), d=st.floats(0.0, 1.0))
def test_familiarity_stays_in_the_unit_interval(f, k, g, d):
    pt = partnerships(1, familiarity=f)
    rules.update_familiarity(pt, np.array([k]), 0, 1, prm(familiarity_growth=g, familiarity_decay=d))
    assert 0.0 <= pt.familiarity[0] <= 1.0
    assert (pt.familiarity[0] >= f - 1e-15) if k > 0 else (pt.familiarity[0] <= f)


def test_familiarity_lets_the_learning_strategy_focus():
    def agenda(familiarity, dependence):
        out = np.zeros(6)
        rules.exchange_agenda(prm(learning_strategy=True, strategy_familiarity=dependence), OBJ_NORTH, OBJ_SOUTH,
                              0.0, familiarity, np.zeros(6), np.zeros(6), out)
        return out

    strangers, partners = agenda(0.0, 0.5), agenda(1.0, 0.5)
    assert strangers.std() < partners.std()  # a strategy focuses only as far as the partners know each other
    assert strangers.mean() == pytest.approx(1.0) and partners.mean() == pytest.approx(1.0)
    assert np.allclose(agenda(0.0, 0.0), agenda(1.0, 0.0))  # off: familiarity does not matter
    assert np.allclose(agenda(1.0, 0.5), agenda(0.3, 0.0))  # full familiarity: the strategy's full focus


def test_familiarity_lowers_the_distance_on_the_partnerships_contacts():
    """One contact in a partnership's context: the receiver learns more when familiarity has removed part
    of the distance (``plan.closeness``); contacts outside any partnership are unaffected."""
    from c2c_sim.state import Learners, empty_ledger, general_plan
    from tests.test_rules import contacts, knowledge, ties, transfer_work

    def gain(closeness, context):
        kn = knowledge([[0.2, 0.2], [0.7, 0.7]])
        plan = general_plan(np.ones((2, 2)))
        plan.closeness[0] = closeness
        rules.transfer_knowledge(kn, Learners(np.ones(2), np.zeros(2, bool), np.full(2, 2, np.int8), np.full(2, -1, np.int8)),
                                 ties([0], [1], 0.5, distance=0.5), contacts([0], context=context), 1, 0, plan,
                                 prm(monthly_intake=0.0), transfer_work(2, 2), empty_ledger(2, 1, 2), 0)
        return kn.explicit[0, 0] - kn.explicit0[0, 0]

    assert gain(0.5, 0) > gain(1.0, 0) > 0
    assert gain(0.5, 0) == pytest.approx(gain(1.0, 0) * (1 - 0.25) / (1 - 0.5))  # distance 0.5 -> 0.25
    assert gain(0.5, -1) == gain(1.0, -1)  # outside the partnership: the general row


# ------------------------------------------------------------------ R6: each side acts or re-acts
def test_each_side_initiates_and_the_other_must_take_up():
    p = prm(own_activity_rate=1.0, response_base=0.5, support_activity=0.0, initiator_boost=0.0)
    _, own_np, share_np = rules.exchange_intensity(p, 0.0, 1.0, 0.8, 0.1, 0.0, 1.0, 0.0, True)
    _, own_sp, share_sp = rules.exchange_intensity(p, 0.0, 1.0, 0.1, 0.8, 0.0, 1.0, 0.0, True)
    assert own_np == pytest.approx(own_sp)  # as much activity either way round...
    assert share_np > 0.5 > share_sp and share_np == pytest.approx(1 - share_sp)  # ...but another side leads
    assert own_np == pytest.approx(0.5 * (0.8 * 0.55 + 0.1 * 0.9))
    # the weaker side limits: one keen side and one that never acts do less than two moderate ones
    assert rules.exchange_intensity(p, 0.0, 1.0, 0.9, 0.0, 0.0, 1.0, 0.0, True)[1] < \
        rules.exchange_intensity(p, 0.0, 1.0, 0.45, 0.45, 0.0, 1.0, 0.0, True)[1]
    # off (every initiative taken up): the mean of the pair's proactivity, as before
    off = p._replace(response_base=1.0)
    assert rules.exchange_intensity(off, 0.0, 1.0, 0.8, 0.1, 0.0, 1.0, 0.0, True)[1] == pytest.approx(0.45)


@settings(max_examples=100, deadline=None)
@given(pn=st.floats(0, 1), ps=st.floats(0, 1), base=st.floats(0, 1), trust=st.floats(0, 1))
def test_own_activity_is_symmetric_and_never_exceeds_full_take_up(pn, ps, base, trust):
    p = prm(response_base=base, support_activity=0.0)
    a = rules.exchange_intensity(p, 0.0, trust, pn, ps, 0.0, 1.0, 0.0, True)
    b = rules.exchange_intensity(p, 0.0, trust, ps, pn, 0.0, 1.0, 0.0, True)
    full = rules.exchange_intensity(p._replace(response_base=1.0), 0.0, trust, pn, ps, 0.0, 1.0, 0.0, True)
    assert a[1] == pytest.approx(b[1]) and a[1] <= full[1] + 1e-12 and 0.0 <= a[2] <= 1.0


def test_north_and_south_proactive_are_distinguishable_in_a_run(make_tiny):
    """North-proactive/South-reactive and the reverse give different runs (before issue 11 they gave
    exactly the same numbers); with the side's agenda off and every initiative taken up they do not."""
    def learning(pn, ps, **kw):
        cfg = make_tiny(months=60, municipality_proactivity_north=pn, municipality_proactivity_south=ps, **kw)
        return c2c_sim.run_replications(cfg, replications=4, seed=3).summary[
            ["learning_on_objectives_north", "learning_on_objectives_south"]].to_numpy()

    assert not np.allclose(learning(0.8, 0.1), learning(0.1, 0.8))
    off = dict(partnership_initiator_agenda=0.0, partnership_response_base=1.0, partnership_domestic_motive=0.0)
    np.testing.assert_allclose(learning(0.8, 0.1, **off), learning(0.1, 0.8, **off), rtol=1e-12)


# ------------------------------------------------------------------ R1: domestic motive
def test_domestic_motive_follows_what_the_agenda_serves():
    p = prm(domestic_motive=1.0)
    neutral = rules.domestic_motive(p, OBJ_NORTH, np.ones(6))
    dutch = rules.domestic_motive(p, OBJ_NORTH, OBJ_NORTH / OBJ_NORTH.mean())
    southern = rules.domestic_motive(p, OBJ_NORTH, OBJ_SOUTH / OBJ_SOUTH.mean())
    assert neutral == pytest.approx(1.0) and dutch > 1.0 > southern >= 0.0
    assert rules.domestic_motive(prm(domestic_motive=0.0), OBJ_NORTH, OBJ_SOUTH / OBJ_SOUTH.mean()) == 1.0  # off


def test_coherence_raises_dutch_initiative_through_the_motive(make_tiny):
    """Coherence pays for events on Dutch objectives; through the domestic motive the Dutch side then
    initiates more own-funded exchanges (coherence acts on the whole agenda, not only on paid events)."""
    def own_events(coherence, motive):
        cfg = make_tiny(months=60, programme_coherence=coherence, partnership_domestic_motive=motive)
        return c2c_sim.run_replications(cfg, replications=6, seed=2).summary["exchange_events_total"].mean()

    assert own_events(1.0, 2.0) - own_events(0.0, 2.0) > own_events(1.0, 0.0) - own_events(0.0, 0.0)


# ------------------------------------------------------------------ R7: support at home
def rep_of(P: int, Mc: int) -> Rep:
    A = P * Mc
    return Rep(0, 0, 0, 0, 0, 0, A, 0, 0, 0, 0, 0, P, 0, 0, 0)


def test_support_grows_with_involved_migrants_and_fades():
    pt = partnerships(2, support=0.5)
    rules.update_support(pt, np.array([0, 10]), rep_of(2, 10), prm(support_growth=0.1, support_decay=0.02))
    assert pt.support == pytest.approx([0.5 - 0.02 * 0.5, 0.5 + 0.1 * 0.5 - 0.02 * 0.5])


def test_support_lengthens_the_dormancy_a_partnership_survives():
    p = prm(dormancy_months=24, support_dormancy=1.0)
    low, high = partnerships(1, support=0.0), partnerships(1, support=0.5)
    assert rules.sustain_partnerships(low, 0, 1, 25, p) and not low.alive[0]
    assert not rules.sustain_partnerships(high, 0, 1, 36, p) and high.alive[0]  # 24 * 1.5 = 36 months
    assert rules.sustain_partnerships(high, 0, 1, 37, p)
    off = partnerships(1, support=0.5)
    assert rules.sustain_partnerships(off, 0, 1, 25, p._replace(support_dormancy=0.0))


def test_support_shields_partnerships_in_a_termination():
    P, R = 4, 50
    hit = {}
    for support in (0.0, 0.5, 1.0):
        alive = np.ones(R * P, bool)
        rules.terminate_partnerships(alive, np.full(P, 1), [np.random.default_rng(r) for r in range(R)], 1.0,
                                     "any", np.full(R * P, support), 0.8)
        hit[support] = 1 - alive.mean()
    assert hit[0.0] == 1.0 and hit[1.0] < hit[0.5] < 1.0
    assert abs(hit[1.0] - 0.2) < 0.08  # survives with probability shield * support = 0.8


def test_outreach_builds_support_and_support_keeps_partnerships_through_a_funding_cut(make_tiny):
    def run(outreach, activity=1.0, dormancy=1.0):
        cfg = make_tiny(months=96, migrants_outreach=outreach, shocks_funding_cut_month=12,
                        partnership_support_activity=activity, partnership_support_dormancy=dormancy)
        eng = Engine(cfg, [np.random.default_rng(s) for s in range(8)]).run()
        return eng.world.support.mean(), eng.metrics["partnerships_alive"].mean()

    (s0, alive0), (s1, alive1) = run(0.0), run(0.1)
    assert s1 > s0 and alive1 >= alive0
    _, off0 = run(0.0, 0.0, 0.0)
    _, off1 = run(0.1, 0.0, 0.0)
    assert off0 <= alive0 and off1 <= alive1  # support's protection off: no more partnerships alive


# ------------------------------------------------------------------ R3: colleague matching, graded donor mode
def event_gain(field_a, field_b, **kw):
    """Receiver 0 (field ``field_a``) learns from 1 (``field_b``) at one exchange-event contact (partnership
    0's context), in two domains with equal gaps; returns its gains per domain."""
    from c2c_sim.state import Learners, empty_ledger, general_plan
    from tests.test_rules import contacts, knowledge, ties, transfer_work

    kn = knowledge([[0.2, 0.2], [0.6, 0.6]])
    rules.transfer_knowledge(kn, Learners(np.ones(2), np.zeros(2, bool), np.full(2, 2, np.int8),
                                          np.array([field_a, field_b], np.int8)),
                             ties([0], [1], 0.5, distance=0.2), contacts([0], context=0), 1, 1,
                             general_plan(np.ones((2, 2))), prm(monthly_intake=0.0, **kw), transfer_work(2, 2),
                             empty_ledger(2, 1, 2), 0)
    return kn.explicit[0] - kn.explicit0[0]


def test_colleagues_of_the_same_field_learn_more_in_it():
    matched = event_gain(1, 1, matching=1.0)
    assert matched[1] == pytest.approx(2 * matched[0]) and matched[0] > 0  # field 1: (1 + matching) times
    unmatched = event_gain(0, 1, matching=1.0)
    assert unmatched[0] == pytest.approx(unmatched[1]) == pytest.approx(matched[0])
    off = event_gain(1, 1, matching=0.0)
    assert off[0] == pytest.approx(off[1])  # off
    donor = event_gain(1, 1, matching=1.0, donor=True)
    assert donor[0] == pytest.approx(donor[1])  # donor delegations are not matched


def test_donor_agenda_follows_the_souths_deficits():
    mem_n, mem_s = np.array([0.6, 0.6, 0.3, 0.3, 0.3, 0.3]), np.array([0.2, 0.5, 0.3, 0.4, 0.3, 0.3])
    out = {}
    for donor in (False, True):
        out[donor] = np.zeros(6)
        rules.exchange_agenda(prm(donor=donor, donor_agenda=1.0, learning_strategy=False), OBJ_NORTH, OBJ_SOUTH,
                              0.0, 0.0, mem_n, mem_s, out[donor])
    assert out[True][0] > out[True][1] > out[True][2] == out[True][3]  # gaps 0.4, 0.1, none
    assert out[True].mean() == pytest.approx(1.0)
    assert np.corrcoef(out[False], OBJ_SOUTH)[0, 1] == pytest.approx(1.0)  # peer: the South's objectives
    half = np.zeros(6)
    rules.exchange_agenda(prm(donor=True, donor_agenda=0.0), OBJ_NORTH, OBJ_SOUTH, 0.0, 0.0, mem_n, mem_s, half)
    assert np.allclose(half, out[False])  # donor_agenda 0: the objectives as in peer mode


# ------------------------------------------------------------------ R2: knowledge institutions codify
def test_knowledge_institutions_raise_institutionalisation_and_what_newcomers_keep():
    from tests.test_rules import disseminate, dissemination_state

    def memory_gain(codified, codify=1.0, leave=None):
        kn, mem, mem0, sharers = dissemination_state()
        disseminate(kn, mem, mem0, sharers, leave=leave, codified=codified, institutionalisation_rate=0.1,
                    institution_codify=codify)
        return mem - mem0, kn

    plain, _ = memory_gain((False, False))
    both, _ = memory_gain((True, False))
    assert np.all(both[0] == pytest.approx(2 * plain[0])) and np.all(both[1] == plain[1])  # rate x (1 + codify)
    off, _ = memory_gain((True, False), codify=0.0)
    assert np.array_equal(off, plain)
    leave = np.zeros(6, bool)
    leave[1] = True  # a newcomer replaces staff 1 of municipality 0
    _, kn_plain = memory_gain((False, False), leave=leave)
    _, kn_codified = memory_gain((True, False), leave=leave)
    assert np.all(kn_codified.explicit[1] >= kn_plain.explicit[1]) and np.any(kn_codified.explicit[1] >
                                                                               kn_plain.explicit[1])


def test_only_municipalities_in_recent_contact_with_a_knowledge_institution_are_codified():
    out = np.zeros(3, bool)
    rules.codified_by_institutions(np.array([0, 1, -1]), np.array([10, 2], np.int32), 0, 3, 12,
                                   prm(active_window=6), out)
    assert out.tolist() == [True, False, False]


def test_knowledge_institutions_matter_only_in_the_multilevel_network(make_tiny):
    def memory(network, codify):
        cfg = make_tiny(months=60, network=network, dissemination_institution_codify=codify)
        return c2c_sim.run_replications(cfg, replications=4, seed=5).summary["institutional_knowledge_gain"].mean()

    assert memory("multilevel_hybrid", 2.0) > memory("multilevel_hybrid", 0.0)
    assert memory("multi_actor", 2.0) == memory("multi_actor", 0.0)  # no knowledge institutions there


# ------------------------------------------------------------------ R4: initiatives that matter
def test_a_csos_ties_carry_contacts_only_while_it_runs_an_initiative(rng):
    from c2c_sim.rules import Contacts
    from c2c_sim.state import TieUse

    T = 20000
    ends = np.full((T, 2), -1, np.int64)
    ends[: T // 2, 0] = 0  # the first half of the ties have CSO 0 at one end
    use = TieUse(enabled=np.ones(T, bool), contact_rate=np.full(T, 0.4), f2f=np.ones(T, bool),
                 context=np.full(T, -1, np.int64), needs_partnership=np.zeros(T, bool), staff_pair=np.zeros(T, bool),
                 panel=np.zeros(T, bool), ever=np.zeros(T, bool), cso_ends=ends,
                 programme_country=np.full(T, -1, np.int8))
    u = rng.random(T)

    def share(start, idle):
        cts = Contacts(np.zeros(T, np.int64), np.zeros(T, bool), np.zeros(T, bool), np.zeros(T, np.int64))
        n = rules.routine_contacts(use, u, 0, T, cts, 0, np.array([start], np.int32), np.zeros(3, bool),
                                   prm(idle_contact=idle))
        hit = np.zeros(T, bool)
        hit[cts.tie[:n]] = True
        return hit[: T // 2].mean(), hit[T // 2:].mean()

    running, others = share(3, 0.25)
    idle, others_idle = share(-1, 0.25)
    assert abs(running - 0.4) < 0.02 and abs(idle - 0.1) < 0.02  # 0.4 x 0.25 while idle
    assert others == others_idle  # ties without a CSO end do not care
    assert share(-1, 1.0)[0] == running  # off


def test_approval_at_its_stage_depends_on_support():
    from tests.test_rules import initiative_state

    def stalled_at_approval(support, base, u):
        inits, t, tally, rep = initiative_state(1, support_trust=1.0)
        from c2c_sim.state import Draws
        draws = Draws(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.array([u]), np.zeros(1))
        rules.update_initiatives(inits, np.zeros(2, bool), t, np.ones(1, bool), np.zeros(1, bool), draws, tally,
                                 rep, 6, support, prm(approval_month=6, approval_base=base, capacity_months=0,
                                                      volunteer_decay=0.0), 0)
        return inits.start[0] < 0

    assert stalled_at_approval(0.0, 0.5, 0.6) and not stalled_at_approval(0.0, 0.5, 0.4)  # p = 0.5 without support
    assert not stalled_at_approval(0.5, 0.5, 0.7)  # p = 0.5 + 0.5 * 0.5 = 0.75
    assert not stalled_at_approval(0.0, 1.0, 0.99)  # base 1: always approved


def test_volunteer_input_dwindles_faster_as_an_initiative_outlives_the_csos_capacity():
    from tests.test_rules import initiative_state

    def momentum(age, capacity):
        inits, t, tally, rep = initiative_state(1, support_trust=0.0)
        from c2c_sim.state import Draws
        draws = Draws(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1), np.zeros(1))
        rules.update_initiatives(inits, np.zeros(2, bool), t, np.ones(1, bool), np.zeros(1, bool), draws, tally,
                                 rep, age, 0.0, prm(approval_month=0, capacity_months=capacity, volunteer_decay=0.05,
                                                    stall_threshold=0.0), 0)
        return inits.momentum[0]

    assert momentum(10, 0) == pytest.approx(0.95) and momentum(40, 0) == pytest.approx(0.95)  # off
    assert momentum(10, 20) == pytest.approx(1 - 0.05 * 1.5) and momentum(40, 20) == pytest.approx(1 - 0.05 * 3)


# ------------------------------------------------------------------ LOGO South: country programmes
def test_a_country_programme_runs_from_its_critical_mass_of_active_partnerships():
    pt = partnerships(5)
    pt.country[:] = [1, 1, 1, 2, 2]
    pt.last_exchange[:] = [20, 15, 9, 20, 20]  # at month 20 with a window of 10: partnership 2 is not active
    on = np.zeros(3, bool)
    rep = Rep(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0)
    rules.country_programmes(pt, rep, 20, prm(min_partnerships=2, active_window=10), on)
    assert on.tolist() == [False, True, True]
    rules.country_programmes(pt, rep, 20, prm(min_partnerships=3, active_window=10), on)
    assert on.tolist() == [False, False, False]  # Morocco has two active partnerships, not three
    rules.country_programmes(pt, rep, 20, prm(min_partnerships=0, active_window=10), on)
    assert not on.any()  # off
    pt.last_exchange[:] = 0  # no exchange yet (a twin): no programme
    rules.country_programmes(pt, rep, 5, prm(min_partnerships=1, active_window=10), on)
    assert not on.any()


def test_country_programme_ties_exist_in_the_multilevel_network_and_carry_contacts_only_while_it_runs(make_tiny):
    def run(min_p, network="multilevel_hybrid"):
        cfg = make_tiny(months=36, network=network, world_partnerships_morocco=3, world_unpartnered_south=2,
                        country_programme_min_partnerships=min_p)
        eng = Engine(cfg, [np.random.default_rng(s) for s in range(3)])
        prog = eng.world.tie_programme >= 0
        eng.run()
        return prog, eng.world.last_contact[prog]

    prog, contacted = run(3)
    assert prog.any() and (contacted > 0).any()  # three Moroccan partnerships: the programme runs
    _, never = run(0)
    assert (never < 0).all()  # off: its ties never carry a contact
    prog_ma, _ = run(3, "multi_actor")
    assert not prog_ma.any()  # only the multilevel network has country programmes


def test_national_bodies_start_like_their_municipalities_and_meet_only_if_configured(make_tiny):
    from c2c_sim.world import Kind, TieType
    for national_ties in (False, True):
        w = Engine(make_tiny(months=1, network="multilevel_hybrid", network_national_ties=national_ties,
                             knowledge_heterogeneity=0.0), [np.random.default_rng(1)]).world
        nat = np.flatnonzero(w.kind == Kind.HIGHER_GOVERNMENT)
        cross = ((np.isin(w.src, nat) & np.isin(w.dst, nat)) & (w.tie_type == TieType.MULTILEVEL)).sum()
        assert (cross > 0) == national_ties
    staff_n = w.explicit0[(w.kind == Kind.STAFF) & (w.country == 0)].mean(axis=0)
    nat_n = w.explicit0[(w.kind == Kind.HIGHER_GOVERNMENT) & (w.country == 0)].mean(axis=0)
    np.testing.assert_allclose(nat_n, staff_n, atol=1e-6)


# ------------------------------------------------------------------ invariants of the other mechanisms
@settings(max_examples=100, deadline=None)
@given(s0=st.floats(0, 1), involved=st.integers(0, 10), g=st.floats(0, 1), d=st.floats(0, 1))
def test_support_stays_in_the_unit_interval_and_grows_only_with_involvement(s0, involved, g, d):
    pt = partnerships(1, support=s0)
    rules.update_support(pt, np.array([involved]), rep_of(1, 10), prm(support_growth=g, support_decay=d))
    assert 0.0 <= pt.support[0] <= 1.0
    if involved == 0:
        assert pt.support[0] <= s0


@settings(max_examples=100, deadline=None)
@given(motive=st.floats(0, 10), agenda=st.lists(st.floats(0, 6), min_size=6, max_size=6))
def test_the_domestic_motive_is_never_negative_and_neutral_on_a_neutral_agenda(motive, agenda):
    p = prm(domestic_motive=motive)
    assert rules.domestic_motive(p, OBJ_NORTH, np.asarray(agenda)) >= 0.0
    assert rules.domestic_motive(p, OBJ_NORTH, np.ones(6)) == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(mem_n=st.lists(st.floats(0, 1), min_size=6, max_size=6), mem_s=st.lists(st.floats(0, 1), min_size=6, max_size=6),
       share=st.floats(0, 1), w=st.floats(0, 1), fam=st.floats(0, 1))
def test_every_agenda_averages_one_and_is_never_negative(mem_n, mem_s, share, w, fam):
    for donor in (False, True):
        for strategy in (False, True):
            out = np.zeros(6)
            rules.exchange_agenda(prm(donor=donor, donor_agenda=share, learning_strategy=strategy), OBJ_NORTH,
                                  OBJ_SOUTH, w, fam, np.asarray(mem_n), np.asarray(mem_s), out)
            assert out.mean() == pytest.approx(1.0) and np.all(out >= 0)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_country_programmes_run_exactly_where_the_active_partnerships_reach_the_mass(data):
    P = data.draw(st.integers(1, 12))
    pt = partnerships(P)
    pt.country[:] = data.draw(st.lists(st.integers(1, 2), min_size=P, max_size=P))
    pt.last_exchange[:] = data.draw(st.lists(st.integers(0, 40), min_size=P, max_size=P))
    month, window, mass = 40, data.draw(st.integers(1, 30)), data.draw(st.integers(0, 5))
    on = np.zeros(3, bool)
    rules.country_programmes(pt, Rep(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, P, 0, 0, 0), month,
                             prm(min_partnerships=mass, active_window=window), on)
    active = (pt.last_exchange > 0) & (month - pt.last_exchange < window)
    expected = [mass > 0 and int((active & (pt.country == c)).sum()) >= mass for c in range(3)]
    assert on.tolist() == expected


@settings(max_examples=100, deadline=None)
@given(ties_=st.lists(st.integers(-1, 3), min_size=1, max_size=8), data=st.data())
def test_codified_exactly_where_the_institution_tie_had_a_recent_contact(ties_, data):
    last = np.asarray(data.draw(st.lists(st.integers(-100, 30), min_size=4, max_size=4)), np.int32)
    window = data.draw(st.integers(1, 20))
    out = np.zeros(len(ties_), bool)
    rules.codified_by_institutions(np.asarray(ties_, np.int64), last, 0, len(ties_), 30, prm(active_window=window),
                                   out)
    assert out.tolist() == [e >= 0 and bool(last[e] > 30 - window) for e in ties_]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 6), data=st.data())
def test_initiatives_keep_momentum_at_most_one_and_idle_ones_at_zero(n, data):
    from c2c_sim.state import Draws
    from tests.test_rules import initiative_state
    inits, t, tally, rep = initiative_state(n, support_trust=data.draw(st.floats(0, 1)))
    kw = dict(approval_month=data.draw(st.integers(0, 12)), approval_base=data.draw(st.floats(0, 1)),
              capacity_months=data.draw(st.integers(0, 48)), volunteer_decay=data.draw(st.floats(0, 0.3)))
    for month in range(1, 25):
        u = np.asarray(data.draw(st.lists(st.floats(0, 0.999), min_size=n, max_size=n)))
        draws = Draws(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), u, np.zeros(n))
        rules.update_initiatives(inits, np.zeros(2 * n, bool), t, np.ones(n, bool), np.zeros(1, bool), draws, tally,
                                 rep, month, 0.3, prm(**kw), 0)
        assert np.all(inits.momentum <= 1.0)
        assert np.all(inits.momentum[inits.start < 0] == 0.0)
        tally.stall_log[:] = 0


def test_country_programme_ties_make_no_boundary_spanners_and_stay_out_of_the_tie_outcomes(make_tiny):
    from c2c_sim.world import Kind, TieType
    eng = Engine(make_tiny(months=3, network="multilevel_hybrid", world_partnerships_morocco=3,
                           world_unpartnered_south=2), [np.random.default_rng(2)])
    eng.run()
    w, st_ = eng.world, eng.state
    ml = (w.tie_type == TieType.MULTILEVEL) & (w.tie_programme < 0)
    spanners = np.zeros(len(w.kind), bool)
    for end in (w.src[ml], w.dst[ml]):
        spanners[end[w.kind[end] == Kind.STAFF]] = True
    assert (w.tie_programme >= 0).any() and np.array_equal(st_.actors.boundary, spanners)
    in_use = st_.use.enabled & ml
    assert eng.metrics["mean_trust_multilevel"][0] == pytest.approx(w.trust[in_use].mean())
