"""Each rule of c2c_sim.rules on small hand-made states: direction and size of its effect.

These are the functions a run calls (compiled). The states are built here with the
structures of :mod:`c2c_sim.state`, in the dtypes a world has; where a rule's effect
depends on how the month wires it (effective distance of a facilitated exchange,
donor mode, turnover, boundary spanners), the test uses a tiny engine's state.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from c2c_sim import rules
from c2c_sim.config import DOMAINS, Config
from c2c_sim.engine import Engine
from c2c_sim.rules import Contacts
from c2c_sim.state import (
    CHANNELS,
    Draws,
    EventWork,
    Initiatives,
    Knowledge,
    Learners,
    Orgs,
    Partnerships,
    Rep,
    StaffWork,
    Tally,
    Ties,
    TieUse,
    TransferWork,
    TrustWork,
    empty_ledger,
    general_plan,
    params_from_config,
)
from c2c_sim.world import NEVER, Kind, TieType

D = 3
NO_SIDE = np.full(64, 2, np.int8)  # hand-made actors on neither side: the rules book nothing
NO_BOOK = (np.zeros((1, 2, 8, len(CHANNELS))), 0)  # a ledger's book and replication, for the rules that book


# =============================================================================================== builders
def prm(**kw):
    """The default parameters with some changed (names of :class:`c2c_sim.state.Params`)."""
    return params_from_config(Config())._replace(**kw)


RATES = {"explicit_rate": 0.3, "tacit_rate": 0.15, "absorptive_base": 0.3, "bounded_gap": 1.0, "tacit_exponent": 2.0,
         "monthly_intake": 0.0}  # Rule 2 alone: no limit per month (tested apart, test_monthly_intake_*)


def knowledge(explicit, tacit=None, start=None) -> Knowledge:
    """Knowledge of a few actors; starting values ``start`` (default: the levels given). As in a world,
    starting values are float32 and a level at its start equals it exactly (levels are given as float32)."""
    as32 = lambda x: np.asarray(x, np.float32).astype(float)
    e = as32(explicit).reshape(len(explicit), -1)
    t = e.copy() if tacit is None else as32(tacit).reshape(e.shape)
    s = e if start is None else as32(start).reshape(e.shape)
    return Knowledge(e, t, s.astype(np.float32), (t if start is None else s).astype(np.float32))


def ties(src, dst, trust, distance=0.0, kind=TieType.PARTNERSHIP, last_contact=NEVER) -> Ties:
    src = np.asarray(src, np.int32)
    T = len(src)
    return Ties(src=src, dst=np.asarray(dst, np.int32), kind=np.full(T, kind, np.int8),
                partnership=np.full(T, -1, np.int32), trust=np.broadcast_to(np.asarray(trust, float), T).copy(),
                last_contact=np.broadcast_to(np.asarray(last_contact, np.int32), T).copy(),
                distance=np.broadcast_to(np.asarray(distance, float), T).copy())


def contacts(tie, f2f=True, facilitated=False, context=-1) -> Contacts:
    tie = np.asarray(tie, np.int64)
    n = len(tie)
    return Contacts(tie, np.broadcast_to(f2f, n).copy(), np.broadcast_to(facilitated, n).copy(),
                    np.broadcast_to(np.asarray(context, np.int64), n).copy())


def transfer_work(A: int, D: int) -> TransferWork:
    return TransferWork(np.zeros((A, D)), np.zeros((A, D)), np.full((A, D), -1.0), np.full((A, D), -1.0),
                        np.zeros(A, bool), np.zeros(A, np.int64))


def run_transfer(kn, tie_set, cts, *, openness=None, north=None, agenda=None, **kw):
    """:func:`rules.transfer_knowledge` on a hand-made state; returns the work arrays (clean after)."""
    A, n_dom = kn.explicit.shape
    work = transfer_work(A, n_dom)
    agenda = np.ones((1, n_dom)) if agenda is None else np.asarray(agenda, float).reshape(-1, n_dom)
    learners = Learners(np.ones(A) if openness is None else np.asarray(openness, float),
                        np.zeros(A, bool) if north is None else np.asarray(north, bool), np.full(A, 2, np.int8),
                        np.full(A, -1, np.int8))
    rules.transfer_knowledge(kn, learners, tie_set, cts, len(cts.tie), 0, general_plan(agenda),
                             prm(**{**RATES, **kw}), work,
                             empty_ledger(A, len(tie_set.src), n_dom), 0)
    return work


def transfer(kr, ks, *, trust=0.5, distance=0.2, f2f=True, agenda=1.0, openness=1.0, tacit=None, **rates):
    """One contact on a tie between actor 0 (knowing ``kr``) and actor 1 (knowing ``ks``).

    Returns (explicit gain, tacit gain) of actor 0."""
    kn = knowledge([kr, ks], tacit)
    before_e, before_t = kn.explicit.copy(), kn.tacit.copy()
    n_dom = kn.explicit.shape[1]
    work = run_transfer(kn, ties([0], [1], trust, distance), contacts([0], f2f=f2f), openness=[openness, 1.0],
                        agenda=np.broadcast_to(np.asarray(agenda, float), (1, n_dom)), **rates)
    knows_less = before_e[0] <= before_e[1]
    assert np.array_equal(kn.explicit[1][knows_less], before_e[1][knows_less]), "the source learnt from less"
    assert not work.inc_e.any() and np.all(work.best_e == -1) and not work.touched[2:].any()  # work left clean
    return kn.explicit[0] - before_e[0], kn.tacit[0] - before_t[0]


# =============================================================================================== Rule 2: transfer
def test_transfer_size_follows_the_rule():
    kr, ks = np.array([0.125, 0.25, 0.5]), np.array([0.625, 0.375, 0.875])  # exact in float32, as starts are
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


def test_knowledge_flows_only_from_who_knows_more_both_ways():
    kn = knowledge([[0.8, 0.5, 0.3], [0.4, 0.5, 0.9]])
    before = kn.explicit.copy()
    run_transfer(kn, ties([0], [1], 1.0), contacts([0]))
    gain = kn.explicit - before
    assert gain[0, 0] == 0.0 and gain[1, 0] > 0  # actor 0 knows more of domain 0: only actor 1 learns
    assert gain[0, 1] == 0.0 and gain[1, 1] == 0.0  # equal: nothing moves
    assert gain[0, 2] > 0 and gain[1, 2] == 0.0


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
    low1, _ = transfer([0.1], [0.5], absorptive_base=1.0)  # full capacity for all: prior knowledge does not matter
    high1, _ = transfer([0.4], [0.8], absorptive_base=1.0)
    assert low1[0] == pytest.approx(high1[0])


def test_bounded_gap_blocks_transfer_across_large_gaps():
    ge, gt = transfer([0.125] * 3, [0.5, 0.625, 0.75], bounded_gap=0.5)
    assert ge[0] > 0 and gt[0] > 0  # gap 0.375
    assert ge[1] > 0  # gap 0.5: at the bound, still allowed
    assert ge[2] == 0.0 and gt[2] == 0.0  # gap 0.625 > 0.5


def test_openness_and_agenda_scale_transfer():
    closed, _ = transfer([0.2], [0.7], openness=0.0)
    half, _ = transfer([0.2], [0.7], openness=0.5)
    full, _ = transfer([0.2], [0.7], openness=1.0)
    assert closed[0] == 0.0 and full[0] == pytest.approx(2 * half[0]) and half[0] > 0
    ge, _ = transfer([0.2] * 3, [0.7] * 3, agenda=[0.0, 1.0, 2.0])
    assert ge[0] == 0.0 and ge[2] == pytest.approx(2 * ge[1]) and ge[1] > 0


def test_contacts_follow_their_partnerships_agenda():
    """A contact with context p reads agenda row p; context -1 the last row (the general agenda)."""
    agenda = np.array([[2.0, 0.0], [1.0, 1.0]])
    gains = {}
    for ctx in (0, -1):
        kn = knowledge([[0.2, 0.2], [0.7, 0.7]])
        run_transfer(kn, ties([0], [1], 0.5), contacts([0], context=ctx), agenda=agenda)
        gains[ctx] = kn.explicit[0] - kn.explicit0[0]
    assert gains[0][1] == 0.0 and gains[0][0] == pytest.approx(2 * gains[-1][0])
    assert gains[-1][0] == pytest.approx(gains[-1][1])


def test_no_one_ends_above_the_best_source():
    """Strong transfer from many sources: the receiver ends at most at the best source's level."""
    kn = knowledge([[0.1, 0.1], [0.5, 0.3], [0.6, 0.2], [0.55, 0.05]])
    sources = kn.explicit[1:].copy()
    run_transfer(kn, ties([0, 0, 0], [1, 2, 3], 1.0), contacts([0, 1, 2]), agenda=np.full((1, 2), 10.0),
                 explicit_rate=1.0, tacit_rate=1.0, absorptive_base=1.0, tacit_exponent=1.0)
    assert np.allclose(kn.explicit[0], [0.6, 0.3]) and np.allclose(kn.tacit[0], [0.6, 0.3])
    assert np.all(kn.explicit[0] <= sources.max(axis=0))


