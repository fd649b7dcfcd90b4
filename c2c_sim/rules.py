"""The rules of the model: one named, pure, vectorised function per rule.

Each function takes arrays (and random draws where it needs chance), returns new arrays,
and says in its docstring which recommendation (R1-R7, ``shared/seeds``) or
mechanism from the literature it encodes. ``Engine.step`` (:mod:`c2c_sim.engine`) calls them in a
fixed order. Updates within a month are synchronous:
every transfer of a month reads the knowledge and trust the month started with.

Rule index (the numbering of the model's issue and of ``docs/odd.md``):

1. Exchange activity ......... :func:`programme_budget`, :func:`exchange_intensity`,
                                :func:`exchange_agenda`, :func:`plan_exchanges`
2. Knowledge transfer ........ :func:`transfer_knowledge`
3. Coherence and equality .... :func:`exchange_agenda` (coherence), :func:`direction_weights` (peer/donor)
4. Trust ..................... :func:`update_trust`
5. Internal dissemination .... :func:`disseminate_internally`, :func:`staff_turnover`
6. External dissemination .... :func:`routine_contacts`
7. CSO initiatives ........... :func:`update_initiatives`
8. Policy adoption ........... :func:`adopt_policies`
9. Life after the programme .. :func:`exchange_intensity` (own means), :func:`sustain_partnerships`
   plus :func:`forget_unused` (SKIN) and :func:`migrant_outreach` (R7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ProgrammeConfig, ShockConfig


@dataclass
class Interactions:
    """The undirected interactions of one month: one row per contact on a tie.

    ``tie`` may repeat (two exchange events on the same tie are two rows).
    ``context`` is the partnership whose agenda the contact follows, or -1 for
    a general (uniform) agenda.
    """

    tie: np.ndarray  # (I,) int
    f2f: np.ndarray  # (I,) bool: face to face (tacit knowledge can move)
    facilitated: np.ndarray  # (I,) bool: a migrant facilitator bridged the exchange
    context: np.ndarray  # (I,) int

    @staticmethod
    def concat(*parts: Interactions) -> Interactions:
        return Interactions(*(np.concatenate([getattr(p, f) for p in parts])
                              for f in ("tie", "f2f", "facilitated", "context")))

    def __len__(self) -> int:
        return len(self.tie)


# ---------------------------------------------------------------- Rule 1: exchange activity
def programme_budget(prog: ProgrammeConfig, shocks: ShockConfig, month: int) -> float:
    """Programme money (k EUR) available to each partnership in ``month``.

    Rule 1. Months are counted from 1 (the first step). The support programme
    pays ``budget_per_year / 12`` in each of the ``duration`` months after
    month ``start`` (months ``start + 1`` to ``start + duration``); with
    ``pattern="bursts"`` it pays only in the first ``burst_on`` months of every
    ``burst_on + burst_off`` (piecemeal action, R5). A funding cut
    (``shocks.funding_cut_month``, e.g. the 2011 parliamentary amendment that
    cut LOGO South to zero) stops it from that month on.
    """
    if prog.budget_per_year <= 0 or not (prog.start < month <= prog.start + prog.duration):
        return 0.0
    if 0 <= shocks.funding_cut_month <= month:
        return 0.0
    if prog.pattern == "bursts" and (month - prog.start - 1) % (prog.burst_on + prog.burst_off) >= prog.burst_on:
        return 0.0
    return prog.budget_per_year / 12.0


def exchange_intensity(budget: float, cost_per_visit: float, proactivity_pair: np.ndarray,
                       trust_pair: np.ndarray, involved_share: np.ndarray, *, own_activity_rate: float,
                       initiator_boost: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected exchange events per partnership this month: (paid by the programme, from own means).

    Rule 1 and Rule 9. The programme pays ``budget / cost_per_visit`` visits.
    Municipalities add activity from their own means in proportion to their
    proactivity (R6: actors, not re-actors) and to the trust built on the
    partnership (R5), and migrants act as initiators (R7) in proportion to the
    share of the partnership's migrants involved. After the programme ends only
    this second term remains: ties live on where trust and proactivity carry them.
    The engine treats own-funded exchanges as fully coherent (``coherence`` 1 in
    :func:`exchange_agenda`): a municipality paying its own way pursues its own
    objectives.
    """
    n = len(proactivity_pair)
    paid = np.full(n, budget / cost_per_visit)
    own = own_activity_rate * trust_pair * (proactivity_pair + initiator_boost * involved_share)
    return paid, own


