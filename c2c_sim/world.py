"""The model's state: numpy arrays for actors, municipalities, partnerships and ties.

All knowledge and trust lives here, owned by the model (``model.world``); Mesa
agents hold a row index and read their state as views. Rows are laid out so that
the staff of municipality ``m`` are the contiguous block
``m * S : (m + 1) * S`` and the migrants of partnership ``p`` the block
``migrant_start + p * Mc : ... + Mc`` (reshapes instead of group-bys).

The tie network is drawn from the model's own generator (:func:`build_world`)
straight into arrays; :func:`to_networkx` gives it as a networkx graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from .config import DOMAINS, Config

if TYPE_CHECKING:
    import networkx as nx

NEVER = -10**6
"""``last_contact`` of a tie that has had no contact yet."""


class Kind(IntEnum):
    """Actor types (rows of the actor arrays)."""

    STAFF = 0
    CSO = 1
    MIGRANT = 2
    HIGHER_GOVERNMENT = 3
    KNOWLEDGE_INSTITUTION = 4


class Country(IntEnum):
    NETHERLANDS = 0
    MOROCCO = 1
    TURKEY = 2


class TieType(IntEnum):
    """Tie types of the governance network (recommendation 2)."""

    PARTNERSHIP = 0  # staff of two partner municipalities
    LOCAL = 1  # government and citizens/CSOs within a city
    TRANSNATIONAL = 2  # via migrants and CSOs across the partnership
    MULTILEVEL = 3  # municipalities, higher government level and knowledge institution


TIE_TYPES_BY_MODEL: dict[str, frozenset[TieType]] = {
    "classic": frozenset({TieType.PARTNERSHIP, TieType.LOCAL}),
    "multi_actor": frozenset({TieType.PARTNERSHIP, TieType.LOCAL, TieType.TRANSNATIONAL}),
    "multilevel_hybrid": frozenset(TieType),
}
"""Which tie types each network model promises (van Ewijk's classic local-government
model and multi-actor model; the LOGO South multilevel hybrid network)."""


@dataclass
class World:
    """Every array of the model state. ``A`` actors, ``M`` municipalities, ``P`` partnerships, ``T`` ties, ``D`` domains."""

    # actors
    kind: np.ndarray  # (A,) int8 Kind
    country: np.ndarray  # (A,) int8 Country
    city: np.ndarray  # (A,) int32 municipality index, -1 for national bodies
    partnership: np.ndarray  # (A,) int32 partnership of the actor's city (or origin city), -1 if none
    explicit: np.ndarray  # (A, D) float64 in [0, 1]
    tacit: np.ndarray  # (A, D) float64 in [0, 1]
    explicit0: np.ndarray  # (A, D) float32 starting values (baseline for gains and forgetting)
    tacit0: np.ndarray  # (A, D) float32
    openness: np.ndarray  # (A,) openness to learn
    participated: np.ndarray  # (A,) bool: ever took part in a partnership exchange (reset on turnover)
    involved: np.ndarray  # (A,) bool: engaged in the partnership network (migrants may be uninvolved)
    employed: np.ndarray  # (A,) bool: migrant employed by the municipality
    migrant_org: np.ndarray  # (A,) bool: CSO that is a migrant organisation
    # municipalities
    muni_country: np.ndarray  # (M,) int8
    muni_partnership: np.ndarray  # (M,) int32, -1 if unpartnered
    memory: np.ndarray  # (M, D) institutional memory (explicit, codified)
    memory0: np.ndarray
    proactivity: np.ndarray  # (M,)
    objectives: np.ndarray  # (M, D) weights summing to 1
    adopted: np.ndarray  # (M, D) bool: practice adopted
    adoption_month: np.ndarray  # (M, D) int32, -1 never
    # partnerships
    p_north: np.ndarray  # (P,) municipality index
    p_south: np.ndarray  # (P,)
    alive: np.ndarray  # (P,) bool
    last_exchange: np.ndarray  # (P,) int32 month of the last exchange event
    familiarity: np.ndarray  # (P,) mutual understanding (R5), 0 at the start
    support: np.ndarray  # (P,) local public and political support (R7)
    # ties (undirected, stored once: src < dst not required)
    src: np.ndarray  # (T,) int32
    dst: np.ndarray  # (T,) int32
    tie_type: np.ndarray  # (T,) int8 TieType
    tie_partnership: np.ndarray  # (T,) int32 partnership the tie belongs to, -1 if none
    tie_programme: np.ndarray  # (T,) int8 the country whose country programme the tie belongs to, -1 if none
    trust: np.ndarray  # (T,) float64 in [0, 1]
    last_contact: np.ndarray  # (T,) int32, -10**6 if never
    distance: np.ndarray  # (T,) cultural/language distance of the tie's endpoints
    # CSO initiatives, one slot per CSO (CSO i is actor row cso_start + i)
    momentum: np.ndarray  # (n_cso,) float64
    initiative_start: np.ndarray  # (n_cso,) int32, -1 if idle
    cooldown_until: np.ndarray  # (n_cso,) int32
    # layout
    staff_per_muni: int
    n_munis: int
    migrant_start: int
    migrants_per_city: int
    cso_start: int
    csos_per_muni: int
    cso_local_tie: np.ndarray  # (A,) each CSO's local tie to its contact in the municipality, -1 if none
    # replications stacked in one world (see stack_worlds): which replication each row belongs to
    n_reps: int = 1
    rep: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (A,)
    muni_rep: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (M,)
    p_rep: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (P,)
    tie_rep: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # (T,)
    tie_ptr: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))  # ties of replication r: ptr[r]:ptr[r+1]

    def __post_init__(self) -> None:
        if len(self.rep) == 0:
            self.rep = np.zeros(len(self.kind), np.int32)
            self.muni_rep = np.zeros(len(self.muni_country), np.int32)
            self.p_rep = np.zeros(len(self.p_north), np.int32)
            self.tie_rep = np.zeros(len(self.src), np.int32)
            self.tie_ptr = np.array([0, len(self.src)], np.int64)

    @property
    def n_actors(self) -> int:
        return len(self.kind)

    @property
    def n_partnerships(self) -> int:
        return len(self.p_north)

    @property
    def n_domains(self) -> int:
        return self.explicit.shape[1]

    def staff_block(self, m: int) -> slice:
        return slice(m * self.staff_per_muni, (m + 1) * self.staff_per_muni)

    def state_nbytes(self) -> int:
        """Bytes held by the state arrays."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


