"""Each rule of c2c_sim.rules on small hand-made states: direction and size of its effect.

Where a rule's effect depends on how the engine wires it (effective distance of a
facilitated exchange, donor mode, contacts counted per tie, turnover), the test
drives :class:`c2c_sim.engine.Engine`'s phase methods directly on a tiny world,
for both the numpy rules and the compiled kernels.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from c2c_sim import rules
from c2c_sim.config import DOMAINS, ProgrammeConfig, ShockConfig
from c2c_sim.engine import Engine
from c2c_sim.world import NEVER, Kind, TieType, initial_trust

D = 3
RATES = {"explicit_rate": 0.3, "tacit_rate": 0.15, "absorptive_base": 0.3, "bounded_gap": 1.0, "tacit_exponent": 2.0}


def transfer(kr, ks, *, trust=0.5, distance=0.2, f2f=True, agenda=1.0, weight=1.0, openness=1.0, tacit=None,
             **rates):
    """One directed interaction: actor 0 (receiver, knowing ``kr``) learns from actor 1 (knowing ``ks``).

    Returns (explicit gain, tacit gain) of the receiver.
    """
    explicit = np.array([kr, ks], dtype=float).reshape(2, -1)
    tac = explicit.copy() if tacit is None else np.array(tacit, dtype=float).reshape(2, -1)
    n_dom = explicit.shape[1]
    new_e, new_t = rules.transfer_knowledge(
        explicit, tac, np.array([0]), np.array([1]), np.array([trust], float), np.array([distance], float),
        np.array([f2f]), np.broadcast_to(np.asarray(agenda, float), (1, n_dom)).copy(), np.array([weight], float),
        np.array([openness, 1.0]), **{**RATES, **rates})
    assert np.array_equal(new_e[1], explicit[1]) and np.array_equal(new_t[1], tac[1]), "the source changed"
    return new_e[0] - explicit[0], new_t[0] - tac[0]


# =============================================================================================== Rule 2: transfer
def test_transfer_size_follows_the_rule():
    kr, ks = np.array([0.1, 0.3, 0.5]), np.array([0.6, 0.4, 0.9])
    trust, distance, openness, agenda = 0.6, 0.3, 0.8, np.array([1.5, 1.0, 0.5])
    ge, gt = transfer(kr, ks, trust=trust, distance=distance, openness=openness, agenda=agenda)
    absorb = 0.3 + 0.7 * kr
    closeness = (1 - distance) * openness
    assert ge == pytest.approx(0.3 * trust * closeness * absorb * agenda * (ks - kr), rel=1e-12)
    assert gt == pytest.approx(0.15 * trust ** 2 * closeness * absorb * agenda * (ks - kr), rel=1e-12)


def test_more_trust_more_transfer():
    gains = [transfer([0.2] * D, [0.7] * D, trust=t) for t in (0.0, 0.2, 0.5, 0.9)]
    explicit = [g[0][0] for g in gains]
    tacit = [g[1][0] for g in gains]
    assert explicit[0] == 0.0 and tacit[0] == 0.0
    assert all(a < b for a, b in itertools.pairwise(explicit))
    assert all(a < b for a, b in itertools.pairwise(tacit))
    # tacit knowledge needs more trust: it scales with trust ** tacit_exponent, explicit linearly
    assert explicit[3] / explicit[1] == pytest.approx(0.9 / 0.2)
    assert tacit[3] / tacit[1] == pytest.approx((0.9 / 0.2) ** 2)


def test_nothing_flows_from_one_who_knows_less():
    ge, gt = transfer([0.8, 0.5, 0.3], [0.4, 0.5, 0.9], trust=1.0, distance=0.0)
    assert ge[0] == 0.0 and gt[0] == 0.0  # source knows less
    assert ge[1] == 0.0 and gt[1] == 0.0  # source knows the same
    assert ge[2] > 0 and gt[2] > 0


def test_tacit_knowledge_needs_face_to_face():
    ge_remote, gt_remote = transfer([0.2] * D, [0.7] * D, f2f=False)
    ge_f2f, gt_f2f = transfer([0.2] * D, [0.7] * D, f2f=True)
    assert np.all(gt_remote == 0.0) and np.all(gt_f2f > 0)
    assert np.array_equal(ge_remote, ge_f2f) and np.all(ge_remote > 0)  # explicit moves either way


def test_more_cultural_distance_less_transfer():
    gains = [transfer([0.2] * D, [0.7] * D, distance=d) for d in (0.0, 0.3, 0.6, 1.0)]
    explicit = [g[0][0] for g in gains]
    tacit = [g[1][0] for g in gains]
    assert all(a > b for a, b in itertools.pairwise(explicit)) and explicit[-1] == 0.0
    assert all(a > b for a, b in itertools.pairwise(tacit)) and tacit[-1] == 0.0
    assert explicit[1] / explicit[0] == pytest.approx(0.7)


def test_absorptive_capacity_helps_who_knows_more():
    """Same gap, different prior knowledge: the one who knows more absorbs more (Cohen and Levinthal)."""
    low, _ = transfer([0.1], [0.5])
    high, _ = transfer([0.4], [0.8])
    assert high[0] > low[0] > 0
    assert high[0] / low[0] == pytest.approx((0.3 + 0.7 * 0.4) / (0.3 + 0.7 * 0.1))
    # with full absorptive capacity for everyone, prior knowledge does not matter
    low1, _ = transfer([0.1], [0.5], absorptive_base=1.0)
    high1, _ = transfer([0.4], [0.8], absorptive_base=1.0)
    assert low1[0] == pytest.approx(high1[0])


def test_bounded_gap_blocks_transfer_across_large_gaps():
    ge, gt = transfer([0.1, 0.1, 0.1], [0.5, 0.6, 0.7], bounded_gap=0.5)
    assert ge[0] > 0 and gt[0] > 0  # gap 0.4
    assert ge[1] > 0  # gap 0.5: at the bound, still allowed
    assert ge[2] == 0.0 and gt[2] == 0.0  # gap 0.6 > 0.5


def test_openness_and_agenda_scale_transfer():
    closed, _ = transfer([0.2], [0.7], openness=0.0)
    half, _ = transfer([0.2], [0.7], openness=0.5)
    full, _ = transfer([0.2], [0.7], openness=1.0)
    assert closed[0] == 0.0 and full[0] == pytest.approx(2 * half[0]) and half[0] > 0
    ge, _ = transfer([0.2] * 3, [0.7] * 3, agenda=[0.0, 1.0, 2.0])
    assert ge[0] == 0.0 and ge[2] == pytest.approx(2 * ge[1]) and ge[1] > 0


def test_blocked_direction_weight_stops_transfer():
    ge, gt = transfer([0.2] * D, [0.7] * D, weight=0.0)
    assert np.all(ge == 0) and np.all(gt == 0)


def test_no_one_ends_above_the_best_source():
    """Strong transfer from many sources: the receiver ends at most at the best source's level."""
    explicit = np.array([[0.1, 0.1], [0.5, 0.3], [0.6, 0.2], [0.55, 0.05]])
    tacit = explicit.copy()
    receiver, source = np.zeros(3, int), np.array([1, 2, 3])
    new_e, new_t = rules.transfer_knowledge(
        explicit, tacit, receiver, source, np.ones(3), np.zeros(3), np.ones(3, bool), np.full((3, 2), 10.0),
        np.ones(3), np.ones(4), explicit_rate=1.0, tacit_rate=1.0, absorptive_base=1.0, bounded_gap=1.0,
        tacit_exponent=1.0)
    assert np.allclose(new_e[0], [0.6, 0.3]) and np.allclose(new_t[0], [0.6, 0.3])
    assert np.all(new_e[0] <= explicit[1:].max(axis=0))