def exchange_agenda(obj_north: np.ndarray, obj_south: np.ndarray, coherence: np.ndarray, *,
                    learning_strategy: bool, strategy_focus: float) -> np.ndarray:
    """Per-partnership multipliers over domains (mean 1) saying what exchanges are about.

    Rule 1 and Rule 3 (R1 policy coherence). The content mixes the South's
    objectives with both sides' objectives by ``coherence`` (0: a programme
    focused on strengthening governance in the South, as the Dutch Ministry of
    Foreign Affairs' programmes were; 1: the Dutch side's domestic objectives,
    such as dealing with diversity, count as much). With a learning strategy
    (clear objectives, R5) the agenda concentrates on the most wanted domains
    (content to the power ``strategy_focus``); without one, half of the
    attention is spread evenly, so exchanges fall short of their potential.

    Returns an array (P, D) whose rows average 1.
    """
    c = np.asarray(coherence, dtype=np.float64)[:, None]
    content = (1.0 - c) * obj_south + c * 0.5 * (obj_south + obj_north)
    if learning_strategy:
        agenda = content ** strategy_focus
    else:
        agenda = 0.5 * content / content.sum(axis=1, keepdims=True) + 0.5 / content.shape[1]
    total = agenda.sum(axis=1, keepdims=True)
    return agenda / np.where(total > 0, total, 1.0) * content.shape[1]


def plan_exchanges(n_events: np.ndarray, keys_north: np.ndarray, keys_south: np.ndarray,
                   facilitator_keys: np.ndarray | None, *, staff_per_muni: int, delegation_size: int,
                   p_north: np.ndarray, p_south: np.ndarray, event_ties: np.ndarray, event_ptr: np.ndarray,
                   tie_src: np.ndarray, tie_dst: np.ndarray, is_staff_tie: np.ndarray,
                   migrants_involved: np.ndarray | None,
                   ) -> tuple[Interactions, np.ndarray, np.ndarray]:
    """Who meets whom in this month's exchange events.

    Rule 1. Partnership ``p`` holds ``n_events[p]`` events (the engine draws
    them as Poisson with the rate of :func:`exchange_intensity`). For each event
    both municipalities choose ``delegation_size`` of their staff, who travels
    and who hosts: the staff with the smallest random keys (uniform choice).
    Two staff meet face to face if a partnership tie links them; CSO-CSO ties
    of the partnership meet at every event (multi-actor model). If
    ``facilitator_keys`` is given (migrant facilitation on) and the partnership
    has involved migrants, the involved migrant with the smallest key joins
    (R7: facilitator, bridging language and culture), which marks the event's
    interactions as facilitated: their distance falls by ``migrants.bridge``
    (in transfer and in trust growth) and trust grows ``trust.bridge_boost``
    times faster on top.

    ``keys_north``/``keys_south`` are (E, S) uniforms, ``facilitator_keys``
    (E, Mc); ``event_ties``/``event_ptr`` list each partnership's ties (CSR);
    ``migrants_involved`` is (P, Mc) or None.

    Returns (interactions, participating staff rows, facilitating migrants as
    (partnership, index) pairs).
    """
    P = len(n_events)
    S = staff_per_muni
    E = int(n_events.sum())
    empty = np.zeros(0, np.int64)
    if E == 0:
        return Interactions(empty, empty.astype(bool), empty.astype(bool), empty), empty, np.zeros((0, 2), np.int64)
    ev_p = np.repeat(np.arange(P), n_events)
    k = min(delegation_size, S)
    pos_n = keys_north.argsort(axis=1)[:, :k]
    pos_s = keys_south.argsort(axis=1)[:, :k]
    chosen_n = np.zeros((E, S), bool)
    chosen_s = np.zeros((E, S), bool)
    rows = np.arange(E)[:, None]
    chosen_n[rows, pos_n] = True
    chosen_s[rows, pos_s] = True
    participants = np.concatenate([(p_north[ev_p][:, None] * S + pos_n).ravel(),
                                   (p_south[ev_p][:, None] * S + pos_s).ravel()])

    fac = np.zeros(E, bool)
    fac_pairs = np.zeros((0, 2), np.int64)
    if facilitator_keys is not None and migrants_involved is not None and migrants_involved.shape[1]:
        keys = np.where(migrants_involved[ev_p], facilitator_keys, 2.0)
        j = keys.argmin(axis=1)
        fac = keys[np.arange(E), j] < 1.0
        fac_pairs = np.stack([ev_p[fac], j[fac]], axis=1)

    counts = event_ptr[ev_p + 1] - event_ptr[ev_p]
    ev_rep = np.repeat(np.arange(E), counts)
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    tie = event_ties[event_ptr[ev_p][ev_rep] + offs]
    met = ~is_staff_tie[tie] | (chosen_n[ev_rep, tie_src[tie] % S] & chosen_s[ev_rep, tie_dst[tie] % S])
    inter = Interactions(tie[met], np.ones(int(met.sum()), bool), fac[ev_rep[met]], ev_p[ev_rep[met]])
    return inter, participants, fac_pairs


