"""C2CModel: the Mesa model of mutual learning in city-to-city partnerships.

The order of a month is written out once, in :meth:`C2CModel.step`::

    1. shocks ............ funding cut, termination, support cut fall due   (Rule 1)
    2. outreach .......... uninvolved migrants may be drawn in             (R7)
    3. exchanges ......... programme- and own-funded events, delegations   (Rules 1, 3, 9)
    4. routine contacts .. local, transnational, multilevel, remote        (Rule 6)
    5. transfer .......... knowledge moves on all of the month's contacts  (Rules 2, 3)
    6. trust ............. grows on contacted ties, decays elsewhere       (Rule 4)
    7. forgetting ........ unused individual gains fade                    (SKIN)
    8. internal .......... colleagues, institutional memory, turnover      (Rule 5)
    9. initiatives ....... CSO initiatives start, are supported, stall     (Rule 7)
   10. adoption .......... practices adopted past the threshold            (Rule 8)
   11. sustain ........... dormant partnerships end                        (Rule 9)
   12. collect ........... DataCollector records the month's outcomes

The model runs under ``mesa.batch_run`` as it is: its keyword parameters are
the flat names of :mod:`c2c_sim.config` (``trust_initial=0.3``,
``programme="long_term"``...), and it stops itself after ``months`` steps.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import rules
from .agents import CSO, HigherGovernment, KnowledgeInstitution, LocalGovernment, Migrant
from .config import Config, make_config
from .metrics import STEP_OUTCOMES, DOMAIN_OUTCOMES, step_metrics
from .world import Kind, TieType, build_world, to_networkx


class C2CModel(mesa.Model):
    """Local governments, CSOs and migrants learning from each other over partnership ties.

    Args:
        config: a validated :class:`~c2c_sim.config.Config` (else built from ``params``).
        seed: the seed of the model's generators (everything random derives from it).
        rng: alternatively a numpy generator or seed sequence (Mesa semantics).
        **params: flat parameter names or preset names, see :func:`c2c_sim.config.make_config`.
    """

    def __init__(self, config: Config | None = None, *, seed: int | None = None, rng: Any = None,
                 **params: Any) -> None:
        if config is not None and params:
            raise TypeError("give either config or keyword parameters, not both")
        self.config = cfg = config if config is not None else make_config(params)
        if seed is None and rng is None:
            seed = cfg.seed
        super().__init__(seed=seed) if rng is None else super().__init__(rng=rng)
        self.world = w = build_world(cfg, self.rng)
        self.month = 0
        self._precompute()
        self._create_agents()
        self.counters = {"initiatives_started": 0.0, "initiatives_stalled": 0.0, "exchange_events": 0.0,
                         "programme_budget": 0.0}
        self.events_per_month: list[int] = [0]
        self.initiative_log: list[tuple[int, int, int]] = []  # (cso row, start month, stall month)
        self.metrics: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.metrics[k]) for k in STEP_OUTCOMES + DOMAIN_OUTCOMES})
        self._collect()
        del w

    # ------------------------------------------------------------------ setup
    def _precompute(self) -> None:
        """Per-tie constants used every month."""
        w, cfg, d = self.world, self.config, self.config.dissemination
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
        event = np.flatnonzero(self._needs_partnership)
        order = event[np.argsort(w.tie_partnership[event], kind="stable")]
        P = w.n_partnerships
        self._event_ties = order
        self._event_ptr = np.concatenate([[0], np.cumsum(np.bincount(w.tie_partnership[order], minlength=P))])
        self._ptie = np.flatnonzero(self._is_staff_tie)
        self._ptie_count = np.bincount(w.tie_partnership[self._ptie], minlength=P)
        self._cso = slice(w.cso_start, w.cso_start + w.n_munis * w.csos_per_muni)
        self._mig = slice(w.migrant_start, w.migrant_start + P * w.migrants_per_city)
        self._staff = slice(0, w.n_munis * w.staff_per_muni)
        self._cso_city = w.city[self._cso]
        self._people = (w.kind == Kind.STAFF) | (w.kind == Kind.CSO) | (w.kind == Kind.MIGRANT)
        self._north = w.country == 0
        self._obj_n = w.objectives[w.p_north]
        self._obj_s = w.objectives[w.p_south]
        self._proactivity_pair = 0.5 * (w.proactivity[w.p_north] + w.proactivity[w.p_south])
        self._transnational = w.tie_type == TieType.TRANSNATIONAL
        self._enabled = self._enabled_ties()

    def _create_agents(self) -> None:
        w = self.world
        LocalGovernment.create_agents(self, w.n_munis, municipality=np.arange(w.n_munis))
        for cls, kind in ((CSO, Kind.CSO), (Migrant, Kind.MIGRANT), (HigherGovernment, Kind.HIGHER_GOVERNMENT),
                          (KnowledgeInstitution, Kind.KNOWLEDGE_INSTITUTION)):
            rows = np.flatnonzero(w.kind == kind)
            if len(rows):
                cls.create_agents(self, len(rows), row=rows)

    def _enabled_ties(self) -> np.ndarray:
        """Ties whose both ends are engaged and whose partnership (if it needs one) is alive."""
        w = self.world
        alive = np.ones(len(w.src), bool)
        if w.n_partnerships:
            alive = ~self._needs_partnership | w.alive[np.maximum(w.tie_partnership, 0)]
        return w.involved[w.src] & w.involved[w.dst] & alive

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month, in the order listed in the module docstring."""
        cfg, w = self.config, self.world
        self.month = t = self.month + 1
        self.apply_shocks(t)
        if self._mig.stop > self._mig.start:
            w.involved[self._mig] = rules.migrant_outreach(self.rng, w.involved[self._mig], cfg.migrants.outreach)
        self._enabled = self._enabled_ties()
        events, n_events, participants = self.run_exchanges(t)
        contacts = rules.routine_contacts(self.rng, self._contact_rate, self._enabled, self._f2f, self._context)
        inter = rules.Interactions.concat(events, contacts)
        self.exchange_knowledge(inter)
        w.participated[participants] = True
        contacts_per_tie = np.bincount(inter.tie, minlength=len(w.src))
        bridged = np.bincount(inter.tie, weights=inter.facilitated, minlength=len(w.src)) > 0
        w.trust = rules.update_trust(w.trust, contacts_per_tie, bridged,
                                     w.distance * (1.0 - cfg.migrants.bridge * bridged),
                                     growth=cfg.trust.growth, decay=cfg.trust.decay,
                                     bridge_boost=cfg.trust.bridge_boost)
        w.last_contact[contacts_per_tie > 0] = t
        self.disseminate(t)
        self.run_initiatives(t)
        new = rules.adopt_policies(w.memory, w.adopted, cfg.dissemination.adoption_threshold)
        w.adopted |= new
        w.adoption_month[new] = t
        w.alive = rules.sustain_partnerships(w.alive, w.last_exchange, t, cfg.municipality.dormancy_months)
        self.counters["exchange_events"] = float(n_events.sum())
        self.events_per_month.append(int(n_events.sum()))
        self._collect()
        if t >= cfg.months:
            self.running = False

    def apply_shocks(self, t: int) -> None:
        """Terminate partnerships when the termination shock falls due (e.g. Istanbul-Rotterdam, March 2017)."""
        sh, w = self.config.shocks, self.world
        if sh.termination_month == t and w.n_partnerships:
            n = int(round(sh.terminated_share * w.n_partnerships))
            ended = self.rng.choice(w.n_partnerships, size=n, replace=False)
            w.alive[ended] = False

    def run_exchanges(self, t: int) -> tuple[rules.Interactions, np.ndarray, np.ndarray]:
        """Rule 1/9: how many exchanges each partnership holds this month, on what, and who meets."""
        cfg, w = self.config, self.world
        P = w.n_partnerships
        budget = rules.programme_budget(cfg.programme, cfg.shocks, t)
        self.counters["programme_budget"] = budget
        trust_pair = np.bincount(w.tie_partnership[self._ptie], weights=w.trust[self._ptie], minlength=P) / \
            np.maximum(self._ptie_count, 1)
        Mc = w.migrants_per_city
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
        inter, n_events, participants, fac = rules.plan_exchanges(
            self.rng, total, w.alive, staff_per_muni=w.staff_per_muni,
            delegation_size=cfg.municipality.delegation_size, p_north=w.p_north, p_south=w.p_south,
            event_ties=self._event_ties, event_ptr=self._event_ptr, tie_src=w.src, tie_dst=w.dst,
            is_staff_tie=self._is_staff_tie, migrants_involved=involved, facilitator=cfg.migrants.facilitator)
        w.last_exchange[n_events > 0] = t
        fac_rows = w.migrant_start + fac[:, 0] * Mc + fac[:, 1] if len(fac) else fac[:, 0]
        met_rows = np.concatenate([w.src[inter.tie], w.dst[inter.tie]])
        participants = np.concatenate([participants, fac_rows, met_rows]).astype(np.int64)
        return inter, n_events, participants

    def exchange_knowledge(self, inter: rules.Interactions) -> None:
        """Rules 2 and 3 on every contact of the month, then forgetting of unused gains."""
        cfg, w = self.config, self.world
        k = cfg.knowledge
        a, b = w.src[inter.tie], w.dst[inter.tie]
        receiver, source = np.concatenate([a, b]), np.concatenate([b, a])
        tie = np.concatenate([inter.tie, inter.tie])
        fac = np.concatenate([inter.facilitated, inter.facilitated])
        ctx = np.concatenate([inter.context, inter.context])
        weight = rules.direction_weights(self._north[receiver], self._north[source], ctx >= 0, cfg.programme.mode)
        e, tc = rules.transfer_knowledge(
            w.explicit, w.tacit, receiver, source, w.trust[tie], w.distance[tie] * (1.0 - cfg.migrants.bridge * fac),
            np.concatenate([inter.f2f, inter.f2f]), self._agenda[ctx], weight, w.openness,
            explicit_rate=k.explicit_rate, tacit_rate=k.tacit_rate, absorptive_base=k.absorptive_base,
            bounded_gap=k.bounded_gap, tacit_exponent=cfg.trust.tacit_exponent)
        used = np.zeros(w.n_actors, bool)
        used[receiver] = True
        forget = self._people
        w.explicit = np.where(forget[:, None], rules.forget_unused(e, w.explicit0, used, k.forget_rate), e)
        w.tacit = np.where(forget[:, None], rules.forget_unused(tc, w.tacit0, used, k.forget_rate), tc)

    def disseminate(self, t: int) -> None:
        """Rule 5: colleagues, institutional memory, then turnover with socialisation of newcomers."""
        cfg, w = self.config, self.world
        d = cfg.dissemination
        M, S, D = w.n_munis, w.staff_per_muni, w.n_domains
        st = self._staff
        gain, tgain, mem = rules.disseminate_internally(
            (w.explicit[st] - w.explicit0[st]).reshape(M, S, D), (w.tacit[st] - w.tacit0[st]).reshape(M, S, D),
            w.participated[st].reshape(M, S), w.memory - w.memory0, internal_rate=d.internal_rate,
            institutionalisation_rate=d.institutionalisation_rate)
        w.memory = w.memory0 + mem
        leave = rules.staff_turnover(self.rng, M * S, d.turnover_rate)
        gain = gain.reshape(M * S, D)
        tgain = tgain.reshape(M * S, D)
        if leave.any():
            gain[leave] = d.socialisation * mem[w.city[st][leave]]
            tgain[leave] = 0.0
            w.participated[st][leave] = False
            touched = np.zeros(w.n_actors, bool)
            touched[np.flatnonzero(leave)] = True
            reset = touched[w.src] | touched[w.dst]
            w.trust[reset] = w.trust0[reset]
            w.last_contact[reset] = -10**6
        w.explicit[st] = np.minimum(w.explicit0[st] + gain, 1.0)
        w.tacit[st] = np.minimum(w.tacit0[st] + tgain, 1.0)

    def run_initiatives(self, t: int) -> None:
        """Rule 7: CSO initiatives, with migrant and transnational start boosts and local-government support."""
        cfg, w = self.config, self.world
        c, sh = cfg.cso, cfg.shocks
        cs = self._cso
        if cs.stop == cs.start:
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
            self.rng, w.momentum[cs], w.initiative_start[cs], w.cooldown_until[cs], start_prob, support, t,
            volunteer_decay=c.volunteer_decay, momentum_noise=c.momentum_noise, support_gain=c.support_gain,
            stall_threshold=c.stall_threshold, cooldown=c.cooldown)
        for i in np.flatnonzero(stalled):
            self.initiative_log.append((cs.start + int(i), int(w.initiative_start[cs][i]), t))
        w.momentum[cs], w.initiative_start[cs], w.cooldown_until[cs] = m, start, cool
        self.counters["initiatives_started"] += float(started.sum())
        self.counters["initiatives_stalled"] += float(stalled.sum())

    def _collect(self) -> None:
        self.metrics = step_metrics(self.world, self._enabled, self.month, self.config.dissemination.active_window,
                                    self.counters)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ results
    def run(self) -> "C2CModel":
        """Step to the configured horizon."""
        while self.running:
            self.step()
        return self

    def series(self) -> pd.DataFrame:
        """The per-month outcomes (month 0 is the starting state)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "month", np.arange(len(df)))
        return df

    def initiatives(self) -> pd.DataFrame:
        """Every initiative of the run: CSO row, start month, end month, whether it stalled (else censored)."""
        w = self.world
        rows = [(c, s, e, True) for c, s, e in self.initiative_log]
        cs = self._cso
        for i in np.flatnonzero(w.initiative_start[cs] >= 0):
            rows.append((cs.start + int(i), int(w.initiative_start[cs][i]), self.month, False))
        df = pd.DataFrame(rows, columns=["cso", "start", "end", "stalled"])
        df["months"] = df["end"] - df["start"]
        return df

    def network(self):
        """The tie network now, as a networkx graph."""
        return to_networkx(self.world)
