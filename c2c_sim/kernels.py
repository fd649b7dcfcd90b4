"""Optional numba kernels for the hottest rules (a prototype; :mod:`c2c_sim.rules` stays the definition).

Each function here has the signature and the results of its namesake in
:mod:`c2c_sim.rules` (``tests/test_reference.py`` checks equality to
rounding), so it can replace the rule wherever the rule is called, without
changing the caller. This differs from :mod:`c2c_sim.fast`, the engine's own
kernels, which fuse several rules in place with the engine's arrays; the
benchmark (``benchmarks/bench.py``, section 2) measures both on the same hot
rules. Each makes one pass over the data instead of a dozen numpy temporaries:

* :func:`transfer_knowledge` (Rule 2): one loop over directed interactions
  accumulates each receiver's increments and best source in place of
  ``np.bincount`` + ``np.maximum.at``;
* :func:`update_trust` (Rule 4): one loop over ties (contacts still counted
  per tie, the closed form ``1 - (1 - trust) * (1 - g) ** n``);
* :func:`disseminate_internally` (Rule 5): one loop per organisation;
* :func:`forget_unused` (SKIN): one pass instead of three.

numba is optional (``pip install c2c-sim[fast]``). Compilation is cached on
disk (``cache=True``: the first call in a fresh install compiles, about a few
seconds, later processes load the cache); nothing is built at install time.
Without numba, importing this module prints one line saying so and every
function falls back to the numpy rule of :mod:`c2c_sim.rules`.
``NUMBA_AVAILABLE`` tells which one you got.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from . import rules

try:  # pragma: no cover - depends on the environment
    from numba import njit

    NUMBA_AVAILABLE = True
except ImportError:  # pragma: no cover
    NUMBA_AVAILABLE = False
    print("c2c_sim.kernels: numba is not installed; using the numpy rules of c2c_sim.rules instead "
          "(pip install 'c2c-sim[fast]' for the compiled kernels)", file=sys.stderr)

__all__ = [
    "NUMBA_AVAILABLE",
    "disseminate_internally",
    "forget_unused",
    "transfer_knowledge",
    "update_trust",
    "warmup",
]

if NUMBA_AVAILABLE:

    @njit(cache=True, nogil=True)
    def _transfer_level(level, receiver, source, factor, agenda, mask, use_mask, absorptive_base, bounded_gap, out):
        A, D = level.shape
        inc = np.zeros((A, D))
        best = level.copy()
        touched = np.zeros(A, np.bool_)
        for i in range(len(receiver)):
            if use_mask and not mask[i]:
                continue
            r = receiver[i]
            s = source[i]
            f = factor[i]
            touched[r] = True
            for d in range(D):  # branch-free: half the gaps are negative, at random
                kr = level[r, d]
                ks = level[s, d]
                gap = ks - kr
                ok = (gap > 0.0) & (gap <= bounded_gap)
                share = min(f * (absorptive_base + (1.0 - absorptive_base) * kr) * agenda[i, d], 1.0)
                inc[r, d] += share * gap if ok else 0.0
                best[r, d] = max(best[r, d], ks if ok else kr)
        for r in range(A):
            if touched[r]:
                for d in range(D):
                    v = level[r, d] + inc[r, d]
                    out[r, d] = v if v < best[r, d] else best[r, d]
            else:
                for d in range(D):
                    out[r, d] = level[r, d]

    @njit(cache=True, nogil=True)
    def _update_trust(trust, contacts, bridged, distance, growth, decay, bridge_boost, out):
        for e in range(len(trust)):
            n = contacts[e]
            if n > 0:
                g = growth * (1.0 - distance[e]) * (1.0 + bridge_boost * bridged[e])
                g = min(max(g, 0.0), 1.0)
                v = 1.0 - (1.0 - trust[e]) * (1.0 - g) ** n
            else:
                v = trust[e] * (1.0 - decay)
            out[e] = min(max(v, 0.0), 1.0)

    @njit(cache=True, nogil=True)
    def _forget(level, baseline, used, forget_rate, out):
        A, D = level.shape
        for a in range(A):
            if used[a]:
                for d in range(D):
                    out[a, d] = baseline[a, d] + (level[a, d] - baseline[a, d]) * 1.0
            else:
                k = 1.0 - forget_rate
                for d in range(D):
                    out[a, d] = baseline[a, d] + (level[a, d] - baseline[a, d]) * k

    @njit(cache=True, nogil=True)
    def _disseminate(gain, tacit_gain, participated, memory_gain, internal_rate, institutionalisation_rate,
                     out_gain, out_tacit, out_memory):
        M, S, D = gain.shape
        for m in range(M):
            n_part = 0
            for j in range(S):
                if participated[m, j]:
                    n_part += 1
            for d in range(D):
                if n_part > 0:
                    se = 0.0
                    st = 0.0
                    for j in range(S):
                        if participated[m, j]:
                            se += gain[m, j, d]
                            st += tacit_gain[m, j, d]
                    me = se / n_part
                    mt = st / n_part
                    for j in range(S):
                        g = gain[m, j, d]
                        t = tacit_gain[m, j, d]
                        if not participated[m, j]:
                            g += internal_rate * max(0.0, me - g)
                            t += internal_rate * max(0.0, mt - t)
                        out_gain[m, j, d] = g
                        out_tacit[m, j, d] = t
                else:
                    for j in range(S):
                        out_gain[m, j, d] = gain[m, j, d]
                        out_tacit[m, j, d] = tacit_gain[m, j, d]
                mem = memory_gain[m, d]
                acc = 0.0
                for j in range(S):
                    acc += max(0.0, out_gain[m, j, d] - mem)
                mem = mem + institutionalisation_rate * (acc / S)
                out_memory[m, d] = mem
                for j in range(S):
                    g = out_gain[m, j, d]
                    out_gain[m, j, d] = g + internal_rate * max(0.0, mem - g)


def transfer_knowledge(explicit: np.ndarray, tacit: np.ndarray, receiver: np.ndarray, source: np.ndarray,
                       trust: np.ndarray, distance: np.ndarray, f2f: np.ndarray, agenda: np.ndarray,
                       weight: np.ndarray, openness: np.ndarray, *, explicit_rate: float, tacit_rate: float,
                       absorptive_base: float, bounded_gap: float, tacit_exponent: float,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`c2c_sim.rules.transfer_knowledge`, compiled (same arguments, same results)."""
    if not NUMBA_AVAILABLE:
        return rules.transfer_knowledge(explicit, tacit, receiver, source, trust, distance, f2f, agenda, weight,
                                        openness, explicit_rate=explicit_rate, tacit_rate=tacit_rate,
                                        absorptive_base=absorptive_base, bounded_gap=bounded_gap,
                                        tacit_exponent=tacit_exponent)
    if len(receiver) == 0:
        return explicit.copy(), tacit.copy()
    closeness = (1.0 - distance) * weight * openness[receiver]
    receiver = np.ascontiguousarray(receiver, dtype=np.int64)
    source = np.ascontiguousarray(source, dtype=np.int64)
    agenda = np.asarray(agenda, dtype=np.float64)
    f2f = np.ascontiguousarray(f2f, dtype=np.bool_)
    new_e = np.empty_like(explicit)
    new_t = np.empty_like(tacit)
    _transfer_level(explicit, receiver, source, explicit_rate * trust * closeness, agenda, f2f, False,
                    float(absorptive_base), float(bounded_gap), new_e)
    _transfer_level(tacit, receiver, source, tacit_rate * trust ** tacit_exponent * closeness, agenda, f2f, True,
                    float(absorptive_base), float(bounded_gap), new_t)
    return new_e, new_t


