"""The engine: steps one or many replications of a configuration as one stacked world.

The order of a month is written out once, in :func:`month`; :meth:`Engine.step` applies the
scheduled shocks and calls it, :meth:`Engine.run` calls :func:`run_months` (the same month, for
the months between shocks).

Each replication has its own numpy generator and draws the same numbers whether it runs alone or
in a batch of hundreds: batching changes speed, never results. Every month a replication takes one
row of numbers of fixed length from its generator (:func:`c2c_sim.rules.draw_month`); delegations,
facilitators and terminations, whose number varies, come from a second generator spawned from the
first. numba's ``Generator`` gives the same numbers as numpy's, so the compiled month and the same
code run as Python (``NUMBA_DISABLE_JIT=1``) give the same results.
:class:`~c2c_sim.model.C2CModel` is the Mesa face of an engine with one replication.
"""

from __future__ import annotations

import numpy as np

from . import rules
from .compiled import JIT_DISABLED, Direct, borrow, compile_notice, rule
from .config import DOMAINS, Config
from .metrics import SOURCE_OUTCOMES, Activity, circulation_among, measure, measure_partnerships
from .rules import (
    adopt_policies,
    codified_by_institutions,
    country_programmes,
    disseminate_internally,
    draw_month,
    enable_ties,
    forget_unused,
    hold_exchanges,
    local_support,
    migrant_outreach,
    new_contacts,
    plan_exchanges,
    programme_budget,
    programme_cofinanced,
    restart_ties,
    routine_contacts,
    staff_turnover,
    sustain_partnerships,
    transfer_knowledge,
    update_familiarity,
    update_initiatives,
    update_support,
    update_trust,
)
from .state import (
    CHANNELS,
    OUTCOME_FIELDS,
    State,
    build_state,
    params_from_config,
    replication,
    shared_arrays,
    shares_world,
)
from .world import build_worlds


