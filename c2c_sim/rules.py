"""The rules of the model: one named function per rule, and these functions are what runs.

Each rule is a plain loop over one replication's arrays, compiled by numba (:data:`c2c_sim.compiled.rule`,
cached on disk), and says in its docstring which recommendation (R1-R7, ``shared/seeds``) or
mechanism from the literature it encodes. :func:`c2c_sim.engine.month` calls them in a fixed order.
Updates within a month are synchronous: every transfer of a month reads the knowledge and trust the
month started with. Structures (:mod:`c2c_sim.state`): ``actors``, ``ties``, ``orgs`` (municipalities),
``pt`` (partnerships), ``inits`` (CSO initiatives), ``prm`` (parameters), ``rep`` (one replication's
ranges), ``contacts`` (the month's interactions). To step through a rule in a debugger, run with
``NUMBA_DISABLE_JIT=1``: the same functions run as Python.

A rule takes the arrays it reads and writes, grouped in the small structures of :mod:`c2c_sim.state`
(``kn`` knowledge, ``ties``, ``use`` tie use, ``pt`` partnerships, ``orgs`` municipalities, ``inits``
CSO initiatives), plus the parameters ``prm`` and one replication's ranges ``rep``. (Each array
handed to a compiled function costs a reference count there and back, so a rule gets what it uses,
not the whole state.)

Rule index (the numbering of ``docs/odd.md``):

1. Exchange activity ......... :func:`programme_budget`, :func:`programme_cofinanced`, :func:`exchange_intensity`,
                                :func:`exchange_agenda`, :func:`event_count`, :func:`plan_exchanges`,
                                :func:`hold_exchanges`
2. Knowledge transfer ........ :func:`transfer_knowledge`
3. Coherence and equality .... :func:`exchange_agenda` (coherence), :func:`direction_weight` (peer/donor)
4. Trust ..................... :func:`update_trust`
5. Internal dissemination .... :func:`disseminate_internally`, :func:`staff_turnover`, :func:`restart_ties`
6. External dissemination .... :func:`routine_contacts`
7. CSO initiatives ........... :func:`update_initiatives` (:func:`initiative_start_probability`, :func:`local_support`)
8. Policy adoption ........... :func:`adopt_policies`
9. Life after the programme .. :func:`exchange_intensity` (own means), :func:`sustain_partnerships`
10. Partnership mechanisms ... :func:`absorbed` (absorptive capacity per month, R5),
                                :func:`update_familiarity` (R5), :func:`take_up` (each side acts, R6),
                                :func:`domestic_motive` (R1), :func:`update_support` (support at home, R7)
   plus :func:`forget_unused` (SKIN), :func:`migrant_outreach` (R7), :func:`enable_ties` and
   :func:`terminate_partnerships` (shocks).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .compiled import indices, inline_rule, rule
from .state import CAPPED, EXCHANGE, FORGETTING, INTERNAL, TURNOVER

POISSON_DIRECT = 30.0
"""Up to this rate event counts invert the Poisson CDF directly; above it in log space (exp(-30) is fine)."""


class Contacts(NamedTuple):
    """The undirected interactions of one replication's month: one entry per contact on a tie.

    A tie may appear more than once (two exchange events on the same tie are two contacts)."""

    tie: np.ndarray  # (I,) int64
    f2f: np.ndarray  # (I,) bool: face to face (tacit knowledge can move)
    facilitated: np.ndarray  # (I,) bool: a migrant facilitator bridged the exchange
    context: np.ndarray  # (I,) int64: the partnership whose agenda the contact follows, -1 the general agenda


@inline_rule
def new_contacts(n: int) -> Contacts:
    """Room for ``n`` contacts."""
    return Contacts(np.empty(n, np.int64), np.empty(n, np.bool_), np.empty(n, np.bool_), np.empty(n, np.int64))


@inline_rule
def power(x, exponent):
    """``x ** exponent``; 1 and 2 exactly (as numpy computes them)."""
    if exponent == 2.0:
        return x * x
    if exponent == 1.0:
        return x
    return x ** exponent


# ---------------------------------------------------------------- the month's random numbers
@rule
def draw_month(gen, rep, draws, prm) -> None:
    """The replication's row of random numbers for the month, from its own generator, in a fixed order:
    one uniform per migrant (outreach), per partnership (event count), per tie (routine contact), per
    staff member (turnover) and per CSO (initiative start), then one standard normal per CSO (volunteer
    input). The row's length depends only on the world, never on the state or the rates: two cells of
    a sweep use the same numbers for the same things (common random numbers). Numbers whose count
    varies (each event's delegation and facilitator keys) come from a second generator
    (:func:`hold_exchanges`)."""
    outreach, events, ties, staff, csos, noise = draws
    for a in indices(rep.mig0, rep.mig1):
        outreach[a] = gen.random()
    for p in indices(rep.p0, rep.p1):
        events[p] = gen.random()
    for e in indices(rep.tie0, rep.tie1):
        ties[e] = gen.random()
    for a in indices(rep.staff0, rep.staff1):
        staff[a] = gen.random()
    for i in range(rep.cso0 - rep.first_cso, rep.cso1 - rep.first_cso):
        csos[i] = gen.random()
    for i in range(rep.cso0 - rep.first_cso, rep.cso1 - rep.first_cso):
        noise[i] = prm.momentum_noise * gen.standard_normal()


# ---------------------------------------------------------------- R7: outreach
@rule
def migrant_outreach(involved, can_involve, u, rep, prm) -> bool:
    """Migrants drawn in by this month's outreach (R7: inform a wider public, involve more migrants).

    Each uninvolved migrant who can be involved (in the classic model only those the municipality
    employs) is drawn in with probability ``migrants.outreach`` (``u``: one uniform per migrant row);
    no one drops out. Returns whether anyone was drawn in."""
    changed = False
    if prm.outreach <= 0.0:
        return changed
    for a in range(rep.mig0, rep.mig1):
        if can_involve[a] and not involved[a] and u[a] < prm.outreach:
            involved[a] = True
            changed = True
    return changed


@rule
def enable_ties(use, ties, involved, alive, e0, e1) -> None:
    """Ties ``e0:e1`` in use: both ends engaged and, for a tie that needs one, its partnership alive.
    A tie once in use stays marked in ``use.ever`` (it stays in the trust outcomes of ties that entered)."""
    src, dst, partnership = ties.src, ties.dst, ties.partnership
    enabled, needs_partnership, ever = use.enabled, use.needs_partnership, use.ever
    for e in indices(e0, e1):
        ok = involved[src[e]] and involved[dst[e]]
        if ok and needs_partnership[e]:
            ok = alive[partnership[e]]
        enabled[e] = ok
        if ok:
            ever[e] = True


# ---------------------------------------------------------------- Rule 1: exchange activity
@inline_rule
def programme_budget(prm, month: int) -> float:
    """Programme money (k EUR) available to each partnership in ``month``.

    Rule 1. Months are counted from 1 (the first step; month 1 is January 2000, :mod:`c2c_sim.calendar`).
    The support programme pays ``budget_per_year / 12`` in each of the ``duration`` months after month
    ``start`` (months ``start + 1`` to ``start + duration``); with ``pattern="bursts"`` it pays only in
    the first ``burst_on`` months of every ``burst_on + burst_off`` (piecemeal action, R5). A funding
    cut (``shocks.funding_cut_month``, e.g. the 2011 parliamentary amendment that cut LOGO South to
    zero) stops it from that month on. A successor programme (``programme.successor_start``, LOGO
    South's of 2012-2016) pays ``successor_budget`` times that monthly budget, continuously, in the
    ``successor_duration`` months after ``successor_start``, whatever the cut (it is a new programme).
    """
    if prm.budget_per_year <= 0:
        return 0.0
    if in_successor(prm, month):
        return prm.budget_per_year * prm.successor_budget / 12.0
    if not (prm.programme_start < month <= prm.programme_start + prm.programme_duration):
        return 0.0
    if 0 <= prm.funding_cut_month <= month:
        return 0.0
    if prm.bursts and (month - prm.programme_start - 1) % (prm.burst_on + prm.burst_off) >= prm.burst_on:
        return 0.0
    return prm.budget_per_year / 12.0


@inline_rule
def in_successor(prm, month: int) -> bool:
    """Whether ``month`` is paid by the successor programme (``programme.successor_start`` < month <=
    ``successor_start + successor_duration``; never with ``successor_start = -1``)."""
    return 0 <= prm.successor_start < month <= prm.successor_start + prm.successor_duration


@inline_rule
def programme_cofinanced(prm, month: int) -> bool:
    """Whether the programme pays the Dutch side's part of an exchange in ``month`` (Rule 1). LOGO South
    co-financed Dutch municipal initiatives; its successor did not (``programme.successor_cofinancing``
    false): then a paid exchange happens only if the Dutch municipality takes it up at its own cost
    (:func:`exchange_intensity`)."""
    return prm.successor_cofinancing or not in_successor(prm, month)


@inline_rule
def take_up(prm, proactivity) -> float:
    """How readily a municipality takes up an exchange the other side initiates (R6: actors and
    re-actors): ``partnership.response_base`` for a fully reactive one, 1 for a fully proactive one."""
    return prm.response_base + (1.0 - prm.response_base) * proactivity


@inline_rule
def domestic_motive(prm, objectives_north, agenda) -> float:
    """The Dutch side's motive factor for a partnership whose exchanges ran on ``agenda`` (R1).

    How much the agenda serves the Dutch side's own objectives (``dealing with diversity'' at home):
    ``serve = sum_d objectives_north[d] * agenda[d]``, 1 for a neutral agenda (all 1) and above 1 when
    the exchanges are about what the Dutch side wants. The factor ``1 + domestic_motive * (serve - 1)``
    (at least 0) scales its own-means initiative (:func:`exchange_intensity`) and the openness of its
    actors (staff and CSOs) in all of the partnership's contacts, paid events included
    (:func:`transfer_knowledge`)."""
    serve = 0.0
    for d in range(agenda.shape[0]):
        serve += objectives_north[d] * agenda[d]
    return max(0.0, 1.0 + prm.domestic_motive * (serve - 1.0))


@inline_rule
def exchange_intensity(prm, budget, trust, proactivity_north, proactivity_south, involved_share, motive, support,
                       cofinanced):
    """Expected exchange events of a partnership this month: (paid by the programme, from own means,
    the share of the own-means events the Dutch side initiates).

    Rule 1 and Rule 9. The programme pays ``budget / cost_per_visit`` visits; where it does not
    co-finance the Dutch side (``cofinanced`` false, :func:`programme_cofinanced`) only those the Dutch
    municipality takes up at its own cost (:func:`take_up` of its proactivity). From their own means each
    side initiates in proportion to its own proactivity (R6: actors, not re-actors), the Dutch side also
    to its domestic motive (:func:`domestic_motive`, R1), and an initiative needs the other side to take
    it up (:func:`take_up`): a partnership lives on both sides' response, the weaker side limits it.
    Own-means activity grows with the trust built on the partnership (R5) and with local support at
    home (``1 + support_activity * support``, R7); migrants act as initiators (R7) in proportion to the
    share of the partnership's migrants involved. After the programme ends only the own-means term
    remains: ties live on where trust, proactivity and support carry them.
    """
    paid = budget / prm.cost_per_visit
    if not cofinanced:
        paid *= take_up(prm, proactivity_north)
    from_north = proactivity_north * motive * take_up(prm, proactivity_south)
    from_south = proactivity_south * take_up(prm, proactivity_north)
    own = (prm.own_activity_rate * trust * (0.5 * (from_north + from_south) + prm.initiator_boost * involved_share)
           * (1.0 + prm.support_activity * support))
    both = from_north + from_south
    return paid, own, (from_north / both if both > 0 else 0.5)


@inline_rule
def exchange_agenda(prm, obj_north, obj_south, north_weight, familiarity, memory_north, memory_south,
                    agenda) -> None:
    """A partnership's agenda: multipliers over domains (mean 1) saying what its exchanges are about.

    Rule 1 and Rule 3 (R1 policy coherence, R5, R6). The content mixes the two sides' objectives,
    ``(1 - w) * obj_south + w * obj_north``, with the Dutch weight ``north_weight`` (:func:`plan_exchanges`:
    paid events weigh ``programme.coherence / 2``, 0 being a programme focused on strengthening
    governance in the South, as the Dutch Ministry of Foreign Affairs' programmes were; own-funded
    events follow the side that initiated them). In donor mode (R3) a share ``programme.donor_agenda``
    of the content is set on the South's deficits as the visiting side sees them: the domains where the
    Dutch municipality's institutional memory exceeds the southern one, in proportion to the gap. With a
    learning strategy (clear objectives, R5) the
    agenda concentrates on the most wanted domains (content to the power ``strategy_focus``), but only
    as far as the partners know each other: a share ``partnership.strategy_familiarity`` of that focus
    needs familiarity (realistic expectations). Without a strategy half of the attention is spread
    evenly, so exchanges fall short of their potential. Writes ``agenda`` (D,).
    """
    D = agenda.shape[0]
    deficit_sum = 0.0
    for d in range(D):
        deficit_sum += max(memory_north[d] - memory_south[d], 0.0)
    set_by_donor = prm.donor_agenda if (prm.donor and deficit_sum > 0) else 0.0
    content_sum = focused_sum = 0.0
    for d in range(D):
        content = (1.0 - north_weight) * obj_south[d] + north_weight * obj_north[d]
        if set_by_donor > 0:
            deficit = max(memory_north[d] - memory_south[d], 0.0) / deficit_sum
            content = (1.0 - set_by_donor) * content + set_by_donor * deficit
        agenda[d] = content
        content_sum += content
        focused_sum += power(content, prm.strategy_focus)
    q = (1.0 - prm.strategy_familiarity * (1.0 - familiarity)) if prm.learning_strategy else 0.0
    for d in range(D):
        plain = (0.5 * agenda[d] / content_sum + 0.5 / D) * D if content_sum > 0 else 1.0
        focused = power(agenda[d], prm.strategy_focus) / focused_sum * D if focused_sum > 0 else 1.0
        agenda[d] = (1.0 - q) * plain + q * focused


@inline_rule
def event_count(u, rate) -> int:
    """Poisson(``rate``) event count from one uniform ``u``, by inverting the CDF (the smallest k with
    CDF(k) > u; exact). Above :data:`POISSON_DIRECT` the terms are summed in log space."""
    k = 0
    if rate <= POISSON_DIRECT:
        pk = np.exp(-rate)
        cdf = pk
        while u >= cdf and pk > 0:
            k += 1
            pk = pk * rate / k
            cdf = cdf + pk
        return k
    log_rate = math.log(rate)
    log_pk = -rate
    cdf = math.exp(log_pk)
    limit = rate + 40.0 * math.sqrt(rate) + 40.0
    while u >= cdf and k < limit:
        k += 1
        log_pk += log_rate - math.log(k)
        cdf += math.exp(log_pk)
    return k


@rule
def plan_exchanges(plan, pt, orgs, involved, trust, staff_pair, u, rep, prm, budget, cofinanced) -> int:
    """Rule 1 for every partnership of the replication: the Dutch motive from last month's agenda
    (:func:`domestic_motive`), intensity (:func:`exchange_intensity`, with the mean trust over the
    partnership's staff ties, the share of its migrants involved and its local support), agenda
    (:func:`exchange_agenda`), the distance left on its contacts (``1 - familiarity_distance *
    familiarity``, R5) and this month's number of events (:func:`event_count` of one uniform of ``u``).
    A partnership that ended holds none. Returns the most contacts the replication's month can have
    (every tie once for routine contacts, plus each event's ties)."""
    Mc = (rep.mig1 - rep.mig0) // max(rep.p1 - rep.p0, 1)
    need = rep.tie1 - rep.tie0
    agenda, closeness, motives, n_events, rates, involved_migrants = plan
    event_index, event_ties, alive, familiarity = pt.event_index, pt.event_ties, pt.alive, pt.familiarity
    proactivity, objectives = orgs.proactivity, orgs.objectives
    for p in range(rep.p0, rep.p1):
        involved_here = 0
        first = rep.mig0 + (p - rep.p0) * Mc
        for a in range(first, first + Mc):
            if involved[a]:
                involved_here += 1
        involved_migrants[p] = involved_here
        trust_sum = 0.0
        n_staff_ties = 0
        for q in range(event_index[p], event_index[p + 1]):
            e = event_ties[q]
            if staff_pair[e]:
                trust_sum += trust[e]
                n_staff_ties += 1
        north, south = pt.north[p], pt.south[p]
        motive = domestic_motive(prm, objectives[north], agenda[p])
        motives[p] = motive
        paid, own, north_share = exchange_intensity(prm, budget, trust_sum / max(n_staff_ties, 1),
                                                    proactivity[north], proactivity[south],
                                                    involved_here / Mc if Mc > 0 else 0.0, motive, pt.support[p],
                                                    cofinanced)
        rate = paid + own
        rates[p] = rate
        own_weight = 0.5 + prm.initiator_agenda * (north_share - 0.5)  # the initiating side's agenda (R6)
        north_weight = (paid * 0.5 * prm.coherence + own * own_weight) / rate if rate > 0 else 0.5
        exchange_agenda(prm, objectives[north], objectives[south], north_weight, familiarity[p], orgs.memory[north],
                        orgs.memory[south], agenda[p])
        closeness[p] = 1.0 - prm.familiarity_distance * familiarity[p]
        n_events[p] = event_count(u[p], rate) if alive[p] else 0
        need += n_events[p] * (event_index[p + 1] - event_index[p])
    return need


@inline_rule
def choose_delegation(keys, start, k, chosen) -> None:
    """Mark in ``chosen`` (S,) the ``k`` staff with the smallest of ``keys[start:start + S]``: a uniform
    choice of who travels (or hosts)."""
    S = chosen.shape[0]
    for s in range(S):
        x = keys[start + s]
        below = 0
        for q in range(S):
            if keys[start + q] < x:
                below += 1
        chosen[s] = below < k


@rule
def hold_exchanges(pt, n_events, participated, involved, ties, staff_pair, key_gen, ev, contacts, rep, prm,
                   month):
    """This month's exchange events of the replication's partnerships: who meets whom (Rule 1, R3, R7).

    At each event both municipalities choose ``municipality.delegation_size`` of their staff (who
    travels and who hosts), uniformly: the staff with the smallest keys, drawn from the replication's
    second generator (``2 S + Mc`` keys per event, the facilitator's too when the role is off: common
    random numbers). Two staff meet face to face if a partnership tie links them; the partnership's
    CSO-CSO ties meet at every event (multi-actor model). With migrant facilitation on, the involved
    migrant of the partnership with the smallest key joins (R7: facilitator, bridging language and
    culture) and the event's contacts are facilitated: their distance falls by ``migrants.bridge`` in
    transfer and in trust growth, and trust grows ``trust.bridge_boost`` times faster on top. Everyone
    met counts as having participated; a partnership with an event has its last exchange now.
    Returns (contacts written from index 0, events held).
    """
    keys, chosen_north, chosen_south = ev
    src, dst = ties.src, ties.dst
    north, south, last_exchange, event_index, event_ties = (pt.north, pt.south, pt.last_exchange, pt.event_index,
                                                            pt.event_ties)
    tie_of, f2f, facilitated_by, context = contacts
    S = chosen_north.shape[0]
    Mc = keys.shape[0] - 2 * S
    k = min(prm.delegation_size, S)
    n = 0
    events = 0
    for p in range(rep.p0, rep.p1):
        if n_events[p] > 0:
            last_exchange[p] = month
        events += n_events[p]
        for _ in range(n_events[p]):
            for j in range(keys.shape[0]):
                keys[j] = key_gen.random()
            choose_delegation(keys, 0, k, chosen_north)
            choose_delegation(keys, S, k, chosen_south)
            for s in range(S):
                if chosen_north[s]:
                    participated[north[p] * S + s] = True
                if chosen_south[s]:
                    participated[south[p] * S + s] = True
            facilitated = False
            if prm.facilitator and Mc > 0:
                first = rep.mig0 + (p - rep.p0) * Mc
                best = 2.0
                chosen = 0
                for j in range(Mc):
                    v = keys[2 * S + j] if involved[first + j] else 2.0
                    if v < best:
                        best = v
                        chosen = j
                facilitated = best < 1.0
                if facilitated:
                    participated[first + chosen] = True
            for q in range(event_index[p], event_index[p + 1]):
                e = event_ties[q]
                if not staff_pair[e] or (chosen_north[src[e] % S] and chosen_south[dst[e] % S]):
                    tie_of[n] = e
                    f2f[n] = True
                    facilitated_by[n] = facilitated
                    context[n] = p
                    n += 1
                    participated[src[e]] = True
                    participated[dst[e]] = True
    return n, events


# ---------------------------------------------------------------- Rule 6: external dissemination
@rule
def routine_contacts(use, u, e0, e1, contacts, n, initiative_start, country_on, prm) -> int:
    """Everyday contacts on ties ``e0:e1`` outside exchange visits.

    Rule 6 (R2: external dissemination between organisations). Each tie in use has a contact this
    month with its own probability: local ties (municipality with its CSOs and citizens), multilevel
    ties (municipality, higher government, knowledge institution: how higher government carries
    practices to municipalities outside any partnership, LOGO South's spillover and policy transfer),
    transnational ties of migrants and CSOs, and remote contact on partnership ties between visits.
    Contacts within a country are face to face; across countries they are remote (explicit knowledge
    only). A CSO's ties (its local tie, CSO-CSO and transnational ties) carry contacts at their rate
    while one of their CSO ends runs an initiative, and at ``cso.idle_contact`` times it otherwise
    (R4: initiatives carry exchanges; ``initiative_start`` -1 for an idle CSO). A country programme's
    ties carry contacts only while it runs (``country_on``, :func:`country_programmes`). ``u``: one
    uniform per tie. Appends from index ``n``; returns the new count.
    """
    enabled, rate, f2f, context, cso_ends = use.enabled, use.contact_rate, use.f2f, use.context, use.cso_ends
    programme = use.programme_country
    c_tie, c_f2f, c_facilitated, c_context = contacts
    for e in indices(e0, e1):
        if not enabled[e] or u[e] >= rate[e]:  # no contact at the full rate, none at a lower one (idle_contact <= 1)
            continue
        a, b = cso_ends[e, 0], cso_ends[e, 1]
        running = (a >= 0 and initiative_start[a] >= 0) or (b >= 0 and initiative_start[b] >= 0)
        p = rate[e] if (running or (a < 0 and b < 0)) else rate[e] * prm.idle_contact
        if programme[e] >= 0 and not country_on[programme[e]]:
            p = 0.0
        if u[e] < p:
            c_tie[n] = e
            c_f2f[n] = f2f[e]
            c_facilitated[n] = False
            c_context[n] = context[e]
            n += 1
    return n


# ---------------------------------------------------------------- Rules 2 and 3: knowledge transfer
@inline_rule
def direction_weight(prm, context, receiver_north, source_north) -> float:
    """Weight of one directed transfer: 1, or ``programme.donor_openness`` where a donor-recipient
    exchange damps it.

    Rule 3 (R3 peer-to-peer learning). In ``peer`` mode knowledge flows both ways as openness allows.
    In ``donor`` mode, in everything that runs through the partnership (``context`` >= 0: exchange
    visits, remote contact on partnership ties, CSO-CSO exchanges), the North side comes to teach, not
    to learn: what it takes in from the South is weighted by ``donor_openness`` (0: nothing, the first
    version's one-way switch). Migrants' own transnational ties are not affected. Donor mode also
    sets the agenda on the South's deficits (:func:`exchange_agenda`) and does not match delegations
    by field (:func:`transfer_knowledge`).
    """
    if prm.donor and context >= 0 and receiver_north and not source_north:
        return prm.donor_openness
    return 1.0


@inline_rule
def learned(k_receiver, k_source, rate, agenda_weight, prm):
    """Rule 2 in one domain of one directed contact: what the receiver learns (a share of the gap) and
    the source's level if something can flow (-1 if not: the source knows no more, or the gap is beyond
    ``knowledge.bounded_gap``). ``rate`` holds the tie's trust, closeness and openness already."""
    gap = k_source - k_receiver
    flows = (gap > 0.0) & (gap <= prm.bounded_gap)  # about half the gaps are negative, at random: no branch
    share = min(rate * (prm.absorptive_base + (1.0 - prm.absorptive_base) * k_receiver) * agenda_weight, 1.0)
    return (share * gap if flows else 0.0), (k_source if flows else -1.0)


@inline_rule
def learn_layer(level, a, s, rate, agenda, row, matched, inc, best, book, r, side, ch, prm) -> None:
    """One directed contact in one layer (explicit or tacit): receiver ``a`` learns from source ``s`` in
    every domain (:func:`learned`, at the domain's weight in row ``row`` of ``agenda``), in domain
    ``matched`` (the counterparts' shared field; -1: none) ``1 + programme.matching`` times as much; the
    increments and the best source add up in ``inc`` and ``best``. A receiver on a side (``side`` 0 or 1)
    books half of each increment (a gain is the mean of the two layers) in channel ``ch`` of the ledger
    ``book`` of replication ``r``."""
    booked = side < 2
    for d in range(level.shape[1]):
        boost = 1.0 + prm.matching if d == matched else 1.0
        gain, source = learned(level[a, d], level[s, d], rate, agenda[row, d] * boost, prm)
        inc[a, d] += gain
        best[a, d] = max(best[a, d], source)
        if booked:
            book[r, side, d, ch] += 0.5 * gain


@inline_rule
def absorbed(increment, prm) -> float:
    """What an actor takes in of a month's summed ``increment`` in one domain and layer (R5: absorptive
    capacity per month, Cohen and Levinthal 1990; "sufficient capacity should be made available for the
    learning to take root"). With ``L = knowledge.monthly_intake`` it is ``L * (1 - exp(-increment / L))``:
    nearly all of a small increment, never more than ``L``, so many contacts in one month add less than
    the same contacts spread over months. ``L = 0`` takes in everything (no limit)."""
    L = prm.monthly_intake
    if L <= 0.0:
        return increment
    return -L * math.expm1(-increment / L)


@rule
def transfer_knowledge(kn, actors, ties, contacts, n, n_events, plan, prm, work, ledger, r) -> None:
    """Knowledge moves on the month's contacts ``0:n``, both ways.

    Rule 2. Per directed contact, receiver ``r`` learns from source ``s`` in each domain a share of the
    gap ``max(0, K_s - K_r)`` (nothing flows from one who knows less; no transfer across a gap beyond
    ``knowledge.bounded_gap``, Deffuant et al. 2000). The share grows with the receiver's absorptive
    capacity ``base + (1 - base) * K_r`` (Cohen and Levinthal 1990), openness to learn (R1, R3; a Dutch
    receiver's openness in a partnership's contacts times the domestic motive ``plan.motive``, at most
    1), trust on the tie, and the agenda's weight for the domain (Rule 1), and shrinks with cultural and
    language distance (R5; on a partnership's contacts times ``plan.closeness``, what familiarity
    leaves of it; lowered by ``migrants.bridge`` where a migrant facilitates, R7); it is weighted by
    :func:`direction_weight` (R3). Tacit knowledge moves only face to face and needs more trust (trust
    to the power ``trust.tacit_exponent``). Transfers are synchronous (all read the month's starting
    knowledge and trust) and add up over contacts; what a receiver takes in within the month saturates
    (:func:`absorbed`, absorptive capacity per month, R5), and no one ends above the best of their
    month's sources. Receivers are marked in ``work.used``.

    What a side's actor learns is booked in ``ledger`` (replication ``r``) to the contact's channel:
    the first ``n_events`` contacts are exchange events, the others routine contacts of their tie's
    channel; what the month's limits (absorptive capacity, the best source) cut from a receiver's month
    is booked as ``capped``.
    """
    explicit, tacit = kn.explicit, kn.tacit
    openness, north, group, field = actors.openness, actors.north, actors.group, actors.field
    inc_e, inc_t, best_e, best_t, used, touched = work
    book, tie_channel = ledger
    src, dst, trust, distance = ties.src, ties.dst, ties.trust, ties.distance
    tie_of, f2f, facilitated, context = contacts
    agenda, near, motive = plan.agenda, plan.closeness, plan.motive
    general = agenda.shape[0] - 1  # the general agenda's row
    D = explicit.shape[1]
    n_touched = 0
    for direction in range(2):  # each tie's src learns first, then each dst
        for i in range(n):
            e = tie_of[i]
            a = src[e] if direction == 0 else dst[e]  # the receiver
            s = dst[e] if direction == 0 else src[e]
            if not used[a]:
                used[a] = True
                touched[n_touched] = a
                n_touched += 1
            c = context[i]
            row = c if c >= 0 else general
            w = direction_weight(prm, c, north[a], north[s])
            bridged = 1.0 if facilitated[i] else 0.0
            open_a = min(openness[a] * motive[row], 1.0) if north[a] else openness[a]
            closeness = (1.0 - distance[e] * near[row] * (1.0 - prm.bridge * bridged)) * w * open_a
            ch = EXCHANGE if i < n_events else tie_channel[e]
            side = group[a]
            # colleague matching (R3): at a peer exchange, counterparts of the same field learn more in it
            matched = field[a] if (i < n_events and not prm.donor and field[a] >= 0 and field[a] == field[s]) else -1
            rate = prm.explicit_rate * trust[e] * closeness
            learn_layer(explicit, a, s, rate, agenda, row, matched, inc_e, best_e, book, r, side, ch, prm)
            if f2f[i]:  # tacit knowledge moves face to face only
                rate = prm.tacit_rate * power(trust[e], prm.tacit_exponent) * closeness
                learn_layer(tacit, a, s, rate, agenda, row, matched, inc_t, best_t, book, r, side, ch, prm)
    for j in range(n_touched):  # the month's learning, capped by the best source; work arrays cleaned
        a = touched[j]
        side = group[a]
        for d in range(D):
            cut_e = cut_t = 0.0  # what the month's limits cut from the increments booked above
            if inc_e[a, d] != 0.0:  # (no increment leaves the level as it is: skip the arithmetic)
                e_now = explicit[a, d]
                explicit[a, d] = min(e_now + absorbed(inc_e[a, d], prm), max(best_e[a, d], e_now))
                cut_e = explicit[a, d] - e_now - inc_e[a, d]
            if inc_t[a, d] != 0.0:
                t_now = tacit[a, d]
                tacit[a, d] = min(t_now + absorbed(inc_t[a, d], prm), max(best_t[a, d], t_now))
                cut_t = tacit[a, d] - t_now - inc_t[a, d]
            if side < 2:
                book[r, side, d, CAPPED] += 0.5 * (cut_e + cut_t)
            inc_e[a, d] = 0.0
            inc_t[a, d] = 0.0
            best_e[a, d] = -1.0
            best_t[a, d] = -1.0


# ---------------------------------------------------------------- SKIN: forgetting
@rule
def forget_unused(kn, forgets, used, group, a0, a1, prm, book, r) -> None:
    """Individual knowledge gains of rows ``a0:a1`` fade without use; ``used`` is cleared.

    SKIN (Gilbert, Pyka and Ahrweiler): expertise grows with use and is forgotten without it, which is
    why piecemeal engagement fades (R5). An actor who received no knowledge this month (``used`` False)
    loses a share ``knowledge.forget_rate`` of what it knows beyond its starting level; national bodies
    are institutions and do not forget (``forgets`` False). A row still at its starting values has
    nothing to lose. What a side's actor loses is booked as ``forgetting`` (``book``, replication ``r``).
    """
    explicit, tacit, explicit0, tacit0 = kn
    D = explicit.shape[1]
    for a in indices(a0, a1):
        at_start = True
        for d in range(D):
            if explicit[a, d] != explicit0[a, d] or tacit[a, d] != tacit0[a, d]:
                at_start = False
                break
        keep = 1.0 if (used[a] or not forgets[a]) else 1.0 - prm.forget_rate
        used[a] = False
        if at_start:
            continue
        side = group[a]
        booked = 0.5 if (side < 2 and keep != 1.0) else 0.0  # only a loss is booked
        for d in range(D):
            e_now, t_now = explicit[a, d], tacit[a, d]
            explicit[a, d] = explicit0[a, d] + (e_now - explicit0[a, d]) * keep
            tacit[a, d] = tacit0[a, d] + (t_now - tacit0[a, d]) * keep
            if booked > 0.0:
                book[r, side, d, FORGETTING] += booked * ((explicit[a, d] - e_now) + (tacit[a, d] - t_now))


# ---------------------------------------------------------------- Rule 4: trust
@rule
def update_trust(ties, contacts, n, e0, e1, month, prm, work, closeness) -> None:
    """Trust on ties ``e0:e1`` after the month's contacts ``0:n``: growth per contact, decay without.

    Rule 4 (Cowan, Jonard and Zimmermann 2007; R5 building trust takes time). Each of a tie's ``k``
    contacts this month closes a share ``g = growth * (1 - distance) * (1 + bridge_boost * bridged)``
    of the missing trust (slower across more distance, the distance lowered by ``migrants.bridge``
    where a migrant bridged, and faster with that bridge: the structural credit of a third party), so
    ``1 - (1 - trust) * (1 - g) ** k``; contacts are counted per tie, so a second contact is not lost. On a
    partnership's ties the distance is what familiarity leaves of it (``closeness``, per partnership,
    the last entry for contacts outside any: :func:`plan_exchanges`, R5).
    A tie without contact loses a share ``trust.decay`` a month: trust decays with the time since the
    last contact. A tie that never had a contact (the ends have not met yet) keeps its initial trust.
    """
    trust, last_contact, distance = ties.trust, ties.last_contact, ties.distance
    tie_of, _f2f, facilitated, context = contacts
    count, bridged = work
    general = closeness.shape[0] - 1
    for i in range(n):
        e = tie_of[i]
        count[e] += 1
        if facilitated[i]:
            bridged[e] = True
    for e in indices(e0, e1):
        keep = 1.0 if (count[e] > 0 or last_contact[e] <= prm.never) else 1.0 - prm.decay
        trust[e] = min(max(trust[e] * keep, 0.0), 1.0)
    for i in range(n):
        e = tie_of[i]
        k = count[e]
        if k > 0:  # the tie's first contact in the list: apply its k contacts, once
            b = 1.0 if bridged[e] else 0.0
            near = closeness[context[i] if context[i] >= 0 else general]
            g = prm.growth * (1.0 - distance[e] * near * (1.0 - prm.bridge * b)) * (1.0 + prm.bridge_boost * b)
            g = min(max(g, 0.0), 1.0)
            v = 1.0 - (1.0 - trust[e]) * ((1.0 - g) if k == 1 else (1.0 - g) ** float(k))
            trust[e] = min(max(v, 0.0), 1.0)
            last_contact[e] = month
            count[e] = 0
            bridged[e] = False


# ---------------------------------------------------------------- Rule 5: internal dissemination
@rule
def staff_turnover(u, leave, rep, prm) -> bool:
    """Which staff of the replication leave this month (``leave``); returns whether anyone does.

    Rule 5 (March 1991 turnover; R2 embedding knowledge in the organisation). Each staff member leaves
    with probability ``dissemination.turnover_rate`` (``u``: one uniform per staff row). The leaver's
    knowledge goes with them; the newcomer starts from the starting profile plus a share of the
    institutional memory (:func:`disseminate_internally`), and the leaver's ties restart
    (:func:`restart_ties`).
    """
    anyone = False
    for a in indices(rep.staff0, rep.staff1):
        leave[a] = u[a] < prm.turnover_rate
        anyone = anyone or leave[a]
    return anyone


@rule
def codified_by_institutions(institution_tie, last_contact, m0, m1, month, prm, codified) -> None:
    """Which municipalities ``m0:m1`` a knowledge institution helps codify this month (R2: knowledge
    institutions institutionalise what municipalities learn): those whose staff had a contact on
    their tie to the country's knowledge institution within ``dissemination.active_window`` months
    (only the multilevel network has such ties). Writes ``codified``."""
    for m in range(m0, m1):
        e = institution_tie[m]
        codified[m] = e >= 0 and last_contact[e] > month - prm.active_window


@rule
def disseminate_internally(kn, memory, memory0, sharers, leave, group, codified, m0, m1, prm, work, book,
                           r) -> None:
    """Knowledge spreading within municipalities ``m0:m1`` and into their institutional memory.

    Rule 5 (R2 internal dissemination; March 1991). On gains over the starting level, municipality by
    municipality (staff rows ``m * S:(m + 1) * S``), in order:

    1. the sharers (staff who took part in exchanges, or hold the municipality's multilevel ties:
       boundary spanners) share with colleagues: each other colleague closes
       ``dissemination.internal_rate`` of the gap to the sharers' mean (explicit and, face to face at
       work, tacit);
    2. code learning: institutional memory takes up ``dissemination.institutionalisation_rate`` (times
       ``1 + dissemination.institution_codify`` where a knowledge institution codifies, ``codified``) of what
       staff know beyond it (mean over staff), up to 1;
    3. socialisation: staff close ``internal_rate`` of the gap to the memory; a newcomer replacing a
       leaver (``leave``) starts from the starting profile plus ``dissemination.socialisation`` of the
       memory's gain (times ``1 + institution_codify`` where codified, at most all of it: codified
       knowledge outlives turnover), without tacit gains.

    The changes of a side's staff are booked (``book``, replication ``r``) as ``internal``, a
    newcomer's (what the leaver took, what the newcomer brings from memory) as ``turnover``.
    """
    ex, tc, ex0, tc0 = kn
    g, tg, mean_g, mean_tg, above, mem = work
    S, D = g.shape
    rate = prm.internal_rate
    for m in range(m0, m1):
        base = m * S
        lift = 1.0 + prm.institution_codify if codified[m] else 1.0
        n_sharers = 0
        for s in range(S):
            if sharers[base + s]:
                n_sharers += 1
        for d in range(D):
            mean_g[d] = 0.0
            mean_tg[d] = 0.0
            above[d] = 0.0
            mem[d] = memory[m, d] - memory0[m, d]
        for s in range(S):  # the staff's gains and the sharers' sums
            f = 1.0 if sharers[base + s] else 0.0
            for d in range(D):
                g[s, d] = ex[base + s, d] - ex0[base + s, d]
                mean_g[d] += g[s, d] * f
            for d in range(D):
                tg[s, d] = tc[base + s, d] - tc0[base + s, d]
                mean_tg[d] += tg[s, d] * f
        for d in range(D):
            mean_g[d] = mean_g[d] / max(n_sharers, 1)
            mean_tg[d] = mean_tg[d] / max(n_sharers, 1)
        for s in range(S):  # 1. colleagues close part of the gap to the sharers' mean
            if n_sharers > 0 and not sharers[base + s]:
                for d in range(D):
                    g[s, d] += rate * max(0.0, mean_g[d] - g[s, d])
                for d in range(D):
                    tg[s, d] += rate * max(0.0, mean_tg[d] - tg[s, d])
            for d in range(D):
                above[d] += max(0.0, g[s, d] - mem[d])
        for d in range(D):  # 2. code learning into institutional memory, which stays <= 1
            mem[d] = min(mem[d] + prm.institutionalisation_rate * lift * (above[d] / S), 1.0 - memory0[m, d])
            memory[m, d] = memory0[m, d] + mem[d]
        for d in range(D):  # from here on the sharers' means hold the month's booked changes
            mean_g[d] = 0.0  # internal: the staff who stay
            mean_tg[d] = 0.0  # turnover: what leavers take, what newcomers bring
        for s in range(S):  # 3. socialisation towards memory; newcomers replace leavers
            a = base + s
            if leave[a]:
                for d in range(D):
                    e_now, t_now = ex[a, d], tc[a, d]
                    ex[a, d] = min(ex0[a, d] + min(prm.socialisation * lift, 1.0) * mem[d], 1.0)
                    tc[a, d] = min(tc0[a, d] + 0.0, 1.0)
                    mean_tg[d] += (ex[a, d] - e_now) + (tc[a, d] - t_now)
            else:
                for d in range(D):
                    e_now = ex[a, d]
                    ex[a, d] = min(ex0[a, d] + (g[s, d] + rate * max(0.0, mem[d] - g[s, d])), 1.0)
                    mean_g[d] += ex[a, d] - e_now
                for d in range(D):
                    t_now = tc[a, d]
                    tc[a, d] = min(tc0[a, d] + tg[s, d], 1.0)
                    mean_g[d] += tc[a, d] - t_now
        side = group[base]  # a municipality's staff are all on its side (or on none)
        if side < 2:
            for d in range(D):
                book[r, side, d, INTERNAL] += 0.5 * mean_g[d]
                book[r, side, d, TURNOVER] += 0.5 * mean_tg[d]


@rule
def restart_ties(participated, tie_index, tie_list, ties, leave, rep, prm) -> None:
    """A leaver's ties restart: the newcomer has not met anyone yet (Rule 5, turnover), so each tie goes
    back to its initial trust (``trust.initial`` between strangers on partnership and transnational
    ties, ``trust.initial_local`` on local and multilevel ties) and to no contact yet. The leaver no
    longer counts as having participated; ``leave`` is cleared."""
    kind, trust, last_contact = ties.kind, ties.trust, ties.last_contact
    for a in range(rep.staff0, rep.staff1):
        if leave[a]:
            participated[a] = False
            for q in range(tie_index[a], tie_index[a + 1]):
                e = tie_list[q]
                strangers = kind[e] == 0 or kind[e] == 2
                trust[e] = prm.trust_initial if strangers else prm.trust_initial_local
                last_contact[e] = prm.never
            leave[a] = False


# ---------------------------------------------------------------- Rule 7: CSO initiatives
@inline_rule
def local_support(prm, month) -> float:
    """The local governments' support level for CSOs this month: ``cso.support``, times
    ``shocks.support_cut_factor`` from ``shocks.support_cut_month`` on (R4: budget cuts)."""
    cut = prm.support_cut_factor if 0 <= prm.support_cut_month <= month else 1.0
    return prm.support * cut


@inline_rule
def initiative_start_probability(migrants_involved, recently_linked, prm) -> float:
    """Monthly probability that an idle CSO starts an initiative (Rule 7, R4, R7): ``cso.start_rate``,
    raised by ``cso.migrant_boost`` for a migrant organisation whose city's partnership has involved
    migrants (R7: migrants as initiators), and by ``cso.transnational_boost`` for a CSO with a recent
    contact (within ``dissemination.active_window`` months) on one of its transnational ties in use."""
    m = 1.0 if migrants_involved else 0.0
    linked = 1.0 if recently_linked else 0.0
    p = prm.start_rate * (1 + prm.migrant_boost * m) * (1 + prm.transnational_boost * linked)
    return min(max(p, 0.0), 1.0)


@rule
def update_initiatives(inits, migrant_org, ties, enabled, has_migrants, draws, tally, rep, month, support, prm,
                       n_stalled) -> int:
    """The replication's CSO initiatives this month: they lose momentum, are supported, stall or start.

    Rule 7 (R4). An active initiative loses ``cso.volunteer_decay`` momentum a month as volunteer hours
    and personal funds dwindle, more as it ages beyond what the CSO's volunteers can give
    (``volunteer_decay * (1 + age / cso.capacity_months)``; capacity 0: no ageing), plus the month's
    fluctuation (``draws.noise``), and regains
    ``cso.support_gain`` times the support it gets: the local governments' support level
    (:func:`local_support`) times the trust on the CSO's tie to its municipality (legitimacy, approvals,
    status); momentum is at most 1. At the age ``cso.approval_month`` it needs the local government's
    formal approval, granted with probability ``approval_base + (1 - approval_base) * support received``
    (the CSO's uniform of ``draws.csos``, which an active CSO does not use otherwise); refused, it
    stalls. Below ``cso.stall_threshold`` it stalls and the CSO waits
    ``cso.cooldown`` months. An idle CSO past its cooldown starts a new initiative (momentum 1) with
    :func:`initiative_start_probability` (one uniform of ``draws.csos``). Counts starts and stalls in
    ``tally`` and logs each stall (CSO row, start, month) from row ``n_stalled``; returns the new count.
    """
    trust, last_contact = ties.trust, ties.last_contact
    momentum, start, cooldown_until, city, local_tie, tn_index, tn_ties = inits
    started, stalled, _events, log = tally
    noise, u = draws.noise, draws.csos
    r = rep.r
    for i in range(rep.cso0 - rep.first_cso, rep.cso1 - rep.first_cso):
        row = rep.first_cso + i
        tie = local_tie[i]
        gets = support * (trust[tie] if tie >= 0 else 0.0)
        linked = False
        for q in range(tn_index[i], tn_index[i + 1]):
            e = tn_ties[q]
            if enabled[e] and last_contact[e] > month - prm.active_window:
                linked = True
                break
        prob = initiative_start_probability(migrant_org[row] and has_migrants[city[i]], linked, prm)
        began = start[i]
        m = momentum[i]
        if began >= 0:
            age = month - began
            decay = prm.volunteer_decay * (1.0 + age / prm.capacity_months) if prm.capacity_months > 0 \
                else prm.volunteer_decay
            m = min(1.0, m - decay + prm.support_gain * gets + noise[i])
            refused = (prm.approval_month > 0 and age == prm.approval_month
                       and u[i] >= prm.approval_base + (1.0 - prm.approval_base) * min(gets, 1.0))
            if m < prm.stall_threshold or refused:
                start[i] = -1
                cooldown_until[i] = month + prm.cooldown
                momentum[i] = 0.0
                stalled[r] += 1.0
                log[n_stalled, 0] = row
                log[n_stalled, 1] = began
                log[n_stalled, 2] = month
                n_stalled += 1
                continue
        momentum[i] = m
        if began < 0 and month >= cooldown_until[i] and u[i] < prob:
            start[i] = month
            momentum[i] = 1.0
            started[r] += 1.0
    return n_stalled


# ---------------------------------------------------------------- Rule 8: policy adoption
@rule
def adopt_policies(orgs, m0, m1, month, prm) -> None:
    """Practices adopted this month by municipalities ``m0:m1``.

    Rule 8 (LOGO South: policy transfer and mobility). A municipality adopts a new practice in a domain
    when the knowledge its organisation has embedded there (institutional memory) first exceeds its
    starting level by ``dissemination.adoption_threshold``; each domain is adopted at most once.
    Measuring the gain, not the level, makes a new practice mean new knowledge on either side,
    whatever a municipality knew at the start.
    """
    memory, memory0, adopted, adoption_month = orgs.memory, orgs.memory0, orgs.adopted, orgs.adoption_month
    for m in range(m0, m1):
        for d in range(memory.shape[1]):
            if not adopted[m, d] and memory[m, d] - memory0[m, d] >= prm.adoption_threshold:
                adopted[m, d] = True
                adoption_month[m, d] = month


# ---------------------------------------------------------------- LOGO South: country programmes
@rule
def country_programmes(pt, rep, month, prm, on) -> None:
    """Which of the replication's southern countries run a country programme this month (LOGO South:
    critical mass). A country's programme runs while at least ``country_programme.min_partnerships``
    partnerships with it had an exchange within ``dissemination.active_window`` months (0: never); while
    it runs, its ties carry contacts (:func:`routine_contacts`): the country's partnered municipalities
    exchange among themselves and with their national association, and practices travel to its
    unpartnered municipalities. A twin without partnership activity has no exchanges, so no programme.
    Writes ``on`` (3,), indexed by country."""
    for c in range(on.shape[0]):  # a few partnerships per country: counted country by country, no allocation
        count = 0
        for p in range(rep.p0, rep.p1):
            if pt.country[p] == c and pt.last_exchange[p] > 0 and month - pt.last_exchange[p] < prm.active_window:
                count += 1
        on[c] = prm.min_partnerships > 0 and count >= prm.min_partnerships


# ---------------------------------------------------------------- R5, R7: familiarity and support
@rule
def update_familiarity(pt, n_events, p0, p1, prm) -> None:
    """Familiarity of partnerships ``p0:p1`` after the month's exchange events (R5: getting to know each
    other, knowledge of the other context; Nooteboom's cognitive distance). Each of ``k`` events closes
    a share ``partnership.familiarity_growth`` of the missing familiarity, ``1 - (1 - f) * (1 - g) ** k``;
    a month without an event loses a share ``partnership.familiarity_decay``. Familiarity lowers the
    distance on the partnership's contacts (:func:`plan_exchanges`) and lets a learning strategy focus
    (:func:`exchange_agenda`)."""
    f = pt.familiarity
    for p in range(p0, p1):
        k = n_events[p]
        if k > 0:
            f[p] = 1.0 - (1.0 - f[p]) * (1.0 - prm.familiarity_growth) ** float(k)
        else:
            f[p] = f[p] * (1.0 - prm.familiarity_decay)


@rule
def update_support(pt, involved_migrants, rep, prm) -> None:
    """Local public and political support for each of the replication's partnerships (R7: "strengthen
    support for these partnerships locally"). Outreach that involves the partnership's migrants, and
    through them a wider public, builds it: a month closes ``support_growth * involved share`` of the
    missing support, and support fades by ``support_decay``. Support raises own-means exchanges
    (:func:`exchange_intensity`), lengthens the dormancy a partnership survives (:func:`sustain_partnerships`)
    and shields it in a termination shock (:func:`terminate_partnerships`)."""
    Mc = (rep.mig1 - rep.mig0) // max(rep.p1 - rep.p0, 1)
    support = pt.support
    for p in range(rep.p0, rep.p1):
        share = involved_migrants[p] / Mc if Mc > 0 else 0.0
        v = support[p] + prm.support_growth * share * (1.0 - support[p]) - prm.support_decay * support[p]
        support[p] = min(max(v, 0.0), 1.0)


# ---------------------------------------------------------------- Rule 9: life after the programme
@rule
def sustain_partnerships(pt, p0, p1, month, prm) -> bool:
    """Partnerships ``p0:p1`` live on while they had an exchange within ``municipality.dormancy_months``,
    lengthened by local support: ``dormancy_months * (1 + support_dormancy * support)`` (R7).

    Rule 9 (R5, R6, R7; the field's pattern of activity that declines after 2008). A partnership whose
    exchanges stopped for that long ends; it does not revive. Own-means activity
    (:func:`exchange_intensity`) is what keeps it alive once programme money is gone, and support at
    home lets it wait out a lean spell (a funding cut). Returns whether one ended."""
    alive, last_exchange, support = pt.alive, pt.last_exchange, pt.support
    ended = False
    for p in range(p0, p1):
        if alive[p] and month - last_exchange[p] > prm.dormancy_months * (1.0 + prm.support_dormancy * support[p]):
            alive[p] = False
            ended = True
    return ended


# ---------------------------------------------------------------- shocks (Python: a one-off draw with choice)
def terminate_partnerships(alive: np.ndarray, south_country: np.ndarray, key_rngs: list, share: float,
                           country: str, support: np.ndarray | None = None, shield: float = 0.0) -> None:
    """Partnerships ended by a diplomatic shock (e.g. Istanbul-Rotterdam, Denizli-Almelo, March 2017).

    A share ``shocks.terminated_share`` of the partnerships with the targeted country
    (``shocks.terminated_country``: any, morocco or turkey) is targeted, chosen at random from each
    replication's second generator; a targeted partnership survives with probability
    ``shield * support`` (``partnership.support_shield``, R7: support at home protects it in a political
    crisis; one more uniform from the same generator per targeted partnership, only when ``shield`` > 0).
    ``alive`` and ``support`` (R * P), ``south_country`` (P,) of one replication."""
    P = len(south_country)
    target = {"any": np.arange(P), "morocco": np.flatnonzero(south_country == 1),
              "turkey": np.flatnonzero(south_country == 2)}[country]
    n = int(round(share * len(target)))
    if n:
        for r, g in enumerate(key_rngs):
            hit = r * P + g.choice(target, size=n, replace=False)
            if shield > 0 and support is not None:
                hit = hit[g.random(n) >= shield * support[hit]]
            alive[hit] = False