def test_the_cut_by_the_best_source_is_booked_as_capped():
    """A side's receiver capped by its best source: the contacts' channel holds what they offered, the
    ``capped`` channel (negative) what the cap cut, and together they are the receiver's gain."""
    kn = knowledge([[0.1, 0.1], [0.5, 0.3], [0.6, 0.2], [0.55, 0.05]])
    before = 0.5 * (kn.explicit[0] + kn.tacit[0])
    A, n_dom = kn.explicit.shape
    ledger = empty_ledger(A, 3, n_dom)  # every tie's routine channel is channel 0
    learners = Learners(np.ones(A), np.zeros(A, bool), np.array([0, 2, 2, 2], np.int8),
                        np.full(A, -1, np.int8))  # actor 0 on side 0
    work = transfer_work(A, n_dom)
    rules.transfer_knowledge(kn, learners, ties([0, 0, 0], [1, 2, 3], 1.0), contacts([0, 1, 2]), 3, 0,
                             general_plan(np.full((1, n_dom), 10.0)), prm(**{**RATES, "explicit_rate": 1.0, "tacit_rate": 1.0,
                                                               "absorptive_base": 1.0, "tacit_exponent": 1.0}),
                             work, ledger, 0)
    gain = 0.5 * (kn.explicit[0] + kn.tacit[0]) - before
    booked = ledger.book[0, 0]  # (D, channels) of side 0
    capped = CHANNELS.index("capped")
    assert np.all(booked[:, capped] < 0) and np.all(booked[:, 0] > gain)  # the cap bound in both domains
    np.testing.assert_allclose(booked.sum(axis=1), gain, rtol=0, atol=1e-12)
    assert not ledger.book[0, 1].any()  # the sources are on no side: nothing booked for side 1


def test_transfers_of_a_month_are_synchronous_and_add_up_in_any_order():
    """A learns from B while B learns from C: A only sees what B knew at the start of the month."""
    results = []
    for order in ([0, 1], [1, 0]):
        kn = knowledge([[0.125], [0.125], [0.875]])
        run_transfer(kn, ties([0, 1], [1, 2], 0.8), contacts(order))
        results.append(kn.explicit.copy())
        assert kn.explicit[1, 0] > 0.125  # B learnt from C
        assert kn.explicit[0, 0] == 0.125  # A did not learn B's new knowledge in the same month
    assert np.allclose(results[0], results[1], rtol=0, atol=1e-15)


# =============================================================================================== Rule 3: direction
def test_direction_weight_donor_damps_north_learning_from_south_in_partnership_context():
    p_donor, p_peer = prm(donor=True, donor_openness=0.25), prm(donor=False, donor_openness=0.25)
    cases = [  # context, receiver North, source North -> donor weight
        (0, True, False, 0.25), (0, True, True, 1.0), (0, False, True, 1.0), (0, False, False, 1.0),
        (-1, True, False, 1.0), (3, True, False, 0.25)]
    for ctx, rn, sn, weight in cases:
        assert rules.direction_weight(p_donor, ctx, rn, sn) == weight
        assert rules.direction_weight(p_peer, ctx, rn, sn) == 1.0


# =============================================================================================== Rule 4: trust
def run_trust(tie_set, cts, month=5, **kw):
    T = len(tie_set.trust)
    work = TrustWork(np.zeros(T, np.int64), np.zeros(T, bool))
    rules.update_trust(tie_set, cts, len(cts.tie), 0, T, month, prm(**kw), work, np.ones(1))
    assert not work.contacts.any() and not work.bridged.any()  # work left clean
    return tie_set


def test_trust_grows_with_contacts_by_the_closed_form():
    t = run_trust(ties([0, 0, 0, 0], [1, 2, 3, 4], 0.2, 0.5), contacts([1, 2, 2, 3, 3, 3, 3, 3]), growth=0.2,
                  decay=0.0)
    g = 0.2 * 0.5
    assert t.trust == pytest.approx([0.2, 1 - 0.8 * (1 - g), 1 - 0.8 * (1 - g) ** 2, 1 - 0.8 * (1 - g) ** 5])
    assert t.last_contact.tolist() == [NEVER, 5, 5, 5]


def test_two_contacts_count_as_two_single_contacts():
    kw = {"growth": 0.3, "decay": 0.0}
    twice = run_trust(ties([0, 0], [1, 2], [0.1, 0.6], [0.2, 0.5]), contacts([0, 1, 1, 0]), **kw)
    once = run_trust(run_trust(ties([0, 0], [1, 2], [0.1, 0.6], [0.2, 0.5]), contacts([0, 1]), **kw),
                     contacts([1, 0]), **kw)
    assert twice.trust == pytest.approx(once.trust, rel=1e-12)