def test_transfers_of_a_month_are_synchronous():
    """A learns from B while B learns from C: A only sees what B knew at the start of the month."""
    explicit = np.array([[0.1], [0.1], [0.9]])
    receiver, source = np.array([1, 0]), np.array([2, 1])
    args = (np.full(2, 0.8), np.zeros(2), np.ones(2, bool), np.ones((2, 1)), np.ones(2), np.ones(3))
    new_e, _ = rules.transfer_knowledge(explicit, explicit.copy(), receiver, source, *args, **RATES)
    assert new_e[1, 0] > 0.1  # B learnt from C
    assert new_e[0, 0] == 0.1  # A did not learn B's new knowledge in the same month
    # and the order of interactions does not matter
    new_e2, _ = rules.transfer_knowledge(explicit, explicit.copy(), receiver[::-1], source[::-1], *args, **RATES)
    assert np.array_equal(new_e, new_e2)


def test_transfer_does_not_modify_its_inputs():
    explicit = np.array([[0.1, 0.2], [0.7, 0.8]])
    before = explicit.copy()
    rules.transfer_knowledge(explicit, explicit, np.array([0]), np.array([1]), np.ones(1), np.zeros(1),
                             np.ones(1, bool), np.ones((1, 2)), np.ones(1), np.ones(2), **RATES)
    assert np.array_equal(explicit, before)


# =============================================================================================== Rule 3: direction
def test_direction_weights_donor_blocks_north_learning_from_south_in_partnership_context():
    receiver_north = np.array([True, True, False, False, True, True])
    source_north = np.array([False, True, True, False, False, False])
    in_programme = np.array([True, True, True, True, False, True])
    donor = rules.direction_weights(receiver_north, source_north, in_programme, "donor")
    peer = rules.direction_weights(receiver_north, source_north, in_programme, "peer")
    assert donor.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    assert peer.tolist() == [1.0] * 6


# =============================================================================================== Rule 4: trust
def test_trust_grows_with_contacts_by_the_closed_form():
    trust = np.full(4, 0.2)
    contacts = np.array([0, 1, 2, 5])
    out = rules.update_trust(trust, contacts, np.zeros(4, bool), np.full(4, 0.5), growth=0.2, decay=0.0,
                             bridge_boost=1.0)
    g = 0.2 * 0.5
    assert out == pytest.approx([0.2, 1 - 0.8 * (1 - g), 1 - 0.8 * (1 - g) ** 2, 1 - 0.8 * (1 - g) ** 5])
    assert np.all(np.diff(out) > 0)


def test_two_contacts_count_as_two_single_contacts():
    kw = {"growth": 0.3, "decay": 0.0, "bridge_boost": 1.0}
    t0, dist, no = np.array([0.1, 0.6]), np.array([0.2, 0.5]), np.zeros(2, bool)
    twice = rules.update_trust(t0, np.array([2, 2]), no, dist, **kw)
    once = rules.update_trust(rules.update_trust(t0, np.array([1, 1]), no, dist, **kw), np.array([1, 1]), no,
                              dist, **kw)
    assert twice == pytest.approx(once, rel=1e-12)


def test_trust_decays_without_contact():
    trust = np.array([0.0, 0.5, 1.0])
    out = rules.update_trust(trust, np.zeros(3, int), np.zeros(3, bool), np.zeros(3), growth=0.2, decay=0.1,
                             bridge_boost=1.0)
    assert out == pytest.approx(trust * 0.9)
    assert np.all(out <= trust)


