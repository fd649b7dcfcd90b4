"""The engine: steps one or many replications of a configuration as one stacked world.

The order of a month is written out once, in :meth:`Engine.step`::

    1. shocks ............ partnerships terminated when due                 (Rule 1)
    2. outreach .......... uninvolved migrants may be drawn in              (R7)
    3. draws ............. each replication's row of random numbers, of the same length every month
    4. exchanges ......... programme- and own-funded events, delegations    (Rules 1, 3, 9)
    5. routine contacts .. local, transnational, multilevel, remote         (Rule 6)
    6. transfer .......... knowledge moves on all of the month's contacts,
                           then unused individual gains fade                (Rules 2, 3; SKIN)
    7. trust ............. grows on contacted ties, decays elsewhere        (Rule 4)
    8. internal .......... colleagues, institutional memory, turnover       (Rule 5)
    9. initiatives ....... CSO initiatives start, are supported, stall      (Rule 7)
   10. adoption .......... practices adopted past the threshold             (Rule 8)
   11. sustain ........... dormant partnerships end                         (Rule 9)
   12. measure ........... the month's outcomes, per replication

Each replication has its own numpy generator and draws the same numbers
whether it runs alone or in a batch of hundreds: batching changes speed, never
results. Every month a replication takes one row of numbers of fixed length
from its generator (outreach, event counts, routine contacts, turnover,
initiative starts, then volunteer noise; :meth:`Engine.month_draws`);
delegations, facilitators and terminations, whose number varies, come from a
second generator spawned from the first. With numba installed the phases after
the shocks run compiled (:func:`c2c_sim.fast.open_month`,
:func:`c2c_sim.fast.close_month`), which draw the same numbers from the same
generators and compute the same numbers as the numpy rules called below.
:class:`~c2c_sim.model.C2CModel` is the Mesa face of an engine with one
replication.
"""

from __future__ import annotations

import numpy as np

from . import fast, rules
from .config import DOMAINS, Config
from .metrics import Measures
from .world import NEVER, Kind, TieType, build_worlds, initial_trust