def _profile_array(profile: dict) -> np.ndarray:
    return np.array([profile[d] for d in DOMAINS], dtype=np.float64)


def initial_trust(tie_type: np.ndarray, initial: float, initial_local: float) -> np.ndarray:
    """Trust a tie starts with (and restarts at when one of its ends is replaced): ``trust.initial``
    for partnership and transnational ties between strangers, ``trust.initial_local`` for local and
    multilevel ties."""
    strangers = (tie_type == TieType.PARTNERSHIP) | (tie_type == TieType.TRANSNATIONAL)
    return np.where(strangers, initial, initial_local).astype(np.float64)


@dataclass
class Skeleton:
    """The parts of a world that do not depend on chance (computed once per configuration)."""

    M: int
    P: int
    S: int
    C: int
    Mc: int
    A: int
    muni_country: np.ndarray
    muni_partnership: np.ndarray
    p_north: np.ndarray
    p_south: np.ndarray
    kind: np.ndarray
    city: np.ndarray
    country: np.ndarray
    partnership: np.ndarray
    base: np.ndarray  # (A, D) profile before heterogeneity
    openness: np.ndarray
    proactivity: np.ndarray
    objectives: np.ndarray
    cso_north: np.ndarray  # (n_cso,) CSO in a Dutch municipality
    fixed_ties: dict  # name -> (src, dst, type, partnership) of ties that do not depend on chance