def test_trust_of_ties_never_contacted_stays_initial():
    trust = np.array([0.3, 0.3, 0.3])
    out = rules.update_trust(trust, np.array([0, 0, 1]), np.zeros(3, bool), np.zeros(3), growth=0.2, decay=0.1,
                             bridge_boost=1.0, ever_contacted=np.array([False, True, False]))
    assert out[0] == 0.3  # the ends have not met yet: nothing to decay
    assert out[1] == pytest.approx(0.27)  # met before, no contact this month: decays
    assert out[2] > 0.3  # first contact: grows


def test_trust_grows_slower_across_more_distance():
    out = rules.update_trust(np.full(3, 0.2), np.ones(3, int), np.zeros(3, bool), np.array([0.0, 0.5, 1.0]),
                             growth=0.2, decay=0.0, bridge_boost=1.0)
    assert out[0] > out[1] > out[2] == pytest.approx(0.2)


def test_bridge_boosts_trust_growth():
    out = rules.update_trust(np.full(2, 0.2), np.ones(2, int), np.array([False, True]), np.full(2, 0.5),
                             growth=0.2, decay=0.0, bridge_boost=1.0)
    assert out[1] > out[0]
    assert out[1] - 0.2 == pytest.approx(2 * (out[0] - 0.2))  # growth doubles with bridge_boost 1
    none = rules.update_trust(np.full(2, 0.2), np.ones(2, int), np.array([False, True]), np.full(2, 0.5),
                              growth=0.2, decay=0.0, bridge_boost=0.0)
    assert none[0] == none[1]


def test_trust_stays_in_unit_interval_at_extreme_rates():
    out = rules.update_trust(np.array([0.0, 0.9, 1.0]), np.array([3, 1, 0]), np.ones(3, bool), np.zeros(3),
                             growth=1.0, decay=1.0, bridge_boost=10.0)
    assert np.all((out >= 0) & (out <= 1))
    assert out.tolist() == [1.0, 1.0, 0.0]


# =============================================================================================== SKIN: forgetting
def test_only_unused_actors_forget_and_never_below_baseline():
    baseline = np.array([[0.2, 0.5], [0.2, 0.5], [0.3, 0.3]])
    level = np.array([[0.6, 0.5], [0.6, 0.5], [0.3, 0.3]])
    used = np.array([True, False, False])
    out = rules.forget_unused(level, baseline, used, 0.25)
    assert np.array_equal(out[0], level[0])  # used: keeps everything
    assert out[1] == pytest.approx([0.2 + 0.4 * 0.75, 0.5])  # forgets a quarter of the gain only
    assert np.array_equal(out[2], baseline[2])
    total = rules.forget_unused(level, baseline, np.zeros(3, bool), 1.0)
    assert np.array_equal(total, baseline)  # full forgetting: back to the start, not below
    for _ in range(50):
        level = rules.forget_unused(level, baseline, np.zeros(3, bool), 0.3)
        assert np.all(level >= baseline)


# =============================================================================================== Rule 5: internal
def dissemination_state():
    """Two municipalities of three staff; in the first, staff 0 took part and learnt."""
    gain = np.zeros((2, 3, 2))
    gain[0, 0] = [0.4, 0.2]
    tacit_gain = np.zeros((2, 3, 2))
    tacit_gain[0, 0] = [0.3, 0.1]
    participated = np.zeros((2, 3), bool)
    participated[0, 0] = True
    return gain, tacit_gain, participated, np.zeros((2, 2))


def test_colleagues_of_participants_learn():
    gain, tgain, part, mem = dissemination_state()
    g, t, m = rules.disseminate_internally(gain, tgain, part, mem, internal_rate=0.1, institutionalisation_rate=0.0)
    assert g[0, 1] == pytest.approx([0.04, 0.02]) and g[0, 2] == pytest.approx([0.04, 0.02])
    assert t[0, 1] == pytest.approx([0.03, 0.01])  # face to face at work: tacit spreads too
    assert np.array_equal(g[0, 0], gain[0, 0])  # the participant keeps what they know
    assert np.all(g[1] == 0) and np.all(m == 0)  # the other municipality is untouched
    # a faster internal rate spreads more
    g2, _, _ = rules.disseminate_internally(gain, tgain, part, mem, internal_rate=0.5, institutionalisation_rate=0.0)
    assert np.all(g2[0, 1:] > g[0, 1:])


def test_without_participants_colleagues_learn_nothing_from_each_other():
    gain, tgain, part, mem = dissemination_state()
    part[:] = False
    g, t, _ = rules.disseminate_internally(gain, tgain, part, mem, internal_rate=0.5, institutionalisation_rate=0.0)
    assert np.array_equal(g, gain) and np.array_equal(t, tgain)


def test_institutional_memory_takes_up_gains():
    gain, tgain, part, mem = dissemination_state()
    _, _, m = rules.disseminate_internally(gain, tgain, part, mem, internal_rate=0.0, institutionalisation_rate=0.3)
    assert m[0] == pytest.approx(0.3 * gain[0].mean(axis=0))  # code learning from what staff know beyond it
    assert np.all(m[1] == 0)
    # memory never loses what it holds when staff know less than it
    high = np.full((2, 2), 0.5)
    _, _, m2 = rules.disseminate_internally(gain, tgain, part, high, internal_rate=0.1, institutionalisation_rate=0.3)
    assert np.all(m2 >= high)


def test_socialisation_brings_staff_towards_memory():
    gain, tgain, part, _ = dissemination_state()
    part[:] = False
    gain[:] = 0.0
    mem = np.array([[0.5, 0.2], [0.0, 0.0]])
    g, t, m = rules.disseminate_internally(gain, tgain, part, mem, internal_rate=0.1, institutionalisation_rate=0.05)
    assert g[0] == pytest.approx(np.tile([0.05, 0.02], (3, 1)))
    assert np.array_equal(m, mem)
    assert np.array_equal(t, tgain)  # codified memory carries no tacit knowledge