def test_trust_decays_without_contact_and_keeps_it_before_a_first_meeting():
    t = run_trust(ties([0, 0, 0], [1, 2, 3], 0.3, last_contact=[NEVER, 2, NEVER]), contacts([2]), growth=0.2,
                  decay=0.1)
    assert t.trust[0] == 0.3  # the ends have not met yet: nothing to decay
    assert t.trust[1] == pytest.approx(0.27)  # met before, no contact this month: decays
    assert t.trust[2] > 0.3  # first contact: grows


def test_trust_grows_slower_across_more_distance():
    t = run_trust(ties([0, 0, 0], [1, 2, 3], 0.2, [0.0, 0.5, 1.0]), contacts([0, 1, 2]), growth=0.2, decay=0.0)
    assert t.trust[0] > t.trust[1] > t.trust[2] == pytest.approx(0.2)


def test_a_bridging_migrant_boosts_trust_growth():
    """A facilitated contact: distance lowered by ``migrants.bridge``, growth times (1 + bridge_boost)."""
    t = run_trust(ties([0, 0], [1, 2], 0.2, 0.5), Contacts(np.array([0, 1]), np.ones(2, bool),
                  np.array([False, True]), np.full(2, -1)), growth=0.2, decay=0.0, bridge=0.6, bridge_boost=1.0)
    g_plain, g_bridged = 0.2 * (1 - 0.5), 0.2 * (1 - 0.5 * 0.4) * 2.0
    assert t.trust == pytest.approx([1 - 0.8 * (1 - g_plain), 1 - 0.8 * (1 - g_bridged)])
    t0 = run_trust(ties([0, 0], [1, 2], 0.2, 0.5), Contacts(np.array([0, 1]), np.ones(2, bool),
                   np.array([False, True]), np.full(2, -1)), growth=0.2, decay=0.0, bridge=0.0, bridge_boost=0.0)
    assert t0.trust[0] == t0.trust[1]


def test_trust_stays_in_unit_interval_at_extreme_rates():
    t = run_trust(ties([0, 0, 0], [1, 2, 3], [0.0, 0.9, 1.0], 0.0, last_contact=1), contacts([0, 0, 0, 1]),
                  growth=1.0, decay=1.0, bridge_boost=10.0)
    assert t.trust.tolist() == [1.0, 1.0, 0.0]


# =============================================================================================== SKIN: forgetting
def test_only_unused_actors_forget_and_never_below_baseline():
    kn = knowledge([[0.6, 0.5], [0.6, 0.5], [0.3, 0.3], [0.7, 0.7]],
                   start=[[0.2, 0.5], [0.2, 0.5], [0.3, 0.3], [0.2, 0.2]])
    used = np.array([True, False, False, False])
    forgets = np.array([True, True, True, False])  # the last is an institution
    before = kn.explicit.copy()
    rules.forget_unused(kn, forgets, used, NO_SIDE, 0, 4, prm(forget_rate=0.25), *NO_BOOK)
    assert np.array_equal(kn.explicit[0], before[0])  # used: keeps everything
    assert kn.explicit[1] == pytest.approx([0.2 + 0.4 * 0.75, 0.5])  # forgets a quarter of the gain only
    assert np.array_equal(kn.explicit[2:], before[2:])  # at the start; an institution
    assert not used.any()  # cleared for the next month
    for _ in range(60):
        rules.forget_unused(kn, forgets, used, NO_SIDE, 0, 4, prm(forget_rate=0.3), *NO_BOOK)
        assert np.all(kn.explicit >= kn.explicit0) and np.all(kn.tacit >= kn.tacit0)
    rules.forget_unused(kn, forgets, used, NO_SIDE, 0, 2, prm(forget_rate=1.0), *NO_BOOK)
    assert np.array_equal(kn.explicit[:2], kn.explicit0[:2].astype(float))  # full forgetting: back to the start


# =============================================================================================== Rule 5: internal
def staff_work(S: int, n_dom: int) -> StaffWork:
    return StaffWork(np.zeros((S, n_dom)), np.zeros((S, n_dom)), np.zeros(n_dom), np.zeros(n_dom),
                     np.zeros(n_dom), np.zeros(n_dom))


def dissemination_state():
    """Two municipalities of three staff knowing 0.2 in two domains; in the first, staff 0 took part and
    gained [0.4, 0.2] explicit and [0.3, 0.1] tacit. Memory starts at 0.2, gains nothing yet."""
    start = np.full((6, 2), 0.2)
    explicit = start.copy()
    explicit[0] += [0.4, 0.2]
    tacit = start.copy()
    tacit[0] += [0.3, 0.1]
    kn = knowledge(explicit, tacit, start)
    sharers = np.zeros(6, bool)
    sharers[0] = True
    return kn, np.full((2, 2), 0.2), np.full((2, 2), 0.2), sharers


def disseminate(kn, memory, memory0, sharers, leave=None, codified=(False, False), **kw):
    rules.disseminate_internally(kn, memory, memory0, sharers, np.zeros(6, bool) if leave is None else leave,
                                 NO_SIDE, np.array(codified, bool), 0, 2, prm(**kw), staff_work(3, 2), *NO_BOOK)


def test_colleagues_of_sharers_learn():
    kn, mem, mem0, sharers = dissemination_state()
    disseminate(kn, mem, mem0, sharers, internal_rate=0.1, institutionalisation_rate=0.0)
    gain = kn.explicit - kn.explicit0
    assert gain[1] == pytest.approx([0.04, 0.02]) and gain[2] == pytest.approx([0.04, 0.02])
    assert (kn.tacit - kn.tacit0)[1] == pytest.approx([0.03, 0.01])  # face to face at work: tacit spreads too
    assert gain[0] == pytest.approx([0.4, 0.2])  # the sharer keeps what they know
    assert np.allclose(gain[3:], 0) and np.all(mem == 0.2)  # the other municipality is untouched
    kn2, mem2, _, _ = dissemination_state()
    disseminate(kn2, mem2, mem0, sharers, internal_rate=0.5, institutionalisation_rate=0.0)
    assert np.all(kn2.explicit[1:3] > kn.explicit[1:3])  # a faster internal rate spreads more


def test_without_sharers_colleagues_learn_nothing_from_each_other():
    kn, mem, mem0, sharers = dissemination_state()
    before = kn.explicit.copy(), kn.tacit.copy()
    disseminate(kn, mem, mem0, np.zeros(6, bool), internal_rate=0.5, institutionalisation_rate=0.0)
    assert np.allclose(kn.explicit, before[0], rtol=0, atol=1e-15)
    assert np.allclose(kn.tacit, before[1], rtol=0, atol=1e-15)