def world_skeleton(cfg: Config) -> Skeleton:
    """Municipalities, actors and their fixed attributes for ``cfg`` (see :func:`build_world`)."""
    w, k = cfg.world, cfg.knowledge
    n_ma, n_tr = w.partnerships_morocco, w.partnerships_turkey
    P = n_ma + n_tr
    un, us = w.unpartnered_north, w.unpartnered_south
    muni_country = np.concatenate([
        np.zeros(P, np.int8), np.ones(n_ma, np.int8), np.full(n_tr, 2, np.int8),
        np.zeros(un, np.int8), np.ones(us, np.int8), np.full(us, 2, np.int8)])
    M = len(muni_country)
    muni_partnership = np.full(M, -1, np.int32)
    muni_partnership[:P] = np.arange(P)
    muni_partnership[P:2 * P] = np.arange(P)
    p_north = np.arange(P, dtype=np.int32)
    p_south = np.arange(P, 2 * P, dtype=np.int32)
    south_muni = muni_country > 0

    S, C, Mc = w.staff_per_municipality, w.csos_per_municipality, w.migrants_per_city
    n_staff, n_cso, n_mig = M * S, M * C, P * Mc
    n_nat = 6  # higher government + knowledge institution for each of 3 countries
    A = n_staff + n_cso + n_mig + n_nat
    kind = np.concatenate([np.full(n_staff, Kind.STAFF), np.full(n_cso, Kind.CSO), np.full(n_mig, Kind.MIGRANT),
                           np.array([Kind.HIGHER_GOVERNMENT] * 3 + [Kind.KNOWLEDGE_INSTITUTION] * 3)]).astype(np.int8)
    city = np.concatenate([np.repeat(np.arange(M), S), np.repeat(np.arange(M), C),
                           np.repeat(p_north, Mc), np.full(n_nat, -1)]).astype(np.int32)
    country = np.concatenate([muni_country[city[:n_staff + n_cso + n_mig]],
                              np.array([0, 1, 2, 0, 1, 2])]).astype(np.int8)
    partnership = np.where(city >= 0, muni_partnership[np.maximum(city, 0)], -1).astype(np.int32)

    # starting knowledge profiles by actor type and side
    D = len(DOMAINS)
    base = np.empty((A, D))
    north = country == 0
    for kd, prof_n, prof_s in ((Kind.STAFF, k.staff_north, k.staff_south), (Kind.CSO, k.cso_north, k.cso_south),
                               (Kind.MIGRANT, k.migrant, k.migrant),
                               (Kind.HIGHER_GOVERNMENT, k.national_north, k.national_south),
                               (Kind.KNOWLEDGE_INSTITUTION, k.national_north, k.national_south)):
        sel = kind == kd
        base[sel & north] = _profile_array(prof_n)
        base[sel & ~north] = _profile_array(prof_s)
    mu = cfg.municipality
    openness = np.full(A, k.openness_other)
    staff = kind == Kind.STAFF
    openness[staff] = np.where(north[staff], mu.openness_north, mu.openness_south)
    proactivity = np.where(south_muni, mu.proactivity_south, mu.proactivity_north).astype(np.float64)
    obj_n = _profile_array(mu.objectives_north)
    obj_s = _profile_array(mu.objectives_south)
    objectives = np.where(south_muni[:, None], obj_s / obj_s.sum(), obj_n / max(obj_n.sum(), 1e-12))
    fixed = {}
    types = TIE_TYPES_BY_MODEL[cfg.network.model]
    if TieType.TRANSNATIONAL in types and P and C:  # CSOs of partner cities, every pair
        a = (n_staff + p_north[:, None] * C + np.arange(C))[:, :, None]
        b = (n_staff + p_south[:, None] * C + np.arange(C))[:, None, :]
        aa, bb = np.broadcast_arrays(a, b)
        fixed["cso_pairs"] = (aa.ravel(), bb.ravel(), TieType.TRANSNATIONAL, np.repeat(np.arange(P), C * C))
    elif TieType.TRANSNATIONAL in types:
        fixed["cso_pairs"] = (np.zeros(0), np.zeros(0), TieType.TRANSNATIONAL, -1)
    if TieType.MULTILEVEL in types:
        nat = n_staff + M * C + P * Mc
        fixed["national"] = (np.concatenate([nat + np.arange(3), np.full(2, nat)]),
                             np.concatenate([nat + 3 + np.arange(3), nat + np.array([1, 2])]), TieType.MULTILEVEL, -1)
    return Skeleton(M=M, P=P, S=S, C=C, Mc=Mc, A=A, muni_country=muni_country, muni_partnership=muni_partnership,
                    p_north=p_north, p_south=p_south, kind=kind, city=city, country=country, partnership=partnership,
                    base=base, openness=openness, proactivity=proactivity, objectives=objectives,
                    cso_north=np.repeat(muni_country == 0, C), fixed_ties=fixed)


def build_world(cfg: Config, rng: np.random.Generator, skeleton: Skeleton | None = None) -> World:
    """Create municipalities, actors and ties for ``cfg`` using only ``rng``.

    Municipality order: the North side of each partnership, the South side of each
    partnership (Moroccan ones first), then the unpartnered Dutch, Moroccan and
    Turkish municipalities. Actor order: all staff, then CSOs, then migrants, then
    one higher-government body and one knowledge institution per country.
    ``skeleton`` (:func:`world_skeleton` of the same ``cfg``) saves recomputing
    the parts that do not depend on chance. The same as :func:`build_worlds` with one generator.
    """
    return build_worlds(cfg, [rng], skeleton)