@rule
def month(state: State, prm, gens, key_gens, t: int, n_stalled: int) -> int:
    """Month ``t`` of every replication of the batch, each with its two generators; the order of a month.

    Before it, :meth:`Engine.step` applies the shocks due (partnerships terminated,
    :func:`c2c_sim.rules.terminate_partnerships`). Then, replication by replication:

     1. draws ............. the replication's row of random numbers                     (draw_month)
     2. outreach .......... uninvolved migrants may be drawn in; ties in use             (R7)
     3. exchanges ......... programme- and own-funded events, agenda, delegations       (Rules 1, 3, 9)
     4. routine contacts .. local, transnational, multilevel, remote                    (Rule 6)
     5. transfer .......... knowledge moves on all of the month's contacts              (Rules 2, 3)
     6. forgetting ........ unused individual gains fade                                (SKIN)
     7. trust ............. grows on contacted ties, decays elsewhere; familiarity      (Rule 4, R5)
     8. internal .......... turnover, colleagues, institutional memory, newcomers       (Rule 5)
     9. initiatives ....... CSO initiatives are supported, stall or start; local support (Rule 7, R7)
    10. adoption .......... practices adopted past the threshold                        (Rule 8)
    11. sustain ........... dormant partnerships end                                    (Rule 9)
    12. measure ........... the month's outcomes, also per municipality and partnership (metrics.measure,
                                                                                         measure_partnerships)

    Stalled initiatives are logged in ``state.tally.stall_log`` from row ``n_stalled``; returns the new
    number of rows.
    """
    state = borrow(state)  # the caller holds the arrays: no reference counting below (compiled.borrow)
    kn, actors, ties, use, orgs = state.knowledge, state.actors, state.ties, state.use, state.orgs
    pt, plan, inits, draws, tally, work = (state.partnerships, state.plan, state.initiatives, state.draws,
                                           state.tally, state.work)
    participated, involved, alive = actors.participated, actors.involved, pt.alive
    leave, sharer = work.leave, work.sharer
    budget = programme_budget(prm, t)
    cofinanced = programme_cofinanced(prm, t)
    support = local_support(prm, t)
    for r in range(state.layout.reps):
        rep = replication(state.layout, r)
        # 1. draws
        draw_month(gens[r], rep, draws, prm)
        # 2. outreach; the ties in use follow involvement and live partnerships (also edits between months)
        drawn_in = migrant_outreach(involved, actors.can_involve, draws.outreach, rep, prm)
        if drawn_in or world_changed(involved, alive, work.seen_involved, work.seen_alive, rep):
            enable_ties(use, ties, involved, alive, rep.tie0, rep.tie1)
        # 3. exchanges
        need = plan_exchanges(plan, pt, orgs, involved, ties.trust, use.staff_pair, draws.events, rep, prm, budget,
                              cofinanced)
        contacts = work.contacts if need <= work.contacts.tie.shape[0] else new_contacts(need)
        n_events, events = hold_exchanges(pt, plan.n_events, participated, involved, ties, use.staff_pair, key_gens[r],
                                   work.event, contacts, rep, prm, t)
        tally.events[r] = events
        # 4. routine contacts
        country_programmes(pt, rep, t, prm, work.country_on)
        n = routine_contacts(use, draws.ties, rep.tie0, rep.tie1, contacts, n_events, state.initiatives.start,
                             work.country_on, prm)
        # 5. transfer
        transfer_knowledge(kn, actors, ties, contacts, n, n_events, plan, prm, work.transfer, state.ledger, r)
        # 6. forgetting, section by section of the replication's rows
        for a0, a1 in ((rep.staff0, rep.staff1), (rep.cso0, rep.cso1), (rep.mig0, rep.mig1), (rep.nat0, rep.nat1)):
            forget_unused(kn, actors.forgets, work.transfer.used, actors.group, a0, a1, prm, state.ledger.book, r)
        # 7. trust
        update_trust(ties, contacts, n, rep.tie0, rep.tie1, t, prm, work.trust, plan.closeness)
        update_familiarity(pt, plan.n_events, rep.p0, rep.p1, prm)
        # 8. internal dissemination: who leaves, who shares (participants, boundary spanners), newcomers' ties
        anyone_leaves = staff_turnover(draws.staff, leave, rep, prm)
        for a in range(rep.staff0, rep.staff1):
            sharer[a] = participated[a] or actors.boundary[a]
        codified_by_institutions(orgs.institution_tie, ties.last_contact, rep.muni0, rep.muni1, t, prm, work.codified)
        disseminate_internally(kn, orgs.memory, orgs.memory0, sharer, leave, actors.group, work.codified, rep.muni0,
                               rep.muni1, prm,
                               work.staff, state.ledger.book, r)
        if anyone_leaves:
            restart_ties(participated, actors.tie_index, actors.tie_list, ties, leave, rep, prm)
        # 9. initiatives
        for m in range(rep.muni0, rep.muni1):
            work.has_migrants[m] = False
        for p in range(rep.p0, rep.p1):
            work.has_migrants[pt.north[p]] = plan.involved_migrants[p] > 0
        n_stalled = update_initiatives(inits, actors.migrant_org, ties, use.enabled, work.has_migrants, draws, tally,
                                       rep, t, support, prm, n_stalled)
        update_support(pt, plan.involved_migrants, rep, prm)
        # 10. adoption
        adopt_policies(orgs, rep.muni0, rep.muni1, t, prm)
        # 11. sustain: outcomes see the ties of partnerships that ended this month
        if sustain_partnerships(pt, rep.p0, rep.p1, t, prm):
            enable_ties(use, ties, involved, alive, rep.tie0, rep.tie1)
        # 12. measure
        store(state.table, r, measure(kn, actors, ties, use, orgs, pt, inits, rep, prm, t,
                                      Activity(tally.started[r], tally.stalled[r], tally.events[r], budget),
                                      state.gains, state.ledger.book, state.sources, state.channel_gains,
                                      state.by_municipality))
        measure_partnerships(pt, ties, plan, rep, state.by_partnership)
        remember(involved, alive, work.seen_involved, work.seen_alive, rep)
    return n_stalled


@rule
def run_months(state, prm, gens, key_gens, first, last, table_history, gain_history, source_history,
               municipality_history, partnership_history):
    """Months ``first`` to ``last`` (:func:`month`), each month's outcomes copied into
    ``table_history[t]``, ``gain_history[t]``, ``source_history[t]``, ``municipality_history[t]`` and
    ``partnership_history[t]``; stops early when the stall log could fill up.
    Returns (the last month done, stalls logged)."""
    room = state.tally.stall_log.shape[0]
    csos = state.initiatives.start.shape[0]
    n_stalled = 0
    t = first
    while t <= last and n_stalled + csos <= room:
        n_stalled = month(state, prm, gens, key_gens, t, n_stalled)
        table_history[t] = state.table
        gain_history[t] = state.gains
        source_history[t] = state.sources
        municipality_history[t] = state.by_municipality
        partnership_history[t] = state.by_partnership
        t += 1
    return t - 1, n_stalled