def test_turnover_draws_leavers_at_the_rate(rng):
    u = rng.random(20000)
    assert not rules.staff_turnover(u, 0.0).any()
    assert rules.staff_turnover(u, 1.0).all()
    share = rules.staff_turnover(u, 0.1).mean()
    assert abs(share - 0.1) < 0.01
    assert np.array_equal(rules.staff_turnover(u, 0.1), u < 0.1)


# =============================================================================================== Rule 7: initiatives
def run_initiatives(support: float, noise: np.ndarray, months: int, **kw):
    """Initiatives all started at month 0 with full momentum; no restarts. Returns each one's stall month (or inf)."""
    n = noise.shape[1]
    m, start, cool = np.ones(n), np.zeros(n, np.int32), np.zeros(n, np.int32)
    stall = np.full(n, np.inf)
    params = {"volunteer_decay": 0.05, "support_gain": 0.15, "stall_threshold": 0.2, "cooldown": 6} | kw
    for t in range(1, months + 1):
        m, start, cool, stalled, started = rules.update_initiatives(
            m, start, cool, np.zeros(n), np.full(n, support), noise[t - 1], np.ones(n), t, **params)
        assert not started.any()
        stall[stalled & np.isinf(stall)] = t
    return stall


def test_initiatives_stall_sooner_without_support(rng):
    noise = rng.normal(0.0, 0.03, (60, 400))
    none = run_initiatives(0.0, noise, 60)
    some = run_initiatives(0.3, noise, 60)
    strong = run_initiatives(0.7, noise, 60)
    assert np.isfinite(none).all()  # without support every initiative stalls within five years
    assert np.all(some >= none) and np.all(strong >= some)  # with the same noise, support never hurts
    assert np.mean(np.isinf(some)) > 0.5 > np.mean(np.isinf(none))
    assert np.isinf(strong).mean() > 0.95
    # ~ (1 - 0.2) / 0.05 = 16 months without support
    assert 12 <= np.median(none) <= 20


def test_initiative_momentum_capped_and_stalls_below_threshold():
    m, start, cool, stalled, started = rules.update_initiatives(
        np.array([1.0, 0.25, 0.5, 0.0]), np.array([0, 0, -1, -1]), np.zeros(4, np.int32), np.array([0, 0, 1.0, 0]),
        np.array([1.0, 0.0, 0, 0]), np.zeros(4), np.full(4, 0.5), 7, volunteer_decay=0.1, support_gain=0.5,
        stall_threshold=0.2, cooldown=3)
    assert m[0] == 1.0 and not stalled[0]  # momentum never above 1
    assert stalled[1] and start[1] == -1 and cool[1] == 10 and m[1] == 0.0
    assert started[2] and start[2] == 7 and m[2] == 1.0  # idle, u_start < start_prob
    assert not started[3] and start[3] == -1  # idle, u_start >= start_prob (0)
    assert not started[1]  # a stalled CSO does not start again in the same month


def test_stalled_cso_waits_for_cooldown_before_starting_again():
    m, start, cool = np.array([0.21]), np.array([0]), np.array([0])
    kw = {"volunteer_decay": 0.05, "support_gain": 0.0, "stall_threshold": 0.2, "cooldown": 4}
    history = []
    for t in range(1, 10):
        m, start, cool, stalled, started = rules.update_initiatives(m, start, cool, np.ones(1), np.zeros(1),
                                                                     np.zeros(1), np.zeros(1), t, **kw)
        history.append((bool(stalled[0]), bool(started[0])))
    assert history[0] == (True, False)  # stalls in month 1, cooldown until month 5
    assert [s for _, s in history[1:4]] == [False, False, False]
    assert history[4] == (False, True)  # starts again in month 5


# =============================================================================================== Rule 8: adoption
def test_policy_adopted_once_when_memory_first_passes_threshold():
    path = np.array([0.3, 0.5, 0.55, 0.6, 0.5, 0.7, 0.4, 0.56])
    adopted = np.zeros((1, 1), bool)
    months = []
    for t, level in enumerate(path):
        new = rules.adopt_policies(np.array([[level]]), adopted, 0.55)
        if new.any():
            months.append(t)
        adopted |= new
    assert months == [2]  # exactly at the threshold counts; later crossings do not count again


def test_policy_adoption_per_domain_and_municipality():
    memory = np.array([[0.6, 0.4], [0.2, 0.9]])
    adopted = np.array([[False, False], [False, True]])
    assert rules.adopt_policies(memory, adopted, 0.5).tolist() == [[True, False], [False, False]]


# =============================================================================================== Rule 9: sustain
def test_partnership_dormancy_ends_it_for_good():
    alive = np.array([True, True, False])
    last = np.array([0, 10, 30])
    assert rules.sustain_partnerships(alive, last, 24, 24).tolist() == [True, True, False]
    assert rules.sustain_partnerships(alive, last, 25, 24).tolist() == [False, True, False]
    assert rules.sustain_partnerships(alive, last, 34, 24).tolist() == [False, True, False]
    assert rules.sustain_partnerships(alive, last, 35, 24).tolist() == [False, False, False]
    # a dead partnership does not revive even after an exchange
    assert not rules.sustain_partnerships(np.array([False]), np.array([35]), 35, 24)[0]


# =============================================================================================== Rule 1: activity
def objectives(n=1):
    north = np.tile([0.15, 0.45, 0.1, 0.1, 0.1, 0.1], (n, 1))
    south = np.tile([0.2, 0.05, 0.3, 0.25, 0.1, 0.1], (n, 1))
    return north, south