def build_worlds(cfg: Config, rngs: list[np.random.Generator], skeleton: Skeleton | None = None) -> World:
    """One world per generator, stacked as :func:`stack_worlds` lays them out (equal to stacking the
    :func:`build_world` of each generator, and much faster for many replications).

    Each replication draws from its own generator exactly what it would draw alone
    (:func:`_draw_replication`); the worlds are then put together for all replications at once.
    """
    sk = skeleton if skeleton is not None else world_skeleton(cfg)
    R = len(rngs)
    M, P, S, C, Mc, A = sk.M, sk.P, sk.S, sk.C, sk.Mc, sk.A
    n_staff, n_cso, n_mig = M * S, M * C, P * Mc
    mig_start = n_staff + n_cso
    D = sk.base.shape[1]
    draws = [_draw_replication(cfg, g, sk) for g in rngs]

    def stacked(name: str) -> np.ndarray:
        return np.stack([d[name] for d in draws])

    # starting values are kept in float32 (state size); the live values start exactly at them
    explicit0 = np.clip(sk.base + stacked("heterogeneity"), 0.0, 1.0).astype(np.float32)  # (R, A, D)
    tacit0 = np.clip(explicit0 * np.float32(cfg.knowledge.tacit_ratio), 0.0, 1.0).astype(np.float32)
    # institutional memory starts at what the organisation's staff know in common (their mean)
    memory = explicit0[:, :n_staff].astype(np.float64).reshape(R, M, S, D).mean(axis=2).reshape(R * M, D)
    # migrants: some employed by the municipality; the involved are drawn employed-first (as found in the field)
    employed = np.zeros((R, A), bool)
    involved = np.ones((R, A), bool)
    if n_mig:
        mig_emp = stacked("employed")  # (R, P, Mc)
        rank = (stacked("priority") - mig_emp).argsort(axis=2).argsort(axis=2)  # employed first, then at random
        can = mig_emp if cfg.network.model == "classic" else np.ones_like(mig_emp)
        employed[:, mig_start:mig_start + n_mig] = mig_emp.reshape(R, n_mig)
        # the first world.large_communities Dutch-Moroccan partnerships (a large community from the partner
        # city at home, as Zeist's with Berkane) start with migrants.community_involvement of their migrants
        share = np.full(len(sk.p_north), cfg.migrants.involvement)
        share[:min(cfg.world.large_communities, cfg.world.partnerships_morocco)] = cfg.migrants.community_involvement
        n_inv = np.rint(share * Mc).astype(np.int64)[None, :, None]  # (1, P, 1)
        involved[:, mig_start:mig_start + n_mig] = ((rank < n_inv) & can).reshape(R, n_mig)
    migrant_org = np.zeros((R, A), bool)
    if n_cso:
        migrant_org[:, n_staff:mig_start] = stacked("migrant_org")

    bounds = np.array([0, n_staff, mig_start, mig_start + n_mig, A])
    newrow = _stacked_rows(bounds, R)

    def actors(x: np.ndarray) -> np.ndarray:  # (R, A, ...) -> stacked rows
        return np.concatenate([x[:, lo:hi].reshape((-1,) + x.shape[2:]) for lo, hi in zip(bounds[:-1], bounds[1:])])

    def shift(x: np.ndarray, by: int) -> np.ndarray:  # indices >= 0 move by replication * by
        return np.where(x >= 0, x + by * np.arange(R).reshape((R,) + (1,) * (x.ndim - 1)), x)

    rep, src_local, dst_local, ttype, tpart, is_contact, tprog = _ties(cfg, sk, draws,
                                                                       employed[:, mig_start:mig_start + n_mig])
    order = np.argsort(rep, kind="stable")  # replication by replication, each in the order of build
    rep, ttype, is_contact, tprog = rep[order], ttype[order], is_contact[order], tprog[order]
    src = newrow[rep, src_local[order]].astype(np.int32)
    dst = newrow[rep, dst_local[order]].astype(np.int32)
    tpart = np.where(tpart[order] >= 0, tpart[order] + rep * P, -1).astype(np.int32)
    T = len(src)
    tie_ptr = np.concatenate([[0], np.cumsum(np.bincount(rep, minlength=R))]).astype(np.int64)
    kind = actors(np.broadcast_to(sk.kind, (R, A)))
    country = actors(np.broadcast_to(sk.country, (R, A)))
    # each CSO's local tie to its contact person in the municipality (legitimacy and support)
    cso_tie = np.full(R * A, -1, np.int32)
    contact = np.flatnonzero(is_contact)
    cso_tie[dst[contact]] = contact
    trust0 = initial_trust(ttype, cfg.trust.initial, cfg.trust.initial_local)
    k = cfg.knowledge
    distance = np.where(country[src] != country[dst], k.distance_north_south, k.distance_within).astype(np.float64)
    explicit0, tacit0 = actors(explicit0), actors(tacit0)
    n_cso_all = R * n_cso
    return World(
        kind=kind, country=country, city=actors(shift(np.broadcast_to(sk.city, (R, A)), M)).astype(np.int32),
        partnership=actors(shift(np.broadcast_to(sk.partnership, (R, A)), P)).astype(np.int32),
        explicit=explicit0.astype(np.float64), tacit=tacit0.astype(np.float64), explicit0=explicit0, tacit0=tacit0,
        openness=actors(np.broadcast_to(sk.openness, (R, A))), participated=np.zeros(R * A, bool),
        involved=actors(involved), employed=actors(employed), migrant_org=actors(migrant_org),
        muni_country=np.tile(sk.muni_country, R), muni_partnership=shift(np.broadcast_to(sk.muni_partnership, (R, M)),
                                                                          P).ravel().astype(np.int32),
        memory=memory, memory0=memory.copy(), proactivity=np.tile(sk.proactivity, R),
        objectives=np.tile(sk.objectives, (R, 1)), adopted=np.zeros(memory.shape, bool),
        adoption_month=np.full(memory.shape, -1, np.int32),
        p_north=(sk.p_north[None, :] + M * np.arange(R)[:, None]).ravel().astype(np.int32),
        p_south=(sk.p_south[None, :] + M * np.arange(R)[:, None]).ravel().astype(np.int32),
        alive=np.ones(R * P, bool), last_exchange=np.zeros(R * P, np.int32), familiarity=np.zeros(R * P),
        support=np.full(R * P, float(cfg.partnership.support_initial)),
        src=src, dst=dst, tie_type=ttype, tie_partnership=tpart, tie_programme=tprog, trust=trust0,
        last_contact=np.full(T, NEVER, np.int32), distance=distance,
        momentum=np.zeros(n_cso_all), initiative_start=np.full(n_cso_all, -1, np.int32),
        cooldown_until=np.zeros(n_cso_all, np.int32),
        staff_per_muni=S, n_munis=R * M, migrant_start=R * mig_start, migrants_per_city=Mc,
        cso_start=R * n_staff, csos_per_muni=C, cso_local_tie=cso_tie,
        n_reps=R, rep=actors(np.broadcast_to(np.arange(R, dtype=np.int32)[:, None], (R, A))),
        muni_rep=np.repeat(np.arange(R), M).astype(np.int32), p_rep=np.repeat(np.arange(R), P).astype(np.int32),
        tie_rep=rep.astype(np.int32), tie_ptr=tie_ptr,
    )


