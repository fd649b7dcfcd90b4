"""Compiled (numba) equivalents of the hottest rules, fused into single passes.

The rules are defined in :mod:`c2c_sim.rules` (readable numpy, the reference);
these kernels compute the same numbers in one pass over the data and are
checked against those rules in ``tests/test_fast.py``. The engine uses them
when numba is installed (``pip install -e '.[fast]'``, compiled once and cached
on disk) and falls back to the numpy rules otherwise, saying so once.
Set ``C2C_SIM_NUMBA=0`` to force the numpy rules.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

try:
    if os.environ.get("C2C_SIM_NUMBA", "1") == "0":
        raise ImportError("disabled by C2C_SIM_NUMBA=0")
    from numba import njit

    AVAILABLE = True
    REASON = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    AVAILABLE = False
    REASON = str(exc)

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        def wrap(f):
            return f
        return wrap if not (len(args) == 1 and callable(args[0])) else args[0]

_warned = False


def enabled() -> bool:
    """True if the compiled kernels are in use; warns once when they are not."""
    global _warned
    if not AVAILABLE and not _warned:
        warnings.warn(f"numba is not available ({REASON}); c2c_sim runs on its numpy rules, several times slower. "
                      "Install it with: pip install numba", RuntimeWarning, stacklevel=2)
        _warned = True
    return AVAILABLE


@njit(cache=True)
def transfer_and_forget(explicit, tacit, explicit0, tacit0, tie, facilitated, f2f, context, src, dst, trust,
                        distance, north, agenda, donor, bridge, openness, forgets, explicit_rate, tacit_rate,
                        absorptive_base, bounded_gap, tacit_exponent, forget_rate, inc_e, inc_t, best_e, best_t,
                        used):  # pragma: no cover - compiled
    """Rules 2 and 3 then SKIN forgetting, in place, for the month's undirected interactions.

    The same numbers as :func:`c2c_sim.rules.direction_weights`,
    :func:`c2c_sim.rules.transfer_knowledge` and :func:`c2c_sim.rules.forget_unused`
    as the engine's numpy path chains them: every interaction is applied in
    both directions (first each tie's ``src`` learning, then each ``dst``), all
    reading the month's starting state. ``agenda`` is the (P + 1, D) agenda
    matrix, ``context`` each interaction's row in it. ``inc_*``, ``best_*``
    (A, D) and ``used`` (A,) are scratch buffers, zero / -1 / False on entry
    and left so on exit.
    """
    A, D = explicit.shape
    touched = np.empty(2 * len(tie), np.int64)
    n_touched = 0
    for tacit_pass in range(2):
        level = tacit if tacit_pass else explicit
        inc = inc_t if tacit_pass else inc_e
        best = best_t if tacit_pass else best_e
        rate = tacit_rate if tacit_pass else explicit_rate
        for direction in range(2):
            for i in range(len(tie)):
                if tacit_pass and not f2f[i]:
                    continue
                e = tie[i]
                r = src[e] if direction == 0 else dst[e]
                s = dst[e] if direction == 0 else src[e]
                if not used[r]:
                    used[r] = True
                    touched[n_touched] = r
                    n_touched += 1
                c = context[i]
                w = 0.0 if (donor and c >= 0 and north[r] and not north[s]) else 1.0
                fac = 1.0 if facilitated[i] else 0.0
                closeness = (1.0 - distance[e] * (1.0 - bridge * fac)) * w * openness[r]
                tr = trust[e] ** tacit_exponent if tacit_pass else trust[e]
                f = rate * tr * closeness
                for d in range(D):  # branch-free: about half the gaps are negative, at random
                    kr = level[r, d]
                    ks = level[s, d]
                    gap = ks - kr
                    ok = (gap > 0.0) & (gap <= bounded_gap)
                    share = min(f * (absorptive_base + (1.0 - absorptive_base) * kr) * agenda[c, d], 1.0)
                    inc[r, d] += share * gap if ok else 0.0
                    best[r, d] = max(best[r, d], ks if ok else -1.0)
    for j in range(n_touched):
        a = touched[j]
        for d in range(D):
            v = min(explicit[a, d] + inc_e[a, d], max(best_e[a, d], explicit[a, d]))
            # x0 + (v - x0) repeats the rounding of rules.forget_unused (kept bit-identical)
            explicit[a, d] = explicit0[a, d] + (v - explicit0[a, d])
            v = min(tacit[a, d] + inc_t[a, d], max(best_t[a, d], tacit[a, d]))
            tacit[a, d] = tacit0[a, d] + (v - tacit0[a, d])
            inc_e[a, d] = 0.0
            inc_t[a, d] = 0.0
            best_e[a, d] = -1.0
            best_t[a, d] = -1.0
    for a in range(A):
        if used[a]:
            used[a] = False
            continue
        keep = 1.0 - forget_rate if forgets[a] else 1.0
        for d in range(D):
            explicit[a, d] = explicit0[a, d] + (explicit[a, d] - explicit0[a, d]) * keep
            tacit[a, d] = tacit0[a, d] + (tacit[a, d] - tacit0[a, d]) * keep


@njit(cache=True)
def update_trust(trust, last_contact, tie, facilitated, distance, bridge, growth, decay, bridge_boost, month, never,
                 counts, bridged):  # pragma: no cover - compiled
    """Rule 4 in place: :func:`c2c_sim.rules.update_trust` with contacts counted per tie.

    ``never`` is the ``last_contact`` value of a tie that has had no contact (it keeps its trust).

    ``counts`` (T,) int and ``bridged`` (T,) bool are scratch, zero on entry and exit.
    """
    for i in range(len(tie)):
        counts[tie[i]] += 1
        if facilitated[i]:
            bridged[tie[i]] = True
    for e in range(len(trust)):
        n = counts[e]
        if n > 0:
            b = 1.0 if bridged[e] else 0.0
            g = growth * (1.0 - distance[e] * (1.0 - bridge * b)) * (1.0 + bridge_boost * b)
            g = min(max(g, 0.0), 1.0)
            v = 1.0 - (1.0 - trust[e]) * (1.0 - g) ** float(n)
            trust[e] = min(max(v, 0.0), 1.0)
            last_contact[e] = month
            counts[e] = 0
            bridged[e] = False
        elif last_contact[e] > never:
            trust[e] = min(max(trust[e] * (1.0 - decay), 0.0), 1.0)
        else:
            trust[e] = min(max(trust[e], 0.0), 1.0)


@njit(cache=True)
def tie_sums(trust, enabled, tie_rep, tie_type, last_contact, month, active_window, n_reps,
             n_types):  # pragma: no cover - compiled
    """Per-replication trust sums and counts by tie type, and active ties (for Measures)."""
    by_type = np.zeros(n_reps * n_types)
    n_by_type = np.zeros(n_reps * n_types)
    active = np.zeros(n_reps)
    for e in range(len(trust)):
        if enabled[e]:
            k = tie_rep[e] * n_types + tie_type[e]
            by_type[k] += trust[e]
            n_by_type[k] += 1.0
            if last_contact[e] > month - active_window:
                active[tie_rep[e]] += 1.0
    return by_type, n_by_type, active


@njit(cache=True)
def disseminate_and_turnover(explicit, tacit, explicit0, tacit0, memory, memory0, sharers, leave, n_munis,
                             staff_per_muni, internal_rate, institutionalisation_rate,
                             socialisation):  # pragma: no cover - compiled
    """Rule 5 in place: :func:`c2c_sim.rules.disseminate_internally`, then turnover's newcomers.

    Staff rows are the first ``n_munis * staff_per_muni`` rows. A leaver
    (``leave``) is replaced by a newcomer with ``socialisation`` times the
    memory's gain and no tacit gain. ``sharers`` marks the staff who share with
    colleagues (exchange participants and holders of multilevel ties).
    """
    M, S = n_munis, staff_per_muni
    D = explicit.shape[1]
    g = np.empty((S, D))
    tg = np.empty((S, D))
    for m in range(M):
        base = m * S
        n_part = 0
        for s in range(S):
            if sharers[base + s]:
                n_part += 1
        for d in range(D):
            for s in range(S):
                g[s, d] = explicit[base + s, d] - explicit0[base + s, d]
                tg[s, d] = tacit[base + s, d] - tacit0[base + s, d]
            if n_part > 0:
                mp = 0.0
                mt = 0.0
                for s in range(S):
                    if sharers[base + s]:
                        mp += g[s, d]
                        mt += tg[s, d]
                mp /= n_part
                mt /= n_part
                for s in range(S):
                    if not sharers[base + s]:
                        g[s, d] += internal_rate * max(0.0, mp - g[s, d])
                        tg[s, d] += internal_rate * max(0.0, mt - tg[s, d])
            mem_gain = memory[m, d] - memory0[m, d]
            above = 0.0
            for s in range(S):
                above += max(0.0, g[s, d] - mem_gain)
            mem = min(mem_gain + institutionalisation_rate * (above / S), 1.0 - memory0[m, d])
            memory[m, d] = memory0[m, d] + mem
            for s in range(S):
                g[s, d] += internal_rate * max(0.0, mem - g[s, d])
                if leave[base + s]:
                    g[s, d] = socialisation * mem
                    tg[s, d] = 0.0
                explicit[base + s, d] = min(explicit0[base + s, d] + g[s, d], 1.0)
                tacit[base + s, d] = min(tacit0[base + s, d] + tg[s, d], 1.0)


@njit(cache=True)
def actor_sums(explicit, tacit, explicit0, tacit0, group, rep, participated, pool,
               n_reps):  # pragma: no cover - compiled
    """Per-replication sums for :class:`c2c_sim.metrics.Measures` in one pass over actors.

    ``group``: 0 staff or CSO of a partnered Dutch city, 1 of a partnered
    southern city, 2 anyone else; ``pool`` marks who counts for circulation
    (municipal staff). Returns (side sums (2, R, D), circulation sum (R,),
    count of the pool who never took part in an exchange (R,)).
    """
    A, D = explicit.shape
    side = np.zeros((2, n_reps, D))
    circ = np.zeros(n_reps)
    circ_n = np.zeros(n_reps)
    for a in range(A):
        grp = group[a]
        r = rep[a]
        row = 0.0
        for d in range(D):
            x = 0.5 * ((explicit[a, d] - explicit0[a, d]) + (tacit[a, d] - tacit0[a, d]))
            row += x
            if grp < 2:
                side[grp, r, d] += x
        if pool[a] and not participated[a]:
            circ[r] += row / D
            circ_n[r] += 1.0
    return side, circ, circ_n