@pytest.mark.parametrize("strategy", [False, True])
def test_exchange_agenda_rows_average_one(rng, strategy):
    n = 50
    north, south = rng.dirichlet(np.ones(6), n), rng.dirichlet(np.ones(6), n)
    agenda = rules.exchange_agenda(north, south, rng.random(n), learning_strategy=strategy,
                                   strategy_focus=1 + 9 * rng.random())
    assert agenda.shape == (n, 6)
    assert agenda.mean(axis=1) == pytest.approx(np.ones(n), rel=1e-12)
    assert np.all(agenda >= 0)


def test_coherence_moves_weight_to_the_norths_objectives():
    north, south = objectives(2)
    agenda = rules.exchange_agenda(north, south, np.array([0.0, 1.0]), learning_strategy=False, strategy_focus=2.0)
    diversity = DOMAINS.index("cultural_diversity")  # what the Dutch side wants, the South hardly
    governance = DOMAINS.index("local_governance")  # what the South wants
    assert agenda[1, diversity] > agenda[0, diversity]
    assert agenda[1, governance] < agenda[0, governance]
    assert np.corrcoef(agenda[1], north[0])[0, 1] > np.corrcoef(agenda[0], north[0])[0, 1]
    # with coherence 0 the agenda follows the South's objectives only
    assert np.corrcoef(agenda[0], south[0])[0, 1] == pytest.approx(1.0)
    assert np.corrcoef(agenda[1], north[0])[0, 1] < 1.0  # coherence 1 mixes both sides, not the North alone


def test_learning_strategy_concentrates_the_agenda():
    north, south = objectives(1)
    coh = np.array([0.5])
    diffuse = rules.exchange_agenda(north, south, coh, learning_strategy=False, strategy_focus=2.0)[0]
    focused = rules.exchange_agenda(north, south, coh, learning_strategy=True, strategy_focus=2.0)[0]
    sharper = rules.exchange_agenda(north, south, coh, learning_strategy=True, strategy_focus=4.0)[0]
    assert diffuse.std() < focused.std() < sharper.std()
    top = np.argmax(diffuse)
    assert np.argmax(focused) == top and diffuse[top] < focused[top] < sharper[top]
    assert focused.min() < diffuse.min()


def prog(**kw) -> ProgrammeConfig:
    return ProgrammeConfig(**{"budget_per_year": 120.0, "start": 0, "duration": 48} | kw)


def paid_months(p: ProgrammeConfig, shocks: ShockConfig | None = None, months: int = 200) -> list[int]:
    shocks = ShockConfig() if shocks is None else shocks
    return [t for t in range(months) if rules.programme_budget(p, shocks, t) > 0]


def test_programme_budget_continuous():
    """Months count from 1 (the first step): a programme pays in the ``duration`` months after ``start``."""
    p = prog(start=6, duration=12)
    assert paid_months(p) == list(range(7, 19))
    assert rules.programme_budget(p, ShockConfig(), 10) == pytest.approx(10.0)  # 120 / 12
    assert paid_months(prog(budget_per_year=0.0)) == []
    assert paid_months(prog(duration=0)) == []


def test_programme_budget_bursts_pay_piecemeal():
    p = prog(start=2, duration=30, pattern="bursts", burst_on=3, burst_off=9)
    assert paid_months(p) == [3, 4, 5, 15, 16, 17, 27, 28, 29]
    assert set(paid_months(p)) <= set(paid_months(prog(start=2, duration=30)))


def test_funding_cut_stops_the_programme_for_good():
    months = paid_months(prog(duration=96), ShockConfig(funding_cut_month=24))
    assert months == list(range(1, 24))
    assert paid_months(prog(duration=96), ShockConfig(funding_cut_month=0)) == []
    assert paid_months(prog(duration=12), ShockConfig(funding_cut_month=40)) == list(range(1, 13))


@pytest.mark.parametrize("duration", [1, 48])
def test_programme_starting_at_month_zero_pays_for_its_duration(duration):
    p = prog(duration=duration)
    simulated = range(1, 200)  # Engine.step numbers months from 1
    assert [t for t in simulated if rules.programme_budget(p, ShockConfig(), t) > 0] == list(range(1, duration + 1))


def test_exchange_intensity_paid_and_own_activity():
    paid, own = rules.exchange_intensity(60.0 / 12, 10.0, np.array([0.3, 0.6, 0.3, 0.3, 0.0]),
                                         np.array([0.5, 0.5, 0.9, 0.5, 0.0]), np.array([0.0, 0.0, 0.0, 0.5, 1.0]),
                                         own_activity_rate=0.6, initiator_boost=1.0)
    assert paid == pytest.approx([0.5] * 5)
    assert own[1] > own[0] and own[2] > own[0] and own[3] > own[0]  # proactivity, trust, migrants
    assert own[4] == 0.0  # no trust, no own activity
    assert own[0] == pytest.approx(0.6 * 0.5 * 0.3)
    assert own[3] == pytest.approx(0.6 * 0.5 * (0.3 + 0.5))
    paid0, own0 = rules.exchange_intensity(0.0, 10.0, np.array([0.3]), np.array([0.5]), np.array([0.0]),
                                           own_activity_rate=0.0, initiator_boost=1.0)
    assert paid0[0] == 0.0 and own0[0] == 0.0


def test_exchange_counts_are_poisson(rng):
    """The engine draws each partnership's events by inverting the Poisson CDF at one uniform."""
    from scipy.stats import poisson

    from c2c_sim.engine import poisson_from_uniform

    u, lam = rng.random(20000), np.concatenate([np.zeros(100), rng.random(19900) * 10])
    k = poisson_from_uniform(u, lam)
    assert np.array_equal(k, poisson.ppf(u, lam).astype(np.int64))
    assert np.all(k[:100] == 0)
    grid = np.linspace(0.001, 0.999, 50)
    assert np.all(np.diff(poisson_from_uniform(grid, np.full(50, 3.0))) >= 0)  # monotone in u
    big = poisson_from_uniform(rng.random(4000), np.full(4000, 200.0))
    assert abs(big.mean() - 200) < 1.5 and abs(big.var() / 200 - 1) < 0.1


