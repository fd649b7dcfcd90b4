"""C2CModel: the Mesa model of mutual learning in city-to-city partnerships.

A thin Mesa face over :class:`~c2c_sim.engine.Engine` with one replication:
the engine owns the arrays and the order of a month (written out once, in
:meth:`c2c_sim.engine.Engine.step`); the model owns the Mesa agents (identities
with views into those arrays), the ``DataCollector`` and Mesa's seeded
generator, which it hands to the engine. ``C2CModel(seed=s)`` therefore gives
exactly the numbers of replication seed ``s`` in ``c2c_sim.run_replications``.

The model runs under ``mesa.batch_run`` as it is: its keyword parameters are
the flat names of :mod:`c2c_sim.config` (``trust_initial=0.3``,
``programme="long_term"``...), and it stops itself after ``months`` steps.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from .agents import CSO, HigherGovernment, KnowledgeInstitution, LocalGovernment, Migrant
from .config import Config, make_config
from .engine import Engine
from .metrics import DOMAIN_OUTCOMES, SOURCE_OUTCOMES, STEP_OUTCOMES
from .world import Kind, World, to_networkx


class C2CModel(mesa.Model):
    """Local governments, CSOs and migrants learning from each other over partnership ties.

    Args:
        config: a validated :class:`~c2c_sim.config.Config` (else built from ``params``).
        seed: the seed of the model's generator (everything random derives from it).
            As in Mesa, a model given no seed (neither ``seed`` nor ``rng``, nor
            ``seed`` among ``params``, nor a ``config``) draws a fresh one, so
            ``mesa.batch_run`` iterations differ; ``model.seed`` tells which, for
            reproducing it. A ``config`` or a ``seed`` parameter fixes it.
        rng: alternatively a numpy generator or seed (Mesa semantics).
        **params: flat parameter names or preset names, see :func:`c2c_sim.config.make_config`.
    """

    def __init__(self, config: Config | None = None, *, seed: int | None = None, rng: Any = None,
                 **params: Any) -> None:
        if config is not None and params:
            raise TypeError("give either config or keyword parameters, not both")
        cfg = config if config is not None else make_config(params)
        if seed is None and rng is None:
            seed = cfg.seed if (config is not None or "seed" in params) else \
                int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        self.seed = seed
        if rng is None:
            super().__init__(seed=seed)
        else:
            super().__init__(rng=rng)
        self.config = cfg
        self.engine = Engine(cfg, [self.rng])
        self._create_agents()
        self._outcomes_of: dict | None = None  # the engine's metrics dict that _outcomes was made from
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m._month_outcomes()[k]) for k in STEP_OUTCOMES + DOMAIN_OUTCOMES + SOURCE_OUTCOMES})
        self.datacollector.collect(self)

    @property
    def world(self) -> World:
        """The state arrays (knowledge, trust, ties...)."""
        return self.engine.world

    @property
    def month(self) -> int:
        return self.engine.month

    @property
    def metrics(self) -> dict[str, float]:
        """This month's outcomes."""
        return dict(self._month_outcomes())

    def _month_outcomes(self) -> dict[str, float]:
        """This month's outcomes as floats, converted once a month (every DataCollector reporter reads them)."""
        if self._outcomes_of is not self.engine.metrics:  # the engine makes a new dict every month
            self._outcomes_of = self.engine.metrics
            self._outcomes = {k: float(v[0]) for k, v in self._outcomes_of.items()}
        return self._outcomes

    def _create_agents(self) -> None:
        w = self.world
        LocalGovernment.create_agents(self, w.n_munis, municipality=np.arange(w.n_munis))
        for cls, kind in ((CSO, Kind.CSO), (Migrant, Kind.MIGRANT), (HigherGovernment, Kind.HIGHER_GOVERNMENT),
                          (KnowledgeInstitution, Kind.KNOWLEDGE_INSTITUTION)):
            rows = np.flatnonzero(w.kind == kind)
            if len(rows):
                cls.create_agents(self, len(rows), row=rows)

    def step(self) -> None:
        """One month (see :meth:`c2c_sim.engine.Engine.step` for the order of its phases)."""
        self.engine.step()
        self.datacollector.collect(self)
        if self.engine.month >= self.config.months:
            self.running = False

    def run(self) -> C2CModel:
        """Step to the configured horizon."""
        while self.running:
            self.step()
        return self

    def series(self) -> pd.DataFrame:
        """The per-month outcomes (month 0 is the starting state)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "month", np.arange(len(df)))
        return df

    def network(self):
        """The tie network now, as a networkx graph."""
        return to_networkx(self.world)