def test_institutional_memory_takes_up_gains_and_keeps_them():
    kn, mem, mem0, sharers = dissemination_state()
    disseminate(kn, mem, mem0, sharers, internal_rate=0.0, institutionalisation_rate=0.3)
    assert mem[0] - 0.2 == pytest.approx(0.3 * np.array([0.4, 0.2]) / 3)  # code learning from staff beyond it
    assert np.all(mem[1] == 0.2)
    kn, _, mem0, sharers = dissemination_state()
    high = np.full((2, 2), 0.7)  # memory ahead of every staff member
    disseminate(kn, high, mem0, sharers, internal_rate=0.1, institutionalisation_rate=0.3)
    assert np.all(high >= 0.7)


def test_socialisation_brings_staff_towards_memory_and_newcomers_start_from_it():
    start = np.full((6, 2), 0.2)
    kn = knowledge(start, start, start)
    mem0 = np.full((2, 2), 0.2)
    mem = mem0 + np.array([[0.5, 0.2], [0.0, 0.0]])
    leave = np.zeros(6, bool)
    leave[2] = True
    disseminate(kn, mem, mem0, np.zeros(6, bool), leave, internal_rate=0.1, institutionalisation_rate=0.05,
                socialisation=0.5)
    assert (kn.explicit - kn.explicit0)[:2] == pytest.approx(np.tile([0.05, 0.02], (2, 1)))
    assert (kn.explicit - kn.explicit0)[2] == pytest.approx([0.25, 0.1])  # the newcomer: half the memory's gain
    assert np.array_equal(kn.tacit, kn.tacit0.astype(float))  # codified memory carries no tacit knowledge


def test_turnover_draws_leavers_at_the_rate(rng):
    u = rng.random(20000)
    rep = Rep(0, 0, 20000, *([0] * 13))
    leave = np.zeros(20000, bool)
    assert not rules.staff_turnover(u, leave, rep, prm(turnover_rate=0.0))
    assert rules.staff_turnover(u, leave, rep, prm(turnover_rate=1.0)) and leave.all()
    rules.staff_turnover(u, leave, rep, prm(turnover_rate=0.1))
    assert np.array_equal(leave, u < 0.1) and abs(leave.mean() - 0.1) < 0.01


def test_a_leavers_ties_restart():
    t = ties([0, 0, 1, 2], [5, 6, 5, 6], 0.9, last_contact=3)
    t.kind[:] = [TieType.PARTNERSHIP, TieType.LOCAL, TieType.TRANSNATIONAL, TieType.MULTILEVEL]
    tie_index = np.array([0, 2, 3, 4, 4, 4, 6, 8])  # actors 0..6: their ties
    tie_list = np.array([0, 1, 2, 3, 0, 2, 1, 3])
    participated = np.ones(7, bool)
    leave = np.zeros(7, bool)
    leave[0] = True
    rules.restart_ties(participated, tie_index, tie_list, t, leave, Rep(0, 0, 3, *([0] * 13)),
                       prm(trust_initial=0.2, trust_initial_local=0.5))
    assert t.trust.tolist() == [0.2, 0.5, 0.9, 0.9]  # strangers on a partnership tie, locals on a local one
    assert t.last_contact.tolist() == [NEVER, NEVER, 3, 3]
    assert not participated[0] and participated[1:].all() and not leave.any()


# =============================================================================================== Rule 7: initiatives
def initiative_state(n: int, support_trust: float = 1.0):
    """``n`` CSOs (actor rows 0..n-1), each with a local tie of trust ``support_trust``, all active since month 0."""
    inits = Initiatives(momentum=np.ones(n), start=np.zeros(n, np.int32), cooldown_until=np.zeros(n, np.int32),
                        city=np.zeros(n, np.int32), local_tie=np.arange(n, dtype=np.int32),
                        tn_index=np.zeros(n + 1, np.int64), tn_ties=np.zeros(0, np.int64))
    t = ties(np.arange(n), np.arange(n) + n, support_trust, kind=TieType.LOCAL)
    tally = Tally(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros((12 * n, 3), np.int64))
    rep = Rep(0, 0, 0, 0, n, 0, 0, 0, 0, 0, 1, 0, 0, 0, n, 0)
    return inits, t, tally, rep


def month_of_initiatives(inits, t, tally, rep, month, support, noise, u, *, migrant_org=None, has_migrants=None,
                         **kw):
    n = len(inits.start)
    draws = Draws(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.asarray(u, float), np.asarray(noise, float))
    return rules.update_initiatives(inits, np.zeros(2 * n, bool) if migrant_org is None else migrant_org, t,
                                    np.ones(len(t.trust), bool), np.zeros(1, bool) if has_migrants is None
                                    else has_migrants, draws, tally, rep, month, support,
                                    prm(**{"approval_month": 0, "capacity_months": 0, **kw}), 0)  # R4 apart


def stall_months(support: float, noise: np.ndarray, months: int) -> np.ndarray:
    """Each initiative's stall month (inf if it runs to the end); no restarts."""
    n = noise.shape[1]
    inits, t, tally, rep = initiative_state(n)
    stall = np.full(n, np.inf)
    for month in range(1, months + 1):
        k = month_of_initiatives(inits, t, tally, rep, month, support, noise[month - 1], np.ones(n),
                                 volunteer_decay=0.05, support_gain=0.15, stall_threshold=0.2)
        for row, _start, at in tally.stall_log[:k]:
            stall[row] = min(stall[row], at)
    return stall


def test_initiatives_stall_sooner_without_support(rng):
    noise = rng.normal(0.0, 0.03, (60, 400))
    none = stall_months(0.0, noise, 60)
    some = stall_months(0.3, noise, 60)
    strong = stall_months(0.7, noise, 60)
    assert np.isfinite(none).all()  # without support every initiative stalls within five years
    assert np.all(some >= none) and np.all(strong >= some)  # with the same noise, support never hurts
    assert np.mean(np.isinf(some)) > 0.5 > np.mean(np.isinf(none))
    assert np.isinf(strong).mean() > 0.95
    assert 12 <= np.median(none) <= 20  # ~ (1 - 0.2) / 0.05 = 16 months without support


def test_support_is_the_level_times_trust_on_the_local_tie():
    for trust, support, gets in ((1.0, 0.4, 0.4), (0.5, 0.4, 0.2), (0.0, 0.9, 0.0)):
        inits, t, tally, rep = initiative_state(1, trust)
        inits.momentum[0] = 0.5
        month_of_initiatives(inits, t, tally, rep, 1, support, [0.0], [1.0], volunteer_decay=0.1, support_gain=0.5)
        assert inits.momentum[0] == pytest.approx(0.5 - 0.1 + 0.5 * gets)