def test_exchange_counts_for_large_rates():
    from c2c_sim.engine import poisson_from_uniform

    lam = np.array([745.0, 800.0, 5000.0])
    k = poisson_from_uniform(np.full(3, 0.5), lam)
    assert np.all(np.abs(k - lam) < 0.02 * lam), k


# ---------------------------------------------------------------------------------------------- plan_exchanges
S = 5


def partnership_network(rng, density=0.5):
    """Two partnerships (municipalities 0-2 and 1-3) of S staff each, random staff ties, one CSO-CSO tie in p0."""
    src, dst, part = [], [], []
    for p, (n, s) in enumerate([(0, 2), (1, 3)]):
        for i in range(S):
            for j in range(S):
                if rng.random() < density:
                    src.append(n * S + i)
                    dst.append(s * S + j)
                    part.append(p)
    staff_ties = len(src)
    src.append(4 * S)  # a CSO of the first North city
    dst.append(4 * S + 1)  # a CSO of its partner
    part.append(0)
    src, dst, part = np.array(src), np.array(dst), np.array(part)
    is_staff = np.arange(len(src)) < staff_ties
    order = np.argsort(part, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=2))])
    return {"event_ties": order, "event_ptr": ptr, "tie_src": src, "tie_dst": dst, "is_staff_tie": is_staff,
            "p_north": np.array([0, 1]), "p_south": np.array([2, 3]), "staff_per_muni": S}, part


def test_plan_exchanges_delegations_and_who_meets(rng):
    net, part = partnership_network(rng)
    n_events = np.array([3, 2])
    E = 5
    keys_n, keys_s = rng.random((E, S)), rng.random((E, S))
    inter, participants, fac = rules.plan_exchanges(n_events, keys_n, keys_s, None, delegation_size=2,
                                                    migrants_involved=None, **net)
    ev_p = np.repeat([0, 1], n_events)
    expected_participants, expected = [], Counter()
    for e in range(E):
        p = ev_p[e]
        chosen_n = set(net["p_north"][p] * S + np.argsort(keys_n[e])[:2])
        chosen_s = set(net["p_south"][p] * S + np.argsort(keys_s[e])[:2])
        expected_participants += sorted(chosen_n) + sorted(chosen_s)
        for t in np.flatnonzero(part == p):
            if not net["is_staff_tie"][t] or (net["tie_src"][t] in chosen_n and net["tie_dst"][t] in chosen_s):
                expected[(int(t), int(p))] += 1
    assert len(participants) == 2 * 2 * E  # delegation_size staff per side and event
    assert Counter(participants.tolist()) == Counter(expected_participants)
    assert Counter(zip(inter.tie.tolist(), inter.context.tolist())) == expected
    assert inter.f2f.all() and not inter.facilitated.any() and len(fac) == 0
    # only tied pairs meet
    for t in inter.tie[net["is_staff_tie"][inter.tie]]:
        assert net["tie_src"][t] in participants and net["tie_dst"][t] in participants
    # the CSO-CSO tie of partnership 0 meets at each of its 3 events
    cso_tie = np.flatnonzero(~net["is_staff_tie"])[0]
    assert (inter.tie == cso_tie).sum() == 3


def test_plan_exchanges_full_delegation_meets_every_tie(rng):
    net, part = partnership_network(rng, density=1.0)
    inter, participants, _ = rules.plan_exchanges(np.array([1, 0]), rng.random((1, S)), rng.random((1, S)), None,
                                                  delegation_size=S + 3, migrants_involved=None, **net)
    assert sorted(inter.tie.tolist()) == np.flatnonzero(part == 0).tolist()
    assert sorted(participants.tolist()) == list(range(S)) + list(range(2 * S, 3 * S))


def test_plan_exchanges_no_events(rng):
    net, _ = partnership_network(rng)
    inter, participants, fac = rules.plan_exchanges(np.zeros(2, int), np.zeros((0, S)), np.zeros((0, S)), None,
                                                    delegation_size=2, migrants_involved=None, **net)
    assert len(inter) == 0 and len(participants) == 0 and len(fac) == 0


def test_plan_exchanges_involved_migrant_facilitates(rng):
    net, _part = partnership_network(rng, density=1.0)
    involved = np.array([[False, True, False, True], [False, False, False, False]])
    n_events = np.array([4, 2])
    fac_keys = rng.random((6, 4))
    inter, _, fac = rules.plan_exchanges(n_events, rng.random((6, S)), rng.random((6, S)), fac_keys,
                                         delegation_size=2, migrants_involved=involved, **net)
    # each event of partnership 0 gets the involved migrant with the smallest key; partnership 1 has none
    expected = [[0, 1 if fac_keys[e, 1] < fac_keys[e, 3] else 3] for e in range(4)]
    assert fac.tolist() == expected
    assert inter.facilitated[inter.context == 0].all()
    assert not inter.facilitated[inter.context == 1].any()


