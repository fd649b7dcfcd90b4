"""The hot rules twice: an idiomatic Mesa reference and the array engine, on one synthetic population.

This module (outside the installed package: it is the check, not the model) is
the correctness oracle and the speed baseline. It builds a *hot-rules kernel*:
the rules that cost the model its time each month, on a synthetic population
that both implementations share:

* ``N`` agents in organisations of ``org_size`` (10: a municipality's staff),
  organisations alternating between two countries (North, South);
* an undirected random network (G(n, m): ``mean_degree * N / 2`` distinct ties,
  mean degree 6) with cultural distance 0.1 within a country and 0.5 across it
  (knowledge config defaults); ties within a country are face to face (tacit
  knowledge can move), ties across countries are remote;
* ``D = 6`` knowledge domains, explicit knowledge drawn around the staff
  profiles of :mod:`c2c_sim.config` (tacit = 0.8 x explicit), trust 0.5 on
  ties within a country and 0.2 across (the trust config defaults).

One step (a month) of the kernel, on both sides:

1. **contacts**: each agent reaches out on each of its ties with probability
   ``p_contact``. Both ends of a tie draw, so a tie gets 0, 1 or 2 contacts in
   a step (Binomial(2, p)); a contact is undirected (both ends learn).
2. **knowledge transfer** (Rule 2, :func:`c2c_sim.rules.transfer_knowledge`):
   every contact moves explicit knowledge both ways, and tacit knowledge on face
   to face ties, using the trust and knowledge the step started with.
3. **trust** (Rule 4, :func:`c2c_sim.rules.update_trust`): each contact closes a
   share ``growth * (1 - distance)`` of the missing trust; a tie without contact
   loses ``decay`` of its trust, unless its ends have never met (it keeps its
   initial trust). Two contacts on a tie count twice.
4. **forgetting** (SKIN, :func:`c2c_sim.rules.forget_unused`): agents without
   contact lose ``forget_rate`` of their gains over their starting level.
5. **internal dissemination** (Rule 5, :func:`c2c_sim.rules.disseminate_internally`):
   within each organisation, colleagues without contact this step close
   ``internal_rate`` of the gap to the mean gain of colleagues with contact;
   the organisation's memory takes up what its staff know beyond it; staff
   are socialised toward the memory. (In the engine the sharers are sticky:
   staff who ever took part in an exchange, or hold multilevel ties; here they
   are the staff who had a contact this step, so the colleague-sharing branch
   keeps being exercised.)

**Activation: synchronous.** In both implementations every agent reads the
state the step started with (knowledge and trust), and all updates are applied
together at the end of each phase: this is the order the engine
(:class:`c2c_sim.engine.Engine`, behind :class:`c2c_sim.model.C2CModel`) uses:
all transfers of a month read the knowledge and trust the month started with. The Mesa reference does it the
Mesa way, with a staged ``step`` and a committing ``advance`` (Mesa's
"simultaneous activation"). ``ReferenceModel(synchronous=False)`` instead lets
agents update one after another in random order, each committing at once (so
later agents read earlier agents' new knowledge and trust); that choice shifts
the trajectories a little (more learning per step) and the benchmark reports by
how much.

The two sides share the population (built by :func:`make_population` from a
seed) but not their random streams: :class:`VectorKernel` draws contacts with
numpy, :class:`ReferenceModel` with the Mesa model's ``random.Random``; the
draws have the same distribution, so over seeds the mean trajectories agree
(:func:`compare`). Fed the same contacts (``apply(tie)`` on both sides) they
agree to rounding. :class:`VectorKernel` calls the model's own compiled rules
(:mod:`c2c_sim.rules`, the functions a run calls), so the oracle checks the code
that runs; ``benchmarks/bench.py`` times it against the reference.

Not covered here (not hot, or not in this kernel): exchange planning, routine
contact rates per tie type, donor-mode direction weights, migrant facilitation
(bridged distance and trust boost), per-partnership agendas, turnover.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from functools import cached_property

import mesa
import numpy as np
from numba import njit

from c2c_sim import rules
from c2c_sim.compiled import Direct, borrow
from c2c_sim.config import DOMAINS, Config
from c2c_sim.rules import Contacts
from c2c_sim.state import (
    CHANNELS,
    LOCAL_CH,
    Knowledge,
    Learners,
    Ledger,
    StaffWork,
    Ties,
    TransferWork,
    TrustWork,
    general_plan,
    params_from_config,
)
from c2c_sim.world import NEVER

OUTCOMES = ("explicit", "tacit", "trust", "memory")
"""Per-step outcomes recorded by both implementations (population means)."""


# ---------------------------------------------------------------- shared setup
@dataclass(frozen=True)
class KernelParams:
    """Rule parameters of the kernel: the defaults of :class:`c2c_sim.config.Config` plus the contact rate."""

    p_contact: float = 0.1
    explicit_rate: float = 0.3
    tacit_rate: float = 0.15
    absorptive_base: float = 0.3
    bounded_gap: float = 1.0
    tacit_exponent: float = 2.0
    growth: float = 0.2
    decay: float = 0.02
    forget_rate: float = 0.02
    internal_rate: float = 0.1
    institutionalisation_rate: float = 0.05

    @classmethod
    def from_config(cls, cfg: Config | None = None, p_contact: float = 0.1) -> KernelParams:
        cfg = cfg or Config()
        k, t, d = cfg.knowledge, cfg.trust, cfg.dissemination
        return cls(p_contact=p_contact, explicit_rate=k.explicit_rate, tacit_rate=k.tacit_rate,
                   absorptive_base=k.absorptive_base, bounded_gap=k.bounded_gap, tacit_exponent=t.tacit_exponent,
                   growth=t.growth, decay=t.decay, forget_rate=k.forget_rate, internal_rate=d.internal_rate,
                   institutionalisation_rate=d.institutionalisation_rate)


@dataclass
class Population:
    """The synthetic population both implementations start from (arrays; ``N`` agents, ``E`` ties)."""

    org_size: int
    country: np.ndarray  # (N,) int8: 0 North, 1 South (by organisation)
    openness: np.ndarray  # (N,) float64
    explicit0: np.ndarray  # (N, D) float64
    tacit0: np.ndarray  # (N, D) float64
    src: np.ndarray  # (E,) int32
    dst: np.ndarray  # (E,) int32
    trust0: np.ndarray  # (E,) float64
    distance: np.ndarray  # (E,) float64
    f2f: np.ndarray  # (E,) bool
    agenda: np.ndarray  # (D,) exchange agenda weights (mean 1), the same for every contact
    params: KernelParams = field(default_factory=KernelParams)

    @property
    def n(self) -> int:
        return len(self.country)

    @property
    def n_orgs(self) -> int:
        return self.n // self.org_size

    @property
    def n_ties(self) -> int:
        return len(self.src)

    @property
    def n_domains(self) -> int:
        return self.explicit0.shape[1]

    @cached_property
    def memory0(self) -> np.ndarray:
        """Each organisation's starting memory: its staff's mean explicit knowledge (as in the model)."""
        return self.explicit0.reshape(self.n_orgs, self.org_size, -1).mean(axis=1)


def random_ties(rng: np.random.Generator, n: int, n_ties: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_ties`` distinct undirected ties among ``n`` nodes, uniformly (G(n, m)), as (src, dst) with src < dst."""
    if n_ties > n * (n - 1) // 2:
        raise ValueError(f"{n_ties} ties do not fit among {n} nodes")
    keys = np.zeros(0, np.int64)
    while len(keys) < n_ties:
        k = n_ties - len(keys)
        a = rng.integers(0, n, 2 * k + 16)
        b = rng.integers(0, n, 2 * k + 16)
        ok = a != b
        lo, hi = np.minimum(a[ok], b[ok]), np.maximum(a[ok], b[ok])
        new = lo.astype(np.int64) * n + hi
        new = new[np.sort(np.unique(new, return_index=True)[1])]  # first occurrences, in draw order
        new = new[~np.isin(new, keys)][:k]
        keys = np.concatenate([keys, new])
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)