# ---------------------------------------------------------------- Rule 6: external dissemination
def routine_contacts(u: np.ndarray, candidates: np.ndarray, contact_rate: np.ndarray, f2f: np.ndarray,
                     context: np.ndarray) -> Interactions:
    """Everyday contacts on ties outside exchange visits.

    Rule 6 (R2: external dissemination between organisations). Each enabled tie
    has a contact this month with its own probability: local ties (municipality
    with its CSOs and citizens), multilevel ties (municipality, higher
    government, knowledge institution: this is how higher government carries
    practices to municipalities outside any partnership, LOGO South's spillover
    and policy transfer), transnational ties of migrants and CSOs, and remote
    contact on partnership ties between visits. Contacts within a country are
    face to face; across countries they are remote (explicit knowledge only).
    ``candidates`` are the enabled ties (both ends engaged), ``u`` one uniform
    draw for each of them.
    """
    tie = candidates[u < contact_rate[candidates]]
    return Interactions(tie, f2f[tie], np.zeros(len(tie), bool), context[tie])


# ---------------------------------------------------------------- Rule 3: equality
def direction_weights(receiver_north: np.ndarray, source_north: np.ndarray, in_programme: np.ndarray,
                      mode: str) -> np.ndarray:
    """Weight of each directed transfer: 1, or 0 where a donor-recipient exchange blocks it.

    Rule 3 (R3 peer-to-peer learning). In ``peer`` mode knowledge may flow both
    ways. In ``donor`` mode everything that runs through the partnership
    (``in_programme``: exchange visits, remote contact on partnership ties,
    CSO-CSO exchanges) is one-way, North to South: the North side comes to
    teach, not to learn. Migrants' own transnational ties are not affected.
    """
    w = np.ones(len(receiver_north))
    if mode == "donor":
        w[in_programme & receiver_north & ~source_north] = 0.0
    return w