# ---------------------------------------------------------------------------------------------- routine contacts
def test_routine_contacts_respect_rates(rng):
    T = 30000
    rate = np.select([np.arange(T) % 3 == 0, np.arange(T) % 3 == 1], [0.0, 1.0], 0.3)
    candidates = np.arange(0, T, 1)[np.arange(T) % 5 != 4]  # some ties are not enabled
    u = rng.random(len(candidates))
    f2f = rng.random(T) < 0.5
    context = rng.integers(-1, 4, T)
    inter = rules.routine_contacts(u, candidates, rate, f2f, context)
    assert np.array_equal(inter.tie, candidates[u < rate[candidates]])
    assert set(inter.tie.tolist()) <= set(candidates.tolist())
    assert not np.isin(inter.tie, np.flatnonzero(rate == 0.0)).any()
    assert np.isin(candidates[rate[candidates] == 1.0], inter.tie).all()
    share = np.isin(candidates[rate[candidates] == 0.3], inter.tie).mean()
    assert abs(share - 0.3) < 0.02
    assert np.array_equal(inter.f2f, f2f[inter.tie]) and np.array_equal(inter.context, context[inter.tie])
    assert not inter.facilitated.any()


def test_migrant_outreach_only_draws_in(rng):
    involved = rng.random(5000) < 0.2
    u = rng.random(5000)
    out = rules.migrant_outreach(involved, u, 0.1)
    assert np.all(out[involved])
    assert np.array_equal(out, involved | (u < 0.1))
    assert np.array_equal(rules.migrant_outreach(involved, u, 0.0), involved)


# =============================================================================================== engine wiring
@pytest.fixture(params=[False, True], ids=["numpy", "compiled"])
def engine_for(request, make_tiny):
    """``engine_for(**overrides)``: a one-replication Engine on the tiny world (numpy rules or numba kernels)."""

    def build(**overrides) -> Engine:
        eng = Engine(make_tiny(**overrides), [np.random.default_rng(7)], compiled=request.param)
        assert eng._compiled is request.param
        eng._agenda = np.ones((eng.world.n_partnerships + 1, eng.world.n_domains))
        return eng

    return build


def trust0(eng: Engine) -> np.ndarray:
    """The initial trust of every tie of the engine's world."""
    t = eng.config.trust
    return initial_trust(eng.world.tie_type, t.initial, t.initial_local)


def partnership_tie(eng: Engine) -> int:
    w = eng.world
    e = int(np.flatnonzero(w.tie_type == TieType.PARTNERSHIP)[0])
    assert w.country[w.src[e]] == 0 and w.country[w.dst[e]] != 0
    return e


def one_contact(e: int, *, context: int, facilitated: bool = False, f2f: bool = True, n: int = 1):
    return rules.Interactions(np.full(n, e), np.full(n, f2f), np.full(n, facilitated), np.full(n, context))


def set_pair(eng: Engine, e: int, north: list, south: list, trust: float = 0.8) -> tuple[int, int]:
    w = eng.world
    a, b = int(w.src[e]), int(w.dst[e])
    w.explicit[a], w.explicit[b] = north, south
    w.tacit[a], w.tacit[b] = north, south
    w.trust[e] = trust
    return a, b


def test_facilitator_lowers_distance_and_raises_transfer(engine_for):
    gains = {}
    for facilitated in (False, True):
        eng = engine_for(migrants_bridge=0.6, knowledge_distance_north_south=0.5)
        e = partnership_tie(eng)
        _a, b = set_pair(eng, e, [0.6] * 6, [0.2] * 6)
        before = eng.world.explicit[b].copy()
        eng.exchange_knowledge(one_contact(e, context=int(eng.world.tie_partnership[e]), facilitated=facilitated))
        gains[facilitated] = eng.world.explicit[b] - before
    assert np.all(gains[False] > 0)
    # distance 0.5 without, 0.5 * (1 - 0.6) = 0.2 with a facilitator: closeness 0.5 -> 0.8
    assert gains[True] == pytest.approx(gains[False] * 0.8 / 0.5, rel=1e-9)


@pytest.mark.parametrize("mode", ["peer", "donor"])
def test_donor_mode_blocks_north_learning_from_south_in_partnership_context(engine_for, mode):
    results = {}
    for context in ("programme", "remote"):
        eng = engine_for(programme_mode=mode)
        e = partnership_tie(eng)
        north_knows = [0.7, 0.7, 0.7, 0.2, 0.2, 0.2]
        south_knows = [0.2, 0.2, 0.2, 0.7, 0.7, 0.7]
        a, b = set_pair(eng, e, north_knows, south_knows)
        ctx = int(eng.world.tie_partnership[e]) if context == "programme" else -1
        eng.exchange_knowledge(one_contact(e, context=ctx))
        results[context] = (eng.world.explicit[a] - north_knows, eng.world.explicit[b] - south_knows)
    north_gain, south_gain = results["programme"]
    assert np.all(south_gain[:3] > 0)  # the South learns from the North either way
    if mode == "donor":
        assert np.all(north_gain == 0)  # the North came to teach, not to learn
    else:
        assert np.all(north_gain[3:] > 0)
    # outside programme exchanges (context -1) the North learns in both modes
    assert np.all(results["remote"][0][3:] > 0)


def test_two_contacts_on_one_tie_count_twice_in_the_engine(engine_for):
    eng = engine_for(trust_growth=0.3, trust_decay=0.05)
    w = eng.world
    e = partnership_tie(eng)
    met_before = np.arange(len(w.src)) % 2 == 1
    met_before[e] = False
    w.last_contact[met_before] = 1
    t0 = w.trust.copy()
    eng.build_trust(one_contact(e, context=0, n=2), t=3)
    g = 0.3 * (1 - w.distance[e])
    assert w.trust[e] == pytest.approx(1 - (1 - t0[e]) * (1 - g) ** 2, rel=1e-12)
    others = np.arange(len(t0)) != e
    assert w.trust[met_before] == pytest.approx(t0[met_before] * 0.95, rel=1e-12)  # no contact: decay
    never = others & ~met_before
    assert np.array_equal(w.trust[never], t0[never])  # never met: initial trust
    assert w.last_contact[e] == 3 and np.all(w.last_contact[others] < 3)