POISSON_DIRECT = 30.0
"""Rates above this invert the CDF with scipy (exp(-lam) would underflow near 745)."""


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(``lam``) counts from uniforms ``u`` by inverting the CDF (exact; fast for small rates)."""
    lam = np.asarray(lam, dtype=np.float64)
    big = lam > POISSON_DIRECT
    if big.any():
        from scipy.stats import poisson

        k = np.zeros(len(u), np.int64)
        k[big] = poisson.ppf(u[big], lam[big]).astype(np.int64)
        k[~big] = poisson_from_uniform(u[~big], lam[~big])
        return k
    k = np.zeros(len(u), np.int64)
    p = np.exp(-lam)
    cdf = p.copy()
    todo = u >= cdf
    while todo.any():
        k[todo] += 1
        p = np.where(todo, p * lam / np.maximum(k, 1), p)
        cdf = np.where(todo, cdf + p, cdf)
        todo &= (u >= cdf) & (p > 0)
    return k


class Engine:
    """A batch of independent replications of ``cfg``, one generator each."""

    def __init__(self, cfg: Config, rngs: list[np.random.Generator], compiled: bool | None = None) -> None:
        """``compiled``: use the numba kernels of :mod:`c2c_sim.fast` (default: when numba is available)."""
        self.config = cfg
        self._compiled = fast.enabled() if compiled is None else (compiled and fast.enabled())
        self.rngs = rngs
        self.R = len(rngs)
        self.world = build_worlds(cfg, rngs)
        # numbers whose count varies (delegations, facilitators, terminations) come from a second stream
        self.key_rngs = [g.spawn(1)[0] for g in rngs]
        self.month = 0
        self._precompute()
        R = self.R
        self._counts = np.zeros((2, R))  # initiatives started, stalled (cumulative)
        self._events = np.zeros(R)
        self.counters = {"initiatives_started": self._counts[0], "initiatives_stalled": self._counts[1],
                         "exchange_events": self._events, "programme_budget": np.zeros(R)}
        self.initiative_log: list[tuple[int, int, int]] = []  # (cso row, start month, stall month)
        self._stall_parts: list[np.ndarray] = []  # the compiled path's stalls, (n, 3) per month
        self.metrics: dict[str, np.ndarray] = {}
        if self._compiled:
            self._compiled_setup()
        self.measure()

    # ------------------------------------------------------------------ setup
    def _precompute(self) -> None:
        """Per-tie and per-row constants used every month."""
        w, d = self.world, self.config.dissemination
        kind_src, kind_dst = w.kind[w.src], w.kind[w.dst]
        cso_cso = (w.tie_type == TieType.TRANSNATIONAL) & (kind_src == Kind.CSO) & (kind_dst == Kind.CSO)
        self._is_staff_tie = w.tie_type == TieType.PARTNERSHIP
        self._needs_partnership = self._is_staff_tie | cso_cso
        self._context = np.where(self._needs_partnership, w.tie_partnership, -1)
        self._f2f = w.country[w.src] == w.country[w.dst]
        rate = np.select(
            [w.tie_type == TieType.PARTNERSHIP, w.tie_type == TieType.LOCAL, w.tie_type == TieType.TRANSNATIONAL],
            [d.remote_contact_rate, d.local_contact_rate * d.external_rate, d.transnational_contact_rate],
            d.multilevel_contact_rate * d.external_rate)
        self._contact_rate = np.clip(rate, 0.0, 1.0)
        P = w.n_partnerships
        event = np.flatnonzero(self._needs_partnership)
        order = event[np.argsort(w.tie_partnership[event], kind="stable")]
        self._event_ties = order
        self._event_ptr = np.concatenate([[0], np.cumsum(np.bincount(w.tie_partnership[order], minlength=P))])
        self._ptie = np.flatnonzero(self._is_staff_tie)
        self._ptie_count = np.bincount(w.tie_partnership[self._ptie], minlength=P)
        M, S, C, Mc = w.n_munis, w.staff_per_muni, w.csos_per_muni, w.migrants_per_city
        self._staff = slice(0, M * S)
        self._cso = slice(w.cso_start, w.cso_start + M * C)
        self._mig = slice(w.migrant_start, w.migrant_start + P * Mc)
        self._cso_city = w.city[self._cso]
        self._people = (w.kind == Kind.STAFF) | (w.kind == Kind.CSO) | (w.kind == Kind.MIGRANT)
        self._north = w.country == 0
        self._obj_n = w.objectives[w.p_north]
        self._obj_s = w.objectives[w.p_south]
        self._proactivity_pair = 0.5 * (w.proactivity[w.p_north] + w.proactivity[w.p_south])
        self._transnational = w.tie_type == TieType.TRANSNATIONAL
        # staff holding a multilevel tie span the organisation's boundary: they share what they learn there
        self._can_involve = w.employed[self._mig] if self.config.network.model == "classic" else \
            np.ones(P * Mc, bool)
        self._boundary = np.zeros(M * S, bool)
        ml = w.tie_type == TieType.MULTILEVEL
        for end in (w.src[ml], w.dst[ml]):
            self._boundary[end[end < M * S]] = True
        # per-replication sizes (equal across replications)
        self._n = {"staff": M * S // self.R, "cso": M * C // self.R, "migrant": P * Mc // self.R,
                   "p": P // self.R}
        self._enabled = self._enabled_ties()
        self._measures = Measures(w)
        self._ties_per_p = np.diff(self._event_ptr)
        n = self._n
        self._draw_sizes = (n["migrant"], n["p"], n["staff"], n["cso"])  # and one per tie, after the partnerships

    def _stale_ties(self) -> bool:
        """Whether involvement or live partnerships changed since enabled ties were computed."""
        w = self.world
        return not (np.array_equal(self._seen_alive, w.alive) and np.array_equal(self._seen_involved, w.involved))

    def _enabled_ties(self) -> np.ndarray:
        """Ties whose both ends are engaged and whose partnership (if it needs one) is alive.

        Also caches the enabled ties' indices and their count per replication
        (routine contacts draw one uniform per enabled tie)."""
        w = self.world
        self._seen_alive, self._seen_involved = w.alive.copy(), w.involved.copy()
        alive = np.ones(len(w.src), bool)
        if w.n_partnerships:
            alive = ~self._needs_partnership | w.alive[np.maximum(w.tie_partnership, 0)]
        enabled = w.involved[w.src] & w.involved[w.dst] & alive
        self._candidates = np.flatnonzero(enabled)
        return enabled

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month for every replication, in the order listed in the module docstring."""
        cfg, w = self.config, self.world
        self.month = t = self.month + 1
        self.apply_shocks(t)
        if self._compiled:
            self._step_compiled(t)
            return
        u_out, u_events, u_ties, u_staff, u_cso, noise = self.month_draws()
        if cfg.migrants.outreach > 0 and self._n["migrant"]:
            u = np.where(self._can_involve, u_out, 1.0)  # classic model: only migrants the municipality employs
            w.involved[self._mig] = rules.migrant_outreach(w.involved[self._mig], u, cfg.migrants.outreach)
        if self._stale_ties():
            self._enabled = self._enabled_ties()
        events, per_rep, participants = self.run_exchanges(t, u_events)
        contacts = rules.routine_contacts(u_ties[self._candidates], self._candidates, self._contact_rate, self._f2f,
                                          self._context)
        inter = rules.Interactions.concat(events, contacts)
        self.exchange_knowledge(inter)
        w.participated[participants] = True
        self.build_trust(inter, t)
        self.disseminate(u_staff)
        self.run_initiatives(t, u_cso, noise)
        new = rules.adopt_policies(w.memory - w.memory0, w.adopted, cfg.dissemination.adoption_threshold)
        w.adopted |= new
        w.adoption_month[new] = t
        w.alive = rules.sustain_partnerships(w.alive, w.last_exchange, t, cfg.municipality.dormancy_months)
        if self._stale_ties():  # outcomes see the ties of partnerships that ended this month
            self._enabled = self._enabled_ties()
        self.counters["exchange_events"][:] = per_rep
        self.measure()

    def month_draws(self) -> tuple[np.ndarray, ...]:
        """The month's draws, each array concatenated over replications: uniforms for outreach (one per
        migrant), exchange events (one per partnership), routine contacts (one per tie, used where the tie
        is enabled), turnover (one per staff member) and initiative starts (one per CSO), then the normal
        fluctuation of volunteer input (``cso.momentum_noise`` times one standard normal per CSO).

        Each replication takes one row of these from its own generator every month, in this order and of
        a length that depends only on the world, never on the state (common random numbers across a
        sweep's cells). The compiled path draws the same numbers from the same generators inside
        :func:`c2c_sim.fast.open_month` and :func:`c2c_sim.fast.close_month`."""
        w = self.world
        n_mig, n_p, n_staff, n_cso = self._draw_sizes
        sd = self.config.cso.momentum_noise
        rows = []  # per replication: outreach, events, ties, staff, CSO uniforms, then the noise
        for r, g in enumerate(self.rngs):
            t_r = int(w.tie_ptr[r + 1] - w.tie_ptr[r])
            u = g.random(n_mig + n_p + t_r + n_staff + n_cso)
            rows.append(np.split(u, np.cumsum([n_mig, n_p, t_r, n_staff])) + [sd * g.standard_normal(n_cso)])
        return tuple(np.concatenate(part) for part in zip(*rows))

    def run(self) -> Engine:
        """Step to the configured horizon."""
        while self.month < self.config.months:
            self.step()
        return self

    def apply_shocks(self, t: int) -> None:
        """Terminate partnerships when the termination shock falls due (e.g. Istanbul-Rotterdam, March 2017).

        A share ``shocks.terminated_share`` of the partnerships with the targeted
        country (``shocks.terminated_country``: any, morocco or turkey) ends, chosen at random.
        """
        sh, w = self.config.shocks, self.world
        P = self._n["p"]
        # month 0 is the starting state, so a termination "at month 0" happens in the first month
        if max(sh.termination_month, 1) != t or sh.termination_month < 0 or not P:
            return
        country = w.muni_country[w.p_south[:P]]
        target = {"any": np.arange(P), "morocco": np.flatnonzero(country == 1),
                  "turkey": np.flatnonzero(country == 2)}[sh.terminated_country]
        n = int(round(sh.terminated_share * len(target)))
        if n:
            ended = np.concatenate([r * P + g.choice(target, size=n, replace=False)
                                    for r, g in enumerate(self.key_rngs)])
            w.alive[ended] = False

    def run_exchanges(self, t: int, u_events: np.ndarray) -> tuple[rules.Interactions, np.ndarray, np.ndarray]:
        """Rules 1, 3, 9: how many exchanges each partnership holds, on what, and who meets.

        Returns (interactions, events per replication, participating actor rows)."""
        cfg, w = self.config, self.world
        P = w.n_partnerships
        budget = rules.programme_budget(cfg.programme, cfg.shocks, t)
        self.counters["programme_budget"][:] = budget
        if P == 0:
            self._agenda = np.ones((1, w.n_domains))
            empty = np.zeros(0, np.int64)
            return (rules.Interactions(empty, empty.astype(bool), empty.astype(bool), empty),
                    np.zeros(self.R, np.int64), empty)
        trust_pair = np.bincount(w.tie_partnership[self._ptie], weights=w.trust[self._ptie], minlength=P) / \
            np.maximum(self._ptie_count, 1)
        Mc, S = w.migrants_per_city, w.staff_per_muni
        involved = w.involved[self._mig].reshape(P, Mc) if Mc else None
        share = involved.mean(axis=1) if involved is not None else np.zeros(P)
        paid, own = rules.exchange_intensity(budget, cfg.programme.cost_per_visit, self._proactivity_pair,
                                             trust_pair, share, own_activity_rate=cfg.municipality.own_activity_rate,
                                             initiator_boost=cfg.migrants.initiator_boost)
        total = paid + own
        coherence = np.where(total > 0, (paid * cfg.programme.coherence + own) / np.where(total > 0, total, 1), 1.0)
        self._agenda = np.vstack([
            rules.exchange_agenda(self._obj_n, self._obj_s, coherence,
                                  learning_strategy=cfg.programme.learning_strategy,
                                  strategy_focus=cfg.programme.strategy_focus),
            np.ones((1, w.n_domains))])
        Pr = self._n["p"]
        n_events = poisson_from_uniform(u_events, total) * w.alive
        per_rep = n_events.reshape(self.R, Pr).sum(axis=1)
        # each replication draws its delegations' keys, then its facilitators' keys
        width = 2 * S + Mc  # facilitator keys are drawn even when the role is off: common random numbers
        keys = self._event_keys(per_rep, width)
        fac_keys = keys[:, 2 * S:] if cfg.migrants.facilitator and Mc else None
        inter, participants, fac = rules.plan_exchanges(
            n_events, keys[:, :S], keys[:, S:2 * S], fac_keys,
            staff_per_muni=S, delegation_size=cfg.municipality.delegation_size, p_north=w.p_north,
            p_south=w.p_south, event_ties=self._event_ties, event_ptr=self._event_ptr, tie_src=w.src,
            tie_dst=w.dst, is_staff_tie=self._is_staff_tie, migrants_involved=involved)
        w.last_exchange[n_events > 0] = t
        fac_rows = w.migrant_start + fac[:, 0] * Mc + fac[:, 1]
        met_rows = np.concatenate([w.src[inter.tie], w.dst[inter.tie]])
        return inter, per_rep, np.concatenate([participants, fac_rows, met_rows]).astype(np.int64)

    def _event_keys(self, per_rep: np.ndarray, width: int) -> np.ndarray:
        """Each replication's keys for its events (delegations, then facilitators), from its second stream."""
        parts = [g.random((int(e), width)) for g, e in zip(self.key_rngs, per_rep) if e]
        return np.concatenate(parts) if parts else np.zeros((0, width))

    def exchange_knowledge(self, inter: rules.Interactions) -> None:
        """Rules 2 and 3 on every contact of the month, then forgetting of unused gains (SKIN)."""
        cfg, w = self.config, self.world
        k = cfg.knowledge
        a, b = w.src[inter.tie], w.dst[inter.tie]
        receiver, source = np.concatenate([a, b]), np.concatenate([b, a])
        tie = np.concatenate([inter.tie, inter.tie])
        fac = np.concatenate([inter.facilitated, inter.facilitated])
        ctx = np.concatenate([inter.context, inter.context])
        weight = rules.direction_weights(self._north[receiver], self._north[source], ctx >= 0, cfg.programme.mode)
        distance = w.distance[tie] * (1.0 - cfg.migrants.bridge * fac)
        f2f = np.concatenate([inter.f2f, inter.f2f])
        e, tc = rules.transfer_knowledge(
            w.explicit, w.tacit, receiver, source, w.trust[tie], distance, f2f, self._agenda[ctx], weight, w.openness,
            explicit_rate=k.explicit_rate, tacit_rate=k.tacit_rate, absorptive_base=k.absorptive_base,
            bounded_gap=k.bounded_gap, tacit_exponent=cfg.trust.tacit_exponent)
        used = ~self._people  # national bodies are institutions: they do not forget
        used[receiver] = True
        w.explicit = rules.forget_unused(e, w.explicit0, used, k.forget_rate)
        w.tacit = rules.forget_unused(tc, w.tacit0, used, k.forget_rate)

    def build_trust(self, inter: rules.Interactions, t: int) -> None:
        """Rule 4 on the month's contacts (counted per tie) and decay elsewhere."""
        cfg, w = self.config, self.world
        T = len(w.src)
        contacts_per_tie = np.bincount(inter.tie, minlength=T)
        bridged = np.bincount(inter.tie, weights=inter.facilitated, minlength=T) > 0
        w.trust = rules.update_trust(w.trust, contacts_per_tie, bridged,
                                     w.distance * (1.0 - cfg.migrants.bridge * bridged),
                                     growth=cfg.trust.growth, decay=cfg.trust.decay,
                                     bridge_boost=cfg.trust.bridge_boost, ever_contacted=w.last_contact > NEVER)
        w.last_contact[contacts_per_tie > 0] = t

    def disseminate(self, u_turnover: np.ndarray) -> None:
        """Rule 5: colleagues, institutional memory, then turnover with socialisation of newcomers."""
        cfg, w = self.config, self.world
        d = cfg.dissemination
        M, S, D = w.n_munis, w.staff_per_muni, w.n_domains
        st = self._staff
        leave = rules.staff_turnover(u_turnover, d.turnover_rate)
        sharers = w.participated[st] | self._boundary
        gain, tgain, mem = rules.disseminate_internally(
            (w.explicit[st] - w.explicit0[st]).reshape(M, S, D), (w.tacit[st] - w.tacit0[st]).reshape(M, S, D),
            sharers.reshape(M, S), w.memory - w.memory0, internal_rate=d.internal_rate,
            institutionalisation_rate=d.institutionalisation_rate, memory_cap=1.0 - w.memory0)
        w.memory = w.memory0 + mem
        gain = gain.reshape(M * S, D)
        tgain = tgain.reshape(M * S, D)
        gain[leave] = d.socialisation * mem[w.city[st][leave]]
        tgain[leave] = 0.0
        w.explicit[st] = np.minimum(w.explicit0[st] + gain, 1.0)
        w.tacit[st] = np.minimum(w.tacit0[st] + tgain, 1.0)
        w.participated[st] &= ~leave
        if leave.any():
            touched = np.zeros(w.n_actors, bool)
            touched[np.flatnonzero(leave)] = True
            reset = touched[w.src] | touched[w.dst]
            w.trust[reset] = initial_trust(w.tie_type[reset], cfg.trust.initial, cfg.trust.initial_local)
            w.last_contact[reset] = NEVER

    def run_initiatives(self, t: int, u_start: np.ndarray, noise: np.ndarray) -> None:
        """Rule 7: CSO initiatives, with migrant and transnational start boosts and local-government support."""
        cfg, w = self.config, self.world
        c, sh = cfg.cso, cfg.shocks
        cs = self._cso
        n = self._n["cso"]
        if n == 0:
            return
        P, Mc = w.n_partnerships, w.migrants_per_city
        has_migrants = np.zeros(w.n_munis, bool)
        if P and Mc:
            has_migrants[w.p_north] = w.involved[self._mig].reshape(P, Mc).any(axis=1)
        recent = self._transnational & self._enabled & (w.last_contact > t - cfg.dissemination.active_window)
        linked = np.zeros(w.n_actors, bool)
        linked[w.src[recent]] = True
        linked[w.dst[recent]] = True
        mig_flag = w.migrant_org[cs] & has_migrants[self._cso_city]
        start_prob = np.clip(c.start_rate * (1 + c.migrant_boost * mig_flag) * (1 + c.transnational_boost * linked[cs]),
                             0.0, 1.0)
        cut = sh.support_cut_factor if 0 <= sh.support_cut_month <= t else 1.0
        tie = w.cso_local_tie[cs]
        support = c.support * cut * np.where(tie >= 0, w.trust[np.maximum(tie, 0)], 0.0)
        m, start, cool, stalled, started = rules.update_initiatives(
            w.momentum, w.initiative_start, w.cooldown_until, start_prob, support, noise, u_start, t,
            volunteer_decay=c.volunteer_decay, support_gain=c.support_gain, stall_threshold=c.stall_threshold,
            cooldown=c.cooldown)
        for i in np.flatnonzero(stalled):
            self.initiative_log.append((cs.start + int(i), int(w.initiative_start[i]), t))
        w.momentum, w.initiative_start, w.cooldown_until = m, start, cool
        self._counts[0] += started.reshape(self.R, n).sum(axis=1)
        self._counts[1] += stalled.reshape(self.R, n).sum(axis=1)

    def measure(self) -> None:
        """The month's outcomes, one value per replication."""
        if self._compiled:
            w = self.world
            self._ip[fast.I_MONTH] = self.month
            fast.measure(self._fp, self._ip, self._out, w.explicit, w.tacit, w.explicit0, w.tacit0, w.memory,
                         w.memory0, self._group, self._side_count, w.participated, self._muni_partnered,
                         self._enabled, w.tie_type, w.trust, w.last_contact, w.tie_ptr, w.alive, w.involved,
                         w.initiative_start, w.adoption_month, self._counts, self._events)
            self.metrics = self._metrics_from_out()
            return
        self.metrics = self._measures(self.world, self._enabled, self.month,
                                      self.config.dissemination.active_window, self.counters)

    # ------------------------------------------------------------------ the compiled month
    def _compiled_setup(self) -> None:
        """Parameters, per-actor groups and scratch buffers of :func:`c2c_sim.fast.close_month`."""
        cfg, w, n, R = self.config, self.world, self._n, self.R
        k, tr, d, c, mg = cfg.knowledge, cfg.trust, cfg.dissemination, cfg.cso, cfg.migrants
        fp = np.zeros(fast.N_FLOAT)
        for i, v in ((fast.F_OUTREACH, mg.outreach), (fast.F_NOISE, c.momentum_noise),
                     (fast.F_COST_PER_VISIT, cfg.programme.cost_per_visit),
                     (fast.F_OWN_RATE, cfg.municipality.own_activity_rate), (fast.F_INITIATOR_BOOST, mg.initiator_boost),
                     (fast.F_COHERENCE, cfg.programme.coherence), (fast.F_FOCUS, cfg.programme.strategy_focus),
                     (fast.F_BRIDGE, mg.bridge), (fast.F_EXPLICIT_RATE, k.explicit_rate),
                     (fast.F_TACIT_RATE, k.tacit_rate), (fast.F_ABSORPTIVE_BASE, k.absorptive_base),
                     (fast.F_BOUNDED_GAP, k.bounded_gap), (fast.F_TACIT_EXPONENT, tr.tacit_exponent),
                     (fast.F_FORGET_RATE, k.forget_rate), (fast.F_GROWTH, tr.growth), (fast.F_DECAY, tr.decay),
                     (fast.F_BRIDGE_BOOST, tr.bridge_boost), (fast.F_TRUST_INITIAL, tr.initial),
                     (fast.F_TRUST_INITIAL_LOCAL, tr.initial_local), (fast.F_INTERNAL_RATE, d.internal_rate),
                     (fast.F_INSTITUTIONALISATION, d.institutionalisation_rate),
                     (fast.F_SOCIALISATION, d.socialisation), (fast.F_TURNOVER, d.turnover_rate),
                     (fast.F_START_RATE, c.start_rate), (fast.F_MIGRANT_BOOST, c.migrant_boost),
                     (fast.F_TRANSNATIONAL_BOOST, c.transnational_boost), (fast.F_VOLUNTEER_DECAY, c.volunteer_decay),
                     (fast.F_SUPPORT_GAIN, c.support_gain), (fast.F_STALL_THRESHOLD, c.stall_threshold),
                     (fast.F_ADOPTION_THRESHOLD, d.adoption_threshold)):
            fp[i] = v
        ip = np.zeros(fast.N_INT, np.int64)
        for i, v in ((fast.I_REPS, R), (fast.I_STAFF, n["staff"]), (fast.I_CSO, n["cso"]),
                     (fast.I_MIGRANT, n["migrant"]), (fast.I_NATIONAL, w.n_actors // R - n["staff"] - n["cso"] -
                                                     n["migrant"]),
                     (fast.I_PARTNERSHIPS, n["p"]), (fast.I_MUNIS, w.n_munis // R),
                     (fast.I_STAFF_PER_MUNI, w.staff_per_muni), (fast.I_MIGRANTS_PER_CITY, w.migrants_per_city),
                     (fast.I_DELEGATION, cfg.municipality.delegation_size), (fast.I_FACILITATOR, mg.facilitator),
                     (fast.I_DONOR, cfg.programme.mode == "donor"), (fast.I_STRATEGY, cfg.programme.learning_strategy),
                     (fast.I_COOLDOWN, c.cooldown), (fast.I_DORMANCY, cfg.municipality.dormancy_months),
                     (fast.I_ACTIVE_WINDOW, d.active_window), (fast.I_NEVER, NEVER)):
            ip[i] = v
        self._fp, self._ip = fp, ip
        m = self._measures
        self._group = m.group
        self._side_count = np.stack([count for _rows, _idx, count in m.groups.values()])
        self._muni_partnered = m.pm
        self._can_involve_u8 = np.ascontiguousarray(self._can_involve)
        A, D, T, P = w.n_actors, w.n_domains, len(w.src), w.n_partnerships
        self._out = np.zeros((2 * D + len(fast.MEASURE_NAMES), R))
        self._agenda_buf = np.ones((P + 1, D))
        self._n_events = np.zeros(P, np.int64)
        self._rate = np.zeros(P)
        self._p_involved = np.zeros(P, np.int64)
        self._scratch = dict(inc_e=np.zeros((A, D)), inc_t=np.zeros((A, D)), best_e=np.full((A, D), -1.0),
                             best_t=np.full((A, D), -1.0), used=np.zeros(A, bool), touched=np.zeros(A, np.int64),
                             tie_counts=np.zeros(T, np.int64), tie_bridged=np.zeros(T, bool), flag=np.zeros(A, bool),
                             sharer=np.zeros(A, bool),
                             has_migrants=np.zeros(w.n_munis, bool))
        self._inter = self._interaction_buffers(int(np.diff(w.tie_ptr).max(initial=0)) + 64)
        self._stall_buf = np.zeros((max(n["cso"] * R, 1), 3), np.int64)
        self._link_generators()
        self._draws = (np.zeros(n["migrant"] * R), np.zeros(P), np.zeros(T), np.zeros(n["staff"] * R),
                       np.zeros(n["cso"] * R), np.zeros(n["cso"] * R))  # filled by the kernels, as month_draws
        self._keyrow = np.zeros(2 * w.staff_per_muni + w.migrants_per_city)
        # each staff member's ties (reset when they leave); each CSO's transnational ties
        self._lists = self._ties_of(np.ones(T, bool), 0, n["staff"] * R) + \
            self._ties_of(w.tie_type == TieType.TRANSNATIONAL, w.cso_start, n["cso"] * R)
        names = [f"learning_gain_{side}__{dom}" for side in ("north", "south") for dom in DOMAINS]
        self._out_row = {name: i for i, name in enumerate(names + list(fast.MEASURE_NAMES))}
        order = []
        for side in ("north", "south"):
            order += [f"learning_gain_{side}"] + [f"learning_gain_{side}__{dom}" for dom in DOMAINS]
        self._metric_order = order + [x for x in fast.MEASURE_NAMES if not x.startswith("learning_gain_")]
        self._metric_rows = np.array([self._out_row[name] for name in self._metric_order])

    def _ties_of(self, which: np.ndarray, first: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Actor rows ``first:first + n``: the ties (among ``which``) each has at either end, as (ties,
        pointers): row ``first + i`` has ``ties[ptr[i]:ptr[i + 1]]``."""
        w = self.world
        T = len(w.src)
        ends, ties = np.concatenate([w.src, w.dst]) - first, np.tile(np.arange(T), 2)
        mine = np.tile(which, 2) & (ends >= 0) & (ends < n)
        order = np.argsort(ends[mine], kind="stable")
        ptr = np.concatenate([[0], np.cumsum(np.bincount(ends[mine], minlength=n))])
        return ties[mine][order].astype(np.int64), ptr.astype(np.int64)

    def _link_generators(self) -> None:
        """The replications' generators as numba typed lists (the same objects: draws advance both views)."""
        from numba.typed import List

        self._gens, self._key_gens = List(self.rngs), List(self.key_rngs)

    def __getstate__(self) -> dict:
        """Pickling and copying (e.g. ``copy.deepcopy`` of a model to branch a scenario) leave out the typed
        lists, which numba cannot pickle; they are rebuilt around the copied generators."""
        state = self.__dict__.copy()
        state.pop("_gens", None)
        state.pop("_key_gens", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self._compiled and not fast.enabled():  # unpickled where numba is missing or switched off
            self._compiled = False
            self._enabled = self._enabled_ties()
        if self._compiled:
            self._link_generators()

    @staticmethod
    def _interaction_buffers(size: int) -> tuple[np.ndarray, ...]:
        return np.zeros(size, np.int64), np.zeros(size, bool), np.zeros(size, bool), np.zeros(size, np.int64)

    def _metrics_from_out(self) -> dict[str, np.ndarray]:
        return dict(zip(self._metric_order, self._out[self._metric_rows]))  # one copy, a row per outcome

    def _step_compiled(self, t: int) -> None:
        """The month after the shocks through :func:`c2c_sim.fast.open_month` and :func:`c2c_sim.fast.close_month`,
        which draw the month's numbers from the replications' generators themselves."""
        cfg, w, fp, ip = self.config, self.world, self._fp, self._ip
        sh = cfg.shocks
        ip[fast.I_MONTH] = t
        budget = rules.programme_budget(cfg.programme, sh, t)
        fp[fast.F_BUDGET] = budget
        fp[fast.F_SUPPORT] = cfg.cso.support * (sh.support_cut_factor if 0 <= sh.support_cut_month <= t else 1.0)
        self.counters["programme_budget"][:] = budget
        n_events = self._n_events
        u_out, u_events, u_ties, u_staff, u_cso, noise = self._draws
        need = fast.open_month(fp, ip, self._gens, u_out, self._can_involve_u8, w.involved, self._enabled, w.src,
                               w.dst, self._needs_partnership, w.tie_partnership, w.alive, self._ptie, w.trust,
                               self._ptie_count, self._proactivity_pair, self._obj_n, self._obj_s, u_events,
                               self._agenda_buf, n_events, self._rate, self._p_involved, self._seen_alive,
                               self._seen_involved, w.tie_ptr, self._ties_per_p)
        big = n_events < 0
        if big.any():  # rates beyond the direct inversion
            n_events[big] = poisson_from_uniform(u_events[big], self._rate[big])
            need = fast.interaction_need(n_events, self._ties_per_p, w.tie_ptr, self._n["p"])
        if need > len(self._inter[0]):
            self._inter = self._interaction_buffers(2 * need)
        sc = self._scratch
        n_stall = fast.close_month(
            fp, ip, self._gens, self._key_gens, n_events, self._keyrow, self._agenda_buf, u_ties, u_staff, u_cso,
            noise,
            w.explicit, w.tacit, w.explicit0, w.tacit0, w.memory, w.memory0, w.openness, self._north, self._people,
            w.participated, w.involved, self._boundary,
            w.src, w.dst, w.tie_type, w.tie_partnership, w.tie_ptr, w.trust, w.last_contact, w.distance,
            self._enabled, self._needs_partnership, self._is_staff_tie, self._f2f, self._context, self._contact_rate,
            w.p_north, w.p_south, w.alive, w.last_exchange, self._event_ties, self._event_ptr,
            w.migrant_org, self._cso_city, w.cso_local_tie, w.momentum, w.initiative_start, w.cooldown_until,
            w.adopted, w.adoption_month, self._muni_partnered, self._group, self._side_count,
            self._counts, self._events, self._out, self._stall_buf, *self._lists, self._p_involved,
            self._seen_alive, self._seen_involved,
            *self._inter, sc["inc_e"], sc["inc_t"], sc["best_e"], sc["best_t"], sc["used"], sc["touched"],
            sc["tie_counts"], sc["tie_bridged"], sc["flag"], sc["sharer"], sc["has_migrants"])
        if n_stall:
            self.initiative_log.extend(map(tuple, self._stall_buf[:n_stall].tolist()))
        self.metrics = self._metrics_from_out()

    # ------------------------------------------------------------------ results
    def initiative_records(self) -> np.ndarray:
        """(n, 5) int array: replication, CSO row (within its replication), start, end, stalled (1) or censored (0)."""
        w = self.world
        rows = [(c, s, e, 1) for c, s, e in self.initiative_log]
        cs = self._cso
        for i in np.flatnonzero(w.initiative_start >= 0):
            rows.append((cs.start + int(i), int(w.initiative_start[i]), self.month, 0))
        if not rows:
            return np.zeros((0, 5), np.int64)
        arr = np.array(rows, np.int64)
        rep = w.rep[arr[:, 0]]
        local = (arr[:, 0] - cs.start) % self._n["cso"] + cs.start // self.R
        out = np.column_stack([rep, local, arr[:, 1:]])
        return out[np.lexsort((out[:, 2], out[:, 1], out[:, 0]))]