def test_initiative_momentum_capped_stalls_below_threshold_and_starts():
    inits, t, tally, rep = initiative_state(4)
    inits.momentum[:] = [1.0, 0.25, 0.5, 0.0]
    inits.start[:] = [0, 0, -1, -1]
    t.trust[:] = [1.0, 0.0, 0.0, 0.0]
    n = month_of_initiatives(inits, t, tally, rep, 7, 1.0, np.zeros(4), [0.5, 0.5, 0.0, 0.99],
                             volunteer_decay=0.1, support_gain=0.5, stall_threshold=0.2, cooldown=3, start_rate=0.5,
                             migrant_boost=0.0, transnational_boost=0.0)
    assert inits.momentum[0] == 1.0 and inits.start[0] == 0  # momentum never above 1
    assert inits.start[1] == -1 and inits.cooldown_until[1] == 10 and inits.momentum[1] == 0.0  # stalled
    assert n == 1 and tally.stall_log[0].tolist() == [1, 0, 7] and tally.stalled[0] == 1
    assert inits.start[2] == 7 and inits.momentum[2] == 1.0  # idle, u < start probability 0.5
    assert inits.start[3] == -1  # idle, u >= 0.5
    assert tally.started[0] == 1


def test_stalled_cso_waits_for_cooldown_before_starting_again():
    inits, t, tally, rep = initiative_state(1, 0.0)
    inits.momentum[0] = 0.21
    history = []
    for month in range(1, 10):
        before = int(tally.started[0]), int(tally.stalled[0])
        month_of_initiatives(inits, t, tally, rep, month, 0.0, [0.0], [0.0], volunteer_decay=0.05,
                             stall_threshold=0.2, cooldown=4, start_rate=1.0)
        history.append((tally.stalled[0] > before[1], tally.started[0] > before[0]))
    assert history[0] == (True, False)  # stalls in month 1, cooldown until month 5
    assert [s for _, s in history[1:4]] == [False, False, False]
    assert history[4] == (False, True)  # starts again in month 5


def test_initiative_start_probability_with_migrants_and_transnational_links():
    p = prm(start_rate=0.1, migrant_boost=1.0, transnational_boost=0.5)
    assert rules.initiative_start_probability(False, False, p) == pytest.approx(0.1)
    assert rules.initiative_start_probability(True, False, p) == pytest.approx(0.2)
    assert rules.initiative_start_probability(True, True, p) == pytest.approx(0.3)
    assert rules.initiative_start_probability(True, True, prm(start_rate=0.9, migrant_boost=5.0)) == 1.0


def test_cut_support_follows_the_shock():
    p = prm(support=0.6, support_cut_month=10, support_cut_factor=0.25)
    assert rules.local_support(p, 9) == pytest.approx(0.6) and rules.local_support(p, 10) == pytest.approx(0.15)
    assert rules.local_support(prm(support=0.6), 1000) == pytest.approx(0.6)


# =============================================================================================== Rule 8: adoption
def orgs_with(memory, memory0=0.0, adopted=None) -> Orgs:
    memory = np.atleast_2d(np.asarray(memory, float))
    M = memory.shape[0]
    return Orgs(memory=memory.copy(), memory0=np.full_like(memory, memory0),
                adopted=np.zeros(memory.shape, bool) if adopted is None else np.asarray(adopted, bool),
                adoption_month=np.full(memory.shape, -1, np.int32), partnered=np.ones(M, bool),
                proactivity=np.full(M, 0.3), objectives=np.full(memory.shape, 1.0 / memory.shape[1]),
                institution_tie=np.full(M, -1, np.int64))


def test_policy_adopted_once_when_memory_first_passes_threshold():
    path = [0.3, 0.5, 0.55, 0.6, 0.5, 0.7, 0.4, 0.56]
    orgs = orgs_with([[0.0]])
    for month, level in enumerate(path):
        orgs.memory[0, 0] = level
        rules.adopt_policies(orgs, 0, 1, month, prm(adoption_threshold=0.55))
    assert orgs.adopted[0, 0] and orgs.adoption_month[0, 0] == 2  # at the threshold counts; later crossings don't


def test_policy_adoption_is_of_gains_per_domain_and_municipality():
    orgs = orgs_with([[0.8, 0.6], [0.4, 0.9]], memory0=0.2, adopted=[[False, False], [False, True]])
    rules.adopt_policies(orgs, 0, 2, 3, prm(adoption_threshold=0.5))
    assert orgs.adopted.tolist() == [[True, False], [False, True]]
    assert orgs.adoption_month.tolist() == [[3, -1], [-1, -1]]


# =============================================================================================== Rule 9: sustain
def partnerships(alive, last_exchange) -> Partnerships:
    P = len(alive)
    return Partnerships(north=np.arange(P, dtype=np.int32), south=np.arange(P, 2 * P, dtype=np.int32),
                        alive=np.array(alive, bool), last_exchange=np.array(last_exchange, np.int32),
                        familiarity=np.zeros(P), support=np.zeros(P), country=np.ones(P, np.int8), event_index=np.zeros(P + 1, np.int64), event_ties=np.zeros(0, np.int64))


def test_partnership_dormancy_ends_it_for_good():
    pt = partnerships([True, True, False], [0, 10, 30])
    p = prm(dormancy_months=24)
    assert not rules.sustain_partnerships(pt, 0, 3, 24, p) and pt.alive.tolist() == [True, True, False]
    assert rules.sustain_partnerships(pt, 0, 3, 25, p) and pt.alive.tolist() == [False, True, False]
    assert not rules.sustain_partnerships(pt, 0, 3, 34, p) and pt.alive.tolist() == [False, True, False]
    assert rules.sustain_partnerships(pt, 0, 3, 35, p) and not pt.alive.any()
    pt.last_exchange[:] = 35  # a dead partnership does not revive even after an exchange
    rules.sustain_partnerships(pt, 0, 3, 36, p)
    assert not pt.alive.any()


# =============================================================================================== Rule 1: activity
OBJ_NORTH = np.array([0.15, 0.45, 0.1, 0.1, 0.1, 0.1])
OBJ_SOUTH = np.array([0.2, 0.05, 0.3, 0.25, 0.1, 0.1])


def agenda_of(coherence, strategy=False, focus=2.0, north=OBJ_NORTH, south=OBJ_SOUTH, familiarity=1.0,
              **kw) -> np.ndarray:
    """The agenda of paid events of a programme with ``coherence`` (the Dutch weight is half of it)."""
    out = np.zeros(len(north))
    rules.exchange_agenda(prm(learning_strategy=strategy, strategy_focus=focus, **kw), north, south, 0.5 * coherence,
                          familiarity, np.zeros(len(north)), np.zeros(len(north)), out)
    return out


@pytest.mark.parametrize("strategy", [False, True])
def test_exchange_agenda_averages_one(rng, strategy):
    for _ in range(50):
        a = agenda_of(rng.random(), strategy, 1 + 9 * rng.random(), rng.dirichlet(np.ones(6)),
                      rng.dirichlet(np.ones(6)))
        assert a.mean() == pytest.approx(1.0, rel=1e-12) and np.all(a >= 0)