def _stacked_rows(bounds: np.ndarray, R: int) -> np.ndarray:
    """(R, A): the row in a stack of ``R`` replications of each replication's actor row. Sections (staff,
    CSOs, migrants, national bodies: ``bounds``) stay together, replication by replication within each:
    section start * R + replication * section size + offset."""
    A = bounds[-1]
    sec = np.searchsorted(bounds[1:], np.arange(A), side="right")
    return bounds[sec][None, :] * R + np.arange(R)[:, None] * np.diff(bounds)[sec][None, :] + \
        (np.arange(A) - bounds[sec])[None, :]


def _draw_replication(cfg: Config, rng: np.random.Generator, sk: Skeleton) -> dict[str, np.ndarray]:
    """Everything random about one replication's world, drawn from ``rng`` in a fixed order: individual
    heterogeneity of knowledge; which migrants are employed and their order of involvement; which Dutch
    CSOs are migrant organisations; then the ties of the network model (see :func:`_ties`)."""
    w, net = cfg.world, cfg.network
    M, P, S, C, Mc, A = sk.M, sk.P, sk.S, sk.C, sk.Mc, sk.A
    n_cso = M * C
    out = {"heterogeneity": rng.normal(0.0, cfg.knowledge.heterogeneity, (A, len(DOMAINS)))}
    if P * Mc:
        out["employed"] = rng.random((P, Mc)) < cfg.migrants.employed_share
        out["priority"] = rng.random((P, Mc))
    if n_cso:
        out["migrant_org"] = sk.cso_north & (rng.random(n_cso) < w.migrant_org_share)
    types = TIE_TYPES_BY_MODEL[net.model]
    if P:  # partnership ties: each staff pair tied with probability partnership_density
        out["partner"] = rng.random((P, S, S)) < net.partnership_density
    if C:  # each CSO's contact person among its municipality's staff
        out["contact"] = rng.integers(0, S, M * C)
    if TieType.TRANSNATIONAL in types:
        if Mc:
            out["home_staff"] = rng.integers(0, S, P * Mc)
            if C:
                out["origin_cso"] = rng.integers(0, C, P * Mc)
                orgs = out["migrant_org"].reshape(M, C)[sk.p_north]  # (P, C) the Dutch city's migrant organisations
                picks = []
                for p in range(P):
                    idx = np.flatnonzero(orgs[p])
                    if len(idx):  # each migrant joins one of them (= rng.choice(idx, Mc))
                        picks.append((p, idx[rng.integers(0, len(idx), Mc)]))
                out["org_pick"] = picks
            out["origin_staff"] = rng.integers(0, S, P * Mc)
    elif Mc:  # classic model: the migrants employed by the municipality, each with a colleague
        out["colleague"] = rng.integers(0, S, int(out["employed"].sum()) if P else 0)
    if TieType.MULTILEVEL in types:
        k = min(net.multilevel_contacts, S)
        if k:
            out["multilevel_keys"] = rng.random((M, S))
        out["knowledge_contact"] = rng.integers(0, S, M)
    return out