@rule
def store(table, r, measured) -> None:
    """One replication's outcomes into column ``r`` of the outcome table (rows: ``OUTCOME_FIELDS``)."""
    for k in range(len(measured)):
        table[k, r] = measured[k]


@rule
def world_changed(involved, alive, seen_involved, seen_alive, rep) -> bool:
    """Whether involvement or live partnerships of the replication differ from when its ties in use were
    last computed (a shock, or an edit of the world between months)."""
    for a0, a1 in ((rep.staff0, rep.staff1), (rep.cso0, rep.cso1), (rep.mig0, rep.mig1), (rep.nat0, rep.nat1)):
        for a in range(a0, a1):
            if involved[a] != seen_involved[a]:
                return True
    for p in range(rep.p0, rep.p1):
        if alive[p] != seen_alive[p]:
            return True
    return False


@rule
def remember(involved, alive, seen_involved, seen_alive, rep) -> None:
    """Record the involvement and live partnerships the replication's ties in use were computed for."""
    for a0, a1 in ((rep.staff0, rep.staff1), (rep.cso0, rep.cso1), (rep.mig0, rep.mig1), (rep.nat0, rep.nat1)):
        for a in range(a0, a1):
            seen_involved[a] = involved[a]
    for p in range(rep.p0, rep.p1):
        seen_alive[p] = alive[p]


@rule
def begin(state, prm) -> None:
    """The starting state of every replication: ties in use and the outcomes of month 0."""
    state = borrow(state)
    actors, pt, work, tally = state.actors, state.partnerships, state.work, state.tally
    for r in range(state.layout.reps):
        rep = replication(state.layout, r)
        enable_ties(state.use, state.ties, actors.involved, pt.alive, rep.tie0, rep.tie1)
        for e in range(rep.tie0, rep.tie1):  # the fixed panel of the trust outcomes: the ties in use now
            state.use.panel[e] = state.use.enabled[e]
        remember(actors.involved, pt.alive, work.seen_involved, work.seen_alive, rep)
        store(state.table, r, measure(state.knowledge, actors, state.ties, state.use, state.orgs, pt,
                                      state.initiatives, rep, prm, 0,
                                      Activity(tally.started[r], tally.stalled[r], tally.events[r], 0.0),
                                      state.gains, state.ledger.book, state.sources, state.channel_gains,
                                      state.by_municipality))
        measure_partnerships(pt, state.ties, state.plan, rep, state.by_partnership)


@rule
def circulation_of(state, participated, out) -> None:
    """Each replication's ``circulation`` now, over the staff ``participated`` marks as not having taken part
    (``out[r]``): a twin measured on its run's people (:func:`c2c_sim.metrics.circulation_among`)."""
    state = borrow(state)
    for r in range(state.layout.reps):
        out[r] = circulation_among(state.knowledge, replication(state.layout, r), participated)


METRIC_NAMES = (("learning_gain_north",) + tuple(f"learning_gain_north__{d}" for d in DOMAINS)
                + ("learning_gain_south",) + tuple(f"learning_gain_south__{d}" for d in DOMAINS)
                + tuple(f for f in OUTCOME_FIELDS if f not in ("learning_gain_north", "learning_gain_south"))
                + SOURCE_OUTCOMES)
"""The names of :attr:`Engine.metrics`, in order."""


def _metric_rows(D: int) -> np.ndarray:
    """Row of each of :data:`METRIC_NAMES` in the stacked table of ``State.gains`` (2 D rows, side-major),
    ``State.sources`` (2 rows per channel, channel-major) and ``State.table``."""
    row = {f"learning_gain_{side}__{dom}": k * D + j for k, side in enumerate(("north", "south"))
           for j, dom in enumerate(DOMAINS)}
    row.update({f"learning_{side}_from_{ch}": 2 * D + 2 * c + k for c, ch in enumerate(CHANNELS)
                for k, side in enumerate(("north", "south"))})
    row.update({name: 2 * D + 2 * len(CHANNELS) + i for i, name in enumerate(OUTCOME_FIELDS)})
    return np.array([row[name] for name in METRIC_NAMES])