def test_coherence_moves_weight_to_the_norths_objectives():
    south_only, both = agenda_of(0.0), agenda_of(1.0)
    diversity = DOMAINS.index("cultural_diversity")  # what the Dutch side wants, the South hardly
    governance = DOMAINS.index("local_governance")  # what the South wants
    assert both[diversity] > south_only[diversity] and both[governance] < south_only[governance]
    assert np.corrcoef(south_only, OBJ_SOUTH)[0, 1] == pytest.approx(1.0)  # coherence 0: the South's objectives
    assert np.corrcoef(both, OBJ_NORTH)[0, 1] > np.corrcoef(south_only, OBJ_NORTH)[0, 1]
    assert np.corrcoef(both, OBJ_NORTH)[0, 1] < 1.0  # coherence 1 mixes both sides, not the North alone


def test_learning_strategy_concentrates_the_agenda():
    diffuse, focused, sharper = agenda_of(0.5), agenda_of(0.5, True, 2.0), agenda_of(0.5, True, 4.0)
    assert diffuse.std() < focused.std() < sharper.std()
    top = np.argmax(diffuse)
    assert np.argmax(focused) == top and diffuse[top] < focused[top] < sharper[top]
    assert focused.min() < diffuse.min()


def paid_months(months: int = 200, **kw) -> list[int]:
    p = prm(**{"budget_per_year": 120.0, "programme_start": 0, "programme_duration": 48} | kw)
    return [t for t in range(months) if rules.programme_budget(p, t) > 0]


def test_programme_budget_continuous():
    """Months count from 1 (the first step): a programme pays in the ``duration`` months after ``start``."""
    assert paid_months(programme_start=6, programme_duration=12) == list(range(7, 19))
    assert rules.programme_budget(prm(budget_per_year=120.0, programme_duration=48), 10) == pytest.approx(10.0)
    assert paid_months(budget_per_year=0.0) == [] and paid_months(programme_duration=0) == []


def test_programme_budget_bursts_pay_piecemeal():
    months = paid_months(programme_start=2, programme_duration=30, bursts=True, burst_on=3, burst_off=9)
    assert months == [3, 4, 5, 15, 16, 17, 27, 28, 29]


def test_funding_cut_stops_the_programme_for_good():
    assert paid_months(programme_duration=96, funding_cut_month=24) == list(range(1, 24))
    assert paid_months(programme_duration=96, funding_cut_month=0) == []
    assert paid_months(programme_duration=12, funding_cut_month=40) == list(range(1, 13))


def test_exchange_intensity_paid_and_own_activity():
    p = prm(cost_per_visit=10.0, own_activity_rate=0.6, initiator_boost=1.0)
    p = p._replace(response_base=1.0, support_activity=0.0)  # every initiative taken up; support off
    paid, own, share = rules.exchange_intensity(p, 5.0, 0.5, 0.3, 0.3, 0.0, 1.0, 0.0, True)
    assert paid == pytest.approx(0.5) and own == pytest.approx(0.6 * 0.5 * 0.3) and share == 0.5
    assert rules.exchange_intensity(p, 5.0, 0.5, 0.6, 0.6, 0.0, 1.0, 0.0, True)[1] > own  # proactivity
    assert rules.exchange_intensity(p, 5.0, 0.9, 0.3, 0.3, 0.0, 1.0, 0.0, True)[1] > own  # trust
    assert rules.exchange_intensity(p, 5.0, 0.5, 0.3, 0.3, 0.5, 1.0, 0.0, True)[1] == pytest.approx(0.6 * 0.5 * 0.8)  # migrants
    assert rules.exchange_intensity(p, 0.0, 0.0, 0.3, 0.3, 1.0, 1.0, 0.0, True)[:2] == (0.0, 0.0)  # no money, no trust


def test_event_counts_are_poisson(rng):
    from scipy.stats import poisson

    u = rng.random(20000)
    lam = np.concatenate([np.zeros(100), rng.random(19900) * 10, np.full(500, 60.0)])[:20000]
    k = np.array([rules.event_count(x, r) for x, r in zip(u, lam)])
    assert np.array_equal(k, poisson.ppf(u, lam).astype(np.int64))  # the inverse CDF, exactly
    assert np.all(k[:100] == 0)
    grid = np.linspace(0.001, 0.999, 50)
    assert np.all(np.diff([rules.event_count(x, 3.0) for x in grid]) >= 0)  # monotone in u
    big = np.array([rules.event_count(x, 5000.0) for x in rng.random(2000)])
    assert abs(big.mean() - 5000) < 10 and abs(big.var() / 5000 - 1) < 0.1


# ---------------------------------------------------------------------------------------------- exchanges
S = 5


def partnership_network(rng, density=0.5, Mc=4):
    """Two partnerships (municipalities 0-2 and 1-3) of S staff each, random staff ties, one CSO-CSO tie in
    partnership 0 (CSO rows 20, 21); migrants rows 22.. (Mc per partnership)."""
    src, dst, part = [], [], []
    for p, (n, s) in enumerate([(0, 2), (1, 3)]):
        for i in range(S):
            for j in range(S):
                if rng.random() < density:
                    src.append(n * S + i)
                    dst.append(s * S + j)
                    part.append(p)
    staff_ties = len(src)
    src.append(4 * S)
    dst.append(4 * S + 1)
    part.append(0)
    T = len(src)
    t = ties(src, dst, 0.5)
    t.partnership[:] = part
    staff_pair = np.arange(T) < staff_ties
    order = np.argsort(part, kind="stable")
    pt = Partnerships(north=np.array([0, 1], np.int32), south=np.array([2, 3], np.int32), alive=np.ones(2, bool),
                      last_exchange=np.zeros(2, np.int32), familiarity=np.zeros(2), support=np.zeros(2), country=np.ones(2, np.int8), event_ties=order.astype(np.int64),
                      event_index=np.concatenate([[0], np.cumsum(np.bincount(part, minlength=2))]).astype(np.int64))
    A = 4 * S + 2 + 2 * Mc
    rep = Rep(0, 0, 4 * S, 4 * S, 4 * S + 2, 4 * S + 2, A, A, A, 0, 4, 0, 2, 0, T, 4 * S)
    return t, np.asarray(part), staff_pair, pt, rep, A, Mc


def hold(rng, n_events, density=0.5, delegation=2, involved_migrants=(), facilitator=True, seed=9):
    t, part, staff_pair, pt, rep, A, Mc = partnership_network(rng, density)
    participated = np.zeros(A, bool)
    involved = np.ones(A, bool)
    involved[rep.mig0:] = False
    for j in involved_migrants:
        involved[rep.mig0 + j] = True
    ev = EventWork(np.zeros(2 * S + Mc), np.zeros(S, bool), np.zeros(S, bool))
    room = sum(n_events) * len(part) + 1
    cts = Contacts(np.zeros(room, np.int64), np.zeros(room, bool), np.zeros(room, bool), np.zeros(room, np.int64))
    n, events = rules.hold_exchanges(pt, np.asarray(n_events, np.int64), participated, involved, t, staff_pair,
                                     np.random.default_rng(seed), ev, cts, rep, prm(delegation_size=delegation,
                                                                                    facilitator=facilitator), 6)
    keys = np.random.default_rng(seed).random((sum(n_events), 2 * S + Mc))  # the same keys, in event order
    return Contacts(*(a[:n] for a in cts)), events, participated, keys, t, part, staff_pair, pt, rep


