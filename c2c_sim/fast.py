"""Compiled (numba) equivalents of the rules, and the compiled month.

The rules are defined in :mod:`c2c_sim.rules` (readable numpy, the reference).
This module computes the same numbers in compiled loops and is checked against
those rules in ``tests/test_fast.py`` (rule by rule, and the whole engine month
by month). Two layers:

* one helper per rule (``_transfer``, ``_forget``, ``_trust``, ``_disseminate``,
  ``_measure_rep``, ...), each naming the rule it computes, plus thin public
  wrappers (:func:`transfer_and_forget`, :func:`update_trust`,
  :func:`disseminate_and_turnover`) that the hot-rules benchmark and the
  rule-by-rule tests call;
* the compiled month, :func:`open_month` and :func:`close_month`: every phase of
  :meth:`c2c_sim.engine.Engine.step` after the shocks, replication by
  replication, so that a replication's state stays in cache and Python is
  called twice a month, not dozens of times. They draw each replication's
  numbers from its own numpy generators (numba's ``Generator`` gives the same
  numbers as numpy's), in the order of :meth:`c2c_sim.engine.Engine.month_draws`
  and ``Engine._event_keys``, so both paths use the same numbers.

Numba compiles once and caches on disk. Without numba the engine runs the
numpy rules and says so once; ``C2C_SIM_NUMBA=0`` forces that.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

try:
    if os.environ.get("C2C_SIM_NUMBA", "1") == "0":
        raise ImportError("disabled by C2C_SIM_NUMBA=0")
    from numba import njit
    from numba import uint64 as _u  # loop from an unsigned start: no negative-index wraparound, loops vectorise

    AVAILABLE = True
    REASON = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    AVAILABLE = False
    REASON = str(exc)

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(f):
            return f
        return wrap if not (len(args) == 1 and callable(args[0])) else args[0]

    def _u(x):  # type: ignore[no-redef]
        return x

_warned = False


def enabled() -> bool:
    """True if the compiled kernels are in use; warns once when they are not."""
    global _warned
    if not AVAILABLE and not _warned:
        warnings.warn(f"numba is not available ({REASON}); c2c_sim runs on its numpy rules, several times slower. "
                      "Install it with: pip install numba", RuntimeWarning, stacklevel=2)
        _warned = True
    return AVAILABLE


# ------------------------------------------------------------------------------------------------ rule helpers
@njit(cache=True, error_model="numpy")
def _power(x, exponent):  # pragma: no cover - compiled
    """``x ** exponent`` as numpy computes it for an array and a scalar exponent (2 is a square)."""
    if exponent == 2.0:
        return x * x
    if exponent == 1.0:
        return x
    return x ** exponent


@njit(cache=True, error_model="numpy")
def _transfer_level(level, inc, best, r, s, c, f, agenda, absorptive_base, bounded_gap):  # pragma: no cover
    """Rule 2 for one level (explicit or tacit) of one directed contact: receiver ``r`` learns from source
    ``s`` at rate ``f``; accumulates into ``inc`` and ``best`` (branch-free: about half the gaps are
    negative, at random)."""
    for d in range(level.shape[1]):
        kr = level[r, d]
        ks = level[s, d]
        gap = ks - kr
        ok = (gap > 0.0) & (gap <= bounded_gap)
        share = min(f * (absorptive_base + (1.0 - absorptive_base) * kr) * agenda[c, d], 1.0)
        inc[r, d] += share * gap if ok else 0.0
        best[r, d] = max(best[r, d], ks if ok else -1.0)


@njit(cache=True, error_model="numpy")
def _transfer(explicit, tacit, i0, i1, itie, ifac, if2f, ictx, src, dst, trust, distance, north, agenda, donor,
              bridge, openness, explicit_rate, tacit_rate, absorptive_base, bounded_gap, tacit_exponent, inc_e, inc_t,
              best_e, best_t, used, touched, n_touched):  # pragma: no cover - compiled
    """Rules 2 and 3 (:func:`c2c_sim.rules.transfer_knowledge`, :func:`c2c_sim.rules.direction_weights`):
    accumulate interactions ``i0:i1`` into the scratch ``inc_*`` / ``best_*``, both directions (first
    each tie's ``src`` learning, then each ``dst``), reading the month's starting state. Marks receivers in
    ``used`` and lists them in ``touched`` from ``n_touched`` on; returns the new count."""
    for direction in range(2):  # explicit and tacit together: each level keeps its own order of sums
        for i in range(_u(i0), _u(i1)):
            e = itie[i]
            r = src[e] if direction == 0 else dst[e]
            s = dst[e] if direction == 0 else src[e]
            if not used[r]:
                used[r] = True
                touched[n_touched] = r
                n_touched += 1
            c = ictx[i]
            w = 0.0 if (donor and c >= 0 and north[r] and not north[s]) else 1.0
            fac = 1.0 if ifac[i] else 0.0
            closeness = (1.0 - distance[e] * (1.0 - bridge * fac)) * w * openness[r]
            _transfer_level(explicit, inc_e, best_e, r, s, c, explicit_rate * trust[e] * closeness, agenda,
                            absorptive_base, bounded_gap)
            if if2f[i]:  # tacit knowledge moves face to face only
                _transfer_level(tacit, inc_t, best_t, r, s, c,
                                tacit_rate * _power(trust[e], tacit_exponent) * closeness, agenda, absorptive_base,
                                bounded_gap)
    return n_touched


@njit(cache=True, error_model="numpy")
def _apply_transfer(explicit, tacit, inc_e, inc_t, best_e, best_t, touched, n_touched):  # pragma: no cover
    """Rule 2's result for the receivers: level + increments, capped by the best source; scratch reset."""
    D = explicit.shape[1]
    for j in range(n_touched):
        a = touched[j]
        for d in range(D):
            explicit[a, d] = min(explicit[a, d] + inc_e[a, d], max(best_e[a, d], explicit[a, d]))
            tacit[a, d] = min(tacit[a, d] + inc_t[a, d], max(best_t[a, d], tacit[a, d]))
            inc_e[a, d] = 0.0
            inc_t[a, d] = 0.0
            best_e[a, d] = -1.0
            best_t[a, d] = -1.0


@njit(cache=True, error_model="numpy")
def _forget(explicit, tacit, explicit0, tacit0, a0, a1, used, forgets, forget_rate):  # pragma: no cover
    """SKIN forgetting (:func:`c2c_sim.rules.forget_unused`) for rows ``a0:a1``: rows not ``used`` this
    month that ``forgets`` lose ``forget_rate`` of their gain; ``used`` is cleared. A row still at its
    starting values has no gain to lose (the rule would give it back exactly): it is skipped, which spares
    the uninvolved migrants."""
    D = explicit.shape[1]
    for a in range(_u(a0), _u(a1)):
        at_start = True
        for d in range(D):
            if explicit[a, d] != explicit0[a, d] or tacit[a, d] != tacit0[a, d]:
                at_start = False
                break
        if at_start:
            used[a] = False
            continue
        keep = 1.0 if (used[a] or not forgets[a]) else 1.0 - forget_rate
        used[a] = False
        for d in range(D):
            explicit[a, d] = explicit0[a, d] + (explicit[a, d] - explicit0[a, d]) * keep
        for d in range(D):
            tacit[a, d] = tacit0[a, d] + (tacit[a, d] - tacit0[a, d]) * keep


@njit(cache=True, error_model="numpy")
def _trust(trust, last_contact, i0, i1, itie, ifac, e0, e1, distance, bridge, growth, decay, bridge_boost, month,
           never, counts, bridged):  # pragma: no cover - compiled
    """Rule 4 (:func:`c2c_sim.rules.update_trust`) for interactions ``i0:i1`` on ties ``e0:e1``: contacts
    counted per tie, decay on ties without contact that met before. ``counts``/``bridged`` scratch, clean
    on entry and exit. The growth (a power) runs only over contacted ties, so the decay loop vectorises."""
    for i in range(_u(i0), _u(i1)):
        counts[itie[i]] += 1
        if ifac[i]:
            bridged[itie[i]] = True
    for e in range(_u(e0), _u(e1)):
        keep = 1.0 if (counts[e] > 0 or last_contact[e] <= never) else 1.0 - decay
        trust[e] = min(max(trust[e] * keep, 0.0), 1.0)
    for i in range(_u(i0), _u(i1)):
        e = itie[i]
        n = counts[e]
        if n > 0:
            b = 1.0 if bridged[e] else 0.0
            g = growth * (1.0 - distance[e] * (1.0 - bridge * b)) * (1.0 + bridge_boost * b)
            g = min(max(g, 0.0), 1.0)
            v = 1.0 - (1.0 - trust[e]) * ((1.0 - g) if n == 1 else (1.0 - g) ** float(n))
            trust[e] = min(max(v, 0.0), 1.0)
            last_contact[e] = month
            counts[e] = 0
            bridged[e] = False


@njit(cache=True, error_model="numpy")
def _disseminate(explicit, tacit, explicit0, tacit0, memory, memory0, sharers, leave, m0, m1, staff_per_muni,
                 internal_rate, institutionalisation_rate, socialisation, g, tg, received,
                 forget_rate):  # pragma: no cover - compiled
    """Rule 5 (:func:`c2c_sim.rules.disseminate_internally`, then turnover's newcomers) for municipalities
    ``m0:m1`` (staff rows ``m * S:(m + 1) * S``). With ``forget_rate >= 0`` the staff's SKIN forgetting
    (:func:`_forget`) is applied on the way in, in the same pass: staff not ``received`` this month keep
    ``1 - forget_rate`` of their gain (the engine's month); ``forget_rate < 0`` skips forgetting.
    ``g``/``tg`` are (S + 3, max(D, S)) scratch: the staff's gains, then per-domain sums and levels, then
    memory gains and the sharer flags. Rows run outside, domains inside (contiguous); sums run in the order
    of the numpy rule (sharers' sums as gain times 0/1 flag)."""
    S = staff_per_muni
    D = explicit.shape[1]
    mp, mt, above, mem, memg, shf = g[S], tg[S], g[S + 1], tg[S + 1], g[S + 2], tg[S + 2]
    for m in range(_u(m0), _u(m1)):
        base = m * S
        n_part = 0
        for s in range(S):
            sh = sharers[base + s]
            n_part += 1 if sh else 0
            shf[s] = 1.0 if sh else 0.0
        for d in range(D):
            mp[d] = 0.0
            mt[d] = 0.0
            above[d] = 0.0
            memg[d] = memory[m, d] - memory0[m, d]
        ex, ex0 = explicit[base:base + S], explicit0[base:base + S]
        tc, tc0 = tacit[base:base + S], tacit0[base:base + S]
        for s in range(S):  # the gains (after forgetting, as _forget computes it); the sharers' sums
            f = shf[s]
            forgets = forget_rate >= 0.0
            keep = 1.0 if (not forgets or received[base + s]) else 1.0 - forget_rate
            for d in range(D):
                x = ex[s, d] - ex0[s, d]
                x = (ex0[s, d] + x * keep) - ex0[s, d] if forgets else x
                g[s, d] = x
                mp[d] += x * f
            for d in range(D):
                y = tc[s, d] - tc0[s, d]
                y = (tc0[s, d] + y * keep) - tc0[s, d] if forgets else y
                tg[s, d] = y
                mt[d] += y * f
        for d in range(D):
            mp[d] = mp[d] / max(n_part, 1)
            mt[d] = mt[d] / max(n_part, 1)
        for s in range(S):  # colleagues close part of the gap to the sharers' mean; what staff know beyond memory
            if n_part > 0 and shf[s] == 0.0:
                for d in range(D):
                    g[s, d] += internal_rate * max(0.0, mp[d] - g[s, d])
                for d in range(D):
                    tg[s, d] += internal_rate * max(0.0, mt[d] - tg[s, d])
            for d in range(D):
                above[d] += max(0.0, g[s, d] - memg[d])
        for d in range(D):  # code learning into institutional memory, capped so memory stays <= 1
            mem[d] = min(memg[d] + institutionalisation_rate * (above[d] / S), 1.0 - memory0[m, d])
            memory[m, d] = memory0[m, d] + mem[d]
        for s in range(S):  # socialisation towards memory; newcomers replace leavers
            if leave[base + s]:
                for d in range(D):
                    ex[s, d] = min(ex0[s, d] + socialisation * mem[d], 1.0)
                    tc[s, d] = min(tc0[s, d] + 0.0, 1.0)
            else:
                for d in range(D):
                    ex[s, d] = min(ex0[s, d] + (g[s, d] + internal_rate * max(0.0, mem[d] - g[s, d])), 1.0)
                for d in range(D):
                    tc[s, d] = min(tc0[s, d] + tg[s, d], 1.0)


# ------------------------------------------------------------------------------------------------ public kernels
@njit(cache=True, error_model="numpy")
def transfer_and_forget(explicit, tacit, explicit0, tacit0, tie, facilitated, f2f, context, src, dst, trust,
                        distance, north, agenda, donor, bridge, openness, forgets, explicit_rate, tacit_rate,
                        absorptive_base, bounded_gap, tacit_exponent, forget_rate, inc_e, inc_t, best_e, best_t,
                        used):  # pragma: no cover - compiled
    """Rules 2 and 3 then SKIN forgetting, in place, for the month's undirected interactions.

    The same numbers as :func:`c2c_sim.rules.direction_weights`,
    :func:`c2c_sim.rules.transfer_knowledge` and :func:`c2c_sim.rules.forget_unused`
    chained. ``agenda`` is the (P + 1, D) agenda matrix, ``context`` each
    interaction's row in it. ``inc_*``, ``best_*`` (A, D) and ``used`` (A,) are
    scratch buffers, zero / -1 / False on entry and left so on exit.
    """
    touched = np.empty(explicit.shape[0], np.int64)
    n = _transfer(explicit, tacit, 0, len(tie), tie, facilitated, f2f, context, src, dst, trust, distance, north,
                  agenda, donor, bridge, openness, explicit_rate, tacit_rate, absorptive_base, bounded_gap,
                  tacit_exponent, inc_e, inc_t, best_e, best_t, used, touched, 0)
    _apply_transfer(explicit, tacit, inc_e, inc_t, best_e, best_t, touched, n)
    _forget(explicit, tacit, explicit0, tacit0, 0, explicit.shape[0], used, forgets, forget_rate)


@njit(cache=True, error_model="numpy")
def update_trust(trust, last_contact, tie, facilitated, distance, bridge, growth, decay, bridge_boost, month, never,
                 counts, bridged):  # pragma: no cover - compiled
    """Rule 4 in place: :func:`c2c_sim.rules.update_trust` with contacts counted per tie.

    ``never`` is the ``last_contact`` value of a tie that has had no contact (it keeps its trust).
    ``counts`` (T,) int and ``bridged`` (T,) bool are scratch, zero on entry and exit.
    """
    _trust(trust, last_contact, 0, len(tie), tie, facilitated, 0, len(trust), distance, bridge, growth, decay,
           bridge_boost, month, never, counts, bridged)


@njit(cache=True, error_model="numpy")
def disseminate_and_turnover(explicit, tacit, explicit0, tacit0, memory, memory0, sharers, leave, n_munis,
                             staff_per_muni, internal_rate, institutionalisation_rate,
                             socialisation):  # pragma: no cover - compiled
    """Rule 5 in place: :func:`c2c_sim.rules.disseminate_internally`, then turnover's newcomers.

    Staff rows are the first ``n_munis * staff_per_muni`` rows. A leaver
    (``leave``) is replaced by a newcomer with ``socialisation`` times the
    memory's gain and no tacit gain. ``sharers`` marks the staff who share with
    colleagues (exchange participants and holders of multilevel ties).
    """
    width = max(explicit.shape[1], staff_per_muni)
    _disseminate(explicit, tacit, explicit0, tacit0, memory, memory0, sharers, leave, 0, n_munis, staff_per_muni,
                 internal_rate, institutionalisation_rate, socialisation, np.empty((staff_per_muni + 3, width)),
                 np.empty((staff_per_muni + 3, width)), sharers, -1.0)


# ------------------------------------------------------------------------------------------------ the compiled month
# Parameters travel as two arrays (float and int); the names below index them. Engine._compiled_setup fills them
# (and Engine._step_compiled the month's budget, support and flags).
F_OUTREACH, F_BUDGET, F_COST_PER_VISIT, F_OWN_RATE, F_INITIATOR_BOOST, F_COHERENCE, F_FOCUS, F_BRIDGE, \
    F_EXPLICIT_RATE, F_TACIT_RATE, F_ABSORPTIVE_BASE, F_BOUNDED_GAP, F_TACIT_EXPONENT, F_FORGET_RATE, F_GROWTH, \
    F_DECAY, F_BRIDGE_BOOST, F_TRUST_INITIAL, F_TRUST_INITIAL_LOCAL, F_INTERNAL_RATE, F_INSTITUTIONALISATION, \
    F_SOCIALISATION, F_TURNOVER, F_START_RATE, F_MIGRANT_BOOST, F_TRANSNATIONAL_BOOST, F_SUPPORT, \
    F_VOLUNTEER_DECAY, F_SUPPORT_GAIN, F_STALL_THRESHOLD, F_ADOPTION_THRESHOLD, F_NOISE, N_FLOAT = range(33)
I_MONTH, I_REPS, I_STAFF, I_CSO, I_MIGRANT, I_NATIONAL, I_PARTNERSHIPS, I_MUNIS, I_STAFF_PER_MUNI, \
    I_MIGRANTS_PER_CITY, I_DELEGATION, I_FACILITATOR, I_DONOR, I_STRATEGY, I_COOLDOWN, I_DORMANCY, \
    I_ACTIVE_WINDOW, I_NEVER, N_INT = range(19)

# Outcome rows written by _measure_rep (per replication): the domain gains, then these names in this order.
MEASURE_NAMES = ("learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
                 "institutional_knowledge_gain", "mean_trust", "mean_trust_partnership", "mean_trust_local",
                 "mean_trust_transnational", "mean_trust_multilevel", "active_ties", "circulation",
                 "partnerships_alive", "migrants_involved", "initiatives_active", "policy_adoptions",
                 "policy_adoptions_unpartnered", "initiatives_started", "initiatives_stalled", "exchange_events",
                 "programme_budget")


@njit(cache=True, error_model="numpy")
def _enable(enabled, e0, e1, src, dst, involved, needs_partnership, tie_partnership, alive):  # pragma: no cover
    """Ties ``e0:e1`` whose both ends are engaged and whose partnership (if it needs one) is alive."""
    for e in range(_u(e0), _u(e1)):
        ok = involved[src[e]] and involved[dst[e]]
        if ok and needs_partnership[e]:
            ok = alive[tie_partnership[e]]
        enabled[e] = ok


@njit(cache=True, error_model="numpy")
def interaction_need(n_events, ties_per_p, tie_ptr, partnerships_per_rep):  # pragma: no cover - compiled
    """The most interactions a replication can have this month: all its ties (routine contacts) plus, per
    event, its partnership's event ties. Event counts below 0 (not drawn yet) count as none."""
    need = 0
    for r in range(len(tie_ptr) - 1):
        k = tie_ptr[r + 1] - tie_ptr[r]
        for p in range(r * partnerships_per_rep, (r + 1) * partnerships_per_rep):
            k += max(n_events[p], 0) * ties_per_p[p]
        need = max(need, k)
    return need


@njit(cache=True, error_model="numpy")
def open_month(fp, ip, gens, u_out, can_involve, involved, enabled, src, dst, needs_partnership, tie_partnership, alive,
               staff_ties_sorted, trust, ptie_count, proactivity_pair, obj_n, obj_s, u_events, agenda, n_events,
               rate, p_involved, seen_alive, seen_involved, tie_ptr, ties_per_p):  # pragma: no cover - compiled
    """The month's first compiled half, for all replications: the first draws of each replication's row
    (:meth:`c2c_sim.engine.Engine.month_draws`: outreach into ``u_out``, events into ``u_events``),
    migrant outreach (R7), enabled ties, and Rule 1's exchange intensity, agenda and Poisson event counts.

    Writes ``agenda`` (P + 1, D), ``n_events`` (P,), ``p_involved`` (P,) the involved migrants of each
    partnership and ``rate`` (P,), each partnership's expected events this month; an event count whose
    rate is too high for the direct inversion is left at -1 for the engine to draw from ``rate``
    (:func:`c2c_sim.engine.poisson_from_uniform`). Enabled ties are recomputed when involvement or live
    partnerships differ from ``seen_involved`` / ``seen_alive`` (what they were computed for: shocks, or
    edits of the world between months) or outreach involved someone.
    ``staff_ties_sorted``: the partnership (staff-staff) ties, ascending. Returns
    :func:`interaction_need` of the month's events, for the engine's buffers.
    """
    R = ip[I_REPS]
    nm, Pr = ip[I_MIGRANT], ip[I_PARTNERSHIPS]
    for r in range(R):
        g = gens[r]
        for i in range(_u(r * nm), _u((r + 1) * nm)):
            u_out[i] = g.random()
        for p in range(_u(r * Pr), _u((r + 1) * Pr)):
            u_events[p] = g.random()
    n_mig = nm * R
    mig_start = (ip[I_STAFF] + ip[I_CSO]) * R
    outreach = fp[F_OUTREACH]
    stale = False
    for i in range(len(involved)):
        if involved[i] != seen_involved[i]:
            stale = True
            break
    for p in range(len(alive)):
        if alive[p] != seen_alive[p]:
            stale = True
            break
    if outreach > 0:
        for i in range(n_mig):
            if can_involve[i] and u_out[i] < outreach and not involved[mig_start + i]:
                involved[mig_start + i] = True
                stale = True
    P = len(alive)
    T = len(src)
    if stale:
        _enable(enabled, 0, T, src, dst, involved, needs_partnership, tie_partnership, alive)
    if P == 0:
        return interaction_need(n_events, ties_per_p, tie_ptr, Pr)
    D = agenda.shape[1]
    Mc = ip[I_MIGRANTS_PER_CITY]
    for p in range(P):  # rate holds each partnership's summed trust first
        rate[p] = 0.0
    for e in staff_ties_sorted:
        rate[tie_partnership[e]] += trust[e]
    paid = fp[F_BUDGET] / fp[F_COST_PER_VISIT]
    for p in range(P):
        tp = rate[p] / max(ptie_count[p], 1)
        share = 0.0
        p_involved[p] = 0
        if Mc > 0:
            k = 0.0
            for j in range(Mc):
                if involved[mig_start + p * Mc + j]:
                    k += 1.0
            share = k / Mc
            p_involved[p] = int(k)
        own = fp[F_OWN_RATE] * tp * (proactivity_pair[p] + fp[F_INITIATOR_BOOST] * share)
        total = paid + own
        rate[p] = total
        coherence = (paid * fp[F_COHERENCE] + own) / total if total > 0 else 1.0
        # Rule 1 / R1: rules.exchange_agenda
        csum = 0.0
        for d in range(D):
            content = (1.0 - coherence) * obj_s[p, d] + coherence * 0.5 * (obj_s[p, d] + obj_n[p, d])
            agenda[p, d] = content
            csum += content
        asum = 0.0
        for d in range(D):
            if ip[I_STRATEGY]:
                a = _power(agenda[p, d], fp[F_FOCUS])
            else:
                a = 0.5 * agenda[p, d] / csum + 0.5 / D
            agenda[p, d] = a
            asum += a
        for d in range(D):
            agenda[p, d] = agenda[p, d] / (asum if asum > 0 else 1.0) * D
        # Poisson count by inverting the CDF, as engine.poisson_from_uniform does below its threshold
        if not alive[p]:
            n_events[p] = 0
        elif total > 30.0:
            n_events[p] = -1
        else:
            u = u_events[p]
            k = 0
            pk = np.exp(-total)
            cdf = pk
            while u >= cdf and pk > 0:
                k += 1
                pk = pk * total / k
                cdf = cdf + pk
            n_events[p] = k
    for d in range(D):
        agenda[P, d] = 1.0
    return interaction_need(n_events, ties_per_p, tie_ptr, Pr)


@njit(cache=True, error_model="numpy")
def _k_smallest(keys, start, S, k, chosen):  # pragma: no cover - compiled
    """Mark in ``chosen`` (S,) the ``k`` smallest of ``keys[start:start + S]`` (a uniform choice)."""
    for s in range(S):
        x = keys[start + s]
        below = 0
        for q in range(S):
            if keys[start + q] < x:
                below += 1
        chosen[s] = below < k


@njit(cache=True, error_model="numpy")
def _measure_rep(r, fp, ip, out, explicit, tacit, explicit0, tacit0, memory, memory0, group, side_count,
                 participated, muni_partnered, enabled, tie_type, trust, last_contact, e0, e1, alive, involved,
                 initiative_start, adoption_month, counters, events, work):  # pragma: no cover - compiled
    """The outcomes of replication ``r`` into ``out[:, r]`` (:class:`c2c_sim.metrics.Measures`, same order of sums).
    ``work`` is (5, max(D, 2)) scratch."""
    R, t = ip[I_REPS], ip[I_MONTH]
    ns, nc, nm = ip[I_STAFF], ip[I_CSO], ip[I_MIGRANT]
    Pr, Mr, S = ip[I_PARTNERSHIPS], ip[I_MUNIS], ip[I_STAFF_PER_MUNI]
    D = explicit.shape[1]
    side, mg, acc, means = work[0:2], work[2], work[3], work[4]
    for d in range(D):
        side[0, d] = 0.0
        side[1, d] = 0.0
    circ = 0.0
    circ_n = 0.0
    mem_sum = 0.0
    ind_sum = 0.0
    raw_sum = 0.0
    cnt = 0
    adopted_all = 0.0
    adopted_un = 0.0
    for m in range(r * Mr, (r + 1) * Mr):  # staff, municipality by municipality
        n_adopted = 0.0
        for d in range(D):
            if adoption_month[m, d] >= 0:
                n_adopted += 1.0
        adopted_all += n_adopted
        partnered = muni_partnered[m]
        if not partnered:
            adopted_un += n_adopted
        for d in range(D):
            mg[d] = max(memory[m, d] - memory0[m, d], 0.0)
            acc[d] = 0.0
        for a in range(_u(m * S), _u((m + 1) * S)):
            grp = group[a]
            row = 0.0
            for d in range(D):
                xe = explicit[a, d] - explicit0[a, d]
                x = 0.5 * (xe + (tacit[a, d] - tacit0[a, d]))
                row += x
                if grp < 2:
                    side[grp, d] += x
                acc[d] += max(xe - mg[d], 0.0)  # individual knowledge beyond institutional memory
            if not participated[a]:
                circ += row / D
                circ_n += 1.0
        if partnered:  # institutional memory of the partnered municipalities
            cnt += 1
            msum = 0.0
            isum = 0.0
            rsum = 0.0
            for d in range(D):
                rsum += memory[m, d] - memory0[m, d]
                msum += mg[d]
                isum += acc[d] / S
            mem_sum += msum
            ind_sum += isum
            raw_sum += rsum
    for a in range(_u(R * ns + r * nc), _u(R * ns + (r + 1) * nc)):  # CSOs (they belong to the sides too)
        grp = group[a]
        if grp < 2:
            for d in range(D):
                side[grp, d] += 0.5 * ((explicit[a, d] - explicit0[a, d]) + (tacit[a, d] - tacit0[a, d]))
    k = 0
    for sd in range(2):
        tot = 0.0
        for d in range(D):
            v = side[sd, d] / side_count[sd, r] if side_count[sd, r] > 0 else np.nan
            out[k, r] = v
            k += 1
            tot += v
        means[sd] = tot / D
    gn, gs = means[0], means[1]
    out[k, r] = gn
    out[k + 1, r] = gs
    lo, hi = min(gn, gs), max(gn, gs)
    mut = lo / hi if (hi > 1e-12 and lo > 0) else 0.0
    out[k + 2, r] = np.nan if (np.isnan(gn) or np.isnan(gs)) else mut
    den = mem_sum + ind_sum
    out[k + 3, r] = (mem_sum / den if den > 0 else 0.0) if cnt > 0 else np.nan
    out[k + 4, r] = raw_sum / (cnt * D) if cnt > 0 else np.nan
    # trust over enabled ties, by type
    s0 = s1 = s2 = s3 = 0.0  # trust sums and counts per tie type, in registers
    c0 = c1 = c2 = c3 = 0.0
    active = 0.0
    recent = t - ip[I_ACTIVE_WINDOW]
    for e in range(_u(e0), _u(e1)):
        if enabled[e]:
            tt = tie_type[e]
            x = trust[e]
            if tt == 0:
                s0 += x
                c0 += 1.0
            elif tt == 1:
                s1 += x
                c1 += 1.0
            elif tt == 2:
                s2 += x
                c2 += 1.0
            else:
                s3 += x
                c3 += 1.0
            if last_contact[e] > recent:
                active += 1.0
    s_all = s0 + s1 + s2 + s3
    n_all = c0 + c1 + c2 + c3
    out[k + 5, r] = s_all / n_all if n_all > 0 else np.nan
    for j, (sj, cj) in enumerate(((s0, c0), (s1, c1), (s2, c2), (s3, c3))):
        out[k + 6 + j, r] = sj / cj if cj > 0 else np.nan
    out[k + 10, r] = active
    out[k + 11, r] = circ / circ_n if circ_n > 0 else np.nan
    n_alive = 0.0
    for p in range(r * Pr, (r + 1) * Pr):
        if alive[p]:
            n_alive += 1.0
    out[k + 12, r] = n_alive
    n_inv = 0.0
    mig0 = R * (ns + nc) + r * nm
    for a in range(_u(mig0), _u(mig0 + nm)):
        if involved[a]:
            n_inv += 1.0
    out[k + 13, r] = n_inv
    n_act = 0.0
    for i in range(_u(r * nc), _u((r + 1) * nc)):
        if initiative_start[i] >= 0:
            n_act += 1.0
    out[k + 14, r] = n_act
    out[k + 15, r] = adopted_all
    out[k + 16, r] = adopted_un
    out[k + 17, r] = counters[0, r]
    out[k + 18, r] = counters[1, r]
    out[k + 19, r] = events[r]
    out[k + 20, r] = fp[F_BUDGET]


@njit(cache=True, error_model="numpy")
def measure(fp, ip, out, explicit, tacit, explicit0, tacit0, memory, memory0, group, side_count, participated,
            muni_partnered, enabled, tie_type, trust, last_contact, tie_ptr, alive, involved, initiative_start,
            adoption_month, counters, events):  # pragma: no cover - compiled
    """Every replication's outcomes into ``out`` (rows: :data:`MEASURE_NAMES` after the domain gains)."""
    work = np.empty((5, max(explicit.shape[1], 2)))
    for r in range(ip[I_REPS]):
        _measure_rep(r, fp, ip, out, explicit, tacit, explicit0, tacit0, memory, memory0, group, side_count,
                     participated, muni_partnered, enabled, tie_type, trust, last_contact, tie_ptr[r],
                     tie_ptr[r + 1], alive, involved, initiative_start, adoption_month, counters, events, work)


@njit(cache=True, error_model="numpy")
def close_month(fp, ip, gens, key_gens, n_events, keyrow, agenda, u_ties, u_staff, u_cso, noise,
                explicit, tacit, explicit0, tacit0, memory, memory0, openness, north, forgets, participated,
                involved, boundary,
                src, dst, tie_type, tie_partnership, tie_ptr, trust, last_contact, distance, enabled,
                needs_partnership, is_staff_tie, f2f, context, contact_rate,
                p_north, p_south, alive, last_exchange, event_ties, event_ptr,
                migrant_org, cso_city, cso_local_tie, momentum, initiative_start, cooldown_until,
                adopted, adoption_month, muni_partnered, group, side_count,
                counters, events, out, stall_log, staff_ties, staff_tie_ptr, cso_tn_ties, cso_tn_ptr, p_involved,
                seen_alive, seen_involved,
                itie, ifac, if2f, ictx, inc_e, inc_t, best_e, best_t, used, touched, tie_counts, tie_bridged,
                flag, sharer, has_migrants):  # pragma: no cover - compiled
    """The rest of :meth:`c2c_sim.engine.Engine.step`, replication by replication: the rest of the month's
    row of draws (ties, staff, CSOs, noise) and each event's keys from the second generator, exchanges
    (Rule 1), routine contacts (6), transfer and forgetting (2, 3, SKIN), trust (4), internal dissemination
    and turnover (5), initiatives (7), adoption (8), sustained partnerships (9) and the month's outcomes.
    Returns the number of stalled initiatives written to ``stall_log`` (rows: CSO row, start month, stall
    month).

    ``staff_ties[staff_tie_ptr[a]:staff_tie_ptr[a + 1]]`` are staff member ``a``'s ties (reset when they
    leave); ``cso_tn_ties[cso_tn_ptr[i]:cso_tn_ptr[i + 1]]`` CSO ``i``'s transnational ties (a recent
    contact on one raises its start rate); ``p_involved`` each partnership's involved migrants (from
    :func:`open_month`); ``seen_alive``/``seen_involved`` get the month's end state (open_month compares).
    ``itie``.. ``ictx`` hold one replication's interactions; the other trailing arrays
    are scratch (``inc_*``, ``best_*``, ``used``, ``tie_counts``, ``tie_bridged`` and ``flag`` clean on
    entry and exit; ``touched``, ``sharer`` and ``has_migrants`` written before they are read).
    """
    t = ip[I_MONTH]
    R, ns, nc, nm, nn = ip[I_REPS], ip[I_STAFF], ip[I_CSO], ip[I_MIGRANT], ip[I_NATIONAL]
    Pr, Mr, S, Mc = ip[I_PARTNERSHIPS], ip[I_MUNIS], ip[I_STAFF_PER_MUNI], ip[I_MIGRANTS_PER_CITY]
    never = ip[I_NEVER]
    cso_start = R * ns
    mig_start = R * (ns + nc)
    nat_start = R * (ns + nc + nm)
    k_del = min(ip[I_DELEGATION], S)
    width = keyrow.shape[0]
    sd = fp[F_NOISE]
    chosen_n = np.zeros(S, np.bool_)
    chosen_s = np.zeros(S, np.bool_)
    g = np.empty((S + 3, max(explicit.shape[1], S)))
    tg = np.empty((S + 3, max(explicit.shape[1], S)))
    work = np.empty((5, max(explicit.shape[1], 2)))
    n_stall = 0
    for r in range(R):
        e0, e1 = tie_ptr[r], tie_ptr[r + 1]
        # the rest of the replication's row of draws (Engine.month_draws): ties, staff, CSOs, then the noise
        gen = gens[r]
        for e in range(_u(e0), _u(e1)):
            u_ties[e] = gen.random()
        for a in range(_u(r * ns), _u((r + 1) * ns)):
            u_staff[a] = gen.random()
        for i in range(_u(r * nc), _u((r + 1) * nc)):
            u_cso[i] = gen.random()
        for i in range(_u(r * nc), _u((r + 1) * nc)):
            noise[i] = sd * gen.standard_normal()
        kg = key_gens[r]
        # Rule 1: who meets whom at the month's exchange events
        n = 0
        n_ev = 0
        for p in range(r * Pr, (r + 1) * Pr):
            ne = n_events[p]
            if ne > 0:
                last_exchange[p] = t
            n_ev += ne
            for _ in range(ne):
                for j in range(width):  # the event's keys from the second stream (Engine._event_keys)
                    keyrow[j] = kg.random()
                _k_smallest(keyrow, 0, S, k_del, chosen_n)
                _k_smallest(keyrow, S, S, k_del, chosen_s)
                for s in range(S):
                    if chosen_n[s]:
                        participated[p_north[p] * S + s] = True
                    if chosen_s[s]:
                        participated[p_south[p] * S + s] = True
                fac = False
                if ip[I_FACILITATOR] and Mc > 0 and width >= 2 * S + Mc:
                    best = 2.0
                    jbest = 0
                    for j in range(Mc):
                        v = keyrow[2 * S + j] if involved[mig_start + p * Mc + j] else 2.0
                        if v < best:
                            best = v
                            jbest = j
                    fac = best < 1.0
                    if fac:
                        participated[mig_start + p * Mc + jbest] = True
                for q in range(event_ptr[p], event_ptr[p + 1]):
                    e = event_ties[q]
                    if (not is_staff_tie[e]) or (chosen_n[src[e] % S] and chosen_s[dst[e] % S]):
                        itie[n] = e
                        if2f[n] = True
                        ifac[n] = fac
                        ictx[n] = p
                        n += 1
                        participated[src[e]] = True
                        participated[dst[e]] = True
        events[r] = n_ev
        # Rule 6: routine contacts on enabled ties
        for e in range(_u(e0), _u(e1)):
            if enabled[e] and u_ties[e] < contact_rate[e]:
                itie[n] = e
                if2f[n] = f2f[e]
                ifac[n] = False
                ictx[n] = context[e]
                n += 1
        # Rules 2, 3, then SKIN forgetting
        nt = _transfer(explicit, tacit, 0, n, itie, ifac, if2f, ictx, src, dst, trust, distance, north, agenda,
                       ip[I_DONOR] != 0, fp[F_BRIDGE], openness, fp[F_EXPLICIT_RATE], fp[F_TACIT_RATE],
                       fp[F_ABSORPTIVE_BASE], fp[F_BOUNDED_GAP], fp[F_TACIT_EXPONENT], inc_e, inc_t, best_e, best_t,
                       used, touched, 0)
        _apply_transfer(explicit, tacit, inc_e, inc_t, best_e, best_t, touched, nt)
        for a0, size in ((cso_start + r * nc, nc), (mig_start + r * nm, nm), (nat_start + r * nn, nn)):
            _forget(explicit, tacit, explicit0, tacit0, a0, a0 + size, used, forgets, fp[F_FORGET_RATE])
        # (the staff forget inside _disseminate below, reading ``used``: nothing in between reads their knowledge)
        # Rule 4
        _trust(trust, last_contact, 0, n, itie, ifac, e0, e1, distance, fp[F_BRIDGE], fp[F_GROWTH], fp[F_DECAY],
               fp[F_BRIDGE_BOOST], t, never, tie_counts, tie_bridged)
        # Rule 5: sharers are participants and boundary spanners; then turnover
        any_leave = False
        for a in range(_u(r * ns), _u((r + 1) * ns)):
            flag[a] = u_staff[a] < fp[F_TURNOVER]  # leavers
            sharer[a] = participated[a] or boundary[a]
            any_leave = any_leave or flag[a]
        _disseminate(explicit, tacit, explicit0, tacit0, memory, memory0, sharer, flag, r * Mr, (r + 1) * Mr, S,
                     fp[F_INTERNAL_RATE], fp[F_INSTITUTIONALISATION], fp[F_SOCIALISATION], g, tg, used,
                     fp[F_FORGET_RATE])
        for a in range(_u(r * ns), _u((r + 1) * ns)):
            used[a] = False
            if flag[a]:
                participated[a] = False
        if any_leave:  # a leaver's ties restart at their initial trust
            for a in range(_u(r * ns), _u((r + 1) * ns)):
                if flag[a]:
                    for q in range(staff_tie_ptr[a], staff_tie_ptr[a + 1]):
                        e = staff_ties[q]
                        tt = tie_type[e]
                        trust[e] = fp[F_TRUST_INITIAL] if (tt == 0 or tt == 2) else fp[F_TRUST_INITIAL_LOCAL]
                        last_contact[e] = never
                    flag[a] = False
        # Rule 7: CSO initiatives
        if nc > 0:
            for m in range(r * Mr, (r + 1) * Mr):
                has_migrants[m] = False
            for p in range(r * Pr, (r + 1) * Pr):
                has_migrants[p_north[p]] = p_involved[p] > 0  # counted by open_month, after outreach
            window = t - ip[I_ACTIVE_WINDOW]
            for i in range(r * nc, (r + 1) * nc):
                row = cso_start + i
                mig_flag = 1.0 if (migrant_org[row] and has_migrants[cso_city[i]]) else 0.0
                linked = 0.0  # a recent contact on one of its enabled transnational ties
                for q in range(cso_tn_ptr[i], cso_tn_ptr[i + 1]):
                    e = cso_tn_ties[q]
                    if enabled[e] and last_contact[e] > window:
                        linked = 1.0
                        break
                prob = fp[F_START_RATE] * (1 + fp[F_MIGRANT_BOOST] * mig_flag) * (1 + fp[F_TRANSNATIONAL_BOOST] * linked)
                prob = min(max(prob, 0.0), 1.0)
                tie = cso_local_tie[row]
                support = fp[F_SUPPORT] * (trust[tie] if tie >= 0 else 0.0)
                start = initiative_start[i]
                m_ = momentum[i]
                stalled = False
                if start >= 0:
                    m_ = min(1.0, m_ - fp[F_VOLUNTEER_DECAY] + fp[F_SUPPORT_GAIN] * support + noise[i])
                    if m_ < fp[F_STALL_THRESHOLD]:
                        stalled = True
                        stall_log[n_stall, 0] = row
                        stall_log[n_stall, 1] = start
                        stall_log[n_stall, 2] = t
                        n_stall += 1
                        counters[1, r] += 1.0
                        start = -1
                        cooldown_until[i] = t + ip[I_COOLDOWN]
                        m_ = 0.0
                if start < 0 and not stalled and t >= cooldown_until[i] and u_cso[i] < prob:
                    start = t
                    m_ = 1.0
                    counters[0, r] += 1.0
                initiative_start[i] = start
                momentum[i] = m_
        # Rule 8: adoption
        D = explicit.shape[1]
        for m in range(r * Mr, (r + 1) * Mr):
            for d in range(D):
                if not adopted[m, d] and memory[m, d] - memory0[m, d] >= fp[F_ADOPTION_THRESHOLD]:
                    adopted[m, d] = True
                    adoption_month[m, d] = t
        # Rule 9: dormant partnerships end
        ended = False
        for p in range(r * Pr, (r + 1) * Pr):
            if alive[p] and t - last_exchange[p] > ip[I_DORMANCY]:
                alive[p] = False
                ended = True
        if ended:  # outcomes see the ties of partnerships that ended this month
            _enable(enabled, e0, e1, src, dst, involved, needs_partnership, tie_partnership, alive)
        _measure_rep(r, fp, ip, out, explicit, tacit, explicit0, tacit0, memory, memory0, group, side_count,
                     participated, muni_partnered, enabled, tie_type, trust, last_contact, e0, e1, alive, involved,
                     initiative_start, adoption_month, counters, events, work)
    seen_alive[:] = alive  # the enabled ties now match these (the kernels recompute them as they change)
    seen_involved[:] = involved
    return n_stall