# ---------------------------------------------------------------- Rule 2: knowledge transfer
def transfer_knowledge(explicit: np.ndarray, tacit: np.ndarray, receiver: np.ndarray, source: np.ndarray,
                       trust: np.ndarray, distance: np.ndarray, f2f: np.ndarray, agenda: np.ndarray,
                       weight: np.ndarray, openness: np.ndarray, *, explicit_rate: float, tacit_rate: float,
                       absorptive_base: float, bounded_gap: float, tacit_exponent: float,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """New (explicit, tacit) knowledge after the month's directed transfers.

    Rule 2. Per directed interaction, receiver ``r`` learns from source ``s`` in
    each domain a share of the gap ``max(0, K_s - K_r)`` (nothing flows from one
    who knows less; no transfer across a gap beyond ``bounded_gap``, Deffuant et
    al. 2000). The share grows with the receiver's absorptive capacity
    ``base + (1 - base) * K_r`` (Cohen and Levinthal 1990), openness to learn (R1,
    R3), trust on the tie, the exchange's agenda weight for the domain, and
    shrinks with cultural/language distance (R5; lowered by a migrant
    facilitator, R7). Tacit knowledge moves only face to face and needs more
    trust (trust to the power ``tacit_exponent``). Transfers are synchronous and
    no one ends above the best of their month's sources.

    Arrays: knowledge (A, D); per directed interaction (I,): receiver, source,
    trust, effective distance, f2f, weight; ``agenda`` (I, D).
    """
    A, D = explicit.shape
    new_e, new_t = explicit.copy(), tacit.copy()
    if len(receiver) == 0:
        return new_e, new_t
    closeness = (1.0 - distance) * weight * openness[receiver]
    idx = (receiver[:, None] * D + np.arange(D)).ravel()
    for level, new, rate, tr, mask in (
            (explicit, new_e, explicit_rate, trust, None),
            (tacit, new_t, tacit_rate, trust ** tacit_exponent, f2f)):
        r, s, f, ag = receiver, source, rate * tr * closeness, agenda
        if mask is not None:
            r, s, f, ag = r[mask], s[mask], f[mask], ag[mask]
            if len(r) == 0:
                continue
        kr, ks = level[r], level[s]
        gap = ks - kr
        gap[(gap < 0) | (gap > bounded_gap)] = 0.0
        absorb = absorptive_base + (1.0 - absorptive_base) * kr
        share = np.minimum(f[:, None] * absorb * ag, 1.0)
        i = idx if mask is None else (r[:, None] * D + np.arange(D)).ravel()
        inc = np.bincount(i, weights=(share * gap).ravel(), minlength=A * D).reshape(A, D)
        best = level.ravel().copy()
        np.maximum.at(best, i, np.where(gap > 0, ks, kr).ravel())
        np.minimum(level + inc, best.reshape(A, D), out=new)
    return new_e, new_t


# ---------------------------------------------------------------- Rule 4: trust
def update_trust(trust: np.ndarray, contacts: np.ndarray, bridged: np.ndarray, distance: np.ndarray, *,
                 growth: float, decay: float, bridge_boost: float,
                 ever_contacted: np.ndarray | None = None) -> np.ndarray:
    """Trust after a month: growth per contact, decay without contact.

    Rule 4 (Cowan, Jonard and Zimmermann 2007; R5 building trust takes time).
    Each of the ``contacts[e]`` interactions on tie ``e`` closes a share
    ``g = growth * (1 - distance) * (1 + bridge_boost * bridged)`` of the missing
    trust (slower across more distance, faster with a migrant bridging: the
    structural credit of a third party), so ``n`` contacts give
    ``1 - (1 - trust) * (1 - g) ** n`` — counting contacts per tie, never
    assigning by fancy index, so a second contact on a tie is not lost. Ties
    without contact lose a share ``decay`` a month: trust decays with the time
    since the last contact. A tie that never had a contact (``ever_contacted``
    False: the ends have not met yet) keeps its initial trust.
    ``distance`` is the tie's distance, already lowered where a migrant bridged.
    """
    g = np.clip(growth * (1.0 - distance) * (1.0 + bridge_boost * bridged), 0.0, 1.0)
    grown = 1.0 - (1.0 - trust) * (1.0 - g) ** contacts
    decayed = trust * (1.0 - decay) if ever_contacted is None else np.where(ever_contacted, trust * (1.0 - decay), trust)
    return np.clip(np.where(contacts > 0, grown, decayed), 0.0, 1.0)


# ---------------------------------------------------------------- SKIN: forgetting
def forget_unused(level: np.ndarray, baseline: np.ndarray, used: np.ndarray, forget_rate: float) -> np.ndarray:
    """Individual knowledge gains fade without use.

    SKIN (Gilbert, Pyka and Ahrweiler): expertise grows with use and is
    forgotten without it, which is why piecemeal engagement fades (R5). Actors
    with no interaction this month (``used`` False) lose a share
    ``forget_rate`` of what they know beyond their starting level.
    """
    keep = np.where(used, 1.0, 1.0 - forget_rate)[:, None]
    return baseline + (level - baseline) * keep


# ---------------------------------------------------------------- Rule 5: internal dissemination
def disseminate_internally(gain: np.ndarray, tacit_gain: np.ndarray, participated: np.ndarray,
                           memory_gain: np.ndarray, *, internal_rate: float, institutionalisation_rate: float,
                           memory_cap: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knowledge spreading within each municipality and into its institutional memory.

    Rule 5 (R2 internal dissemination; March 1991). Works on gains over the
    starting level, per municipality: ``gain`` and ``tacit_gain`` are (M, S, D)
    for its S staff, ``memory_gain`` (M, D). In order:

    1. staff who took part in exchanges, or who hold the municipality's
       multilevel ties (boundary spanners), share with colleagues: each other
       colleague closes ``internal_rate`` of the gap to the sharers' mean
       (explicit and, face to face at work, tacit); ``participated`` marks the
       sharers;
    2. code learning: institutional memory takes up ``institutionalisation_rate``
       of what staff know beyond it (mean over staff), up to ``memory_cap``
       (the room left below 1, so memory stays a level in [0, 1]);
    3. socialisation: staff close ``internal_rate`` of the gap to the memory.

    Returns new (gain, tacit_gain, memory_gain).
    """
    part = participated[..., None]
    n_part = participated.sum(axis=1)[:, None, None]
    has = n_part > 0
    shared_gain, shared_tacit = gain.copy(), tacit_gain.copy()
    for arr in (shared_gain, shared_tacit):
        mean_part = (arr * part).sum(axis=1, keepdims=True) / np.maximum(n_part, 1)
        arr += np.where(has & ~part, internal_rate * np.maximum(0.0, mean_part - arr), 0.0)
    memory = memory_gain + institutionalisation_rate * np.maximum(0.0, shared_gain - memory_gain[:, None, :]).mean(axis=1)
    if memory_cap is not None:
        memory = np.minimum(memory, memory_cap)
    shared_gain += internal_rate * np.maximum(0.0, memory[:, None, :] - shared_gain)
    return shared_gain, shared_tacit, memory


def staff_turnover(u: np.ndarray, rate: float) -> np.ndarray:
    """Which staff leave this month (bool mask).

    Rule 5 (March 1991 turnover; R2 embedding knowledge in the organisation).
    A leaver's knowledge goes with them; the newcomer starts from the starting
    profile plus a share of the institutional memory (see ``Engine.disseminate``), and the
    leaver's personal ties restart at their initial trust. ``u``: one uniform per staff member.
    """
    return u < rate


# ---------------------------------------------------------------- Rule 7: CSO initiatives
def update_initiatives(momentum: np.ndarray, start: np.ndarray, cooldown_until: np.ndarray,
                       start_prob: np.ndarray, support: np.ndarray, noise: np.ndarray, u_start: np.ndarray,
                       month: int, *, volunteer_decay: float, support_gain: float,
                       stall_threshold: float, cooldown: int,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSO initiatives start, lose momentum, are supported, and stall.

    Rule 7 (R4). An active initiative loses ``volunteer_decay`` momentum a month
    as volunteer hours and personal funds dwindle (with noise), and regains
    ``support_gain * support``, where ``support`` is the local government's
    support level times the trust on the CSO's tie to it (legitimacy, approvals,
    status). Below ``stall_threshold`` it stalls, and the CSO waits ``cooldown``
    months. An idle CSO starts a new initiative with probability ``start_prob``
    (higher with involved migrants and transnational ties, computed by the
    model). Arrays are per CSO; ``noise`` is the month's fluctuation of
    volunteer input (normal, sd ``cso.momentum_noise``), ``u_start`` uniforms.

    Returns (momentum, start, cooldown_until, stalled mask, started mask).
    """
    active = start >= 0
    m = momentum.copy()
    m = np.where(active, np.minimum(1.0, m - volunteer_decay + support_gain * support + noise), m)
    stalled = active & (m < stall_threshold)
    new_start = np.where(stalled, -1, start)
    cool = np.where(stalled, month + cooldown, cooldown_until)
    m = np.where(stalled, 0.0, m)
    idle = (new_start < 0) & ~stalled & (month >= cool)
    started = idle & (u_start < start_prob)
    new_start = np.where(started, month, new_start)
    m = np.where(started, 1.0, m)
    return m, new_start, cool, stalled, started


# ---------------------------------------------------------------- Rule 8: policy adoption
def adopt_policies(memory_gain: np.ndarray, adopted: np.ndarray, threshold: float) -> np.ndarray:
    """Practices adopted this month: (M, D) mask of new adoptions.

    Rule 8 (LOGO South: policy transfer and mobility). A municipality adopts a
    new practice in a domain when the knowledge its organisation has embedded
    there (institutional memory) first exceeds its starting level by
    ``threshold``; each domain is adopted at most once. Measuring the gain, not
    the level, makes a new practice mean new knowledge on either side, whatever
    a municipality knew at the start.
    """
    return (memory_gain >= threshold) & ~adopted


# ---------------------------------------------------------------- Rule 9: life after the programme
def sustain_partnerships(alive: np.ndarray, last_exchange: np.ndarray, month: int, dormancy_months: int) -> np.ndarray:
    """Partnerships that live on: an exchange within the last ``dormancy_months``.

    Rule 9 (R5, R6; the field's pattern of activity that declines after
    2008). A partnership whose exchanges stopped for ``dormancy_months`` ends;
    it does not revive. Own-means activity (:func:`exchange_intensity`) is what
    keeps it alive once programme money is gone.
    """
    return alive & (month - last_exchange <= dormancy_months)


def migrant_outreach(involved: np.ndarray, u: np.ndarray, outreach: float) -> np.ndarray:
    """Migrants involved after this month's outreach (R7: inform a wider public, involve more migrants).

    Each uninvolved migrant is drawn in with probability ``outreach`` (``u``: one
    uniform per migrant); no one drops out.
    """
    return involved | (u < outreach)