def test_exchanges_choose_delegations_from_the_keys_and_only_delegated_staff_meet(rng):
    cts, events, participated, keys, t, part, staff_pair, pt, rep = hold(rng, [3, 2])
    assert events == 5 and pt.last_exchange.tolist() == [6, 6]
    ev_p = np.repeat([0, 1], [3, 2])
    expected, chosen_all = [], set()
    for e in range(5):
        p = ev_p[e]
        north = set(pt.north[p] * S + np.argsort(keys[e, :S])[:2])
        south = set(pt.south[p] * S + np.argsort(keys[e, S:2 * S])[:2])
        chosen_all |= north | south
        for tie in np.flatnonzero(part == p):
            if not staff_pair[tie] or (t.src[tie] in north and t.dst[tie] in south):
                expected.append((int(tie), int(p)))
    assert sorted(zip(cts.tie.tolist(), cts.context.tolist())) == sorted(expected)
    assert cts.f2f.all() and not cts.facilitated.any()  # no involved migrant: no facilitator
    assert set(np.flatnonzero(participated[:4 * S])) == chosen_all
    cso_tie = np.flatnonzero(~staff_pair)[0]
    assert (cts.tie == cso_tie).sum() == 3  # the CSO-CSO tie meets at each of partnership 0's events


def test_a_full_delegation_meets_on_every_tie(rng):
    cts, *_rest, part, _staff_pair, _pt, _rep = hold(rng, [1, 0], density=1.0, delegation=S + 3)
    assert sorted(cts.tie.tolist()) == np.flatnonzero(part == 0).tolist()


def test_an_involved_migrant_facilitates(rng):
    cts, _, participated, keys, *_rest, rep = hold(rng, [4, 2], density=1.0, involved_migrants=[1, 3])
    assert cts.facilitated[cts.context == 0].all() and not cts.facilitated[cts.context == 1].any()
    chosen = {1 if keys[e, 2 * S + 1] < keys[e, 2 * S + 3] else 3 for e in range(4)}
    assert set(np.flatnonzero(participated[rep.mig0:])) == chosen
    cts_off, *_ = hold(rng, [4, 2], density=1.0, involved_migrants=[1, 3], facilitator=False)
    assert not cts_off.facilitated.any()


# ---------------------------------------------------------------------------------------------- routine contacts
def test_routine_contacts_respect_rates_and_use(rng):
    T = 30000
    rate = np.select([np.arange(T) % 3 == 0, np.arange(T) % 3 == 1], [0.0, 1.0], 0.3)
    enabled = np.arange(T) % 5 != 4
    use = TieUse(enabled=enabled, contact_rate=rate, f2f=rng.random(T) < 0.5, context=rng.integers(-1, 4, T),
                 needs_partnership=np.zeros(T, bool), staff_pair=np.zeros(T, bool), panel=np.zeros(T, bool),
                 ever=np.zeros(T, bool), cso_ends=np.full((T, 2), -1, np.int64),
                 programme_country=np.full(T, -1, np.int8))
    u = rng.random(T)
    cts = Contacts(np.zeros(T, np.int64), np.zeros(T, bool), np.zeros(T, bool), np.zeros(T, np.int64))
    n = rules.routine_contacts(use, u, 0, T, cts, 0, np.zeros(0, np.int32), np.zeros(3, bool), prm())
    tie = cts.tie[:n]
    assert np.array_equal(tie, np.flatnonzero(enabled & (u < rate)))
    assert np.isin(np.flatnonzero(enabled & (rate == 1.0)), tie).all() and not np.isin(np.flatnonzero(rate == 0), tie).any()
    assert abs(np.isin(np.flatnonzero(enabled & (rate == 0.3)), tie).mean() - 0.3) < 0.02
    assert np.array_equal(cts.f2f[:n], use.f2f[tie]) and np.array_equal(cts.context[:n], use.context[tie])
    assert not cts.facilitated[:n].any()


def test_migrant_outreach_only_draws_in_who_can_be(rng):
    A = 5000
    involved = rng.random(A) < 0.2
    can = rng.random(A) < 0.7
    u = rng.random(A)
    rep = Rep(0, 0, 0, 0, 0, 0, A, A, A, *([0] * 7))
    before = involved.copy()
    assert rules.migrant_outreach(involved, can, u, rep, prm(outreach=0.1))
    assert np.array_equal(involved, before | (can & (u < 0.1)))
    again = involved.copy()
    assert not rules.migrant_outreach(involved, can, u, rep, prm(outreach=0.0)) and np.array_equal(involved, again)


def test_ties_in_use_need_both_ends_and_a_live_partnership():
    t = ties([0, 0, 1, 2], [1, 2, 3, 3], 0.5)
    t.partnership[:] = [0, 1, -1, 0]
    use = TieUse(enabled=np.zeros(4, bool), contact_rate=np.zeros(4), f2f=np.ones(4, bool), context=np.zeros(4, np.int64),
                 needs_partnership=np.array([True, True, False, False]), staff_pair=np.zeros(4, bool),
                 panel=np.zeros(4, bool), ever=np.zeros(4, bool), cso_ends=np.full((4, 2), -1, np.int64),
                 programme_country=np.full(4, -1, np.int8))
    rules.enable_ties(use, t, np.array([True, True, True, False]), np.array([True, False]), 0, 4)
    assert use.enabled.tolist() == [True, False, False, False]
    assert use.ever.tolist() == [True, False, False, False]
    rules.enable_ties(use, t, np.array([True, True, True, True]), np.array([False, True]), 0, 4)
    assert use.enabled.tolist() == [False, True, True, True]
    assert use.ever.tolist() == [True, True, True, True]  # a tie once in use stays in ``ever``


# =============================================================================================== month wiring
@pytest.fixture
def engine_for(make_tiny):
    """``engine_for(**overrides)``: a one-replication Engine on the tiny world, agenda flat, no limit on a
    month's intake (Rule 2 alone, unless the overrides say otherwise)."""

    def build(**overrides) -> Engine:
        eng = Engine(make_tiny(**{"knowledge_monthly_intake": 0.0, **overrides}), [np.random.default_rng(7)])
        eng.state.plan.agenda[:] = 1.0
        return eng

    return build


def partnership_tie(eng: Engine) -> int:
    w = eng.world
    e = int(np.flatnonzero(w.tie_type == TieType.PARTNERSHIP)[0])
    assert w.country[w.src[e]] == 0 and w.country[w.dst[e]] != 0
    return e