def make_population(n: int, seed: int, *, org_size: int = 10, mean_degree: float = 6.0,
                    params: KernelParams | None = None, cfg: Config | None = None) -> Population:
    """The synthetic population of the hot-rules kernel (see the module docstring); ``n`` a multiple of ``org_size``."""
    if n % org_size:
        raise ValueError(f"n={n} must be a multiple of org_size={org_size}")
    cfg = cfg or Config()
    k = cfg.knowledge
    rng = np.random.default_rng(seed)
    D = len(DOMAINS)
    country = ((np.arange(n) // org_size) % 2).astype(np.int8)
    north = country == 0
    prof = np.array([[k.staff_north[d] for d in DOMAINS], [k.staff_south[d] for d in DOMAINS]])
    explicit0 = np.clip(prof[country] + rng.normal(0.0, k.heterogeneity, (n, D)), 0.0, 1.0)
    tacit0 = np.clip(explicit0 * k.tacit_ratio, 0.0, 1.0)
    openness = np.where(north, cfg.municipality.openness_north, cfg.municipality.openness_south)
    src, dst = random_ties(rng, n, int(round(mean_degree * n / 2)))
    same = country[src] == country[dst]
    trust0 = np.where(same, cfg.trust.initial_local, cfg.trust.initial)
    distance = np.where(same, k.distance_within, k.distance_north_south)
    obj_n = np.array([[cfg.municipality.objectives_north[d] for d in DOMAINS]])
    obj_s = np.array([[cfg.municipality.objectives_south[d] for d in DOMAINS]])
    agenda = np.zeros(D)  # the agenda of a programme serving the South's objectives (coherence 0)
    rules.exchange_agenda(params_from_config(cfg), (obj_n / obj_n.sum())[0], (obj_s / obj_s.sum())[0], 0.0, 0.0,
                          np.zeros(D), np.zeros(D), agenda)
    return Population(org_size=org_size, country=country, openness=openness, explicit0=explicit0, tacit0=tacit0,
                      src=src, dst=dst, trust0=trust0.astype(np.float64), distance=distance.astype(np.float64),
                      f2f=same, agenda=agenda, params=params or KernelParams.from_config(cfg))


# ---------------------------------------------------------------- the engine side: the model's compiled rules
@njit(cache=True)
def kernel_step(kn, learners, ties, contacts, n, plan, prm, work, month, memory, memory0):
    """One step of the hot-rules kernel through the model's rules, in the engine's order: transfer
    (Rules 2, 3), forgetting (SKIN), trust (Rule 4), internal dissemination with the staff who had a
    contact as sharers (Rule 5). ``work``: (TransferWork, TrustWork, StaffWork, sharer, leave, forgets,
    ledger); every agent is on a side, so the rules book every change, as for the model's organisations."""
    kn, ties, work = borrow(kn), borrow(ties), borrow(work)
    transfer_work, trust_work, staff_work, sharer, leave, forgets, ledger = work
    N = kn.explicit.shape[0]
    rules.transfer_knowledge(kn, learners, ties, contacts, n, 0, plan, prm, transfer_work, ledger, 0)
    for a in range(N):
        sharer[a] = transfer_work.used[a]
    rules.forget_unused(kn, forgets, transfer_work.used, learners.group, 0, N, prm, ledger.book, 0)
    rules.update_trust(ties, contacts, n, 0, ties.trust.shape[0], month, prm, trust_work, plan.closeness)
    rules.disseminate_internally(kn, memory, memory0, sharer, leave, learners.group,
                                 np.zeros(memory.shape[0], np.bool_), 0, memory.shape[0], prm,
                                 staff_work, ledger.book, 0)


class VectorKernel:
    """The hot rules on arrays: the model's own compiled rules (:mod:`c2c_sim.rules`) driven on the
    population (:func:`kernel_step`), as the engine drives them on a world.

    Synchronous, as in the engine: each rule reads the state the step started with. Contacts are drawn
    per tie end; a tie contacted from both ends has two contacts that month (trust grows twice).
    """

    def __init__(self, pop: Population, seed=None) -> None:
        self.pop = pop
        p = self.p = pop.params
        self.rng = np.random.default_rng(seed)
        N, D, E, S = pop.n, pop.n_domains, pop.n_ties, pop.org_size
        self.explicit = pop.explicit0.copy()
        self.tacit = pop.tacit0.copy()
        self.memory = pop.memory0.copy()
        self.trust = pop.trust0.copy()
        self._last_contact = np.full(E, NEVER, np.int32)
        self.steps = 0
        self._kn = Knowledge(self.explicit, self.tacit, pop.explicit0, pop.tacit0)
        self._north = pop.country == 0
        self._ties = Ties(src=pop.src.astype(np.int32), dst=pop.dst.astype(np.int32), kind=np.zeros(E, np.int8),
                          partnership=np.full(E, -1, np.int32), trust=self.trust, last_contact=self._last_contact,
                          distance=pop.distance)
        self._plan = general_plan(pop.agenda[None, :])  # the general agenda (context -1), no partnership
        self._prm = params_from_config(Config())._replace(
            explicit_rate=p.explicit_rate, tacit_rate=p.tacit_rate, absorptive_base=p.absorptive_base,
            bounded_gap=p.bounded_gap, tacit_exponent=p.tacit_exponent, growth=p.growth, decay=p.decay,
            forget_rate=p.forget_rate, internal_rate=p.internal_rate,
            institutionalisation_rate=p.institutionalisation_rate, bridge=0.0, bridge_boost=0.0, donor=False,
            monthly_intake=0.0)  # the classic rules: no limit per month
        self._work = (TransferWork(np.zeros((N, D)), np.zeros((N, D)), np.full((N, D), -1.0), np.full((N, D), -1.0),
                                   np.zeros(N, bool), np.zeros(N, np.int64)),
                      TrustWork(np.zeros(E, np.int64), np.zeros(E, bool)),
                      StaffWork(np.zeros((S, D)), np.zeros((S, D)), np.zeros(D), np.zeros(D), np.zeros(D),
                                np.zeros(D)),
                      np.zeros(N, bool), np.zeros(N, bool), np.ones(N, bool),
                      Ledger(book=np.zeros((1, 2, D, len(CHANNELS))), channel=np.full(E, LOCAL_CH, np.int64)))
        self._learners = Learners(pop.openness, self._north, np.where(self._north, 0, 1).astype(np.int8),
                                  np.full(len(self._north), -1, np.int8))  # no fields: no colleague matching
        self._step = Direct(kernel_step)

    @property
    def ever(self) -> np.ndarray:
        """Ties whose ends have met."""
        return self._last_contact > NEVER

    def draw_contacts(self) -> np.ndarray:
        """This step's contacts as tie indices (a tie appears once per end that reached out).

        The ``2E`` tie ends reach out independently with probability ``p``: a
        Bernoulli process, drawn as geometric gaps between successes (the same
        distribution as ``rng.random(2E) < p``, at O(2Ep) draws instead of 2E).
        """
        E, p = self.pop.n_ties, self.p.p_contact
        n = 2 * E
        if p <= 0.0 or n == 0:
            return np.zeros(0, np.int64)
        if p >= 1.0:
            return np.arange(n) % E
        parts, last = [], -1
        while last < n:
            k = int(n * p + 6.0 * np.sqrt(n * p) + 16)
            pos = last + np.cumsum(self.rng.geometric(p, k))
            parts.append(pos)
            last = int(pos[-1])
        pos = np.concatenate(parts)
        return pos[pos < n] % E

    def step(self) -> None:
        self.apply(self.draw_contacts())

    def apply(self, tie: np.ndarray) -> None:
        """One step given its contacts (tie indices, repeated for a tie contacted twice)."""
        tie = np.ascontiguousarray(tie, np.int64)
        n = len(tie)
        contacts = Contacts(tie, np.ascontiguousarray(self.pop.f2f[tie]), np.zeros(n, bool), np.full(n, -1, np.int64))
        self.steps += 1
        self._step(self._kn, self._learners, self._ties, contacts, n, self._plan, self._prm, self._work,
                   self.steps, self.memory, self.pop.memory0)

    def outcomes(self) -> dict[str, float]:
        return {"explicit": float(self.explicit.mean()), "tacit": float(self.tacit.mean()),
                "trust": float(self.trust.mean()), "memory": float(self.memory.mean())}

    def state_nbytes(self) -> int:
        """Bytes of the kernel's state and working arrays (population included)."""
        arrays = [self.explicit, self.tacit, self.memory, self.trust, self._last_contact]
        arrays += [v for v in vars(self.pop).values() if isinstance(v, np.ndarray)]
        return sum(a.nbytes for a in arrays)


# ---------------------------------------------------------------- the reference: idiomatic Mesa
class Tie:
    """An undirected tie shared by its two agents; ``a`` owns it (updates its trust)."""

    __slots__ = ("a", "b", "contacts", "distance", "ever", "f2f", "next_trust", "trust")

    def __init__(self, a: ReferenceAgent, b: ReferenceAgent, trust: float, distance: float, f2f: bool) -> None:
        self.a, self.b = a, b
        self.trust = self.next_trust = trust
        self.distance = distance
        self.f2f = f2f
        self.contacts = 0
        self.ever = False  # the ends have met at least once

    def other(self, agent: ReferenceAgent) -> ReferenceAgent:
        return self.b if agent is self.a else self.a


class ReferenceAgent(mesa.Agent):
    """A staff member who learns over its ties, written the idiomatic Mesa way (Python loops, Python floats).

    Phases of a step (called by :meth:`ReferenceModel.step`): :meth:`reach_out`
    (draw contacts on own ties), :meth:`step` (learn from this step's contacts
    and stage the owned ties' trust, reading only start-of-step state),
    :meth:`advance` (commit). With ``synchronous=False`` the model calls
    :meth:`step` and :meth:`advance` agent by agent.
    """

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, explicit: list[float], tacit: list[float], openness: float) -> None:
        super().__init__(model)
        self.explicit = list(explicit)
        self.tacit = list(tacit)
        self.explicit0 = list(explicit)
        self.tacit0 = list(tacit)
        self.next_explicit = list(explicit)
        self.next_tacit = list(tacit)
        self.openness = openness
        self.ties: list[Tie] = []
        self.contacted = False

    def reach_out(self) -> None:
        """Each of my ties: reach out with probability ``p_contact`` (the other end draws too)."""
        p = self.model.params.p_contact
        rnd = self.model.random.random
        for tie in self.ties:
            if rnd() < p:
                tie.contacts += 1

    def step(self) -> None:
        """Learn from every contact of this step (Rule 2), stage my ties' trust (Rule 4), forget if idle (SKIN)."""
        prm = self.model.params
        agenda = self.model.agenda
        base, bound = prm.absorptive_base, prm.bounded_gap
        D = len(self.explicit)
        own_e, own_t = self.explicit, self.tacit
        inc_e, inc_t = [0.0] * D, [0.0] * D
        best_e, best_t = list(own_e), list(own_t)
        contacted = False
        for tie in self.ties:
            n = tie.contacts
            if tie.a is self:  # the owner updates the tie's trust: each contact closes a share of the missing trust
                trust = tie.trust
                if n:
                    g = min(max(prm.growth * (1.0 - tie.distance), 0.0), 1.0)
                    for _ in range(n):
                        trust += g * (1.0 - trust)
                    tie.ever = True  # only the owner reads it, in this method
                elif tie.ever:
                    trust *= 1.0 - prm.decay
                tie.next_trust = min(max(trust, 0.0), 1.0)
            if not n:
                continue
            contacted = True
            other = tie.other(self)
            close = (1.0 - tie.distance) * self.openness
            levels = [(own_e, other.explicit, inc_e, best_e, prm.explicit_rate * tie.trust * close)]
            if tie.f2f:
                levels.append((own_t, other.tacit, inc_t, best_t,
                               prm.tacit_rate * tie.trust ** prm.tacit_exponent * close))
            for _ in range(n):
                for mine, theirs, inc, best, f in levels:
                    for d in range(D):
                        kr, ks = mine[d], theirs[d]
                        gap = ks - kr
                        if gap <= 0.0 or gap > bound:
                            continue
                        share = f * (base + (1.0 - base) * kr) * agenda[d]
                        inc[d] += gap * (min(1.0, share))
                        best[d] = max(best[d], ks)
        self.contacted = contacted
        keep = 1.0 if contacted else 1.0 - prm.forget_rate
        for mine, inc, best, nxt, zero in ((own_e, inc_e, best_e, self.next_explicit, self.explicit0),
                                           (own_t, inc_t, best_t, self.next_tacit, self.tacit0)):
            for d in range(D):
                v = mine[d] + inc[d]
                v = min(v, best[d])
                nxt[d] = zero[d] + (v - zero[d]) * keep

    def advance(self) -> None:
        """Commit my staged knowledge and my owned ties' trust; clear my ties' contact counts."""
        self.explicit, self.next_explicit = self.next_explicit, self.explicit
        self.tacit, self.next_tacit = self.next_tacit, self.tacit
        for tie in self.ties:
            if tie.a is self:
                tie.trust = tie.next_trust

    def clear_contacts(self) -> None:
        for tie in self.ties:
            tie.contacts = 0


class Organisation(mesa.Agent):
    """A municipality: its staff share what they learned (Rule 5), written the idiomatic Mesa way."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, members: list[ReferenceAgent], memory: list[float]) -> None:
        super().__init__(model)
        self.members = members
        self.memory = list(memory)
        self.memory0 = list(memory)

    def step(self) -> None:
        """Colleagues without contact learn from those with contact; memory takes up; staff are socialised."""
        prm = self.model.params
        rate, inst = prm.internal_rate, prm.institutionalisation_rate
        staff = self.members
        D = len(self.memory)
        gains = [[a.explicit[d] - a.explicit0[d] for d in range(D)] for a in staff]
        tgains = [[a.tacit[d] - a.tacit0[d] for d in range(D)] for a in staff]
        part = [i for i, a in enumerate(staff) if a.contacted]
        if part:
            for g in (gains, tgains):
                mean = [sum(g[i][d] for i in part) / len(part) for d in range(D)]
                for i, a in enumerate(staff):
                    if not a.contacted:
                        for d in range(D):
                            if mean[d] > g[i][d]:
                                g[i][d] += rate * (mean[d] - g[i][d])
        mem_gain = [self.memory[d] - self.memory0[d] for d in range(D)]
        for d in range(D):
            mem_gain[d] += inst * sum(max(0.0, g[d] - mem_gain[d]) for g in gains) / len(staff)
            mem_gain[d] = min(mem_gain[d], 1.0 - self.memory0[d])  # memory stays a level in [0, 1]
            self.memory[d] = self.memory0[d] + mem_gain[d]
        for i, a in enumerate(staff):
            g, tg = gains[i], tgains[i]
            for d in range(D):
                if mem_gain[d] > g[d]:
                    g[d] += rate * (mem_gain[d] - g[d])
                a.explicit[d] = min(a.explicit0[d] + g[d], 1.0)
                a.tacit[d] = min(a.tacit0[d] + tg[d], 1.0)


class ReferenceModel(mesa.Model):
    """The hot-rules kernel as an idiomatic Mesa model: one :class:`ReferenceAgent` per person.

    ``synchronous=True`` (the default, and the engine's semantics): contacts are
    drawn, every agent stages its learning from start-of-step state
    (``shuffle_do("step")``), then all commit (``do("advance")``). With
    ``synchronous=False`` agents learn and commit one after another in random
    order (Mesa's random activation).
    """

    def __init__(self, pop: Population, seed: int | None = None, *, synchronous: bool = True) -> None:
        super().__init__(seed=seed)
        self.params = pop.params
        self.synchronous = synchronous
        self.agenda = pop.agenda.tolist()
        self.people = [ReferenceAgent(self, pop.explicit0[i].tolist(), pop.tacit0[i].tolist(),
                                      float(pop.openness[i])) for i in range(pop.n)]
        self.ties: list[Tie] = []
        for s, d, tr, dist, f in zip(pop.src.tolist(), pop.dst.tolist(), pop.trust0.tolist(),
                                     pop.distance.tolist(), pop.f2f.tolist()):
            tie = Tie(self.people[s], self.people[d], tr, dist, f)
            self.people[s].ties.append(tie)
            self.people[d].ties.append(tie)
            self.ties.append(tie)
        mem0 = pop.memory0
        S = pop.org_size
        self.orgs = [Organisation(self, self.people[m * S:(m + 1) * S], mem0[m].tolist()) for m in range(pop.n_orgs)]
        self.staff = self.agents_by_type[ReferenceAgent]
        self.organisations = self.agents_by_type[Organisation]

    def step(self) -> None:
        self.staff.shuffle_do("reach_out")
        self.apply()

    def apply(self, tie: np.ndarray | None = None) -> None:
        """The rest of a step once contacts are drawn; ``tie`` (tie indices) sets them instead (for exact checks)."""
        if tie is not None:
            for i in np.asarray(tie).tolist():
                self.ties[i].contacts += 1
        if self.synchronous:
            self.staff.shuffle_do("step")
            self.staff.do("advance")
        else:
            for agent in self.staff.shuffle():
                agent.step()
                agent.advance()
        self.staff.do("clear_contacts")
        self.organisations.shuffle_do("step")

    def outcomes(self) -> dict[str, float]:
        n, D = len(self.people), len(self.agenda)
        return {"explicit": sum(sum(a.explicit) for a in self.people) / (n * D),
                "tacit": sum(sum(a.tacit) for a in self.people) / (n * D),
                "trust": sum(t.trust for t in self.ties) / max(len(self.ties), 1),
                "memory": sum(sum(o.memory) for o in self.orgs) / (len(self.orgs) * D)}


# ---------------------------------------------------------------- the oracle
def trajectories(make, seeds: list[int], steps: int) -> dict[str, np.ndarray]:
    """Outcome trajectories (seeds, steps + 1) of ``make(seed)`` models, step 0 included."""
    out = {k: np.zeros((len(seeds), steps + 1)) for k in OUTCOMES}
    for i, s in enumerate(seeds):
        m = make(s)
        for t in range(steps + 1):
            if t:
                m.step()
            for k, v in m.outcomes().items():
                out[k][i, t] = v
    return out


def z_scores(a: dict[str, np.ndarray], b: dict[str, np.ndarray], *, paired: bool = False,
             tol: float = 1e-12) -> dict[str, np.ndarray]:
    """Per outcome and step, z of the difference of the two sides' means over seeds.

    Unpaired (default): Welch's z, ``(mean_a - mean_b) / sqrt(var_a/n + var_b/n)``:
    the between-seed spread includes that of the populations. Paired: seed ``i``
    of both sides starts from the same population, so ``z = mean(d) /
    (sd(d)/sqrt(n))`` with ``d = a_i - b_i`` removes the populations' spread and
    is far sharper. Differences within ``tol`` (rounding: Python's ``sum`` vs
    numpy's pairwise sums) count as 0.
    """
    z = {}
    for k in a:
        x, y = a[k], b[k]
        if paired:
            d = x - y
            d = np.where(np.abs(d) <= tol, 0.0, d)
            diff = d.mean(axis=0)
            se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
        else:
            diff = x.mean(axis=0) - y.mean(axis=0)
            se = np.sqrt(x.var(axis=0, ddof=1) / len(x) + y.var(axis=0, ddof=1) / len(y))
        with np.errstate(divide="ignore", invalid="ignore"):
            z[k] = np.where(np.abs(diff) <= tol, 0.0, diff / se)
    return z


@dataclass
class OracleResult:
    n: int
    steps: int
    seeds: int
    synchronous: bool
    max_abs_z: dict[str, float]  # unpaired (Welch) z, per outcome, max over steps
    worst_step: dict[str, int]
    max_abs_z_paired: dict[str, float]  # paired z (same population per seed), per outcome, max over steps
    final_mean: dict[str, tuple[float, float]]  # outcome -> (engine, reference)
    seconds: float

    @property
    def overall(self) -> float:
        """Max |z| (unpaired) over steps and outcomes."""
        return max(self.max_abs_z.values())

    @property
    def overall_paired(self) -> float:
        return max(self.max_abs_z_paired.values())


def compare(n: int = 200, steps: int = 12, seeds: int = 20, *, synchronous: bool = True, base_seed: int = 1,
            params: KernelParams | None = None, engine=None) -> OracleResult:
    """Engine vs Mesa reference: mean trajectories over ``seeds`` replications, z per step and outcome.

    Replication ``i`` builds the population from seed ``base_seed + i`` and gives
    each side its own stream derived from it. ``engine(pop, seed)`` replaces the
    :class:`VectorKernel` (to check that the oracle catches a faulty engine).
    """
    t0 = time.perf_counter()
    ss = [base_seed + i for i in range(seeds)]

    def pop(s: int) -> Population:
        p = make_population(n, s)
        return p if params is None else replace(p, params=params)

    engine = engine or (lambda p, s: VectorKernel(p, seed=s))
    a = trajectories(lambda s: engine(pop(s), np.random.SeedSequence([s, 1])), ss, steps)
    b = trajectories(lambda s: ReferenceModel(pop(s), seed=s * 7919 + 2, synchronous=synchronous), ss, steps)
    absz = {k: np.abs(v) for k, v in z_scores(a, b).items()}
    absp = {k: np.abs(v) for k, v in z_scores(a, b, paired=True).items()}
    return OracleResult(n=n, steps=steps, seeds=seeds, synchronous=synchronous,
                        max_abs_z={k: float(v.max()) for k, v in absz.items()},
                        worst_step={k: int(v.argmax()) for k, v in absz.items()},
                        max_abs_z_paired={k: float(v.max()) for k, v in absp.items()},
                        final_mean={k: (float(a[k][:, -1].mean()), float(b[k][:, -1].mean())) for k in OUTCOMES},
                        seconds=time.perf_counter() - t0)


def time_steps(model, n_agents: int, *, block_seconds: float = 0.3, repeats: int = 3, max_steps: int = 10**6,
               both: bool = False):
    """Microseconds per agent-step of ``model.step``: the best of ``repeats`` blocks of >= ``block_seconds``.

    One untimed step first (warm-up, numba compilation or cache load). The best
    block rather than the mean: on a shared machine other load only ever adds
    time. ``both=True`` returns (wall clock, process CPU time) per agent-step,
    each the best over the blocks; CPU time is what one core's work costs when
    other processes compete for the cores.
    """
    t0 = time.perf_counter()
    model.step()
    per_step = max(time.perf_counter() - t0, 1e-7)
    steps = int(min(max(1, math.ceil(block_seconds / per_step)), max_steps))
    best_wall = best_cpu = math.inf
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            model.step()
        best_wall = min(best_wall, (time.perf_counter() - t0) / steps)
        best_cpu = min(best_cpu, (time.process_time() - c0) / steps)
    wall, cpu = best_wall / n_agents * 1e6, best_cpu / n_agents * 1e6
    return (wall, cpu) if both else wall


__all__ = [
    "OUTCOMES",
    "KernelParams",
    "OracleResult",
    "Organisation",
    "Population",
    "ReferenceAgent",
    "ReferenceModel",
    "Tie",
    "VectorKernel",
    "compare",
    "make_population",
    "random_ties",
    "time_steps",
    "trajectories",
    "z_scores",
]