def test_bridged_contact_builds_trust_faster_in_the_engine(engine_for):
    trust = {}
    for facilitated in (False, True):
        eng = engine_for(trust_bridge_boost=1.0)
        e = partnership_tie(eng)
        eng.build_trust(one_contact(e, context=0, facilitated=facilitated), t=1)
        trust[facilitated] = eng.world.trust[e]
    assert trust[True] > trust[False] > trust0(eng)[e] == eng.config.trust.initial


def test_people_forget_national_bodies_do_not(engine_for):
    eng = engine_for(knowledge_forget_rate=0.5, network_model="multilevel_hybrid")
    w = eng.world
    w.explicit[:] = np.minimum(w.explicit0 + 0.2, 1.0)
    w.tacit[:] = np.minimum(w.tacit0 + 0.2, 1.0)
    before = w.explicit.copy()
    e = partnership_tie(eng)
    eng.exchange_knowledge(one_contact(e, context=-1, f2f=False))
    used = np.zeros(w.n_actors, bool)
    used[[w.src[e], w.dst[e]]] = True
    national = (w.kind == Kind.HIGHER_GOVERNMENT) | (w.kind == Kind.KNOWLEDGE_INSTITUTION)
    forgetters = ~used & ~national
    assert np.allclose(w.explicit[forgetters], w.explicit0[forgetters] + 0.5 * (before - w.explicit0)[forgetters])
    assert np.array_equal(w.explicit[national], before[national])
    assert np.all(w.explicit[used] >= before[used])


def test_turnover_replaces_a_leaver_in_the_engine(engine_for):
    eng = engine_for(dissemination_turnover_rate=0.5, dissemination_socialisation=0.5)
    w = eng.world
    S = w.staff_per_muni
    w.memory[:] = w.memory0 + 0.2
    w.explicit[:S] = np.minimum(w.explicit0[:S] + 0.3, 1.0)
    w.tacit[:S] = np.minimum(w.tacit0[:S] + 0.3, 1.0)
    w.participated[:S] = True
    w.trust[:] = 0.9
    u = np.ones(w.n_munis * S)
    u[0] = 0.0  # staff row 0 leaves
    stayer_before = w.explicit[1].copy()
    eng.disseminate(u)
    mem_gain = w.memory[0] - w.memory0[0]
    assert np.all(mem_gain >= 0.2)
    assert w.explicit[0] == pytest.approx(np.minimum(w.explicit0[0] + 0.5 * mem_gain, 1.0), rel=1e-12)
    assert np.array_equal(w.tacit[0], w.tacit0[0])  # tacit knowledge leaves with the person
    assert not w.participated[0] and w.participated[1:S].all()
    assert np.all(w.explicit[1] >= stayer_before)  # colleagues keep what they know
    touched = (w.src == 0) | (w.dst == 0)
    assert touched.any()
    assert np.array_equal(w.trust[touched], trust0(eng)[touched])  # the newcomer's ties start again
    assert np.all(w.last_contact[touched] == NEVER)
    assert np.all(w.trust[~touched] == 0.9)


def test_boundary_spanners_share_with_colleagues(engine_for):
    """Staff holding a multilevel tie share what they know with colleagues, even without an exchange visit."""
    shared = {}
    for model in ("multi_actor", "multilevel_hybrid"):
        eng = engine_for(network_model=model, dissemination_institutionalisation_rate=0.0,
                         dissemination_turnover_rate=0.0, network_multilevel_contacts=1)
        w = eng.world
        S = w.staff_per_muni
        w.participated[:] = False
        ml = w.tie_type == TieType.MULTILEVEL
        holders = np.zeros(w.n_actors, bool)
        holders[w.src[ml]] = True
        holders[w.dst[ml]] = True
        holders[S:] = False  # look at municipality 0 only
        if model == "multilevel_hybrid":
            assert holders[:S].any() and not holders[:S].all()
        else:
            holders[0] = True  # same staff learnt, but holds no multilevel tie here
        w.explicit[:S][holders[:S]] = np.minimum(w.explicit0[:S][holders[:S]] + 0.3, 1.0)
        before = w.explicit[:S].copy()
        eng.disseminate(np.ones(w.n_munis * S))
        others = ~holders[:S]
        shared[model] = (w.explicit[:S][others] - before[others]).max()
    assert shared["multi_actor"] == 0.0
    assert shared["multilevel_hybrid"] > 0.0


def test_engine_contact_rates_follow_the_config(engine_for):
    eng = engine_for(network_model="multilevel_hybrid", dissemination_local_contact_rate=0.2,
                     dissemination_transnational_contact_rate=0.07, dissemination_multilevel_contact_rate=0.3,
                     dissemination_remote_contact_rate=0.01, dissemination_external_rate=2.0)
    w = eng.world
    expected = {TieType.PARTNERSHIP: 0.01, TieType.LOCAL: 0.4, TieType.TRANSNATIONAL: 0.07,
                TieType.MULTILEVEL: 0.6}
    for t, rate in expected.items():
        assert np.allclose(eng._contact_rate[w.tie_type == t], rate), t.name


def test_no_routine_contacts_when_rates_are_zero(engine_for):
    eng = engine_for(dissemination_local_contact_rate=0.0, dissemination_transnational_contact_rate=0.0,
                     dissemination_multilevel_contact_rate=0.0, dissemination_remote_contact_rate=0.0,
                     programme="none", municipality_own_activity_rate=0.0, trust_decay=0.1)
    w = eng.world
    w.last_contact[:] = 0  # every tie has met once, before the run
    t0 = w.trust.copy()
    for _ in range(3):
        eng.step()
    assert np.allclose(w.trust, t0 * 0.9 ** 3)
    assert np.all(w.last_contact == 0)
    assert eng.metrics["exchange_events"][0] == 0