def set_pair(eng: Engine, e: int, north: list, south: list, trust: float = 0.8) -> tuple[int, int]:
    w = eng.world
    a, b = int(w.src[e]), int(w.dst[e])
    w.explicit[a], w.explicit[b] = north, south
    w.tacit[a], w.tacit[b] = north, south
    w.trust[e] = trust
    return a, b


def engine_transfer(eng: Engine, cts: Contacts) -> None:
    st = eng.state
    rules.transfer_knowledge(st.knowledge, st.actors, st.ties, cts, len(cts.tie), 0, st.plan, eng.params,
                             st.work.transfer, st.ledger, 0)


def test_facilitator_lowers_distance_and_raises_transfer(engine_for):
    gains = {}
    for facilitated in (False, True):
        eng = engine_for(migrants_bridge=0.6, knowledge_distance_north_south=0.5)
        e = partnership_tie(eng)
        _a, b = set_pair(eng, e, [0.6] * 6, [0.2] * 6)
        before = eng.world.explicit[b].copy()
        engine_transfer(eng, contacts([e], facilitated=facilitated, context=int(eng.world.tie_partnership[e])))
        gains[facilitated] = eng.world.explicit[b] - before
    assert np.all(gains[False] > 0)
    # distance 0.5 without, 0.5 * (1 - 0.6) = 0.2 with a facilitator: closeness 0.5 -> 0.8
    assert gains[True] == pytest.approx(gains[False] * 0.8 / 0.5, rel=1e-9)


@pytest.mark.parametrize("mode", ["peer", "donor"])
def test_donor_mode_blocks_north_learning_from_south_in_partnership_context(engine_for, mode):
    results = {}
    for context in ("programme", "remote"):
        eng = engine_for(programme_mode=mode, programme_donor_openness=0.0)  # 0: the one-way switch
        e = partnership_tie(eng)
        north_knows = [0.7, 0.7, 0.7, 0.2, 0.2, 0.2]
        south_knows = [0.2, 0.2, 0.2, 0.7, 0.7, 0.7]
        a, b = set_pair(eng, e, north_knows, south_knows)
        engine_transfer(eng, contacts([e], context=int(eng.world.tie_partnership[e]) if context == "programme"
                                      else -1))
        results[context] = (eng.world.explicit[a] - north_knows, eng.world.explicit[b] - south_knows)
    north_gain, south_gain = results["programme"]
    assert np.all(south_gain[:3] > 0)  # the South learns from the North either way
    if mode == "donor":
        assert np.all(north_gain == 0)  # the North came to teach, not to learn
    else:
        assert np.all(north_gain[3:] > 0)
    assert np.all(results["remote"][0][3:] > 0)  # outside programme exchanges the North learns in both modes


def test_people_forget_national_bodies_do_not(engine_for):
    eng = engine_for(knowledge_forget_rate=0.5, network_model="multilevel_hybrid")
    w, st = eng.world, eng.state
    w.explicit[:] = np.minimum(w.explicit0 + 0.2, 1.0)
    before = w.explicit.copy()
    used = np.zeros(w.n_actors, bool)
    used[:3] = True
    rules.forget_unused(st.knowledge, st.actors.forgets, used, st.actors.group, 0, w.n_actors, eng.params,
                        st.ledger.book, 0)
    national = (w.kind == Kind.HIGHER_GOVERNMENT) | (w.kind == Kind.KNOWLEDGE_INSTITUTION)
    forgetters = ~national & (np.arange(w.n_actors) >= 3)
    assert np.allclose(w.explicit[forgetters], w.explicit0[forgetters] + 0.5 * (before - w.explicit0)[forgetters])
    assert np.array_equal(w.explicit[national], before[national]) and np.array_equal(w.explicit[:3], before[:3])


def test_boundary_spanners_share_with_colleagues_in_a_month_without_contacts(engine_for):
    """Staff holding a multilevel tie share what they know with colleagues, even without an exchange."""
    quiet = {"programme": "none", "municipality_own_activity_rate": 0.0, "dissemination_local_contact_rate": 0.0,
             "dissemination_transnational_contact_rate": 0.0, "dissemination_multilevel_contact_rate": 0.0,
             "dissemination_remote_contact_rate": 0.0, "dissemination_institutionalisation_rate": 0.0,
             "dissemination_turnover_rate": 0.0, "knowledge_forget_rate": 0.0, "network_multilevel_contacts": 1}
    shared = {}
    for model in ("multi_actor", "multilevel_hybrid"):
        eng = engine_for(network_model=model, **quiet)
        w = eng.world
        S = w.staff_per_muni
        holders = eng.state.actors.boundary[:S].copy()
        if model == "multilevel_hybrid":
            assert holders.any() and not holders.all()
        else:
            assert not holders.any()
            holders[0] = True  # the same staff member learnt, but holds no multilevel tie here
        w.explicit[:S][holders] = np.minimum(w.explicit0[:S][holders] + 0.3, 1.0)
        before = w.explicit[:S].copy()
        eng.step()
        assert eng.metrics["exchange_events"][0] == 0
        shared[model] = (w.explicit[:S][~holders] - before[~holders]).max()
    assert shared["multi_actor"] == 0.0 and shared["multilevel_hybrid"] > 0.0


def test_engine_contact_rates_follow_the_config(engine_for):
    eng = engine_for(network_model="multilevel_hybrid", dissemination_local_contact_rate=0.2,
                     dissemination_transnational_contact_rate=0.07, dissemination_multilevel_contact_rate=0.3,
                     dissemination_remote_contact_rate=0.01, dissemination_external_rate=2.0)
    w = eng.world
    expected = {TieType.PARTNERSHIP: 0.01, TieType.LOCAL: 0.4, TieType.TRANSNATIONAL: 0.07, TieType.MULTILEVEL: 0.6}
    prog = w.tie_programme >= 0  # country programme ties have their own rates (peer 0.1, spread 0.05)
    for t, rate in expected.items():
        assert np.allclose(eng.state.use.contact_rate[(w.tie_type == t) & ~prog], rate), t.name
    assert prog.any() and set(np.round(eng.state.use.contact_rate[prog], 6)) <= {0.1, 0.05}


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
    assert np.all(w.last_contact == 0) and eng.metrics["exchange_events"][0] == 0


def test_agenda_is_planned_from_the_partners_objectives(engine_for):
    """The month's coherence is the paid visits' ``programme.coherence`` (0 here) and 1 for own-funded ones."""
    eng = engine_for(programme_coherence=0.0)
    eng.step()
    w, plan = eng.world, eng.state.plan
    paid = 60.0 / 12 / 10.0  # the default budget and cost per visit: 0.5 visits a month
    assert plan.rate[0] > paid and plan.agenda[-1].tolist() == [1.0] * 6  # some own activity; the general agenda
    coherence = 1.0 - paid / plan.rate[0]
    assert plan.agenda[0] == pytest.approx(agenda_of(coherence, north=w.objectives[w.p_north[0]],
                                                     south=w.objectives[w.p_south[0]]), rel=1e-12)