def update_trust(trust: np.ndarray, contacts: np.ndarray, bridged: np.ndarray, distance: np.ndarray, *,
                 growth: float, decay: float, bridge_boost: float) -> np.ndarray:
    """:func:`c2c_sim.rules.update_trust`, compiled (contacts counted per tie)."""
    if not NUMBA_AVAILABLE:
        return rules.update_trust(trust, contacts, bridged, distance, growth=growth, decay=decay,
                                  bridge_boost=bridge_boost)
    out = np.empty_like(trust)
    _update_trust(trust, np.ascontiguousarray(contacts, dtype=np.int64), np.ascontiguousarray(bridged, np.bool_),
                  distance, float(growth), float(decay), float(bridge_boost), out)
    return out


def disseminate_internally(gain: np.ndarray, tacit_gain: np.ndarray, participated: np.ndarray,
                           memory_gain: np.ndarray, *, internal_rate: float,
                           institutionalisation_rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`c2c_sim.rules.disseminate_internally`, compiled (same arguments, same results)."""
    if not NUMBA_AVAILABLE:
        return rules.disseminate_internally(gain, tacit_gain, participated, memory_gain, internal_rate=internal_rate,
                                            institutionalisation_rate=institutionalisation_rate)
    out_g = np.empty(gain.shape)
    out_t = np.empty(tacit_gain.shape)
    out_m = np.empty(memory_gain.shape)
    _disseminate(np.ascontiguousarray(gain, dtype=np.float64), np.ascontiguousarray(tacit_gain, dtype=np.float64),
                 np.ascontiguousarray(participated, dtype=np.bool_), np.ascontiguousarray(memory_gain, np.float64),
                 float(internal_rate), float(institutionalisation_rate), out_g, out_t, out_m)
    return out_g, out_t, out_m


def forget_unused(level: np.ndarray, baseline: np.ndarray, used: np.ndarray, forget_rate: float) -> np.ndarray:
    """:func:`c2c_sim.rules.forget_unused`, compiled (same arguments, same results)."""
    if not NUMBA_AVAILABLE or level.ndim != 2 or baseline.shape != level.shape:
        return rules.forget_unused(level, baseline, used, forget_rate)
    out = np.empty(level.shape)
    _forget(np.ascontiguousarray(level, np.float64), np.ascontiguousarray(baseline, np.float64),
            np.ascontiguousarray(used, np.bool_), float(forget_rate), out)
    return out


def warmup() -> float:
    """Compile (or load from the cache) every kernel on tiny inputs; return the seconds it took."""
    t0 = time.perf_counter()
    if NUMBA_AVAILABLE:
        rng = np.random.default_rng(0)
        A, D, T = 20, 6, 30
        e, tc = rng.random((A, D)), rng.random((A, D))
        r, s = rng.integers(0, A, T), rng.integers(0, A, T)
        transfer_knowledge(e, tc, r, s, rng.random(T), rng.random(T), rng.random(T) < 0.5,
                           np.broadcast_to(np.ones(D), (T, D)), np.ones(T), rng.random(A), explicit_rate=0.3,
                           tacit_rate=0.1, absorptive_base=0.3, bounded_gap=1.0, tacit_exponent=2.0)
        transfer_knowledge(e, tc, r, s, rng.random(T), rng.random(T), rng.random(T) < 0.5, np.ones((T, D)),
                           np.ones(T), rng.random(A), explicit_rate=0.3, tacit_rate=0.1, absorptive_base=0.3,
                           bounded_gap=1.0, tacit_exponent=2.0)
        update_trust(rng.random(T), rng.integers(0, 3, T), np.zeros(T, bool), rng.random(T), growth=0.2, decay=0.02,
                     bridge_boost=0.0)
        forget_unused(e, tc, rng.random(A) < 0.5, 0.02)
        disseminate_internally(rng.random((2, 10, D)), rng.random((2, 10, D)), rng.random((2, 10)) < 0.5,
                               rng.random((2, D)), internal_rate=0.1, institutionalisation_rate=0.05)
    return time.perf_counter() - t0