def _ties(cfg: Config, sk: Skeleton, draws: list[dict], employed: np.ndarray) -> tuple[np.ndarray, ...]:
    """The tie lists of all replications (network model: :data:`TIE_TYPES_BY_MODEL`), from their draws.

    Returns per tie: replication, source and destination rows within the replication, type,
    partnership within the replication (-1 if none), and whether it is a CSO's contact tie; grouped by
    kind of tie (in this order), each group replication by replication. ``employed``: (R, P * Mc), which
    migrants the municipality employs.
    """
    R = len(draws)
    types = TIE_TYPES_BY_MODEL[cfg.network.model]
    M, P, S, C, Mc = sk.M, sk.P, sk.S, sk.C, sk.Mc
    n_staff = M * S
    mig_start = n_staff + M * C
    p_north, p_south = sk.p_north, sk.p_south
    parts: list[tuple[np.ndarray, ...]] = []

    def add(rep: np.ndarray, s: np.ndarray, d: np.ndarray, t: TieType, p: np.ndarray | int,
            contact: bool = False, programme: int = -1) -> None:
        """One group of ties: arrays of one entry per tie (``p`` may be one number for all); ``programme``:
        the country whose country programme the ties belong to (-1: none)."""
        parts.append((rep, np.ravel(s), np.ravel(d), int(t), p, contact, programme))

    def every(n: int) -> np.ndarray:  # the replication of each tie, n ties per replication
        return np.repeat(np.arange(R), n)

    def tile(x: np.ndarray) -> np.ndarray:  # the same ties in every replication
        return np.tile(np.asarray(x), R)

    def stacked(name: str) -> np.ndarray:
        return np.stack([d[name] for d in draws]).ravel()

    if P:  # partnership ties: a Bernoulli random bipartite graph per partner pair (networkx's bipartite.random_graph)
        r, pp, a, b = np.nonzero(np.stack([d["partner"] for d in draws]))
        add(r, p_north[pp] * S + a, p_south[pp] * S + b, TieType.PARTNERSHIP, pp)
    if C:  # local ties: each CSO has a contact person among its municipality's staff
        cso_city = np.repeat(np.arange(M), C)
        add(every(M * C), tile(cso_city * S) + stacked("contact"), tile(n_staff + np.arange(M * C)), TieType.LOCAL,
            tile(np.where(cso_city < 2 * P, cso_city % max(P, 1), -1)), contact=True)
    mig_rows = mig_start + np.arange(P * Mc)
    mig_p = np.repeat(np.arange(P), Mc)
    if TieType.TRANSNATIONAL in types:
        # migrants: government-citizen tie at home, migrant organisation, and ties to the city of origin
        if Mc:
            n = P * Mc
            add(every(n), tile(p_north[mig_p] * S) + stacked("home_staff"), tile(mig_rows), TieType.LOCAL,
                tile(mig_p))
            if C:
                add(every(n), tile(mig_rows), tile(n_staff + p_south[mig_p] * C) + stacked("origin_cso"),
                    TieType.TRANSNATIONAL, tile(mig_p))
                picks = [(r, p, idx) for r, d in enumerate(draws) for p, idx in d["org_pick"]]
                if picks:
                    add(np.repeat([r for r, _, _ in picks], Mc),
                        np.concatenate([mig_rows[p * Mc:(p + 1) * Mc] for _, p, _ in picks]),
                        np.concatenate([n_staff + p_north[p] * C + idx for _, p, idx in picks]), TieType.LOCAL,
                        np.repeat([p for _, p, _ in picks], Mc))
            add(every(n), tile(mig_rows), tile(p_south[mig_p] * S) + stacked("origin_staff"), TieType.TRANSNATIONAL,
                tile(mig_p))
        s, d, t, p = sk.fixed_ties["cso_pairs"]  # CSOs of partner cities
        add(every(len(s)), tile(s), tile(d), t, tile(p) if np.ndim(p) else p)
    elif Mc:  # classic model: only migrants employed by the municipality are linked, as colleagues
        r, j = np.nonzero(employed)
        colleague = np.concatenate([d["colleague"] for d in draws])
        add(r, p_north[mig_p[j]] * S + colleague, mig_start + j, TieType.LOCAL, mig_p[j])
    if TieType.MULTILEVEL in types:
        nat = n_staff + M * C + P * Mc
        higher = nat + sk.muni_country.astype(np.int64)
        knowinst = nat + 3 + sk.muni_country.astype(np.int64)
        k = min(cfg.network.multilevel_contacts, S)
        if k:  # each municipality's k staff with the smallest keys hold its tie to the higher government
            pos = np.stack([d["multilevel_keys"] for d in draws]).argsort(axis=2)[:, :, :k]  # (R, M, k)
            add(every(M * k), np.arange(M)[None, :, None] * S + pos, tile(np.repeat(higher, k)), TieType.MULTILEVEL,
                -1)
        add(every(M), tile(np.arange(M) * S) + stacked("knowledge_contact"), tile(knowinst), TieType.MULTILEVEL, -1)
        s, d, t, _ = sk.fixed_ties["national"]  # higher government and knowledge institutions in each country
        keep = (sk.country[s] == sk.country[d]) | cfg.network.national_ties  # associations meet only if configured
        add(every(int(keep.sum())), tile(s[keep]), tile(d[keep]), t, -1)
        for c in (1, 2):  # country programmes (7.15): ties that carry contacts only while the programme runs
            partnered = np.flatnonzero((sk.muni_country == c) & (sk.muni_partnership >= 0))
            others = np.flatnonzero((sk.muni_country == c) & (sk.muni_partnership < 0))
            i, j = np.triu_indices(len(partnered), 1)
            a, b = np.meshgrid(others, partnered, indexing="ij")
            src_m = np.concatenate([partnered[i], np.full(len(partnered), -1), a.ravel()])
            dst_m = np.concatenate([partnered[j], partnered, b.ravel()])
            if len(dst_m):  # the international officers (staff 0); -1: the country's association (higher government)
                add(every(len(dst_m)), tile(np.where(src_m >= 0, src_m * S, nat + c)), tile(dst_m * S),
                    TieType.MULTILEVEL, -1, programme=c)
    if not parts:
        z = np.zeros(0, np.int64)
        return z, z, z, z.astype(np.int8), z, z.astype(bool), z.astype(np.int8)
    sizes = [len(part[0]) for part in parts]
    column = lambda i: np.concatenate([part[i] for part in parts])
    return (column(0), column(1).astype(np.int64), column(2).astype(np.int64),
            np.repeat(np.array([part[3] for part in parts], np.int8), sizes),
            np.concatenate([np.ravel(part[4]) if np.ndim(part[4]) else np.full(n, part[4])
                            for part, n in zip(parts, sizes)]),
            np.repeat(np.array([part[5] for part in parts]), sizes),
            np.repeat(np.array([part[6] for part in parts], np.int8), sizes))