class Engine:
    """A batch of independent replications of ``cfg``, one generator each.

    ``world`` holds the state arrays (edit them in place between months: the next month sees the
    edit); ``metrics`` the latest month's outcomes, one value per replication. :meth:`step` runs one
    month; :meth:`run` runs to the horizon in as few compiled calls as the shocks allow and keeps every
    month's outcomes (:meth:`history`)."""

    def __init__(self, cfg: Config, rngs: list[np.random.Generator]) -> None:
        self.config = cfg
        self.rngs = rngs
        self.R = len(rngs)
        self.world = build_worlds(cfg, rngs)
        # numbers whose count varies (delegations, facilitators, terminations) come from a second stream
        self.key_rngs = [g.spawn(1)[0] for g in rngs]
        self.month = 0
        self.params = params_from_config(cfg)
        w = self.world
        self.state = build_state(w, cfg)
        self._shared = shared_arrays(self.state)
        self._rows = _metric_rows(w.n_domains)
        self.initiative_log: list[np.ndarray] = []  # blocks of rows (cso row, start month, stall month)
        self._link_generators()
        self._tables = np.zeros((cfg.months + 1,) + self.state.table.shape)  # every month's outcomes
        self._gains = np.zeros((cfg.months + 1,) + self.state.gains.shape)
        self._sources = np.zeros((cfg.months + 1,) + self.state.sources.shape)
        self._munis = np.zeros((cfg.months + 1,) + self.state.by_municipality.shape)
        self._pts = np.zeros((cfg.months + 1,) + self.state.by_partnership.shape)
        with compile_notice("the model's rules"):  # one notice for the whole compile, the first time
            self._compile()
            begin(self.state, self.params)
        self._record(0)
        self.metrics = self._metrics()

    _compiled = False
    """Set once the first engine of the process has compiled (or loaded) the month and the run."""

    def _compile(self) -> None:
        """Compile (or load from the cache) the month and the run for this engine's types now, so that
        the first compile happens under one notice rather than at the first step or run. Once per
        process: typing the state costs more than a small run's months, and a later engine whose types
        differed would still be compiled, by numba, at its first call."""
        if JIT_DISABLED or Engine._compiled:
            return
        from numba import typeof

        head = tuple(typeof(a) for a in (self.state, self.params, self._gens, self._key_gens, 1))
        month.compile(head + (typeof(0),))
        run_months.compile(head + (typeof(1), typeof(self._tables), typeof(self._gains), typeof(self._sources),
                                   typeof(self._munis), typeof(self._pts)))
        Engine._compiled = True

    def _link_generators(self) -> None:
        """The replications' generators as numba typed lists (the same objects: draws advance both views)."""
        from numba.typed import List

        self._gens, self._key_gens = List(self.rngs), List(self.key_rngs)
        self._month = Direct(month)  # for the engine's state, whose types do not change
    def _record(self, t: int) -> None:
        if t < len(self._tables):
            self._tables[t] = self.state.table
            self._gains[t] = self.state.gains
            self._sources[t] = self.state.sources
            self._munis[t] = self.state.by_municipality
            self._pts[t] = self.state.by_partnership

    def _metrics(self) -> dict[str, np.ndarray]:
        st = self.state
        table = np.concatenate([st.gains.reshape(-1, self.R), st.sources.reshape(-1, self.R), st.table])[self._rows]  # one copy, a row per outcome
        return dict(zip(METRIC_NAMES, table))

    def circulation_among(self, participated: np.ndarray) -> np.ndarray:
        """(R,) circulation now over the staff that ``participated`` (another engine's flags, same world)
        marks as never having taken part."""
        out = np.zeros(self.R)
        circulation_of(self.state, np.ascontiguousarray(participated, dtype=np.bool_), out)
        return out

    def places(self) -> tuple[np.ndarray, np.ndarray]:
        """Every month's outcomes per municipality and per partnership so far: arrays (months + 1, M,
        len(MUNICIPALITY_FIELDS)) and (months + 1, P, len(PARTNERSHIP_FIELDS)) (:mod:`c2c_sim.state`)."""
        T = min(self.month, self.config.months) + 1
        return self._munis[:T], self._pts[:T]

    def history(self) -> dict[str, np.ndarray]:
        """Every month's outcomes so far (month 0, the start, to :attr:`month`): name -> (months + 1, R)."""
        T = min(self.month, self.config.months) + 1
        both = np.concatenate([self._gains[:T].reshape(T, -1, self.R), self._sources[:T].reshape(T, -1, self.R),
                               self._tables[:T]], axis=1)[:, self._rows]
        return {name: both[:, i] for i, name in enumerate(METRIC_NAMES)}

    def _sync(self) -> None:
        """Rebuild the state's structures if an array of the world was replaced between months."""
        if not shares_world(self._shared, self.world):
            self.state = build_state(self.world, self.config, keep=self.state)
            self._shared = shared_arrays(self.state)
            self._month = Direct(month)

    def _log_stalls(self, n: int) -> None:
        if n:
            self.initiative_log.append(self.state.tally.stall_log[:n].copy())

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        """One month for every replication: the shocks due, then :func:`month`."""
        self.month = t = self.month + 1
        self.apply_shocks(t)
        self._sync()
        n_stalled = self._month(self.state, self.params, self._gens, self._key_gens, t, 0)
        self._log_stalls(n_stalled)
        self._record(t)
        self.metrics = self._metrics()

    def run(self) -> Engine:
        """Step to the configured horizon: the months between shocks in one compiled call each
        (:func:`run_months`), the same numbers as :meth:`step` month by month."""
        horizon = self.config.months
        while self.month < horizon:
            t = self.month + 1
            self.apply_shocks(t)
            self._sync()
            shock = self._termination_month()
            last = shock - 1 if t < shock <= horizon else horizon  # stop before a shock still to come
            done, n_stalled = run_months(self.state, self.params, self._gens, self._key_gens, t, last,
                                         self._tables, self._gains, self._sources, self._munis, self._pts)
            self._log_stalls(n_stalled)
            self.month = done
        self.metrics = self._metrics()
        return self

    def _termination_month(self) -> int:
        """The month the termination shock falls in (-1 for none); month 0 is the starting state, so a
        termination "at month 0" happens in the first month."""
        m = self.config.shocks.termination_month
        return max(m, 1) if m >= 0 else -1

    def apply_shocks(self, t: int) -> None:
        """Terminate partnerships when the termination shock falls due (``shocks.termination_month``)."""
        sh, w = self.config.shocks, self.world
        P = w.n_partnerships // self.R
        if t != self._termination_month() or not P:
            return
        rules.terminate_partnerships(w.alive, w.muni_country[w.p_south[:P]], self.key_rngs, sh.terminated_share,
                                     sh.terminated_country, w.support, self.config.partnership.support_shield)

    # ------------------------------------------------------------------ copies
    def __getstate__(self) -> dict:
        """Pickling and copying (e.g. ``copy.deepcopy`` of a model to branch a scenario) leave out the typed
        lists, which numba cannot pickle; they are rebuilt around the copied generators."""
        state = self.__dict__.copy()
        for name in ("_gens", "_key_gens", "_month"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._link_generators()

    # ------------------------------------------------------------------ results
    def initiative_records(self) -> np.ndarray:
        """(n, 5) int array: replication, CSO row (within its replication), start, end, stalled (1) or censored (0)."""
        w = self.world
        running = np.flatnonzero(w.initiative_start >= 0)
        censored = np.column_stack([w.cso_start + running, w.initiative_start[running],
                                    np.full(len(running), self.month), np.zeros(len(running))]).astype(np.int64)
        stalled = [np.column_stack([block, np.ones(len(block), np.int64)]) for block in self.initiative_log]
        arr = np.concatenate(stalled + [censored])
        if not len(arr):
            return np.zeros((0, 5), np.int64)
        rep = w.rep[arr[:, 0]]
        per_rep = self.state.layout.csos
        local = (arr[:, 0] - w.cso_start) % per_rep + w.cso_start // self.R
        out = np.column_stack([rep, local, arr[:, 1:]])
        return out[np.lexsort((out[:, 2], out[:, 1], out[:, 0]))]