def stack_worlds(worlds: list[World]) -> World:
    """Stack independent replications of one configuration into one world.

    Rows keep the section layout (all staff, then all CSOs, migrants, national
    bodies), replication by replication within each section, so the staff of
    global municipality ``g = r * M + m`` are still rows ``g * S:(g + 1) * S``.
    Ties are concatenated replication by replication. Rules see one big world
    whose parts never touch; a replication's results do not depend on which
    others share its batch.
    """
    if len(worlds) == 1:
        return worlds[0]
    R, w0 = len(worlds), worlds[0]
    A, M, P = w0.n_actors, w0.n_munis, w0.n_partnerships
    S, C, Mc = w0.staff_per_muni, w0.csos_per_muni, w0.migrants_per_city
    bounds = np.array([0, M * S, M * S + M * C, M * S + M * C + P * Mc, A])
    newrow = _stacked_rows(bounds, R)
    order = np.argsort(newrow.ravel(), kind="stable")  # stacked position -> (r, i) flat index

    def actors(name: str) -> np.ndarray:
        return np.concatenate([getattr(w, name) for w in worlds])[order]

    def shift(x: np.ndarray, by: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, x + by, x)

    rows_r = np.repeat(np.arange(R), A)[order]
    city = shift(actors("city"), (rows_r * M).astype(np.int32))
    partnership = shift(actors("partnership"), (rows_r * P).astype(np.int32))
    T = np.array([len(w.src) for w in worlds])
    tie_off = np.concatenate([[0], np.cumsum(T)])
    tie_r = np.repeat(np.arange(R), T)
    remap = newrow.ravel()
    src = remap[np.concatenate([w.src + r * A for r, w in enumerate(worlds)])].astype(np.int32)
    dst = remap[np.concatenate([w.dst + r * A for r, w in enumerate(worlds)])].astype(np.int32)
    cso_tie = shift(actors("cso_local_tie"), tie_off[rows_r]).astype(np.int32)
    cat = lambda name: np.concatenate([getattr(w, name) for w in worlds])
    arrays = {name: actors(name) for name in (
        "kind", "country", "explicit", "tacit", "explicit0", "tacit0", "openness", "participated", "involved",
        "employed", "migrant_org")}
    arrays.update({name: cat(name) for name in (
        "muni_country", "memory", "memory0", "proactivity", "objectives", "adopted", "adoption_month", "alive",
        "last_exchange", "familiarity", "support", "tie_type", "tie_programme", "trust", "last_contact", "distance",
        "momentum", "initiative_start", "cooldown_until")})  # per-CSO arrays: replication-major like the section
    return World(
        **arrays, city=city, partnership=partnership,
        muni_partnership=shift(cat("muni_partnership"), np.repeat(np.arange(R) * P, M).astype(np.int32)),
        p_north=cat("p_north") + np.repeat(np.arange(R) * M, P).astype(np.int32),
        p_south=cat("p_south") + np.repeat(np.arange(R) * M, P).astype(np.int32),
        src=src, dst=dst, tie_partnership=shift(cat("tie_partnership"), (tie_r * P).astype(np.int32)),
        staff_per_muni=S, n_munis=R * M, migrant_start=R * bounds[2], migrants_per_city=Mc,
        cso_start=R * bounds[1], csos_per_muni=C, cso_local_tie=cso_tie,
        n_reps=R, rep=rows_r.astype(np.int32), muni_rep=np.repeat(np.arange(R), M).astype(np.int32),
        p_rep=np.repeat(np.arange(R), P).astype(np.int32), tie_rep=tie_r.astype(np.int32), tie_ptr=tie_off,
    )


def to_networkx(world: World) -> nx.Graph:
    """The current tie network as a networkx graph (nodes carry kind/country/city, edges type/trust)."""
    import networkx as nx

    g = nx.Graph()
    for i in range(world.n_actors):
        g.add_node(i, kind=Kind(world.kind[i]).name, country=Country(world.country[i]).name,
                   city=int(world.city[i]), involved=bool(world.involved[i]))
    for e in range(len(world.src)):
        g.add_edge(int(world.src[e]), int(world.dst[e]), type=TieType(world.tie_type[e]).name,
                   trust=float(world.trust[e]))
    return g
